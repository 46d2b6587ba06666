//! Checks of the document as parsed, before it is typed: the version,
//! every `$ref`, nesting depth, component names, and where the spec's
//! extensions appear.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::document::{escape_token, push_token};
use crate::error::{Location, SpecError};
use crate::load::{DIGIT_STRING_EXTENSION, ONE_OR_MANY_EXTENSION, SDK_READS_ONE_EXTENSION};

/// Checks the document as parsed, before it is typed: the version, every
/// `$ref`, and where the digit-string extension appears.
pub fn check_raw(raw: &Value) -> Result<(), SpecError> {
    check_version(raw)?;
    check_component_names(raw)?;
    check_refs(raw, raw, &mut String::new())?;
    check_extensions(raw, &mut String::new())?;
    check_depth(raw)
}

/// How deep models may nest (a model holding a model holding a model...,
/// lists and maps counting as a level): rustc's drop check overflows on
/// chains of about 100 nested generated types (E0320; 60 compiled when the
/// hostile-input corpus was measured), so half of what compiled, with
/// `tests/fixtures/specs/deep-nesting.yaml` compiling at exactly this depth.
pub const MAX_SCHEMA_DEPTH: usize = 32;

/// No chain of nested schemas, through `$ref`s or inline, deeper than
/// [`MAX_SCHEMA_DEPTH`]: generated code that rustc cannot compile is a
/// located error instead. A recursive model (a tree) is fine: a cycle is
/// one level per model in it.
fn check_depth(raw: &Value) -> Result<(), SpecError> {
    let mut walk = DepthWalk {
        raw,
        memo: std::collections::HashMap::new(),
        stack: Vec::new(),
        too_deep: None,
    };
    let schemas = raw
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for name in schemas.into_iter().flatten().map(|(name, _)| name) {
        walk.component(name, 0);
        if let Some(chain) = walk.too_deep.take() {
            return Err(SpecError::at(
                format!("/components/schemas/{}", escape_token(name)),
                format!(
                    "models nest more than {MAX_SCHEMA_DEPTH} deep ({}{}), deeper than generated Rust compiles (rustc's drop check overflows); flatten the chain",
                    chain
                        .iter()
                        .take(6)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" → "),
                    if chain.len() > 6 { " → ..." } else { "" }
                ),
            ));
        }
    }
    Ok(())
}

struct DepthWalk<'a> {
    raw: &'a Value,
    /// Each component's depth, once known.
    memo: std::collections::HashMap<String, usize>,
    /// The components being walked, outermost first.
    stack: Vec<String>,
    /// The chain of the first component found too deep.
    too_deep: Option<Vec<String>>,
}

impl DepthWalk<'_> {
    /// The depth of component `name`, `level` levels down; the walk stops
    /// past the limit, so a hostile chain is neither walked in full nor
    /// able to exhaust the stack.
    fn component(&mut self, name: &str, level: usize) -> usize {
        if let Some(&depth) = self.memo.get(name) {
            if level + depth > MAX_SCHEMA_DEPTH && self.too_deep.is_none() {
                let mut chain = self.stack.clone();
                chain.push(name.to_string());
                self.too_deep = Some(chain);
            }
            return depth;
        }
        if self.stack.iter().any(|n| n == name) || self.too_deep.is_some() {
            return 0;
        }
        let Some(schema) = self
            .raw
            .pointer(&format!("/components/schemas/{}", escape_token(name)))
        else {
            return 0;
        };
        self.stack.push(name.to_string());
        let depth = self.schema(schema, level);
        self.stack.pop();
        if self.too_deep.is_none() {
            self.memo.insert(name.to_string(), depth);
        }
        depth
    }

    fn schema(&mut self, schema: &Value, level: usize) -> usize {
        if level > MAX_SCHEMA_DEPTH {
            if self.too_deep.is_none() {
                self.too_deep = Some(self.stack.clone());
            }
            return 0;
        }
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            return self.component(name, level);
        }
        // A type of its own: an object, a map, a list.
        let own = ["properties", "additionalProperties", "items"]
            .iter()
            .any(|k| schema.get(*k).is_some_and(Value::is_object))
            || matches!(
                schema.get("type").and_then(Value::as_str),
                Some("object" | "array")
            );
        let next = level + usize::from(own);
        let mut deepest = 0;
        let mut children: Vec<&Value> = Vec::new();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            children.extend(properties.values());
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(child) = schema.get(key).filter(|c| c.is_object()) {
                children.push(child);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            children.extend(
                schema
                    .get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        }
        for child in children {
            deepest = deepest.max(self.schema(child, next));
            if self.too_deep.is_some() {
                break;
            }
        }
        usize::from(own) + deepest
    }
}

/// OpenAPI 3.0.3 allows component names of `[a-zA-Z0-9._-]` only; typify
/// would name a type after another spelling (`A/b` becomes `A1b`) than the
/// one its users ask for.
fn check_component_names(raw: &Value) -> Result<(), SpecError> {
    let Some(components) = raw.get("components").and_then(Value::as_object) else {
        return Ok(());
    };
    for (kind, members) in components {
        let Some(members) = members.as_object() else {
            continue;
        };
        for name in members.keys() {
            let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
            if name.is_empty() || !name.chars().all(allowed) {
                return Err(SpecError::at(
                    format!("/components/{}/{}", escape_token(kind), escape_token(name)),
                    format!(
                        "component name `{name}` is not allowed: OpenAPI 3.0 component names are \
                         made of letters, digits, `.`, `-` and `_`"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_version(raw: &Value) -> Result<(), SpecError> {
    let Some(root) = raw.as_object() else {
        return Err(SpecError::new(
            Location::Document,
            "the document must be a mapping with an `openapi` key".into(),
        ));
    };
    match root.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.0.") => Ok(()),
        Some(Value::String(v)) => Err(SpecError::at(
            "/openapi".into(),
            format!("OpenAPI {v} is not supported; this toolchain reads OpenAPI 3.0.x documents"),
        )),
        Some(other) => Err(SpecError::at(
            "/openapi".into(),
            format!("the version must be a string such as \"3.0.3\", found {other}"),
        )),
        None => Err(SpecError::at(
            "".into(),
            "the `openapi` version key is missing".into(),
        )),
    }
}

/// Every `$ref` must be local and point at something that exists.
fn check_refs(root: &Value, node: &Value, pointer: &mut String) -> Result<(), SpecError> {
    match node {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref") {
                let here = format!("{pointer}/$ref");
                let Value::String(reference) = reference else {
                    return Err(SpecError::at(here, "`$ref` must be a string".into()));
                };
                let Some(target) = reference.strip_prefix('#') else {
                    return Err(SpecError::at(
                        here,
                        format!(
                            "`{reference}` is not a local reference; only `#/...` references are supported"
                        ),
                    ));
                };
                if root.pointer(target).is_none() {
                    return Err(SpecError::at(
                        here,
                        format!("`{reference}` points at nothing in this document"),
                    ));
                }
            }
            for (key, value) in map {
                let len = pointer.len();
                push_token(pointer, key);
                check_refs(root, value, pointer)?;
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                check_refs(root, value, pointer)?;
                pointer.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Our extensions, where they mean something: `x-accept-digit-string`
/// and `x-one-or-many` only as `true`, on integers and arrays
/// respectively; `x-sdk-reads-one` only as `true` beside `x-one-or-many`;
/// `x-enum-varnames` and `x-enum-descriptions` only on
/// component string enums, one entry per value, the names distinct Rust
/// identifiers.
fn check_extensions(node: &Value, pointer: &mut String) -> Result<(), SpecError> {
    match node {
        Value::Object(map) => {
            if let Some(flag) = map.get(SDK_READS_ONE_EXTENSION) {
                let here = format!("{pointer}/{SDK_READS_ONE_EXTENSION}");
                if flag != &Value::Bool(true) {
                    return Err(SpecError::at(
                        here,
                        "the only accepted value is `true`".into(),
                    ));
                }
                if map.get(ONE_OR_MANY_EXTENSION) != Some(&Value::Bool(true)) {
                    return Err(SpecError::at(
                        here,
                        format!("only applies beside `{ONE_OR_MANY_EXTENSION}: true`"),
                    ));
                }
            }
            for (extension, ty) in [
                (DIGIT_STRING_EXTENSION, "integer"),
                (ONE_OR_MANY_EXTENSION, "array"),
            ] {
                let Some(flag) = map.get(extension) else {
                    continue;
                };
                let here = format!("{pointer}/{extension}");
                if flag != &Value::Bool(true) {
                    return Err(SpecError::at(
                        here,
                        "the only accepted value is `true`".into(),
                    ));
                }
                if map.get("type") != Some(&Value::String(ty.into())) {
                    return Err(SpecError::at(
                        here,
                        format!("only applies to schemas of `type: {ty}`"),
                    ));
                }
                // typify cannot name an inline type given as a parameter of
                // the runtime's `OneOrMany<T>`.
                let items = map.get("items");
                let named = items.is_some_and(|i| {
                    i.get("$ref").is_some()
                        || !matches!(
                            i.get("type").and_then(Value::as_str),
                            Some("object" | "array") | None
                        )
                });
                if extension == ONE_OR_MANY_EXTENSION && !named {
                    return Err(SpecError::at(
                        format!("{pointer}/items"),
                        "the items of an `x-one-or-many` array must be a `$ref` to a component \
                         or a scalar type"
                            .into(),
                    ));
                }
            }
            check_enum_extensions(map, pointer)?;
            check_enum_values(map, pointer)?;
            for (key, value) in map {
                // Examples are data: their keys are no keywords.
                if key == "example" || key == "examples" {
                    continue;
                }
                let len = pointer.len();
                push_token(pointer, key);
                check_extensions(value, pointer)?;
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                check_extensions(value, pointer)?;
                pointer.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Every value of an `enum` has the schema's type (typify fails on
/// `enum: [red, 7]` with no word of where).
fn check_enum_values(map: &serde_json::Map<String, Value>, pointer: &str) -> Result<(), SpecError> {
    let (Some(Value::Array(values)), Some(Value::String(ty))) = (map.get("enum"), map.get("type"))
    else {
        return Ok(());
    };
    let fits: fn(&Value) -> bool = match ty.as_str() {
        "string" => Value::is_string,
        "integer" => |v| v.is_i64() || v.is_u64(),
        "number" => Value::is_number,
        "boolean" => Value::is_boolean,
        _ => return Ok(()),
    };
    for (i, value) in values.iter().enumerate() {
        if !fits(value) && !value.is_null() {
            return Err(SpecError::at(
                format!("{pointer}/enum/{i}"),
                format!("enum value {value} is not of the schema's type `{ty}`"),
            ));
        }
    }
    Ok(())
}

fn check_enum_extensions(
    map: &serde_json::Map<String, Value>,
    pointer: &str,
) -> Result<(), SpecError> {
    for extension in [crate::VARIANT_NAMES, crate::VARIANT_DESCRIPTIONS] {
        let Some(list) = map.get(extension) else {
            continue;
        };
        let here = format!("{pointer}/{extension}");
        let component = pointer
            .strip_prefix("/components/schemas/")
            .is_some_and(|rest| !rest.contains('/'));
        if !component {
            return Err(SpecError::at(
                here,
                "only applies to string enums that are components (`#/components/schemas/<Name>`); \
                 move the enum there and `$ref` it"
                    .into(),
            ));
        }
        let values = map.get("enum").and_then(Value::as_array);
        let Some(values) = values.filter(|_| map.get("type") == Some(&Value::from("string")))
        else {
            return Err(SpecError::at(
                here,
                "only applies to string enums (`type: string` with `enum`)".into(),
            ));
        };
        let entries = list.as_array().filter(|l| l.iter().all(Value::is_string));
        let Some(entries) = entries.filter(|l| l.len() == values.len()) else {
            return Err(SpecError::at(
                here,
                format!(
                    "must be a list of {} strings, one per value of `enum`, in its order",
                    values.len()
                ),
            ));
        };
        if extension == crate::VARIANT_NAMES {
            let mut seen = BTreeSet::new();
            for (i, name) in entries.iter().filter_map(Value::as_str).enumerate() {
                let problem = if name == "Unknown" {
                    Some("`Unknown` is the variant every enum has for values it does not know")
                } else if syn::parse_str::<syn::Ident>(name).is_err()
                    || !name.starts_with(|c: char| c.is_ascii_uppercase())
                    || !name.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    Some("a variant name must be a PascalCase Rust identifier")
                } else {
                    None
                };
                if let Some(problem) = problem {
                    return Err(SpecError::at(
                        format!("{here}/{i}"),
                        format!("`{name}`: {problem}"),
                    ));
                }
                if !seen.insert(name) {
                    return Err(SpecError::at(
                        format!("{here}/{i}"),
                        format!("variant name `{name}` is given twice"),
                    ));
                }
            }
        }
    }
    Ok(())
}

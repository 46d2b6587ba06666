//! Everything that can be wrong with a spec is found here, before any code
//! is generated, and reported with a location: a JSON pointer (the YAML
//! parser reports syntax errors with a line and column). progenitor has
//! `todo!()`s and `unwrap()`s for inputs it does not expect; validation
//! keeps those inputs away from it.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty};
use serde_json::Value;

use crate::document::{MULTIPART, escape_token, essence, is_json, push_token, resolve};
use crate::error::{Location, SpecError};
use crate::load::{DIGIT_STRING_EXTENSION, ONE_OR_MANY_EXTENSION, SDK_READS_ONE_EXTENSION};
use crate::naming::{snake_ident, type_name};
use crate::operation::model::check_form;

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

/// Checks what progenitor and our multipart templates rely on.
pub fn check_operations(api: &OpenAPI) -> Result<(), SpecError> {
    let mut ids = BTreeSet::new();
    for (path, item) in &api.paths.paths {
        let item_ptr = format!("/paths/{}", escape_token(path));
        let ReferenceOr::Item(item) = item else {
            return Err(SpecError::at(
                item_ptr,
                "path items given by `$ref` are not supported".into(),
            ));
        };
        check_path_template(path, &item_ptr)?;
        for (method, op) in item.iter() {
            let op_ptr = format!("{item_ptr}/{method}");
            let Some(id) = &op.operation_id else {
                return Err(SpecError::at(
                    op_ptr,
                    "the operation has no `operationId`; it names the generated method".into(),
                ));
            };
            if !ids.insert(id.clone()) {
                return Err(SpecError::at(
                    format!("{op_ptr}/operationId"),
                    format!("operationId `{id}` is used twice"),
                ));
            }
            let idempotent = crate::operation::model::IDEMPOTENT_EXTENSION;
            if let Some(flag) = op.extensions.get(idempotent)
                && !flag.is_boolean()
            {
                return Err(SpecError::at(
                    format!("{op_ptr}/{idempotent}"),
                    format!("`{idempotent}` is `true` or `false`, not {flag}"),
                ));
            }
            for (i, param) in op.parameters.iter().chain(&item.parameters).enumerate() {
                if let ReferenceOr::Item(openapiv3::Parameter::Cookie { .. }) = param {
                    return Err(SpecError::at(
                        format!("{op_ptr}/parameters/{i}"),
                        "cookie parameters are not supported".into(),
                    ));
                }
            }
            if let Some(body) = &op.request_body {
                check_request_body(api, body, &format!("{op_ptr}/requestBody/content"))?;
            }
            for (status, response) in &op.responses.responses {
                let ptr = format!("{op_ptr}/responses/{status}/content");
                if let ReferenceOr::Item(response) = response
                    && response.content.len() > 1
                {
                    return Err(SpecError::at(
                        ptr,
                        "a response may have at most one content type".into(),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A path is `/`-separated literal text and `{name}` parameters: nothing
/// that a URL would treat as the end of the path, an escape, or a space,
/// and no segment that is empty, `.` or `..`.
fn check_path_template(path: &str, ptr: &str) -> Result<(), SpecError> {
    let bad = |why: String| Err(SpecError::at(ptr.to_string(), why));
    if !path.starts_with('/') {
        return bad(format!("the path `{path}` must start with `/`"));
    }
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' if !in_param => in_param = true,
            '}' if in_param => in_param = false,
            '{' | '}' => return bad(format!("unbalanced braces in the path `{path}`")),
            _ if in_param => {}
            'a'..='z'
            | 'A'..='Z'
            | '0'..='9'
            | '/'
            | '-'
            | '.'
            | '_'
            | '~'
            | ':'
            | '@'
            | '!'
            | '$'
            | '&'
            | '\''
            | '('
            | ')'
            | '*'
            | '+'
            | ','
            | ';'
            | '=' => {}
            other => {
                return bad(format!(
                    "the path `{}` holds `{}`, which cannot be sent literally in a URL path",
                    path.escape_debug(),
                    other.escape_debug()
                ));
            }
        }
    }
    if in_param {
        return bad(format!("unbalanced braces in the path `{path}`"));
    }
    // A URL resolver drops `.` segments and climbs on `..` ones, and an
    // empty segment is a different path on most servers: the request would
    // reach another resource than the one documented. (`%`, so any
    // encoded form of them, is refused above.)
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let why = match *segment {
            "" if i + 1 == segments.len() => "a trailing `/`, an empty last segment".to_string(),
            "" => "an empty segment (`//`)".to_string(),
            "." | ".." => {
                format!("a dot segment (`/{segment}/`), which URL resolution removes or climbs on")
            }
            _ => continue,
        };
        return bad(format!("the path `{path}` has {why}"));
    }
    Ok(())
}

/// One content type, supported, with a schema; multipart bodies must also
/// be expressible as forms.
fn check_request_body(
    api: &OpenAPI,
    body: &ReferenceOr<openapiv3::RequestBody>,
    body_ptr: &str,
) -> Result<(), SpecError> {
    let body_ptr = body_ptr.to_string();
    let body = resolve(api, body).map_err(|e| SpecError::at(body_ptr.clone(), e))?;
    let (Some((content_type, media)), 1) = (body.content.first(), body.content.len()) else {
        return Err(SpecError::at(
            body_ptr,
            format!(
                "a request body must have exactly one content type, found {}",
                body.content.len()
            ),
        ));
    };
    let ct_ptr = format!("{body_ptr}/{}", escape_token(content_type));
    let essence = essence(content_type);
    if essence != MULTIPART && !is_json(content_type) {
        return Err(SpecError::at(
            ct_ptr,
            format!(
                "request content type `{content_type}` is not supported; supported: \
                 application/json (with parameters such as `;charset=UTF-8`, or a `+json` type) \
                 and {MULTIPART}"
            ),
        ));
    }
    if media.schema.is_none() {
        return Err(SpecError::at(
            ct_ptr,
            "the media type has no `schema`".into(),
        ));
    }
    if essence == MULTIPART {
        check_form(api, media, &ct_ptr)?;
    }
    Ok(())
}

/// The names the generated code gives must be distinct Rust identifiers:
/// operations (methods and builders), their parameters and body (setters),
/// component schemas (types). Two spec names that become one Rust name
/// would not compile, or would silently be one. Long because it checks the
/// three namespaces (client methods, builder members, types) in one pass.
pub fn check_names(api: &OpenAPI) -> Result<(), SpecError> {
    use std::collections::BTreeMap;
    // The client's own methods, and the builders' own members.
    const CLIENT: &[&str] = &["builder", "transport", "base_url", "clone", "fmt"];
    const BUILDER: &[&str] = &[
        "client",
        "new",
        "send",
        "clone",
        "fmt",
        "customize",
        "into_paginator",
    ];
    let mut methods: BTreeMap<String, String> = BTreeMap::new();
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    if let Some(components) = &api.components {
        for name in components.schemas.keys() {
            let ptr = format!("/components/schemas/{}", escape_token(name));
            let rust = type_name(name);
            if !is_identifier(&rust) {
                return Err(SpecError::at(
                    ptr,
                    format!("schema name `{name}` becomes the Rust type `{rust}`, a keyword"),
                ));
            }
            if let Some(other) = types.insert(rust.clone(), ptr.clone()) {
                return Err(SpecError::at(
                    ptr,
                    format!(
                        "schema names `{name}` and #{other} both become the Rust type `{rust}`"
                    ),
                ));
            }
        }
    }
    for (path, item) in &api.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let op_ptr = format!("/paths/{}/{method}", escape_token(path));
            let id = op.operation_id.clone().unwrap_or_default();
            let method_name = snake_ident(&id).to_string();
            let clash = |what: &str| {
                SpecError::at(
                    format!("{op_ptr}/operationId"),
                    format!("operationId `{id}` becomes `{method_name}`, {what}"),
                )
            };
            if CLIENT.contains(&method_name.as_str()) {
                return Err(clash("which is a method of the client itself"));
            }
            if let Some(other) = methods.insert(method_name.clone(), op_ptr.clone()) {
                return Err(clash(&format!("as does the operation at #{other}")));
            }
            if !is_identifier(&method_name) {
                return Err(clash("which is not a Rust identifier"));
            }
            // Builders are named like types, in their own module.
            let builder = type_name(&id);
            if !is_identifier(&builder) {
                return Err(clash(&format!(
                    "whose builder would be the type `{builder}`, a keyword"
                )));
            }
            if let Some(other) = types.get(&format!("builder::{builder}")) {
                return Err(clash(&format!(
                    "whose builder `{builder}` is also #{other}'s"
                )));
            }
            types.insert(format!("builder::{builder}"), op_ptr.clone());

            let mut members: BTreeMap<String, String> = BTreeMap::new();
            if op.request_body.is_some() {
                members.insert("body".into(), "the body".into());
            }
            for (i, param) in op.parameters.iter().chain(&item.parameters).enumerate() {
                let ptr = format!("{op_ptr}/parameters/{i}");
                let Ok(param) = resolve(api, param) else {
                    continue;
                };
                let name = &param.parameter_data_ref().name;
                let rust = snake_ident(name).to_string();
                if BUILDER.contains(&rust.as_str()) {
                    return Err(SpecError::at(
                        ptr,
                        format!("parameter `{name}` becomes `{rust}`, a member every builder has"),
                    ));
                }
                if let Some(other) = members.insert(rust.clone(), format!("parameter `{name}`")) {
                    // The same parameter at path and operation level is one.
                    if other != format!("parameter `{name}`") {
                        return Err(SpecError::at(
                            ptr,
                            format!(
                                "parameter `{name}` and {other} both become the setter `{rust}`"
                            ),
                        ));
                    }
                }
            }
            check_body_setters(api, op, &op_ptr, &mut members)?;
        }
    }
    Ok(())
}

/// Whether the templates can emit `name` as an identifier: not a keyword
/// (`Self` is the one a type name can become), not empty.
fn is_identifier(name: &str) -> bool {
    syn::parse_str::<syn::Ident>(name).is_ok()
}

/// A JSON object body's top-level fields are setters of the operation's
/// builder too, renamed `body_<name>` where a parameter or a builder member
/// has the name (`naming::body_setter`); the renamed setter must be free.
fn check_body_setters(
    api: &OpenAPI,
    op: &openapiv3::Operation,
    op_ptr: &str,
    members: &mut std::collections::BTreeMap<String, String>,
) -> Result<(), SpecError> {
    let Some(body) = &op.request_body else {
        return Ok(());
    };
    let Ok(body) = resolve(api, body) else {
        return Ok(());
    };
    // JSON and form bodies alike: each field is a setter.
    for (content_type, media) in &body.content {
        let Some(schema) = &media.schema else {
            continue;
        };
        let Ok(resolved) = resolve(api, schema) else {
            continue;
        };
        let SchemaKind::Type(Type::Object(object)) = &resolved.schema_kind else {
            continue;
        };
        let schema_ptr = match schema {
            ReferenceOr::Reference { reference } => reference[1..].to_string(),
            ReferenceOr::Item(_) => format!(
                "{op_ptr}/requestBody/content/{}/schema",
                escape_token(content_type)
            ),
        };
        let params: Vec<String> = members.keys().cloned().collect();
        for name in object.properties.keys() {
            let field = snake_ident(name).to_string();
            let setter = crate::naming::body_setter(&field, &params);
            if let Some(other) = members.insert(setter.clone(), format!("body field `{name}`")) {
                return Err(SpecError::at(
                    format!("{schema_ptr}/properties/{}", escape_token(name)),
                    format!(
                        "body field `{name}` becomes the builder's setter `{setter}`, as {other} does"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// String formats the generated models support without more crates:
/// `binary` (files) and `password` (a plain string). Dates, UUIDs and
/// patterns would need chrono, uuid and regress in every user's build, and
/// this service sends dates as epoch-millisecond digit strings anyway.
const STRING_FORMATS: &[&str] = &["binary", "password"];
const INTEGER_FORMATS: &[&str] = &["int32", "int64"];
const NUMBER_FORMATS: &[&str] = &["float", "double"];

/// Checks every schema: formats, enums, defaults, property names, and
/// `$ref` aliases that lead back to themselves.
pub fn check_schemas(api: &OpenAPI) -> Result<(), SpecError> {
    if let Some(components) = &api.components {
        for (name, schema) in &components.schemas {
            let ptr = format!("/components/schemas/{}", escape_token(name));
            check_alias_cycle(api, name, &ptr)?;
            check_schema(schema, &ptr)?;
        }
    }
    for (path, item) in &api.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let op_ptr = format!("/paths/{}/{method}", escape_token(path));
            for (i, param) in op.parameters.iter().enumerate() {
                if let ReferenceOr::Item(param) = param
                    && let openapiv3::ParameterSchemaOrContent::Schema(schema) =
                        &param.parameter_data_ref().format
                {
                    check_schema(schema, &format!("{op_ptr}/parameters/{i}/schema"))?;
                }
            }
            if let Some(ReferenceOr::Item(body)) = &op.request_body {
                for (ct, media) in &body.content {
                    if let Some(schema) = &media.schema {
                        let ptr =
                            format!("{op_ptr}/requestBody/content/{}/schema", escape_token(ct));
                        check_schema(schema, &ptr)?;
                    }
                }
            }
            for (status, response) in &op.responses.responses {
                let ReferenceOr::Item(response) = response else {
                    continue;
                };
                for (ct, media) in &response.content {
                    if let Some(schema) = &media.schema {
                        let ptr = format!(
                            "{op_ptr}/responses/{status}/content/{}/schema",
                            escape_token(ct)
                        );
                        check_schema(schema, &ptr)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// A component that is only a `$ref` to a `$ref`... back to itself has no
/// value: typify would generate a type that cannot exist.
fn check_alias_cycle(api: &OpenAPI, start: &str, ptr: &str) -> Result<(), SpecError> {
    let schemas = &api
        .components
        .as_ref()
        .expect("called for components")
        .schemas;
    let mut seen = vec![start.to_string()];
    let mut current = start.to_string();
    while let Some(ReferenceOr::Reference { reference }) = schemas.get(&current) {
        let Some(next) = reference.strip_prefix("#/components/schemas/") else {
            return Ok(());
        };
        if seen.iter().any(|s| s == next) {
            return Err(SpecError::at(
                format!("{ptr}/$ref"),
                format!(
                    "`$ref`s lead back to `{next}` ({} → {next}): the type would have no value",
                    seen.join(" → ")
                ),
            ));
        }
        seen.push(next.to_string());
        current = next.to_string();
    }
    Ok(())
}

/// What a schema's type is called, and whether a JSON value has it.
type TypeCheck = (&'static str, fn(&serde_json::Value) -> bool);

/// One schema and, recursively, the schemas inside it. Long because it is
/// one match over the schema kinds, each with its own checks.
fn check_schema(schema: &ReferenceOr<Schema>, ptr: &str) -> Result<(), SpecError> {
    let schema = match schema {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { reference } => {
            // typify resolves schema `$ref`s among the component schemas only.
            let name = reference.strip_prefix("#/components/schemas/");
            if name.is_none_or(|n| n.is_empty() || n.contains('/')) {
                return Err(SpecError::at(
                    format!("{ptr}/$ref"),
                    format!(
                        "`{reference}` is used as a schema, so it must name a component schema \
                         (`#/components/schemas/<Name>`)"
                    ),
                ));
            }
            return Ok(());
        }
    };
    let data = &schema.schema_data;
    let type_check: Option<TypeCheck> = match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => {
            if let VariantOrUnknownOrEmpty::Unknown(format) = &s.format
                && !STRING_FORMATS.contains(&format.as_str())
            {
                return Err(unsupported_format(ptr, format));
            }
            if let VariantOrUnknownOrEmpty::Item(format) = &s.format {
                let name = serde_json::to_value(format).unwrap_or_default();
                let name = name.as_str().unwrap_or_default();
                if !STRING_FORMATS.contains(&name) {
                    return Err(unsupported_format(ptr, name));
                }
            }
            if s.pattern.is_some() {
                return Err(SpecError::at(
                    format!("{ptr}/pattern"),
                    "`pattern` is not supported: checking it would need a regex engine in every \
                     user's build; describe the format in `description` instead"
                        .into(),
                ));
            }
            let named = data.extensions.contains_key(crate::VARIANT_NAMES);
            check_enum(&s.enumeration, named, ptr)?;
            Some(("a string", |v| v.is_string()))
        }
        SchemaKind::Type(Type::Integer(i)) => {
            check_format(&i.format, INTEGER_FORMATS, ptr)?;
            Some(("an integer", |v| v.is_i64() || v.is_u64()))
        }
        SchemaKind::Type(Type::Number(n)) => {
            check_format(&n.format, NUMBER_FORMATS, ptr)?;
            Some(("a number", |v| v.is_number()))
        }
        SchemaKind::Type(Type::Boolean(_)) => Some(("a boolean", |v| v.is_boolean())),
        SchemaKind::Type(Type::Object(object)) => {
            let mut names = std::collections::BTreeMap::new();
            for (name, property) in &object.properties {
                let property_ptr = format!("{ptr}/properties/{}", escape_token(name));
                let rust = snake_ident(name).to_string();
                if rust == "builder" {
                    return Err(SpecError::at(
                        property_ptr,
                        format!(
                            "property `{name}` becomes the field `builder`, whose accessor would \
                             clash with the model's own `builder()`"
                        ),
                    ));
                }
                if let Some(other) = names.insert(rust.clone(), name.clone()) {
                    return Err(SpecError::at(
                        property_ptr,
                        format!("properties `{other}` and `{name}` both become the field `{rust}`"),
                    ));
                }
                check_schema(&property.clone().unbox(), &property_ptr)?;
            }
            if let Some(openapiv3::AdditionalProperties::Schema(extra)) =
                &object.additional_properties
            {
                check_schema(extra, &format!("{ptr}/additionalProperties"))?;
            }
            None
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(items) = &array.items {
                check_schema(&items.clone().unbox(), &format!("{ptr}/items"))?;
            }
            None
        }
        SchemaKind::OneOf { one_of: list }
        | SchemaKind::AllOf { all_of: list }
        | SchemaKind::AnyOf { any_of: list } => {
            let key = match &schema.schema_kind {
                SchemaKind::OneOf { .. } => "oneOf",
                SchemaKind::AllOf { .. } => "allOf",
                _ => "anyOf",
            };
            for (i, part) in list.iter().enumerate() {
                check_schema(part, &format!("{ptr}/{key}/{i}"))?;
            }
            None
        }
        _ => None,
    };
    if let (Some((what, fits)), Some(default)) = (type_check, &data.default)
        && !fits(default)
        && !default.is_null()
    {
        return Err(SpecError::at(
            format!("{ptr}/default"),
            format!("the default {default} is not {what}, as the schema's type says"),
        ));
    }
    Ok(())
}

fn unsupported_format(ptr: &str, format: &str) -> SpecError {
    SpecError::at(
        format!("{ptr}/format"),
        format!(
            "string format `{format}` is not supported (supported: {}); dates and IDs stay \
             strings, which is what this service sends",
            STRING_FORMATS.join(", ")
        ),
    )
}

fn check_format<T: serde::Serialize>(
    format: &VariantOrUnknownOrEmpty<T>,
    allowed: &[&str],
    ptr: &str,
) -> Result<(), SpecError> {
    let name = match format {
        VariantOrUnknownOrEmpty::Empty => return Ok(()),
        VariantOrUnknownOrEmpty::Unknown(name) => name.clone(),
        VariantOrUnknownOrEmpty::Item(item) => serde_json::to_value(item)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
    };
    if allowed.contains(&name.as_str()) {
        Ok(())
    } else {
        Err(SpecError::at(
            format!("{ptr}/format"),
            format!(
                "format `{name}` is not supported here (supported: {})",
                allowed.join(", ")
            ),
        ))
    }
}

/// String enum values become variants: each must be distinct after the
/// conversion to a Rust name (`open` and `Open` would be one variant), and
/// none may take the name of the `Unknown` variant unless
/// `x-enum-varnames` (`named`) names the variants.
fn check_enum(values: &[Option<String>], named: bool, ptr: &str) -> Result<(), SpecError> {
    let mut seen = std::collections::BTreeMap::new();
    for (i, value) in values.iter().enumerate() {
        let Some(value) = value else { continue };
        if named {
            // `x-enum-varnames` names the variants; its own check applies.
            continue;
        }
        let variant = type_name(value);
        if variant == "Unknown" {
            return Err(SpecError::at(
                format!("{ptr}/enum/{i}"),
                format!(
                    "enum value `{value}` would become the variant `Unknown`, which every enum \
                     has for values it does not know; make the enum a component and name its \
                     variants with `x-enum-varnames`"
                ),
            ));
        }
        if let Some(other) = seen.insert(variant.clone(), value.clone()) {
            return Err(SpecError::at(
                format!("{ptr}/enum/{i}"),
                format!("enum values `{other}` and `{value}` both become the variant `{variant}`"),
            ));
        }
    }
    Ok(())
}

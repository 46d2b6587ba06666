//! The flags of a JSON body's fields: `--<field>` per top-level field,
//! parsed by the field's type (arrays from bare, repeated, comma-separated
//! or JSON values; enums matched ignoring case), over `--body`.

use clap::ArgMatches;
use ipd_catalogue::{Catalogue, Operation};
use serde_json::Value;

use super::{RESERVED, flag, type_name};
use crate::{Failure, printable};

/// A flag for a top-level field of a JSON object body.
#[derive(Clone)]
pub(super) struct BodyFlag {
    pub(super) flag: String,
    /// The field's name in the body.
    pub(super) field: String,
    /// Its JSON type (`string`, `integer`, `array of string`...).
    pub(super) kind: String,
    pub(super) required: bool,
    pub(super) description: String,
    /// The values a string field (or a string array's items) takes, if
    /// the spec lists them.
    pub(super) choices: Vec<String>,
    /// An object field's own fields, as `name (type)`.
    pub(super) members: Vec<String>,
}

/// The flags of `op`'s body fields: `--<field>`, or `--body-<field>` where
/// a common flag or a parameter has the name; a field whose name cannot be
/// a flag is set through `--body` only.
pub(super) fn body_flags(catalogue: &Catalogue, op: &Operation) -> Vec<BodyFlag> {
    let Some(body) = op.body.as_ref().filter(|b| b.is_json()) else {
        return Vec::new();
    };
    let mut taken: Vec<String> = (0..op.params.len()).filter_map(|i| flag(op, i)).collect();
    taken.extend(RESERVED.iter().map(|s| s.to_string()));
    let mut flags = Vec::new();
    for (field, kind, required, description, choices, members) in fields(catalogue, &body.schema) {
        let plain = field.replace('_', "-").to_ascii_lowercase();
        if !plain.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            continue;
        }
        let flag = [plain.clone(), format!("body-{plain}")]
            .into_iter()
            .find(|f| !taken.contains(f));
        let Some(flag) = flag else { continue };
        taken.push(flag.clone());
        flags.push(BodyFlag {
            flag,
            field,
            kind,
            required,
            description,
            choices,
            members,
        });
    }
    flags
}

/// A body's field: name, type, required, description, the values a string
/// (or string array) field takes where the spec lists them, and an object
/// field's own fields (`name (type)`).
pub(super) type FieldInfo = (String, String, bool, String, Vec<String>, Vec<String>);

/// The values of a string enum `schema` (or of its items, for an array).
fn choices(catalogue: &Catalogue, schema: &Value) -> Vec<String> {
    let mut resolved = catalogue.resolve(schema);
    for _ in 0..8 {
        match resolved
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .or_else(|| resolved.get("items").map(std::slice::from_ref))
        {
            Some([only]) => resolved = catalogue.resolve(only),
            _ => break,
        }
    }
    resolved
        .get("enum")
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The top-level fields of an object schema (through `allOf`).
pub(super) fn fields(catalogue: &Catalogue, schema: &Value) -> Vec<FieldInfo> {
    let schema = catalogue.resolve(schema);
    let mut out = Vec::new();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(fields(catalogue, part));
    }
    let required = ipd_catalogue::schema::required(schema);
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let description = catalogue
            .resolve(property)
            .get("description")
            .or_else(|| property.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let kind = type_name(catalogue, property);
        let members = if kind == "object" {
            fields(catalogue, property)
                .into_iter()
                .map(|(name, kind, ..)| format!("{name} ({kind})"))
                .collect()
        } else {
            Vec::new()
        };
        out.push((
            name.clone(),
            kind,
            required.contains(&name.as_str()),
            description,
            choices(catalogue, property),
            members,
        ));
    }
    out
}

/// The body from `--body`, with each body field flag set on it (a flag
/// wins over the same field in `--body`). Values are parsed by the field's
/// type: numbers and booleans as such, arrays and objects as JSON, the
/// rest as text.
pub(super) fn with_body_flags(
    op: &Operation,
    body: Option<Value>,
    matches: &ArgMatches,
) -> Result<Option<Value>, Failure> {
    let mut given = Vec::new();
    for body_flag in body_flags(Catalogue::bundled(), op) {
        let Some(texts) = matches.get_many::<String>(&body_flag.flag) else {
            continue;
        };
        let texts: Vec<&String> = texts.collect();
        let value = match body_flag.kind.strip_prefix("array of ") {
            Some(item) => parse_array(&body_flag, item, &texts)?,
            None => parse_field(&body_flag, texts.last().map_or("", |t| t.as_str()))?,
        };
        given.push((body_flag.field.clone(), value));
    }
    if given.is_empty() {
        return Ok(body);
    }
    let mut body = body.unwrap_or_else(|| Value::Object(Default::default()));
    let Some(members) = body.as_object_mut() else {
        return Err(Failure::usage(
            "body field flags need the --body to be a JSON object",
        ));
    };
    for (field, value) in given {
        members.insert(field, value);
    }
    Ok(Some(body))
}

/// An array field's flag, given once or more: each value a JSON array
/// (its items), or bare values separated by commas, each read as the item
/// type says. Items of a string array stay strings whatever they look
/// like: `--id 1100000000000000108` sends `["1100000000000000108"]`, not a
/// number that many JSON readers would round.
fn parse_array(body_flag: &BodyFlag, item: &str, texts: &[&String]) -> Result<Value, Failure> {
    let item_flag = BodyFlag {
        kind: item.to_string(),
        ..body_flag.clone()
    };
    let mut items = Vec::new();
    for text in texts {
        if text.trim_start().starts_with('[') {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Array(values)) => {
                    items.extend(values.into_iter().map(|v| match (item, v) {
                        // A number given for a string keeps its digits.
                        ("string", Value::Number(n)) => Value::String(n.to_string()),
                        (_, v) => v,
                    }));
                    continue;
                }
                _ => {
                    return Err(Failure::usage(format!(
                        "--{} takes values or a JSON array, not `{}`",
                        body_flag.flag,
                        printable(text)
                    )));
                }
            }
        }
        match item {
            "string" | "integer" | "number" | "boolean" => {
                for piece in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    items.push(parse_field(&item_flag, piece)?);
                }
            }
            // Objects and arrays of them: JSON, one item per value.
            _ => items.push(parse_field(&item_flag, text)?),
        }
    }
    Ok(Value::Array(items))
}

fn parse_field(body_flag: &BodyFlag, text: &str) -> Result<Value, Failure> {
    let bad = |what: &str| {
        Failure::usage(format!(
            "--{} takes {what}, not `{}`",
            body_flag.flag,
            printable(text)
        ))
    };
    match body_flag.kind.as_str() {
        // A listed value, as the spec spells it, matched ignoring case
        // (`bug` is `Bug`); anything else is refused with the list.
        "string" if !body_flag.choices.is_empty() => body_flag
            .choices
            .iter()
            .find(|c| c.eq_ignore_ascii_case(text.trim()))
            .map(|c| Value::String(c.clone()))
            .ok_or_else(|| bad(&format!("one of {}", body_flag.choices.join(", ")))),
        "string" => Ok(Value::String(text.to_string())),
        "integer" => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad("an integer")),
        "number" => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad("a number")),
        "boolean" => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad("true or false")),
        },
        // Arrays, objects and untyped fields: JSON; untyped text stays text.
        kind => match serde_json::from_str(text) {
            Ok(value) => Ok(value),
            Err(_) if kind == "any" => Ok(Value::String(text.to_string())),
            Err(_) => Err(bad("JSON")),
        },
    }
}

//! Reading OpenAPI 3.0 schemas as JSON: validating a value against one
//! (naming the first offending field) and synthesising a value that
//! satisfies one. The subset is what codegen accepts: `type`, `properties`,
//! `required`, `items`, `additionalProperties`, `enum`, `nullable`,
//! `allOf`/`oneOf`/`anyOf`, `format` (int32/int64 bounds), `minimum`/
//! `maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`, `example`,
//! and our `x-accept-digit-string`.

use std::fmt;

use serde_json::{Map, Value, json};

use crate::Catalogue;

/// Why a value does not satisfy its schema, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The offending field, as `body.items[0].title` or a parameter name.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.reason)
    }
}

/// The spec extension marking integers the service may send as digit
/// strings (`ipd_codegen::DIGIT_STRING_EXTENSION`; spelt out here so the
/// emulator does not depend on the code generator).
const DIGIT_STRING: &str = "x-accept-digit-string";

/// The spec extension marking arrays the service may send as their single
/// item (`ipd_codegen::ONE_OR_MANY_EXTENSION`).
const ONE_OR_MANY: &str = "x-one-or-many";

/// The spec extension marking `x-one-or-many` arrays that the official SDK
/// decodes as their single item (`ipd_codegen::SDK_READS_ONE_EXTENSION`).
const SDK_READS_ONE: &str = "x-sdk-reads-one";

/// Nesting beyond which synthesis stops adding optional members, so that
/// recursive schemas end.
const MAX_DEPTH: usize = 6;

fn fail(field: &str, reason: impl Into<String>) -> Result<(), Invalid> {
    Err(Invalid {
        field: field.to_string(),
        reason: reason.into(),
    })
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Which way a value travels: a request's string enums are closed (the
/// service refuses a value it does not list), an answer's open, as the
/// generated client reads them (a value it does not list is kept as
/// `Unknown`, never an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Enums {
    Closed,
    Open,
}

impl Catalogue {
    /// Checks a request's `value` against `schema`; `field` names the value
    /// in errors. A string enum takes only the values it lists.
    pub fn validate(&self, schema: &Value, value: &Value, field: &str) -> Result<(), Invalid> {
        self.check(schema, value, field, Enums::Closed)
    }

    /// Checks an answer's `value` against `schema`, as the generated
    /// client decodes it: a string enum takes any string.
    pub fn validate_answer(
        &self,
        schema: &Value,
        value: &Value,
        field: &str,
    ) -> Result<(), Invalid> {
        self.check(schema, value, field, Enums::Open)
    }

    fn check(
        &self,
        schema: &Value,
        value: &Value,
        field: &str,
        enums: Enums,
    ) -> Result<(), Invalid> {
        let schema = self.resolve(schema);
        if value.is_null() {
            return if schema.get("nullable").and_then(Value::as_bool) == Some(true)
                || is_unconstrained(schema)
            {
                Ok(())
            } else {
                fail(field, "must not be null")
            };
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.check(part, value, field, enums)?;
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(choices) = schema.get(key).and_then(Value::as_array) {
                let results: Vec<Result<(), Invalid>> = choices
                    .iter()
                    .map(|choice| self.check(choice, value, field, enums))
                    .collect();
                let matched = results.iter().filter(|r| r.is_ok()).count();
                if matched == 0 {
                    return results
                        .into_iter()
                        .find_map(Result::err)
                        .map_or(Ok(()), Err);
                }
                if key == "oneOf" && matched > 1 {
                    return fail(field, "matches more than one of its `oneOf` schemas");
                }
            }
        }
        if let Some(choices) = schema.get("enum").and_then(Value::as_array)
            && !choices.contains(value)
            && !(enums == Enums::Open && value.is_string() && choices.iter().all(Value::is_string))
        {
            let allowed: Vec<String> = choices.iter().map(Value::to_string).collect();
            return fail(
                field,
                format!("is {value}, which is not one of {}", allowed.join(", ")),
            );
        }
        let implied_object = ["properties", "required", "additionalProperties"]
            .iter()
            .any(|k| schema.get(k).is_some());
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => self.validate_object(schema, value, field, enums),
            None if implied_object => self.validate_object(schema, value, field, enums),
            Some("array") => self.validate_array(schema, value, field, enums),
            Some("string") => validate_string(schema, value, field),
            Some("integer") => validate_integer(schema, value, field),
            Some("number") if value.is_number() => Ok(()),
            Some("number") => fail(field, format!("must be a number, not {}", type_of(value))),
            Some("boolean") if value.is_boolean() => Ok(()),
            Some("boolean") => fail(field, format!("must be a boolean, not {}", type_of(value))),
            _ => Ok(()),
        }
    }

    fn validate_object(
        &self,
        schema: &Value,
        value: &Value,
        field: &str,
        enums: Enums,
    ) -> Result<(), Invalid> {
        let Some(object) = value.as_object() else {
            return fail(field, format!("must be an object, not {}", type_of(value)));
        };
        if let Some(name) = required(schema)
            .into_iter()
            .find(|n| !object.contains_key(*n))
        {
            return fail(&format!("{field}.{name}"), "is required");
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties").filter(|a| a.is_object());
        for (name, member) in object {
            let at = format!("{field}.{name}");
            match (properties.and_then(|p| p.get(name)), additional) {
                (Some(property), _) | (None, Some(property)) => {
                    self.check(property, member, &at, enums)?
                }
                // Unknown members are allowed, as OpenAPI 3.0 allows them.
                (None, None) => {}
            }
        }
        Ok(())
    }

    fn validate_array(
        &self,
        schema: &Value,
        value: &Value,
        field: &str,
        enums: Enums,
    ) -> Result<(), Invalid> {
        if !value.is_array() && schema.get(ONE_OR_MANY).and_then(Value::as_bool) == Some(true) {
            let item_schema = schema.get("items").unwrap_or(&Value::Null);
            return self.check(item_schema, value, field, enums);
        }
        let Some(items) = value.as_array() else {
            return fail(field, format!("must be an array, not {}", type_of(value)));
        };
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            return fail(field, format!("must have at least {min} items"));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && items.len() as u64 > max
        {
            return fail(field, format!("must have at most {max} items"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &format!("{field}[{i}]"), enums)?;
            }
        }
        Ok(())
    }

    /// A value satisfying `schema`: its example if it has one, else built
    /// from its type with every property filled in (to a depth).
    pub fn synthesize(&self, schema: &Value) -> Value {
        self.synthesize_at(schema, 0)
    }

    fn synthesize_at(&self, schema: &Value, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if let Some(example) = schema.get("example") {
            return example.clone();
        }
        if let Some(first) = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return first.clone();
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            return self.synthesize_all_of(parts, depth);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(first) = schema
                .get(key)
                .and_then(Value::as_array)
                .and_then(|c| c.first())
            {
                return self.synthesize_at(first, depth);
            }
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => self.synthesize_object(schema, depth),
            Some("array") => {
                let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                let count = if depth >= MAX_DEPTH { min } else { min.max(1) };
                let item = schema.get("items").cloned().unwrap_or(Value::Null);
                Value::Array(
                    (0..count)
                        .map(|_| self.synthesize_at(&item, depth + 1))
                        .collect(),
                )
            }
            Some("string") => {
                let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
                let max = schema
                    .get("maxLength")
                    .and_then(Value::as_u64)
                    .unwrap_or(u64::MAX);
                let mut text = String::from("emulated");
                while (text.len() as u64) < min {
                    text.push('x');
                }
                text.truncate(max.min(text.len() as u64) as usize);
                Value::String(text)
            }
            Some("integer") => json!(integer_sample(schema)),
            Some("number") => json!(integer_sample(schema) as f64),
            Some("boolean") => json!(true),
            _ => Value::Null,
        }
    }

    /// `value` (valid for `schema`) in the shape the official SDK decodes:
    /// a list of one item where the SDK reads one item
    /// (`x-sdk-reads-one`) becomes that item, at any depth.
    pub fn shape_for_sdk(&self, schema: &Value, value: Value) -> Value {
        self.shape_at(schema, value, 0)
    }

    fn shape_at(&self, schema: &Value, value: Value, depth: usize) -> Value {
        if depth > 64 {
            return value;
        }
        let schema = self.resolve(schema);
        if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            return self.shape_at(only, value, depth + 1);
        }
        match value {
            Value::Object(mut members) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                for (name, member) in members.iter_mut() {
                    if let Some(property) = properties.and_then(|p| p.get(name)) {
                        *member = self.shape_at(property, member.take(), depth + 1);
                    }
                }
                Value::Object(members)
            }
            Value::Array(items) => {
                let item_schema = schema.get("items").unwrap_or(&Value::Null);
                let mut items: Vec<Value> = items
                    .into_iter()
                    .map(|item| self.shape_at(item_schema, item, depth + 1))
                    .collect();
                if items.len() == 1 && schema.get(SDK_READS_ONE) == Some(&Value::Bool(true)) {
                    items.pop().unwrap_or_default()
                } else {
                    Value::Array(items)
                }
            }
            other => other,
        }
    }

    /// `value` in the shape the generated client's models give it, so that
    /// generic and typed output agree: integers the service sends as digit
    /// strings become numbers, members the schema does not declare are
    /// dropped, and so are optional members that are null.
    pub fn normalise(&self, schema: &Value, value: &Value) -> Value {
        let schema = self.resolve(schema);
        if let Some(only) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .filter(|parts| parts.len() == 1)
        {
            return self.normalise(&only[0], value);
        }
        match (schema.get("type").and_then(Value::as_str), value) {
            (Some("object"), Value::Object(members)) => self.normalise_object(schema, members),
            (Some("array"), Value::Array(items)) => {
                let item_schema = schema.get("items").unwrap_or(&Value::Null);
                Value::Array(
                    items
                        .iter()
                        .map(|item| self.normalise(item_schema, item))
                        .collect(),
                )
            }
            (Some("array"), single)
                if !single.is_null()
                    && schema.get(ONE_OR_MANY).and_then(Value::as_bool) == Some(true) =>
            {
                self.normalise(schema.get("items").unwrap_or(&Value::Null), single)
            }
            (Some("integer"), Value::String(text))
                if schema.get(DIGIT_STRING).and_then(Value::as_bool) == Some(true) =>
            {
                digit_string(text)
                    .and_then(|n| i64::try_from(n).ok())
                    .map_or_else(|| value.clone(), Value::from)
            }
            _ => value.clone(),
        }
    }

    fn normalise_object(&self, schema: &Value, members: &Map<String, Value>) -> Value {
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties").filter(|a| a.is_object());
        if properties.is_none() && additional.is_none() {
            return Value::Object(members.clone());
        }
        let required = required(schema);
        let mut out = Map::new();
        for (name, member) in members {
            let Some(property) = properties.and_then(|p| p.get(name)).or(additional) else {
                continue;
            };
            if member.is_null() && !required.contains(&name.as_str()) {
                continue;
            }
            out.insert(name.clone(), self.normalise(property, member));
        }
        Value::Object(out)
    }

    fn synthesize_all_of(&self, parts: &[Value], depth: usize) -> Value {
        let mut merged = Map::new();
        for part in parts {
            match self.synthesize_at(part, depth) {
                Value::Object(members) => merged.extend(members),
                other if parts.len() == 1 => return other,
                _ => {}
            }
        }
        Value::Object(merged)
    }

    fn synthesize_object(&self, schema: &Value, depth: usize) -> Value {
        let required = required(schema);
        let mut object = Map::new();
        for (name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if depth < MAX_DEPTH || required.contains(&name.as_str()) {
                object.insert(name.clone(), self.synthesize_at(property, depth + 1));
            }
        }
        // A map gets one entry, so that what it holds is exercised too.
        match schema.get("additionalProperties") {
            Some(Value::Bool(true)) if depth < MAX_DEPTH => {
                object.insert("key".into(), Value::from("emulated"));
            }
            Some(values @ Value::Object(_)) if depth < MAX_DEPTH => {
                object.insert("key".into(), self.synthesize_at(values, depth + 1));
            }
            _ => {}
        }
        Value::Object(object)
    }
}

/// The names an object schema requires (`required`), in its order.
pub fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// A schema that says nothing about its values (so null is one of them).
fn is_unconstrained(schema: &Value) -> bool {
    ["type", "enum", "allOf", "oneOf", "anyOf", "properties"]
        .iter()
        .all(|k| schema.get(k).is_none())
}

fn validate_string(schema: &Value, value: &Value, field: &str) -> Result<(), Invalid> {
    let Some(text) = value.as_str() else {
        return fail(field, format!("must be a string, not {}", type_of(value)));
    };
    let length = text.chars().count() as u64;
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && length < min
    {
        return fail(field, format!("must be at least {min} characters long"));
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
        && length > max
    {
        return fail(field, format!("must be at most {max} characters long"));
    }
    Ok(())
}

fn validate_integer(schema: &Value, value: &Value, field: &str) -> Result<(), Invalid> {
    let digit_string = schema.get(DIGIT_STRING).and_then(Value::as_bool) == Some(true);
    let number = match value {
        Value::Number(n) => n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)),
        Value::String(s) if digit_string => self::digit_string(s),
        _ => None,
    };
    let Some(number) = number else {
        return fail(
            field,
            format!("must be an integer, not {}", describe(value)),
        );
    };
    // The generated models hold integers as i32 (int32) or i64.
    let (low, high) = match schema.get("format").and_then(Value::as_str) {
        Some("int32") => (i128::from(i32::MIN), i128::from(i32::MAX)),
        _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
    };
    let low = schema
        .get("minimum")
        .and_then(Value::as_i64)
        .map_or(low, |m| low.max(m.into()));
    let high = schema
        .get("maximum")
        .and_then(Value::as_i64)
        .map_or(high, |m| high.min(m.into()));
    if number < low || number > high {
        return fail(field, format!("is {number}, outside {low}..={high}"));
    }
    Ok(())
}

/// A digit string as `LenientInt` reads one: an optional `-`, then ASCII
/// digits only.
fn digit_string(text: &str) -> Option<i128> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn describe(value: &Value) -> String {
    match value {
        Value::Number(n) => format!("{n}"),
        other => type_of(other).to_string(),
    }
}

fn integer_sample(schema: &Value) -> i64 {
    let min = schema.get("minimum").and_then(Value::as_i64);
    let max = schema.get("maximum").and_then(Value::as_i64);
    match (min, max) {
        (Some(min), _) if min > 1 => min,
        (_, Some(max)) if max < 1 => max,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::of_document(
            serde_json::from_str(
                r##"{"paths": {}, "components": {"schemas": {
                "Item": {"type": "object", "required": ["title"], "properties": {
                    "title": {"type": "string", "maxLength": 3},
                    "count": {"type": "integer", "format": "int32", "x-accept-digit-string": true},
                    "kind": {"type": "string", "enum": ["a", "b"]},
                    "next": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/Item"}]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "children": {"type": "object", "nullable": true,
                                 "additionalProperties": {"$ref": "#/components/schemas/Item"}},
                    "either": {"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 1}]}
                }}
            }}}"##,
            )
            .unwrap(),
        )
    }

    fn check(value: Value) -> Result<(), Invalid> {
        catalogue().validate(
            &json!({"$ref": "#/components/schemas/Item"}),
            &value,
            "body",
        )
    }

    #[test]
    fn names_the_offending_field() {
        assert_eq!(check(json!({"title": "abc", "count": "12"})), Ok(()));
        let field = |v| check(v).unwrap_err().field;
        assert_eq!(field(json!({})), "body.title");
        assert_eq!(field(json!({"title": 1})), "body.title");
        assert_eq!(field(json!({"title": "abcd"})), "body.title");
        assert_eq!(field(json!({"title": "a", "count": 1.5})), "body.count");
        assert_eq!(
            field(json!({"title": "a", "count": 3_000_000_000u64})),
            "body.count"
        );
        assert_eq!(field(json!({"title": "a", "kind": "c"})), "body.kind");
        assert_eq!(
            field(json!({"title": "a", "tags": ["x", 2]})),
            "body.tags[1]"
        );
        assert_eq!(
            field(json!({"title": "a", "next": {"title": 5}})),
            "body.next.title"
        );
        assert_eq!(check(json!({"title": "a", "next": null})), Ok(()));
        assert_eq!(field(json!({"title": "a", "tags": null})), "body.tags");
        assert_eq!(field(json!({"title": "a", "count": "+3"})), "body.count");
        assert_eq!(
            field(json!({"title": "a", "count": u64::MAX})),
            "body.count"
        );
        assert_eq!(
            field(json!({"title": "a", "children": {"k": {}}})),
            "body.children.k.title"
        );
        assert_eq!(check(json!({"title": "a", "either": "long"})), Ok(()));
        assert_eq!(field(json!({"title": "a", "either": "x"})), "body.either");
    }

    #[test]
    fn answers_read_string_enums_as_open_and_requests_as_closed() {
        let catalogue = catalogue();
        let value = json!({"title": "a", "kind": "newer"});
        let item = json!({"$ref": "#/components/schemas/Item"});
        let refused = catalogue.validate(&item, &value, "body").unwrap_err();
        assert_eq!(refused.field, "body.kind");
        assert_eq!(catalogue.validate_answer(&item, &value, "response"), Ok(()));
        // Open means any string, not any type.
        let wrong = json!({"title": "a", "kind": 3});
        assert_eq!(
            catalogue
                .validate_answer(&item, &wrong, "response")
                .unwrap_err()
                .field,
            "response.kind"
        );
    }

    #[test]
    fn a_list_the_sdk_reads_as_one_is_answered_as_its_item() {
        let catalogue = catalogue();
        let schema = json!({"type": "object", "properties": {"result": {
            "type": "array", "x-one-or-many": true, "x-sdk-reads-one": true,
            "items": {"$ref": "#/components/schemas/Item"}}}});
        let one = json!({"result": [{"title": "a"}]});
        assert_eq!(
            catalogue.shape_for_sdk(&schema, one),
            json!({"result": {"title": "a"}})
        );
        // Two items cannot be one: the list stays.
        let two = json!({"result": [{"title": "a"}, {"title": "b"}]});
        assert_eq!(catalogue.shape_for_sdk(&schema, two.clone()), two);
        let plain = json!({"type": "array", "x-one-or-many": true, "items": {"type": "string"}});
        assert_eq!(catalogue.shape_for_sdk(&plain, json!(["a"])), json!(["a"]));
    }

    #[test]
    fn a_one_or_many_array_also_takes_its_single_item() {
        let catalogue = catalogue();
        let schema = json!({"type": "array", "x-one-or-many": true, "items": {"type": "string"}});
        assert!(catalogue.validate(&schema, &json!(["a"]), "f").is_ok());
        assert!(catalogue.validate(&schema, &json!("a"), "f").is_ok());
        assert_eq!(
            catalogue
                .validate(&schema, &json!(7), "f")
                .unwrap_err()
                .field,
            "f"
        );
        let plain = json!({"type": "array", "items": {"type": "string"}});
        assert!(catalogue.validate(&plain, &json!("a"), "f").is_err());
    }

    #[test]
    fn normalising_gives_the_models_shape() {
        let c = catalogue();
        let schema = json!({"$ref": "#/components/schemas/Item"});
        let raw = json!({"title": "a", "count": "12", "kind": null, "extra": 1,
                         "next": {"title": "b", "count": "+3"},
                         "children": {"k": {"title": "c", "count": "-4", "extra": 2}}});
        assert_eq!(
            c.normalise(&schema, &raw),
            json!({"title": "a", "count": 12, "next": {"title": "b", "count": "+3"},
                   "children": {"k": {"title": "c", "count": -4}}})
        );
    }

    #[test]
    fn synthesised_values_are_valid_and_finite() {
        let c = catalogue();
        let schema = json!({"$ref": "#/components/schemas/Item"});
        let value = c.synthesize(&schema);
        assert_eq!(c.validate(&schema, &value, "body"), Ok(()));
        assert!(value["next"]["next"].is_object(), "{value}");
    }
}

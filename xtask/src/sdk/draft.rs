//! An SDK operation as a draft of the spec, in the spec's conventions:
//! the SDK's model names, `<Op>ResponseBody` for response bodies, request
//! models with their required fields, response models lenient (every
//! field optional and nullable, integers that may arrive as digit
//! strings). The same drafts are what the audit compares with the spec.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::metadata::{Metadata, Operation};

/// Which side of a call a model is on: request models keep their required
/// fields; response models are lenient.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// A type string of the SDK, parsed.
#[derive(Debug, PartialEq)]
enum SdkType<'a> {
    Scalar(&'a str),
    List(Box<SdkType<'a>>),
    Map(Box<SdkType<'a>>),
    Model(&'a str),
}

/// Parses `list[dict(str, Foo)]` and the like; `None` for anything else,
/// so a new spelling is reported rather than guessed.
fn parse(ty: &str) -> Option<SdkType<'_>> {
    let ty = ty.trim();
    if let Some(inner) = ty.strip_prefix("list[").and_then(|t| t.strip_suffix(']')) {
        return Some(SdkType::List(Box::new(parse(inner)?)));
    }
    if let Some(inner) = ty.strip_prefix("dict(").and_then(|t| t.strip_suffix(')')) {
        let (key, value) = inner.split_once(',')?;
        if key.trim() != "str" {
            return None;
        }
        return Some(SdkType::Map(Box::new(parse(value)?)));
    }
    match ty {
        "str" | "int" | "float" | "bool" | "object" | "datetime" | "file" => {
            Some(SdkType::Scalar(ty))
        }
        _ if ty.starts_with(|c: char| c.is_ascii_uppercase())
            && ty.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Some(SdkType::Model(ty))
        }
        _ => None,
    }
}

/// The draft's schema of an SDK type; models are `$ref`s, collected in
/// `models`.
fn schema(ty: &SdkType<'_>, side: Side, models: &mut BTreeSet<String>) -> Value {
    match ty {
        SdkType::Scalar("str") => json!({ "type": "string" }),
        SdkType::Scalar("int") if side == Side::Response => {
            json!({ "type": "integer", "x-accept-digit-string": true })
        }
        SdkType::Scalar("int") => json!({ "type": "integer" }),
        SdkType::Scalar("float") => json!({ "type": "number" }),
        SdkType::Scalar("bool") => json!({ "type": "boolean" }),
        SdkType::Scalar("datetime") => json!({ "type": "string", "format": "date-time" }),
        SdkType::Scalar("file") => json!({ "type": "string", "format": "binary" }),
        SdkType::Scalar(_) => json!({ "type": "object" }),
        SdkType::List(items) => json!({ "type": "array", "items": schema(items, side, models) }),
        SdkType::Map(values) => {
            json!({ "type": "object", "additionalProperties": schema(values, side, models) })
        }
        SdkType::Model(name) => {
            models.insert((*name).to_string());
            json!({ "$ref": format!("#/components/schemas/{name}") })
        }
    }
}

/// A field's schema with its description; a `$ref` goes inside an `allOf`,
/// as the spec writes it, so that it can have siblings.
fn field(
    ty: &str,
    description: &str,
    side: Side,
    models: &mut BTreeSet<String>,
    notes: &mut Vec<String>,
) -> Value {
    let Some(parsed) = parse(ty) else {
        notes.push(format!(
            "the SDK's type `{ty}` is not one the importer knows: left free-form"
        ));
        return json!({ "description": description });
    };
    let mut inner = schema(&parsed, side, models);
    let mut out = Map::new();
    if !description.is_empty() {
        out.insert("description".into(), json!(description));
    }
    if let Some(reference) = inner.get("$ref").cloned() {
        inner = json!({ "allOf": [{ "$ref": reference }] });
    }
    if let Value::Object(keywords) = inner {
        out.extend(keywords);
    }
    if side == Side::Response {
        out.insert("nullable".into(), json!(true));
    }
    Value::Object(out)
}

/// The components a draft defines, each once, with the side it was first
/// reached from.
struct Models<'a> {
    metadata: &'a Metadata,
    schemas: Map<String, Value>,
    notes: Vec<String>,
}

impl Models<'_> {
    /// Defines `names` and every model they reach.
    fn define(&mut self, names: BTreeSet<String>, side: Side) {
        let mut todo: Vec<String> = names.into_iter().collect();
        while let Some(name) = todo.pop() {
            if self.schemas.contains_key(&name) {
                continue;
            }
            let Some(model) = self.metadata.models.get(&name) else {
                self.notes
                    .push(format!("model {name} is not in the SDK's metadata"));
                self.schemas.insert(
                    name.clone(),
                    json!({ "type": "object", "x-import-missing": true }),
                );
                continue;
            };
            let mut reached = BTreeSet::new();
            let properties: Map<String, Value> = model
                .fields
                .iter()
                .map(|f| {
                    let schema = field(&f.ty, &f.description, side, &mut reached, &mut self.notes);
                    (f.json.clone(), schema)
                })
                .collect();
            let mut schema = Map::new();
            schema.insert("type".into(), json!("object"));
            let required: Vec<&str> = model
                .fields
                .iter()
                .filter(|f| f.required && side == Side::Request)
                .map(|f| f.json.as_str())
                .collect();
            if !required.is_empty() {
                schema.insert("required".into(), json!(required));
            }
            schema.insert("properties".into(), Value::Object(properties));
            self.schemas.insert(name, Value::Object(schema));
            todo.extend(reached);
        }
    }
}

/// The SDK's response class as what the body holds: a class with one
/// attribute `body` stands for the whole body (a top-level array or
/// string), else its fields are the body's.
fn whole_body<'a>(metadata: &'a Metadata, op: &Operation) -> Option<&'a str> {
    match metadata.models.get(&op.response.ty)?.fields.as_slice() {
        [only] if only.json == "body" => Some(only.ty.as_str()),
        _ => None,
    }
}

/// The path item entry of `op`; the models it reaches are added to `models`.
fn operation(op: &Operation, models: &mut Models<'_>) -> Value {
    let metadata = models.metadata;
    let mut out = Map::new();
    out.insert("operationId".into(), json!(op.name));
    out.insert("summary".into(), json!(op.summary));
    if !op.description.is_empty() {
        out.insert("description".into(), json!(op.description));
    }
    let mut request_models = BTreeSet::new();
    let mut notes = Vec::new();
    let parameters: Vec<Value> = op
        .parameters
        .iter()
        .map(|p| {
            let mut schema = field(&p.ty, "", Side::Request, &mut request_models, &mut notes);
            if let Some(s) = schema.as_object_mut() {
                s.remove("description");
            }
            let mut param = Map::new();
            param.insert("name".into(), json!(p.name));
            param.insert("in".into(), json!(p.location));
            param.insert("required".into(), json!(p.location == "path" || p.required));
            if !p.description.is_empty() {
                param.insert("description".into(), json!(p.description));
            }
            param.insert("schema".into(), schema);
            Value::Object(param)
        })
        .collect();
    if !parameters.is_empty() {
        out.insert("parameters".into(), Value::Array(parameters));
    }
    let media = op
        .content_type
        .clone()
        .unwrap_or_else(|| "application/json".into());
    if !op.form.is_empty() {
        let properties: Map<String, Value> = op
            .form
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    field(
                        &f.ty,
                        &f.description,
                        Side::Request,
                        &mut request_models,
                        &mut notes,
                    ),
                )
            })
            .collect();
        let required: Vec<&str> = op
            .form
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name.as_str())
            .collect();
        out.insert(
            "requestBody".into(),
            json!({ "required": !required.is_empty(), "content": { media: { "schema": {
                "type": "object", "required": required, "properties": properties } } } }),
        );
    } else if let Some(body) = &op.body {
        let schema = match parse(&body.ty) {
            Some(parsed) => schema(&parsed, Side::Request, &mut request_models),
            None => {
                notes.push(format!(
                    "the SDK's body type `{}` is not one the importer knows",
                    body.ty
                ));
                json!({})
            }
        };
        // The SDK makes no body required; a body whose model requires a
        // field is.
        let required = match parse(&body.ty) {
            Some(SdkType::Model(name)) => metadata
                .models
                .get(name)
                .is_some_and(|m| m.fields.iter().any(|f| f.required)),
            _ => true,
        };
        out.insert(
            "requestBody".into(),
            json!({ "required": required, "content": { media: { "schema": schema } } }),
        );
    }
    let mut response_models = BTreeSet::new();
    let success = if op.response.stream {
        json!({ "description": "The file's bytes.", "content": { "application/octet-stream": {
            "schema": { "type": "string", "format": "binary" } } } })
    } else if let Some(ty) = whole_body(metadata, op) {
        let schema = field(ty, "", Side::Response, &mut response_models, &mut notes);
        json!({ "description": "Success.", "content": { "application/json": { "schema": schema } } })
    } else if metadata
        .models
        .get(&op.response.ty)
        .is_some_and(|m| m.fields.is_empty())
    {
        json!({ "description": "Success (no body)." })
    } else {
        let name = format!("{}ResponseBody", op.name);
        let fields = &metadata.models[&op.response.ty].fields;
        let properties: Map<String, Value> = fields
            .iter()
            .map(|f| {
                (
                    f.json.clone(),
                    field(
                        &f.ty,
                        &f.description,
                        Side::Response,
                        &mut response_models,
                        &mut notes,
                    ),
                )
            })
            .collect();
        models.schemas.insert(
            name.clone(),
            json!({ "type": "object", "properties": properties }),
        );
        json!({ "description": "Success.", "content": { "application/json": {
            "schema": { "$ref": format!("#/components/schemas/{name}") } } } })
    };
    out.insert("responses".into(), json!({ "200": success }));
    models.define(request_models, Side::Request);
    models.define(response_models, Side::Response);
    notes.extend(std::mem::take(&mut models.notes));
    if !notes.is_empty() {
        notes.sort();
        notes.dedup();
        let notes: Vec<String> = notes
            .into_iter()
            .map(|n| format!("{}: {n}", op.name))
            .collect();
        out.insert("x-import-notes".into(), json!(notes));
    }
    Value::Object(out)
}

/// One OpenAPI 3.0.3 document with `ops` and the models they reach.
pub fn draft(metadata: &Metadata, ops: &[&Operation]) -> Value {
    let mut models = Models {
        metadata,
        schemas: Map::new(),
        notes: Vec::new(),
    };
    let mut paths = Map::new();
    for op in ops {
        let entry = operation(op, &mut models);
        let item = paths.entry(op.path.clone()).or_insert_with(|| json!({}));
        item[op.method.to_ascii_lowercase()] = entry;
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": format!("Draft from the official SDK, {} {}", metadata.package, metadata.version),
            "version": "0.0.0",
        },
        "paths": paths,
        "components": { "schemas": models.schemas },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_strings_parse_or_are_refused() {
        assert_eq!(parse("str"), Some(SdkType::Scalar("str")));
        assert_eq!(
            parse("dict(str, list[Foo])"),
            Some(SdkType::Map(Box::new(SdkType::List(Box::new(
                SdkType::Model("Foo")
            )))))
        );
        assert!(parse("list[list[str]]").is_some());
        for bad in ["dict(int, str)", "list[str", "Foo Bar", "", "tuple[str]"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}

//! Pages, read (`super::read`), as an OpenAPI 3.0.3 draft in the spec's
//! conventions.
//!
//! The conventions (README, "The spec"): response models describe what the
//! service sends, so none of their properties is required and every one is
//! `nullable`; their integers are `x-accept-digit-string`. Request bodies
//! keep the page's "Mandatory" as `required`. Regular expressions stay in
//! the description (the toolchain does not check `pattern`). The
//! `X-Auth-Token` header is the runtime's (the `iamToken` security scheme),
//! not a parameter.

use serde_json::{Map, Value, json};

use super::describe::describe;
use super::read::{Field, Import};

/// Which side of the wire a schema is on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// The JSON type of a Type cell, and its schema (refs by name).
/// How deep a Type cell's types may nest (`Array of Map<String, ...>`):
/// more is no type a page means, and reading it must stay linear.
const MAX_TYPE_DEPTH: usize = 16;

fn schema_of(ty: &str, side: Side, notes: &mut Vec<String>) -> (String, Value) {
    schema_at(ty, side, notes, 0)
}

fn schema_at(ty: &str, side: Side, notes: &mut Vec<String>, depth: usize) -> (String, Value) {
    let t = ty.trim();
    if depth > MAX_TYPE_DEPTH {
        notes.push(format!(
            "a type nested more than {MAX_TYPE_DEPTH} deep: left free-form"
        ));
        return ("object".into(), json!({}));
    }
    let integer = |format: &str| {
        let mut s = json!({ "type": "integer", "format": format });
        if side == Side::Response {
            s["x-accept-digit-string"] = json!(true);
        }
        s
    };
    let scalar = |name: &str| -> Option<Value> {
        Some(match name {
            "String" | "string" | "strings" => json!({ "type": "string" }),
            "Integer" | "Int" | "Short" | "integer" | "integers" => integer("int32"),
            "Long" | "long" | "longs" | "Longs" => integer("int64"),
            "Number" | "Double" | "Float" | "BigDecimal" | "numbers" => json!({ "type": "number" }),
            "Boolean" | "booleans" => json!({ "type": "boolean" }),
            "File" => json!({ "type": "string", "format": "binary" }),
            "Object" => json!({ "type": "object" }),
            _ => return None,
        })
    };
    if let Some(s) = scalar(t) {
        let kind = s["type"].as_str().unwrap_or_default().to_string();
        return (kind, s);
    }
    if let Some(rest) = t.strip_prefix("Array of ") {
        let inner = rest
            .trim_end_matches(" objects")
            .trim_end_matches(" object");
        let (_, items) = schema_at(
            &match inner {
                "strings" => "String".into(),
                "integers" => "Integer".into(),
                _ if inner.starts_with("Map<") => inner.to_string(),
                _ if scalar(inner).is_some() => inner.to_string(),
                _ => format!("{inner} object"),
            },
            side,
            notes,
            depth + 1,
        );
        return ("array".into(), json!({ "type": "array", "items": items }));
    }
    if let Some(map) = t.strip_prefix("Map<") {
        let value = map
            .trim_end_matches('>')
            .split_once(',')
            .map(|(_, v)| v.trim())
            .unwrap_or("");
        if value.is_empty() {
            notes.push(format!("`{t}` names no value type: a map of any values"));
            return (
                "object".into(),
                json!({ "type": "object", "additionalProperties": {} }),
            );
        }
        let (_, values) = schema_at(
            &(if scalar(value).is_some() {
                value.to_string()
            } else {
                format!("{value} object")
            }),
            side,
            notes,
            depth + 1,
        );
        return (
            "object".into(),
            json!({ "type": "object", "additionalProperties": values }),
        );
    }
    if let Some(name) = t.strip_suffix(" object") {
        return (
            "object".into(),
            json!({ "$ref": format!("#/components/schemas/{name}") }),
        );
    }
    notes.push(format!(
        "type `{t}` is not one the importer knows: left free-form"
    ));
    ("object".into(), json!({}))
}

/// A field's schema, with its description and keywords, in the side's
/// conventions.
fn field_schema(field: &Field, side: Side, import_notes: &mut Vec<String>) -> Value {
    let mut notes = Vec::new();
    let (kind, mut schema) = schema_of(&field.ty, side, &mut notes);
    for n in notes {
        import_notes.push(format!("{}: {}", field.line, n));
    }
    let described = describe(&field.cell, &kind);
    let mut out = Map::new();
    if !described.text.is_empty() {
        out.insert("description".into(), json!(described.text));
    }
    // A $ref takes no siblings in 3.0: nullable and description go beside
    // an allOf, as the spec writes them.
    if let Some(reference) = schema.get("$ref").cloned() {
        if side == Side::Response {
            out.insert("nullable".into(), json!(true));
        }
        out.insert("allOf".into(), json!([{ "$ref": reference }]));
        return Value::Object(out);
    }
    if let Value::Object(s) = &mut schema {
        for (k, v) in s.iter() {
            out.insert(k.clone(), v.clone());
        }
    }
    if side == Side::Response {
        out.insert("nullable".into(), json!(true));
    }
    for (k, v) in described.keywords {
        out.insert(k, v);
    }
    Value::Object(out)
}

fn object_schema(
    fields: &[Field],
    side: Side,
    description: Option<&str>,
    notes: &mut Vec<String>,
) -> Value {
    let mut out = Map::new();
    if let Some(d) = description {
        out.insert("description".into(), json!(d));
    }
    out.insert("type".into(), json!("object"));
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required && side == Side::Request)
        .map(|f| f.name.as_str())
        .collect();
    if !required.is_empty() {
        out.insert("required".into(), json!(required));
    }
    let mut properties = Map::new();
    for f in fields {
        if properties.contains_key(&f.name) {
            notes.push(format!(
                "{}: `{}` is listed twice; the first is kept",
                f.line, f.name
            ));
            continue;
        }
        properties.insert(f.name.clone(), field_schema(f, side, notes));
    }
    out.insert("properties".into(), Value::Object(properties));
    Value::Object(out)
}

/// The operation's part of the draft: its path item entry, the models it
/// defines, and its notes.
fn operation(
    import: &Import,
    schemas: &mut Map<String, Value>,
    conflicts: &mut Vec<String>,
) -> Value {
    let mut notes: Vec<String> = Vec::new();
    let mut op = Map::new();
    op.insert("operationId".into(), json!(import.operation_id));
    if let Some(group) = &import.group {
        op.insert("tags".into(), json!([group]));
    }
    op.insert("summary".into(), json!(import.title));
    if !import.function.is_empty() {
        op.insert("description".into(), json!(import.function));
    }
    let mut parameters = Vec::new();
    for (location, fields) in [
        ("path", &import.path_params),
        ("query", &import.query_params),
    ] {
        for f in fields {
            let mut schema = field_schema(f, Side::Request, &mut notes);
            let description = schema.as_object_mut().and_then(|s| s.remove("description"));
            let mut p = Map::new();
            p.insert("name".into(), json!(f.name));
            p.insert("in".into(), json!(location));
            p.insert("required".into(), json!(location == "path" || f.required));
            if let Some(d) = description {
                p.insert("description".into(), d);
            }
            p.insert("schema".into(), schema);
            parameters.push(Value::Object(p));
        }
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some((fields, form)) = &import.body {
        let mut schema = object_schema(fields, Side::Request, None, &mut notes);
        if import.body_cut {
            schema["x-import-cut"] = json!(true);
        }
        let media = if *form {
            "multipart/form-data"
        } else {
            "application/json"
        };
        let name = format!("{}RequestBody", import.operation_id);
        let mut content = Map::new();
        if !*form {
            define(schemas, &name, schema, import, conflicts);
            schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        }
        let mut media_type = json!({ "schema": schema });
        if let Some(example) = &import.body_example {
            media_type["example"] = example.clone();
        }
        content.insert(media.into(), media_type);
        op.insert(
            "requestBody".into(),
            json!({ "required": fields.iter().any(|f| f.required), "content": content }),
        );
    }
    let mut responses = Map::new();
    for r in &import.responses {
        let mut out = Map::new();
        let description = if r.description.is_empty() {
            "No description on the page."
        } else {
            &r.description
        };
        out.insert("description".into(), json!(description));
        let fields = r.fields.as_deref().unwrap_or_default();
        if let [only] = fields
            && only.ty == "File"
        {
            out.insert(
                "content".into(),
                json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } }),
            );
        } else if !fields.is_empty() {
            let error = fields
                .iter()
                .all(|f| f.name == "error_code" || f.name == "error_msg");
            let name = if error {
                "ErrorResponseBody".to_string()
            } else if r.status < 300 {
                format!("{}ResponseBody", import.operation_id)
            } else {
                format!("{}Response{}Body", import.operation_id, r.status)
            };
            let mut schema = object_schema(fields, Side::Response, None, &mut notes);
            if r.cut {
                schema["x-import-cut"] = json!(true);
            }
            define(schemas, &name, schema, import, conflicts);
            let mut media = json!({ "schema": { "$ref": format!("#/components/schemas/{name}") } });
            if let Some(example) = &r.example {
                media["example"] = example.clone();
            }
            out.insert("content".into(), json!({ "application/json": media }));
        }
        responses.insert(r.status.to_string(), Value::Object(out));
    }
    if responses.is_empty() {
        responses.insert(
            "200".into(),
            json!({ "description": "No response is documented on the page." }),
        );
    }
    op.insert("responses".into(), Value::Object(responses));
    for model in &import.models {
        let side = if model.request {
            Side::Request
        } else {
            Side::Response
        };
        let mut schema = object_schema(&model.fields, side, None, &mut notes);
        if model.cut {
            schema["x-import-cut"] = json!(true);
        }
        define(schemas, &model.name, schema, import, conflicts);
    }
    // Models referenced without a table.
    let mut missing = Vec::new();
    let mut seen = std::collections::HashSet::new();
    collect_refs_into(&Value::Object(op.clone()), &mut missing, &mut seen);
    for schema in schemas.values() {
        collect_refs_into(schema, &mut missing, &mut seen);
    }
    for name in missing {
        if !schemas.contains_key(&name) {
            schemas.insert(
                name.clone(),
                json!({
                    "description": format!("{name}: its table is not on the imported page."),
                    "type": "object",
                    "x-import-missing": true,
                }),
            );
        }
    }
    let mut all_notes: Vec<String> = import
        .notes
        .iter()
        .map(|n| format!("{}:{}: {}", import.page, n.line, n.text))
        .collect();
    all_notes.extend(notes.into_iter().map(|n| format!("{}:{n}", import.page)));
    if !all_notes.is_empty() {
        op.insert("x-import-notes".into(), json!(all_notes));
    }
    Value::Object(op)
}

/// Adds the names of the models `value` references to `out`, each once,
/// in the order first met (`seen`, a set beside the list, keeps it linear
/// in the references).
fn collect_refs_into(
    value: &Value,
    out: &mut Vec<String>,
    seen: &mut std::collections::HashSet<String>,
) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(name) = v
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    && seen.insert(name.to_string())
                {
                    out.push(name.to_string());
                }
                collect_refs_into(v, out, seen);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs_into(v, out, seen)),
        _ => {}
    }
}

/// Adds a model; one already defined by another page is kept, and a
/// different definition is a conflict.
fn define(
    schemas: &mut Map<String, Value>,
    name: &str,
    schema: Value,
    import: &Import,
    conflicts: &mut Vec<String>,
) {
    match schemas.get(name) {
        None => {
            schemas.insert(name.to_string(), schema);
        }
        Some(existing) if shape(existing) == shape(&schema) => {}
        Some(_) => conflicts.push(format!(
            "{}: model {name} differs from the one another page defines; the first is kept",
            import.page
        )),
    }
}

/// A schema's properties and their types, for comparing definitions.
fn shape(schema: &Value) -> Vec<(String, String)> {
    schema["properties"]
        .as_object()
        .map(|p| {
            p.iter()
                .map(|(k, v)| {
                    let ty = v
                        .get("type")
                        .or_else(|| v.pointer("/allOf/0/$ref"))
                        .cloned()
                        .unwrap_or_default();
                    (k.clone(), ty.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The draft of these pages: one OpenAPI 3.0.3 document with their
/// operations and models, and the conflicts between the pages.
pub fn draft(imports: &[Import]) -> (Value, Vec<String>) {
    let mut schemas = Map::new();
    let mut conflicts = Vec::new();
    let mut paths: Map<String, Value> = Map::new();
    let mut tags: Vec<String> = Vec::new();
    for import in imports {
        if import.method.is_empty() {
            conflicts.push(format!("{}: no route, so no operation", import.page));
            continue;
        }
        let op = operation(import, &mut schemas, &mut conflicts);
        let item = paths
            .entry(import.path.clone())
            .or_insert_with(|| json!({}));
        if item.get(&import.method).is_some() {
            conflicts.push(format!(
                "{}: {} {} is on another page too; the first is kept",
                import.page,
                import.method.to_uppercase(),
                import.path
            ));
            continue;
        }
        item[&import.method] = op;
        if let Some(group) = &import.group
            && !tags.contains(group)
        {
            tags.push(group.clone());
        }
    }
    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.0.3"));
    let pages: Vec<&str> = imports.iter().map(|i| i.page.as_str()).collect();
    doc.insert(
        "info".into(),
        json!({
            "title": format!("Draft imported from {}", pages.join(", ")),
            "version": "0.0.0",
        }),
    );
    if !tags.is_empty() {
        doc.insert(
            "tags".into(),
            Value::Array(tags.into_iter().map(|t| json!({ "name": t })).collect()),
        );
    }
    doc.insert("paths".into(), Value::Object(paths));
    doc.insert("components".into(), json!({ "schemas": schemas }));
    (Value::Object(doc), conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read::read;

    /// A page whose URI would climb out of its service, or reach another
    /// resource, is noted and not drafted: no route, so no operation.
    #[test]
    fn a_uri_with_dot_or_empty_segments_or_escapes_is_not_drafted() {
        let page = std::fs::read_to_string(
            crate::workspace_root().join("tests/fixtures/pages/DeleteIpdLabel.txt"),
        )
        .unwrap();
        let original = "DELETE /v1/ipdprojectservice/projects/{project_id}/tags/{label_id}";
        assert!(page.contains(original));
        for path in [
            "/v1/ipdprojectservice/projects/{project_id}/../../../admin/x",
            "/v1/ipdprojectservice/./projects/{project_id}/tags/{label_id}",
            "/v1/ipdprojectservice//projects/{project_id}/tags/{label_id}",
            "/v1/ipdprojectservice/projects/{project_id}/%2e%2e/admin",
            "/v1/ipdprojectservice/projects/{project_id}/tags/",
        ] {
            let import = read(
                "hostile.txt",
                &page.replace(original, &format!("DELETE {path}")),
            );
            assert!(
                import.method.is_empty() && import.path.is_empty(),
                "{path} drafted"
            );
            assert!(
                import.notes.iter().any(|n| n.text.contains("not drafted")),
                "{path}: {:?}",
                import.notes
            );
            let (draft, conflicts) = draft(std::slice::from_ref(&import));
            assert_eq!(draft["paths"], serde_json::json!({}));
            assert_eq!(conflicts, ["hostile.txt: no route, so no operation"]);
        }
    }

    /// A Type cell nested 100,000 deep (`Map<String, Map<String, ...>>`)
    /// is read to a bounded depth, noted, and left free-form there: no
    /// stack overflow, no memory quadratic in the depth.
    #[test]
    fn a_type_nested_beyond_reason_is_cut_at_a_bounded_depth() {
        let deep = format!(
            "{}String{}",
            "Map<String,".repeat(100_000),
            ">".repeat(100_000)
        );
        let mut notes = Vec::new();
        let (_, schema) = schema_of(&deep, Side::Request, &mut notes);
        assert!(
            notes.iter().any(|n| n.contains("nested more than 16 deep")),
            "{notes:?}"
        );
        let mut depth = 0;
        let mut at = &schema;
        while let Some(inner) = at.get("additionalProperties") {
            depth += 1;
            at = inner;
        }
        assert_eq!(depth, MAX_TYPE_DEPTH + 1, "{schema}");
        let array = format!("{}String objects", "Array of ".repeat(50_000));
        let mut notes = Vec::new();
        schema_of(&array, Side::Response, &mut notes);
        assert!(
            notes.iter().any(|n| n.contains("nested more than")),
            "{notes:?}"
        );
    }

    /// A value range YAML would read as numbers (`.inf`, `.nan`) becomes
    /// an enum of strings that the draft writes quoted, so the code
    /// generator reads it back as written and generates it.
    #[test]
    fn a_value_range_that_reads_as_floats_generates() {
        let page = std::fs::read_to_string(
            crate::workspace_root().join("tests/fixtures/pages/DeleteIpdLabel.txt"),
        )
        .unwrap()
        .replace("Tag ID.", "Tag ID. Value range: .inf, .nan, plain")
        .replace("/tags/{label_id}", "/things/{label_id}");
        let import = read("floats.txt", &page);
        let (draft, _) = draft(std::slice::from_ref(&import));
        let text = crate::import::yaml::to_yaml(&draft);
        let back = ipd_codegen::parse_yaml(&text).unwrap();
        let param = &back["paths"]["/v1/ipdprojectservice/projects/{project_id}/things/{label_id}"]
            ["delete"]["parameters"][1];
        assert_eq!(
            param["schema"]["enum"],
            serde_json::json!([".inf", ".nan", "plain"]),
            "{text}"
        );
        ipd_codegen::generate(&text, "floats.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    }

    /// A page of 2,000 models, each referenced from one table and given
    /// its own: every one is read, in order, with nothing missing.
    #[test]
    fn a_page_of_many_models_reads_every_one() {
        let page = std::fs::read_to_string(
            crate::workspace_root().join("tests/fixtures/pages/DeleteIpdLabel.txt"),
        )
        .unwrap();
        let head = &page[..page.find("Table 3 LabelEntity").unwrap()];
        let n = 2000;
        let rows: String = (0..n)
            .map(|i| format!("field_{i}\n\nModel{i} object\n\nField {i}.\n\n"))
            .collect();
        let tables: String = (0..n)
            .map(|i| format!("Table {} Model{i}\n\nParameter\n\nType\n\nDescription\n\nvalue\n\nString\n\nV.\n\n", i + 4))
            .collect();
        let text = format!(
            "{head}Table 3 LabelEntity\n\nParameter\n\nType\n\nDescription\n\n{rows}{tables}"
        );
        let import = read("many.txt", &text);
        assert_eq!(import.models.len(), n + 1);
        assert_eq!(import.models[n].name, format!("Model{}", n - 1));
        assert!(
            !import
                .notes
                .iter()
                .any(|n| n.text.contains("is referenced but")),
            "{:?}",
            import.notes.first()
        );
    }
}

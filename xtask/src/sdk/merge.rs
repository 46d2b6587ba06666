//! An SDK draft merged with the reference page of the same operation: the
//! SDK gives the shapes (its models are what the service's own client
//! sends and decodes), the page the words and the rules (descriptions,
//! lengths, ranges, patterns, enums, defaults). Where the two disagree on
//! a shape, the draft keeps the SDK's and notes the page's.

use serde_json::{Map, Value, json};

use crate::import::diff;

/// The keywords a page gives that the SDK cannot: its words and rules.
const FROM_THE_PAGE: &[&str] = &[
    "description",
    "enum",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "pattern",
    "default",
    "minItems",
    "maxItems",
    "format",
];

/// `$ref` and single-`allOf` resolution in one document, returning the
/// JSON pointer of the target (so it can be changed in place).
fn target(doc: &Value, mut pointer: String) -> String {
    for _ in 0..16 {
        let Some(here) = doc.pointer(&pointer) else {
            break;
        };
        if let Some(r) = here.get("$ref").and_then(Value::as_str) {
            match r.strip_prefix('#') {
                Some(p) if doc.pointer(p).is_some() => pointer = p.to_string(),
                _ => break,
            }
        } else if let Some([_]) = here
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            pointer.push_str("/allOf/0");
        } else {
            break;
        }
    }
    pointer
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Copies the page's words and rules onto the SDK's schema at `sdk_at`,
/// field by field, `depth` levels down.
fn merge_schema(sdk: &mut Value, sdk_at: String, page: &Value, page_at: String, depth: usize) {
    if depth > 16 {
        return;
    }
    let (sdk_at, page_at) = (target(sdk, sdk_at), target(page, page_at));
    let Some(page_schema) = page.pointer(&page_at).cloned() else {
        return;
    };
    if page_schema.get("x-import-missing").is_some() {
        return;
    }
    let Some(Value::Object(sdk_schema)) = sdk.pointer_mut(&sdk_at) else {
        return;
    };
    for key in FROM_THE_PAGE {
        if let Some(value) = page_schema.get(*key)
            && (*key == "description" || !sdk_schema.contains_key(*key))
        {
            sdk_schema.insert((*key).to_string(), value.clone());
        }
    }
    let names: Vec<String> = sdk_schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let has_items = sdk_schema.contains_key("items");
    for name in names {
        if page_schema
            .pointer(&format!("/properties/{}", escape(&name)))
            .is_some()
        {
            merge_schema(
                sdk,
                format!("{sdk_at}/properties/{}", escape(&name)),
                page,
                format!("{page_at}/properties/{}", escape(&name)),
                depth + 1,
            );
        }
    }
    if has_items && page_schema.get("items").is_some() {
        merge_schema(
            sdk,
            format!("{sdk_at}/items"),
            page,
            format!("{page_at}/items"),
            depth + 1,
        );
    }
}

/// Merges `page` (a page's draft holding the same operation) into `sdk`
/// (the SDK's draft of it), in place.
pub fn merge(sdk: &mut Value, page: &Value, method: &str, path: &str) {
    let op_at = format!("/paths/{}/{method}", escape(path));
    let (Some(sdk_op), Some(page_op)) =
        (sdk.pointer(&op_at).cloned(), page.pointer(&op_at).cloned())
    else {
        return;
    };
    let mut notes: Vec<Value> = sdk_op
        .get("x-import-notes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // The shapes: where the page differs from the SDK, the SDK's stay.
    let source = diff::Source::page(false, false);
    for line in diff::operation(page, &page_op, sdk, &sdk_op, &source) {
        notes.push(json!(format!(
            "the page and the SDK differ (the SDK's shape is kept): {}",
            line.replace("the spec", "the SDK")
        )));
    }
    let op = sdk
        .pointer_mut(&op_at)
        .and_then(Value::as_object_mut)
        .expect("looked up above");
    for key in ["summary", "description", "tags"] {
        if let Some(value) = page_op.get(key) {
            op.insert(key.into(), value.clone());
        }
    }
    // Parameters, by location and name.
    let page_params: Vec<Value> = page_op["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(Value::Array(params)) = op.get_mut("parameters") {
        for param in params.iter_mut() {
            let found = page_params
                .iter()
                .find(|p| p["name"] == param["name"] && p["in"] == param["in"]);
            if let Some(found) = found {
                if let Some(d) = found.get("description") {
                    param["description"] = d.clone();
                }
                if let (Some(Value::Object(to)), Some(from)) =
                    (param.get_mut("schema"), found.get("schema"))
                {
                    copy_rules(to, from);
                }
            }
        }
    }
    if !notes.is_empty() {
        op.insert("x-import-notes".into(), Value::Array(notes));
    }
    // Bodies and answers.
    let first_media = |doc: &Value, at: &str| -> Option<String> {
        let content = doc.pointer(at)?.as_object()?;
        content.keys().next().map(|m| format!("{at}/{}", escape(m)))
    };
    if let (Some(s), Some(p)) = (
        first_media(sdk, &format!("{op_at}/requestBody/content")),
        first_media(page, &format!("{op_at}/requestBody/content")),
    ) {
        merge_schema(sdk, format!("{s}/schema"), page, format!("{p}/schema"), 0);
    }
    let statuses: Vec<String> = page_op["responses"]
        .as_object()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(success) = statuses.iter().find(|s| s.starts_with('2'))
        && let (Some(s), Some(p)) = (
            first_media(sdk, &format!("{op_at}/responses/200/content")),
            first_media(page, &format!("{op_at}/responses/{success}/content")),
        )
    {
        merge_schema(sdk, format!("{s}/schema"), page, format!("{p}/schema"), 0);
    }
}

fn copy_rules(to: &mut Map<String, Value>, from: &Value) {
    for key in FROM_THE_PAGE.iter().filter(|k| **k != "description") {
        if let Some(value) = from.get(*key)
            && !to.contains_key(*key)
        {
            to.insert((*key).to_string(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_gives_words_and_rules_and_the_sdk_the_shapes() {
        let path = "/v1/things/{id}";
        let mut sdk = json!({
            "paths": { path: { "post": {
                "operationId": "CreateThing", "summary": "新建",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "content": { "application/json;charset=utf-8": {
                    "schema": { "$ref": "#/components/schemas/ThingParam" } } } },
                "responses": { "200": { "description": "Success." } } } } },
            "components": { "schemas": { "ThingParam": { "type": "object", "properties": {
                "title": { "description": "标题", "type": "string" },
                "size": { "type": "integer" } } } } }
        });
        let page = json!({
            "paths": { path: { "post": {
                "operationId": "CreateThing", "summary": "Creating a Thing",
                "parameters": [{ "name": "id", "in": "path", "required": true,
                                 "description": "Thing ID.", "schema": { "type": "string", "maxLength": 19 } }],
                "requestBody": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/CreateThingRequestBody" } } } },
                "responses": { "200": { "description": "OK" } } } } },
            "components": { "schemas": { "CreateThingRequestBody": { "type": "object", "properties": {
                "title": { "description": "Title, 1 to 8 characters.", "type": "string", "maxLength": 8 },
                "size": { "description": "Size.", "type": "string" } } } } }
        });
        merge(&mut sdk, &page, "post", path);
        let op = &sdk["paths"][path]["post"];
        assert_eq!(op["summary"], "Creating a Thing");
        assert_eq!(op["parameters"][0]["description"], "Thing ID.");
        assert_eq!(op["parameters"][0]["schema"]["maxLength"], 19);
        let title = &sdk["components"]["schemas"]["ThingParam"]["properties"]["title"];
        assert_eq!(title["description"], "Title, 1 to 8 characters.");
        assert_eq!(title["maxLength"], 8);
        // The SDK's shape stays, and the page's is noted.
        assert_eq!(
            sdk["components"]["schemas"]["ThingParam"]["properties"]["size"]["type"],
            "integer"
        );
        let notes = op["x-import-notes"].to_string();
        assert!(
            notes.contains("body.size: the page has string, the SDK integer"),
            "{notes}"
        );
    }
}

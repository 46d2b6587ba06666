//! Reading a spec: YAML (or JSON) text into a JSON value with located
//! syntax errors, the digit-string extension expanded, then the typed
//! OpenAPI document.

use openapiv3::OpenAPI;
use serde_json::{Map, Value};

use crate::document::push_token;
use crate::error::{Location, SpecError};

/// The extension that marks an integer the service may send as a digit string.
pub const DIGIT_STRING_EXTENSION: &str = "x-accept-digit-string";

/// The spec extension marking arrays the service may send as their single
/// item instead (some sources document an object where others document an
/// array of them).
pub const ONE_OR_MANY_EXTENSION: &str = "x-one-or-many";

/// On an `x-one-or-many` array: the official SDK decodes one item here, not
/// a list, so a server that answers it (the emulator) sends the single
/// item. Clients read both.
pub const SDK_READS_ONE_EXTENSION: &str = "x-sdk-reads-one";

/// Where a component enum with `x-enum-varnames` keeps its values while
/// typify sees the names (set by [`expand_extensions`]).
pub const ENUM_VALUES: &str = "x-enum-values";

/// The crate generated code calls for its runtime.
pub const RUNTIME_CRATE: &str = "codearts-req-runtime";

/// Parses `text` (YAML or JSON) into a JSON value.
pub fn parse(text: &str) -> Result<Value, SpecError> {
    let options = serde_saphyr::options! {
        // `yes`, `on`, `y` stay strings: a description or enum value that
        // happens to read like a YAML 1.1 boolean must not change type.
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let location = e
            .location()
            .map(|l| Location::LineColumn {
                line: l.line(),
                column: l.column(),
            })
            .unwrap_or(Location::Document);
        // The location is reported separately; drop the parser's own copy
        // of it and its advice about parser options.
        let mut message = e.without_snippet().to_string();
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        let message = message.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
        SpecError::new(location, message.trim().to_string())
    })
}

/// The typed document of a validated value.
pub fn to_openapi(raw: &Value) -> Result<OpenAPI, SpecError> {
    serde_path_to_error::deserialize(raw).map_err(|e| {
        let pointer = path_to_pointer(e.path());
        SpecError::at(
            pointer,
            format!("not a valid OpenAPI 3.0 document: {}", e.inner()),
        )
    })
}

/// Makes the spec's prose safe as rustdoc Markdown: a `<` outside a code
/// span becomes `&lt;`, so that text such as `<tenant name>_<user name>`
/// is shown as written instead of read as an unclosed HTML tag. Only the
/// prose keywords are touched (`description`, `summary`, `title`,
/// `x-enum-descriptions`), never examples, defaults or enum values, which
/// are data.
pub fn escape_doc_text(node: &mut Value) {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    ("example" | "examples" | "default" | "enum", _) => {}
                    ("description" | "summary" | "title", Value::String(text)) => {
                        *text = escape_markdown_text(text);
                    }
                    ("x-enum-descriptions", Value::Array(items)) => {
                        for item in items {
                            if let Value::String(text) = item {
                                *text = escape_markdown_text(text);
                            }
                        }
                    }
                    (_, value) => escape_doc_text(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(escape_doc_text),
        _ => {}
    }
}

/// `<` as `&lt;` outside backtick code spans.
fn escape_markdown_text(text: &str) -> String {
    if !text.contains('<') {
        return text.to_string();
    }
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 0 {
                part.replace('<', "&lt;")
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// Rewrites `x-accept-digit-string: true` integers into the runtime's
/// `LenientInt<T>`, and `x-one-or-many: true` arrays into its
/// `OneOrMany<T>`, through typify's standard `x-rust-type` extension.
/// Validation has checked where the extension appears.
pub fn expand_extensions(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.get(DIGIT_STRING_EXTENSION) == Some(&Value::Bool(true)) {
                let mut inner = Map::new();
                inner.insert("type".into(), "integer".into());
                if let Some(format) = map.get("format") {
                    inner.insert("format".into(), format.clone());
                }
                map.insert(
                    "x-rust-type".into(),
                    serde_json::json!({
                        "crate": RUNTIME_CRATE,
                        "version": "*",
                        "path": "codearts_req_runtime::LenientInt",
                        "parameters": [Value::Object(inner)],
                    }),
                );
            }
            // typify names variants after values; where the spec names them
            // (`x-enum-varnames`, validated to be distinct identifiers), it
            // sees the names, and our enum templates put the values back
            // (`x-enum-values` keeps them).
            if let Some(names) = map.get(crate::VARIANT_NAMES).cloned()
                && let Some(values) = map.insert("enum".into(), names.clone())
            {
                // A default is a value too: typify sees its name.
                if let (Some(default), Some(values), Some(names)) =
                    (map.get("default"), values.as_array(), names.as_array())
                    && let Some(i) = values.iter().position(|v| v == default)
                {
                    map.insert("default".into(), names[i].clone());
                }
                map.insert(ENUM_VALUES.into(), values);
            }
            if map.get(ONE_OR_MANY_EXTENSION) == Some(&Value::Bool(true)) {
                let items = map.get("items").cloned().unwrap_or(serde_json::json!({}));
                map.insert(
                    "x-rust-type".into(),
                    serde_json::json!({
                        "crate": RUNTIME_CRATE,
                        "version": "*",
                        "path": "codearts_req_runtime::OneOrMany",
                        "parameters": [items],
                    }),
                );
            }
            map.values_mut().for_each(expand_extensions);
        }
        Value::Array(items) => items.iter_mut().for_each(expand_extensions),
        _ => {}
    }
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => push_token(&mut pointer, key),
            Segment::Enum { variant } => push_token(&mut pointer, variant),
            Segment::Unknown => pointer.push_str("/?"),
        }
    }
    pointer
}

#[cfg(test)]
mod doc_text_tests {
    use super::*;

    #[test]
    fn angle_brackets_in_prose_are_escaped_outside_code_spans() {
        let mut spec = serde_json::json!({
            "description": "in the format <tenant name>_<user name>, as `Vec<u8>` says",
            "properties": {
                "description": {"type": "string", "example": "a <b>", "default": "<x>"},
                "state": {"enum": ["<open>"], "x-enum-descriptions": ["<open>: not closed"]}
            }
        });
        escape_doc_text(&mut spec);
        assert_eq!(
            spec["description"],
            "in the format &lt;tenant name>_&lt;user name>, as `Vec<u8>` says"
        );
        assert_eq!(spec["properties"]["description"]["example"], "a <b>");
        assert_eq!(spec["properties"]["description"]["default"], "<x>");
        assert_eq!(spec["properties"]["state"]["enum"][0], "<open>");
        assert_eq!(
            spec["properties"]["state"]["x-enum-descriptions"][0],
            "&lt;open>: not closed"
        );
    }
}

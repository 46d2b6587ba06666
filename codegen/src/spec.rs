//! Loading, validating and preparing an OpenAPI document.
//!
//! Everything that can be wrong with a spec is found here, before any code is
//! generated, and reported with a location: a line and column for YAML
//! syntax, a JSON pointer for everything else. progenitor has `todo!()`s and
//! `unwrap()`s for inputs it does not expect; validation keeps those inputs
//! away from it.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr};
use serde_json::{Map, Value};

use crate::{Location, SpecError};

/// The extension that marks an integer the service may send as a digit string.
pub const DIGIT_STRING_EXTENSION: &str = "x-accept-digit-string";

/// Request body content types progenitor generates code for.
const PROGENITOR_BODY_TYPES: &[&str] = &[
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "text/plain",
    "text/x-markdown",
];

pub const MULTIPART: &str = "multipart/form-data";

/// A parsed and validated document.
pub struct Spec {
    pub api: OpenAPI,
}

/// Parses `text` (YAML or JSON) and validates it.
pub fn load(text: &str) -> Result<Spec, SpecError> {
    let options = serde_saphyr::options! {
        // `yes`, `on`, `y` stay strings: a description or enum value that
        // happens to read like a YAML 1.1 boolean must not change type.
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    };
    let mut raw: Value = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
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
    })?;

    check_version(&raw)?;
    check_refs(&raw, &raw, &mut String::new())?;
    expand_digit_strings(&mut raw, &mut String::new())?;

    let api: OpenAPI = serde_path_to_error::deserialize(&raw).map_err(|e| {
        let pointer = path_to_pointer(e.path());
        SpecError::at(
            pointer,
            format!("not a valid OpenAPI 3.0 document: {}", e.inner()),
        )
    })?;
    check_operations(&api)?;
    Ok(Spec { api })
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

/// Rewrites `x-accept-digit-string: true` integers into the runtime's
/// `LenientInt<T>`, through typify's standard `x-rust-type` extension.
fn expand_digit_strings(node: &mut Value, pointer: &mut String) -> Result<(), SpecError> {
    match node {
        Value::Object(map) => {
            if let Some(flag) = map.get(DIGIT_STRING_EXTENSION) {
                let here = format!("{pointer}/{DIGIT_STRING_EXTENSION}");
                if flag != &Value::Bool(true) {
                    return Err(SpecError::at(
                        here,
                        "the only accepted value is `true`".into(),
                    ));
                }
                if map.get("type") != Some(&Value::String("integer".into())) {
                    return Err(SpecError::at(
                        here,
                        "only applies to schemas of `type: integer`".into(),
                    ));
                }
                let mut inner = Map::new();
                inner.insert("type".into(), "integer".into());
                if let Some(format) = map.get("format") {
                    inner.insert("format".into(), format.clone());
                }
                map.insert(
                    "x-rust-type".into(),
                    serde_json::json!({
                        "crate": "codearts-ipd",
                        "version": "*",
                        "path": "codearts_ipd::LenientInt",
                        "parameters": [Value::Object(inner)],
                    }),
                );
            }
            for (key, value) in map.iter_mut() {
                let len = pointer.len();
                push_token(pointer, key);
                expand_digit_strings(value, pointer)?;
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter_mut().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                expand_digit_strings(value, pointer)?;
                pointer.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks what progenitor and our multipart templates rely on.
fn check_operations(api: &OpenAPI) -> Result<(), SpecError> {
    let mut ids = BTreeSet::new();
    for (path, item) in &api.paths.paths {
        let item_ptr = format!("/paths/{}", escape_token(path));
        let ReferenceOr::Item(item) = item else {
            return Err(SpecError::at(
                item_ptr,
                "path items given by `$ref` are not supported".into(),
            ));
        };
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
            for (i, param) in op.parameters.iter().chain(&item.parameters).enumerate() {
                if let ReferenceOr::Item(openapiv3::Parameter::Cookie { .. }) = param {
                    return Err(SpecError::at(
                        format!("{op_ptr}/parameters/{i}"),
                        "cookie parameters are not supported".into(),
                    ));
                }
            }
            if let Some(body) = &op.request_body {
                let body_ptr = format!("{op_ptr}/requestBody/content");
                let body = resolve(api, body).map_err(|e| SpecError::at(body_ptr.clone(), e))?;
                let (Some((content_type, media)), 1) = (body.content.first(), body.content.len())
                else {
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
                if essence == MULTIPART {
                    crate::multipart::check(api, media, &ct_ptr)?;
                } else if !PROGENITOR_BODY_TYPES.contains(&essence.as_str()) {
                    return Err(SpecError::at(
                        ct_ptr,
                        format!(
                            "request content type `{content_type}` is not supported; supported: {}, {MULTIPART}",
                            PROGENITOR_BODY_TYPES.join(", ")
                        ),
                    ));
                } else if media.schema.is_none() {
                    return Err(SpecError::at(
                        ct_ptr,
                        "the media type has no `schema`".into(),
                    ));
                }
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

/// Component kinds a `$ref` can point at, and where they live.
pub trait Component: Sized {
    /// The pointer prefix of this kind, `#/components/<section>/`.
    const PREFIX: &'static str;
    /// The section of `components` holding this kind.
    fn section(
        components: &openapiv3::Components,
    ) -> &indexmap::IndexMap<String, ReferenceOr<Self>>;
}

macro_rules! component {
    ($ty:ty, $section:ident) => {
        impl Component for $ty {
            const PREFIX: &'static str = concat!("#/components/", stringify!($section), "/");
            fn section(
                c: &openapiv3::Components,
            ) -> &indexmap::IndexMap<String, ReferenceOr<Self>> {
                &c.$section
            }
        }
    };
}

component!(openapiv3::Schema, schemas);
component!(openapiv3::Parameter, parameters);
component!(openapiv3::RequestBody, request_bodies);
component!(openapiv3::Response, responses);

/// Follows a local `$ref` (and `$ref`s to `$ref`s) to the item it names.
pub fn resolve<'a, T: Component>(
    api: &'a OpenAPI,
    item: &'a ReferenceOr<T>,
) -> Result<&'a T, String> {
    let mut item = item;
    for _ in 0..32 {
        match item {
            ReferenceOr::Item(found) => return Ok(found),
            ReferenceOr::Reference { reference } => {
                item = reference
                    .strip_prefix(T::PREFIX)
                    .and_then(|name| T::section(api.components.as_ref()?).get(name))
                    .ok_or_else(|| {
                        format!(
                            "`{reference}` must point into {}",
                            T::PREFIX.trim_end_matches('/')
                        )
                    })?;
            }
        }
    }
    Err("`$ref`s nest too deep (a cycle?)".into())
}

/// `multipart/form-data; boundary=x` -> `multipart/form-data`, lower case.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Appends one JSON pointer reference token (RFC 6901).
fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&escape_token(token));
}

pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
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

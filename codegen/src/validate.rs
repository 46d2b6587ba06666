//! Everything that can be wrong with a spec is found here, before any code
//! is generated, and reported with a location: a JSON pointer (the YAML
//! parser reports syntax errors with a line and column). progenitor has
//! `todo!()`s and `unwrap()`s for inputs it does not expect; validation
//! keeps those inputs away from it.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr};
use serde_json::Value;

use crate::document::{MULTIPART, escape_token, essence, is_json, push_token, resolve};
use crate::error::{Location, SpecError};
use crate::load::DIGIT_STRING_EXTENSION;
use crate::operation::model::check_form;

/// Checks the document as parsed, before it is typed: the version, every
/// `$ref`, and where the digit-string extension appears.
pub fn check_raw(raw: &Value) -> Result<(), SpecError> {
    check_version(raw)?;
    check_refs(raw, raw, &mut String::new())?;
    check_digit_strings(raw, &mut String::new())
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

/// `x-accept-digit-string` only as `true`, and only on integers.
fn check_digit_strings(node: &Value, pointer: &mut String) -> Result<(), SpecError> {
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
            }
            for (key, value) in map {
                let len = pointer.len();
                push_token(pointer, key);
                check_digit_strings(value, pointer)?;
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                check_digit_strings(value, pointer)?;
                pointer.truncate(len);
            }
        }
        _ => {}
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

//! Checks of operations: ids, methods, path templates, parameters and
//! request bodies, as progenitor and our templates rely on them.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr};

use crate::document::{MULTIPART, escape_token, essence, is_json, resolve};
use crate::error::SpecError;
use crate::operation::model::check_form;

/// Checks what progenitor and our multipart templates rely on.
pub fn check_operations(api: &OpenAPI) -> Result<(), SpecError> {
    let feature = crate::operation::model::FEATURE_EXTENSION;
    for (i, tag) in api.tags.iter().enumerate() {
        let Some(name) = tag.extensions.get(feature) else {
            continue;
        };
        let valid = name.as_str().is_some_and(|n| {
            n.starts_with(|c: char| c.is_ascii_lowercase())
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
                && n != "default"
        });
        if !valid {
            return Err(SpecError::at(
                format!("/tags/{i}/{feature}"),
                format!(
                    "a feature name is lower-case letters, digits, `-` and `_`, starting with a letter (not `default`), not {name}"
                ),
            ));
        }
    }
    let gated = !crate::operation::model::features(api).is_empty();
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
            if gated && crate::operation::model::feature_of(api, op).is_none() {
                return Err(SpecError::at(
                    format!("{op_ptr}/tags"),
                    format!(
                        "the spec gates operations by cargo feature (`{feature}` on its tags): this operation's first tag must be one that names a feature"
                    ),
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

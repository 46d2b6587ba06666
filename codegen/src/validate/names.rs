//! Checks of the Rust names the generated code gives: every spec name must
//! become a distinct identifier.

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};

use crate::document::{escape_token, resolve};
use crate::error::SpecError;
use crate::naming::{snake_ident, type_name};

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

//! Checks of every schema: formats, enums, defaults, property names, and
//! `$ref` aliases that lead back to themselves.

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty};

use crate::document::escape_token;
use crate::error::SpecError;
use crate::naming::{snake_ident, type_name};

/// String formats the generated models support without more crates:
/// `binary` (files) and `password` (a plain string). Dates, UUIDs and
/// patterns would need chrono, uuid and regress in every user's build, and
/// this service sends dates as epoch-millisecond digit strings anyway.
const STRING_FORMATS: &[&str] = &["binary", "password"];
const INTEGER_FORMATS: &[&str] = &["int32", "int64"];
const NUMBER_FORMATS: &[&str] = &["float", "double"];

/// Checks every schema: formats, enums, defaults, property names, and
/// `$ref` aliases that lead back to themselves.
pub fn check_schemas(api: &OpenAPI) -> Result<(), SpecError> {
    if let Some(components) = &api.components {
        for (name, schema) in &components.schemas {
            let ptr = format!("/components/schemas/{}", escape_token(name));
            check_alias_cycle(api, name, &ptr)?;
            check_schema(schema, &ptr)?;
        }
    }
    for (path, item) in &api.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let op_ptr = format!("/paths/{}/{method}", escape_token(path));
            for (i, param) in op.parameters.iter().enumerate() {
                if let ReferenceOr::Item(param) = param
                    && let openapiv3::ParameterSchemaOrContent::Schema(schema) =
                        &param.parameter_data_ref().format
                {
                    check_schema(schema, &format!("{op_ptr}/parameters/{i}/schema"))?;
                }
            }
            if let Some(ReferenceOr::Item(body)) = &op.request_body {
                for (ct, media) in &body.content {
                    if let Some(schema) = &media.schema {
                        let ptr =
                            format!("{op_ptr}/requestBody/content/{}/schema", escape_token(ct));
                        check_schema(schema, &ptr)?;
                    }
                }
            }
            for (status, response) in &op.responses.responses {
                let ReferenceOr::Item(response) = response else {
                    continue;
                };
                for (ct, media) in &response.content {
                    if let Some(schema) = &media.schema {
                        let ptr = format!(
                            "{op_ptr}/responses/{status}/content/{}/schema",
                            escape_token(ct)
                        );
                        check_schema(schema, &ptr)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// A component that is only a `$ref` to a `$ref`... back to itself has no
/// value: typify would generate a type that cannot exist.
fn check_alias_cycle(api: &OpenAPI, start: &str, ptr: &str) -> Result<(), SpecError> {
    let schemas = &api
        .components
        .as_ref()
        .expect("called for components")
        .schemas;
    let mut seen = vec![start.to_string()];
    let mut current = start.to_string();
    while let Some(ReferenceOr::Reference { reference }) = schemas.get(&current) {
        let Some(next) = reference.strip_prefix("#/components/schemas/") else {
            return Ok(());
        };
        if seen.iter().any(|s| s == next) {
            return Err(SpecError::at(
                format!("{ptr}/$ref"),
                format!(
                    "`$ref`s lead back to `{next}` ({} → {next}): the type would have no value",
                    seen.join(" → ")
                ),
            ));
        }
        seen.push(next.to_string());
        current = next.to_string();
    }
    Ok(())
}

/// What a schema's type is called, and whether a JSON value has it.
type TypeCheck = (&'static str, fn(&serde_json::Value) -> bool);

/// One schema and, recursively, the schemas inside it. Long because it is
/// one match over the schema kinds, each with its own checks.
fn check_schema(schema: &ReferenceOr<Schema>, ptr: &str) -> Result<(), SpecError> {
    let schema = match schema {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { reference } => {
            // typify resolves schema `$ref`s among the component schemas only.
            let name = reference.strip_prefix("#/components/schemas/");
            if name.is_none_or(|n| n.is_empty() || n.contains('/')) {
                return Err(SpecError::at(
                    format!("{ptr}/$ref"),
                    format!(
                        "`{reference}` is used as a schema, so it must name a component schema \
                         (`#/components/schemas/<Name>`)"
                    ),
                ));
            }
            return Ok(());
        }
    };
    let data = &schema.schema_data;
    let type_check: Option<TypeCheck> = match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => {
            if let VariantOrUnknownOrEmpty::Unknown(format) = &s.format
                && !STRING_FORMATS.contains(&format.as_str())
            {
                return Err(unsupported_format(ptr, format));
            }
            if let VariantOrUnknownOrEmpty::Item(format) = &s.format {
                let name = serde_json::to_value(format).unwrap_or_default();
                let name = name.as_str().unwrap_or_default();
                if !STRING_FORMATS.contains(&name) {
                    return Err(unsupported_format(ptr, name));
                }
            }
            if s.pattern.is_some() {
                return Err(SpecError::at(
                    format!("{ptr}/pattern"),
                    "`pattern` is not supported: checking it would need a regex engine in every \
                     user's build; describe the format in `description` instead"
                        .into(),
                ));
            }
            let named = data.extensions.contains_key(crate::VARIANT_NAMES);
            check_enum(&s.enumeration, named, ptr)?;
            Some(("a string", |v| v.is_string()))
        }
        SchemaKind::Type(Type::Integer(i)) => {
            check_format(&i.format, INTEGER_FORMATS, ptr)?;
            Some(("an integer", |v| v.is_i64() || v.is_u64()))
        }
        SchemaKind::Type(Type::Number(n)) => {
            check_format(&n.format, NUMBER_FORMATS, ptr)?;
            Some(("a number", |v| v.is_number()))
        }
        SchemaKind::Type(Type::Boolean(_)) => Some(("a boolean", |v| v.is_boolean())),
        SchemaKind::Type(Type::Object(object)) => {
            let mut names = std::collections::BTreeMap::new();
            for (name, property) in &object.properties {
                let property_ptr = format!("{ptr}/properties/{}", escape_token(name));
                let rust = snake_ident(name).to_string();
                if rust == "builder" {
                    return Err(SpecError::at(
                        property_ptr,
                        format!(
                            "property `{name}` becomes the field `builder`, whose accessor would \
                             clash with the model's own `builder()`"
                        ),
                    ));
                }
                if let Some(other) = names.insert(rust.clone(), name.clone()) {
                    return Err(SpecError::at(
                        property_ptr,
                        format!("properties `{other}` and `{name}` both become the field `{rust}`"),
                    ));
                }
                check_schema(&property.clone().unbox(), &property_ptr)?;
            }
            if let Some(openapiv3::AdditionalProperties::Schema(extra)) =
                &object.additional_properties
            {
                check_schema(extra, &format!("{ptr}/additionalProperties"))?;
            }
            None
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(items) = &array.items {
                check_schema(&items.clone().unbox(), &format!("{ptr}/items"))?;
            }
            None
        }
        SchemaKind::OneOf { one_of: list }
        | SchemaKind::AllOf { all_of: list }
        | SchemaKind::AnyOf { any_of: list } => {
            let key = match &schema.schema_kind {
                SchemaKind::OneOf { .. } => "oneOf",
                SchemaKind::AllOf { .. } => "allOf",
                _ => "anyOf",
            };
            for (i, part) in list.iter().enumerate() {
                check_schema(part, &format!("{ptr}/{key}/{i}"))?;
            }
            None
        }
        _ => None,
    };
    if let (Some((what, fits)), Some(default)) = (type_check, &data.default)
        && !fits(default)
        && !default.is_null()
    {
        return Err(SpecError::at(
            format!("{ptr}/default"),
            format!("the default {default} is not {what}, as the schema's type says"),
        ));
    }
    Ok(())
}

fn unsupported_format(ptr: &str, format: &str) -> SpecError {
    SpecError::at(
        format!("{ptr}/format"),
        format!(
            "string format `{format}` is not supported (supported: {}); dates and IDs stay \
             strings, which is what this service sends",
            STRING_FORMATS.join(", ")
        ),
    )
}

fn check_format<T: serde::Serialize>(
    format: &VariantOrUnknownOrEmpty<T>,
    allowed: &[&str],
    ptr: &str,
) -> Result<(), SpecError> {
    let name = match format {
        VariantOrUnknownOrEmpty::Empty => return Ok(()),
        VariantOrUnknownOrEmpty::Unknown(name) => name.clone(),
        VariantOrUnknownOrEmpty::Item(item) => serde_json::to_value(item)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
    };
    if allowed.contains(&name.as_str()) {
        Ok(())
    } else {
        Err(SpecError::at(
            format!("{ptr}/format"),
            format!(
                "format `{name}` is not supported here (supported: {})",
                allowed.join(", ")
            ),
        ))
    }
}

/// String enum values become variants: each must be distinct after the
/// conversion to a Rust name (`open` and `Open` would be one variant), and
/// none may take the name of the `Unknown` variant unless
/// `x-enum-varnames` (`named`) names the variants.
fn check_enum(values: &[Option<String>], named: bool, ptr: &str) -> Result<(), SpecError> {
    let mut seen = std::collections::BTreeMap::new();
    for (i, value) in values.iter().enumerate() {
        let Some(value) = value else { continue };
        if named {
            // `x-enum-varnames` names the variants; its own check applies.
            continue;
        }
        let variant = type_name(value);
        if variant == "Unknown" {
            return Err(SpecError::at(
                format!("{ptr}/enum/{i}"),
                format!(
                    "enum value `{value}` would become the variant `Unknown`, which every enum \
                     has for values it does not know; make the enum a component and name its \
                     variants with `x-enum-varnames`"
                ),
            ));
        }
        if let Some(other) = seen.insert(variant.clone(), value.clone()) {
            return Err(SpecError::at(
                format!("{ptr}/enum/{i}"),
                format!("enum values `{other}` and `{value}` both become the variant `{variant}`"),
            ));
        }
    }
    Ok(())
}

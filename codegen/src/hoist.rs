//! Inline schemas that need a Rust type become components, so progenitor
//! (through typify) generates every type the operations name, and each
//! has a predictable name:
//!
//! - a JSON request body: `<OperationId>Body`;
//! - a JSON success response: `<OperationId>Response<Status>`;
//! - a string enum parameter: `<OperationId><ParameterName>`.
//!
//! A name that a component already uses is an error, never a silent reuse.

use openapiv3::{
    OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind, StatusCode, Type,
};

use crate::document::{escape_token, is_json};
use crate::error::SpecError;
use crate::naming::type_name;

/// Hoists the inline schemas of every operation of `api`. Long because it
/// visits the three places inline schemas sit, each named its own way.
pub fn hoist(api: &mut OpenAPI) -> Result<(), SpecError> {
    let mut hoisted: Vec<(String, String, ReferenceOr<Schema>)> = Vec::new();
    for (path, item) in api.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let slots = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("options", &mut item.options),
            ("head", &mut item.head),
            ("patch", &mut item.patch),
            ("trace", &mut item.trace),
        ];
        for (method, op) in slots {
            let Some(op) = op else { continue };
            let ptr = format!("/paths/{}/{method}", escape_token(path));
            let id = op.operation_id.clone().unwrap_or_default();
            let mut take = |schema: &mut Option<ReferenceOr<Schema>>, name: String, at: String| {
                if let Some(inline @ ReferenceOr::Item(_)) = schema {
                    let reference = ReferenceOr::Reference {
                        reference: format!("#/components/schemas/{name}"),
                    };
                    hoisted.push((name, at, std::mem::replace(inline, reference)));
                }
            };
            if let Some(ReferenceOr::Item(body)) = &mut op.request_body {
                for (content_type, media) in body.content.iter_mut() {
                    if is_json(content_type) {
                        let at = format!(
                            "{ptr}/requestBody/content/{}/schema",
                            escape_token(content_type)
                        );
                        take(&mut media.schema, type_name(&format!("{id} body")), at);
                    }
                }
            }
            for (status, response) in op.responses.responses.iter_mut() {
                let (
                    ReferenceOr::Item(response),
                    StatusCode::Code(200..=299) | StatusCode::Range(2),
                ) = (response, status)
                else {
                    continue;
                };
                for (content_type, media) in response.content.iter_mut() {
                    if is_json(content_type) {
                        let at = format!(
                            "{ptr}/responses/{status}/content/{}/schema",
                            escape_token(content_type)
                        );
                        let name = type_name(&format!("{id} response {status}"));
                        take(&mut media.schema, name, at);
                    }
                }
            }
            for (i, param) in op.parameters.iter_mut().enumerate() {
                let ReferenceOr::Item(param) = param else {
                    continue;
                };
                let data = match param {
                    Parameter::Path { parameter_data, .. }
                    | Parameter::Query { parameter_data, .. }
                    | Parameter::Header { parameter_data, .. }
                    | Parameter::Cookie { parameter_data, .. } => parameter_data,
                };
                let name = type_name(&format!("{id} {}", data.name));
                if let ParameterSchemaOrContent::Schema(schema) = &mut data.format
                    && let ReferenceOr::Item(Schema {
                        schema_kind: SchemaKind::Type(Type::String(s)),
                        ..
                    }) = schema
                    && !s.enumeration.is_empty()
                {
                    let mut slot = Some(schema.clone());
                    take(&mut slot, name, format!("{ptr}/parameters/{i}/schema"));
                    *schema = slot.expect("put back by take");
                }
            }
        }
    }
    let components = api.components.get_or_insert_with(Default::default);
    for (name, at, schema) in hoisted {
        if components.schemas.contains_key(&name) {
            return Err(SpecError::at(
                at,
                format!(
                    "this inline schema would be named `{name}`, which #/components/schemas \
                     already uses; `$ref` a component instead"
                ),
            ));
        }
        components.schemas.insert(name, schema);
    }
    Ok(())
}

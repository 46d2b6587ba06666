//! The model of a `multipart/form-data` operation: the spec's operation
//! resolved into what the templates need (parameters in order, form fields
//! classified, response kinds), built apart from rendering it, as
//! progenitor's `method.rs` does. Nothing here knows any one operation's
//! names.

use openapiv3::{
    MediaType, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind,
    StatusCode, StringFormat, Type, VariantOrUnknownOrEmpty,
};

use crate::document::{self, escape_token, resolve};
use crate::error::SpecError;
use crate::naming::type_name;

/// One multipart operation, resolved into what the template needs.
pub struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub params: Vec<Param>,
    pub form_description: Option<String>,
    pub fields: Vec<Field>,
    pub success: ResponseKind,
    pub error: ResponseKind,
    /// Each documented status, and whether it is a success.
    pub responses: Vec<(Status, bool)>,
}

/// A response's status as the spec gives it. The variants' order is the
/// order in which a response is matched: exact codes, ranges, the default.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Code(u16),
    /// `2XX` is `Range(2)`.
    Range(u16),
    Default,
}

pub struct Param {
    pub name: String,
    pub location: ParamLocation,
    pub required: bool,
    pub ty: Scalar,
    pub description: Option<String>,
}

#[derive(PartialEq)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
}

/// Types that travel as text: parameters and text form fields.
#[derive(Clone)]
pub enum Scalar {
    Str,
    I32,
    I64,
    F64,
    Bool,
    /// A string-like component schema, by its generated type name.
    Named(String),
}

pub struct Field {
    pub name: String,
    pub required: bool,
    pub kind: FieldKind,
    pub description: Option<String>,
}

pub enum FieldKind {
    File,
    Files,
    Text(Scalar),
}

#[derive(Clone, PartialEq)]
pub enum ResponseKind {
    /// JSON decoded into a component schema, by its generated type name.
    Json(String),
    Empty,
    Raw,
}

/// Checks that a multipart request body can be modelled; run by validation
/// with the rest of the spec.
pub fn check_form(api: &OpenAPI, media: &MediaType, pointer: &str) -> Result<(), SpecError> {
    form_fields(api, media, pointer).map(|_| ())
}

fn form_fields(
    api: &OpenAPI,
    media: &MediaType,
    pointer: &str,
) -> Result<(Option<String>, Vec<Field>), SpecError> {
    let schema_ptr = format!("{pointer}/schema");
    // Validation requires a schema on every request body.
    let Some(schema) = &media.schema else {
        return Ok((None, Vec::new()));
    };
    let (schema, schema_ptr) = resolve_schema(api, schema, &schema_ptr)?;
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return Err(SpecError::at(
            schema_ptr,
            "a multipart/form-data body must be an object schema with `properties`".into(),
        ));
    };
    let mut fields = Vec::new();
    for (name, property) in &object.properties {
        let ptr = format!("{schema_ptr}/properties/{}", escape_token(name));
        let property = property.clone().unbox();
        let (resolved, ptr) = resolve_schema(api, &property, &ptr)?;
        let kind = if is_binary(resolved) {
            FieldKind::File
        } else if let SchemaKind::Type(Type::Array(array)) = &resolved.schema_kind
            && let Some(items) = &array.items
            && is_binary(resolve_schema(api, &items.clone().unbox(), &ptr)?.0)
        {
            FieldKind::Files
        } else {
            FieldKind::Text(scalar(api, &property, &ptr, "a form field")?)
        };
        fields.push(Field {
            name: name.clone(),
            required: object.required.contains(name),
            kind,
            description: resolved.schema_data.description.clone(),
        });
    }
    if !fields
        .iter()
        .any(|f| matches!(f.kind, FieldKind::File | FieldKind::Files))
    {
        return Err(SpecError::at(
            schema_ptr,
            "a multipart/form-data body needs at least one binary field (`type: string, format: binary`); \
             use application/json or application/x-www-form-urlencoded for text-only bodies"
                .into(),
        ));
    }
    Ok((schema.schema_data.description.clone(), fields))
}

fn is_binary(schema: &Schema) -> bool {
    matches!(
        &schema.schema_kind,
        SchemaKind::Type(Type::String(s))
            if s.format == VariantOrUnknownOrEmpty::Item(StringFormat::Binary)
    )
}

fn resolve_schema<'a>(
    api: &'a OpenAPI,
    schema: &'a ReferenceOr<Schema>,
    pointer: &str,
) -> Result<(&'a Schema, String), SpecError> {
    let resolved = resolve(api, schema).map_err(|e| SpecError::at(pointer.into(), e))?;
    let pointer = match schema {
        ReferenceOr::Reference { reference } => reference[1..].to_string(),
        ReferenceOr::Item(_) => pointer.to_string(),
    };
    Ok((resolved, pointer))
}

fn component_name<'a>(reference: &'a str, pointer: &str) -> Result<&'a str, SpecError> {
    reference
        .strip_prefix("#/components/schemas/")
        .ok_or_else(|| {
            SpecError::at(
                pointer.into(),
                format!("`{reference}` must point into #/components/schemas"),
            )
        })
}

fn scalar(
    api: &OpenAPI,
    schema: &ReferenceOr<Schema>,
    pointer: &str,
    what: &str,
) -> Result<Scalar, SpecError> {
    let (resolved, _) = resolve_schema(api, schema, pointer)?;
    let unsupported = || {
        SpecError::at(
            pointer.into(),
            format!(
                "{what} of a multipart operation must be a string, integer, number or boolean \
                 (or a `$ref` to a string schema)"
            ),
        )
    };
    if let ReferenceOr::Reference { reference } = schema {
        return match &resolved.schema_kind {
            SchemaKind::Type(Type::String(_)) => Ok(Scalar::Named(type_name(component_name(
                reference, pointer,
            )?))),
            _ => Err(unsupported()),
        };
    }
    Ok(match &resolved.schema_kind {
        SchemaKind::Type(Type::String(_)) => Scalar::Str,
        SchemaKind::Type(Type::Integer(i)) => match &i.format {
            VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => Scalar::I32,
            _ => Scalar::I64,
        },
        SchemaKind::Type(Type::Number(_)) => Scalar::F64,
        SchemaKind::Type(Type::Boolean(_)) => Scalar::Bool,
        _ => return Err(unsupported()),
    })
}

/// Removes every multipart operation from `api` and returns them resolved.
pub fn take_operations(api: &mut OpenAPI) -> Result<Vec<Operation>, SpecError> {
    let snapshot = api.clone();
    let mut operations = Vec::new();
    for (path, item) in api.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let shared_params = item.parameters.clone();
        for (method, slot) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("options", &mut item.options),
            ("head", &mut item.head),
            ("patch", &mut item.patch),
            ("trace", &mut item.trace),
        ] {
            let Some(op) = slot else { continue };
            let ptr = format!("/paths/{}/{method}", escape_token(path));
            let Some(body) = &op.request_body else {
                continue;
            };
            let Ok(body) = resolve(&snapshot, body).cloned() else {
                continue;
            };
            let Some((content_type, media)) = body.content.first() else {
                continue;
            };
            if document::essence(content_type) != document::MULTIPART {
                continue;
            }
            let media_ptr = format!("{ptr}/requestBody/content/{}", escape_token(content_type));
            let (form_description, fields) = form_fields(&snapshot, media, &media_ptr)?;
            // Inline JSON response schemas become components, so progenitor
            // generates their types; the names follow progenitor's own
            // `<OperationId>Response` pattern, with the status.
            let components = api.components.get_or_insert_with(Default::default);
            for (name, schema) in hoist_inline_responses(op) {
                if components.schemas.contains_key(&name) {
                    return Err(SpecError::at(
                        format!("{ptr}/responses"),
                        format!(
                            "an inline response schema would be named `{name}`, which \
                             #/components/schemas already uses; `$ref` it explicitly"
                        ),
                    ));
                }
                components.schemas.insert(name, schema);
            }
            let params = params(&snapshot, op, &shared_params, path, &ptr)?;
            let (success, error, responses) = responses(&snapshot, op, &ptr)?;
            operations.push(Operation {
                id: op.operation_id.clone().unwrap_or_default(),
                method: method.to_string(),
                path: path.clone(),
                summary: op.summary.clone(),
                description: op.description.clone(),
                params,
                form_description: body.description.clone().or(form_description),
                fields,
                success,
                error,
                responses,
            });
            *slot = None;
        }
    }
    Ok(operations)
}

/// Replaces each inline JSON response schema of `op` by a `$ref` to a new
/// component, returned for the caller to add.
fn hoist_inline_responses(op: &mut openapiv3::Operation) -> Vec<(String, ReferenceOr<Schema>)> {
    let id = op.operation_id.clone().unwrap_or_default();
    let mut hoisted = Vec::new();
    let responses = op
        .responses
        .responses
        .iter_mut()
        .map(|(status, r)| (status.to_string(), r))
        .chain(
            op.responses
                .default
                .iter_mut()
                .map(|r| ("default".to_string(), r)),
        );
    for (status, response) in responses {
        let ReferenceOr::Item(response) = response else {
            continue;
        };
        for (content_type, media) in response.content.iter_mut() {
            if document::essence(content_type) != "application/json" {
                continue;
            }
            if let Some(schema @ ReferenceOr::Item(_)) = &mut media.schema {
                let name = type_name(&format!("{id} response {status}"));
                let reference = ReferenceOr::Reference {
                    reference: format!("#/components/schemas/{name}"),
                };
                hoisted.push((name, std::mem::replace(schema, reference)));
            }
        }
    }
    hoisted
}

fn params(
    api: &OpenAPI,
    op: &openapiv3::Operation,
    shared: &[ReferenceOr<Parameter>],
    path: &str,
    pointer: &str,
) -> Result<Vec<Param>, SpecError> {
    let mut params = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // Operation-level parameters override path-level ones of the same name.
    for (i, param) in op.parameters.iter().chain(shared).enumerate() {
        let ptr = format!("{pointer}/parameters/{i}");
        let param = resolve(api, param).map_err(|e| SpecError::at(ptr.clone(), e))?;
        let (data, location) = match param {
            Parameter::Path { parameter_data, .. } => (parameter_data, ParamLocation::Path),
            Parameter::Query { parameter_data, .. } => (parameter_data, ParamLocation::Query),
            Parameter::Header { parameter_data, .. } => (parameter_data, ParamLocation::Header),
            // Rejected by validation, for every operation.
            Parameter::Cookie { .. } => continue,
        };
        if !seen.insert(data.name.clone()) {
            continue;
        }
        let ParameterSchemaOrContent::Schema(schema) = &data.format else {
            return Err(SpecError::at(
                ptr,
                "parameters must have a `schema` (not `content`)".into(),
            ));
        };
        params.push(Param {
            name: data.name.clone(),
            required: data.required || location == ParamLocation::Path,
            location,
            ty: scalar(api, schema, &format!("{ptr}/schema"), "a parameter")?,
            description: data.description.clone(),
        });
    }
    // Path parameters come in the order the path template names them, like
    // progenitor's; then the rest in document order.
    let mut ordered = Vec::new();
    for segment in path.split('{').skip(1) {
        let name = segment.split('}').next().unwrap_or_default();
        match params
            .iter()
            .position(|p| p.location == ParamLocation::Path && p.name == name)
        {
            Some(i) => ordered.push(params.remove(i)),
            None => {
                return Err(SpecError::at(
                    pointer.into(),
                    format!(
                        "the path names `{{{name}}}` but no path parameter `{name}` is declared"
                    ),
                ));
            }
        }
    }
    if let Some(extra) = params.iter().find(|p| p.location == ParamLocation::Path) {
        return Err(SpecError::at(
            pointer.into(),
            format!(
                "path parameter `{}` does not appear in the path",
                extra.name
            ),
        ));
    }
    ordered.extend(params);
    Ok(ordered)
}

type Responses = (ResponseKind, ResponseKind, Vec<(Status, bool)>);

fn responses(
    api: &OpenAPI,
    op: &openapiv3::Operation,
    pointer: &str,
) -> Result<Responses, SpecError> {
    let mut success: Option<ResponseKind> = None;
    let mut error: Option<ResponseKind> = None;
    let mut statuses = Vec::new();
    let all = op
        .responses
        .responses
        .iter()
        .map(|(s, r)| (Some(s.clone()), r))
        .chain(op.responses.default.iter().map(|r| (None, r)));
    for (status, response) in all {
        let label = status
            .as_ref()
            .map_or("default".to_string(), |s| s.to_string());
        let ptr = format!("{pointer}/responses/{label}");
        let response = resolve(api, response).map_err(|e| SpecError::at(ptr.clone(), e))?;
        let kind = match response.content.first() {
            None => ResponseKind::Empty,
            Some((ct, media)) if document::essence(ct) == "application/json" => {
                match &media.schema {
                    Some(ReferenceOr::Reference { reference }) => {
                        ResponseKind::Json(type_name(component_name(reference, &ptr)?))
                    }
                    _ => {
                        return Err(SpecError::at(
                            format!("{ptr}/content/{}/schema", escape_token(ct)),
                            "a JSON response of a multipart operation must `$ref` a schema in \
                             #/components/schemas"
                                .into(),
                        ));
                    }
                }
            }
            Some(_) => ResponseKind::Raw,
        };
        let is_success = matches!(
            &status,
            Some(StatusCode::Code(200..=299)) | Some(StatusCode::Range(2))
        );
        let slot = if is_success { &mut success } else { &mut error };
        match slot {
            Some(existing) if *existing != kind => {
                return Err(SpecError::at(
                    ptr,
                    format!(
                        "all {} responses of an operation must have the same body type",
                        if is_success { "success" } else { "error" }
                    ),
                ));
            }
            _ => *slot = Some(kind),
        }
        statuses.push((
            match status {
                Some(StatusCode::Code(c)) => Status::Code(c),
                Some(StatusCode::Range(r)) => Status::Range(r),
                None => Status::Default,
            },
            is_success,
        ));
    }
    if success.is_none() {
        return Err(SpecError::at(
            format!("{pointer}/responses"),
            "the operation declares no success (2xx) response".into(),
        ));
    }
    Ok((
        success.unwrap_or(ResponseKind::Empty),
        error.unwrap_or(ResponseKind::Empty),
        statuses,
    ))
}

impl Operation {
    /// The model types the generated method names.
    pub fn type_names(&self) -> impl Iterator<Item = &str> {
        let scalars = self
            .params
            .iter()
            .map(|p| &p.ty)
            .chain(self.fields.iter().filter_map(|f| match &f.kind {
                FieldKind::Text(s) => Some(s),
                _ => None,
            }))
            .filter_map(|s| match s {
                Scalar::Named(n) => Some(n.as_str()),
                _ => None,
            });
        let responses = [&self.success, &self.error]
            .into_iter()
            .filter_map(|k| match k {
                ResponseKind::Json(n) => Some(n.as_str()),
                _ => None,
            });
        scalars.chain(responses)
    }
}

//! The model of an operation: the spec's operation resolved into what the
//! templates need (parameters in order, the body, form fields classified,
//! response kinds), built apart from rendering it, as progenitor's
//! `method.rs` does. It reads a document whose inline schemas were hoisted
//! into components (`crate::hoist`), so every body has a type name.
//! Nothing here knows any one operation's names.

use openapiv3::{
    MediaType, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind,
    StatusCode, StringFormat, Type, VariantOrUnknownOrEmpty,
};

use crate::document::{self, escape_token, resolve};
use crate::error::SpecError;
use crate::naming::type_name;

/// One operation, resolved into what the templates need.
pub struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub success: ResponseKind,
    /// Each documented status, and whether it is a success.
    pub responses: Vec<(Status, bool)>,
    /// The first documented success, as the document holds it.
    pub first_success: Option<SuccessAt>,
    /// Whether sending it twice does what sending it once does: by its
    /// method, or as `x-idempotent` says (`runtime::retry`).
    pub idempotent: bool,
    /// How it pages, if its spec says (`x-pagination`).
    pub pagination: Option<super::pagination::Pagination>,
    /// The cargo feature that gates it, if the spec names features
    /// (`x-feature` on its first tag; `crate::features`).
    pub feature: Option<String>,
}

/// The spec extension on a root `tags` entry naming the cargo feature that
/// gates the operations whose first tag it is.
pub const FEATURE_EXTENSION: &str = "x-feature";

/// Every feature the spec's tags name, in tag order, each once.
pub fn features(api: &OpenAPI) -> Vec<String> {
    let mut seen = Vec::<String>::new();
    for tag in &api.tags {
        if let Some(serde_json::Value::String(name)) = tag.extensions.get(FEATURE_EXTENSION)
            && !seen.contains(name)
        {
            seen.push(name.clone());
        }
    }
    seen
}

/// The feature that gates an operation: its first tag's.
pub fn feature_of(api: &OpenAPI, op: &openapiv3::Operation) -> Option<String> {
    let first = op.tags.first()?;
    let tag = api.tags.iter().find(|t| &t.name == first)?;
    match tag.extensions.get(FEATURE_EXTENSION) {
        Some(serde_json::Value::String(name)) => Some(name.clone()),
        _ => None,
    }
}

/// The spec extension saying whether an operation is idempotent, where
/// its method does not tell (a POST that only reads).
pub const IDEMPOTENT_EXTENSION: &str = "x-idempotent";

/// Whether an operation is idempotent: `x-idempotent` if given, else by
/// its method (GET, HEAD, PUT, DELETE and OPTIONS are).
pub fn is_idempotent(method: &str, op: &openapiv3::Operation) -> bool {
    match op.extensions.get(IDEMPOTENT_EXTENSION) {
        Some(serde_json::Value::Bool(flag)) => *flag,
        _ => matches!(method, "get" | "head" | "put" | "delete" | "options"),
    }
}

/// Where a documented success response is, and what it holds.
pub struct SuccessAt {
    /// Its status code (a range such as `2XX` reads as 200).
    pub status: u16,
    /// Its first content type and that media object's JSON pointer, if it
    /// has a body.
    pub media: Option<(String, String)>,
}

/// A request body.
pub struct Body {
    /// The content type exactly as the spec gives it; it goes on the wire
    /// as is (a multipart boundary is added).
    pub content_type: String,
    /// The media object's JSON pointer (through a `$ref`ed request body).
    pub media_pointer: String,
    pub required: bool,
    pub description: Option<String>,
    pub kind: BodyKind,
}

pub enum BodyKind {
    /// JSON, of a component schema, by its generated type name.
    Json(String),
    /// `multipart/form-data`, field by field.
    Form(Vec<Field>),
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
    /// The JSON pointer of the parameter object (its `$ref`'s target when
    /// it is one), for the tables that validate by schema.
    pub pointer: String,
    pub description: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
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
                "{what} must be a string, integer, number or boolean \
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

/// Every operation of `api` (hoisted), in document order.
pub fn operations(api: &OpenAPI) -> Result<Vec<Operation>, SpecError> {
    let mut operations = Vec::new();
    for (path, item) in &api.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let ptr = format!("/paths/{}/{method}", escape_token(path));
            let body = match &op.request_body {
                Some(body) => Some(body_model(api, body, &format!("{ptr}/requestBody"))?),
                None => None,
            };
            let params = params(api, op, &item.parameters, path, &ptr)?;
            let (success, responses, first_success) = responses(api, op, &ptr)?;
            let pagination =
                super::pagination::read(api, op, &params, body.as_ref(), &success, &ptr)?;
            operations.push(Operation {
                feature: feature_of(api, op),
                pagination,
                idempotent: is_idempotent(method, op),
                id: op.operation_id.clone().unwrap_or_default(),
                method: method.to_string(),
                path: path.clone(),
                summary: op.summary.clone(),
                description: op.description.clone(),
                params,
                body,
                success,
                responses,
                first_success,
            });
        }
    }
    Ok(operations)
}

fn body_model(
    api: &OpenAPI,
    body: &ReferenceOr<openapiv3::RequestBody>,
    pointer: &str,
) -> Result<Body, SpecError> {
    let resolved = resolve(api, body).map_err(|e| SpecError::at(pointer.into(), e))?;
    // Validation allows exactly one content type, with a schema.
    let Some((content_type, media)) = resolved.content.first() else {
        return Err(SpecError::at(pointer.into(), "no content type".into()));
    };
    let body_ptr = match body {
        ReferenceOr::Reference { reference } => &reference[1..],
        ReferenceOr::Item(_) => pointer,
    };
    let media_ptr = format!("{body_ptr}/content/{}", escape_token(content_type));
    let (description, kind) = if document::essence(content_type) == document::MULTIPART {
        let (description, fields) = form_fields(api, media, &media_ptr)?;
        (description, BodyKind::Form(fields))
    } else {
        let schema_ptr = format!("{media_ptr}/schema");
        match &media.schema {
            Some(ReferenceOr::Reference { reference }) => (
                None,
                BodyKind::Json(type_name(component_name(reference, &schema_ptr)?)),
            ),
            _ => {
                return Err(SpecError::at(
                    schema_ptr,
                    "a JSON body must `$ref` a schema (inline ones are hoisted first)".into(),
                ));
            }
        }
    };
    Ok(Body {
        content_type: content_type.clone(),
        media_pointer: media_ptr,
        required: resolved.required,
        description: resolved.description.clone().or(description),
        kind,
    })
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
    let item_pointer = format!("/paths/{}", escape_token(path));
    let listed = op
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("{pointer}/parameters/{i}"), p))
        .chain(
            shared
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("{item_pointer}/parameters/{i}"), p)),
        );
    for (ptr, reference) in listed {
        let param = resolve(api, reference).map_err(|e| SpecError::at(ptr.clone(), e))?;
        let object_ptr = match reference {
            ReferenceOr::Reference { reference } => reference[1..].to_string(),
            ReferenceOr::Item(_) => ptr.clone(),
        };
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
            pointer: object_ptr,
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

type Responses = (ResponseKind, Vec<(Status, bool)>, Option<SuccessAt>);

/// The success body kind (every success response must have the same) and
/// each documented status. Error bodies are not modelled: every error
/// becomes the runtime's `ApiError`, which reads the service's error shape.
fn responses(
    api: &OpenAPI,
    op: &openapiv3::Operation,
    pointer: &str,
) -> Result<Responses, SpecError> {
    let mut success: Option<ResponseKind> = None;
    let mut first_success = None;
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
        let is_success = matches!(
            &status,
            Some(StatusCode::Code(200..=299)) | Some(StatusCode::Range(2))
        );
        let code = match &status {
            Some(StatusCode::Code(c)) => *c,
            _ => 200,
        };
        statuses.push((
            match status {
                Some(StatusCode::Code(c)) => Status::Code(c),
                Some(StatusCode::Range(r)) => Status::Range(r),
                None => Status::Default,
            },
            is_success,
        ));
        if !is_success {
            continue;
        }
        let resolved = resolve(api, response).map_err(|e| SpecError::at(ptr.clone(), e))?;
        if first_success.is_none() {
            let at = match response {
                ReferenceOr::Reference { reference } => reference[1..].to_string(),
                ReferenceOr::Item(_) => ptr.clone(),
            };
            first_success = Some(SuccessAt {
                status: code,
                media: resolved
                    .content
                    .first()
                    .map(|(ct, _)| (ct.clone(), format!("{at}/content/{}", escape_token(ct)))),
            });
        }
        let response = resolved;
        let kind = match response.content.first() {
            None => ResponseKind::Empty,
            Some((ct, media)) if document::is_json(ct) => match &media.schema {
                Some(ReferenceOr::Reference { reference }) => {
                    ResponseKind::Json(type_name(component_name(reference, &ptr)?))
                }
                _ => {
                    return Err(SpecError::at(
                        format!("{ptr}/content/{}", escape_token(ct)),
                        "a JSON success response needs a `schema`".into(),
                    ));
                }
            },
            Some(_) => ResponseKind::Raw,
        };
        match &success {
            Some(existing) if *existing != kind => {
                return Err(SpecError::at(
                    ptr,
                    "all success responses of an operation must have the same body type".into(),
                ));
            }
            _ => success = Some(kind),
        }
    }
    match success {
        Some(kind) => Ok((kind, statuses, first_success)),
        None => Err(SpecError::at(
            format!("{pointer}/responses"),
            "the operation declares no success (2xx) response".into(),
        )),
    }
}

impl Operation {
    /// Where the operation is in the spec, as a JSON pointer.
    pub fn pointer(&self) -> String {
        format!(
            "/paths/{}/{}",
            crate::document::escape_token(&self.path),
            self.method
        )
    }

    /// The model types the generated code names.
    pub fn type_names(&self) -> impl Iterator<Item = &str> {
        let fields = match &self.body {
            Some(Body {
                kind: BodyKind::Form(fields),
                ..
            }) => fields.as_slice(),
            _ => &[],
        };
        let scalars = self
            .params
            .iter()
            .map(|p| &p.ty)
            .chain(fields.iter().filter_map(|f| match &f.kind {
                FieldKind::Text(s) => Some(s),
                _ => None,
            }))
            .filter_map(|s| match s {
                Scalar::Named(n) => Some(n.as_str()),
                _ => None,
            });
        let body = match &self.body {
            Some(Body {
                kind: BodyKind::Json(n),
                ..
            }) => Some(n.as_str()),
            _ => None,
        };
        let success = match &self.success {
            ResponseKind::Json(n) => Some(n.as_str()),
            _ => None,
        };
        scalars.chain(body).chain(success)
    }
}

//! `multipart/form-data` operations, which progenitor rejects.
//!
//! The methods generated here look and behave like progenitor's positional
//! methods: same argument order (path, query and header parameters, then the
//! body), same `ResponseValue`/`Error` types, same model types. The body is a
//! generated form struct whose file fields are the runtime's streaming
//! `FilePart`s. Nothing here knows any one operation's names.

use heck::{ToPascalCase, ToSnakeCase};
use openapiv3::{
    MediaType, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind,
    StatusCode, StringFormat, Type, VariantOrUnknownOrEmpty,
};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::SpecError;
use crate::spec::{escape_token, resolve};

/// One multipart operation, resolved into what the template needs.
pub struct Operation {
    id: String,
    method: String,
    path: String,
    summary: Option<String>,
    description: Option<String>,
    params: Vec<Param>,
    form_description: Option<String>,
    fields: Vec<Field>,
    success: ResponseKind,
    error: ResponseKind,
    /// Each documented status, and whether it is a success.
    responses: Vec<(Status, bool)>,
}

/// A response's status as the spec gives it.
#[derive(Clone, Copy)]
enum Status {
    Code(u16),
    /// `2XX` is `Range(2)`.
    Range(u16),
    Default,
}

struct Param {
    name: String,
    location: ParamLocation,
    required: bool,
    ty: Scalar,
    description: Option<String>,
}

#[derive(PartialEq)]
enum ParamLocation {
    Path,
    Query,
    Header,
}

/// Types that travel as text: parameters and text form fields.
#[derive(Clone)]
enum Scalar {
    Str,
    I32,
    I64,
    F64,
    Bool,
    /// A string-like component schema, by its generated type name.
    Named(String),
}

struct Field {
    name: String,
    required: bool,
    kind: FieldKind,
    description: Option<String>,
}

enum FieldKind {
    File,
    Files,
    Text(Scalar),
}

#[derive(Clone, PartialEq)]
enum ResponseKind {
    /// JSON decoded into a component schema, by its generated type name.
    Json(String),
    Empty,
    Raw,
}

/// Validation of a multipart request body, run with the rest of the spec.
pub fn check(api: &OpenAPI, media: &MediaType, pointer: &str) -> Result<(), SpecError> {
    form_fields(api, media, pointer).map(|_| ())
}

fn form_fields(
    api: &OpenAPI,
    media: &MediaType,
    pointer: &str,
) -> Result<(Option<String>, Vec<Field>), SpecError> {
    let schema_ptr = format!("{pointer}/schema");
    let Some(schema) = &media.schema else {
        return Err(SpecError::at(
            schema_ptr,
            "the media type has no `schema`".into(),
        ));
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

/// The name typify gives a component schema (its `sanitize(_, Pascal)`).
pub fn type_name(component: &str) -> String {
    let cleaned: String = component
        .replace('\'', "")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = cleaned.to_pascal_case();
    match name.chars().next() {
        Some(c) if c.is_alphabetic() || c == '_' => name,
        _ => format!("X{name}"),
    }
}

/// A snake-case identifier; keywords get a trailing `_`, as typify does.
fn snake_ident(name: &str) -> proc_macro2::Ident {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut snake = cleaned.to_snake_case();
    if !snake.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        snake = format!("x_{snake}");
    }
    if syn::parse_str::<syn::Ident>(&snake).is_err() {
        snake.push('_');
    }
    format_ident!("{}", snake)
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
            if crate::spec::essence(content_type) != crate::spec::MULTIPART {
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
            if crate::spec::essence(content_type) != "application/json" {
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
            Parameter::Cookie { .. } => {
                return Err(SpecError::at(
                    ptr,
                    "cookie parameters are not supported".into(),
                ));
            }
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
            Some((ct, media)) if crate::spec::essence(ct) == "application/json" => {
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

impl Scalar {
    /// The argument type of a parameter.
    fn param_type(&self) -> TokenStream {
        match self {
            Scalar::Str => quote!(&'a str),
            Scalar::I32 => quote!(i32),
            Scalar::I64 => quote!(i64),
            Scalar::F64 => quote!(f64),
            Scalar::Bool => quote!(bool),
            Scalar::Named(n) => {
                let n = format_ident!("{}", n);
                quote!(&'a types::#n)
            }
        }
    }

    /// The stored type of a text form field.
    fn field_type(&self) -> TokenStream {
        match self {
            Scalar::Str => quote!(::std::string::String),
            Scalar::Named(n) => {
                let n = format_ident!("{}", n);
                quote!(types::#n)
            }
            other => other.param_type(),
        }
    }
}

fn response_type(kind: &ResponseKind) -> TokenStream {
    match kind {
        ResponseKind::Json(name) => {
            let name = format_ident!("{}", name);
            quote!(types::#name)
        }
        ResponseKind::Empty => quote!(()),
        ResponseKind::Raw => quote!(ByteStream),
    }
}

fn decode(kind: &ResponseKind) -> TokenStream {
    match kind {
        ResponseKind::Json(_) => quote!(ResponseValue::from_response(response).await?),
        ResponseKind::Empty => quote!(ResponseValue::empty(response)),
        ResponseKind::Raw => quote!(ResponseValue::stream(response)),
    }
}

fn doc_lines(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
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

    pub fn form_name(&self) -> proc_macro2::Ident {
        format_ident!("{}Form", type_name(&self.id))
    }

    /// The form struct, for module `forms`.
    pub fn form(&self) -> TokenStream {
        let name = self.form_name();
        let doc = doc_lines(&[
            Some(&format!(
                "The `multipart/form-data` body of [`Client::{}`](super::Client::{}).",
                snake_ident(&self.id),
                snake_ident(&self.id)
            )),
            self.form_description.as_deref(),
        ]);
        let mut members = Vec::new();
        let mut new_args = Vec::new();
        let mut new_inits = Vec::new();
        let mut setters = Vec::new();
        let mut parts = Vec::new();
        for field in &self.fields {
            let ident = snake_ident(&field.name);
            let api_name = &field.name;
            let base = match &field.kind {
                FieldKind::File => quote!(::codearts_ipd::FilePart),
                FieldKind::Files => quote!(::std::vec::Vec<::codearts_ipd::FilePart>),
                FieldKind::Text(scalar) => scalar.field_type(),
            };
            let field_doc = field
                .description
                .clone()
                .unwrap_or_else(|| format!("Form field `{api_name}`."));
            let (ty, add) = if field.required {
                let add = match &field.kind {
                    FieldKind::File => quote!(form.file(#api_name, &self.#ident);),
                    FieldKind::Files => {
                        quote!(for file in &self.#ident { form.file(#api_name, file); })
                    }
                    FieldKind::Text(_) => quote!(form.text(#api_name, self.#ident.to_string());),
                };
                if let FieldKind::Text(Scalar::Str) = &field.kind {
                    new_args.push(quote!(#ident: impl Into<::std::string::String>));
                    new_inits.push(quote!(#ident: #ident.into()));
                } else {
                    new_args.push(quote!(#ident: #base));
                    new_inits.push(quote!(#ident));
                }
                (base.clone(), add)
            } else {
                let add = match &field.kind {
                    FieldKind::File => {
                        quote!(if let Some(file) = &self.#ident { form.file(#api_name, file); })
                    }
                    FieldKind::Files => quote!(
                        for file in self.#ident.iter().flatten() { form.file(#api_name, file); }
                    ),
                    FieldKind::Text(_) => quote!(
                        if let Some(value) = &self.#ident { form.text(#api_name, value.to_string()); }
                    ),
                };
                let setter = format_ident!("with_{}", ident.to_string().trim_end_matches('_'));
                let setter_doc = format!("Sets the optional field `{api_name}`.");
                let (arg, value) = match &field.kind {
                    FieldKind::Text(Scalar::Str) => (
                        quote!(impl Into<::std::string::String>),
                        quote!(value.into()),
                    ),
                    _ => (base.clone(), quote!(value)),
                };
                setters.push(quote! {
                    #[doc = #setter_doc]
                    pub fn #setter(mut self, value: #arg) -> Self {
                        self.#ident = Some(#value);
                        self
                    }
                });
                new_inits.push(quote!(#ident: None));
                (quote!(::std::option::Option<#base>), add)
            };
            members.push(quote! {
                #[doc = #field_doc]
                pub #ident: #ty,
            });
            parts.push(add);
        }
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug)]
            pub struct #name {
                #(#members)*
            }

            impl #name {
                /// Creates the form from its required fields; optional ones start unset.
                pub fn new(#(#new_args),*) -> Self {
                    Self { #(#new_inits),* }
                }

                #(#setters)*

                /// Lays the fields out as a streaming multipart body, in the
                /// spec's order. Cheap: files are opened only when sent.
                pub fn to_multipart(&self) -> ::codearts_ipd::multipart::Multipart {
                    let mut form = ::codearts_ipd::multipart::Multipart::new();
                    #(#parts)*
                    form
                }
            }
        }
    }

    /// The method, for an `impl Client` block.
    pub fn method(&self) -> TokenStream {
        let fn_name = snake_ident(&self.id);
        let form = self.form_name();
        // progenitor reports the snake-case name as the operation ID; so do we.
        let op_id = fn_name.to_string();
        let http_method = format_ident!("{}", self.method);
        let success = response_type(&self.success);
        let error = response_type(&self.error);

        let mut args = Vec::new();
        let mut arg_docs = Vec::new();
        let mut path_fmt = self.path.clone();
        let mut path_args = Vec::new();
        let mut query = Vec::new();
        let mut headers = Vec::new();
        for param in &self.params {
            let ident = snake_ident(&param.name);
            let name = &param.name;
            let ty = param.ty.param_type();
            if let Some(d) = &param.description {
                arg_docs.push(format!("- `{ident}`: {}", d.trim()));
            }
            match param.location {
                ParamLocation::Path => {
                    path_fmt = path_fmt.replace(&format!("{{{name}}}"), "{}");
                    path_args.push(quote!(encode_path(&#ident.to_string())));
                    args.push(quote!(#ident: #ty));
                }
                ParamLocation::Query | ParamLocation::Header => {
                    let add = if param.location == ParamLocation::Query {
                        quote!(request = request.query(&[(#name, value.to_string())]);)
                    } else {
                        quote!(request = request.header(#name, value.to_string());)
                    };
                    if param.required {
                        args.push(quote!(#ident: #ty));
                        let add_one = quote!({ let value = &#ident; #add });
                        if param.location == ParamLocation::Query {
                            query.push(add_one);
                        } else {
                            headers.push(add_one);
                        }
                    } else {
                        args.push(quote!(#ident: ::std::option::Option<#ty>));
                        let add_one = quote!(if let Some(value) = &#ident { #add });
                        if param.location == ParamLocation::Query {
                            query.push(add_one);
                        } else {
                            headers.push(add_one);
                        }
                    }
                }
            }
        }
        arg_docs.push("- `body`: the form, whose files are streamed from their source".into());
        // Escape braces in the literal parts of the path for format!.
        let path_fmt = path_fmt
            .replace('{', "{{")
            .replace('}', "}}")
            .replace("{{}}", "{}");
        let url_fmt = format!("{{}}{path_fmt}");

        let doc = doc_lines(&[
            self.summary.as_deref(),
            self.description.as_deref(),
            Some(&format!(
                "Sends a `{}` request to `{}` as `multipart/form-data`.",
                self.method.to_uppercase(),
                self.path
            )),
            Some(&format!("Arguments:\n{}", arg_docs.join("\n"))),
        ]);

        let accept = matches!(self.success, ResponseKind::Json(_))
            || matches!(self.error, ResponseKind::Json(_));
        let accept = accept.then(|| {
            quote! {
                .header(
                    ::reqwest::header::ACCEPT,
                    ::reqwest::header::HeaderValue::from_static("application/json"),
                )
            }
        });

        let mut arms = Vec::new();
        let mut has_default = false;
        for (status, is_success) in &self.responses {
            let pattern = match status {
                Status::Code(code) => {
                    let code = proc_macro2::Literal::u16_unsuffixed(*code);
                    quote!(#code)
                }
                Status::Default => {
                    has_default = true;
                    quote!(_)
                }
                Status::Range(r) => {
                    let lo = proc_macro2::Literal::u16_unsuffixed(r * 100);
                    let hi = proc_macro2::Literal::u16_unsuffixed(r * 100 + 99);
                    quote!(#lo..=#hi)
                }
            };
            let arm = if *is_success {
                let d = decode(&self.success);
                quote!(#pattern => Ok(#d),)
            } else {
                let d = decode(&self.error);
                quote!(#pattern => Err(Error::ErrorResponse(#d)),)
            };
            let order = match status {
                Status::Code(_) => 0,
                Status::Range(_) => 1,
                Status::Default => 2,
            };
            arms.push((order, arm));
        }
        // Exact codes first, then ranges, then the default, as progenitor orders them.
        arms.sort_by_key(|(order, _)| *order);
        let arms = arms.into_iter().map(|(_, arm)| arm);
        let fallback =
            (!has_default).then(|| quote!(_ => Err(Error::UnexpectedResponse(response)),));

        quote! {
            #[doc = #doc]
            pub async fn #fn_name<'a>(
                &'a self,
                #(#args,)*
                body: forms::#form,
            ) -> Result<ResponseValue<#success>, Error<#error>> {
                let url = format!(#url_fmt, self.baseurl, #(#path_args),*);
                let info = OperationInfo { operation_id: #op_id };
                // Called again for each retry: path and byte sources are
                // re-read from the start; `None` for an already-sent reader.
                let response = ::codearts_ipd::transport::execute(self, &info, || {
                    #[allow(unused_mut)]
                    let mut request = self.client.#http_method(&url) #accept;
                    #(#query)*
                    #(#headers)*
                    Some(body.to_multipart().attach(request)?.build())
                })
                .await?;
                #[allow(unreachable_patterns)]
                match response.status().as_u16() {
                    #(#arms)*
                    #fallback
                }
            }
        }
    }
}

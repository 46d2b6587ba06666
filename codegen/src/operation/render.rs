//! Rendering an operation's model into tokens, one style for every
//! operation:
//!
//! - a method on `Client` that starts a call:
//!   `client.list_things().project_id(p).page_size(20).send().await`;
//! - its builder in module `builder`, with a setter per parameter and for
//!   the body, and `send()`, which returns `Result<Response<T>, ApiError>`;
//! - for `multipart/form-data` bodies, a form struct in module `forms`.
//!
//! Required parameters are checked by `send()` before anything is sent, so
//! a newly documented optional parameter is one more setter and breaks no
//! caller. The logic of a call lives in the runtime (`Call`); the generated
//! code only describes it, which keeps the crate small.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::model::{Body, BodyKind, Operation, ParamLocation, ResponseKind, Scalar, Status};
use crate::model::Models;
use crate::model::render::setter_parts;
use crate::naming::{body_setter, snake_ident, type_name};

const RT: &str = "::codearts_req_runtime";

fn rt() -> TokenStream {
    RT.parse().expect("a path")
}

impl Scalar {
    /// The type a builder or form stores.
    fn stored(&self) -> TokenStream {
        match self {
            Scalar::Str => quote!(::std::string::String),
            Scalar::I32 => quote!(i32),
            Scalar::I64 => quote!(i64),
            Scalar::F64 => quote!(f64),
            Scalar::Bool => quote!(bool),
            Scalar::Named(n) => {
                let n = format_ident!("{}", n);
                quote!(types::#n)
            }
        }
    }

    /// A setter's argument type, and how it becomes the stored value:
    /// strings and string enums from anything that converts, checked
    /// newtypes (constrained strings) through `TryInto`, into a slot that
    /// `send()` reports if the conversion failed.
    fn setter(&self, models: &Models) -> (TokenStream, TokenStream) {
        let rt = rt();
        match self {
            Scalar::Str => (
                quote!(impl ::std::convert::Into<::std::string::String>),
                quote!(::std::option::Option::Some(value.into())),
            ),
            Scalar::Named(name) if models.checked_newtypes.contains_key(name) => {
                let ty = self.stored();
                (
                    quote!(impl ::std::convert::TryInto<#ty, Error: ::std::fmt::Display>),
                    quote!(#rt::model::Slot::new(value)),
                )
            }
            Scalar::Named(_) => {
                let ty = self.stored();
                (
                    quote!(impl ::std::convert::Into<#ty>),
                    quote!(::std::option::Option::Some(value.into())),
                )
            }
            other => (other.stored(), quote!(::std::option::Option::Some(value))),
        }
    }

    /// A form field setter's argument type and conversion (forms hold
    /// their values as they are).
    fn form_setter(&self) -> (TokenStream, TokenStream) {
        match self {
            Scalar::Str => (
                quote!(impl ::std::convert::Into<::std::string::String>),
                quote!(value.into()),
            ),
            other => (other.stored(), quote!(value)),
        }
    }

    /// Whether the builder keeps it in a slot (a conversion that can fail).
    fn in_slot(&self, models: &Models) -> bool {
        matches!(self, Scalar::Named(name) if models.checked_newtypes.contains_key(name))
    }
}

fn success_type(kind: &ResponseKind) -> TokenStream {
    let rt = rt();
    match kind {
        ResponseKind::Json(name) => {
            let name = format_ident!("{}", name);
            quote!(types::#name)
        }
        ResponseKind::Empty => quote!(()),
        ResponseKind::Raw => quote!(#rt::ByteStream),
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

/// One member of a builder: a parameter or the body.
struct Member {
    ident: proc_macro2::Ident,
    /// The field's whole type (an `Option` or a runtime `Slot`).
    stored: TokenStream,
    setter_arg: TokenStream,
    /// How the setter's `value` becomes the stored value.
    convert: TokenStream,
    doc: String,
}

/// A top-level field of a JSON object body, set on the operation's builder
/// and forwarded to the body's own builder.
struct BodyField {
    setter: proc_macro2::Ident,
    /// The field's JSON name.
    wire: String,
    arg: TokenStream,
    forward: TokenStream,
    doc: String,
}

impl Operation {
    fn fn_name(&self) -> proc_macro2::Ident {
        snake_ident(&self.id)
    }

    fn builder_name(&self) -> proc_macro2::Ident {
        format_ident!("{}", type_name(&self.id))
    }

    fn form_name(&self) -> proc_macro2::Ident {
        format_ident!("{}Form", type_name(&self.id))
    }

    /// The method on `Client` that starts a call.
    pub fn entry(&self, models: &Models) -> TokenStream {
        let fn_name = self.fn_name();
        let builder = self.builder_name();
        let mut params = Vec::new();
        for p in &self.params {
            let ident = snake_ident(&p.name);
            let place = match p.location {
                ParamLocation::Path => "path",
                ParamLocation::Query => "query",
                ParamLocation::Header => "header",
            };
            let required = if p.required { ", required" } else { "" };
            let description = p.description.as_deref().unwrap_or_default().trim();
            let description = if description.is_empty() {
                String::new()
            } else {
                format!(": {description}")
            };
            params.push(format!(
                "- [`{ident}`](builder::{builder}::{ident}) ({place}{required}){description}"
            ));
        }
        if let Some(body) = &self.body {
            let required = if body.required { ", required" } else { "" };
            let description = match body.description.as_deref().map(str::trim) {
                Some(d) if !d.is_empty() => format!(": {d}"),
                _ => String::new(),
            };
            params.push(format!(
                "- [`body`](builder::{builder}::body) (`{}`{required}){description}",
                body.content_type
            ));
            for field in self.body_fields(models) {
                let (setter, wire) = (&field.setter, &field.wire);
                params.push(format!(
                    "  - [`{setter}`](builder::{builder}::{setter}) (body field `{wire}`)"
                ));
            }
        }
        let params = (!params.is_empty()).then(|| format!("Parameters:\n{}", params.join("\n")));
        let doc = doc_lines(&[
            self.summary.as_deref(),
            self.description.as_deref(),
            Some(&format!(
                "`{} {}`, operation `{}`: set the parameters on the returned builder, then \
                 [`send`](builder::{builder}::send) it.",
                self.method.to_uppercase(),
                self.path,
                self.id
            )),
            Some(if self.idempotent {
                "Idempotent: a failed attempt is retried wherever retrying is safe \
                 (see `codearts_req::retry`)."
            } else {
                "Not idempotent: retried only when the service certainly did not process it \
                 (no connection, 429, 503), never after a 502 or 504 (see `codearts_req::retry`)."
            }),
            params.as_deref(),
        ]);
        quote! {
            #[doc = #doc]
            pub fn #fn_name(&self) -> builder::#builder<'_> {
                builder::#builder::new(self)
            }
        }
    }

    /// The JSON object body's model, if the body is one (its fields are
    /// setters of the builder too).
    fn body_model<'m>(&self, models: &'m Models) -> Option<&'m crate::model::Struct> {
        match &self.body {
            Some(Body {
                kind: BodyKind::Json(name),
                ..
            }) => models.structs.get(name),
            _ => None,
        }
    }

    /// The setters of the body's top-level fields.
    fn body_fields(&self, models: &Models) -> Vec<BodyField> {
        let Some(model) = self.body_model(models) else {
            return Vec::new();
        };
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| snake_ident(&p.name).to_string())
            .collect();
        model
            .fields
            .iter()
            .map(|f| {
                // The setter as the body's builder has it, its types named
                // from module `builder`.
                let field_here = crate::model::Field {
                    ident: f.ident.clone(),
                    wire: f.wire.clone(),
                    ty: crate::model::qualified(&f.ty),
                    presence: crate::model::Presence::Optional,
                    doc: String::new(),
                };
                let (arg, _) = setter_parts(&field_here, models.setter_is_fallible(&f.ty));
                let field = f.ident.clone();
                let setter = format_ident!("{}", body_setter(&field.to_string(), &params));
                let value = if matches!(f.inner().shape(), crate::model::Shape::List { .. }) {
                    quote!(values)
                } else {
                    quote!(value)
                };
                BodyField {
                    forward: quote!(self.body.unwrap_or_default().#field(#value)),
                    setter,
                    wire: f.wire.clone(),
                    arg,
                    doc: if f.doc.is_empty() {
                        format!("Sets the body field `{}`.", f.wire)
                    } else {
                        format!("{}\n\nBody field `{}`.", f.doc, f.wire)
                    },
                }
            })
            .collect()
    }

    fn members(&self, models: &Models) -> Vec<Member> {
        let rt = rt();
        let mut members: Vec<Member> = self
            .params
            .iter()
            .map(|p| {
                let (setter_arg, convert) = p.ty.setter(models);
                let stored = p.ty.stored();
                let slot = p.ty.in_slot(models);
                Member {
                    ident: snake_ident(&p.name),
                    stored: if slot {
                        quote!(#rt::model::Slot<#stored>)
                    } else {
                        quote!(::std::option::Option<#stored>)
                    },
                    setter_arg,
                    convert,
                    doc: p
                        .description
                        .clone()
                        .unwrap_or_else(|| format!("Parameter `{}`.", p.name)),
                }
            })
            .collect();
        if let Some(body) = &self.body {
            let doc = body
                .description
                .clone()
                .unwrap_or_else(|| format!("The `{}` body.", body.content_type));
            let member = match (&body.kind, self.body_model(models)) {
                (BodyKind::Json(name), Some(_)) => {
                    let (name, builder) =
                        (format_ident!("{}", name), format_ident!("{}Builder", name));
                    Member {
                        ident: format_ident!("body"),
                        stored: quote!(::std::option::Option<types::builders::#builder>),
                        setter_arg: quote!(types::#name),
                        convert: quote!(::std::option::Option::Some(value.into())),
                        doc: format!(
                            "{doc}\n\nThe whole body at once; its fields also have setters \
                             of their own on this builder. A field set after this changes \
                             this body."
                        ),
                    }
                }
                (BodyKind::Json(name), None) => {
                    let name = format_ident!("{}", name);
                    Member {
                        ident: format_ident!("body"),
                        stored: quote!(::std::option::Option<types::#name>),
                        setter_arg: quote!(impl ::std::convert::Into<types::#name>),
                        convert: quote!(::std::option::Option::Some(value.into())),
                        doc,
                    }
                }
                (BodyKind::Form(_), _) => {
                    let form = self.form_name();
                    Member {
                        ident: format_ident!("body"),
                        stored: quote!(::std::option::Option<forms::#form>),
                        setter_arg: quote!(forms::#form),
                        convert: quote!(::std::option::Option::Some(value)),
                        doc: format!(
                            "{doc}\n\nThe whole form at once; its fields also have setters of \
                             their own on this builder (`.attachment(FilePart::from_path(..).await?)`). \
                             A field set on this builder replaces the form's."
                        ),
                    }
                }
            };
            members.push(member);
            members.extend(self.form_setters().into_iter().map(|f| f.member));
        }
        members
    }

    /// The builder of a call, for module `builder`.
    pub fn builder(&self, models: &Models) -> TokenStream {
        let rt = rt();
        let name = self.builder_name();
        let fn_name = self.fn_name();
        let members = self.members(models);
        let fields = members.iter().map(|m| {
            let (ident, stored) = (&m.ident, &m.stored);
            quote!(#ident: #stored,)
        });
        let customize_doc = "This call's own retry policy, deadline, attempt timeout or \
            stalled-stream protection, over the client's: \
            `.customize(|c| c.retry(RetryPolicy::none()).deadline(Duration::from_secs(30)))`.";
        let inits = members.iter().map(|m| {
            let ident = &m.ident;
            quote!(#ident: ::std::default::Default::default(),)
        });
        let form_setters = self.form_setters();
        let setters = members.iter().map(|m| {
            let (ident, arg, convert, doc) = (&m.ident, &m.setter_arg, &m.convert, &m.doc);
            // A form field's member is `form_<field>`; its setter is named
            // as the field.
            let setter = form_setters
                .iter()
                .find(|f| f.member.ident == *ident)
                .map_or(ident, |f| &f.setter);
            quote! {
                #[doc = #doc]
                pub fn #setter(mut self, value: #arg) -> Self {
                    self.#ident = #convert;
                    self
                }
            }
        });
        let form_assembly = self.form_assembly();
        let mutable = (!form_setters.is_empty()).then(|| quote!(mut));
        let body_setters = self.body_fields(models).into_iter().map(|f| {
            let (setter, arg, forward, doc) = (&f.setter, &f.arg, &f.forward, &f.doc);
            quote! {
                #[doc = #doc]
                pub fn #setter(mut self, #arg) -> Self {
                    self.body = ::std::option::Option::Some(#forward);
                    self
                }
            }
        });
        // Values that may have failed their conversion: their problems are
        // reported in the call's order (`Call::problem`).
        let id = &self.id;
        let checks = self
            .params
            .iter()
            .filter(|p| p.ty.in_slot(models))
            .map(|p| {
                let (ident, name) = (snake_ident(&p.name), &p.name);
                let problem =
                    format_ident!("{}_problem", ident.to_string().trim_start_matches("r#"));
                quote!(let (#ident, #problem) = self.#ident.into_param(#id, #name);)
            });
        let body_check = self.body_check(models);
        // A string that names no value of a parameter's enum is a typo:
        // refused before sending, as a body field's is.
        let enum_checks = self.params.iter().filter_map(|p| {
            let super::model::Scalar::Named(ty) = &p.ty else {
                return None;
            };
            if !models.enums.contains_key(ty) || p.ty.in_slot(models) {
                return None;
            }
            let (ident, name, ty) = (snake_ident(&p.name), &p.name, format_ident!("{}", ty));
            Some(quote! {
                if let ::std::option::Option::Some(types::#ty::Unknown(value)) = &self.#ident
                    && value.is_unrecognised()
                {
                    return ::std::result::Result::Err(#rt::ApiError::InvalidParameter {
                        operation: #id,
                        parameter: #name,
                        reason: ::std::format!(
                            "`{}` is not one of {}",
                            #rt::printable(value.as_str()),
                            types::#ty::VALUES.join(", ")
                        ),
                    });
                }
            })
        });
        let doc = format!(
            "A call of [`Client::{fn_name}`](super::Client::{fn_name}): set its parameters, \
             then [`send`](Self::send) it."
        );
        let success = success_type(&self.success);
        let send_doc = "Sends the call: checks the required parameters, then signs, sends and \
                        (when safe) retries it. Nothing is sent if a required parameter is \
                        missing or a path parameter is not exactly one segment.";
        let chain = self.call_chain(models);
        let paginator = paging::paginator(self, models, &name);
        let arms = self.arms();
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug)]
            #[must_use = "nothing is sent until `.send()` is awaited"]
            pub struct #name<'a> {
                client: &'a super::Client,
                customize: #rt::CallConfig,
                #(#fields)*
            }

            impl<'a> #name<'a> {
                pub(super) fn new(client: &'a super::Client) -> Self {
                    Self { client, customize: ::std::default::Default::default(), #(#inits)* }
                }

                #[doc = #customize_doc]
                pub fn customize(mut self, f: impl ::std::ops::FnOnce(#rt::CallConfig) -> #rt::CallConfig) -> Self {
                    self.customize = f(self.customize);
                    self
                }

                #(#setters)*

                #(#body_setters)*

                #[doc = #send_doc]
                pub async fn send(#mutable self) -> ::std::result::Result<#rt::Response<#success>, #rt::ApiError> {
                    #(#enum_checks)*
                    #(#checks)*
                    #body_check
                    #form_assembly
                    let response = self.client.transport()
                        #chain
                        .send()
                        .await?;
                    #[allow(unreachable_patterns)]
                    match response.status() {
                        #(#arms)*
                    }
                }
            }

            #paginator
        }
    }

    /// Builds a JSON object body from its builder (an unset required body
    /// from an empty one, so required fields are reported by name).
    fn body_check(&self, models: &Models) -> TokenStream {
        let Some(Body {
            kind: BodyKind::Json(name),
            required,
            ..
        }) = &self.body
        else {
            return TokenStream::new();
        };
        if !models.structs.contains_key(name) {
            return TokenStream::new();
        }
        let id = &self.id;
        let builder = format_ident!("{}Builder", name);
        let unset = if *required {
            quote!(::std::option::Option::Some(types::builders::#builder::default()))
        } else {
            quote!(::std::option::Option::None)
        };
        let rt = rt();
        if models.is_fallible(name) {
            quote! {
                let (body, body_problem) = #rt::model::into_body(
                    self.body.or(#unset).map(|builder| builder.build()).transpose(),
                    #id,
                );
            }
        } else {
            quote! {
                let body = self.body.or(#unset).map(|builder| builder.build());
            }
        }
    }

    /// `.call(...)`, then the path, query, headers and body.
    fn call_chain(&self, models: &Models) -> TokenStream {
        let rt = rt();
        let id = &self.id;
        let method = format_ident!("{}", self.method.to_uppercase());
        let idempotent = self.idempotent;
        let mut chain = vec![
            quote!(.call(#rt::Method::#method, #id).idempotent(#idempotent).config(&self.customize)),
        ];
        let mut rest = self.path.as_str();
        while let Some(open) = rest.find('{') {
            let close = open + rest[open..].find('}').expect("validated path template");
            let literal = &rest[..open];
            if !literal.is_empty() {
                chain.push(quote!(.path(#literal)));
            }
            let name = &rest[open + 1..close];
            let value = self.value_of(name, models);
            chain.extend(self.problem_of(name, models));
            chain.push(quote!(.path_param(#name, #value)));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            chain.push(quote!(.path(#rest)));
        }
        for p in &self.params {
            let (name, required) = (&p.name, p.required);
            let value = self.value_of(name, models);
            if p.location != ParamLocation::Path {
                chain.extend(self.problem_of(name, models));
            }
            match p.location {
                ParamLocation::Path => {}
                ParamLocation::Query => chain.push(quote!(.query(#name, #value, #required))),
                ParamLocation::Header => chain.push(quote!(.header(#name, #value, #required))),
            }
        }
        if matches!(self.success, ResponseKind::Json(_)) {
            chain.push(quote!(.accept("application/json")));
        }
        if let Some(Body {
            content_type,
            required,
            kind,
            ..
        }) = &self.body
        {
            chain.push(match kind {
                BodyKind::Json(name) if models.structs.contains_key(name) => {
                    let problem = models
                        .is_fallible(name)
                        .then(|| quote!(.problem(body_problem)));
                    quote!(#problem .json(#content_type, body.as_ref(), #required))
                }
                BodyKind::Json(_) => quote!(.json(#content_type, self.body.as_ref(), #required)),
                BodyKind::Form(_) => quote! {
                    .form(
                        form_body.as_ref().map(|form| form as &(dyn #rt::ToMultipart + Sync)),
                        #required,
                    )
                },
            });
        }
        quote!(#(#chain)*)
    }

    /// `.problem(x_problem)` before parameter `name`, if its value may
    /// have failed its conversion.
    fn problem_of(&self, name: &str, models: &Models) -> Option<TokenStream> {
        let slot = self
            .params
            .iter()
            .any(|p| p.name == name && p.ty.in_slot(models));
        slot.then(|| {
            let problem = format_ident!(
                "{}_problem",
                snake_ident(name).to_string().trim_start_matches("r#")
            );
            quote!(.problem(#problem))
        })
    }

    /// How the call chain reads parameter `name`: from the builder, or from
    /// the local that `send()` checked it into.
    fn value_of(&self, name: &str, models: &Models) -> TokenStream {
        let ident = snake_ident(name);
        let slot = self
            .params
            .iter()
            .any(|p| p.name == name && p.ty.in_slot(models));
        if slot {
            quote!(#ident.as_ref())
        } else {
            quote!(self.#ident.as_ref())
        }
    }

    /// The status arms: exact codes, then ranges, then the default, in
    /// `Status`'s own order.
    fn arms(&self) -> Vec<TokenStream> {
        let mut responses = self.responses.clone();
        responses.sort_by_key(|(status, _)| *status);
        let mut has_default = false;
        let mut arms: Vec<TokenStream> = responses
            .iter()
            .map(|(status, is_success)| {
                let pattern = match status {
                    Status::Code(code) => {
                        let code = Literal::u16_unsuffixed(*code);
                        quote!(#code)
                    }
                    Status::Range(r) => {
                        let lo = Literal::u16_unsuffixed(r * 100);
                        let hi = Literal::u16_unsuffixed(r * 100 + 99);
                        quote!(#lo..=#hi)
                    }
                    Status::Default => {
                        has_default = true;
                        quote!(_)
                    }
                };
                if *is_success {
                    let decode = match self.success {
                        ResponseKind::Json(_) => quote!(response.json().await),
                        ResponseKind::Empty => quote!(Ok(response.empty())),
                        ResponseKind::Raw => quote!(Ok(response.stream())),
                    };
                    quote!(#pattern => #decode,)
                } else {
                    quote!(#pattern => Err(response.error(true).await),)
                }
            })
            .collect();
        if !has_default {
            arms.push(quote!(_ => Err(response.error(false).await),));
        }
        arms
    }
}

/// How generated code reads, and sets, places of the models, for
/// paginators: by accessors (read) and through the body's builder (set).
mod paging;

/// `multipart/form-data` bodies: their form structs, and their fields'
/// setters on the builder.
mod form;

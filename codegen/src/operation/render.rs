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

use super::model::{
    Body, BodyKind, Field, FieldKind, Operation, ParamLocation, ResponseKind, Scalar, Status,
};
use crate::naming::{snake_ident, type_name};

const RT: &str = "::codearts_ipd_runtime";

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

    /// A setter's argument type, and how it becomes the stored value.
    fn setter(&self) -> (TokenStream, TokenStream) {
        match self {
            Scalar::Str => (
                quote!(impl ::std::convert::Into<::std::string::String>),
                quote!(value.into()),
            ),
            other => (other.stored(), quote!(value)),
        }
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
    stored: TokenStream,
    setter_arg: TokenStream,
    convert: TokenStream,
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
    pub fn entry(&self) -> TokenStream {
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
            params.as_deref(),
        ]);
        quote! {
            #[doc = #doc]
            pub fn #fn_name(&self) -> builder::#builder<'_> {
                builder::#builder::new(self)
            }
        }
    }

    fn members(&self) -> Vec<Member> {
        let mut members: Vec<Member> = self
            .params
            .iter()
            .map(|p| {
                let (setter_arg, convert) = p.ty.setter();
                Member {
                    ident: snake_ident(&p.name),
                    stored: p.ty.stored(),
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
            let ty = match &body.kind {
                BodyKind::Json(name) => {
                    let name = format_ident!("{}", name);
                    quote!(types::#name)
                }
                BodyKind::Form(_) => {
                    let form = self.form_name();
                    quote!(forms::#form)
                }
            };
            members.push(Member {
                ident: format_ident!("body"),
                stored: ty.clone(),
                setter_arg: ty,
                convert: quote!(value),
                doc: body
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("The `{}` body.", body.content_type)),
            });
        }
        members
    }

    /// The builder of a call, for module `builder`.
    pub fn builder(&self) -> TokenStream {
        let rt = rt();
        let name = self.builder_name();
        let fn_name = self.fn_name();
        let members = self.members();
        let fields = members.iter().map(|m| {
            let (ident, stored) = (&m.ident, &m.stored);
            quote!(#ident: ::std::option::Option<#stored>,)
        });
        let inits = members.iter().map(|m| {
            let ident = &m.ident;
            quote!(#ident: ::std::option::Option::None,)
        });
        let setters = members.iter().map(|m| {
            let (ident, arg, convert, doc) = (&m.ident, &m.setter_arg, &m.convert, &m.doc);
            quote! {
                #[doc = #doc]
                pub fn #ident(mut self, value: #arg) -> Self {
                    self.#ident = ::std::option::Option::Some(#convert);
                    self
                }
            }
        });
        let doc = format!(
            "A call of [`Client::{fn_name}`](super::Client::{fn_name}): set its parameters, \
             then [`send`](Self::send) it."
        );
        let success = success_type(&self.success);
        let send_doc = "Sends the call: checks the required parameters, then signs, sends and \
                        (when safe) retries it. Nothing is sent if a required parameter is \
                        missing or a path parameter is not exactly one segment.";
        let chain = self.call_chain();
        let arms = self.arms();
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug)]
            #[must_use = "nothing is sent until `.send()` is awaited"]
            pub struct #name<'a> {
                client: &'a super::Client,
                #(#fields)*
            }

            impl<'a> #name<'a> {
                pub(super) fn new(client: &'a super::Client) -> Self {
                    Self { client, #(#inits)* }
                }

                #(#setters)*

                #[doc = #send_doc]
                pub async fn send(self) -> ::std::result::Result<#rt::Response<#success>, #rt::ApiError> {
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
        }
    }

    /// `.call(...)`, then the path, query, headers and body.
    fn call_chain(&self) -> TokenStream {
        let rt = rt();
        let id = &self.id;
        let method = format_ident!("{}", self.method.to_uppercase());
        let mut chain = vec![quote!(.call(#rt::Method::#method, #id))];
        let mut rest = self.path.as_str();
        while let Some(open) = rest.find('{') {
            let close = open + rest[open..].find('}').expect("validated path template");
            let literal = &rest[..open];
            if !literal.is_empty() {
                chain.push(quote!(.path(#literal)));
            }
            let name = &rest[open + 1..close];
            let ident = snake_ident(name);
            chain.push(quote!(.path_param(#name, self.#ident.as_ref())));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            chain.push(quote!(.path(#rest)));
        }
        for p in &self.params {
            let (name, ident, required) = (&p.name, snake_ident(&p.name), p.required);
            match p.location {
                ParamLocation::Path => {}
                ParamLocation::Query => {
                    chain.push(quote!(.query(#name, self.#ident.as_ref(), #required)))
                }
                ParamLocation::Header => {
                    chain.push(quote!(.header(#name, self.#ident.as_ref(), #required)))
                }
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
                BodyKind::Json(_) => quote!(.json(#content_type, self.body.as_ref(), #required)),
                BodyKind::Form(_) => quote! {
                    .form(
                        self.body.as_ref().map(|form| form as &(dyn #rt::ToMultipart + Sync)),
                        #required,
                    )
                },
            });
        }
        quote!(#(#chain)*)
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

    /// The form struct of a multipart body, for module `forms`, if any.
    pub fn form(&self) -> Option<TokenStream> {
        let Some(Body {
            kind: BodyKind::Form(fields),
            description,
            ..
        }) = &self.body
        else {
            return None;
        };
        let rt = rt();
        let name = self.form_name();
        let fn_name = self.fn_name();
        let doc = doc_lines(&[
            Some(&format!(
                "The `multipart/form-data` body of [`Client::{fn_name}`](super::Client::{fn_name})."
            )),
            description.as_deref(),
        ]);
        let parts: Vec<FormField> = fields.iter().map(form_field).collect();
        let members = parts.iter().map(|p| &p.member);
        let new_args = parts.iter().filter_map(|p| p.new_arg.as_ref());
        let new_inits = parts.iter().map(|p| &p.new_init);
        let setters = parts.iter().filter_map(|p| p.setter.as_ref());
        let adds = parts.iter().map(|p| &p.add);
        Some(quote! {
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
            }

            impl #rt::ToMultipart for #name {
                fn to_multipart(&self) -> #rt::multipart::Multipart {
                    let mut form = #rt::multipart::Multipart::new();
                    #(#adds)*
                    form
                }
            }
        })
    }
}

/// What one form field adds to its form struct.
struct FormField {
    member: TokenStream,
    new_arg: Option<TokenStream>,
    new_init: TokenStream,
    setter: Option<TokenStream>,
    add: TokenStream,
}

fn form_field(field: &Field) -> FormField {
    let rt = rt();
    let ident = snake_ident(&field.name);
    let api_name = &field.name;
    let base = match &field.kind {
        FieldKind::File => quote!(#rt::FilePart),
        FieldKind::Files => quote!(::std::vec::Vec<#rt::FilePart>),
        FieldKind::Text(scalar) => scalar.stored(),
    };
    let (arg, convert) = match &field.kind {
        FieldKind::Text(scalar) => scalar.setter(),
        _ => (base.clone(), quote!(value)),
    };
    let doc = field
        .description
        .clone()
        .unwrap_or_else(|| format!("Form field `{api_name}`."));
    if field.required {
        let add = match &field.kind {
            FieldKind::File => quote!(form.file(#api_name, &self.#ident);),
            FieldKind::Files => quote!(for file in &self.#ident { form.file(#api_name, file); }),
            FieldKind::Text(_) => quote!(form.text(#api_name, self.#ident.to_string());),
        };
        let new_init = match &field.kind {
            FieldKind::Text(Scalar::Str) => quote!(#ident: #ident.into()),
            _ => quote!(#ident),
        };
        FormField {
            member: quote!(#[doc = #doc] pub #ident: #base,),
            new_arg: Some(quote!(#ident: #arg)),
            new_init,
            setter: None,
            add,
        }
    } else {
        let add = match &field.kind {
            FieldKind::File => {
                quote!(if let Some(file) = &self.#ident { form.file(#api_name, file); })
            }
            FieldKind::Files => {
                quote!(for file in self.#ident.iter().flatten() { form.file(#api_name, file); })
            }
            FieldKind::Text(_) => quote!(
                if let Some(value) = &self.#ident { form.text(#api_name, value.to_string()); }
            ),
        };
        let setter = format_ident!("with_{}", ident.to_string().trim_end_matches('_'));
        let setter_doc = format!("Sets the optional field `{api_name}`.");
        FormField {
            member: quote!(#[doc = #doc] pub #ident: ::std::option::Option<#base>,),
            new_arg: None,
            new_init: quote!(#ident: None),
            setter: Some(quote! {
                #[doc = #setter_doc]
                pub fn #setter(mut self, value: #arg) -> Self {
                    self.#ident = Some(#convert);
                    self
                }
            }),
            add,
        }
    }
}

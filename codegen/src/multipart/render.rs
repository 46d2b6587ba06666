//! Rendering the model of a multipart operation into tokens: a form struct
//! (module `forms`) and a method on `Client`.
//!
//! The methods look and behave like progenitor's positional methods: same
//! argument order (path, query and header parameters, then the body), same
//! `ResponseValue`/`Error` types, same model types. The body is a generated
//! form struct whose file fields are the runtime's streaming `FilePart`s.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::model::{FieldKind, Operation, ParamLocation, ResponseKind, Scalar, Status};
use crate::naming::{snake_ident, type_name};

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
    pub fn form_name(&self) -> proc_macro2::Ident {
        format_ident!("{}Form", type_name(&self.id))
    }

    /// The form struct, for module `forms`. Long because it is a template:
    /// each field adds to five places of one struct and its impl.
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
                FieldKind::File => quote!(::codearts_ipd_runtime::FilePart),
                FieldKind::Files => quote!(::std::vec::Vec<::codearts_ipd_runtime::FilePart>),
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
                pub fn to_multipart(&self) -> ::codearts_ipd_runtime::multipart::Multipart {
                    let mut form = ::codearts_ipd_runtime::multipart::Multipart::new();
                    #(#parts)*
                    form
                }
            }
        }
    }

    /// The method, for an `impl Client` block. Long because it is a
    /// template: the parameters, the documentation and the response arms
    /// all feed one `quote!`.
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
            arms.push((*status, arm));
        }
        // Exact codes first, then ranges, then the default, as progenitor
        // orders them: `Status`'s own order.
        arms.sort_by_key(|(status, _)| *status);
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
                let response = ::codearts_ipd_runtime::send::execute(self, &info, || {
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

//! `multipart/form-data` bodies: the form struct of each (module `forms`),
//! and a setter per field on the operation's builder, as JSON bodies have.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Member, doc_lines, rt};
use crate::naming::{body_setter, snake_ident};
use crate::operation::model::{Body, BodyKind, Field, FieldKind, Operation, Scalar};

impl Operation {
    /// A builder member and setter per field of a `multipart/form-data`
    /// body, as JSON bodies have per field: named as the field, or
    /// `body_<field>` where a parameter or a member of the builder has the
    /// name (validation makes sure that one is free).
    pub(super) fn form_setters(&self) -> Vec<FormSetter> {
        let Some(Body {
            kind: BodyKind::Form(fields),
            ..
        }) = &self.body
        else {
            return Vec::new();
        };
        let rt = rt();
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| snake_ident(&p.name).to_string())
            .collect();
        fields
            .iter()
            .map(|field| {
                let ident = snake_ident(&field.name);
                let setter = format_ident!("{}", body_setter(&ident.to_string(), &params));
                let slot = format_ident!("form_{}", ident.to_string().trim_start_matches("r#"));
                let (stored, arg, convert) = match &field.kind {
                    FieldKind::File => {
                        (quote!(#rt::FilePart), quote!(#rt::FilePart), quote!(value))
                    }
                    FieldKind::Files => (
                        quote!(::std::vec::Vec<#rt::FilePart>),
                        quote!(impl ::std::iter::IntoIterator<Item = #rt::FilePart>),
                        quote!(value.into_iter().collect()),
                    ),
                    FieldKind::Text(scalar) => {
                        let (arg, convert) = scalar.form_setter();
                        (scalar.stored(), arg, convert)
                    }
                };
                let doc = match &field.description {
                    Some(d) if !d.is_empty() => format!("{d}\n\nForm field `{}`.", field.name),
                    _ => format!("Sets the form field `{}`.", field.name),
                };
                FormSetter {
                    member: Member {
                        ident: slot.clone(),
                        stored: quote!(::std::option::Option<#stored>),
                        setter_arg: arg,
                        convert: quote!(::std::option::Option::Some(#convert)),
                        doc,
                    },
                    setter,
                    form_ident: ident,
                    name: field.name.clone(),
                    required: field.required,
                }
            })
            .collect()
    }

    /// Statements that make the form to send, as `form_body`: the form
    /// given whole, with the fields set one by one over it; or, if only
    /// fields were set, a form of them (a required one unset is
    /// `MissingParameter`, before anything is sent).
    pub(super) fn form_assembly(&self) -> TokenStream {
        let fields = self.form_setters();
        if fields.is_empty() {
            return TokenStream::new();
        }
        let rt = rt();
        let form = self.form_name();
        let id = &self.id;
        let overrides = fields.iter().map(|f| {
            let (slot, ident) = (&f.member.ident, &f.form_ident);
            if f.required {
                quote!(if let ::std::option::Option::Some(v) = self.#slot.take() { form.#ident = v; })
            } else {
                quote!(if let ::std::option::Option::Some(v) = self.#slot.take() { form.#ident = ::std::option::Option::Some(v); })
            }
        });
        let any_set = fields.iter().map(|f| {
            let slot = &f.member.ident;
            quote!(self.#slot.is_some())
        });
        let required: Vec<_> = fields.iter().filter(|f| f.required).collect();
        let takes = required.iter().map(|f| {
            let (slot, ident, name) = (&f.member.ident, &f.form_ident, &f.name);
            quote! {
                let ::std::option::Option::Some(#ident) = self.#slot.take() else {
                    return ::std::result::Result::Err(#rt::ApiError::MissingParameter {
                        operation: #id,
                        parameter: #name,
                    });
                };
            }
        });
        let new_args = required.iter().map(|f| &f.form_ident);
        quote! {
            let form_body: ::std::option::Option<forms::#form> = match self.body.take() {
                ::std::option::Option::Some(form) => ::std::option::Option::Some(form),
                ::std::option::Option::None if false #(|| #any_set)* => {
                    #(#takes)*
                    ::std::option::Option::Some(forms::#form::new(#(#new_args),*))
                }
                ::std::option::Option::None => ::std::option::Option::None,
            };
            let form_body = form_body.map(|mut form| {
                #(#overrides)*
                form
            });
        }
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

/// A form field's setter on an operation's builder.
pub(super) struct FormSetter {
    /// The builder's member keeping it (`form_<field>`).
    pub(super) member: Member,
    /// The setter's name.
    pub(super) setter: proc_macro2::Ident,
    /// The field's member in the form struct.
    pub(super) form_ident: proc_macro2::Ident,
    /// The field's name in the spec.
    pub(super) name: String,
    pub(super) required: bool,
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
        FieldKind::Text(scalar) => scalar.form_setter(),
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

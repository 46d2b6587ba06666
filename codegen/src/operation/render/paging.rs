//! How generated code reads, and sets, places of the models, for
//! paginators: by accessors (read) and through the body's builder (set).
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::super::model::{BodyKind, Operation, ResponseKind};
use super::super::pagination::Place;
use super::rt;
use crate::model::{Models, Presence, Shape, qualified};
use crate::naming::snake_ident;

/// `value` (a `u64`) as the integer type `ty`, saturating.
fn integer(ty: &syn::Type, value: TokenStream) -> TokenStream {
    let rt = rt();
    quote!(<#ty as #rt::paginate::FromPosition>::from_position(#value))
}

/// A value of a field's type, without its `Option`, from a `u64`.
fn number_of(field: &crate::model::Field, value: TokenStream) -> TokenStream {
    let rt = rt();
    let inner = field.inner();
    match inner.shape() {
        Shape::Lenient(int) => {
            let n = integer(&qualified(int), value);
            quote!(#rt::LenientInt(#n))
        }
        _ => integer(&qualified(inner.ty), value),
    }
}

/// A value for a model's field (in its `Option` if it has one).
fn number_for(field: &crate::model::Field, value: TokenStream) -> TokenStream {
    let converted = number_of(field, value);
    match field.presence {
        Presence::Optional => quote!(::std::option::Option::Some(#converted)),
        _ => converted,
    }
}

/// Statements that set `place` of the call `call` to `value`.
pub fn set(op: &Operation, models: &Models, place: &Place, value: TokenStream) -> TokenStream {
    match place {
        Place::Query(name) => {
            let ident = snake_ident(name);
            let param = op
                .params
                .iter()
                .find(|p| &p.name == name)
                .expect("validated");
            let stored = match param.ty {
                super::super::model::Scalar::Str => quote!(#value.to_string()),
                _ => {
                    let ty: syn::Type = syn::parse2(param.ty.stored()).expect("a type");
                    integer(&ty, value)
                }
            };
            quote!(call.#ident = ::std::option::Option::Some(#stored);)
        }
        Place::Body(fields) => {
            let Some(BodyKind::Json(name)) = op.body.as_ref().map(|b| &b.kind) else {
                unreachable!("validated: a JSON body")
            };
            let model = &models.structs[name];
            let outer = model
                .fields
                .iter()
                .find(|f| f.wire == fields[0])
                .expect("validated");
            let outer_ident = &outer.ident;
            let slot = models.setter_is_fallible(&outer.ty);
            match &fields[1..] {
                [] => {
                    // The builder keeps a field's value without `Option`.
                    let n = number_of(outer, value);
                    let rt = rt();
                    let stored = if slot {
                        quote!(#rt::model::Slot::Set(#n))
                    } else {
                        quote!(::std::option::Option::Some(#n))
                    };
                    quote! {
                        let mut body = call.body.take().unwrap_or_default();
                        body.#outer_ident = #stored;
                        call.body = ::std::option::Option::Some(body);
                    }
                }
                [inner_name] => {
                    let nested_ty = qualified(outer.inner().ty);
                    let nested_name =
                        crate::model::last_ident(outer.inner().ty).unwrap_or_default();
                    let nested = &models.structs[&nested_name];
                    let inner = nested
                        .fields
                        .iter()
                        .find(|f| &f.wire == inner_name)
                        .expect("validated");
                    let inner_ident = &inner.ident;
                    let n = number_for(inner, value);
                    let rt = rt();
                    let (take, put) = if slot {
                        (
                            quote!(match ::std::mem::take(&mut body.#outer_ident) { #rt::model::Slot::Set(v) => v, _ => ::std::default::Default::default() }),
                            quote!(#rt::model::Slot::Set(nested)),
                        )
                    } else {
                        (
                            quote!(body.#outer_ident.take().unwrap_or_default()),
                            quote!(::std::option::Option::Some(nested)),
                        )
                    };
                    quote! {
                        let mut body = call.body.take().unwrap_or_default();
                        let mut nested: #nested_ty = #take;
                        nested.#inner_ident = #n;
                        body.#outer_ident = #put;
                        call.body = ::std::option::Option::Some(body);
                    }
                }
                _ => unreachable!("validated: at most two levels"),
            }
        }
    }
}

/// An expression reading `fields` from `page` (`&Page`) by accessors:
/// `&[Item]` for a list (and the item type), or `Option<u64>`.
pub fn read(
    models: &Models,
    root: &str,
    fields: &[String],
    list: bool,
) -> (TokenStream, Option<syn::Type>) {
    // Whether the expression so far is an `Option<&T>` (else `&T`).
    let mut optional = false;
    let mut expr = quote!(page);
    let mut current = root.to_string();
    for (i, name) in fields.iter().enumerate() {
        let model = &models.structs[&current];
        let field = model
            .fields
            .iter()
            .find(|f| &f.wire == name)
            .expect("validated");
        let ident = &field.ident;
        let last = i + 1 == fields.len();
        let inner = field.inner();
        if last && list {
            let Shape::List { elem, .. } = inner.shape() else {
                unreachable!("validated: an array")
            };
            let access = if optional {
                quote!(#expr.map(|x| x.#ident()).unwrap_or_default())
            } else {
                quote!(#expr.#ident())
            };
            return (access, Some(qualified(elem)));
        }
        if last {
            // A count: `Option<int>` or `int`, through `u64`.
            let field_optional = inner.optional;
            let value = match (optional, field_optional) {
                (true, true) => quote!(#expr.and_then(|x| x.#ident())),
                (true, false) => quote!(#expr.map(|x| x.#ident())),
                (false, true) => quote!(#expr.#ident()),
                (false, false) => quote!(::std::option::Option::Some(#expr.#ident())),
            };
            return (
                quote!(#value.and_then(|n| <u64 as ::std::convert::TryFrom<_>>::try_from(n).ok())),
                None,
            );
        }
        expr = match (optional, inner.optional) {
            (true, true) => quote!(#expr.and_then(|x| x.#ident())),
            (true, false) => quote!(#expr.map(|x| x.#ident())),
            (false, true) => quote!(#expr.#ident()),
            (false, false) => quote!(#expr.#ident()),
        };
        optional = optional || inner.optional;
        current = crate::model::last_ident(inner.ty).unwrap_or_default();
    }
    unreachable!("validated: a path of at least one field")
}

/// `impl Pages` and `into_paginator` for a paged operation.
pub fn paginator(op: &Operation, models: &Models, builder: &proc_macro2::Ident) -> TokenStream {
    let Some(pagination) = &op.pagination else {
        return TokenStream::new();
    };
    let rt = rt();
    let ResponseKind::Json(answer) = &op.success else {
        unreachable!("validated: a JSON answer")
    };
    let page = format_ident!("{}", answer);
    let (items, item) = read(models, answer, &pagination.items, true);
    let item = item.expect("a list");
    let total = match &pagination.total {
        Some(fields) => read(models, answer, fields, false).0,
        None => quote!({
            let _ = page;
            ::std::option::Option::None
        }),
    };
    let item_id = match &pagination.id {
        Some(id) => {
            let name = crate::model::last_ident(&item).unwrap_or_default();
            let field = models.structs[&name]
                .fields
                .iter()
                .find(|f| &f.wire == id)
                .expect("validated");
            let ident = &field.ident;
            let value = if field.inner().optional {
                quote!(item.#ident().map(|v| v.to_string()))
            } else {
                quote!(::std::option::Option::Some(item.#ident().to_string()))
            };
            quote! {
                fn item_id(item: &Self::Item) -> ::std::option::Option<::std::string::String> {
                    #value
                }
            }
        }
        None => TokenStream::new(),
    };
    let set_position = set(op, models, &pagination.position, quote!(position));
    let set_size = set(op, models, &pagination.size, quote!(size));
    let kind = if pagination.offsets {
        quote!(#rt::paginate::PageKind::Offset)
    } else {
        quote!(#rt::paginate::PageKind::Number)
    };
    let (first, min, max, default) = (
        pagination.first,
        pagination.min_size,
        pagination.max_size,
        pagination.default_size,
    );
    let max_pages = match pagination.max_pages {
        Some(n) => quote!(::std::option::Option::Some(#n)),
        None => quote!(::std::option::Option::None),
    };
    let what = if pagination.offsets {
        "offsets"
    } else {
        "page numbers"
    };
    let doc = format!(
        "Every page of this call, as a stream: `.into_paginator().send()` for the pages, \
         `.into_paginator().items().send()` for their items. The paginator sets the {what} \
         and the page size (`.page_size(n)`, {min} to {max}, by default {default}); the \
         other parameters are this builder's. See [`paginate`](crate::paginate) for when it \
         stops, and the errors that end a listing that would not be complete and exact."
    );
    quote! {
        impl<'a> #rt::paginate::Pages for #builder<'a> {
            type Page = types::#page;
            type Item = #item;
            const PAGING: #rt::paginate::Paging = #rt::paginate::Paging {
                kind: #kind,
                first: #first,
                min_size: #min,
                max_size: #max,
                default_size: #default,
                max_pages: #max_pages,
            };
            fn at(&self, position: u64, size: u64) -> Self {
                let mut call = self.clone();
                #set_position
                #set_size
                call
            }
            fn fetch(self) -> impl ::std::future::Future<Output = ::std::result::Result<#rt::Response<Self::Page>, #rt::ApiError>> + Send {
                self.send()
            }
            fn items(page: &Self::Page) -> &[Self::Item] {
                #items
            }
            fn total(page: &Self::Page) -> ::std::option::Option<u64> {
                #total
            }
            #item_id
        }

        impl<'a> #builder<'a> {
            #[doc = #doc]
            pub fn into_paginator(self) -> #rt::Paginator<Self> {
                #rt::Paginator::new(self)
            }
        }
    }
}

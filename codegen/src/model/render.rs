//! Rendering the models' additions, as aws-sdk-rust shapes its models:
//!
//! - every struct is `#[non_exhaustive]` (a newly documented field breaks
//!   no caller), has `X::builder()` with a setter per field and `build()`
//!   (a `Result` when a field is required or a value can be refused), and
//!   an accessor per field that reads it without `Option` gymnastics;
//! - every string enum takes any string (`From<&str>`), keeps a value it
//!   does not know as `Unknown(…)` that encodes again unchanged, and is
//!   `#[non_exhaustive]`;
//! - every other enum (one of several shapes) is `#[non_exhaustive]` too.
//!
//! The logic (slots, conversions, errors) is the runtime's (`model`), so
//! each setter is a line or two here.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Item;

use super::{Field, Inner, Models, Presence, Shape, StringEnum, Struct};

fn rt() -> TokenStream {
    quote!(::codearts_req_runtime)
}

/// What the spec says of a string enum beyond its values (component
/// schemas only): `x-enum-varnames` and `x-enum-descriptions`.
#[derive(Default)]
pub struct EnumSpec {
    /// The service's value for each value typify saw (the variant names,
    /// where the spec names them).
    pub wires: BTreeMap<String, String>,
    /// Variant names by value.
    pub names: BTreeMap<String, String>,
    /// Descriptions by value.
    pub descriptions: BTreeMap<String, String>,
}

impl Models {
    /// Rewrites typify's `types` items: structs become `#[non_exhaustive]`,
    /// string enums are replaced by ours (renamed as the spec says), and
    /// builders, accessors and conversions are added.
    pub fn render(&self, items: Vec<Item>, enum_specs: &BTreeMap<String, EnumSpec>) -> Vec<Item> {
        let renames = self.variant_renames(enum_specs);
        let mut out = Vec::new();
        for item in items {
            match item {
                Item::Struct(mut s) if self.structs.contains_key(&s.ident.to_string()) => {
                    s.attrs.push(syn::parse_quote!(#[non_exhaustive]));
                    out.push(Item::Struct(s));
                }
                Item::Enum(e) if self.enums.contains_key(&e.ident.to_string()) => {}
                // typify's other enums (one of several shapes, `oneOf`): a
                // newly documented shape is one more variant.
                Item::Enum(mut e) => {
                    e.attrs.push(syn::parse_quote!(#[non_exhaustive]));
                    out.push(rename_variants(Item::Enum(e), &renames));
                }
                Item::Impl(i) if self.is_replaced_enum_impl(&i) => {}
                other => out.push(rename_variants(other, &renames)),
            }
        }
        for e in self.enums.values() {
            let spec = enum_specs.get(&e.name.to_string());
            out.extend(parse_items(render_enum(e, spec)));
        }
        let mut builders = Vec::new();
        for s in self.structs.values() {
            out.extend(parse_items(self.model_impls(s)));
            builders.push(self.builder(s));
        }
        out.extend(parse_items(quote! {
            /// The builders of the models: `Model::builder()` starts one;
            /// set fields with the setters, then `build()`.
            pub mod builders {
                #[allow(unused_imports)]
                use super::*;
                #(#builders)*
            }
        }));
        out
    }

    /// typify's impls of the enums we replace: `Display`, `FromStr`,
    /// `TryFrom<&str>`, `TryFrom<String>`, `TryFrom<&String>`.
    fn is_replaced_enum_impl(&self, block: &syn::ItemImpl) -> bool {
        let Some((_, trait_path, _)) = &block.trait_ else {
            return false;
        };
        let self_name = match &*block.self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        if !self_name.is_some_and(|n| self.enums.contains_key(&n)) {
            return false;
        }
        let last = trait_path.segments.last().map(|s| s.ident.to_string());
        matches!(last.as_deref(), Some("Display" | "FromStr" | "TryFrom"))
    }

    /// `Enum::TypifyName` → `Enum::SpecName`, for variants the spec names
    /// with `x-enum-varnames`.
    fn variant_renames(
        &self,
        enum_specs: &BTreeMap<String, EnumSpec>,
    ) -> BTreeMap<(String, String), String> {
        let mut renames = BTreeMap::new();
        for e in self.enums.values() {
            let Some(spec) = enum_specs.get(&e.name.to_string()) else {
                continue;
            };
            for (ident, seen) in &e.variants {
                let wire = spec.wires.get(seen).unwrap_or(seen);
                if let Some(name) = spec.names.get(wire) {
                    renames.insert((e.name.to_string(), ident.to_string()), name.clone());
                }
            }
        }
        renames
    }

    /// `builder()`, the accessors, and the conversion from the builder.
    fn model_impls(&self, s: &Struct) -> TokenStream {
        let rt = rt();
        let name = &s.name;
        let builder = format_ident!("{}Builder", name);
        let accessors = s.fields.iter().map(|f| accessor(f, self));
        let builder_doc = format!(
            "Starts a [`{name}`]: set its fields on the returned builder, then `build()` it."
        );
        let fields_from_builder = s.fields.iter().map(|f| build_field(&s.name, f, self));
        let from_builder = if self.is_fallible(&name.to_string()) {
            quote! {
                impl ::std::convert::TryFrom<builders::#builder> for #name {
                    type Error = #rt::FieldError;
                    fn try_from(builder: builders::#builder) -> ::std::result::Result<Self, #rt::FieldError> {
                        ::std::result::Result::Ok(Self { #(#fields_from_builder)* })
                    }
                }
            }
        } else {
            quote! {
                impl ::std::convert::From<builders::#builder> for #name {
                    fn from(builder: builders::#builder) -> Self {
                        Self { #(#fields_from_builder)* }
                    }
                }
            }
        };
        let to_fields = s.fields.iter().map(|f| {
            let ident = &f.ident;
            let value = match (&f.presence, self.setter_is_fallible(&f.ty)) {
                (Presence::Optional, true) => quote!(#rt::model::Slot::of(model.#ident)),
                (Presence::Optional, false) => quote!(model.#ident),
                (_, true) => quote!(#rt::model::Slot::Set(model.#ident)),
                (_, false) => quote!(::std::option::Option::Some(model.#ident)),
            };
            quote!(#ident: #value,)
        });
        quote! {
            impl #name {
                #[doc = #builder_doc]
                pub fn builder() -> builders::#builder {
                    ::std::default::Default::default()
                }
                #(#accessors)*
            }

            #from_builder

            impl ::std::convert::From<#name> for builders::#builder {
                /// A builder holding every field of the model, to change some.
                fn from(model: #name) -> Self {
                    Self { #(#to_fields)* }
                }
            }
        }
    }

    /// The builder of `s`, for module `builders`.
    fn builder(&self, s: &Struct) -> TokenStream {
        let rt = rt();
        let model = &s.name;
        let name = format_ident!("{}Builder", model);
        let fallible = self.is_fallible(&model.to_string());
        let slots = s.fields.iter().map(|f| {
            let ident = &f.ident;
            let stored = stored_type(f);
            if self.setter_is_fallible(&f.ty) {
                quote!(pub(crate) #ident: #rt::model::Slot<#stored>,)
            } else {
                quote!(pub(crate) #ident: ::std::option::Option<#stored>,)
            }
        });
        let setters = s
            .fields
            .iter()
            .map(|f| setter(f, self.setter_is_fallible(&f.ty)));
        let doc = format!(
            "A builder of [`{model}`]: a setter per field, then [`build`](Self::build). \
             Made by [`{model}::builder`]."
        );
        let build = if fallible {
            let doc = "Builds the model; fails if a required field was not set or a value \
                       given to a setter was refused.";
            quote! {
                #[doc = #doc]
                pub fn build(self) -> ::std::result::Result<#model, #rt::FieldError> {
                    ::std::convert::TryFrom::try_from(self)
                }
            }
        } else {
            quote! {
                /// Builds the model.
                pub fn build(self) -> #model {
                    ::std::convert::From::from(self)
                }
            }
        };
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, Default)]
            #[must_use = "a builder does nothing until it is built"]
            pub struct #name {
                #(#slots)*
            }

            impl #name {
                #(#setters)*
                #build
            }
        }
    }
}

/// The type a builder stores for a field: the field's without `Option`.
fn stored_type(f: &Field) -> TokenStream {
    let inner = f.inner();
    let ty = inner.ty;
    if inner.boxed {
        quote!(::std::boxed::Box<#ty>)
    } else {
        quote!(#ty)
    }
}

/// One setter of a model's builder.
fn setter(f: &Field, fallible: bool) -> TokenStream {
    let ident = &f.ident;
    let (arg, value) = setter_parts(f, fallible);
    let doc = if f.doc.is_empty() {
        format!("Sets `{}`.", f.wire)
    } else {
        f.doc.clone()
    };
    quote! {
        #[doc = #doc]
        pub fn #ident(mut self, #arg) -> Self {
            self.#ident = #value;
            self
        }
    }
}

/// A setter's argument, and the expression that stores it (a `Slot` when
/// the conversion can fail, else an `Option`).
pub fn setter_parts(f: &Field, fallible: bool) -> (TokenStream, TokenStream) {
    let rt = rt();
    let inner: Inner<'_> = f.inner();
    let boxed = inner.boxed;
    let bound = |ty: &syn::Type| {
        if fallible {
            quote!(impl ::std::convert::TryInto<#ty, Error: ::std::fmt::Display>)
        } else {
            quote!(impl ::std::convert::Into<#ty>)
        }
    };
    match inner.shape() {
        Shape::List { elem, one_or_many } => {
            let item = bound(elem);
            let arg = quote!(values: impl ::std::iter::IntoIterator<Item = #item>);
            let value = if fallible {
                let wrap = one_or_many.then(|| quote!(.map(#rt::OneOrMany::from)));
                quote!(#rt::model::Slot::list(values) #wrap)
            } else {
                let collect = quote!(
                    values
                        .into_iter()
                        .map(::std::convert::Into::into)
                        .collect::<::std::vec::Vec<_>>()
                );
                if one_or_many {
                    quote!(::std::option::Option::Some(#rt::OneOrMany::from(#collect)))
                } else {
                    quote!(::std::option::Option::Some(#collect))
                }
            };
            (arg, value)
        }
        Shape::Lenient(int) => {
            let arg = bound(int);
            let value = if fallible {
                quote!(#rt::model::Slot::new(value).map(#rt::LenientInt))
            } else {
                quote!(::std::option::Option::Some(#rt::LenientInt(value.into())))
            };
            (quote!(value: #arg), value)
        }
        _ => {
            let arg = bound(inner.ty);
            let value = match (fallible, boxed) {
                (true, true) => quote!(#rt::model::Slot::new(value).map(::std::boxed::Box::new)),
                (true, false) => quote!(#rt::model::Slot::new(value)),
                (false, true) => {
                    quote!(::std::option::Option::Some(::std::boxed::Box::new(
                        value.into()
                    )))
                }
                (false, false) => quote!(::std::option::Option::Some(value.into())),
            };
            (quote!(value: #arg), value)
        }
    }
}

/// One field of `Self { ... }` built from a builder.
fn build_field(model: &syn::Ident, f: &Field, models: &Models) -> TokenStream {
    let rt = rt();
    let ident = &f.ident;
    let (model, wire) = (model.to_string(), &f.wire);
    let slot = models.setter_is_fallible(&f.ty);
    match (&f.presence, slot) {
        (Presence::Required, true) => quote!(#ident: builder.#ident.required(#model, #wire)?,),
        (Presence::Required, false) => quote! {
            #ident: builder.#ident.ok_or(#rt::FieldError::Missing { model: #model, field: #wire })?,
        },
        (Presence::Optional, true) => quote!(#ident: builder.#ident.optional(#model, #wire)?,),
        (Presence::Optional, false) => quote!(#ident: builder.#ident,),
        (Presence::Defaulted(path), true) => {
            let default = default_fn(path);
            quote!(#ident: builder.#ident.or_else(#model, #wire, #default)?,)
        }
        (Presence::Defaulted(path), false) => {
            let default = default_fn(path);
            quote!(#ident: builder.#ident.unwrap_or_else(#default),)
        }
    }
}

fn default_fn(path: &Option<syn::Path>) -> TokenStream {
    match path {
        Some(path) => quote!(#path),
        None => quote!(::std::default::Default::default),
    }
}

/// The accessor of a field, named as the field.
fn accessor(f: &Field, models: &Models) -> TokenStream {
    let ident = &f.ident;
    let inner = f.inner();
    let ty = inner.ty;
    let (ret, body) = match (inner.shape_in(models), inner.optional) {
        (Shape::Text, true) => (
            quote!(::std::option::Option<&str>),
            quote!(self.#ident.as_deref()),
        ),
        (Shape::Text, false) => (quote!(&str), quote!(&self.#ident)),
        (Shape::CheckedText, true) => (
            quote!(::std::option::Option<&str>),
            quote!(self.#ident.as_deref().map(::std::string::String::as_str)),
        ),
        (Shape::CheckedText, false) => (quote!(&str), quote!(self.#ident.as_str())),
        (Shape::List { elem, .. }, true) => (
            quote!(&[#elem]),
            quote!(self.#ident.as_deref().unwrap_or_default()),
        ),
        (Shape::List { elem, .. }, false) => (quote!(&[#elem]), quote!(&self.#ident)),
        (Shape::Lenient(int), true) => (
            quote!(::std::option::Option<#int>),
            quote!(self.#ident.map(|value| value.0)),
        ),
        (Shape::Lenient(int), false) => (quote!(#int), quote!(self.#ident.0)),
        (Shape::Copy, true) => (quote!(::std::option::Option<#ty>), quote!(self.#ident)),
        (Shape::Copy, false) => (quote!(#ty), quote!(self.#ident)),
        (Shape::Other, true) if inner.boxed => (
            quote!(::std::option::Option<&#ty>),
            quote!(self.#ident.as_deref()),
        ),
        (Shape::Other, true) => (
            quote!(::std::option::Option<&#ty>),
            quote!(self.#ident.as_ref()),
        ),
        (Shape::Other, false) => (quote!(&#ty), quote!(&self.#ident)),
    };
    let doc = if f.doc.is_empty() {
        format!("`{}`.", f.wire)
    } else {
        f.doc.clone()
    };
    quote! {
        #[doc = #doc]
        #[inline]
        pub fn #ident(&self) -> #ret {
            #body
        }
    }
}

/// A string enum that takes any string and keeps unknown values.
fn render_enum(e: &StringEnum, spec: Option<&EnumSpec>) -> TokenStream {
    let rt = rt();
    // The service's values, where typify saw variant names instead.
    let variants: Vec<(syn::Ident, String)> = e
        .variants
        .iter()
        .map(|(ident, seen)| {
            let wire = spec.and_then(|s| s.wires.get(seen)).unwrap_or(seen);
            (ident.clone(), wire.clone())
        })
        .collect();
    let e = &StringEnum {
        name: e.name.clone(),
        variants,
        doc: e.doc.clone(),
    };
    let name = &e.name;
    let variant = |ident: &syn::Ident, wire: &str| match spec.and_then(|s| s.names.get(wire)) {
        Some(named) => format_ident!("{}", named),
        None => ident.clone(),
    };
    let variants = e.variants.iter().map(|(ident, wire)| {
        let ident = variant(ident, wire);
        let doc = match spec.and_then(|s| s.descriptions.get(wire)) {
            // Descriptions may repeat the value; it is shown once.
            Some(description) => {
                let description = description
                    .strip_prefix(wire.as_str())
                    .and_then(|rest| rest.strip_prefix(':'))
                    .unwrap_or(description)
                    .trim();
                format!("`{wire}`: {description}")
            }
            None => format!("`{wire}`."),
        };
        quote!(#[doc = #doc] #ident,)
    });
    let as_str = e.variants.iter().map(|(ident, wire)| {
        let ident = variant(ident, wire);
        quote!(Self::#ident => #wire,)
    });
    let from_str = e.variants.iter().map(|(ident, wire)| {
        let ident = variant(ident, wire);
        quote!(#wire => Self::#ident,)
    });
    let from_wire = from_str.clone();
    // What a caller may type for a variant, ignoring case: its value, or
    // its name (`high` is `High`, `bug` is `Bug`).
    let loose = e.variants.iter().map(|(ident, wire)| {
        let ident = variant(ident, wire);
        let name = ident.to_string();
        quote!(if value.eq_ignore_ascii_case(#wire) || value.eq_ignore_ascii_case(#name) {
            return Self::#ident;
        })
    });
    let enum_name = name.to_string();
    let wires = e.variants.iter().map(|(_, wire)| wire);
    let doc = if e.doc.is_empty() {
        format!("The values of `{name}`.")
    } else {
        e.doc.clone()
    };
    let doc = format!(
        "{doc}\n\nIn answers, a value this version does not know is kept as \
         [`{name}::Unknown`], and encodes again unchanged. From a string (`From<&str>`, \
         `FromStr`, and so every setter), a value or a variant's name matches ignoring case \
         (`\"high\"` would be `High`); a string matching none is kept as `Unknown` too, but a \
         request holding it is refused before it is sent, naming the values: a typo never \
         reaches the service. A value newer than this crate is sent on purpose as \
         `{name}::Unknown(UnknownVariant::new(..))`."
    );
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value this version of the crate does not know, as the service sent it.
            Unknown(#rt::UnknownVariant),
        }

        impl #name {
            /// Every value this version knows, as the service sends it.
            pub const VALUES: &'static [&'static str] = &[#(#wires),*];

            /// The value, as the service sends it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#as_str)*
                    Self::Unknown(value) => value.as_str(),
                }
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#from_str)*
                    _ => {
                        #(#loose)*
                        Self::Unknown(#rt::UnknownVariant::unrecognised(value))
                    }
                }
            }
        }

        impl #rt::model::FromWire for #name {
            fn from_wire(value: &str) -> Self {
                match value {
                    #(#from_wire)*
                    other => Self::Unknown(#rt::UnknownVariant::new(other)),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl ::std::convert::From<&::std::string::String> for #name {
            fn from(value: &::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(Self::from(value))
            }
        }

        impl ::std::convert::AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    Self::Unknown(value) if value.is_unrecognised() => ::std::result::Result::Err(
                        #rt::model::unrecognised_value(#enum_name, value.as_str(), Self::VALUES),
                    ),
                    _ => serializer.serialize_str(self.as_str()),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                #rt::model::deserialize_enum(deserializer)
            }
        }
    }
}

/// `Enum::Old` → `Enum::New` wherever typify's own items name a renamed
/// variant (a default value, say).
fn rename_variants(item: Item, renames: &BTreeMap<(String, String), String>) -> Item {
    // Only code names a variant (`Enum::Variant`): typify's functions
    // (default values) and impls. Declarations are left as they are,
    // without the cost of printing and parsing them again.
    if renames.is_empty() || !matches!(item, Item::Fn(_) | Item::Impl(_)) {
        return item;
    }
    let tokens = rename_in(quote!(#item), renames);
    syn::parse2(tokens).expect("renaming identifiers keeps an item an item")
}

fn rename_in(tokens: TokenStream, renames: &BTreeMap<(String, String), String>) -> TokenStream {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(trees.len());
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(group) => {
                let mut renamed =
                    proc_macro2::Group::new(group.delimiter(), rename_in(group.stream(), renames));
                renamed.set_span(group.span());
                out.push(TokenTree::Group(renamed));
            }
            TokenTree::Ident(ident) if i >= 3 => {
                let colons = matches!((&trees[i - 2], &trees[i - 1]),
                    (TokenTree::Punct(a), TokenTree::Punct(b)) if a.as_char() == ':' && b.as_char() == ':');
                let owner = match &trees[i - 3] {
                    TokenTree::Ident(owner) => Some(owner.to_string()),
                    _ => None,
                };
                match owner
                    .filter(|_| colons)
                    .and_then(|o| renames.get(&(o, ident.to_string())))
                {
                    Some(new) => {
                        out.push(TokenTree::Ident(proc_macro2::Ident::new(new, ident.span())))
                    }
                    None => out.push(tree.clone()),
                }
            }
            other => out.push(other.clone()),
        }
    }
    out.into_iter().collect()
}

fn parse_items(tokens: TokenStream) -> Vec<Item> {
    let file: syn::File = syn::parse2(tokens).expect("the model templates produce items");
    file.items
}

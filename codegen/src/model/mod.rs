//! The model of the generated types: each struct's fields and each string
//! enum's values, read from what progenitor (through typify) generated, so
//! the templates know the exact Rust type of every field (`LenientInt`,
//! constrained newtypes, boxes for recursion) without re-deriving typify's
//! rules. Built apart from rendering (`render`), as the operations' model
//! is. Nothing here knows any one spec's names.
//!
//! What the templates add from it (`render`): `#[non_exhaustive]`, a
//! builder and an accessor per field on every struct, and string enums that
//! take any string and keep unknown values.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::Ident;
use syn::{Fields, GenericArgument, Item, PathArguments, Type};

pub mod render;

/// Every struct and string enum of typify's `types` module, by Rust name.
pub struct Models {
    pub structs: BTreeMap<String, Struct>,
    pub enums: BTreeMap<String, StringEnum>,
    /// Tuple structs that are made only through a checked conversion
    /// (`TryFrom<&str>`): strings with documented constraints, by name,
    /// with the type they wrap.
    pub checked_newtypes: BTreeMap<String, Type>,
    /// Structs whose builder can fail: a required field, or a field whose
    /// conversion can fail.
    fallible: BTreeSet<String>,
}

/// A struct with named fields.
pub struct Struct {
    pub name: Ident,
    pub fields: Vec<Field>,
}

pub struct Field {
    /// The Rust field (and accessor, and setter).
    pub ident: Ident,
    /// The JSON member, for errors.
    pub wire: String,
    /// The field's type as typify declared it.
    pub ty: Type,
    pub presence: Presence,
    pub doc: String,
}

/// Whether a builder must be given a field.
pub enum Presence {
    Required,
    /// `Option<T>`.
    Optional,
    /// `#[serde(default)]` (`None`) or `#[serde(default = "path")]`.
    Defaulted(Option<syn::Path>),
}

/// A string enum, as typify named its variants.
pub struct StringEnum {
    pub name: Ident,
    /// Each variant and the value the service sends for it.
    pub variants: Vec<(Ident, String)>,
    pub doc: String,
}

/// The type a field holds, with `Option` (and `Box`) taken off.
pub struct Inner<'a> {
    pub ty: &'a Type,
    pub optional: bool,
    pub boxed: bool,
}

/// What a field's accessor returns and its setter takes.
pub enum Shape<'a> {
    /// `String`: read as `&str`.
    Text,
    /// A checked newtype of `String` (a constrained string): read as `&str`.
    CheckedText,
    /// `Vec<E>` or `OneOrMany<E>`: read as `&[E]`, set from any list.
    List { elem: &'a Type, one_or_many: bool },
    /// `LenientInt<I>`: read and set as the integer.
    Lenient(&'a Type),
    /// A `Copy` scalar: read by value.
    Copy,
    /// Anything else: read by reference.
    Other,
}

/// The type argument of `ty` if its last path segment is `name`
/// (`::std::option::Option<T>` and `Option` alike).
pub fn type_arg<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// `ty` as named from a sibling module of `types` (the operations'
/// `builder`): typify names models bare (`WiUser`, inside
/// `::std::vec::Vec<WiUser>`), which becomes `types::WiUser`.
pub fn qualified(ty: &Type) -> Type {
    const PRIMITIVES: &[&str] = &[
        "bool", "char", "str", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32",
        "u64", "u128", "usize", "f32", "f64",
    ];
    let mut ty = ty.clone();
    if let Type::Path(path) = &mut ty {
        for segment in path.path.segments.iter_mut() {
            if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
                for arg in args.args.iter_mut() {
                    if let GenericArgument::Type(inner) = arg {
                        *inner = qualified(inner);
                    }
                }
            }
        }
        let bare = path.qself.is_none()
            && path.path.leading_colon.is_none()
            && path.path.segments.len() == 1
            && !PRIMITIVES.contains(&path.path.segments[0].ident.to_string().as_str());
        if bare {
            path.path.segments.insert(0, syn::parse_quote!(types));
        }
    }
    ty
}

/// The last path segment's name of `ty`, if it is a path.
pub fn last_ident(ty: &Type) -> Option<String> {
    let Type::Path(path) = ty else { return None };
    path.path.segments.last().map(|s| s.ident.to_string())
}

impl Field {
    pub fn inner(&self) -> Inner<'_> {
        let (ty, optional) = match type_arg(&self.ty, "Option") {
            Some(inner) => (inner, true),
            None => (&self.ty, false),
        };
        let (ty, boxed) = match type_arg(ty, "Box") {
            Some(inner) => (inner, true),
            None => (ty, false),
        };
        Inner {
            ty,
            optional,
            boxed,
        }
    }
}

impl<'a> Inner<'a> {
    /// The shape, knowing which types are constrained strings.
    pub fn shape_in(&self, models: &Models) -> Shape<'a> {
        let name = last_ident(self.ty).unwrap_or_default();
        match models.checked_newtypes.get(&name) {
            Some(inner) if last_ident(inner).as_deref() == Some("String") => Shape::CheckedText,
            _ => self.shape(),
        }
    }

    pub fn shape(&self) -> Shape<'a> {
        const COPY: &[&str] = &[
            "bool",
            "i8",
            "i16",
            "i32",
            "i64",
            "u8",
            "u16",
            "u32",
            "u64",
            "f32",
            "f64",
            "NonZeroU8",
            "NonZeroU16",
            "NonZeroU32",
            "NonZeroU64",
            "NonZeroI8",
            "NonZeroI16",
            "NonZeroI32",
            "NonZeroI64",
        ];
        let ty = self.ty;
        if let Some(elem) = type_arg(ty, "Vec") {
            return Shape::List {
                elem,
                one_or_many: false,
            };
        }
        if let Some(elem) = type_arg(ty, "OneOrMany") {
            return Shape::List {
                elem,
                one_or_many: true,
            };
        }
        if let Some(int) = type_arg(ty, "LenientInt") {
            return Shape::Lenient(int);
        }
        match last_ident(ty).as_deref() {
            Some("String") => Shape::Text,
            Some(name) if COPY.contains(&name) => Shape::Copy,
            _ => Shape::Other,
        }
    }
}

/// The text of the `#[doc]` attributes.
fn doc_of(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            lines.push(s.value().trim().to_string());
        }
    }
    lines.join("\n")
}

/// What `#[serde(...)]` says of a field: its JSON name and its default.
fn serde_of(attrs: &[syn::Attribute]) -> (Option<String>, Option<Option<syn::Path>>) {
    let (mut rename, mut default) = (None, None);
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                rename = Some(meta.value()?.parse::<syn::LitStr>()?.value());
            } else if meta.path.is_ident("default") {
                default = Some(match meta.value() {
                    Ok(value) => Some(value.parse::<syn::LitStr>()?.parse::<syn::Path>()?),
                    Err(_) => None,
                });
            } else if meta.input.peek(syn::Token![=]) {
                // skip_serializing_if = "...", and the like.
                meta.value()?.parse::<syn::LitStr>()?;
            }
            Ok(())
        });
    }
    (rename, default)
}

/// Whether the item derives `Serialize`, as typify's models and enums do
/// (its helper types do not): read from the derive's paths, not its text.
fn derives_serde(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            let mut found = false;
            let _ = a.parse_nested_meta(|meta| {
                found |= meta
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Serialize");
                Ok(())
            });
            found
        })
}

/// Whether the enum is serde-untagged or tagged (typify's `oneOf`s): a
/// `#[serde(untagged)]`, `#[serde(tag = "..")]` or `content = ".."`.
fn is_tagged_or_untagged(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .any(|a| {
            let mut found = false;
            let _ = a.parse_nested_meta(|meta| {
                found |= ["untagged", "tag", "content"]
                    .iter()
                    .any(|key| meta.path.is_ident(key));
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                }
                Ok(())
            });
            found
        })
}

impl Models {
    /// Two fields of one struct that typify gave the same Rust name (it
    /// names `-1` `minus1`, as a property `minus1` is named too), which
    /// rustc would refuse (E0124): the struct, the name, and both
    /// properties as the spec names them.
    pub fn colliding_field(&self) -> Option<(String, String, String, String)> {
        for (name, model) in &self.structs {
            let mut seen: BTreeMap<String, &str> = BTreeMap::new();
            for field in &model.fields {
                let ident = field.ident.to_string();
                if let Some(first) = seen.insert(ident.clone(), &field.wire) {
                    return Some((name.clone(), ident, first.to_string(), field.wire.clone()));
                }
            }
        }
        None
    }

    /// Reads the items of typify's `types` module.
    pub fn read(items: &[Item]) -> Models {
        let mut models = Models {
            structs: BTreeMap::new(),
            enums: BTreeMap::new(),
            checked_newtypes: BTreeMap::new(),
            fallible: BTreeSet::new(),
        };
        for item in items {
            match item {
                Item::Struct(s) if derives_serde(&s.attrs) => match &s.fields {
                    Fields::Named(named) => {
                        let fields = named
                            .named
                            .iter()
                            .filter_map(|f| {
                                let ident = f.ident.clone()?;
                                let (rename, default) = serde_of(&f.attrs);
                                let presence = if type_arg(&f.ty, "Option").is_some() {
                                    Presence::Optional
                                } else if let Some(path) = default {
                                    Presence::Defaulted(path)
                                } else {
                                    Presence::Required
                                };
                                Some(Field {
                                    wire: rename.unwrap_or_else(|| {
                                        ident.to_string().trim_start_matches("r#").to_string()
                                    }),
                                    ident,
                                    ty: f.ty.clone(),
                                    presence,
                                    doc: doc_of(&f.attrs),
                                })
                            })
                            .collect();
                        models.structs.insert(
                            s.ident.to_string(),
                            Struct {
                                name: s.ident.clone(),
                                fields,
                            },
                        );
                    }
                    Fields::Unnamed(unnamed)
                        if unnamed.unnamed.len() == 1
                            && matches!(unnamed.unnamed[0].vis, syn::Visibility::Inherited) =>
                    {
                        let inner = unnamed.unnamed[0].ty.clone();
                        models.checked_newtypes.insert(s.ident.to_string(), inner);
                    }
                    _ => {}
                },
                Item::Enum(e)
                    if derives_serde(&e.attrs)
                        && !is_tagged_or_untagged(&e.attrs)
                        && !e.variants.is_empty()
                        && e.variants.iter().all(|v| matches!(v.fields, Fields::Unit)) =>
                {
                    let variants = e
                        .variants
                        .iter()
                        .map(|v| {
                            let wire = serde_of(&v.attrs).0.unwrap_or_else(|| v.ident.to_string());
                            (v.ident.clone(), wire)
                        })
                        .collect();
                    models.enums.insert(
                        e.ident.to_string(),
                        StringEnum {
                            name: e.ident.clone(),
                            variants,
                            doc: doc_of(&e.attrs),
                        },
                    );
                }
                _ => {}
            }
        }
        models.fallible = models.find_fallible();
        models
    }

    /// The structs whose builder can fail, to a fixed point: a required
    /// field, a checked newtype, or a fallible struct, anywhere in a field.
    fn find_fallible(&self) -> BTreeSet<String> {
        let mut fallible: BTreeSet<String> = self
            .structs
            .values()
            .filter(|s| {
                s.fields
                    .iter()
                    .any(|f| matches!(f.presence, Presence::Required))
            })
            .map(|s| s.name.to_string())
            .collect();
        loop {
            let more: Vec<String> = self
                .structs
                .values()
                .filter(|s| !fallible.contains(&s.name.to_string()))
                .filter(|s| {
                    s.fields
                        .iter()
                        .any(|f| self.converts_fallibly(&f.ty, &fallible))
                })
                .map(|s| s.name.to_string())
                .collect();
            if more.is_empty() {
                return fallible;
            }
            fallible.extend(more);
        }
    }

    /// Whether a value of `ty` is made by a conversion that can fail.
    fn converts_fallibly(&self, ty: &Type, fallible: &BTreeSet<String>) -> bool {
        for wrapper in ["Option", "Box", "Vec", "OneOrMany"] {
            if let Some(inner) = type_arg(ty, wrapper) {
                return self.converts_fallibly(inner, fallible);
            }
        }
        last_ident(ty)
            .is_some_and(|n| self.checked_newtypes.contains_key(&n) || fallible.contains(&n))
    }

    /// Whether building `name` can fail (its `build()` returns a `Result`).
    pub fn is_fallible(&self, name: &str) -> bool {
        self.fallible.contains(name)
    }

    /// Whether setting a value of `ty` can fail, so the setter takes
    /// `TryInto` (and the builder reports the failure).
    pub fn setter_is_fallible(&self, ty: &Type) -> bool {
        self.converts_fallibly(ty, &self.fallible)
    }
}

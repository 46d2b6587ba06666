//! Areas as cargo features. A spec whose root `tags` name a feature
//! (`x-feature: scrum-issues`) gets each operation gated by its first
//! tag's feature, and each model by the features of the operations that
//! use it, directly or through other models:
//!
//! - the operation's `Client` method, its builder (with its `Pages`
//!   implementation) and its form: `#[cfg(feature = "…")]`;
//! - a model (with its builder and every `impl` for either) used by the
//!   operations of several features: `#[cfg(any(feature = "…", …))]`, and
//!   by those of every feature: no attribute.
//!
//! So a dependent that enables one area compiles that area's operations and
//! the models they reach, and nothing else. Models no operation reaches,
//! and everything they use, stay unconditional: gating them could leave a
//! model that is compiled naming one that is not. A spec without
//! `x-feature` gets no attribute at all.
//!
//! Applied to the finished file, by the names the items have there, so it
//! covers what typify generated and what our templates added alike.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

use crate::naming::{snake_ident, type_name};
use crate::operation::model::Operation;

/// Adds the `cfg` attributes to `file`; `features` are every feature the
/// spec names, in order.
pub fn apply(file: &mut syn::File, operations: &[Operation], features: &[String]) {
    if features.is_empty() {
        return;
    }
    let all: BTreeSet<&str> = features.iter().map(String::as_str).collect();
    let mut by_op: BTreeMap<String, &str> = BTreeMap::new(); // builder/form/method name -> feature
    for op in operations {
        let Some(feature) = op.feature.as_deref() else {
            continue;
        };
        let builder = type_name(&op.id);
        by_op.insert(format!("{builder}Form"), feature);
        by_op.insert(snake_ident(&op.id).to_string(), feature);
        by_op.insert(builder, feature);
    }
    let models = model_features(file, operations, &all);
    for item in &mut file.items {
        match item {
            syn::Item::Mod(module) if module.ident == "types" => {
                gate_items(module, &|item| needs(item, &models), &all);
            }
            syn::Item::Mod(module) if module.ident == "builder" || module.ident == "forms" => {
                let of = |item: &syn::Item| {
                    let name = item_name(item)?;
                    by_op.get(&name).map(|f| vec![BTreeSet::from([*f])])
                };
                gate_items(module, &of, &all);
            }
            syn::Item::Impl(block) if principal(&block.self_ty).as_deref() == Some("Client") => {
                for member in &mut block.items {
                    if let syn::ImplItem::Fn(method) = member
                        && let Some(feature) = by_op.get(&method.sig.ident.to_string())
                    {
                        method.attrs.push(cfg(&[BTreeSet::from([*feature])]));
                    }
                }
            }
            _ => {}
        }
    }
}

/// `#[cfg(feature = "a")]`, `#[cfg(any(feature = "a", feature = "b"))]`,
/// or, for several sets, `all` of those.
fn cfg(needed: &[BTreeSet<&str>]) -> syn::Attribute {
    let one = |features: &BTreeSet<&str>| -> TokenStream {
        match features.iter().collect::<Vec<_>>().as_slice() {
            [one] => quote!(feature = #one),
            many => quote!(any(#(feature = #many),*)),
        }
    };
    let tokens: TokenStream = match needed {
        [single] => {
            let condition = one(single);
            quote!(#[cfg(#condition)])
        }
        many => {
            let conditions = many.iter().map(one);
            quote!(#[cfg(all(#(#conditions),*))])
        }
    };
    syn::parse_quote!(#tokens)
}

/// The features an item of `types` needs: for each model it names (a
/// model's builder, `XBuilder`, counts as the model), one of the features
/// that model exists under. So an `impl From<A> for Vec<B>` is compiled
/// only where both exist. `None` for an item that names no model.
fn needs<'f>(
    item: &syn::Item,
    models: &BTreeMap<String, BTreeSet<&'f str>>,
) -> Option<Vec<BTreeSet<&'f str>>> {
    let mut idents = BTreeSet::new();
    // What an item needs is in its header: an impl's trait and type (the
    // types its body uses are those, or reached from them), a function's
    // signature; a declaration's fields are all of it.
    let header = match item {
        syn::Item::Impl(block) => {
            let (generics, trait_, self_ty) = (&block.generics, &block.trait_, &block.self_ty);
            let trait_ = trait_.as_ref().map(|(_, path, _)| path);
            quote!(#generics #trait_ #self_ty)
        }
        syn::Item::Fn(function) => {
            let signature = &function.sig;
            quote!(#signature)
        }
        other => quote!(#other),
    };
    collect_idents(header, &mut idents);
    let mut sets: Vec<BTreeSet<&'f str>> = Vec::new();
    for ident in &idents {
        let found = models.get(ident).or_else(|| {
            ident
                .strip_suffix("Builder")
                .and_then(|model| models.get(model))
        });
        if let Some(features) = found
            && !sets.contains(features)
        {
            sets.push(features.clone());
        }
    }
    // Needing one of S1 implies needing one of any S2 that contains S1.
    let all_sets = sets.clone();
    sets.retain(|s| !all_sets.iter().any(|t| t != s && t.is_subset(s)));
    (!sets.is_empty()).then_some(sets)
}

/// Gates each item of `module` (and of the modules in it) by the features
/// `of` gives for it; items it gives none for, and those of every feature,
/// stay as they are.
fn gate_items<'f>(
    module: &mut syn::ItemMod,
    of: &dyn Fn(&syn::Item) -> Option<Vec<BTreeSet<&'f str>>>,
    all: &BTreeSet<&str>,
) {
    let Some((_, items)) = &mut module.content else {
        return;
    };
    for item in items {
        if let syn::Item::Mod(inner) = item {
            gate_items(inner, of, all);
            continue;
        }
        // Needing one of every feature is no condition at all.
        if let Some(needed) = of(item).map(|sets| {
            sets.into_iter()
                .filter(|set| set != all)
                .collect::<Vec<_>>()
        }) && !needed.is_empty()
            && let Some(attrs) = attrs_mut(item)
        {
            attrs.push(cfg(&needed));
        }
    }
}

/// The features each model of `types` is needed by: those of the
/// operations that name it, carried to every model it names in turn.
/// Models no operation reaches are needed by all, and so is what they name.
fn model_features<'f>(
    file: &syn::File,
    operations: &'f [Operation],
    all: &BTreeSet<&'f str>,
) -> BTreeMap<String, BTreeSet<&'f str>> {
    let mut names_in: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in file.items.iter().filter_map(|i| match i {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
        _ => None,
    }) {
        for item in &item.1 {
            if let (Some(name), true) = (
                item_name(item),
                matches!(
                    item,
                    syn::Item::Struct(_) | syn::Item::Enum(_) | syn::Item::Type(_)
                ),
            ) {
                let mut idents = BTreeSet::new();
                collect_idents(quote!(#item), &mut idents);
                names_in.insert(name, idents);
            }
        }
    }
    let known: BTreeSet<String> = names_in.keys().cloned().collect();
    let mut features: BTreeMap<String, BTreeSet<&'f str>> = BTreeMap::new();
    let spread = |features: &mut BTreeMap<String, BTreeSet<&'f str>>,
                  start: &str,
                  feature_set: &BTreeSet<&'f str>| {
        let mut stack = vec![start.to_string()];
        while let Some(name) = stack.pop() {
            let entry = features.entry(name.clone()).or_default();
            let before = entry.len();
            entry.extend(feature_set);
            if entry.len() == before && before > 0 {
                continue;
            }
            for next in names_in.get(&name).into_iter().flatten() {
                if known.contains(next) && next != &name {
                    stack.push(next.clone());
                }
            }
        }
    };
    for op in operations {
        let set: BTreeSet<&str> = match op.feature.as_deref() {
            Some(feature) => BTreeSet::from([feature]),
            None => all.clone(),
        };
        for name in op.type_names() {
            spread(&mut features, name, &set);
        }
    }
    let unreached: Vec<String> = known
        .iter()
        .filter(|n| !features.contains_key(*n))
        .cloned()
        .collect();
    for name in unreached {
        spread(&mut features, &name, all);
    }
    features
}

/// Every identifier in an item's tokens: among them, the types it names
/// (fields and variants are named in other cases than types).
fn collect_idents(tokens: TokenStream, out: &mut BTreeSet<String>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(ident) => {
                out.insert(ident.to_string());
            }
            proc_macro2::TokenTree::Group(group) => collect_idents(group.stream(), out),
            _ => {}
        }
    }
}

/// The type an item is about: what it declares, or what it implements
/// for. Other items (`use`s, functions, constants) have none.
fn item_name(item: &syn::Item) -> Option<String> {
    match item {
        syn::Item::Struct(s) => Some(s.ident.to_string()),
        syn::Item::Enum(e) => Some(e.ident.to_string()),
        syn::Item::Type(t) => Some(t.ident.to_string()),
        syn::Item::Impl(i) => principal(&i.self_ty),
        // typify's default-value functions, by the model they make.
        syn::Item::Fn(f) => match &f.sig.output {
            syn::ReturnType::Type(_, ty) => principal(ty),
            syn::ReturnType::Default => None,
        },
        _ => None,
    }
}

fn principal(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn attrs_mut(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    match item {
        syn::Item::Struct(s) => Some(&mut s.attrs),
        syn::Item::Enum(e) => Some(&mut e.attrs),
        syn::Item::Type(t) => Some(&mut t.attrs),
        syn::Item::Impl(i) => Some(&mut i.attrs),
        syn::Item::Fn(f) => Some(&mut f.attrs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::Spec;

    /// Two areas and a model they share; one model each; a model no
    /// operation reaches, and the model only it names.
    const SPEC: &str = r##"
openapi: 3.0.3
info: {title: t, version: "1"}
tags:
  - {name: Alpha things, x-feature: alpha}
  - {name: Beta things, x-feature: beta}
paths:
  /alpha:
    get:
      operationId: GetAlpha
      tags: [Alpha things]
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/AlphaOnly"}}}}
  /beta:
    post:
      operationId: PostBeta
      tags: [Beta things]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "#/components/schemas/BetaOnly"}}}
      responses:
        "204": {description: ok}
components:
  schemas:
    AlphaOnly:
      type: object
      properties: {shared: {$ref: "#/components/schemas/Shared"}}
    BetaOnly:
      type: object
      properties: {shared: {$ref: "#/components/schemas/Shared"}, mode: {$ref: "#/components/schemas/Mode"}}
    Mode: {type: string, enum: [fast, slow]}
    Shared:
      type: object
      properties: {name: {type: string}}
    Orphan:
      type: object
      properties: {leaf: {$ref: "#/components/schemas/Leaf"}}
    Leaf:
      type: object
      properties: {x: {type: string}}
"##;

    /// The `cfg` attribute on the line before `marker` in `code`, if any
    /// (the gate comes last, after the docs and derives).
    fn gate_of(code: &str, marker: &str) -> String {
        let at = code
            .find(marker)
            .unwrap_or_else(|| panic!("`{marker}` is generated"));
        let before = code[..at].trim_end();
        let line = before[before.rfind('\n').map_or(0, |i| i + 1)..].trim();
        if line.starts_with("#[cfg") {
            line.to_string()
        } else {
            String::new()
        }
    }

    #[test]
    fn each_item_is_gated_by_the_areas_that_need_it() {
        let spec = Spec::from_text(SPEC, "features.yaml").unwrap();
        assert_eq!(spec.features(), ["alpha", "beta"]);
        let code = spec.generate().unwrap().code;
        let alpha = r#"#[cfg(feature = "alpha")]"#;
        let beta = r#"#[cfg(feature = "beta")]"#;
        assert_eq!(gate_of(&code, "pub fn get_alpha(&self)"), alpha);
        assert_eq!(gate_of(&code, "pub struct GetAlpha<'a>"), alpha);
        assert_eq!(gate_of(&code, "pub fn post_beta(&self)"), beta);
        assert_eq!(gate_of(&code, "pub struct AlphaOnly {"), alpha);
        assert_eq!(gate_of(&code, "pub struct BetaOnly {"), beta);
        assert_eq!(gate_of(&code, "pub struct BetaOnlyBuilder {"), beta);
        assert_eq!(gate_of(&code, "pub enum Mode {"), beta);
        assert_eq!(gate_of(&code, "impl ::std::fmt::Display for Mode {"), beta);
        // Needed by both: as needed as the crate.
        assert_eq!(gate_of(&code, "pub struct Shared {"), "");
        // Reached by no operation: kept, with what it names.
        assert_eq!(gate_of(&code, "pub struct Orphan {"), "");
        assert_eq!(gate_of(&code, "pub struct Leaf {"), "");
        assert_eq!(gate_of(&code, "pub struct Client {"), "");
    }

    #[test]
    fn a_gated_spec_names_a_feature_for_every_operation() {
        let ungated = SPEC.replace("tags: [Beta things]", "tags: []");
        let error = Spec::from_text(&ungated, "features.yaml").err().unwrap();
        let text = error.to_string();
        assert!(text.contains("/paths/~1beta/post/tags"), "{text}");
        assert!(text.contains("names a feature"), "{text}");
        let bad = SPEC.replace("x-feature: beta", "x-feature: Beta!");
        let text = Spec::from_text(&bad, "features.yaml")
            .err()
            .unwrap()
            .to_string();
        assert!(text.contains("/tags/1/x-feature"), "{text}");
    }
}

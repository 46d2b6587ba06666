//! Snapshots of generated code, and the errors bad specs get.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn display_name(path: &Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}

/// What a reviewer needs to see when the real spec changes: each
/// operation's signature and each model's fields. The bytes of the
/// generated file are guarded by `cargo xtask codegen --check` instead.
#[test]
fn real_spec() {
    let spec = root().join("spec/ipdprojectservice.yaml");
    let code = ipd_codegen::generate_file(&spec, &display_name(&spec)).unwrap();
    insta::assert_snapshot!("ipdprojectservice", api_summary(&code));
}

/// One line per public method of `Client`, per model and per model field.
fn api_summary(code: &str) -> String {
    let file = syn::parse_file(code).unwrap();
    let mut lines = Vec::new();
    summarise(&file.items, "", &mut lines);
    lines.join("\n")
}

fn summarise(items: &[syn::Item], module: &str, lines: &mut Vec<String>) {
    for item in items {
        match item {
            syn::Item::Impl(block)
                if block.trait_.is_none() && pretty_type(&block.self_ty) == "Client" =>
            {
                for f in &block.items {
                    if let syn::ImplItem::Fn(f) = f
                        && matches!(f.vis, syn::Visibility::Public(_))
                    {
                        lines.push(pretty_signature(&f.sig));
                    }
                }
            }
            syn::Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
                lines.push(format!("struct {module}{}", s.ident));
                for field in &s.fields {
                    if let Some(name) = &field.ident
                        && matches!(field.vis, syn::Visibility::Public(_))
                    {
                        lines.push(format!("    {name}: {}", pretty_type(&field.ty)));
                    }
                }
            }
            syn::Item::Enum(e) if matches!(e.vis, syn::Visibility::Public(_)) => {
                let variants: Vec<String> =
                    e.variants.iter().map(|v| v.ident.to_string()).collect();
                lines.push(format!(
                    "enum {module}{} {{ {} }}",
                    e.ident,
                    variants.join(", ")
                ));
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    summarise(items, &format!("{module}{}::", m.ident), lines);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn output_is_deterministic() {
    let spec = root().join("spec/ipdprojectservice.yaml");
    let first = ipd_codegen::generate_file(&spec, "x").unwrap();
    let second = ipd_codegen::generate_file(&spec, "x").unwrap();
    assert_eq!(first, second);
}

/// Every bad spec gets one error naming the file, a location and the cause.
#[test]
fn bad_specs_are_rejected_with_a_location() {
    let dir = root().join("tests/fixtures/bad-specs");
    let mut specs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    assert!(specs.len() >= 30, "the corpus is in {}", dir.display());
    for path in &specs {
        let name = display_name(path);
        let error = match ipd_codegen::generate_file(path, &name) {
            Ok(_) => panic!("{name} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(error.starts_with(&format!("{name}:")), "{error}");
        assert!(!error.contains("panicked"), "{error}");
        assert!(!error.contains("code generation failed"), "{error}");
        // One snapshot per file, named as insta's `glob!` names them.
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(path.file_name().unwrap().to_string_lossy());
        settings.set_input_file(path);
        settings.bind(|| insta::assert_snapshot!(error));
    }
}

#[test]
fn a_missing_spec_file_names_it() {
    let error = ipd_codegen::generate_file(Path::new("/nonexistent/spec.yaml"), "spec.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("spec.yaml: cannot read the spec"),
        "{error}"
    );
}

/// A signature as prettyplease prints it, on one line.
pub(crate) fn pretty_signature(sig: &syn::Signature) -> String {
    let item: syn::File = syn::parse_quote!(#sig {});
    one_line(&prettyplease::unparse(&item))
        .trim_end_matches(" {}")
        .to_string()
}

/// A type as prettyplease prints it, without the `::std::...` prefixes.
pub(crate) fn pretty_type(ty: &syn::Type) -> String {
    let item: syn::File = syn::parse_quote!(type T = #ty;);
    let text = one_line(&prettyplease::unparse(&item));
    text.trim_start_matches("type T = ")
        .trim_end_matches(';')
        .replace("::std::option::", "")
        .replace("::std::string::", "")
        .replace("::std::vec::", "")
        .replace("::std::collections::", "")
}

fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(", )", ")")
}

/// aws-sdk-rust's conventions hold for every model the real spec has: each
/// struct and enum of `types` is `#[non_exhaustive]`, each struct has
/// `builder()` and an accessor per field, each builder a `build()`.
#[test]
fn every_model_has_a_builder_accessors_and_is_non_exhaustive() {
    let spec = root().join("spec/ipdprojectservice.yaml");
    let code = ipd_codegen::generate_file(&spec, &display_name(&spec)).unwrap();
    let file = syn::parse_file(&code).unwrap();
    let module = |items: &[syn::Item], name: &str| -> Vec<syn::Item> {
        items
            .iter()
            .find_map(|i| match i {
                syn::Item::Mod(m) if m.ident == name => Some(m.clone()),
                _ => None,
            })
            .map(|m| items_of(&m))
            .unwrap_or_default()
    };
    fn items_of(m: &syn::ItemMod) -> Vec<syn::Item> {
        m.content
            .as_ref()
            .map(|(_, i)| i.clone())
            .unwrap_or_default()
    }
    let types = module(&file.items, "types");
    let builders = module(&types, "builders");
    let non_exhaustive =
        |attrs: &[syn::Attribute]| attrs.iter().any(|a| a.path().is_ident("non_exhaustive"));
    // The inherent methods of each type, by type name.
    let methods = |items: &[syn::Item]| {
        let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for item in items {
            if let syn::Item::Impl(block) = item
                && block.trait_.is_none()
            {
                let entry = out.entry(pretty_type(&block.self_ty)).or_default();
                for f in &block.items {
                    if let syn::ImplItem::Fn(f) = f {
                        entry.push(f.sig.ident.to_string());
                    }
                }
            }
        }
        out
    };
    let (model_methods, builder_methods) = (methods(&types), methods(&builders));
    let (mut structs, mut enums, mut newtypes) = (0, 0, 0);
    for item in &types {
        match item {
            // Newtypes: array bodies (`pub Vec<T>`, serde-transparent) and
            // constrained strings (a private `String`, made by `TryFrom`),
            // which hold no fields to build or read.
            syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Unnamed(_)) => {
                assert_eq!(s.fields.len(), 1, "{}", s.ident);
                newtypes += 1;
            }
            syn::Item::Struct(s) => {
                structs += 1;
                let name = s.ident.to_string();
                assert!(non_exhaustive(&s.attrs), "{name} is not #[non_exhaustive]");
                let own = model_methods.get(&name).cloned().unwrap_or_default();
                assert!(
                    own.iter().any(|m| m == "builder"),
                    "{name} has no builder()"
                );
                let builder = builder_methods
                    .get(&format!("{name}Builder"))
                    .cloned()
                    .unwrap_or_default();
                assert!(
                    builder.iter().any(|m| m == "build"),
                    "{name}Builder has no build()"
                );
                for field in &s.fields {
                    let field = field.ident.as_ref().unwrap().to_string();
                    assert!(own.contains(&field), "{name}.{field} has no accessor");
                    assert!(
                        builder.contains(&field),
                        "{name}Builder has no setter {field}"
                    );
                }
            }
            syn::Item::Enum(e) => {
                enums += 1;
                assert!(
                    non_exhaustive(&e.attrs),
                    "{} is not #[non_exhaustive]",
                    e.ident
                );
            }
            _ => {}
        }
    }
    // The whole spec, not an empty module; newtypes (array bodies and
    // constrained strings) stay the exception.
    assert!(
        structs > 100 && enums > 20 && newtypes < structs / 4,
        "{structs} structs, {enums} enums, {newtypes} newtypes"
    );
}

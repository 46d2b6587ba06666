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

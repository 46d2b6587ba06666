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

#[test]
fn real_spec() {
    let spec = root().join("spec/ipdprojectservice.yaml");
    let code = ipd_codegen::generate_file(&spec, &display_name(&spec)).unwrap();
    insta::assert_snapshot!("ipdprojectservice", code);
}

#[test]
fn fixture_specs() {
    insta::glob!("../fixtures/specs", "*.yaml", |path| {
        let code = ipd_codegen::generate_file(path, &display_name(path)).unwrap();
        insta::assert_snapshot!(code);
    });
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
    insta::glob!("../fixtures/bad-specs", "*.yaml", |path| {
        let name = display_name(path);
        let error = match ipd_codegen::generate_file(path, &name) {
            Ok(_) => panic!("{name} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(error.starts_with(&format!("{name}:")), "{error}");
        insta::assert_snapshot!(error);
    });
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

//! Generates, into OUT_DIR:
//! - a client for every fixture spec, so tests can compile and run them:
//!   proof that the templates work for specs they were not written for;
//! - one decoding test per response example of the real spec
//!   (`examples.rs`), so a newly documented example is tested without a
//!   test written by hand.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);
    fixture_clients(out);
    example_tests(out);
}

fn fixture_clients(out: &Path) {
    let dir = Path::new("fixtures/specs");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures/specs exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    entries.sort();
    for spec in entries {
        println!("cargo::rerun-if-changed={}", spec.display());
        let stem = spec
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .replace('-', "_");
        let code = ipd_codegen::generate_file(&spec, &spec.display().to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(out.join(format!("{stem}.rs")), code).unwrap();
    }
}

fn example_tests(out: &Path) {
    let spec = Path::new("../spec/ipdprojectservice.yaml");
    println!("cargo::rerun-if-changed=../spec");
    let examples = ipd_codegen::examples(spec, "spec/ipdprojectservice.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut code = String::new();
    for example in examples {
        let name = format!("{}_{}", example.operation_id, example.status)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect::<String>();
        writeln!(
            code,
            "#[test]\nfn {name}() {{\n    decodes_without_loss::<codearts_ipd::types::{}>({:?});\n}}\n",
            example.type_name, example.json
        )
        .unwrap();
    }
    std::fs::write(out.join("examples.rs"), code).unwrap();
}

//! Generates, into OUT_DIR:
//! - a client for every fixture spec, so tests can compile and run them:
//!   proof that the templates work for specs they were not written for;
//! - one decoding test per response example of the real spec
//!   (`examples.rs`), so a newly documented example is tested without a
//!   test written by hand;
//! - one end-to-end call per operation of the real spec
//!   (`operations.rs`), through the generated client against the emulator,
//!   so a new operation is covered without a test written by hand.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);
    fixture_clients(out);
    example_tests(out);
    operation_tests(out);
}

/// Each test sets every parameter and the body (a form's required fields)
/// to a value synthesised from the spec (`sample`, `sample_body`), sends the call, and checks the
/// documented status and the decoded type; see `tests/every_operation.rs`.
fn operation_tests(out: &Path) {
    use ipd_codegen::{FormField, InputKind, Success};
    let spec = Path::new("../spec/ipdprojectservice.yaml");
    let calls = ipd_codegen::operation_calls(spec, "spec/ipdprojectservice.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut code = String::new();
    for call in calls {
        let id = &call.operation_id;
        let mut chain = format!("h.client.{}()", call.method);
        for input in &call.inputs {
            let value = match &input.kind {
                InputKind::Value(ty) if input.name == "body" => {
                    format!("sample_body::<{ty}>({id:?})")
                }
                InputKind::Value(ty) => format!("sample::<{ty}>({id:?}, {:?})", input.name),
                InputKind::Form {
                    type_name,
                    required,
                } => {
                    let args: Vec<String> = required
                        .iter()
                        .map(|field| match field {
                            FormField::File => "sample_file()".to_string(),
                            FormField::Files => "vec![sample_file()]".to_string(),
                            FormField::Text(name, ty) => {
                                format!("sample_field::<{ty}>({id:?}, {name:?})")
                            }
                        })
                        .collect();
                    format!("forms::{type_name}::new({})", args.join(", "))
                }
            };
            write!(chain, "\n        .{}({value})", input.setter).unwrap();
        }
        let check = match &call.success {
            Success::Json(ty) => format!("let _: &types::{ty} = response.body();"),
            Success::Empty => "let _: &() = response.body();".to_string(),
            Success::Raw => {
                "assert!(!read_all(response.into_inner()).await.is_empty());".to_string()
            }
        };
        let status = match call.success_status {
            Some(status) => format!("assert_eq!(response.status().as_u16(), {status});"),
            None => "assert!(response.status().is_success());".to_string(),
        };
        writeln!(
            code,
            "#[tokio::test]\nasync fn {}() {{\n    let h = Harness::start().await;\n    let response = {chain}\n        .send()\n        .await;\n    let response = h.succeeded({id:?}, response);\n    {status}\n    {check}\n}}\n",
            call.method.trim_start_matches("r#"),
        )
        .unwrap();
    }
    std::fs::write(out.join("operations.rs"), code).unwrap();
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

//! Generates a client for every fixture spec into OUT_DIR, so tests can
//! compile and run them: proof that the templates work for specs they were
//! not written for.

use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
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
        std::fs::write(Path::new(&out).join(format!("{stem}.rs")), code).unwrap();
    }
}

//! `cargo xtask import PAGE… [-o FILE]`: drafts the spec of newly
//! documented operations from their saved API reference pages.
//!
//! A page is read in either rendering a browser copy gives (`page`), its
//! description cells are read as schema keywords where they parse
//! (`describe`), and the operations become one OpenAPI 3.0.3 document in
//! the spec's conventions (`draft`), written as YAML (`yaml`). An operation
//! the spec already has is not drafted: the differences between the page
//! and the spec are printed instead, field by field (`diff`), so the spec
//! stays hand-owned.
//!
//! Nothing is dropped silently: what a draft cannot place is an
//! `x-import-notes` entry naming the page and line, a model whose table is
//! cut off is marked `x-import-cut`, and one referenced without a table
//! `x-import-missing`.

mod describe;
pub mod diff;
pub mod draft;
pub mod page;
pub mod read;
pub mod yaml;

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

pub use read::Import;

/// Reads a page file; notes name it by `name`.
pub fn read(path: &Path, name: &str) -> anyhow::Result<Import> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(read::read(name, &text))
}

/// The spec's operation at `method` `path`, if it has one.
pub fn spec_operation<'a>(spec: &'a Value, method: &str, path: &str) -> Option<&'a Value> {
    spec.get("paths")?.get(path)?.get(method)
}

/// The differences between a page's operation and the spec's, or None if
/// the spec does not have it.
pub fn differences(import: &Import, spec: &Value) -> Option<Vec<String>> {
    let spec_op = spec_operation(spec, &import.method, &import.path)?;
    let (draft, _) = draft::draft(std::slice::from_ref(import));
    let page_op = spec_operation(&draft, &import.method, &import.path)?;
    let what = diff::Source::page(import.sdk_named, import.complete);
    Some(diff::operation(&draft, page_op, spec, spec_op, &what))
}

/// A report of what a page gave: the draft's route and its notes.
fn summary(import: &Import) -> String {
    let mut out = format!(
        "{}: {} {} {} ({}), {} note(s)",
        import.page,
        import.operation_id,
        import.method.to_uppercase(),
        import.path,
        import.rendering.name(),
        import.notes.len()
    );
    for note in &import.notes {
        out.push_str(&format!("\n  {}:{}: {}", import.page, note.line, note.text));
    }
    out
}

/// `cargo xtask import [PAGE…] [--sdk OP…]`.
pub fn run(
    root: &Path,
    pages: &[PathBuf],
    sdk_ops: &[String],
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let spec_path = root.join(crate::SPEC);
    let spec = ipd_codegen::bundle_file(&spec_path, crate::SPEC)?;
    let mut imports = Vec::new();
    for page in pages {
        let name = page.file_name().map_or_else(
            || page.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let import = read(page, &name)?;
        eprintln!("{}", summary(&import));
        imports.push(import);
    }
    let (sdk_draft, used) = if sdk_ops.is_empty() {
        (None, Vec::new())
    } else {
        crate::sdk::import(root, &spec, sdk_ops, &imports)?
    };
    let mut new = Vec::new();
    for (i, import) in imports.into_iter().enumerate() {
        if used.contains(&i) {
            continue;
        }
        match differences(&import, &spec) {
            Some(found) => {
                let spec_id = spec_operation(&spec, &import.method, &import.path)
                    .and_then(|o| o["operationId"].as_str())
                    .unwrap_or_default();
                eprintln!(
                    "  in the spec as {spec_id}: not drafted; {} difference(s) between the page and the spec:",
                    found.len()
                );
                for line in found {
                    eprintln!("    {line}");
                }
            }
            None => new.push(import),
        }
    }
    if new.is_empty() && sdk_draft.is_none() {
        eprintln!("nothing to draft: every operation is in the spec");
        return Ok(());
    }
    let mut sources: Vec<&str> = new.iter().map(|i| i.page.as_str()).collect();
    let draft = match (sdk_draft, new.is_empty()) {
        (Some(sdk), true) => sdk,
        (sdk, _) => {
            let (draft, conflicts) = draft::draft(&new);
            for conflict in &conflicts {
                eprintln!("conflict: {conflict}");
            }
            match sdk {
                Some(sdk) => join(sdk, draft),
                None => draft,
            }
        }
    };
    if !sdk_ops.is_empty() {
        sources.push("the official SDK");
    }
    let text = format!(
        "# Drafted by `cargo xtask import` from {}; review before adding to the spec.\n{}",
        sources.join(", "),
        yaml::to_yaml(&draft)
    );
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// Two drafts as one: `extra`'s routes and models are added to `base`'s,
/// a model both define kept as `base` has it.
fn join(mut base: Value, extra: Value) -> Value {
    for (section, pointer) in [("paths", "/paths"), ("schemas", "/components/schemas")] {
        let Some(Value::Object(from)) = extra.pointer(pointer).cloned() else {
            continue;
        };
        let Some(Value::Object(to)) = base.pointer_mut(pointer) else {
            continue;
        };
        for (name, value) in from {
            if to.contains_key(&name) && to[&name] != value {
                eprintln!(
                    "conflict: {section} `{name}` differs between the SDK and a page; the SDK's is kept"
                );
            }
            to.entry(name).or_insert(value);
        }
    }
    base
}

/// The fixture pages (`tests/fixtures/pages/*.txt`), by name.
pub const PAGES: &str = "tests/fixtures/pages";

/// For `cargo xtask codegen`: each fixture page's draft on its own
/// (`tests/fixtures/pages/drafts/<page>.yaml`), and every page's
/// differences with the spec (`tests/fixtures/pages/drafts/differences.txt`).
pub fn fixture_outputs(root: &Path, spec: &Value) -> anyhow::Result<Vec<(String, String)>> {
    let dir = root.join(PAGES);
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    pages.sort();
    let mut files = Vec::new();
    let mut report = String::from(
        "# `cargo xtask import` in diff mode on each fixture page whose operation is in the spec\n\
         # (written by `cargo xtask codegen`; REVIEW.md says what was done about each).\n",
    );
    for page in &pages {
        let name = page
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let import = read(page, &name)?;
        let (draft, _) = draft::draft(std::slice::from_ref(&import));
        let stem = name.trim_end_matches(".txt");
        files.push((
            format!("{PAGES}/drafts/{stem}.yaml"),
            format!(
                "# Drafted by `cargo xtask import` from {name} (written by `cargo xtask codegen`).\n{}",
                yaml::to_yaml(&draft)
            ),
        ));
        if let Some(found) = differences(&import, spec) {
            report.push_str(&format!(
                "\n{name}: {} {}\n",
                import.method.to_uppercase(),
                import.path
            ));
            if found.is_empty() {
                report.push_str("  no difference\n");
            }
            for line in found {
                report.push_str(&format!("  {line}\n"));
            }
        }
    }
    files.push((format!("{PAGES}/drafts/differences.txt"), report));
    Ok(files)
}

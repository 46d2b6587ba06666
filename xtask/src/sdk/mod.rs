//! The official Python SDK (`huaweicloudsdkprojectman`) as a standing
//! oracle. `cargo xtask sdk-audit` compares the spec with the SDK's own
//! description of its operations ([`metadata`]), and with
//! `--sdk-version X` also says what a newer release changed; `cargo xtask
//! import --sdk OP` drafts an operation the spec lacks ([`draft`]).

pub mod audit;
pub mod draft;
mod merge;
pub mod metadata;

use std::path::Path;

use anyhow::bail;
use serde_json::Value;

use crate::import::Import;

/// `cargo xtask sdk-audit [--sdk-version X]`: whether the spec agrees with
/// the pinned SDK, every kept difference listed.
pub fn run(root: &Path, newer: Option<&str>) -> anyhow::Result<bool> {
    let spec = ipd_codegen::bundle_file(&root.join(crate::SPEC), crate::SPEC)?;
    let kept = audit::Kept::read(root)?;
    let pinned = metadata::pinned_version(root)?;
    let metadata = metadata::load(root, &pinned)?;
    let findings = audit::audit(&metadata, &spec, &kept);
    report(&metadata, &findings);
    let Some(version) = newer.filter(|v| *v != pinned) else {
        return Ok(findings.passed());
    };
    let newer = metadata::load(root, version)?;
    let changes = audit::changes(&metadata, &newer);
    println!(
        "\n{} {version} against {pinned}: {} change(s)",
        newer.package,
        changes.len()
    );
    for line in &changes {
        println!("  {line}");
    }
    let against_newer = audit::audit(&newer, &spec, &kept);
    println!("\nThe spec against {version}:");
    report(&newer, &against_newer);
    Ok(findings.passed())
}

fn report(metadata: &Metadata, findings: &audit::Findings) {
    println!(
        "{} {}: {} operation(s) in scope compared with the spec; {} kept difference(s), {} unexplained, {} listed but gone",
        metadata.package,
        metadata.version,
        findings.compared,
        findings.kept,
        findings.unexplained.len(),
        findings.stale.len()
    );
    for line in &findings.unexplained {
        println!("  unexplained: {line}");
    }
    for line in &findings.stale {
        println!("  listed in {} but no longer found: {line}", audit::KEPT);
    }
}

use metadata::Metadata;

/// For `cargo xtask import --sdk OP…`: the draft of the named SDK
/// operations (`missing`: every one in scope that the spec lacks), each
/// merged with the page of the same route if one is given, and the pages
/// so used. An operation the spec has is not drafted: its differences
/// with the spec are printed instead.
pub fn import(
    root: &Path,
    spec: &Value,
    names: &[String],
    pages: &[Import],
) -> anyhow::Result<(Option<Value>, Vec<usize>)> {
    let kept = audit::Kept::read(root)?;
    let metadata = metadata::load(root, &metadata::pinned_version(root)?)?;
    let mut ops = Vec::new();
    for name in names {
        if name == "missing" {
            ops.extend(metadata.operations.iter().filter(|o| {
                kept.scope.iter().any(|s| o.path.starts_with(s.as_str()))
                    && crate::import::spec_operation(spec, &o.method.to_ascii_lowercase(), &o.path)
                        .is_none()
            }));
            continue;
        }
        let Some(op) = metadata.operations.iter().find(|o| o.name == *name) else {
            bail!(
                "the SDK ({} {}) has no operation {name}",
                metadata.package,
                metadata.version
            );
        };
        if let Some(spec_op) =
            crate::import::spec_operation(spec, &op.method.to_ascii_lowercase(), &op.path)
        {
            let id = spec_op["operationId"].as_str().unwrap_or_default();
            let found: Vec<String> = audit::differences(&metadata, spec, &kept)
                .into_iter()
                .filter(|d| {
                    d.starts_with(&format!("{}: ", op.name)) || d.starts_with(&format!("{id}: "))
                })
                .collect();
            eprintln!(
                "{name}: in the spec as {id}: not drafted; {} difference(s) with the SDK:",
                found.len()
            );
            for line in found {
                eprintln!("    {line}");
            }
            continue;
        }
        ops.push(op);
    }
    ops.sort_by(|a, b| a.name.cmp(&b.name));
    ops.dedup_by(|a, b| a.name == b.name);
    if ops.is_empty() {
        return Ok((None, Vec::new()));
    }
    let mut doc = draft::draft(&metadata, &ops);
    let mut used = Vec::new();
    for op in &ops {
        let method = op.method.to_ascii_lowercase();
        eprintln!(
            "{}: {} {} from {} {}",
            op.name, op.method, op.path, metadata.package, metadata.version
        );
        for (i, page) in pages.iter().enumerate() {
            if page.method == method && page.path == op.path {
                let (page_doc, _) = crate::import::draft::draft(std::slice::from_ref(page));
                merge::merge(&mut doc, &page_doc, &method, &op.path);
                eprintln!("  merged with {}", page.page);
                used.push(i);
            }
        }
    }
    Ok((Some(doc), used))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set to make a missing python3 or PyPI fail the audit, not skip it.
    const REQUIRE: &str = "IPD_REQUIRE_PYTHON";

    /// The spec agrees with the pinned official SDK, every kept difference
    /// listed (`cargo xtask sdk-audit`). Needs python3 and PyPI: without
    /// them it says so in one line and passes, unless IPD_REQUIRE_PYTHON=1
    /// (as in CI).
    #[test]
    fn the_spec_agrees_with_the_official_sdk() {
        let root = crate::workspace_root();
        let metadata = match metadata::pinned_version(&root).and_then(|v| metadata::load(&root, &v))
        {
            Ok(metadata) => metadata,
            Err(why) if std::env::var_os(REQUIRE).is_none_or(|v| v != "1") => {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped: the official-SDK audit: {why:#}; set {REQUIRE}=1 to make this an error"
                );
                return;
            }
            Err(why) => panic!("{why:#} ({REQUIRE}=1 makes the audit mandatory)"),
        };
        let spec = ipd_codegen::bundle_file(&root.join(crate::SPEC), crate::SPEC).unwrap();
        let kept = audit::Kept::read(&root).unwrap();
        let findings = audit::audit(&metadata, &spec, &kept);
        assert!(
            findings.passed(),
            "the spec and {} {} differ; fix the spec, or list the difference with its reason in {}:\n{}{}",
            metadata.package,
            metadata.version,
            audit::KEPT,
            findings
                .unexplained
                .iter()
                .map(|l| format!("  not listed: {l}\n"))
                .collect::<String>(),
            findings
                .stale
                .iter()
                .map(|l| format!("  listed, no longer found: {l}\n"))
                .collect::<String>(),
        );
        // The scope holds every IPD-family operation the SDK has: nothing
        // the SDK documents there is missing from the spec.
        assert!(
            findings.compared >= 61,
            "{} operations in scope",
            findings.compared
        );
    }
}

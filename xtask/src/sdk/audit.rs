//! The spec against the official SDK: every operation, parameter, body
//! field and answer field of the SDK's operations in scope, compared
//! recursively with the spec through the same field-by-field comparison
//! as a reference page's (`import::diff`). What differs on purpose is
//! listed, with its reason, in `spec/sdk-differences.yaml`; anything else
//! is a finding.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;
use serde_json::Value;

use super::draft;
use super::metadata::{Metadata, Operation};
use crate::import::diff;

/// The reviewed list of the differences the spec keeps.
pub const KEPT: &str = "spec/sdk-differences.yaml";

/// `spec/sdk-differences.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kept {
    /// The SDK's operations the spec covers: those whose path starts with
    /// one of these.
    pub scope: Vec<String>,
    /// Differences kept on purpose, grouped by their reason.
    pub kept: Vec<KeptGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeptGroup {
    pub reason: String,
    pub differences: Vec<String>,
}

impl Kept {
    pub fn read(root: &Path) -> anyhow::Result<Kept> {
        let path = root.join(KEPT);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let kept: Kept =
            serde_saphyr::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        for group in &kept.kept {
            if group.reason.trim().is_empty() {
                anyhow::bail!("{KEPT}: a group of kept differences gives no reason");
            }
        }
        Ok(kept)
    }

    fn in_scope(&self, path: &str) -> bool {
        self.scope
            .iter()
            .any(|prefix| path.starts_with(prefix.as_str()))
    }

    fn listed(&self) -> BTreeSet<&str> {
        self.kept
            .iter()
            .flat_map(|g| g.differences.iter().map(String::as_str))
            .collect()
    }
}

/// How the SDK is named in the comparison's lines.
fn sdk_source() -> diff::Source {
    diff::Source {
        name: "the SDK",
        on: "in the SDK",
        sdk_named: true,
        // The SDK knows no status codes: only its success answer is
        // compared, with the spec's.
        complete: false,
        models_named: false,
        untyped_values: true,
        exact_media: true,
    }
}

/// The spec's operations, as (method, path, operationId).
fn spec_operations(spec: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                out.push((method.to_ascii_uppercase(), path.clone(), id.to_string()));
            }
        }
    }
    out
}

/// The status of the spec's success answer (its lowest 2xx).
fn success_status(op: &Value) -> Option<String> {
    op["responses"]
        .as_object()?
        .keys()
        .filter(|s| s.starts_with('2') && s.len() == 3)
        .min()
        .cloned()
}

/// Every difference between the SDK's operations in scope and the spec,
/// one line each, prefixed with the operation's name.
pub fn differences(metadata: &Metadata, spec: &Value, kept: &Kept) -> Vec<String> {
    let mut out = Vec::new();
    let in_scope: Vec<&Operation> = metadata
        .operations
        .iter()
        .filter(|o| kept.in_scope(&o.path))
        .collect();
    for op in &in_scope {
        let Some(spec_op) =
            crate::import::spec_operation(spec, &op.method.to_ascii_lowercase(), &op.path)
        else {
            out.push(format!(
                "{}: {} {}: in the SDK, not in the spec",
                op.name, op.method, op.path
            ));
            continue;
        };
        let mut sdk = draft::draft(metadata, &[op]);
        let method = op.method.to_ascii_lowercase();
        let sdk_op = &mut sdk["paths"][&op.path][&method];
        if let Some(notes) = sdk_op.get("x-import-notes").and_then(Value::as_array) {
            out.extend(notes.iter().filter_map(Value::as_str).map(str::to_string));
        }
        // The SDK's answer is the spec's success answer, whatever its status.
        if let Some(status) = success_status(spec_op)
            && let Some(answer) = sdk_op["responses"]
                .as_object_mut()
                .and_then(|r| r.remove("200"))
        {
            sdk_op["responses"][status] = answer;
        }
        let sdk_op = sdk["paths"][&op.path][&method].clone();
        let found = diff::operation(&sdk, &sdk_op, spec, spec_op, &sdk_source());
        out.extend(found.into_iter().map(|line| format!("{}: {line}", op.name)));
    }
    for (method, path, id) in spec_operations(spec) {
        if metadata.operation(&method, &path).is_none() {
            out.push(format!(
                "{id}: {method} {path}: in the spec, not in the SDK"
            ));
        }
    }
    out
}

/// The outcome of an audit: differences not listed, and listed ones that
/// no longer occur.
pub struct Findings {
    pub unexplained: Vec<String>,
    pub stale: Vec<String>,
    /// Operations compared, and differences kept.
    pub compared: usize,
    pub kept: usize,
}

impl Findings {
    pub fn passed(&self) -> bool {
        self.unexplained.is_empty() && self.stale.is_empty()
    }
}

pub fn audit(metadata: &Metadata, spec: &Value, kept: &Kept) -> Findings {
    let found = differences(metadata, spec, kept);
    let listed = kept.listed();
    let found_set: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    Findings {
        unexplained: found
            .iter()
            .filter(|d| !listed.contains(d.as_str()))
            .cloned()
            .collect(),
        stale: listed
            .iter()
            .filter(|d| !found_set.contains(*d))
            .map(|d| d.to_string())
            .collect(),
        compared: metadata
            .operations
            .iter()
            .filter(|o| kept.in_scope(&o.path))
            .count(),
        kept: found.len()
            - found
                .iter()
                .filter(|d| !listed.contains(d.as_str()))
                .count(),
    }
}

/// What changed between two releases of the SDK: operations added and
/// removed, and, for those in both, every difference in their shapes
/// (compared as the audit compares the SDK with the spec).
pub fn changes(old: &Metadata, new: &Metadata) -> Vec<String> {
    let mut out = Vec::new();
    for op in &new.operations {
        match old.operation(&op.method, &op.path) {
            None => out.push(format!("added: {} {} {}", op.name, op.method, op.path)),
            Some(before) => {
                let (a, b) = (draft::draft(old, &[before]), draft::draft(new, &[op]));
                let method = op.method.to_ascii_lowercase();
                let (a_op, b_op) = (
                    &a["paths"][&op.path][&method],
                    &b["paths"][&op.path][&method],
                );
                let source = diff::Source {
                    name: "the new release",
                    on: "in the new release",
                    models_named: true,
                    ..sdk_source()
                };
                for line in diff::operation(&b, b_op, &a, a_op, &source) {
                    out.push(format!(
                        "changed: {}: {}",
                        op.name,
                        line.replace("the spec", "the old release")
                    ));
                }
            }
        }
    }
    for op in &old.operations {
        if new.operation(&op.method, &op.path).is_none() {
            out.push(format!("removed: {} {} {}", op.name, op.method, op.path));
        }
    }
    out
}

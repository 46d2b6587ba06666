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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A small SDK: one operation the spec has (with a body model and an
    /// answer), one it lacks.
    fn metadata() -> Metadata {
        serde_json::from_value(json!({
            "package": "sdk", "version": "1.0",
            "operations": [
                { "name": "CreateThing", "method": "POST", "path": "/v1/things",
                  "summary": "s", "description": "",
                  "parameters": [{ "name": "page", "in": "query", "type": "int", "required": false, "description": "" }],
                  "content_type": "application/json;charset=utf-8",
                  "body": { "type": "ThingParam" }, "form": [],
                  "response": { "type": "CreateThingResponse", "stream": false } },
                { "name": "DropThing", "method": "DELETE", "path": "/v1/things/{id}",
                  "summary": "s", "description": "",
                  "parameters": [{ "name": "id", "in": "path", "type": "str", "required": true, "description": "" }],
                  "content_type": null, "body": null, "form": [],
                  "response": { "type": "DropThingResponse", "stream": false } },
                { "name": "Elsewhere", "method": "GET", "path": "/v9/other",
                  "summary": "s", "description": "", "parameters": [],
                  "content_type": null, "body": null, "form": [],
                  "response": { "type": "DropThingResponse", "stream": false } }
            ],
            "models": {
                "ThingParam": { "fields": [
                    { "json": "title", "type": "str", "required": true, "description": "" },
                    { "json": "size", "type": "int", "required": false, "description": "" } ] },
                "CreateThingResponse": { "fields": [
                    { "json": "id", "type": "str", "required": false, "description": "" },
                    { "json": "created", "type": "str", "required": false, "description": "" } ] },
                "DropThingResponse": { "fields": [] }
            }
        }))
        .unwrap()
    }

    fn spec() -> Value {
        json!({
            "openapi": "3.0.3",
            "paths": { "/v1/things": { "post": {
                "operationId": "CreateThing",
                "parameters": [{ "name": "page", "in": "query", "required": false,
                                 "schema": { "type": "integer", "format": "int32" } }],
                "requestBody": { "content": { "application/json;charset=UTF-8": { "schema": {
                    "type": "object", "required": ["title", "size"],
                    "properties": { "title": { "type": "string", "enum": ["a"] },
                                    "size": { "type": "string" } } } } } },
                "responses": { "201": { "description": "", "content": { "application/json": { "schema": {
                    "type": "object", "properties": {
                        "id": { "type": "string" },
                        "created": { "type": "integer", "x-accept-digit-string": true },
                        "extra": { "type": "string" } } } } } } }
            } } }
        })
    }

    fn kept(differences: &[&str]) -> Kept {
        Kept {
            scope: vec!["/v1/".into()],
            kept: vec![KeptGroup {
                reason: "a reason".into(),
                differences: differences.iter().map(|d| d.to_string()).collect(),
            }],
        }
    }

    #[test]
    fn finds_every_kind_of_difference_and_nothing_out_of_scope() {
        let found = differences(&metadata(), &spec(), &kept(&[]));
        assert_eq!(
            found,
            [
                // Requiredness and type of a body field; the spec's enum,
                // format, digit strings and charset case are no difference.
                "CreateThing: body.size: required in the SDK false, in the spec true",
                "CreateThing: body.size: the SDK has integer, the spec string",
                // An answer field only the spec has, at the spec's success status.
                "CreateThing: response 201.extra (string): in the spec, not in the SDK",
                "DropThing: DELETE /v1/things/{id}: in the SDK, not in the spec",
            ]
        );
    }

    #[test]
    fn listed_differences_pass_and_stale_ones_fail() {
        let all = differences(&metadata(), &spec(), &kept(&[]));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let findings = audit(&metadata(), &spec(), &kept(&all));
        assert!(findings.passed(), "{:?}", findings.unexplained);
        assert_eq!(findings.kept, 4);
        let mut listed = all.clone();
        listed.push("CreateThing: body.gone: in the SDK, not in the spec");
        let findings = audit(&metadata(), &spec(), &kept(&listed[1..]));
        assert_eq!(findings.unexplained, [all[0]]);
        assert_eq!(
            findings.stale,
            ["CreateThing: body.gone: in the SDK, not in the spec"]
        );
        assert!(!findings.passed());
    }

    #[test]
    fn a_release_that_adds_and_changes_operations_is_reported() {
        let old = metadata();
        let mut new = metadata();
        new.operations.retain(|o| o.name != "DropThing");
        new.models.get_mut("ThingParam").unwrap().fields[1].ty = "str".into();
        let found = changes(&old, &new);
        assert!(
            found.contains(&"removed: DropThing DELETE /v1/things/{id}".to_string()),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|c| c
                    .starts_with("changed: CreateThing: body.size: the new release has string")),
            "{found:?}"
        );
        let added = changes(&new, &old);
        assert!(
            added.contains(&"added: DropThing DELETE /v1/things/{id}".to_string()),
            "{added:?}"
        );
    }
}

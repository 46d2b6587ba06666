//! Turns an OpenAPI 3.0 spec of the IPD service into the Rust client of crate
//! `codearts-req`.
//!
//! progenitor (through typify) generates the models; our templates
//! (`operation`) generate the client and one builder per operation, JSON
//! and `multipart/form-data` alike, calling the runtime crate
//! `codearts-req-runtime`. The result is one Rust file, formatted by
//! prettyplease, that is byte-identical for the same input.

#![warn(missing_docs)]

use std::path::Path;

use bundle::Source;
use operation::model::Operation;

mod bundle;
mod client;
mod document;
mod error;
mod features;
mod hoist;
mod load;
mod model;
mod naming;
mod operation;
mod progenitor;
mod summary;
mod table;
mod validate;

pub use client::{VARIANT_DESCRIPTIONS, VARIANT_NAMES};
pub use error::{Error, Location, SpecError};
pub use load::{DIGIT_STRING_EXTENSION, ONE_OR_MANY_EXTENSION, SDK_READS_ONE_EXTENSION};
pub use progenitor::GENERATOR_THREAD;

/// Generates the client for the spec at `path`. `display_name` names the
/// spec in errors and in the generated file's preamble, so the output does
/// not depend on where the checkout lives.
///
/// A directory beside the spec with the same stem (`spec/x.yaml` and
/// `spec/x/`) holds fragments: every `*.yaml` in it, in name order, adds
/// its `paths` and `components` to the document.
pub fn generate_file(path: &Path, display_name: &str) -> Result<String, Error> {
    Ok(Spec::read(path, display_name)?.generate()?.code)
}

/// A spec read, bundled, validated and lowered into the model of its
/// operations, once: every output (the client, the operations table, the
/// bundled document, the test code) is made from this one reading.
pub struct Spec {
    display_name: String,
    api: openapiv3::OpenAPI,
    operations: Vec<Operation>,
    bundle: bundle::Bundle,
}

/// The generated client, and what tests derived from it need to know.
pub struct Generated {
    /// The client's Rust source, formatted.
    pub code: String,
    /// The open string enums (those with an `Unknown` variant), by name
    /// in the client's `types` module.
    pub string_enums: Vec<String>,
}

impl Spec {
    /// Reads the spec at `path` with its fragments. `display_name` names
    /// the spec in errors and in generated files' preambles, so the output
    /// does not depend on where the checkout lives.
    ///
    /// A directory beside the spec with the same stem (`spec/x.yaml` and
    /// `spec/x/`) holds fragments: every `*.yaml` in it, in name order,
    /// adds its `paths` and `components` to the document.
    pub fn read(path: &Path, display_name: &str) -> Result<Spec, Error> {
        let (root, fragments) = read_sources(path, display_name)?;
        Spec::from_sources(&root, &fragments)
    }

    /// Reads a spec given as text, without fragments.
    pub fn from_text(text: &str, display_name: &str) -> Result<Spec, Error> {
        let root = Source {
            display: display_name.to_string(),
            text: text.to_string(),
        };
        Spec::from_sources(&root, &[])
    }

    fn from_sources(root: &Source, fragments: &[Source]) -> Result<Spec, Error> {
        let (api, operations, bundle) = prepare(root, fragments)?;
        Ok(Spec {
            display_name: root.display.clone(),
            api,
            operations,
            bundle,
        })
    }

    /// The client: the models (typify's) and the operations (ours).
    pub fn generate(&self) -> Result<Generated, Error> {
        client::generate(self)
    }

    /// The spec and its fragments bundled into one JSON document, as the
    /// author wrote them: what the operations table's pointers point into.
    pub fn bundle(&self) -> &serde_json::Value {
        &self.bundle.value
    }

    /// The cargo features the spec names (`x-feature` on its tags), in
    /// order: the generated crate must declare each.
    pub fn features(&self) -> Vec<String> {
        operation::model::features(&self.api)
    }

    /// The operations table of crate `ipd-catalogue` (`table`), as Rust.
    pub fn operations_table(&self) -> String {
        table::render(&self.operations, &self.bundle.value, &self.display_name)
    }

    /// How each operation is called through the generated client: for
    /// end-to-end tests generated from the spec.
    pub fn operation_calls(&self) -> Vec<OperationCall> {
        self.operations.iter().map(summary::summarise).collect()
    }

    /// Every JSON example of a success response.
    pub fn examples(&self) -> Vec<Example> {
        examples_of(&self.api, &self.operations)
    }
}

/// Reads YAML (or JSON) text as the code generator reads a spec: YAML 1.1
/// booleans (`yes`, `on`) stay strings, duplicate keys are refused. For
/// tools that write YAML the generator must read back unchanged.
pub fn parse_yaml(text: &str) -> Result<serde_json::Value, SpecError> {
    load::parse(text)
}

/// The spec at `path` with its fragments, bundled into one document, as
/// the generator sees it before preparing it: for validators and tools.
pub fn bundle_file(path: &Path, display_name: &str) -> Result<serde_json::Value, Error> {
    let (root, fragments) = read_sources(path, display_name)?;
    Ok(bundle::bundle(&root, &fragments)?.value)
}

/// A response example the spec documents, with the Rust type it decodes
/// into: for decoding tests generated from the spec.
#[derive(Clone, Debug)]
pub struct Example {
    /// The operation.
    pub operation_id: String,
    /// The response's status, as the spec gives it.
    pub status: String,
    /// The model type, a name in the generated `types` module.
    pub type_name: String,
    /// The example, as JSON text.
    pub json: String,
}

pub use summary::{FormField, Input, InputKind, OperationCall, Success};

fn examples_of(api: &openapiv3::OpenAPI, operations: &[Operation]) -> Vec<Example> {
    let mut examples = Vec::new();
    for op in operations {
        let operation::model::ResponseKind::Json(type_name) = &op.success else {
            continue;
        };
        let Some(openapiv3::ReferenceOr::Item(item)) = api.paths.paths.get(&op.path) else {
            continue;
        };
        let Some((_, spec_op)) = item.iter().find(|(m, _)| *m == op.method) else {
            continue;
        };
        for (status, response) in &spec_op.responses.responses {
            let openapiv3::ReferenceOr::Item(response) = response else {
                continue;
            };
            for media in response.content.values() {
                if let Some(example) = &media.example {
                    examples.push(Example {
                        operation_id: op.id.clone(),
                        status: status.to_string(),
                        type_name: type_name.clone(),
                        json: example.to_string(),
                    });
                }
            }
        }
    }
    examples
}

fn read_sources(path: &Path, display_name: &str) -> Result<(Source, Vec<Source>), Error> {
    let read = |path: &Path, display: String| match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Source { display, text }),
            Err(e) => {
                // Where the first bad byte is, as YAML errors are located.
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = valid.iter().filter(|b| **b == b'\n').count() as u64 + 1;
                let column = valid.iter().rev().take_while(|b| **b != b'\n').count() as u64 + 1;
                Err(Error::Spec {
                    file: display,
                    error: SpecError::new(
                        Location::LineColumn { line, column },
                        "the file is not valid UTF-8".into(),
                    ),
                })
            }
        },
        Err(source) => Err(Error::Read {
            file: display,
            source,
        }),
    };
    let root = read(path, display_name.to_string())?;
    let dir = path.with_extension("");
    let mut fragments = Vec::new();
    if dir.is_dir() {
        let display_dir = display_name.strip_suffix(".yaml").unwrap_or(display_name);
        let listing = std::fs::read_dir(&dir).map_err(|source| Error::Read {
            file: display_dir.to_string(),
            source,
        })?;
        let mut names: Vec<String> = listing
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml"))
            .collect();
        names.sort();
        for name in names {
            fragments.push(read(&dir.join(&name), format!("{display_dir}/{name}"))?);
        }
    }
    Ok((root, fragments))
}

/// Generates the client for a spec given as text.
pub fn generate(text: &str, display_name: &str) -> Result<String, Error> {
    Ok(Spec::from_text(text, display_name)?.generate()?.code)
}

/// Bundles, validates and prepares a spec: the document with inline
/// schemas hoisted, and the model of every operation.
fn prepare(
    root: &Source,
    fragments: &[Source],
) -> Result<(openapiv3::OpenAPI, Vec<Operation>, bundle::Bundle), Error> {
    let bundle = bundle::bundle(root, fragments)?;
    // A problem found by a JSON pointer is in the file that defined it.
    let spec_error = |error: SpecError| Error::Spec {
        file: match &error.location {
            Location::Pointer(pointer) => bundle.file_of(pointer).to_string(),
            _ => root.display.clone(),
        },
        error,
    };
    let mut raw = bundle.value.clone();
    validate::check_raw(&raw).map_err(spec_error)?;
    load::expand_extensions(&mut raw);
    // Prose becomes rustdoc; the bundle the emulator and the CLI read keeps
    // it as written.
    load::escape_doc_text(&mut raw);
    let mut api = load::to_openapi(&raw).map_err(spec_error)?;
    validate::check_operations(&api).map_err(spec_error)?;
    validate::check_names(&api).map_err(spec_error)?;
    validate::check_schemas(&api).map_err(spec_error)?;
    hoist::hoist(&mut api).map_err(spec_error)?;
    let operations = operation::model::operations(&api).map_err(spec_error)?;
    Ok((api, operations, bundle))
}

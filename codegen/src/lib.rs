//! Turns an OpenAPI 3.0 spec of the IPD service into the Rust client of crate
//! `codearts-ipd`.
//!
//! progenitor (through typify) generates the models; our templates
//! (`operation`) generate the client and one builder per operation, JSON
//! and `multipart/form-data` alike, calling the runtime crate
//! `codearts-ipd-runtime`. The result is one Rust file, formatted by
//! prettyplease, that is byte-identical for the same input.

#![warn(missing_docs)]

use std::collections::BTreeSet;
use std::path::Path;

use progenitor_impl::{CrateVers, GenerationSettings, Generator};
use quote::quote;

use bundle::Source;
use operation::model::Operation;

mod bundle;
mod document;
mod error;
mod hoist;
mod load;
mod model;
mod naming;
mod operation;
mod summary;
mod table;
mod validate;

pub use error::{Error, Location, SpecError};
pub use load::{DIGIT_STRING_EXTENSION, ONE_OR_MANY_EXTENSION, SDK_READS_ONE_EXTENSION};

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
        generate_client(self)
    }

    /// The spec and its fragments bundled into one JSON document, as the
    /// author wrote them: what the operations table's pointers point into.
    pub fn bundle(&self) -> &serde_json::Value {
        &self.bundle.value
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
    let mut api = load::to_openapi(&raw).map_err(spec_error)?;
    validate::check_operations(&api).map_err(spec_error)?;
    validate::check_names(&api).map_err(spec_error)?;
    validate::check_schemas(&api).map_err(spec_error)?;
    hoist::hoist(&mut api).map_err(spec_error)?;
    let operations = operation::model::operations(&api).map_err(spec_error)?;
    Ok((api, operations, bundle))
}

/// Generates the client of a prepared spec.
fn generate_client(spec: &Spec) -> Result<Generated, Error> {
    let Spec {
        display_name,
        api,
        operations,
        bundle,
    } = spec;
    let mut api = api.clone();
    // A failure validation did not foresee, at the part of the spec that
    // causes it.
    let located = |pointer: String, message: String| Error::Spec {
        file: bundle.file_of(&pointer).to_string(),
        error: SpecError::at(pointer, message),
    };

    // progenitor sees the models only; the operations are ours.
    api.paths.paths.clear();
    let enum_specs = enum_specs(&api);
    let (progenitor, known) = match progenitor_file(api.clone()) {
        Ok(done) => done,
        Err(message) => {
            return Err(match blame_schema(&api) {
                Some((pointer, message)) => located(pointer, message),
                None => Error::Generator {
                    file: display_name.clone(),
                    message,
                },
            });
        }
    };
    for op in operations {
        if let Some(missing) = op.type_names().find(|n| !known.contains(*n)) {
            return Err(located(
                op.pointer(),
                format!(
                    "the type `{missing}` this operation uses was not generated from its schema"
                ),
            ));
        }
    }
    let mut types: Vec<syn::Item> = progenitor
        .items
        .into_iter()
        .filter(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"))
        .collect();
    // The models' builders, accessors and open enums, from what typify
    // generated (`model`).
    let mut models = None;
    for item in &mut types {
        if let syn::Item::Mod(module) = item
            && let Some((_, items)) = &mut module.content
        {
            let read = model::Models::read(items);
            if let Some((ty, ident, first, second)) = read.colliding_field() {
                // Located at the property, in the component typify named
                // this struct after (or the document, for an inline one).
                let pointer = api
                    .components
                    .iter()
                    .flat_map(|c| c.schemas.keys())
                    .find(|name| naming::type_name(name) == ty)
                    .map(|name| {
                        format!(
                            "/components/schemas/{}/properties/{}",
                            document::escape_token(name),
                            document::escape_token(&second)
                        )
                    })
                    .unwrap_or_default();
                return Err(located(
                    pointer,
                    format!(
                        "the properties `{first}` and `{second}` of {ty} are both `{ident}` in Rust, as typify names fields: rename one"
                    ),
                ));
            }
            *items = read.render(std::mem::take(items), &enum_specs);
            models = Some(read);
        }
    }
    let models = models.unwrap_or_else(|| model::Models::read(&[]));
    let client: syn::File = match syn::parse2(client(operations, &models)) {
        Ok(client) => client,
        Err(e) => {
            return Err(match blame_operation(operations, &models) {
                Some((pointer, message)) => located(pointer, message),
                None => Error::Generator {
                    file: display_name.clone(),
                    message: format!("the templates produced invalid Rust: {e}"),
                },
            });
        }
    };
    let file_ast = syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: types.into_iter().chain(client.items).collect(),
    };

    let code = format!(
        "// @generated by `cargo xtask codegen` from {display_name}.\n\
         // Do not edit by hand: change the spec and run `cargo xtask codegen`.\n\n{}",
        prettyplease::unparse(&file_ast)
    );
    Ok(Generated {
        code,
        string_enums: models.enums.keys().cloned().collect(),
    })
}

/// What the spec's component string enums say beyond their values:
/// `x-enum-varnames` and `x-enum-descriptions`, by the Rust type's name.
fn enum_specs(
    api: &openapiv3::OpenAPI,
) -> std::collections::BTreeMap<String, model::render::EnumSpec> {
    let mut specs = std::collections::BTreeMap::new();
    let Some(components) = &api.components else {
        return specs;
    };
    for (name, schema) in &components.schemas {
        let openapiv3::ReferenceOr::Item(schema) = schema else {
            continue;
        };
        let openapiv3::SchemaKind::Type(openapiv3::Type::String(s)) = &schema.schema_kind else {
            continue;
        };
        // Named variants: typify saw the names as values (`load`); the
        // values are kept aside.
        let strings = |key: &str| -> Vec<String> {
            match schema.schema_data.extensions.get(key) {
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let seen: Vec<String> = s.enumeration.iter().flatten().cloned().collect();
        let values = match strings(load::ENUM_VALUES) {
            kept if !kept.is_empty() => kept,
            _ => seen.clone(),
        };
        let by_value = |items: Vec<String>| values.iter().cloned().zip(items).collect();
        specs.insert(
            naming::type_name(name),
            model::render::EnumSpec {
                wires: seen.iter().cloned().zip(values.iter().cloned()).collect(),
                names: by_value(strings(VARIANT_NAMES)),
                descriptions: by_value(strings(VARIANT_DESCRIPTIONS)),
            },
        );
    }
    specs
}

/// The spec extension naming a string enum's variants, in value order.
pub const VARIANT_NAMES: &str = "x-enum-varnames";
/// The spec extension describing a string enum's values, in value order.
pub const VARIANT_DESCRIPTIONS: &str = "x-enum-descriptions";

/// The name of the thread progenitor runs on. A panic there is turned into
/// an [`Error::Generator`]; an application that wants the panic's default
/// message off stderr can filter this thread in its own panic hook (a
/// library never replaces the process's hook).
pub const GENERATOR_THREAD: &str = "ipd-codegen-progenitor";

/// Runs progenitor on its own thread, so that a panic on an input
/// validation did not foresee becomes an error, and returns its tokens and
/// the names of the types it generated.
fn run_progenitor(api: openapiv3::OpenAPI) -> Result<(String, BTreeSet<String>), String> {
    let worker = std::thread::Builder::new()
        .name(GENERATOR_THREAD.into())
        .spawn(move || {
            let mut settings = GenerationSettings::new();
            settings
                .with_crate(load::RUNTIME_CRATE, CrateVers::Any, None)
                .with_map_type("::std::collections::BTreeMap")
                .with_derive("PartialEq");
            let mut generator = Generator::new(&settings);
            let tokens = generator.generate_tokens(&api).map_err(|e| e.to_string())?;
            let known = generator
                .get_type_space()
                .iter_types()
                .map(|t| t.name())
                .collect();
            // Tokens are not `Send`; their text is.
            Ok((tokens.to_string(), known))
        })
        .map_err(|e| format!("cannot start the generator thread: {e}"))?;
    worker.join().unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(format!(
            "the spec uses something the generator cannot express: {message}"
        ))
    })
}

/// progenitor's models as Rust, and the names of the types it generated.
fn progenitor_file(api: openapiv3::OpenAPI) -> Result<(syn::File, BTreeSet<String>), String> {
    let (tokens, known) = run_progenitor(api)?;
    let file =
        syn::parse_str(&tokens).map_err(|e| format!("progenitor produced invalid Rust: {e}"))?;
    Ok((file, known))
}

/// The component schema progenitor fails on when given alone (with the
/// schemas it refers to), and its message: a failure validation did not
/// foresee still names a place in the spec. Runs only after a failure.
fn blame_schema(api: &openapiv3::OpenAPI) -> Option<(String, String)> {
    let schemas = &api.components.as_ref()?.schemas;
    for name in schemas.keys() {
        let mut wanted = vec![name.clone()];
        let mut closure = indexmap::IndexMap::new();
        while let Some(next) = wanted.pop() {
            let Some(schema) = schemas.get(&next) else {
                continue;
            };
            if closure.insert(next, schema.clone()).is_none() {
                let value = serde_json::to_value(schema).unwrap_or_default();
                document::schema_refs(&value, &mut wanted);
            }
        }
        let mut alone = api.clone();
        if let Some(components) = &mut alone.components {
            components.schemas = closure;
        }
        if let Err(message) = progenitor_file(alone) {
            return Some((
                format!("/components/schemas/{}", document::escape_token(name)),
                format!("the generator cannot express this schema: {message}"),
            ));
        }
    }
    None
}

/// The first operation whose code alone is not Rust, and why.
fn blame_operation(operations: &[Operation], models: &model::Models) -> Option<(String, String)> {
    operations.iter().find_map(|op| {
        syn::parse2::<syn::File>(client(std::slice::from_ref(op), models))
            .err()
            .map(|e| {
                (
                    op.pointer(),
                    format!("the templates cannot express this operation: {e}"),
                )
            })
    })
}

/// The client, its builders and forms: everything but the models.
fn client(operations: &[Operation], models: &model::Models) -> proc_macro2::TokenStream {
    let entries = operations.iter().map(|op| op.entry(models));
    let builders = operations.iter().map(|op| op.builder(models));
    let forms = operations.iter().filter_map(Operation::form);
    quote! {
        /// A client of the service: build one with [`Client::builder`], then
        /// call an operation through its method, set the parameters, and
        /// `send()` it. Cheap to clone; clones share connections.
        #[derive(Clone, Debug)]
        pub struct Client {
            transport: ::codearts_ipd_runtime::Transport,
        }

        impl ::codearts_ipd_runtime::FromTransport for Client {
            fn from_transport(transport: ::codearts_ipd_runtime::Transport) -> Self {
                Self { transport }
            }
        }

        impl Client {
            /// Starts configuring a client: an endpoint or region,
            /// credentials, retries, timeouts and limits.
            pub fn builder() -> ::codearts_ipd_runtime::ClientBuilder<Self> {
                ::codearts_ipd_runtime::ClientBuilder::new()
            }

            /// What calls go through: the endpoint, the HTTP client,
            /// authentication and the retry policy.
            pub fn transport(&self) -> &::codearts_ipd_runtime::Transport {
                &self.transport
            }

            /// The endpoint calls go to.
            pub fn base_url(&self) -> &str {
                self.transport.base_url()
            }

            #(#entries)*
        }

        /// One builder per operation, returned by the `Client` method of the
        /// same name.
        pub mod builder {
            #[allow(unused_imports)]
            use super::{forms, types};
            #(#builders)*
        }

        /// Bodies of the `multipart/form-data` operations.
        pub mod forms {
            #[allow(unused_imports)]
            use super::types;
            #(#forms)*
        }
    }
}

#[cfg(test)]
mod tests {
    //! The fallbacks that locate a failure validation did not foresee:
    //! proved on specs that skip validation.

    use super::*;

    fn unvalidated(yaml: &str) -> openapiv3::OpenAPI {
        let raw = load::parse(yaml).expect("YAML");
        load::to_openapi(&raw).expect("an OpenAPI document")
    }

    #[test]
    fn a_schema_progenitor_fails_on_is_blamed() {
        let api = unvalidated(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    \
             Fine: {type: object, properties: {a: {type: string}}}\n    \
             Colour: {type: string, enum: [red, 7]}\n",
        );
        assert!(progenitor_file(api.clone()).is_err());
        let (pointer, message) = blame_schema(&api).expect("blamed");
        assert_eq!(pointer, "/components/schemas/Colour");
        assert!(
            message.starts_with("the generator cannot express this schema: "),
            "{message}"
        );
    }

    #[test]
    fn an_operation_the_templates_fail_on_is_blamed() {
        let api = unvalidated(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      \
             operationId: GetA\n      responses: {'204': {description: ok}}\n  /b:\n    get:\n      \
             operationId: Self\n      responses: {'204': {description: ok}}\n",
        );
        let operations = operation::model::operations(&api).expect("operations");
        let models = model::Models::read(&[]);
        let (pointer, message) = blame_operation(&operations, &models).expect("blamed");
        assert_eq!(pointer, "/paths/~1b/get");
        assert!(message.contains("Self"), "{message}");
    }
}

//! progenitor (and typify) run on the models alone, on a thread of their
//! own so that a panic becomes an error; and, when they fail, the schema
//! that made them fail.

use std::collections::BTreeSet;

use progenitor_impl::{CrateVers, GenerationSettings, Generator};

use crate::{document, load};

/// The name of the thread progenitor runs on. A panic there is turned into
/// an [`Error::Generator`]; an application that wants the panic's default
/// message off stderr can filter this thread in its own panic hook (a
/// library never replaces the process's hook).
pub const GENERATOR_THREAD: &str = "ipd-codegen-progenitor";

/// Runs progenitor on its own thread, so that a panic on an input
/// validation did not foresee becomes an error, and returns its tokens and
/// the names of the types it generated.
pub(crate) fn run_progenitor(
    api: openapiv3::OpenAPI,
) -> Result<(String, BTreeSet<String>), String> {
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
pub(crate) fn progenitor_file(
    api: openapiv3::OpenAPI,
) -> Result<(syn::File, BTreeSet<String>), String> {
    let (tokens, known) = run_progenitor(api)?;
    let file =
        syn::parse_str(&tokens).map_err(|e| format!("progenitor produced invalid Rust: {e}"))?;
    Ok((file, known))
}

/// The component schema progenitor fails on when given alone (with the
/// schemas it refers to), and its message: a failure validation did not
/// foresee still names a place in the spec. Runs only after a failure.
pub(crate) fn blame_schema(api: &openapiv3::OpenAPI) -> Option<(String, String)> {
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

//! Turns an OpenAPI 3.0 spec of the IPD service into the Rust client of crate
//! `codearts-ipd`.
//!
//! progenitor generates the models and every operation it supports; the
//! `multipart` module's templates generate the `multipart/form-data` operations it
//! rejects. The result is one Rust file, formatted by prettyplease, that is
//! byte-identical for the same input.

#![warn(missing_docs)]

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use progenitor_impl::{
    CrateVers, GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle,
};
use quote::quote;

mod multipart;
mod spec;

pub use spec::DIGIT_STRING_EXTENSION;

/// Where in a spec a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The document as a whole.
    Document,
    /// A position in the YAML text, both 1-based.
    LineColumn {
        /// Line number.
        line: u64,
        /// Column number.
        column: u64,
    },
    /// A JSON pointer (RFC 6901) into the document.
    Pointer(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Document => f.write_str("document"),
            Location::LineColumn { line, column } => write!(f, "{line}:{column}"),
            Location::Pointer(p) if p.is_empty() => f.write_str("#"),
            Location::Pointer(p) => write!(f, "#{p}"),
        }
    }
}

/// What is wrong with a spec, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// Where the problem is.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

impl SpecError {
    fn new(location: Location, message: String) -> Self {
        Self { location, message }
    }

    fn at(pointer: String, message: String) -> Self {
        Self::new(Location::Pointer(pointer), message)
    }
}

/// A failure to generate code, naming the spec file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec file cannot be read.
    #[error("{file}: cannot read the spec: {source}")]
    Read {
        /// The spec, as named by the caller.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The spec is not valid, or uses something the toolchain cannot express.
    #[error("{file}:{}: {}", error.location, error.message)]
    Spec {
        /// The spec, as named by the caller.
        file: String,
        /// What is wrong, and where.
        error: SpecError,
    },
    /// progenitor or the templates failed on a spec that passed validation.
    #[error("{file}: code generation failed: {message}")]
    Generator {
        /// The spec, as named by the caller.
        file: String,
        /// progenitor's message.
        message: String,
    },
}

/// Generates the client for the spec at `path`. `display_name` names the
/// spec in errors and in the generated file's preamble, so the output does
/// not depend on where the checkout lives.
pub fn generate_file(path: &Path, display_name: &str) -> Result<String, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        file: display_name.to_string(),
        source,
    })?;
    generate(&text, display_name)
}

/// Generates the client for a spec given as text.
pub fn generate(text: &str, display_name: &str) -> Result<String, Error> {
    let file = display_name.to_string();
    let spec_error = |error| Error::Spec {
        file: file.clone(),
        error,
    };
    let spec::Spec { mut api } = spec::load(text).map_err(spec_error)?;
    let operations = multipart::take_operations(&mut api).map_err(spec_error)?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        // The hooks impl is ours (below), so it can sign and retry.
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(::codearts_ipd::transport::Runtime))
        .with_crate("codearts-ipd", CrateVers::Any, None)
        .with_map_type("::std::collections::BTreeMap")
        .with_derive("PartialEq");
    let mut generator = Generator::new(&settings);
    // progenitor panics on some inputs validation does not foresee; such a
    // panic becomes an error like any other.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(|| generator.generate_tokens(&api)));
    std::panic::set_hook(previous_hook);
    let generator_error = |message: String| Error::Generator {
        file: file.clone(),
        message,
    };
    let tokens = match result {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(generator_error(e.to_string())),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "progenitor panicked".into());
            return Err(generator_error(format!("progenitor panicked: {message}")));
        }
    };

    let known: std::collections::BTreeSet<String> = generator
        .get_type_space()
        .iter_types()
        .map(|t| t.name())
        .collect();
    for op in &operations {
        if let Some(missing) = op.type_names().find(|n| !known.contains(*n)) {
            return Err(generator_error(format!(
                "type `{missing}` used by a multipart operation was not generated"
            )));
        }
    }

    let mut file_ast: syn::File = syn::parse2(tokens)
        .map_err(|e| generator_error(format!("progenitor produced invalid Rust: {e}")))?;
    remove_default_constructor(&mut file_ast);

    let forms = operations.iter().map(multipart::Operation::form);
    let methods = operations.iter().map(multipart::Operation::method);
    let runtime = quote! {
        // Every request, JSON or multipart, goes through the runtime, which
        // signs it, retries it and bounds error bodies.
        impl ClientHooks<::codearts_ipd::transport::Runtime> for Client {
            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                ::codearts_ipd::transport::exec(self, request, info).await
            }
        }

        /// Bodies of the `multipart/form-data` operations.
        pub mod forms {
            #[allow(unused_imports)]
            use super::types;
            #(#forms)*
        }

        impl Client {
            #(#methods)*
        }
    };
    let extra: syn::File = syn::parse2(runtime)
        .map_err(|e| generator_error(format!("multipart templates produced invalid Rust: {e}")))?;
    file_ast.items.extend(extra.items);

    Ok(format!(
        "// @generated by `cargo xtask codegen` from {display_name}.\n\
         // Do not edit by hand: change the spec and run `cargo xtask codegen`.\n\n{}",
        prettyplease::unparse(&file_ast)
    ))
}

/// Drops progenitor's `Client::new`: it builds a `reqwest::Client` with a
/// 15-second total timeout, which would cut large uploads short. Clients are
/// built by the runtime's builder instead.
fn remove_default_constructor(file: &mut syn::File) {
    for item in &mut file.items {
        if let syn::Item::Impl(block) = item
            && block.trait_.is_none()
            && matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"))
        {
            block
                .items
                .retain(|item| !matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
        }
    }
    // With no JSON operations progenitor leaves an empty `impl Client {}`.
    file.items
        .retain(|item| !matches!(item, syn::Item::Impl(block) if block.items.is_empty()));
}

//! What can be wrong, and where.

use std::fmt;

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
    pub(crate) fn new(location: Location, message: String) -> Self {
        Self { location, message }
    }

    pub(crate) fn at(pointer: String, message: String) -> Self {
        Self::new(Location::Pointer(pointer), message)
    }
}

/// A failure to generate code, naming the spec file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec file cannot be read.
    #[error("{file}: cannot read the spec")]
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

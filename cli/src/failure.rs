//! Failures and their exit statuses (documented in `--help`): each error
//! of the library maps to one status, and its message names every cause
//! once, control characters escaped.

use codearts_req::{ApiError, BuildError, printable};

/// Exit statuses, documented in `--help`.
pub(crate) mod status {
    /// Anything else.
    pub const OTHER: u8 = 1;
    /// A command line that cannot be run as given.
    pub const USAGE: u8 = 2;
    /// The service answered with an error (4xx/5xx, a redirect, a body
    /// that does not match the spec).
    pub const SERVICE: u8 = 3;
    /// The service could not be reached in time, or the connection broke.
    pub const NETWORK: u8 = 4;
    /// A local file could not be read or written.
    pub const LOCAL_IO: u8 = 5;
    /// The service answered a batch with success, but reported some of
    /// its items failed (printed on stderr; the answer is on stdout).
    pub const PARTIAL: u8 = 6;
}

/// A failure, and the exit status it gets.
pub(crate) struct Failure {
    pub(crate) status: u8,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            status: status::USAGE,
            message: message.into(),
        }
    }

    pub(crate) fn local(message: impl Into<String>) -> Self {
        Self {
            status: status::LOCAL_IO,
            message: message.into(),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self {
            status: status::OTHER,
            message,
        }
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        let status = match &error {
            ApiError::MissingParameter { .. } | ApiError::InvalidParameter { .. } => status::USAGE,
            ApiError::File(_) | ApiError::Write(_) => status::LOCAL_IO,
            ApiError::Timeout(_)
            | ApiError::Connection(_)
            | ApiError::DeadlineExceeded(_)
            | ApiError::StalledStream { .. } => status::NETWORK,
            ApiError::ClientRequest(_)
            | ApiError::ServerResponse(_)
            | ApiError::UnexpectedStatus { .. }
            | ApiError::Redirect { .. }
            | ApiError::InvalidPayload { .. }
            | ApiError::BodyTooLarge { .. }
            | ApiError::Pagination(_) => status::SERVICE,
            _ => status::OTHER,
        };
        Self {
            status,
            message: chain(&error),
        }
    }
}

impl From<BuildError> for Failure {
    fn from(error: BuildError) -> Self {
        let status = match error {
            BuildError::InvalidEndpoint { .. } | BuildError::NoEndpoint => status::USAGE,
            _ => status::OTHER,
        };
        Self {
            status,
            message: chain(&error),
        }
    }
}

/// An error and its causes, each once, control characters escaped.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    printable(&text).into_owned()
}

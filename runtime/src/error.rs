//! One error type for every way a call can fail.
//!
//! Every generated `send()` returns [`ApiError`], which sorts failures into
//! what a caller acts on differently: the request was incomplete, the
//! service said no, the service said something unexpected, a file could not
//! be read or written, the network failed or timed out.
//!
//! Messages do not repeat their source: error-chain printers (such as
//! `anyhow`'s `{:#}`) show each cause once.

use std::fmt;
use std::path::PathBuf;

use reqwest::StatusCode;

use crate::auth::SignError;
use crate::multipart::FileError;

/// Response header carrying the gateway's request ID.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// How much of an unexpected body an error keeps.
const SNIPPET_CHARS: usize = 512;

/// A download could not be saved.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}", path.display())]
pub struct WriteError {
    /// The file being written.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: std::io::Error,
}

/// A failed call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A required parameter or body was not set; nothing was sent.
    #[error("{operation}: the required {parameter} was not set")]
    MissingParameter {
        /// The operation, by its spec name.
        operation: &'static str,
        /// The parameter (or `body`).
        parameter: &'static str,
    },
    /// A parameter's value cannot be sent as given; nothing was sent.
    #[error("{operation}: invalid {parameter}: {reason}")]
    InvalidParameter {
        /// The operation, by its spec name.
        operation: &'static str,
        /// The parameter.
        parameter: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// The service answered with an error status and an error body.
    #[error("the service answered {status}: {}{}", describe_code(.error_code, .error_msg), RequestId(.request_id))]
    Service {
        /// HTTP status.
        status: StatusCode,
        /// `error_code`, such as `PM.02175145`.
        error_code: Option<String>,
        /// `error_msg`, such as `The work item has been deleted.`
        error_msg: Option<String>,
        /// The `X-Request-Id` response header, for Huawei support.
        request_id: Option<String>,
    },
    /// The service answered with a status the spec does not describe.
    #[error("the service answered {status}, which this operation does not document{}: {snippet}", RequestId(.request_id))]
    UnexpectedStatus {
        /// HTTP status.
        status: StatusCode,
        /// The `X-Request-Id` response header.
        request_id: Option<String>,
        /// The start of the body, as text.
        snippet: String,
    },
    /// A response body did not match the spec.
    #[error("the service's response does not match the spec{}; it starts with: {snippet}", RequestId(.request_id))]
    InvalidPayload {
        /// The start of the body, as text.
        snippet: String,
        /// The `X-Request-Id` response header.
        request_id: Option<String>,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// A response body was larger than the client's limit
    /// ([`ClientBuilder::max_response_body`](crate::ClientBuilder::max_response_body));
    /// the rest was not read.
    #[error("the service's response is larger than the limit of {limit} bytes{}", RequestId(.request_id))]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
        /// The `X-Request-Id` response header.
        request_id: Option<String>,
    },
    /// The service answered with a redirect, which is never followed.
    #[error("the service redirected the call ({status}) to {}; redirects are not followed, so credentials never leave the endpoint{}", .location.as_deref().unwrap_or("nowhere given"), RequestId(.request_id))]
    Redirect {
        /// HTTP status (3xx).
        status: StatusCode,
        /// The `Location` header, escaped for display.
        location: Option<String>,
        /// The `X-Request-Id` response header.
        request_id: Option<String>,
    },
    /// The call's deadline ([`ClientBuilder::deadline`](crate::ClientBuilder::deadline)) passed.
    #[error("the call did not finish within its deadline of {0:?}")]
    DeadlineExceeded(std::time::Duration),
    /// A file to upload could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// A download could not be written to its file.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The request could not be authenticated, so it was not sent.
    #[error(transparent)]
    Authentication(#[from] SignError),
    /// The connect or read timeout passed.
    #[error("the request timed out")]
    Timeout(#[source] reqwest::Error),
    /// No connection could be made, or it broke mid-request or mid-response.
    #[error("cannot reach the service, or the connection broke")]
    Connection(#[source] reqwest::Error),
    /// The request could not be built or sent as given.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Any other transport failure.
    #[error("request failed")]
    Transport(#[source] reqwest::Error),
}

struct RequestId<'a>(&'a Option<String>);

impl fmt::Display for RequestId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (request id {})", printable(id)),
            None => Ok(()),
        }
    }
}

fn describe_code(code: &Option<String>, msg: &Option<String>) -> String {
    let (code, msg) = (
        code.as_deref().map(printable),
        msg.as_deref().map(printable),
    );
    match (code, msg) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.into_owned(),
        (None, Some(m)) => m.into_owned(),
        (None, None) => "no error code given".into(),
    }
}

/// Text from the service with its control characters (ANSI escapes,
/// CR/LF, ...) escaped, so printing it can neither forge lines nor drive a
/// terminal. Every message of [`ApiError`] shows service text through it.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

impl ApiError {
    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ApiError::Service { status, .. }
            | ApiError::UnexpectedStatus { status, .. }
            | ApiError::Redirect { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service's `error_code`.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            ApiError::Service { error_code, .. } => error_code.as_deref(),
            _ => None,
        }
    }

    /// The service's `error_msg`.
    pub fn error_msg(&self) -> Option<&str> {
        match self {
            ApiError::Service { error_msg, .. } => error_msg.as_deref(),
            _ => None,
        }
    }

    /// The `X-Request-Id` of the failed response.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Service { request_id, .. }
            | ApiError::UnexpectedStatus { request_id, .. }
            | ApiError::InvalidPayload { request_id, .. }
            | ApiError::BodyTooLarge { request_id, .. }
            | ApiError::Redirect { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Sorts a transport error by its cause.
    pub fn from_reqwest(error: reqwest::Error) -> Self {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(e) = cause {
            if let Some(file) = e.downcast_ref::<FileError>() {
                return ApiError::File(FileError {
                    path: file.path.clone(),
                    source: std::io::Error::new(file.source.kind(), file.source.to_string()),
                });
            }
            cause = e.source();
        }
        if error.is_timeout() {
            ApiError::Timeout(error)
        } else if error.is_connect() || error.is_request() || error.is_body() || error.is_decode() {
            ApiError::Connection(error)
        } else {
            ApiError::Transport(error)
        }
    }

    /// The error for a response with an error status, from the bounded start
    /// of its body. `documented` says whether the spec lists the status.
    pub(crate) fn from_status(
        status: StatusCode,
        request_id: Option<String>,
        body: &[u8],
        documented: bool,
    ) -> Self {
        // Gateways answer undocumented statuses (401, 403, 429...) with the
        // same JSON error shape: keep its code and message.
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
            let (error_code, error_msg) = code_and_message(&json);
            if documented || error_code.is_some() || error_msg.is_some() {
                return ApiError::Service {
                    status,
                    error_code,
                    error_msg,
                    request_id,
                };
            }
        }
        if documented && body.is_empty() {
            return ApiError::Service {
                status,
                error_code: None,
                error_msg: None,
                request_id,
            };
        }
        ApiError::UnexpectedStatus {
            status,
            request_id,
            snippet: snippet(body),
        }
    }
}

/// The start of a body, as text, for error messages.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = printable(&text).chars().take(SNIPPET_CHARS).collect();
    if text.chars().count() > SNIPPET_CHARS {
        out.push('…');
    }
    out
}

/// Reads `error_code`/`error_msg`, falling back to the spellings the official
/// SDK also accepts (`errorCode`/`errorMsg`, `code`/`message`).
fn code_and_message(body: &serde_json::Value) -> (Option<String>, Option<String>) {
    let pick = |keys: &[&str]| {
        keys.iter().find_map(|k| match body.get(*k) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    };
    (
        pick(&["error_code", "errorCode", "code"]),
        pick(&["error_msg", "errorMsg", "message"]),
    )
}

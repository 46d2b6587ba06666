//! One error type for every way a call can fail.
//!
//! Generated methods return progenitor's `Error<E>`, typed by the spec. That
//! converts into [`ApiError`] (so `?` works in a function returning
//! `ApiError`), which sorts failures into what a caller acts on differently:
//! the service said no, the service said something unexpected, the file
//! could not be read, the network failed or timed out.

use std::fmt;
use std::path::PathBuf;

use bytes::Bytes;
use reqwest::StatusCode;
use serde::Serialize;

use crate::multipart::FileError;

/// Response header carrying the gateway's request ID.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// How much of an unexpected body an error keeps.
const SNIPPET_CHARS: usize = 512;

/// A download could not be saved.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
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
    #[error("the service's response does not match the spec ({source}); it starts with: {snippet}")]
    InvalidPayload {
        /// The start of the body, as text.
        snippet: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// A file to upload could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// A download could not be written to its file.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The connect or read timeout passed.
    #[error("the request timed out: {0}")]
    Timeout(#[source] reqwest::Error),
    /// No connection could be made, or it broke mid-request or mid-response.
    #[error("cannot reach the service, or the connection broke: {0}")]
    Connection(#[source] reqwest::Error),
    /// The request could not be built.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Any other transport failure.
    #[error("request failed: {0}")]
    Transport(#[source] reqwest::Error),
}

struct RequestId<'a>(&'a Option<String>);

impl fmt::Display for RequestId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (request id {id})"),
            None => Ok(()),
        }
    }
}

fn describe_code(code: &Option<String>, msg: &Option<String>) -> String {
    match (code, msg) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) => "no error code given".into(),
    }
}

impl ApiError {
    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ApiError::Service { status, .. } | ApiError::UnexpectedStatus { status, .. } => {
                Some(*status)
            }
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
            | ApiError::UnexpectedStatus { request_id, .. } => request_id.as_deref(),
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
}

/// The bounded start of an error response's body, kept by the transport so
/// errors can quote it without reading the body again.
#[derive(Clone, Debug)]
pub(crate) struct ErrorBody(pub Bytes);

fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text.chars().take(SNIPPET_CHARS).collect();
    if text.chars().count() > SNIPPET_CHARS {
        out.push('…');
    }
    out
}

fn request_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
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

impl<E: Serialize> From<progenitor_client::Error<E>> for ApiError {
    fn from(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match error {
            P::InvalidRequest(message) | P::Custom(message) => ApiError::InvalidRequest(message),
            P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
                ApiError::from_reqwest(e)
            }
            P::ErrorResponse(response) => {
                let status = response.status();
                let request_id = request_id(response.headers());
                let body = serde_json::to_value(response.into_inner()).unwrap_or_default();
                let (error_code, error_msg) = code_and_message(&body);
                ApiError::Service {
                    status,
                    error_code,
                    error_msg,
                    request_id,
                }
            }
            P::InvalidResponsePayload(bytes, source) => ApiError::InvalidPayload {
                snippet: snippet(&bytes),
                source,
            },
            P::UnexpectedResponse(response) => {
                let status = response.status();
                let request_id = request_id(response.headers());
                let body = response
                    .extensions()
                    .get::<ErrorBody>()
                    .map(|b| b.0.clone());
                let body = body.unwrap_or_default();
                // Gateways answer undocumented statuses (401, 403, 429...)
                // with the same JSON error shape: keep its code and message.
                if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body)
                    && let (error_code, error_msg) = code_and_message(&json)
                    && (error_code.is_some() || error_msg.is_some())
                {
                    return ApiError::Service {
                        status,
                        error_code,
                        error_msg,
                        request_id,
                    };
                }
                ApiError::UnexpectedStatus {
                    status,
                    request_id,
                    snippet: snippet(&body),
                }
            }
        }
    }
}

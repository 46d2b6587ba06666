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
use std::time::Duration;

pub use http::StatusCode;

use crate::auth::SignError;
use crate::credentials::CredentialsError;
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

/// What the service said when it refused a call: its HTTP status, its
/// `error_code` and `error_msg`, the gateway's request id, and how long it
/// asked to be left alone (`Retry-After`), if it did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// HTTP status.
    pub status: StatusCode,
    /// `error_code`, such as `PM.02175145`.
    pub error_code: Option<String>,
    /// `error_msg`, such as `The work item has been deleted.`
    pub error_msg: Option<String>,
    /// The `X-Request-Id` response header, for Huawei support.
    pub request_id: Option<String>,
    /// The `Retry-After` the service sent (429, 503), as a wait.
    pub retry_after: Option<Duration>,
}

impl ServiceError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The service's `error_code`, such as `PM.02175145`.
    pub fn error_code(&self) -> Option<&str> {
        self.error_code.as_deref()
    }

    /// The service's `error_msg`.
    pub fn error_msg(&self) -> Option<&str> {
        self.error_msg.as_deref()
    }

    /// The `X-Request-Id` of the answer, for Huawei support.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// How long the service asked callers to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the service answered {}: {}{}",
            self.status,
            describe_code(&self.error_code, &self.error_msg),
            RequestId(&self.request_id)
        )?;
        if let Some(wait) = self.retry_after {
            write!(f, "; it asks to retry after {}", Seconds(wait))?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

/// A failure of the HTTP transport: the connection, a timeout, TLS. It
/// says where (the host and port, never the path or query) and why (the
/// underlying cause, as "Connection refused" or a DNS error); its source is
/// the HTTP client's own error, without the URL, for logs. The type does
/// not expose that client, so upgrading it is not a breaking change.
#[derive(Debug)]
pub struct TransportError {
    error: reqwest::Error,
    /// `host:port` of the request.
    at: Option<String>,
}

impl TransportError {
    fn new(error: reqwest::Error) -> Self {
        let at = error.url().and_then(|url| {
            Some(format!(
                "{}:{}",
                url.host_str()?,
                url.port_or_known_default()?
            ))
        });
        TransportError {
            error: error.without_url(),
            at,
        }
    }

    /// Whether the connection could not be made (so nothing was sent).
    pub fn is_connect(&self) -> bool {
        self.error.is_connect()
    }

    /// Whether a connect or read timeout passed.
    pub fn is_timeout(&self) -> bool {
        self.error.is_timeout()
    }

    /// The host and port the request went to, as `host:port`.
    pub fn address(&self) -> Option<&str> {
        self.at.as_deref()
    }

    /// The underlying causes, outermost first, as text: what the HTTP
    /// client's own error wraps (a connect error, then the system's
    /// "Connection refused"; a DNS error), escaped.
    pub fn cause(&self) -> String {
        let mut causes: Vec<String> = Vec::new();
        let mut next = std::error::Error::source(&self.error);
        while let Some(e) = next {
            let text = e.to_string();
            if causes.last() != Some(&text) {
                causes.push(text);
            }
            next = e.source();
        }
        if causes.is_empty() {
            causes.push(self.error.to_string());
        }
        printable(&causes.join(": ")).into_owned()
    }

    /// ` at host:port`, or nothing.
    fn at(&self) -> String {
        self.at
            .as_deref()
            .map_or_else(String::new, |at| format!(" at {at}"))
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.error.is_timeout() {
            "timed out"
        } else if self.error.is_connect() {
            "cannot connect"
        } else {
            "the HTTP exchange failed"
        };
        write!(f, "{what}{}: {}", self.at(), self.cause())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Which way a stalled transfer was going.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// A request body (an upload) the service stopped reading.
    Upload,
    /// A response body (JSON, an error, a download) that stopped arriving.
    Download,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Upload => "the upload",
            Direction::Download => "the response body",
        })
    }
}

/// A failed call.
///
/// | variant | what happened | sent? | [`is_retryable`](Self::is_retryable) |
/// | --- | --- | --- | --- |
/// | `MissingParameter`, `InvalidParameter`, `InvalidRequest` | the call was incomplete or wrong | no | no |
/// | `ClientRequest` | the service refused the call (4xx) | yes | 429 only |
/// | `ServerResponse` | the service failed (5xx) | yes | 502, 503, 504 |
/// | `UnexpectedStatus` | an undocumented status without the error shape | yes | by status, as above |
/// | `Redirect` | a 3xx, never followed | yes | no |
/// | `InvalidPayload`, `BodyTooLarge` | the answer did not match the spec, or was too large | yes | no |
/// | `DeadlineExceeded` | the call's deadline passed | maybe | no |
/// | `StalledStream` | a body moved slower than the floor for the grace period | maybe | yes |
/// | `Timeout` | a connect or read timeout passed | maybe | yes |
/// | `Connection` | no connection, or it broke | maybe | yes |
/// | `Credentials`, `Authentication` | no usable credentials; nothing signed | no | no |
/// | `File`, `Write` | a local file could not be read or written | — | no |
/// | `Transport` | any other HTTP failure | maybe | no |
/// | `Pagination` | a paginator could not finish a listing | yes | no |
///
/// `is_retryable` says whether trying again might succeed; the client does
/// so itself only where it is safe (see [`retry`](crate::retry)). The
/// accessors ([`status`](Self::status), [`error_code`](Self::error_code),
/// [`error_msg`](Self::error_msg), [`request_id`](Self::request_id),
/// [`retry_after`](Self::retry_after)) answer for every variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A required parameter or body field was not set; nothing was sent.
    #[error("{operation}: the required {parameter} was not set")]
    MissingParameter {
        /// The operation, by its spec name.
        operation: &'static str,
        /// The parameter (or body field, or `body`).
        parameter: &'static str,
    },
    /// A parameter's value cannot be sent as given; nothing was sent.
    #[error("{operation}: invalid {parameter}: {reason}")]
    InvalidParameter {
        /// The operation, by its spec name.
        operation: &'static str,
        /// The parameter (or body field).
        parameter: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// The service refused the call: a 4xx status with the service's error
    /// shape (Huawei's SDKs raise `ClientRequestException`).
    #[error(transparent)]
    ClientRequest(ServiceError),
    /// The service failed to answer the call: a 5xx status with the
    /// service's error shape (Huawei's SDKs raise `ServerResponseException`).
    #[error(transparent)]
    ServerResponse(ServiceError),
    /// The service answered with a status the spec does not describe, and
    /// no error body.
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
    DeadlineExceeded(Duration),
    /// A body moved slower than the stalled-stream protection's floor for
    /// longer than its grace period
    /// ([`StalledStreamProtection`](crate::StalledStreamProtection)).
    #[error("{direction} stalled: less than {min_throughput} B/s over {}, after {bytes} bytes", Seconds(*.grace))]
    StalledStream {
        /// Which body.
        direction: Direction,
        /// The floor, in bytes per second.
        min_throughput: u64,
        /// How long the throughput stayed below it.
        grace: Duration,
        /// How many bytes had moved.
        bytes: u64,
    },
    /// A file to upload could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// A download could not be written to its file.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The request could not be authenticated, so it was not sent.
    #[error(transparent)]
    Authentication(#[from] SignError),
    /// No credentials could be had for the call (a provider failed), so
    /// nothing was sent.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The connect or read timeout passed. Its message names the host and
    /// port and the cause (so it has no `source()`: printing the chain
    /// would say it twice).
    #[error("the request to the service{} timed out: {}", .0.at(), .0.cause())]
    Timeout(TransportError),
    /// No connection could be made, or it broke mid-request or mid-response.
    /// Its message names the host and port and the cause, as "Connection
    /// refused" or a DNS error.
    #[error("cannot reach the service{}, or the connection broke: {}", .0.at(), .0.cause())]
    Connection(TransportError),
    /// The request could not be built or sent as given.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Any other transport failure, with the host and port and the cause.
    #[error("the request to the service{} failed: {}", .0.at(), .0.cause())]
    Transport(TransportError),
    /// A paginator ended a listing it could not finish (a page that
    /// repeats, no end within the page limit).
    #[error(transparent)]
    Pagination(#[from] crate::paginate::PaginationError),
}

/// A duration as the messages show it: whole seconds where it is whole.
struct Seconds(Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.subsec_millis() == 0 {
            write!(f, "{} s", self.0.as_secs())
        } else {
            write!(f, "{:?}", self.0)
        }
    }
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
    /// What the service said, when it refused or failed the call.
    pub fn as_service_error(&self) -> Option<&ServiceError> {
        match self {
            ApiError::ClientRequest(e) | ApiError::ServerResponse(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ApiError::ClientRequest(e) | ApiError::ServerResponse(e) => Some(e.status),
            ApiError::UnexpectedStatus { status, .. } | ApiError::Redirect { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The service's `error_code`.
    pub fn error_code(&self) -> Option<&str> {
        self.as_service_error().and_then(ServiceError::error_code)
    }

    /// The service's `error_msg`.
    pub fn error_msg(&self) -> Option<&str> {
        self.as_service_error().and_then(ServiceError::error_msg)
    }

    /// The `X-Request-Id` of the failed response.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::ClientRequest(e) | ApiError::ServerResponse(e) => e.request_id(),
            ApiError::UnexpectedStatus { request_id, .. }
            | ApiError::InvalidPayload { request_id, .. }
            | ApiError::BodyTooLarge { request_id, .. }
            | ApiError::Redirect { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// How long the service asked callers to wait (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.as_service_error().and_then(ServiceError::retry_after)
    }

    /// Whether the service refused the call (4xx): fix the call first.
    pub fn is_client_error(&self) -> bool {
        self.status().is_some_and(|s| s.is_client_error())
    }

    /// Whether the service failed (5xx).
    pub fn is_server_error(&self) -> bool {
        self.status().is_some_and(|s| s.is_server_error())
    }

    /// Whether the same call might succeed if tried again: throttling (429),
    /// a service or gateway that is unavailable (502, 503, 504), a broken or
    /// timed-out connection, a stalled stream. The client retries by
    /// itself only where that is safe for the operation (see
    /// [`retry`](crate::retry)); this says what a caller may consider.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::ClientRequest(_)
            | ApiError::ServerResponse(_)
            | ApiError::UnexpectedStatus { .. } => self
                .status()
                .is_some_and(|s| matches!(s.as_u16(), 429 | 502 | 503 | 504)),
            ApiError::Timeout(_) | ApiError::Connection(_) | ApiError::StalledStream { .. } => true,
            ApiError::MissingParameter { .. }
            | ApiError::InvalidParameter { .. }
            | ApiError::InvalidPayload { .. }
            | ApiError::BodyTooLarge { .. }
            | ApiError::Redirect { .. }
            | ApiError::DeadlineExceeded(_)
            | ApiError::File(_)
            | ApiError::Write(_)
            | ApiError::Authentication(_)
            | ApiError::Credentials(_)
            | ApiError::InvalidRequest(_)
            | ApiError::Transport(_)
            | ApiError::Pagination(_) => false,
        }
    }

    /// Sorts a transport error by its cause.
    pub(crate) fn from_reqwest(error: reqwest::Error) -> Self {
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
            ApiError::Timeout(TransportError::new(error))
        } else if error.is_connect() || error.is_request() || error.is_body() || error.is_decode() {
            ApiError::Connection(TransportError::new(error))
        } else {
            ApiError::Transport(TransportError::new(error))
        }
    }

    /// The error for a response with an error status, from the bounded start
    /// of its body. `documented` says whether the spec lists the status.
    pub(crate) fn from_status(
        status: StatusCode,
        request_id: Option<String>,
        retry_after: Option<Duration>,
        body: &[u8],
        documented: bool,
    ) -> Self {
        let service = |error_code, error_msg| {
            let error = ServiceError {
                status,
                error_code,
                error_msg,
                request_id: request_id.clone(),
                retry_after,
            };
            if status.is_server_error() {
                ApiError::ServerResponse(error)
            } else {
                ApiError::ClientRequest(error)
            }
        };
        // Gateways answer undocumented statuses (401, 403, 429...) with the
        // same JSON error shape: keep its code and message.
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
            let (error_code, error_msg) = code_and_message(&json);
            if documented || error_code.is_some() || error_msg.is_some() {
                return service(error_code, error_msg);
            }
        }
        if (documented && body.is_empty()) || retry_after.is_some() {
            return service(None, None);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: u16) -> ServiceError {
        ServiceError {
            status: StatusCode::from_u16(status).unwrap(),
            error_code: Some("PM.1".into()),
            error_msg: Some("m".into()),
            request_id: Some("r".into()),
            retry_after: None,
        }
    }

    /// A real transport error of each kind the client sorts.
    async fn transport_errors() -> (reqwest::Error, reqwest::Error) {
        crate::install_default_tls_provider();
        let refused = reqwest::Client::new()
            .get("http://127.0.0.1:9/")
            .send()
            .await
            .unwrap_err();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _silent = tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            std::future::pending::<()>().await
        });
        let timed_out = reqwest::Client::new()
            .get(format!("http://{addr}/"))
            .timeout(std::time::Duration::from_millis(50))
            .send()
            .await
            .unwrap_err();
        (refused, timed_out)
    }

    #[tokio::test]
    async fn every_variant_says_whether_it_is_retryable_and_answers_the_accessors() {
        let (refused, timed_out) = transport_errors().await;
        let connection = ApiError::from_reqwest(refused);
        assert!(matches!(&connection, ApiError::Connection(e) if e.is_connect()));
        // Where and why, and no path or query.
        let message = connection.to_string();
        assert!(message.contains("at 127.0.0.1:9"), "{message}");
        assert!(message.contains("Connection refused"), "{message}");
        assert!(!message.contains("http://"), "{message}");
        let timeout = ApiError::from_reqwest(timed_out);
        assert!(matches!(timeout, ApiError::Timeout(_)));
        let json_error = serde_json::from_str::<u8>("x").unwrap_err();
        let cases: Vec<(ApiError, bool)> = vec![
            (
                ApiError::MissingParameter {
                    operation: "Op",
                    parameter: "p",
                },
                false,
            ),
            (
                ApiError::InvalidParameter {
                    operation: "Op",
                    parameter: "p",
                    reason: "r".into(),
                },
                false,
            ),
            (ApiError::ClientRequest(service(400)), false),
            (ApiError::ClientRequest(service(404)), false),
            (ApiError::ClientRequest(service(429)), true),
            (ApiError::ServerResponse(service(500)), false),
            (ApiError::ServerResponse(service(502)), true),
            (ApiError::ServerResponse(service(503)), true),
            (ApiError::ServerResponse(service(504)), true),
            (
                ApiError::UnexpectedStatus {
                    status: StatusCode::BAD_GATEWAY,
                    request_id: None,
                    snippet: String::new(),
                },
                true,
            ),
            (
                ApiError::UnexpectedStatus {
                    status: StatusCode::IM_A_TEAPOT,
                    request_id: None,
                    snippet: String::new(),
                },
                false,
            ),
            (
                ApiError::InvalidPayload {
                    snippet: String::new(),
                    request_id: None,
                    source: json_error,
                },
                false,
            ),
            (
                ApiError::BodyTooLarge {
                    limit: 1,
                    request_id: None,
                },
                false,
            ),
            (
                ApiError::Redirect {
                    status: StatusCode::FOUND,
                    location: None,
                    request_id: None,
                },
                false,
            ),
            (ApiError::DeadlineExceeded(Duration::from_secs(1)), false),
            (
                ApiError::StalledStream {
                    direction: Direction::Download,
                    min_throughput: 1,
                    grace: Duration::from_secs(20),
                    bytes: 3,
                },
                true,
            ),
            (
                ApiError::File(FileError {
                    path: "f".into(),
                    source: std::io::Error::other("x"),
                }),
                false,
            ),
            (
                ApiError::Write(WriteError {
                    path: "f".into(),
                    source: std::io::Error::other("x"),
                }),
                false,
            ),
            (ApiError::Authentication(SignError("token")), false),
            (
                ApiError::Credentials(CredentialsError::NotFound {
                    tried: "env".into(),
                }),
                false,
            ),
            (connection, true),
            (timeout, true),
            (ApiError::InvalidRequest("x".into()), false),
            (
                crate::paginate::PaginationError::RepeatedPage { page: 2 }.into(),
                false,
            ),
        ];
        for (error, retryable) in &cases {
            assert_eq!(error.is_retryable(), *retryable, "{error:?}");
            // Every accessor answers for every variant.
            let _ = (
                error.status(),
                error.error_code(),
                error.error_msg(),
                error.request_id(),
                error.retry_after(),
            );
            assert_eq!(
                error.is_client_error(),
                error.status().is_some_and(|s| s.is_client_error())
            );
            assert_eq!(
                error.is_server_error(),
                error.status().is_some_and(|s| s.is_server_error())
            );
        }
        let client = &cases[2].0;
        assert_eq!(
            (client.error_code(), client.error_msg(), client.request_id()),
            (Some("PM.1"), Some("m"), Some("r"))
        );
        assert!(client.is_client_error() && client.as_service_error().is_some());
        assert!(cases[6].0.is_server_error());
    }

    #[test]
    fn statuses_become_client_or_server_errors_with_their_wait() {
        let wait = Some(Duration::from_secs(8));
        let error = ApiError::from_status(StatusCode::TOO_MANY_REQUESTS, None, wait, b"", false);
        assert!(
            matches!(&error, ApiError::ClientRequest(e) if e.retry_after == wait),
            "{error:?}"
        );
        let error = ApiError::from_status(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            None,
            br#"{"error_code":"X"}"#,
            false,
        );
        assert!(
            matches!(&error, ApiError::ServerResponse(e) if e.error_code() == Some("X")),
            "{error:?}"
        );
    }
}

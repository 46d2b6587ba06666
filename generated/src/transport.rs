//! The transport every generated operation goes through: client
//! configuration, authentication, retries and bounded error bodies.
//!
//! progenitor's generated operations call [`exec`] through the client's
//! `ClientHooks` impl; the generated multipart operations call [`execute`]
//! with a closure that rebuilds the request, so each retry re-sends the
//! whole file from its source.
//!
//! # Retries
//!
//! A request is retried, up to [`RetryPolicy`]'s attempts with exponential
//! backoff and full jitter (or the server's `Retry-After`, when shorter than
//! the cap), when
//! - the connection could not be made or broke before a response arrived, or
//! - the service answered 429, 502, 503 or 504.
//!
//! A request whose body cannot be rebuilt (a [`FilePart::from_reader`]
//! upload) is never retried.
//!
//! **Retrying a POST is not always safe.** A connection that broke after the
//! service stored an upload, or a 502/504 from the gateway after the backend
//! finished, makes a retried upload store the attachment twice. 429 and 503
//! mean the request was not processed, and a failed connect never reached
//! the service; those retries are safe. If a duplicate attachment is worse
//! than a failed call, use [`RetryPolicy::none`] or list the work item's
//! attachments before uploading again.
//!
//! [`FilePart::from_reader`]: crate::FilePart::from_reader

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::BytesMut;
use http::HeaderValue;
use progenitor_client::{ClientInfo, OperationInfo};
use reqwest::{Request, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};

use crate::credentials::{Credentials, CredentialsError};
use crate::error::ErrorBody;
use crate::region::Region;
use crate::signer::{self, Payload, Scheme, SignableRequest};

/// How much of an error response's body is read.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// The `User-Agent` of requests: this crate and its version.
pub const USER_AGENT: &str = concat!("codearts-ipd/", env!("CARGO_PKG_VERSION"));

/// Header of IAM token authentication.
pub const AUTH_TOKEN: &str = "x-auth-token";

/// What a generated client carries besides its base URL and HTTP client.
#[derive(Clone, Debug)]
pub struct Runtime {
    auth: Auth,
    retry: RetryPolicy,
}

#[derive(Clone)]
enum Auth {
    Signature(Credentials),
    Token {
        token: SecretString,
        project_id: Option<String>,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Signature(credentials) => f.debug_tuple("Signature").field(credentials).finish(),
            Auth::Token { project_id, .. } => f
                .debug_struct("Token")
                .field("token", &"** redacted **")
                .field("project_id", project_id)
                .finish(),
        }
    }
}

/// When and how often requests are retried; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, backing off from 200 ms up to 5 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sends each request at most `max_attempts` times (at least once).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Backs off from `initial`, doubling, up to `max` between attempts.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// The most times a request is sent.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether an answer with this status is worth another attempt.
    pub fn retries_status(&self, status: StatusCode) -> bool {
        matches!(status.as_u16(), 429 | 502 | 503 | 504)
    }

    /// Whether a transport error is worth another attempt: connection
    /// failures, not timeouts (a timed-out request may still be processed,
    /// and waiting again doubles the wait).
    pub fn retries_error(&self, error: &reqwest::Error) -> bool {
        !error.is_timeout() && (error.is_connect() || error.is_request() || error.is_body())
    }

    /// The pause before attempt `attempt + 1`: full jitter over an
    /// exponential backoff, or the server's `Retry-After` if within the cap.
    fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after.filter(|d| *d <= self.max_backoff) {
            return after;
        }
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.max_backoff);
        exp.mul_f64(fastrand::f64())
    }
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Neither a region nor an endpoint was given.
    #[error("no endpoint: call .region(...) or .endpoint(...)")]
    NoEndpoint,
    /// The endpoint is not an http(s) URL.
    #[error("invalid endpoint `{url}`: {reason}")]
    InvalidEndpoint {
        /// The endpoint given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A token would be sent in clear text.
    #[error(
        "refusing to send an IAM token over plain http to `{url}`; use https, or call \
         .allow_token_over_http() for a local test server"
    )]
    InsecureToken {
        /// The endpoint given.
        url: String,
    },
    /// Credentials could not be loaded.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// A credential holds characters an HTTP header cannot carry.
    #[error("the {0} contains characters that cannot be sent in an HTTP header")]
    InvalidCredential(&'static str),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// Builds a [`Client`](crate::Client).
///
/// ```no_run
/// use codearts_ipd::{Client, Credentials, Region};
/// let client = Client::builder()
///     .region(Region::CnNorth4)
///     .credentials(Credentials::new("AK", "SK").with_project_id("iam-project-id"))
///     .build()?;
/// # Ok::<(), codearts_ipd::BuildError>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    region: Option<Region>,
    endpoint: Option<String>,
    credentials: Option<Credentials>,
    token: Option<(SecretString, Option<String>)>,
    allow_token_over_http: bool,
    retry: RetryPolicy,
    connect_timeout: Duration,
    read_timeout: Duration,
    http: Option<reqwest::Client>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            region: None,
            endpoint: None,
            credentials: None,
            token: None,
            allow_token_over_http: false,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            http: None,
        }
    }
}

impl crate::Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

impl ClientBuilder {
    /// Calls the region's endpoint (or its `HUAWEICLOUD_SDK_REGION_PROJECTMAN_*`
    /// override).
    pub fn region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// Calls `url` instead of a region's endpoint: a proxy, a private
    /// endpoint, or a local server (`http://` is allowed).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Signs requests with these credentials. Without this or
    /// [`token`](Self::token), credentials come from
    /// [`Credentials::from_default_chain`].
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Authenticates with an IAM token (`X-Auth-Token`) instead of a signature.
    pub fn token(mut self, token: impl Into<String>, project_id: Option<String>) -> Self {
        self.token = Some((SecretString::from(token.into()), project_id));
        self
    }

    /// Allows an IAM token over plain `http://`, for local test servers only.
    pub fn allow_token_over_http(mut self) -> Self {
        self.allow_token_over_http = true;
        self
    }

    /// Sets the retry policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Time allowed to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed between two reads of a response (default 60 s). There is
    /// no total timeout, which would cut large transfers short.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Uses this HTTP client as it is; its own timeouts and user agent apply.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<crate::Client, BuildError> {
        let (url, http, runtime) = self.build_parts()?;
        Ok(crate::Client::new_with_client(&url, http, runtime))
    }

    /// Builds what any generated client's `new_with_client` takes: the base
    /// URL, the HTTP client and the runtime. For clients generated from
    /// other specs with the same toolchain.
    pub fn build_parts(self) -> Result<(String, reqwest::Client, Runtime), BuildError> {
        let url = match (&self.endpoint, self.region) {
            (Some(url), _) => url.clone(),
            (None, Some(region)) => region.endpoint(),
            (None, None) => return Err(BuildError::NoEndpoint),
        };
        let parsed = url::Url::parse(&url).map_err(|e| BuildError::InvalidEndpoint {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(BuildError::InvalidEndpoint {
                url,
                reason: "expected an http:// or https:// URL with a host".into(),
            });
        }
        let auth = match (self.token, self.credentials) {
            (Some((token, project_id)), _) => {
                if parsed.scheme() == "http" && !self.allow_token_over_http {
                    return Err(BuildError::InsecureToken { url });
                }
                check_header("IAM token", token.expose_secret())?;
                Auth::Token { token, project_id }
            }
            (None, Some(credentials)) => Auth::Signature(credentials),
            (None, None) => Auth::Signature(Credentials::from_default_chain()?),
        };
        if let Auth::Signature(credentials) = &auth {
            check_header("access key", credentials.access_key())?;
            check_header("project ID", credentials.project_id().unwrap_or_default())?;
            check_header(
                "security token",
                credentials.security_token().unwrap_or_default(),
            )?;
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .connect_timeout(self.connect_timeout)
                .read_timeout(self.read_timeout)
                .build()
                .map_err(BuildError::Http)?,
        };
        let runtime = Runtime {
            auth,
            retry: self.retry,
        };
        Ok((url.trim_end_matches('/').to_string(), http, runtime))
    }
}

fn check_header(what: &'static str, value: &str) -> Result<(), BuildError> {
    HeaderValue::from_str(value)
        .map(drop)
        .map_err(|_| BuildError::InvalidCredential(what))
}

impl Runtime {
    /// Authenticates `request` for sending now: a fresh signature per
    /// attempt, so `X-Sdk-Date` is always current.
    fn authorize(&self, request: &mut Request) {
        match &self.auth {
            Auth::Token { token, project_id } => {
                if let Ok(mut value) = HeaderValue::from_str(token.expose_secret()) {
                    value.set_sensitive(true);
                    request.headers_mut().insert(AUTH_TOKEN, value);
                }
                if let Some(project_id) = project_id.as_deref().and_then(|p| p.parse().ok()) {
                    request.headers_mut().insert("x-project-id", project_id);
                }
            }
            Auth::Signature(credentials) => sign_request(request, credentials, SystemTime::now()),
        }
    }
}

/// Signs `request` as the official SDK does, and rewrites its query string
/// into the canonical form that was signed.
pub fn sign_request(request: &mut Request, credentials: &Credentials, now: SystemTime) {
    let url = request.url();
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let canonical_query = signer::canonical_query(&query);
    request
        .url_mut()
        .set_query((!canonical_query.is_empty()).then_some(canonical_query.as_str()));

    let streamed = request.body().is_some_and(|b| b.as_bytes().is_none());
    let headers = request.headers_mut();
    if let Some(project_id) = credentials.project_id().and_then(|p| p.parse().ok()) {
        headers.insert("x-project-id", project_id);
    }
    if let Some(token) = credentials.security_token()
        && let Ok(mut value) = HeaderValue::from_str(token)
    {
        value.set_sensitive(true);
        headers.insert("x-security-token", value);
    }
    // Content-Length goes on the wire but is not signed, as in the SDK,
    // where it is added after signing.
    let content_length = headers.remove(http::header::CONTENT_LENGTH);
    let kind = if streamed {
        Payload::Unsigned
    } else {
        Payload::Empty
    };
    // The host comes from a parsed URL and the date is ASCII, so this cannot
    // fail; if it did, the request would go out unsigned and get a 401.
    let prepared = signer::add_signing_headers(headers, &host, now, kind);
    let payload = match request.body().map(|b| b.as_bytes()) {
        None => Payload::Empty,
        Some(Some(bytes)) => Payload::Bytes(bytes),
        Some(None) => Payload::Unsigned,
    };
    let signature = signer::sign(
        &SignableRequest {
            method: request.method().as_str(),
            path: request.url().path(),
            query: &query,
            headers: request.headers(),
            payload,
        },
        credentials.access_key(),
        credentials.secret_key(),
        Scheme::Basic,
    );
    let headers = request.headers_mut();
    if prepared.is_ok()
        && let Ok(mut value) = HeaderValue::from_str(&signature.authorization)
    {
        value.set_sensitive(true);
        headers.insert(http::header::AUTHORIZATION, value);
    }
    if let Some(length) = content_length {
        headers.insert(http::header::CONTENT_LENGTH, length);
    }
}

/// A request that could not be sent.
#[derive(Debug)]
pub enum SendError {
    /// The transport failed.
    Http(reqwest::Error),
    /// A one-shot body (a reader) was already sent by an earlier call.
    Consumed,
}

impl<E> From<SendError> for progenitor_client::Error<E> {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Http(e) => progenitor_client::Error::CommunicationError(e),
            SendError::Consumed => progenitor_client::Error::InvalidRequest(
                "a file part made from a reader was already sent; readers can be sent once".into(),
            ),
        }
    }
}

/// Sends a request built by `build`, which is called again for each retry;
/// it returns `None` when the body cannot be rebuilt.
pub async fn execute<C, F>(
    client: &C,
    info: &OperationInfo,
    mut build: F,
) -> Result<Response, SendError>
where
    C: ClientInfo<Runtime>,
    F: FnMut() -> Option<reqwest::Result<Request>>,
{
    let first = build()
        .ok_or(SendError::Consumed)?
        .map_err(SendError::Http)?;
    send(client, info, first, build)
        .await
        .map_err(SendError::Http)
}

/// Sends a request built by progenitor; retried if its body can be cloned.
pub async fn exec<C>(
    client: &C,
    request: Request,
    info: &OperationInfo,
) -> reqwest::Result<Response>
where
    C: ClientInfo<Runtime>,
{
    let template = request.try_clone();
    send(client, info, request, move || {
        template.as_ref().and_then(Request::try_clone).map(Ok)
    })
    .await
}

async fn send<C, F>(
    client: &C,
    info: &OperationInfo,
    first: Request,
    mut again: F,
) -> reqwest::Result<Response>
where
    C: ClientInfo<Runtime>,
    F: FnMut() -> Option<reqwest::Result<Request>>,
{
    let runtime = client.inner();
    let policy = &runtime.retry;
    let mut request = first;
    let mut attempt = 1;
    loop {
        runtime.authorize(&mut request);
        let method = request.method().clone();
        let path = request.url().path().to_string();
        let result = client.client().execute(request).await;
        let (retry, retry_after) = match &result {
            Ok(response) => (
                policy.retries_status(response.status()),
                retry_after(response),
            ),
            Err(error) => (policy.retries_error(error), None),
        };
        match &result {
            Ok(response) => tracing::debug!(
                operation = info.operation_id, %method, path, attempt,
                status = response.status().as_u16(),
                request_id = response.headers().get(crate::error::REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()),
                "response"
            ),
            Err(error) => {
                tracing::debug!(operation = info.operation_id, %method, path, attempt, %error, "request failed")
            }
        }
        if retry
            && attempt < policy.max_attempts
            && let Some(next) = again()
        {
            let delay = policy.delay(attempt, retry_after);
            let reason = match &result {
                Ok(response) => response.status().to_string(),
                Err(error) => error.to_string(),
            };
            tracing::warn!(
                operation = info.operation_id,
                attempt,
                ?delay,
                reason,
                "retrying"
            );
            drop(result);
            tokio::time::sleep(delay).await;
            request = next?;
            attempt += 1;
            continue;
        }
        return match result {
            Ok(response) if !response.status().is_success() => keep_error_body(response).await,
            other => other,
        };
    }
}

fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    value
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
        .map(Duration::from_secs)
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of an error response and keeps
/// them with it, so neither progenitor's decoding nor an error message reads
/// an unbounded body.
async fn keep_error_body(mut response: Response) -> reqwest::Result<Response> {
    let mut body = BytesMut::new();
    while body.len() < MAX_ERROR_BODY {
        match response.chunk().await? {
            Some(chunk) => {
                let room = MAX_ERROR_BODY - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            None => break,
        }
    }
    let body = body.freeze();
    let mut rebuilt = http::Response::new(body.clone());
    *rebuilt.status_mut() = response.status();
    *rebuilt.version_mut() = response.version();
    *rebuilt.headers_mut() = std::mem::take(response.headers_mut());
    rebuilt.extensions_mut().insert(ErrorBody(body));
    Ok(Response::from(rebuilt))
}

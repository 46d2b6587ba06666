//! Authenticating a request: an AK/SK signature or an IAM token.
//!
//! Every attempt is authenticated afresh, so a retried request carries a
//! current `X-Sdk-Date`. A request that cannot be authenticated is never
//! sent: the failure is an error for the caller.

use std::fmt;
use std::time::SystemTime;

use http::HeaderValue;
use reqwest::Request;
use secrecy::{ExposeSecret, SecretString};

use crate::credentials::Credentials;
use crate::signer::{self, Payload, Scheme, SignableRequest};

/// Header of IAM token authentication.
pub const AUTH_TOKEN: &str = "x-auth-token";

/// Header naming the IAM project of project-level credentials.
const PROJECT_ID: &str = "x-project-id";

/// Header carrying the security token of temporary credentials.
const SECURITY_TOKEN: &str = "x-security-token";

/// How requests are authenticated.
#[derive(Clone)]
pub(crate) enum Auth {
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

/// A request could not be authenticated, so it was not sent.
#[derive(Debug, thiserror::Error)]
#[error("cannot authenticate the request: the {0} cannot be sent in an HTTP header")]
pub struct SignError(&'static str);

impl Auth {
    /// Authenticates `request` for sending now.
    pub(crate) fn authorize(&self, request: &mut Request) -> Result<(), SignError> {
        match self {
            Auth::Token { token, project_id } => {
                let mut value =
                    HeaderValue::from_str(token.expose_secret()).map_err(|_| SignError("token"))?;
                value.set_sensitive(true);
                request.headers_mut().insert(AUTH_TOKEN, value);
                if let Some(project_id) = project_id {
                    let value = project_id.parse().map_err(|_| SignError("project ID"))?;
                    request.headers_mut().insert(PROJECT_ID, value);
                }
                Ok(())
            }
            Auth::Signature(credentials) => sign_request(request, credentials, SystemTime::now()),
        }
    }
}

/// Signs `request` as the official SDK does, and rewrites its query string
/// into the canonical form that was signed.
pub fn sign_request(
    request: &mut Request,
    credentials: &Credentials,
    now: SystemTime,
) -> Result<(), SignError> {
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
    if let Some(project_id) = credentials.project_id() {
        let value = project_id.parse().map_err(|_| SignError("project ID"))?;
        headers.insert(PROJECT_ID, value);
    }
    if let Some(token) = credentials.security_token() {
        let mut value = HeaderValue::from_str(token).map_err(|_| SignError("security token"))?;
        value.set_sensitive(true);
        headers.insert(SECURITY_TOKEN, value);
    }
    // Content-Length goes on the wire but is not signed, as in the SDK,
    // where it is added after signing.
    let content_length = headers.remove(http::header::CONTENT_LENGTH);
    let kind = if streamed {
        Payload::Unsigned
    } else {
        Payload::Empty
    };
    signer::add_signing_headers(headers, &host, now, kind).map_err(|_| SignError("host"))?;
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
    let mut value =
        HeaderValue::from_str(&signature.authorization).map_err(|_| SignError("access key"))?;
    value.set_sensitive(true);
    let headers = request.headers_mut();
    headers.insert(http::header::AUTHORIZATION, value);
    if let Some(length) = content_length {
        headers.insert(http::header::CONTENT_LENGTH, length);
    }
    Ok(())
}

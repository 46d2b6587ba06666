//! Authenticating a request: an AK/SK signature or an IAM token.
//!
//! Every attempt is authenticated afresh, so a retried request carries a
//! current `X-Sdk-Date`. A request that cannot be authenticated is never
//! sent: the failure is an error for the caller.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use http::HeaderValue;
use reqwest::Request;
use secrecy::ExposeSecret;

use crate::credentials::Credentials;
use crate::error::ApiError;
use crate::provider::{Cached, ProvideCredentials, ProvideToken, Token};
use crate::signer::{self, Payload, Scheme, SignableRequest};

/// Header of IAM token authentication.
pub const AUTH_TOKEN: &str = "x-auth-token";

/// Header naming the IAM project of project-level credentials.
const PROJECT_ID: &str = "x-project-id";

/// Header carrying the security token of temporary credentials.
const SECURITY_TOKEN: &str = "x-security-token";

/// How requests are authenticated: each from a provider, through a cache
/// shared by every call (and clone) of a client.
#[derive(Clone)]
pub(crate) enum Auth {
    Signature {
        provider: Arc<dyn ProvideCredentials>,
        cache: Arc<Cached<Credentials>>,
    },
    Token {
        provider: Arc<dyn ProvideToken>,
        cache: Arc<Cached<Token>>,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Signature { provider, .. } => f.debug_tuple("Signature").field(provider).finish(),
            Auth::Token { provider, .. } => f.debug_tuple("Token").field(provider).finish(),
        }
    }
}

/// A request could not be authenticated, so it was not sent.
#[derive(Debug, thiserror::Error)]
#[error("cannot authenticate the request: the {0} cannot be sent in an HTTP header")]
pub struct SignError(pub(crate) &'static str);

impl Auth {
    /// Signs requests with these credentials, as they are.
    pub(crate) fn signature(
        provider: Arc<dyn ProvideCredentials>,
        initial: Option<Credentials>,
    ) -> Self {
        Auth::Signature {
            provider,
            cache: Cached::new(initial),
        }
    }

    /// Sends tokens from this provider.
    pub(crate) fn token(provider: Arc<dyn ProvideToken>, initial: Option<Token>) -> Self {
        Auth::Token {
            provider,
            cache: Cached::new(initial),
        }
    }

    /// Authenticates `request` for sending now, with credentials (or a
    /// token) fetched or refreshed first if need be.
    pub(crate) async fn authorize(&self, request: &mut Request) -> Result<(), ApiError> {
        match self {
            Auth::Token { provider, cache } => {
                let token = cache.get(provider.provide_token()).await?;
                let mut value = HeaderValue::from_str(token.value.expose_secret())
                    .map_err(|_| SignError("token"))?;
                value.set_sensitive(true);
                request.headers_mut().insert(AUTH_TOKEN, value);
                if let Some(project_id) = &token.project_id {
                    let value = project_id.parse().map_err(|_| SignError("project ID"))?;
                    request.headers_mut().insert(PROJECT_ID, value);
                }
                Ok(())
            }
            Auth::Signature { provider, cache } => {
                let credentials = cache.get(provider.provide_credentials()).await?;
                Ok(sign_request(request, &credentials, SystemTime::now())?)
            }
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

//! Temporary credentials from the ECS metadata service, for programs on a
//! Huawei Cloud ECS instance whose agency grants them: what the official
//! SDKs' `MetadataCredentialProvider` does.
//!
//! The protocol, as `huaweicloudsdkcore` 3.1.219 (`auth/internal.py`,
//! `MetadataAccessor`) speaks it:
//! 1. `PUT /meta-data/latest/api/token` with `X-Metadata-Token-Ttl-Seconds:
//!    21600` gives a session token (404, 405 or 503: the instance has none;
//!    carry on without);
//! 2. `GET /openstack/latest/securitykey`, with `X-Metadata-Token` when
//!    there is one, answers `{"credential": {"access", "secret",
//!    "securitytoken", "expires_at": "2024-01-01T00:00:00.000000Z"}}`;
//! 3. a 401 (other than "Please configure Cloud Service Agency first")
//!    means the session token expired: get a new one and ask once more.
//!
//! The endpoint is `http://169.254.169.254`, and can be changed
//! ([`EcsMetadataProvider::with_endpoint`]) so tests run against a local
//! stand-in. Requests to it never go through a proxy and time out after 3
//! seconds, as the SDK's do, so a program off ECS learns quickly that there
//! are no credentials here.

use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;

use crate::credentials::{Credentials, CredentialsError};
use crate::provider::ProvideCredentials;

const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
const TOKEN_PATH: &str = "/meta-data/latest/api/token";
const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";
const TOKEN_HEADER: &str = "X-Metadata-Token";
const TOKEN_TTL_HEADER: &str = "X-Metadata-Token-Ttl-Seconds";
const TOKEN_TTL_SECONDS: &str = "21600";
const NO_AGENCY: &str = "Please configure Cloud Service Agency first";
const TIMEOUT: Duration = Duration::from_secs(3);
/// How much of an error answer a message keeps.
const SNIPPET: usize = 200;

/// The largest answer read from the metadata service: a session token or
/// a security key (an AK, an SK and a security token) takes a few KiB.
const MAX_ANSWER: usize = 16 * 1024;

/// Temporary AK/SK and security token from the ECS metadata service, for
/// programs on a Huawei Cloud ECS instance whose agency grants them: what
/// the official SDKs' `MetadataCredentialProvider` does.
///
/// The protocol, as `huaweicloudsdkcore` 3.1.219 speaks it: `PUT
/// /meta-data/latest/api/token` gives a session token (none on instances
/// without one); `GET /openstack/latest/securitykey`, with that token,
/// answers the credentials and their expiry; a 401 means the session token
/// expired, so a new one is asked for once. The endpoint is
/// `http://169.254.169.254` ([`with_endpoint`](Self::with_endpoint) changes
/// it, for tests); requests to it never go through a proxy, time out after
/// 3 seconds, and read at most 16 KiB of any answer.
#[derive(Debug)]
pub struct EcsMetadataProvider {
    endpoint: String,
    project_id: Option<String>,
    http: Option<reqwest::Client>,
    session: tokio::sync::Mutex<Option<String>>,
}

impl Default for EcsMetadataProvider {
    /// The instance's metadata service, and the IAM project from
    /// `HUAWEICLOUD_SDK_PROJECT_ID` (or `CLOUD_SDK_PROJECT_ID`) if set.
    fn default() -> Self {
        let project_id = ["HUAWEICLOUD_SDK_PROJECT_ID", "CLOUD_SDK_PROJECT_ID"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        Self {
            endpoint: DEFAULT_ENDPOINT.into(),
            project_id,
            http: None,
            session: tokio::sync::Mutex::new(None),
        }
    }
}

impl EcsMetadataProvider {
    /// The instance's metadata service.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks this endpoint instead of `http://169.254.169.254`: a local
    /// stand-in for tests.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into().trim_end_matches('/').to_string();
        self
    }

    /// The IAM project the credentials are used in (`X-Project-Id`).
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    fn http(&self) -> Result<reqwest::Client, CredentialsError> {
        if let Some(http) = &self.http {
            return Ok(http.clone());
        }
        crate::config::install_default_tls_provider();
        reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(TIMEOUT)
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| self.failed(format!("cannot build its HTTP client: {e}")))
    }

    fn failed(&self, message: String) -> CredentialsError {
        CredentialsError::Metadata {
            endpoint: self.endpoint.clone(),
            message,
        }
    }

    /// A new session token, or none where the instance has none.
    async fn session_token(
        &self,
        http: &reqwest::Client,
        required: bool,
    ) -> Result<Option<String>, CredentialsError> {
        let response = http
            .put(format!("{}{TOKEN_PATH}", self.endpoint))
            .header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status().as_u16();
        match status {
            200 => Ok(Some(self.text(response).await?)),
            404 | 405 | 503 if !required => Ok(None),
            _ => Err(self.refused("the session token", status, response).await),
        }
    }

    /// An answer's body, at most [`MAX_ANSWER`] bytes: a service that
    /// sends more (or never stops) is an error, not unbounded memory.
    async fn bounded(&self, mut response: reqwest::Response) -> Result<Vec<u8>, CredentialsError> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.unreachable(&e))? {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(self.failed(format!(
                    "its answer is larger than {MAX_ANSWER} bytes, which no credentials need"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// [`bounded`](Self::bounded), as text.
    async fn text(&self, response: reqwest::Response) -> Result<String, CredentialsError> {
        let body = self.bounded(response).await?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    fn unreachable(&self, error: &reqwest::Error) -> CredentialsError {
        if error.is_connect() || error.is_timeout() {
            CredentialsError::NotFound {
                tried: format!(
                    "the ECS metadata service at {} (not reachable: not on ECS?)",
                    self.endpoint
                ),
            }
        } else {
            self.failed(format!("the exchange failed: {error}"))
        }
    }

    async fn refused(
        &self,
        what: &str,
        status: u16,
        response: reqwest::Response,
    ) -> CredentialsError {
        // Error answers carry no credentials; show their start, escaped.
        let body = self.text(response).await.unwrap_or_default();
        let body: String = crate::error::printable(&body)
            .chars()
            .take(SNIPPET)
            .collect();
        self.failed(format!("{what} was refused with {status}: {body}"))
    }

    async fn security_key(
        &self,
        http: &reqwest::Client,
        token: Option<&str>,
    ) -> Result<(u16, reqwest::Response), CredentialsError> {
        let mut request = http.get(format!("{}{SECURITY_KEY_PATH}", self.endpoint));
        if let Some(token) = token {
            request = request.header(TOKEN_HEADER, token);
        }
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        Ok((response.status().as_u16(), response))
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let http = self.http()?;
        let mut session = self.session.lock().await;
        if session.is_none() {
            *session = self.session_token(&http, false).await?;
        }
        let (mut status, mut response) = self.security_key(&http, session.as_deref()).await?;
        if status == 401 {
            let body = self.text(response).await.unwrap_or_default();
            if body.contains(NO_AGENCY) {
                return Err(self.failed(format!(
                    "the instance has no agency: {NO_AGENCY} (ECS console, Management Information)"
                )));
            }
            *session = self.session_token(&http, true).await?;
            (status, response) = self.security_key(&http, session.as_deref()).await?;
        }
        if status >= 400 {
            return Err(self.refused("the security key", status, response).await);
        }
        let body = self.bounded(response).await?;
        // Never show the body: it holds the secret key.
        let parsed: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| self.failed("the security key is not JSON".into()))?;
        let credentials = self.credentials_from(&parsed)?;
        tracing::debug!(access_key = %credentials.access_key(), expires_at = ?credentials.expires_at(), "credentials from the ECS metadata service");
        Ok(credentials)
    }

    fn credentials_from(&self, body: &serde_json::Value) -> Result<Credentials, CredentialsError> {
        let map = body
            .get("credential")
            .or_else(|| body.get("credentials"))
            .unwrap_or(body);
        let pick = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| map.get(*n).and_then(|v| v.as_str()))
                .map(str::to_string)
        };
        let missing = |what: &str| self.failed(format!("the security key has no {what}"));
        let access = pick(&["access", "accessKeyId", "access_key_id"])
            .ok_or_else(|| missing("access key"))?;
        let secret = pick(&["secret", "secretAccessKey", "secret_access_key"])
            .ok_or_else(|| missing("secret key"))?;
        let token = pick(&["securitytoken", "securityToken", "security_token"])
            .ok_or_else(|| missing("security token"))?;
        let expires = pick(&["expires_at", "expiration"]).ok_or_else(|| missing("expiry"))?;
        let expires_at = parse_time(&expires).ok_or_else(|| {
            self.failed(format!(
                "its expiry `{}` is not a time",
                crate::error::printable(&expires)
            ))
        })?;
        let mut credentials = Credentials::new(access, secret)
            .with_security_token(token)
            .with_expiry(expires_at);
        if let Some(project_id) = &self.project_id {
            credentials = credentials.with_project_id(project_id.clone());
        }
        Ok(credentials)
    }
}

/// `2024-01-01T00:00:00.000000Z` (RFC 3339, as the service sends it).
fn parse_time(text: &str) -> Option<SystemTime> {
    let at =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(SystemTime::from(at))
}

impl ProvideCredentials for EcsMetadataProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_times_are_read_as_the_service_writes_them() {
        let at = parse_time("2024-01-01T00:00:00.000000Z").unwrap();
        assert_eq!(
            at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            1_704_067_200
        );
        assert!(parse_time("tomorrow").is_none());
    }

    #[test]
    fn every_spelling_the_sdk_reads_is_read() {
        let provider = EcsMetadataProvider::new().with_project_id("p");
        let body = serde_json::json!({"credentials": {
            "accessKeyId": "AK", "secretAccessKey": "SK", "securityToken": "T",
            "expiration": "2030-01-01T00:00:00Z"}});
        let c = provider.credentials_from(&body).unwrap();
        assert_eq!(
            (c.access_key(), c.secret_key(), c.security_token()),
            ("AK", "SK", Some("T"))
        );
        assert_eq!(c.project_id(), Some("p"));
        let error = provider
            .credentials_from(
                &serde_json::json!({"credential": {"access": "AK", "secret": "very-secret"}}),
            )
            .unwrap_err()
            .to_string();
        assert!(!error.contains("very-secret"), "{error}");
    }
}

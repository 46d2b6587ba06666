//! Where a client's credentials come from over its life: providers, and
//! the cache that shares them between calls and refreshes them before they
//! expire.
//!
//! [`ProvideCredentials`] is async and may be slow (the ECS metadata
//! service is a network call); the client asks it only when it has no
//! credentials yet, or when those it has expire within
//! [`REFRESH_WINDOW`]. Concurrent calls wait for one refresh rather than
//! each starting its own. The default chain, in Huawei's order: the
//! environment, the profile file, then the ECS metadata service
//! ([`EcsMetadataProvider`]). IAM tokens come from a [`ProvideToken`] in
//! the same way.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use secrecy::SecretString;

use crate::credentials::{Credentials, CredentialsError, profile_path};
pub use crate::metadata::EcsMetadataProvider;

/// How long before they expire credentials (and tokens) are refreshed.
/// Huawei's SDKs use 40 minutes for the day-long credentials of an ECS
/// agency; five minutes, as aws-sdk-rust, leaves room for a slow metadata
/// service without refreshing short-lived credentials on every call.
pub const REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);

/// A source of AK/SK credentials, asked again before the ones it gave
/// expire ([`Credentials::with_expiry`]). Implement it to bring your own
/// (a vault, a secret manager); the client caches what it returns.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Fetches credentials.
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>>;
}

impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }
}

/// An IAM token (`X-Auth-Token`), with the project it is scoped to and when
/// it expires. Its value never appears in `Debug` output.
#[derive(Clone)]
pub struct Token {
    pub(crate) value: SecretString,
    pub(crate) project_id: Option<String>,
    pub(crate) expires_at: Option<SystemTime>,
}

impl Token {
    /// A token, sent as `X-Auth-Token`.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: SecretString::from(value.into()),
            project_id: None,
            expires_at: None,
        }
    }

    /// The IAM project, sent as `X-Project-Id`.
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// When the token expires (IAM tokens last 24 hours).
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// When the token expires, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &"** redacted **")
            .field("project_id", &self.project_id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A source of IAM tokens, asked again before the one it gave expires.
pub trait ProvideToken: Send + Sync + fmt::Debug {
    /// Fetches a token.
    fn provide_token(&self) -> BoxFuture<'_, Result<Token, CredentialsError>>;
}

impl ProvideToken for Token {
    fn provide_token(&self) -> BoxFuture<'_, Result<Token, CredentialsError>> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }
}

/// Credentials from the environment, read at each refresh:
/// `HUAWEICLOUD_SDK_AK`/`_SK`/`_PROJECT_ID`/`_SECURITY_TOKEN`, else
/// `CLOUD_SDK_AK`/`_SK`/... ([`Credentials::from_env`]).
#[derive(Clone, Debug, Default)]
pub struct EnvironmentProvider;

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async {
            Credentials::from_env()?.ok_or_else(|| CredentialsError::NotFound {
                tried: "the environment (HUAWEICLOUD_SDK_AK/_SK, CLOUD_SDK_AK/_SK)".into(),
            })
        })
    }
}

/// Credentials from the `[basic]` section of a profile file, read at each
/// refresh ([`Credentials::from_profile`]).
#[derive(Clone, Debug)]
pub struct ProfileProvider {
    path: PathBuf,
}

impl Default for ProfileProvider {
    /// `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`.
    fn default() -> Self {
        Self::new(profile_path())
    }
}

impl ProfileProvider {
    /// The profile file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

impl ProvideCredentials for ProfileProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async {
            Credentials::from_profile(&self.path)?.ok_or_else(|| CredentialsError::NotFound {
                tried: format!("the [basic] section of {}", self.path.display()),
            })
        })
    }
}

/// Huawei's default chain: the environment, the profile file, then the ECS
/// metadata service; the first that has credentials gives them. A source
/// that has half a pair (an AK without an SK) is an error, not skipped.
#[derive(Debug)]
pub struct DefaultChain {
    environment: EnvironmentProvider,
    profile: ProfileProvider,
    metadata: EcsMetadataProvider,
}

impl Default for DefaultChain {
    fn default() -> Self {
        Self {
            environment: EnvironmentProvider,
            profile: ProfileProvider::default(),
            metadata: EcsMetadataProvider::default(),
        }
    }
}

impl DefaultChain {
    /// The chain with this metadata provider (another endpoint, a project).
    pub fn with_metadata(mut self, metadata: EcsMetadataProvider) -> Self {
        self.metadata = metadata;
        self
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async {
            let mut tried = Vec::new();
            let sources: [&dyn ProvideCredentials; 3] =
                [&self.environment, &self.profile, &self.metadata];
            for source in sources {
                match source.provide_credentials().await {
                    Ok(credentials) => return Ok(credentials),
                    Err(CredentialsError::NotFound { tried: what }) => tried.push(what),
                    Err(other) => return Err(other),
                }
            }
            Err(CredentialsError::NotFound {
                tried: tried.join("; "),
            })
        })
    }
}

/// Something with an expiry, for the cache.
pub(crate) trait Expires: Clone {
    fn expires_at(&self) -> Option<SystemTime>;
}

impl Expires for Credentials {
    fn expires_at(&self) -> Option<SystemTime> {
        Credentials::expires_at(self)
    }
}

impl Expires for Token {
    fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }
}

/// One value from a provider, shared by every call of a client, fetched
/// again within [`REFRESH_WINDOW`] of its expiry. Callers that find it
/// stale wait for one refresh.
pub(crate) struct Cached<T> {
    current: tokio::sync::Mutex<Option<T>>,
}

impl<T: Expires> Cached<T> {
    pub(crate) fn new(initial: Option<T>) -> Arc<Self> {
        Arc::new(Self {
            current: tokio::sync::Mutex::new(initial),
        })
    }

    /// The current value, refreshed first if it is (about to be) stale.
    pub(crate) async fn get<F>(&self, fetch: F) -> Result<T, CredentialsError>
    where
        F: std::future::Future<Output = Result<T, CredentialsError>>,
    {
        let mut current = self.current.lock().await;
        let now = SystemTime::now();
        let fresh = |value: &T| {
            value.expires_at().is_none_or(|at| {
                at.duration_since(now)
                    .is_ok_and(|left| left > REFRESH_WINDOW)
            })
        };
        if let Some(value) = current.as_ref().filter(|v| fresh(v)) {
            return Ok(value.clone());
        }
        match fetch.await {
            Ok(value) => {
                tracing::debug!(expires_at = ?value.expires_at(), "credentials refreshed");
                *current = Some(value.clone());
                Ok(value)
            }
            // A failed refresh still leaves credentials that have not
            // expired yet usable.
            Err(error) => match current.as_ref() {
                Some(value) if value.expires_at().is_some_and(|at| at > now) => {
                    tracing::warn!(%error, "credentials could not be refreshed; using the current ones until they expire");
                    Ok(value.clone())
                }
                _ => Err(error),
            },
        }
    }
}

impl<T> fmt::Debug for Cached<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cached")
    }
}

//! AK/SK credentials, and reading them from the environment and the
//! profile file; [`provider`](crate::provider) has the providers a client
//! asks over its life (the ECS metadata service among them). Secrets are
//! held in [`SecretString`]s: they never appear in `Debug` output, logs or
//! errors.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use secrecy::{ExposeSecret, SecretString};

/// An access key (AK) and secret key (SK), with the IAM project ID and, for
/// temporary credentials, a security token.
#[derive(Clone)]
pub struct Credentials {
    access_key: String,
    secret_key: SecretString,
    project_id: Option<String>,
    security_token: Option<SecretString>,
    expires_at: Option<SystemTime>,
}

/// Credentials could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// No source had credentials.
    #[error(
        "no AK/SK credentials found (tried {tried}): set CLOUD_SDK_AK and CLOUD_SDK_SK (or \
         HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK), or write them to the [basic] section of \
         ~/.huaweicloud/credentials"
    )]
    NotFound {
        /// Where they were looked for.
        tried: String,
    },
    /// The ECS metadata service answered, but gave no credentials.
    #[error("the ECS metadata service at {endpoint} gave no credentials: {message}")]
    Metadata {
        /// The service's endpoint.
        endpoint: String,
        /// What went wrong; never a secret.
        message: String,
    },
    /// A source had an access key without a secret key, or the reverse.
    #[error("{source_name} sets {present} but not {missing}")]
    Incomplete {
        /// Where the half-set credentials are.
        source_name: String,
        /// The key that is set.
        present: &'static str,
        /// The key that is missing.
        missing: &'static str,
    },
    /// The profile file exists but cannot be read or parsed.
    #[error("cannot read the credentials file {}: {message}", path.display())]
    Profile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Credentials {
    /// Credentials from an access key and a secret key.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: SecretString::from(secret_key.into()),
            project_id: None,
            security_token: None,
            expires_at: None,
        }
    }

    /// Sets when temporary credentials expire; the client asks its
    /// provider for new ones before then.
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// When the credentials expire, if they do.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Sets the IAM project ID, sent as `X-Project-Id`.
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// Sets the security token of temporary credentials, sent as
    /// `X-Security-Token`.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(SecretString::from(token.into()));
        self
    }

    /// The access key, which is not secret.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The IAM project ID, if set.
    pub fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }

    pub(crate) fn secret_key(&self) -> &str {
        self.secret_key.expose_secret()
    }

    pub(crate) fn security_token(&self) -> Option<&str> {
        self.security_token.as_ref().map(|t| t.expose_secret())
    }

    /// The environment, then the profile file: `None` when neither has
    /// credentials (the ECS metadata service comes next in the default
    /// chain, see [`provider`](crate::provider)).
    pub fn from_env_or_profile() -> Result<Option<Self>, CredentialsError> {
        if let Some(credentials) = Self::from_env()? {
            tracing::debug!(access_key = %credentials.access_key, "credentials from the environment");
            return Ok(Some(credentials));
        }
        let path = profile_path();
        if let Some(credentials) = Self::from_profile(&path)? {
            tracing::debug!(access_key = %credentials.access_key, path = %path.display(), "credentials from the profile file");
            return Ok(Some(credentials));
        }
        Ok(None)
    }

    /// `HUAWEICLOUD_SDK_AK`/`_SK`/`_PROJECT_ID`/`_SECURITY_TOKEN`, as the
    /// official SDKs read them, else `CLOUD_SDK_AK`/`_SK` as the API
    /// documentation's samples do.
    pub fn from_env() -> Result<Option<Self>, CredentialsError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, CredentialsError> {
        for (prefix, ak_name, sk_name, source_name) in [
            (
                "HUAWEICLOUD_SDK_",
                "HUAWEICLOUD_SDK_AK",
                "HUAWEICLOUD_SDK_SK",
                "the environment (HUAWEICLOUD_SDK_*)",
            ),
            (
                "CLOUD_SDK_",
                "CLOUD_SDK_AK",
                "CLOUD_SDK_SK",
                "the environment (CLOUD_SDK_*)",
            ),
        ] {
            match (get(ak_name), get(sk_name)) {
                (Some(ak), Some(sk)) => {
                    let mut credentials = Self::new(ak, sk);
                    let project = get(&format!("{prefix}PROJECT_ID"))
                        .or_else(|| get("HUAWEICLOUD_SDK_PROJECT_ID"));
                    if let Some(project) = project {
                        credentials = credentials.with_project_id(project);
                    }
                    if let Some(token) = get(&format!("{prefix}SECURITY_TOKEN")) {
                        credentials = credentials.with_security_token(token);
                    }
                    return Ok(Some(credentials));
                }
                (Some(_), None) => {
                    return Err(CredentialsError::Incomplete {
                        source_name: source_name.into(),
                        present: ak_name,
                        missing: sk_name,
                    });
                }
                (None, Some(_)) => {
                    return Err(CredentialsError::Incomplete {
                        source_name: source_name.into(),
                        present: sk_name,
                        missing: ak_name,
                    });
                }
                (None, None) => {}
            }
        }
        Ok(None)
    }

    /// The `[basic]` section of an INI profile file (keys `ak`, `sk`,
    /// `project_id`, `security_token`); `None` if the file does not exist.
    ///
    /// The file must be a regular file of at most [`MAX_PROFILE_BYTES`],
    /// read within [`PROFILE_READ_DEADLINE`]: a FIFO, a device, a
    /// directory or a huge file is an error naming it, never a hang or an
    /// unbounded read (the file is read while the client is built, before
    /// any call's timeout applies).
    pub fn from_profile(path: &Path) -> Result<Option<Self>, CredentialsError> {
        let error = |message: String| CredentialsError::Profile {
            path: path.to_path_buf(),
            message,
        };
        let text = match read_profile(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(error(e.to_string())),
        };
        let Some(basic) = ini_section(&text, "basic").map_err(error)? else {
            return Ok(None);
        };
        let source_name = format!("the [basic] section of {}", path.display());
        Self::from_lookup_named(|key| basic.get(key).cloned(), &source_name)
    }

    fn from_lookup_named(
        get: impl Fn(&str) -> Option<String>,
        source_name: &str,
    ) -> Result<Option<Self>, CredentialsError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        match (get("ak"), get("sk")) {
            (Some(ak), Some(sk)) => {
                let mut credentials = Self::new(ak.trim(), sk.trim());
                if let Some(project) = get("project_id") {
                    credentials = credentials.with_project_id(project.trim());
                }
                if let Some(token) = get("security_token") {
                    credentials = credentials.with_security_token(token.trim());
                }
                Ok(Some(credentials))
            }
            (None, None) => Ok(None),
            (ak, _) => Err(CredentialsError::Incomplete {
                source_name: source_name.into(),
                present: if ak.is_some() { "ak" } else { "sk" },
                missing: if ak.is_some() { "sk" } else { "ak" },
            }),
        }
    }
}

/// The keys of one section of an INI file, as Python's `configparser` (the
/// official SDK's reader) reads them: `key = value` or `key: value`, names
/// and values trimmed, `#` and `;` comment lines, the last of repeated keys.
/// Four keys of one section do not need an INI crate and its dependencies.
fn ini_section(
    text: &str,
    wanted: &str,
) -> Result<Option<std::collections::HashMap<String, String>>, String> {
    let mut section: Option<std::collections::HashMap<String, String>> = None;
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_string();
            if current == wanted {
                section.get_or_insert_with(Default::default);
            }
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            return Err(format!("line {}: expected `key = value`", i + 1));
        };
        if current == wanted {
            section
                .get_or_insert_with(Default::default)
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    Ok(section)
}

/// The largest credentials file read: a few keys take well under 1 KiB.
pub const MAX_PROFILE_BYTES: u64 = 64 * 1024;

/// How long reading the credentials file may take.
pub const PROFILE_READ_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// The text of a credentials file: a regular file (checked before it is
/// opened, so a FIFO or a device is never opened), at most
/// [`MAX_PROFILE_BYTES`], read within [`PROFILE_READ_DEADLINE`] (the read
/// runs on a thread of its own; should the file be swapped for one that
/// blocks, the caller gets an error and that thread is left to it).
fn read_profile(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it is not a regular file (a directory, FIFO, socket or device cannot hold credentials)",
        ));
    }
    if meta.len() > MAX_PROFILE_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "it is {} bytes; a credentials file is at most {MAX_PROFILE_BYTES}",
                meta.len()
            ),
        ));
    }
    let (send, receive) = std::sync::mpsc::channel();
    let owned = path.to_path_buf();
    std::thread::Builder::new()
        .name("ipd-credentials-file".into())
        .spawn(move || {
            let read = std::fs::File::open(&owned).and_then(|file| {
                let mut bytes = Vec::new();
                file.take(MAX_PROFILE_BYTES + 1).read_to_end(&mut bytes)?;
                Ok(bytes)
            });
            let _ = send.send(read);
        })?;
    let bytes = match receive.recv_timeout(PROFILE_READ_DEADLINE) {
        Ok(read) => read?,
        Err(_) => {
            return Err(Error::new(
                ErrorKind::TimedOut,
                format!("it could not be read within {PROFILE_READ_DEADLINE:?}"),
            ));
        }
    };
    if bytes.len() as u64 > MAX_PROFILE_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("it grew past {MAX_PROFILE_BYTES} bytes while being read"),
        ));
    }
    String::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`.
pub fn profile_path() -> PathBuf {
    if let Some(path) = std::env::var_os("HUAWEICLOUD_SDK_CREDENTIALS_FILE") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".huaweicloud").join("credentials")
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"** redacted **")
            .field("project_id", &self.project_id)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_credentials_file_is_read_as_configparser_reads_it() {
        let text =
            "# comment\n[other]\nak = no\n[basic]\n  AK = id \nsk: s=cret\n; note\nproject_id=p\n";
        let basic = ini_section(text, "basic").unwrap().unwrap();
        assert_eq!(basic["ak"], "id");
        assert_eq!(basic["sk"], "s=cret");
        assert_eq!(basic["project_id"], "p");
        assert!(ini_section("[basic]\nnot a pair\n", "basic").is_err());
        assert!(ini_section("[other]\nak=x\n", "basic").unwrap().is_none());
    }

    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn official_variables_win_over_the_doc_samples() {
        let c = Credentials::from_lookup(lookup(&[
            ("HUAWEICLOUD_SDK_AK", "AK1"),
            ("HUAWEICLOUD_SDK_SK", "SK1"),
            ("HUAWEICLOUD_SDK_PROJECT_ID", "P"),
            ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "T"),
            ("CLOUD_SDK_AK", "AK2"),
            ("CLOUD_SDK_SK", "SK2"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.access_key(), "AK1");
        assert_eq!(c.secret_key(), "SK1");
        assert_eq!(c.project_id(), Some("P"));
        assert_eq!(c.security_token(), Some("T"));
    }

    #[test]
    fn doc_sample_variables_are_read() {
        let c =
            Credentials::from_lookup(lookup(&[("CLOUD_SDK_AK", "AK2"), ("CLOUD_SDK_SK", "SK2")]))
                .unwrap()
                .unwrap();
        assert_eq!((c.access_key(), c.secret_key()), ("AK2", "SK2"));
    }

    #[test]
    fn half_set_credentials_are_an_error_that_names_the_missing_key() {
        let err = Credentials::from_lookup(lookup(&[("CLOUD_SDK_AK", "AK2")])).unwrap_err();
        assert!(err.to_string().contains("CLOUD_SDK_SK"), "{err}");
    }

    #[test]
    fn profile_files_that_are_not_small_regular_files_are_named_errors() {
        let dir = std::env::temp_dir().join(format!("ipd-profile-bounds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let message = |path: &Path| match Credentials::from_profile(path) {
            Err(e @ CredentialsError::Profile { .. }) => e.to_string(),
            other => panic!("{}: {other:?}", path.display()),
        };
        // A directory, a device that never ends, a sparse 1 GiB file.
        let error = message(&dir);
        assert!(
            error.contains("not a regular file") && error.contains(&*dir.to_string_lossy()),
            "{error}"
        );
        let zero = Path::new("/dev/zero");
        if zero.exists() {
            assert!(message(zero).contains("not a regular file"));
        }
        let sparse = dir.join("sparse");
        std::fs::File::create(&sparse)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
        assert!(
            message(&sparse).contains("1073741824 bytes"),
            "{}",
            message(&sparse)
        );
        // A FIFO (where mkfifo exists): refused before it is opened, so
        // nothing waits for a writer.
        let fifo = dir.join("fifo");
        if std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(message(&fifo).contains("not a regular file"));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn profile_file_basic_section() {
        let dir = std::env::temp_dir().join(format!("ipd-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        std::fs::write(&path, "[basic]\nak = AK3\nsk = SK3\nproject_id = P3\n").unwrap();
        let c = Credentials::from_profile(&path).unwrap().unwrap();
        assert_eq!(
            (c.access_key(), c.secret_key(), c.project_id()),
            ("AK3", "SK3", Some("P3"))
        );
        assert!(
            Credentials::from_profile(&dir.join("missing"))
                .unwrap()
                .is_none()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::new("AKID", "very-secret-sk").with_security_token("very-secret-token");
        let shown = format!("{c:?} {c:#?}");
        assert!(shown.contains("AKID"));
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}

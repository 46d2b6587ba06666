//! What the workspace's tests share, kept out of the crates users link:
//! an emulator in a temporary directory and clients for it, stand-ins'
//! signature checks ([`refused`], [`signature`]), and network faults
//! ([`faults`]). A dev-dependency only; nothing published depends on it.

pub mod faults;
/// Reading an `Authorization` header as a verifier does (a crate of its
/// own, so that the runtime's tests use it without this kit).
pub use ipd_testkit_signature as signature;

use std::path::Path;

use codearts_req::{Client, Credentials, RetryPolicy};
use ipd_emulator::{Config, Emulator};
use sha2::{Digest, Sha256};

pub const AK: &str = "EMULATORAK0000000001";
pub const SK: &str = "emulator-secret-key-do-not-use-for-real";
pub const PROJECT: &str = "gdbdf969b32694524a949b5ef6b3e124a";
pub const ISSUE: &str = "956239067176935400";

pub struct Setup {
    pub emulator: Emulator,
    pub dir: tempfile::TempDir,
}

pub async fn start() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(AK, SK, dir.path().join("data"));
    config.token = Some("emulator-token".into());
    let emulator = Emulator::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    Setup { emulator, dir }
}

pub fn client(url: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(Credentials::new(AK, SK).with_project_id("0123456789abcdef0123456789abcdef"))
        .retry(retry.with_backoff(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(50),
        ))
        .build()
        .unwrap()
}

/// A file of `len` pseudo-random bytes (a fixed pattern, so failures are
/// reproducible).
pub fn write_file(path: &Path, len: usize) {
    let mut data = Vec::with_capacity(len);
    let mut x: u32 = 0x1234_5678;
    while data.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(len);
    std::fs::write(path, data).unwrap();
}

/// The uploads in flight an emulator's data directory holds: the files
/// under `partial/` (each emulator's own directory there, and its lock,
/// are not uploads).
pub fn uploads_in_flight(data_dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(data_dir.join("partial")) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .map(|path| match std::fs::read_dir(&path) {
            Ok(inner) => inner.count(),
            // A lock file, or a file of the emulators before the store.
            Err(_) => usize::from(path.extension().is_none_or(|e| e != "lock")),
        })
        .sum()
}

pub fn sha256_file(path: &Path) -> String {
    let mut file = std::fs::File::open(path).unwrap();
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).unwrap();
    hex::encode(hasher.finalize())
}

/// Uploads `part` to a work item of [`PROJECT`].
pub async fn upload(
    client: &Client,
    issue: &str,
    part: codearts_req::FilePart,
) -> Result<
    codearts_req::Response<codearts_req::types::CreateIpdProjectIssueAttachmentResponseBody>,
    codearts_req::ApiError,
> {
    client
        .create_ipd_project_issue_attachment()
        .project_id(PROJECT)
        .issue_id(issue)
        .body(codearts_req::forms::CreateIpdProjectIssueAttachmentForm::new(part))
        .send()
        .await
}

/// The gateway's answer to a request whose signature (over a body with
/// this SHA-256, or none) does not verify with [`AK`]/[`SK`]; `None` when
/// it does. For the test servers that stand in for the service.
pub fn refused(
    parts: &axum::http::request::Parts,
    body_sha256: Option<String>,
) -> Option<axum::response::Response> {
    use axum::response::IntoResponse;
    use ipd_emulator::gateway::{self, Keys, Received};
    let keys = Keys {
        access_key: AK.into(),
        secret_key: SK.into(),
        token: None,
    };
    let received = Received {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body_sha256,
    };
    let refusal = gateway::verify(&keys, &received, std::time::SystemTime::now()).err()?;
    Some(
        (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(
                serde_json::json!({ "error_code": "APIGW.0301", "error_msg": refusal.message() }),
            ),
        )
            .into_response(),
    )
}

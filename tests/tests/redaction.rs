//! Secrets never appear in Debug, Display or log output.

use std::io::Write;
use std::sync::{Arc, Mutex};

use codearts_req::forms::CreateIpdProjectIssueAttachmentForm as Form;
use codearts_req::{ApiError, Client, Credentials, FilePart, RetryPolicy};
use ipd_emulator::{Config, Emulator};

const SECRET: &str = "s3cr3t-SK-value-that-must-not-leak";
const TOKEN: &str = "t0k3n-value-that-must-not-leak";
const SECURITY_TOKEN: &str = "security-t0k3n-that-must-not-leak";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    for secret in [SECRET, TOKEN, SECURITY_TOKEN] {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

/// A one-byte upload to a work item of project `p`.
async fn upload(
    client: &Client,
) -> Result<
    codearts_req::Response<codearts_req::types::CreateIpdProjectIssueAttachmentResponseBody>,
    ApiError,
> {
    client
        .create_ipd_project_issue_attachment()
        .project_id("p")
        .issue_id("i")
        .body(Form::new(FilePart::from_bytes("f", "x")))
        .send()
        .await
}

/// An upload that must fail, as an `ApiError`.
async fn failed_upload(client: &Client) -> ApiError {
    upload(client).await.expect_err("the upload should fail")
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_in_debug_display_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(
        "127.0.0.1:0".parse().unwrap(),
        Config::new("AK", SECRET, dir.path()),
    )
    .await
    .unwrap();
    emulator.inject_statuses(&[reqwest::StatusCode::SERVICE_UNAVAILABLE]);
    let credentials = Credentials::new("AK", SECRET).with_security_token(SECURITY_TOKEN);
    let builder = Client::builder()
        .endpoint(emulator.url())
        .credentials(credentials.clone())
        .retry(RetryPolicy::default());
    assert_clean("ClientBuilder Debug", &format!("{builder:?}"));
    let client = builder.build().unwrap();
    assert_clean("Client Debug", &format!("{client:?} {client:#?}"));
    assert_clean("Credentials Debug", &format!("{credentials:?}"));

    // A retried upload (so retry logging runs) that ends in a 401, since the
    // emulator does not know the security token's session.
    match upload(&client).await {
        Ok(r) => assert_clean("response", &format!("{r:?}")),
        Err(e) => {
            assert_clean("ApiError Display", &e.to_string());
            assert_clean("ApiError Debug", &format!("{e:?}"));
        }
    }

    let wrong = Client::builder()
        .endpoint(emulator.url())
        .credentials(Credentials::new("AK", "wrong"))
        .build()
        .unwrap();
    let e = failed_upload(&wrong).await;
    assert_eq!(e.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
    assert_clean("401 Display", &e.to_string());

    let token_client = Client::builder()
        .endpoint(emulator.url())
        .token(TOKEN, None)
        .allow_token_over_http()
        .build()
        .unwrap();
    assert_clean("token Client Debug", &format!("{token_client:?}"));
    let e = failed_upload(&token_client).await;
    assert_clean("token 401", &format!("{e} {e:?}"));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("retrying"), "the retry was logged: {logs}");
    assert_clean("logs", &logs);
}

#[test]
fn signed_header_values_are_marked_sensitive() {
    codearts_req::install_default_tls_provider();
    let mut request = reqwest::Client::new()
        .get("http://example.invalid/x")
        .build()
        .unwrap();
    let credentials = Credentials::new("AK", SECRET).with_security_token(SECURITY_TOKEN);
    codearts_req_runtime::sign_request(&mut request, &credentials, std::time::SystemTime::now())
        .unwrap();
    assert!(request.headers()["authorization"].is_sensitive());
    assert!(request.headers()["x-security-token"].is_sensitive());
    assert_clean("request Debug", &format!("{request:?}"));
}

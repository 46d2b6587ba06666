//! The transport against scripted servers: retries by what the operation is
//! (a create is never sent twice after a 502), Retry-After, stalled
//! streams (answers that drip, uploads the server stops reading), per-call
//! overrides, and credentials refreshed from a stand-in ECS metadata
//! service. Waits are bounded by `tokio::time::timeout` as hang guards;
//! nothing here measures speed.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codearts_req::types::LabelColor;
use codearts_req::{
    ApiError, Client, Credentials, Direction, EcsMetadataProvider, FilePart, RetryPolicy,
    SaveToFile, forms,
};
use common::{AK, PROJECT, SK};
use ipd_testkit::faults::{ScriptedServer, Step};

/// A whole HTTP answer.
fn answer(status: &str, headers: &[(&str, &str)], body: &str) -> Step {
    let mut text = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    Step::Send(text.into_bytes())
}

const OK_LABELS: &str = r#"{"status":"success","result":{"data":[],"total":0}}"#;
const OK_CREATED: &str = r#"{"status":"success","result":[{"id":"1"}]}"#;
const BAD_GATEWAY: &str = r#"{"error_code":"APIGW.0502","error_msg":"Bad gateway"}"#;

fn client(url: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(Credentials::new(AK, SK))
        .retry(retry.with_backoff(Duration::from_millis(10), Duration::from_millis(50)))
        .build()
        .unwrap()
}

async fn create_label(client: &Client) -> Result<(), ApiError> {
    client
        .create_ipd_label()
        .project_id(PROJECT)
        .title("t")
        .color(LabelColor::from("#86CAFF"))
        .send()
        .await
        .map(drop)
}

async fn list_labels(client: &Client) -> Result<(), ApiError> {
    client
        .list_ipd_labels()
        .project_id(PROJECT)
        .send()
        .await
        .map(drop)
}

#[tokio::test]
async fn a_502_on_a_create_is_sent_once_and_reported() {
    let server = ScriptedServer::start_sequence(vec![
        vec![answer("502 Bad Gateway", &[], BAD_GATEWAY)],
        vec![answer("200 OK", &[], OK_CREATED)],
    ])
    .await
    .unwrap();
    let error = create_label(&client(&server.url(), RetryPolicy::default()))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ApiError::ServerResponse(e) if e.status().as_u16() == 502),
        "{error:?}"
    );
    assert!(error.is_retryable() && error.is_server_error());
    assert_eq!(server.requests().len(), 1, "the create was not sent again");
}

#[tokio::test]
async fn a_502_on_a_read_and_a_503_or_429_on_a_create_are_retried() {
    let read = ScriptedServer::start_sequence(vec![
        vec![answer("502 Bad Gateway", &[], BAD_GATEWAY)],
        vec![answer("200 OK", &[], OK_LABELS)],
    ])
    .await
    .unwrap();
    list_labels(&client(&read.url(), RetryPolicy::default()))
        .await
        .unwrap();
    assert_eq!(read.requests().len(), 2);
    for status in ["503 Service Unavailable", "429 Too Many Requests"] {
        let write = ScriptedServer::start_sequence(vec![
            vec![answer(status, &[], "")],
            vec![answer("200 OK", &[], OK_CREATED)],
        ])
        .await
        .unwrap();
        create_label(&client(&write.url(), RetryPolicy::default()))
            .await
            .unwrap();
        assert_eq!(
            write.requests().len(),
            2,
            "{status} means it was not processed"
        );
    }
}

#[tokio::test]
async fn a_retry_after_within_the_limit_is_waited_in_full() {
    let server = ScriptedServer::start_sequence(vec![
        vec![answer("429 Too Many Requests", &[("retry-after", "8")], "")],
        vec![answer("200 OK", &[], OK_CREATED)],
    ])
    .await
    .unwrap();
    let started = Instant::now();
    create_label(&client(&server.url(), RetryPolicy::default()))
        .await
        .unwrap();
    // A lower bound: the client did not come back sooner than asked.
    assert!(
        started.elapsed() >= Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_retry_after_past_the_limit_is_reported_with_the_wait() {
    let server = ScriptedServer::start(vec![answer(
        "503 Service Unavailable",
        &[("retry-after", "3600")],
        r#"{"error_code":"APIGW.0503","error_msg":"Maintenance"}"#,
    )])
    .await
    .unwrap();
    let error = create_label(&client(&server.url(), RetryPolicy::default()))
        .await
        .unwrap_err();
    assert_eq!(
        error.retry_after(),
        Some(Duration::from_secs(3600)),
        "{error:?}"
    );
    assert!(error.to_string().contains("retry after 3600 s"), "{error}");
    assert_eq!(
        server.requests().len(),
        1,
        "never retried sooner than asked"
    );
}

/// An answer whose body arrives one byte every 5 s, forever.
fn dripping(status: &str, content_type: &str) -> Vec<Step> {
    vec![
        Step::Send(
            format!("HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: 1000000\r\n\r\n{{")
                .into_bytes(),
        ),
        Step::Repeat(b" ".to_vec(), Duration::from_secs(5)),
    ]
}

fn stalled_download(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::StalledStream {
            direction: Direction::Download,
            min_throughput: 1,
            ..
        }
    )
}

/// A JSON answer that drips fails as stalled.
async fn a_json_answer_that_drips() {
    let server = ScriptedServer::start(dripping("200 OK", "application/json"))
        .await
        .unwrap();
    let client = client(&server.url(), RetryPolicy::none());
    let error = list_labels(&client).await.unwrap_err();
    assert!(stalled_download(&error), "a JSON answer: {error:?}");
    assert!(error.is_retryable());
}

/// An error answer that drips fails as stalled.
async fn an_error_answer_that_drips() {
    let server = ScriptedServer::start(dripping("400 Bad Request", "application/json"))
        .await
        .unwrap();
    let client = client(&server.url(), RetryPolicy::none());
    let error = list_labels(&client).await.unwrap_err();
    assert!(stalled_download(&error), "an error answer: {error:?}");
}

/// A download that drips fails as stalled, and leaves no file.
async fn a_download_that_drips() {
    let server = ScriptedServer::start(dripping("200 OK", "application/octet-stream"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = client(&server.url(), RetryPolicy::none());
    let response = client
        .download_ipd_issue_attachment()
        .project_id(PROJECT)
        .id("a1")
        .send()
        .await
        .unwrap();
    let error = response
        .save_to(dir.path().join("out"), |_| {})
        .await
        .unwrap_err();
    assert!(stalled_download(&error), "a download: {error:?}");
    assert!(!dir.path().join("out").exists(), "no partial file");
}

/// An upload the server stops reading fails as stalled, and is not retried.
async fn an_upload_the_server_stops_reading() {
    let server =
        ScriptedServer::start_without_reading_bodies(vec![Step::Sleep(Duration::from_secs(3600))])
            .await
            .unwrap();
    let client = client(&server.url(), RetryPolicy::default());
    // Larger than what the sockets buffer, so the body must stop moving.
    let file = FilePart::from_bytes("big.bin", vec![7u8; 64 << 20]);
    let error = client
        .create_ipd_project_issue_attachment()
        .project_id(PROJECT)
        .issue_id(common::ISSUE)
        .body(forms::CreateIpdProjectIssueAttachmentForm::new(file))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ApiError::StalledStream { direction: Direction::Upload, bytes, .. } if bytes > 0),
        "an upload: {error:?}"
    );
    assert_eq!(server.requests().len(), 1, "a stalled write is not retried");
}

/// With the default protection (1 B/s over 20 s), a body that drips a byte
/// every 5 s, or an upload the server stops reading, fails within a minute.
/// The four cases run at once: each waits out the grace period.
#[tokio::test]
async fn stalled_transfers_fail_within_a_minute() {
    let all = async {
        tokio::join!(
            a_json_answer_that_drips(),
            an_error_answer_that_drips(),
            a_download_that_drips(),
            an_upload_the_server_stops_reading(),
        )
    };
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("every stalled transfer ends within a minute");
}

#[tokio::test]
async fn one_call_can_override_the_clients_retries_and_deadline() {
    let server = ScriptedServer::start(vec![answer("503 Service Unavailable", &[], "")])
        .await
        .unwrap();
    let client = client(&server.url(), RetryPolicy::default());
    let error = client
        .list_ipd_labels()
        .project_id(PROJECT)
        .customize(|c| c.retry(RetryPolicy::none()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 1, "this call: no retries");
    list_labels(&client).await.unwrap_err();
    assert_eq!(
        server.requests().len(),
        4,
        "the client's policy: three attempts"
    );

    let silent = ScriptedServer::start(vec![Step::Sleep(Duration::from_secs(3600))])
        .await
        .unwrap();
    let client = Client::builder()
        .endpoint(silent.url())
        .credentials(Credentials::new(AK, SK))
        .build()
        .unwrap();
    let call = client
        .list_ipd_labels()
        .project_id(PROJECT)
        .customize(|c| c.deadline(Duration::from_millis(300)))
        .send();
    let error = tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .expect("the call's deadline ends it")
        .unwrap_err();
    assert!(
        matches!(error, ApiError::DeadlineExceeded(d) if d == Duration::from_millis(300)),
        "{error:?}"
    );
}

/// What a stand-in for the ECS metadata service hands out: a first pair that
/// expires within the refresh window (plus a few seconds), then a second.
#[derive(Default)]
struct Metadata {
    requests: Vec<(String, String, Option<String>)>,
    handed_out: usize,
}

async fn metadata_service(state: Arc<Mutex<Metadata>>) -> String {
    use axum::http::{HeaderMap, Method, Uri};
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let state = state.clone();
        async move {
            let token = headers
                .get("x-metadata-token")
                .map(|v| v.to_str().unwrap().to_string());
            let mut state = state.lock().unwrap();
            state
                .requests
                .push((method.to_string(), uri.path().to_string(), token));
            if method == Method::PUT && uri.path() == "/meta-data/latest/api/token" {
                return (axum::http::StatusCode::OK, "session-token-1".to_string());
            }
            state.handed_out += 1;
            let n = state.handed_out;
            let lifetime = if n == 1 {
                codearts_req::provider::REFRESH_WINDOW + Duration::from_secs(3)
            } else {
                Duration::from_secs(24 * 3600)
            };
            let expires = time::OffsetDateTime::now_utc() + lifetime;
            let expires = expires
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            let body = serde_json::json!({"credential": {
                "access": format!("TEMPAK{n}"),
                "secret": format!("temp-secret-{n}"),
                "securitytoken": format!("security-token-{n}"),
                "expires_at": expires,
            }});
            (axum::http::StatusCode::OK, body.to_string())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A stand-in for the service that checks each request's signature against
/// the temporary credentials it names, and records them.
async fn signed_service(seen: Arc<Mutex<Vec<(String, String)>>>) -> String {
    use axum::extract::Request;
    let app = axum::Router::new().fallback(move |request: Request| {
        let seen = seen.clone();
        async move {
            let (parts, _) = request.into_parts();
            let header = |name: &str| {
                parts
                    .headers
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default()
            };
            let authorization = header("authorization");
            let access = ipd_testkit::signature::parse_authorization(&authorization)
                .map(|p| p.access_key)
                .unwrap_or_default();
            let n = access.trim_start_matches("TEMPAK").to_string();
            let keys = ipd_emulator::gateway::Keys {
                access_key: access.clone(),
                secret_key: format!("temp-secret-{n}"),
                token: None,
            };
            let received = ipd_emulator::gateway::Received {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                query: parts.uri.query(),
                headers: &parts.headers,
                body_sha256: None,
            };
            if ipd_emulator::gateway::verify(&keys, &received, std::time::SystemTime::now())
                .is_err()
            {
                return (axum::http::StatusCode::UNAUTHORIZED, String::new());
            }
            seen.lock()
                .unwrap()
                .push((access, header("x-security-token")));
            (axum::http::StatusCode::OK, OK_LABELS.to_string())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn ecs_metadata_credentials_are_fetched_used_and_refreshed_before_they_expire() {
    let metadata = Arc::new(Mutex::new(Metadata::default()));
    let metadata_url = metadata_service(metadata.clone()).await;
    let seen = Arc::default();
    let service = signed_service(Arc::clone(&seen)).await;
    let client = Client::builder()
        .endpoint(service)
        .credentials_provider(EcsMetadataProvider::new().with_endpoint(&metadata_url))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    list_labels(&client).await.unwrap();
    list_labels(&client).await.unwrap();
    // The first pair now expires within the refresh window.
    tokio::time::sleep(Duration::from_secs(4)).await;
    list_labels(&client).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            ("TEMPAK1".to_string(), "security-token-1".to_string()),
            ("TEMPAK1".to_string(), "security-token-1".to_string()),
            ("TEMPAK2".to_string(), "security-token-2".to_string()),
        ],
        "cached between calls, refreshed before expiry, every call signed and sent with its token"
    );
    let metadata = metadata.lock().unwrap();
    assert_eq!(metadata.handed_out, 2);
    let session = Some("session-token-1".to_string());
    assert_eq!(
        metadata.requests,
        [
            (
                "PUT".to_string(),
                "/meta-data/latest/api/token".to_string(),
                None
            ),
            (
                "GET".to_string(),
                "/openstack/latest/securitykey".to_string(),
                session.clone()
            ),
            (
                "GET".to_string(),
                "/openstack/latest/securitykey".to_string(),
                session
            ),
        ]
    );
}

#[tokio::test]
async fn without_a_metadata_service_the_first_call_says_where_it_looked() {
    // Nothing listens there: the provider's error names the sources tried,
    // and no secret.
    let client = Client::builder()
        .endpoint("http://127.0.0.1:9")
        .credentials_provider(EcsMetadataProvider::new().with_endpoint("http://127.0.0.1:9"))
        .build()
        .unwrap();
    let error = list_labels(&client).await.unwrap_err();
    assert!(matches!(error, ApiError::Credentials(_)), "{error:?}");
    assert!(
        error.to_string().contains("ECS metadata service"),
        "{error}"
    );
}

/// A metadata service whose security key never ends (a chunked body that
/// keeps coming): the provider stops reading past a few KiB and says so;
/// memory does not grow with what the service sends.
#[tokio::test]
async fn an_endless_metadata_answer_is_cut_off_and_refused() {
    use ipd_testkit::faults::{ScriptedServer, Step};
    // A session token first, then the endless key, for each connection.
    let token = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\ntoken".to_vec();
    let endless = vec![
        Step::Send(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec()),
        Step::Repeat(b"4000\r\n".iter().copied().chain(std::iter::repeat_n(b'x', 0x4000)).chain(*b"\r\n").collect(), Duration::from_millis(1)),
    ];
    let server = ScriptedServer::start_sequence(vec![vec![Step::Send(token)], endless])
        .await
        .unwrap();
    let client = Client::builder()
        .endpoint("http://127.0.0.1:9")
        .credentials_provider(EcsMetadataProvider::new().with_endpoint(server.url()))
        .build()
        .unwrap();
    let error = list_labels(&client).await.unwrap_err();
    assert!(matches!(error, ApiError::Credentials(_)), "{error:?}");
    assert!(
        error.to_string().contains("larger than 16384 bytes"),
        "{error}"
    );
}

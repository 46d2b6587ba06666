//! A corpus of misbehaving servers, each scripted byte by byte, and what
//! the client must do against each: never follow a redirect (so credentials
//! never leave the endpoint), never read a body past its bound, never run
//! past its deadline, and never let service text drive a terminal.

use crate::common;

use std::time::{Duration, Instant};

use codearts_req::{ApiError, Client, Credentials, RetryPolicy};
use ipd_testkit::faults::{ScriptedServer, Step};

/// Small enough to exceed quickly, large enough for honest answers.
const MAX_BODY: usize = 64 * 1024;
/// The deadline every case runs under.
const DEADLINE: Duration = Duration::from_secs(2);

fn client(url: &str) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(
            Credentials::new(common::AK, common::SK)
                .with_project_id("0123456789abcdef0123456789abcdef")
                .with_security_token("session-token-never-to-leak"),
        )
        .retry(RetryPolicy::none())
        .max_response_body(MAX_BODY)
        .deadline(DEADLINE)
        .read_timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn head(status: &str, headers: &[&str]) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status}\r\n");
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.into_bytes()
}

fn json(status: &str, body: &str) -> Vec<u8> {
    let mut bytes = head(
        status,
        &[
            "content-type: application/json",
            &format!("content-length: {}", body.len()),
            "x-request-id: req-1",
        ],
    );
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

fn send(bytes: Vec<u8>) -> Step {
    Step::Send(bytes)
}

/// What a case must end in.
enum Expect {
    Redirect,
    TooLarge,
    Deadline,
    InvalidPayload,
    Connection,
    /// A service error whose message shows no raw control character.
    ServiceEscaped,
    /// An error with the status (its body cut at 64 KiB is not JSON).
    ErrorStatus,
    Ok,
}

fn corpus(other_origin: &str) -> Vec<(&'static str, Vec<Step>, Expect)> {
    let location = |status: &str| {
        send(head(
            status,
            &[
                &format!("location: {other_origin}/steal"),
                "content-length: 0",
            ],
        ))
    };
    let chunked_forever = vec![
        send(head(
            "200 OK",
            &[
                "content-type: application/json",
                "transfer-encoding: chunked",
            ],
        )),
        send(b"1\r\n[\r\n".to_vec()),
        Step::Repeat(
            b"4000\r\n"
                .iter()
                .chain([b' '; 0x4000].iter())
                .chain(b"\r\n")
                .copied()
                .collect(),
            Duration::ZERO,
        ),
    ];
    let drip = |status: &str| {
        vec![
            send(head(
                status,
                &["content-type: application/json", "content-length: 100000"],
            )),
            Step::Repeat(b" ".to_vec(), Duration::from_millis(300)),
        ]
    };
    let escapes = "{\"error_code\":\"E\\u001b[2J\",\"error_msg\":\"ok\\r\\nerror: forged line\\u001b]0;title\\u0007\"}";
    vec![
        (
            "302 to another origin",
            vec![location("302 Found")],
            Expect::Redirect,
        ),
        (
            "301 to another origin",
            vec![location("301 Moved Permanently")],
            Expect::Redirect,
        ),
        (
            "303 to another origin",
            vec![location("303 See Other")],
            Expect::Redirect,
        ),
        (
            "307 to another origin",
            vec![location("307 Temporary Redirect")],
            Expect::Redirect,
        ),
        (
            "308 to another origin",
            vec![location("308 Permanent Redirect")],
            Expect::Redirect,
        ),
        (
            // hyper refuses a header value with a control character.
            "302 with a control character in Location",
            vec![send(head(
                "302 Found",
                &["location: http://x/\u{1b}[31mred", "content-length: 0"],
            ))],
            Expect::Connection,
        ),
        (
            "302 with non-ASCII in Location",
            vec![send(head(
                "302 Found",
                &["location: http://x/é", "content-length: 0"],
            ))],
            Expect::Redirect,
        ),
        (
            "302 without Location",
            vec![send(head("302 Found", &["content-length: 0"]))],
            Expect::Redirect,
        ),
        ("endless chunked 200", chunked_forever, Expect::TooLarge),
        (
            "200 announcing a huge Content-Length",
            vec![
                send(head(
                    "200 OK",
                    &[
                        "content-type: application/json",
                        "content-length: 10000000000",
                    ],
                )),
                Step::Repeat(vec![b' '; 16 * 1024], Duration::ZERO),
            ],
            Expect::TooLarge,
        ),
        (
            "200 one byte every 300 ms",
            drip("200 OK"),
            Expect::Deadline,
        ),
        (
            "400 one byte every 300 ms",
            drip("400 Bad Request"),
            Expect::Deadline,
        ),
        (
            "500 one byte every 300 ms",
            drip("500 Internal Server Error"),
            Expect::Deadline,
        ),
        (
            "headers never finished",
            vec![
                send(b"HTTP/1.1 200 OK\r\n".to_vec()),
                Step::Repeat(b"x-a: b\r\n".to_vec(), Duration::from_millis(300)),
            ],
            Expect::Deadline,
        ),
        (
            "no answer at all",
            vec![Step::Sleep(Duration::from_secs(60))],
            Expect::Deadline,
        ),
        (
            "200 that is not JSON",
            vec![send(json("200 OK", "<html>hello</html>"))],
            Expect::InvalidPayload,
        ),
        (
            "200 with JSON of the wrong shape",
            vec![send(json("200 OK", "{\"result\": 5}"))],
            Expect::InvalidPayload,
        ),
        (
            "200 cut before its Content-Length",
            vec![
                send(head(
                    "200 OK",
                    &["content-type: application/json", "content-length: 1000"],
                )),
                send(b"{\"status\":".to_vec()),
            ],
            Expect::Connection,
        ),
        (
            "not HTTP at all",
            vec![send(b"SSH-2.0-OpenSSH\r\n".to_vec())],
            Expect::Connection,
        ),
        ("connection closed at once", vec![], Expect::Connection),
        (
            "400 with escapes in its message",
            vec![send(json("400 Bad Request", escapes))],
            Expect::ServiceEscaped,
        ),
        (
            "500 with escapes in its message",
            vec![send(json("500 Internal Server Error", escapes))],
            Expect::ServiceEscaped,
        ),
        (
            "403 with escapes in its message",
            vec![send(json("403 Forbidden", escapes))],
            Expect::ServiceEscaped,
        ),
        (
            "400 with a 10 MiB body",
            vec![send(json(
                "400 Bad Request",
                &format!(
                    "{{\"error_code\":\"E\",\"pad\":\"{}\"}}",
                    "x".repeat(10 << 20)
                ),
            ))],
            Expect::ErrorStatus,
        ),
        (
            "200 just under the body limit",
            vec![send(json(
                "200 OK",
                &format!("{{\"message\":\"{}\"}}", "x".repeat(MAX_BODY - 20)),
            ))],
            Expect::Ok,
        ),
        (
            "200 just over the body limit",
            vec![send(json(
                "200 OK",
                &format!("{{\"message\":\"{}\"}}", "x".repeat(MAX_BODY)),
            ))],
            Expect::TooLarge,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_server_gets_the_expected_outcome() {
    // The origin a redirect points at: it must never be contacted.
    let elsewhere = ScriptedServer::start(vec![send(json("200 OK", "{}"))])
        .await
        .unwrap();
    let cases = corpus(&elsewhere.url());
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for (name, script, expect) in cases {
        let server = ScriptedServer::start(script).await.unwrap();
        let client = client(&server.url());
        let started = Instant::now();
        let result = client
            .show_ipd_attachment_by_work_item_id()
            .project_id(common::PROJECT)
            .issue_id(common::ISSUE)
            .send()
            .await;
        let took = started.elapsed();
        let ok = match (&expect, &result) {
            (Expect::Redirect, Err(ApiError::Redirect { location, .. })) => {
                location.as_deref().is_none_or(|l| !l.contains('\u{1b}'))
            }
            (Expect::TooLarge, Err(ApiError::BodyTooLarge { .. })) => true,
            (Expect::Deadline, Err(ApiError::DeadlineExceeded(_))) => true,
            (Expect::InvalidPayload, Err(ApiError::InvalidPayload { .. })) => true,
            (Expect::Connection, Err(ApiError::Connection(_))) => true,
            (
                Expect::ServiceEscaped,
                Err(e @ (ApiError::ClientRequest(_) | ApiError::ServerResponse(_))),
            ) => {
                let text = e.to_string();
                !text.chars().any(char::is_control)
            }
            (Expect::ErrorStatus, Err(e)) => e.status().is_some(),
            (Expect::Ok, Ok(_)) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!("{name}: {:?}", result.as_ref().map(|r| r.status())));
        }
        // A call that outlives its deadline by ten seconds hangs: this is a
        // hang check, not a speed check.
        if took > DEADLINE + Duration::from_secs(10) {
            failures.push(format!("{name}: hangs past its deadline ({took:?})"));
        }
        if let Err(e) = &result {
            for secret in [common::SK, "session-token-never-to-leak"] {
                if e.to_string().contains(secret) || format!("{e:?}").contains(secret) {
                    failures.push(format!("{name}: the error shows a secret"));
                }
            }
        }
    }
    assert!(elsewhere.requests().is_empty(), "a redirect was followed");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirected_upload_is_an_error_and_sends_nothing_elsewhere() {
    let elsewhere = ScriptedServer::start(vec![send(json("200 OK", "{}"))])
        .await
        .unwrap();
    let server = ScriptedServer::start(vec![send(head(
        "307 Temporary Redirect",
        &[
            &format!("location: {}/upload", elsewhere.url()),
            "content-length: 0",
        ],
    ))])
    .await
    .unwrap();
    let error = common::upload(
        &client(&server.url()),
        common::ISSUE,
        codearts_req::FilePart::from_bytes("a.txt", "secret contents"),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, ApiError::Redirect { .. }), "{error:?}");
    assert!(error.to_string().contains("/upload"), "{error}");
    assert!(elsewhere.requests().is_empty());
}

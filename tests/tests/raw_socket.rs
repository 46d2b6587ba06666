//! Raw-socket attacks on the emulator: slow or endless headers, bodies
//! shorter than announced, cut or stalled, malformed framing. For each, the
//! emulator answers an error or closes the connection within its timeouts,
//! stores nothing, and keeps serving.

use crate::common;

use std::time::{Duration, SystemTime};

use codearts_req::{Credentials, FilePart};
use common::*;
use ipd_emulator::{Config, Emulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SHORT: Duration = Duration::from_secs(1);

async fn emulator(dir: &std::path::Path) -> Emulator {
    let mut config = Config::new(AK, SK, dir.join("data"));
    config.header_read_timeout = SHORT;
    config.body_idle_timeout = SHORT;
    Emulator::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

/// A signed upload request head announcing `length` body bytes, signed
/// with an unsigned payload as the SDKs sign streamed uploads.
fn signed_head(host: &str, length: usize) -> String {
    let path =
        format!("/v1/ipdprojectservice/projects/{PROJECT}/issues/{ISSUE}/attachments/upload");
    signed_head_for(host, &path, "multipart/form-data; boundary=B", length, true)
}

/// A signed POST head for `path` (with its query) announcing `length`
/// body bytes: with an unsigned payload as streamed uploads are signed, or
/// with the hash of an empty body, which the gateway then reads to check.
fn signed_head_for(
    host: &str,
    path: &str,
    content_type: &str,
    length: usize,
    streamed: bool,
) -> String {
    codearts_req::install_default_tls_provider();
    let builder = reqwest::Client::new()
        .post(format!("http://{host}{path}"))
        .header("content-type", content_type);
    let builder = if streamed {
        let stream = futures_util::stream::empty::<Result<Vec<u8>, std::io::Error>>();
        builder.body(reqwest::Body::wrap_stream(stream))
    } else {
        builder.body(Vec::new())
    };
    let mut request = builder.build().unwrap();
    codearts_req_runtime::sign_request(&mut request, &Credentials::new(AK, SK), SystemTime::now())
        .unwrap();
    let mut head = format!("POST {path} HTTP/1.1\r\n");
    for (name, value) in request
        .headers()
        .iter()
        .filter(|(name, _)| *name != "content-length")
    {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str(&format!("content-length: {length}\r\n\r\n"));
    head
}

fn multipart(file: &[u8]) -> Vec<u8> {
    multipart_field("attachment", file)
}

fn multipart_field(name: &str, file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--B\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"f.bin\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(b"\r\n--B--\r\n");
    body
}

/// What a raw exchange does after writing its bytes.
#[derive(Clone, Copy)]
enum Then {
    /// Keeps the connection open, waiting for an answer.
    Wait,
    /// Closes its sending side.
    Close,
    /// Sends one byte every 300 ms, forever.
    Dribble,
}

/// How an attack ended.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// The emulator answered with this status.
    Answered(u16),
    /// It closed the connection without an answer.
    Closed,
    /// After 10 s (ten times its timeouts) it still held the connection
    /// open without answering: a hang, whatever the machine's speed.
    StillOpen,
}

/// Plays one attack.
async fn attack(addr: std::net::SocketAddr, bytes: Vec<u8>, then: Then) -> Outcome {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let _ = write.write_all(&bytes).await;
    let writer = tokio::spawn(async move {
        match then {
            Then::Wait => tokio::time::sleep(Duration::from_secs(30)).await,
            Then::Close => {
                let _ = write.shutdown().await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            Then::Dribble => loop {
                if write.write_all(b"x").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            },
        }
    });
    // Reads until the answer's head is in, or the server closes.
    let mut answer = Vec::new();
    let read_head = async {
        let mut chunk = [0u8; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match read.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let finished = tokio::time::timeout(Duration::from_secs(10), read_head).await;
    writer.abort();
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    match (status, finished) {
        (Some(code), _) => Outcome::Answered(code),
        (None, Ok(())) => Outcome::Closed,
        (None, Err(_)) => Outcome::StillOpen,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_raw_socket_attack_fails_safely() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator(dir.path()).await;
    let addr = emulator.addr();
    let host = addr.to_string();
    let body = multipart(b"hello");
    let with = |head: String, body: &[u8]| [head.into_bytes(), body.to_vec()].concat();
    // Operations served by the generic machinery read their whole body.
    let images = format!("/v2/ipdprojectservice/projects/{PROJECT}/images?issue_id={ISSUE}");
    let image = multipart_field("file", b"\x89PNG");
    let image_head = |length| {
        signed_head_for(
            &host,
            &images,
            "multipart/form-data; boundary=B",
            length,
            true,
        )
    };
    let labels = format!("/v1/ipdprojectservice/projects/{PROJECT}/tags");
    let label_head = |length| signed_head_for(&host, &labels, "application/json", length, false);
    let cases: Vec<(&str, Vec<u8>, Then)> = vec![
        ("request head dribbled forever", b"POST /v1 HTTP/1.1\r\nHost: a\r\n".to_vec(), Then::Dribble),
        ("request line never finished", b"POST /v1/ipdproject".to_vec(), Then::Wait),
        ("nothing sent at all", Vec::new(), Then::Wait),
        ("complete form, body shorter than Content-Length, then closed", with(signed_head(&host, body.len() + 100), &body), Then::Close),
        ("complete form, body shorter than Content-Length, then silence", with(signed_head(&host, body.len() + 100), &body), Then::Wait),
        ("body cut inside the file, then closed", with(signed_head(&host, body.len()), &body[..body.len() - 12]), Then::Close),
        ("body cut inside the file, then silence", with(signed_head(&host, body.len()), &body[..body.len() - 12]), Then::Wait),
        ("body dribbled after its head", with(signed_head(&host, 100_000), &body[..40]), Then::Dribble),
        ("head only, no body, then closed", signed_head(&host, body.len()).into_bytes(), Then::Close),
        ("unsigned upload", with(format!("POST /v1/ipdprojectservice/projects/p/issues/i/attachments/upload HTTP/1.1\r\nHost: {host}\r\ncontent-type: multipart/form-data; boundary=B\r\ncontent-length: {}\r\n\r\n", body.len()), &body), Then::Wait),
        ("garbage request line", b"GARBAGE\r\n\r\n".to_vec(), Then::Wait),
        ("binary noise", (0..=255u8).cycle().take(4096).collect(), Then::Close),
        ("Content-Length that is not a number", b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n".to_vec(), Then::Wait),
        ("two different Content-Lengths", b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello".to_vec(), Then::Wait),
        ("Content-Length and chunked together", b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(), Then::Wait),
        ("a 200 KB header", format!("GET /x HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n", "a".repeat(200_000)).into_bytes(), Then::Wait),
        ("a thousand headers", format!("GET /x HTTP/1.1\r\nHost: a\r\n{}\r\n", (0..1000).map(|i| format!("X-{i}: v\r\n")).collect::<String>()).into_bytes(), Then::Wait),
        ("a 100 KB path", format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(100_000)).into_bytes(), Then::Wait),
        ("a NUL in the path", b"GET /v1/\0 HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(), Then::Wait),
        ("HTTP/2 preface on an HTTP/1 port", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), Then::Wait),
        ("Expect: 100-continue, then no body", signed_head(&host, 1000).replace("\r\n\r\n", "\r\nexpect: 100-continue\r\n\r\n").into_bytes(), Then::Wait),
        ("image form dribbled after its head (generic operation)", with(image_head(100_000), &image[..20]), Then::Dribble),
        ("image form shorter than Content-Length, then silence (generic operation)", with(image_head(image.len() + 50), &image), Then::Wait),
        ("signed JSON body dribbled (read to check its hash)", with(label_head(10_000), b"{\"title\""), Then::Dribble),
        ("signed JSON body shorter than Content-Length, then silence", with(label_head(500), b"{}"), Then::Wait),
        ("chunked body that never ends its chunk", with(signed_head(&host, 0).replace("content-length: 0", "transfer-encoding: chunked"), b"ffff\r\n--B\r\n"), Then::Wait),
    ];
    assert!(cases.len() >= 20);
    let outcomes = futures_util::future::join_all(
        cases
            .iter()
            .map(|(_, bytes, then)| attack(addr, bytes.clone(), *then)),
    )
    .await;
    let mut wrong = Vec::new();
    for ((name, _, _), outcome) in cases.iter().zip(&outcomes) {
        match outcome {
            Outcome::Answered(code) if (200..300).contains(code) => {
                wrong.push(format!("{name}: answered {code}"))
            }
            Outcome::StillOpen => wrong.push(format!("{name}: the connection hangs")),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        emulator.attachments().is_empty(),
        "an incomplete upload was stored"
    );
    let images = std::fs::read_dir(dir.path().join("data/images"))
        .unwrap()
        .count();
    assert_eq!(images, 0, "an incomplete image was stored");
    // And the emulator still serves an honest client.
    let client = client(&emulator.url(), codearts_req::RetryPolicy::none());
    upload(&client, ISSUE, FilePart::from_bytes("ok.txt", "fine"))
        .await
        .unwrap();
    assert_eq!(emulator.attachments().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_dribbling_clients_are_all_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = emulator(dir.path()).await;
    let addr = emulator.addr();
    let outcomes = futures_util::future::join_all((0..50).map(|_| {
        attack(
            addr,
            b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec(),
            Then::Dribble,
        )
    }))
    .await;
    assert!(
        outcomes.iter().all(|o| *o != Outcome::StillOpen),
        "{outcomes:?}"
    );
}

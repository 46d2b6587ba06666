//! The `ipd-emulator` binary: its start-up line, clean stops, and a data
//! directory that survives restarts.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use codearts_req::{Client, Credentials, FilePart, RetryPolicy};

// The emulator's own tests use the client, not the workspace's test kit,
// which depends on the emulator: no crate depends on itself, even through
// dev-dependencies.
const AK: &str = "EMULATORAK0000000001";
const SK: &str = "emulator-secret-key-do-not-use-for-real";
const PROJECT: &str = "gdbdf969b32694524a949b5ef6b3e124a";
const ISSUE: &str = "956239067176935400";

fn client(url: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(Credentials::new(AK, SK))
        .retry(retry)
        .build()
        .unwrap()
}

async fn upload(
    client: &Client,
    issue: &str,
    part: FilePart,
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

fn spawn(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipd-emulator"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--access-key",
            AK,
            "--secret-key",
            SK,
            "--data-dir",
        ])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    (child, url)
}

fn stop(mut child: Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{signal} stopped it with {exit}");
}

#[tokio::test]
async fn stops_cleanly_and_keeps_attachments_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let (child, url) = spawn(&data);
    let client = client(&url, RetryPolicy::none());
    let uploaded = upload(&client, ISSUE, FilePart::from_bytes("kept.txt", "kept"))
        .await
        .unwrap()
        .into_inner();
    let id = uploaded.result.unwrap()[0].id.clone().unwrap();
    stop(child, "-INT");

    let (child, url) = spawn(&data);
    codearts_req::install_default_tls_provider();
    let client = reqwest::Client::new();
    // Unauthenticated requests are refused, with a JSON error.
    let refused = client
        .get(format!(
            "{url}/v1/ipdprojectservice/projects/{PROJECT}/attachments?issue_id={ISSUE}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().contains_key("x-request-id"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error_code"], "APIGW.0301");
    stop(child, "-TERM");

    // The row is in the store, the bytes beside it.
    assert!(data.join(ipd_emulator::store::DATABASE).is_file());
    let contents = std::fs::read_dir(data.join("attachments"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "bin"))
        .count();
    assert_eq!(contents, 1);
    let setup_again = ipd_emulator::Emulator::start(
        "127.0.0.1:0".parse().unwrap(),
        ipd_emulator::Config::new(AK, SK, &data),
    )
    .await
    .unwrap();
    assert_eq!(setup_again.attachments()[0].id, id);
}

#[test]
fn bad_arguments_are_reported_not_panicked() {
    let output = Command::new(env!("CARGO_BIN_EXE_ipd-emulator"))
        .args([
            "--access-key",
            "a",
            "--secret-key",
            "b",
            "--data-dir",
            "/tmp/x",
            "--deleted-issue",
            "no-slash",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PROJECT_ID/ISSUE_ID"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Four clients write as fast as they can; the emulator is killed with
/// SIGKILL mid-stream. Restarted, it has every write it acknowledged,
/// whole, and the writes cut short are absent or whole too.
#[tokio::test]
async fn a_sigkill_mid_stream_loses_no_acknowledged_write() {
    use codearts_req::types::LabelColor;
    use std::sync::{Arc, Mutex};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (child, url) = spawn(&data);
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let client = client(&url, RetryPolicy::none());
            let acknowledged = acknowledged.clone();
            tokio::spawn(async move {
                for n in 0.. {
                    let title = format!("writer {writer} label {n}");
                    let sent = client
                        .create_ipd_label()
                        .project_id(PROJECT)
                        .title(title.clone())
                        .color(LabelColor::from("#F66F6A"))
                        .send()
                        .await;
                    // Once the emulator is gone, every call fails.
                    let Ok(created) = sent else { break };
                    let id = created.result()[0].id().unwrap().to_string();
                    acknowledged.lock().unwrap().push((id, title));
                }
            })
        })
        .collect();
    // Let the writes stream, then kill without warning.
    while acknowledged.lock().unwrap().len() < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let status = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut child = child;
    child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }

    let (child, url) = spawn(&data);
    let client = client(&url, RetryPolicy::none());
    let listed = client
        .list_ipd_labels()
        .project_id(PROJECT)
        .send()
        .await
        .unwrap()
        .into_inner();
    let stored: std::collections::BTreeMap<String, String> = listed
        .result()
        .unwrap()
        .data()
        .iter()
        .map(|l| (l.id().unwrap().to_string(), l.title().unwrap().to_string()))
        .collect();
    let acknowledged = acknowledged.lock().unwrap();
    assert!(acknowledged.len() >= 200);
    for (id, title) in acknowledged.iter() {
        assert_eq!(
            stored.get(id),
            Some(title),
            "acknowledged label {id} is kept whole"
        );
    }
    // At most one write per client was cut short, and those are whole if kept.
    assert!(stored.len() <= acknowledged.len() + 4);
    assert!(stored.values().all(|t| t.starts_with("writer ")));
    stop(child, "-TERM");
}

/// A SIGTERM at once after the "listening" line (before any request) stops
/// the emulator cleanly, every time: its handler is in place before the
/// line is printed.
#[test]
fn a_sigterm_right_after_start_exits_cleanly() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let (child, _) = spawn(&dir.path().join("data"));
        stop(child, "-TERM");
    }
}

/// A store that cannot be opened is reported before any "listening" line:
/// nothing says it is ready when it is not.
#[test]
fn a_start_up_error_comes_before_any_listening_line() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the data directory should be.
    let data = dir.path().join("data");
    std::fs::write(&data, "not a directory").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ipd-emulator"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--access-key",
            AK,
            "--secret-key",
            SK,
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!output.status.success(), "{output:?}");
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).starts_with("error:"),
        "{output:?}"
    );
}

//! Retries re-send the whole file; stalls end in a timeout, not a hang.

use crate::common;

use std::time::Duration;

use codearts_req::forms::CreateIpdProjectIssueAttachmentForm as Form;
use codearts_req::{ApiError, Credentials, FilePart, RetryPolicy};
use common::*;
use ipd_testkit::faults::{CuttingProxy, StallingServer};
use reqwest::StatusCode;

#[tokio::test]
async fn a_503_then_200_stores_the_complete_file_once() {
    let setup = start().await;
    setup
        .emulator
        .inject_statuses(&[StatusCode::SERVICE_UNAVAILABLE]);
    let path = setup.dir.path().join("retry.bin");
    write_file(&path, 3_000_000);
    let client = client(&setup.emulator.url(), RetryPolicy::default());
    let response = upload(&client, ISSUE, FilePart::from_path(&path).await.unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let stored = setup.emulator.attachments();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        sha256_file(&setup.emulator.content_path(&stored[0])),
        sha256_file(&path)
    );
    let uploads: Vec<_> = setup.emulator.recorded();
    assert_eq!(uploads.len(), 2, "one refused attempt, one stored");
    assert_eq!(
        uploads[0].headers["content-length"],
        uploads[1].headers["content-length"]
    );
}

#[tokio::test]
async fn without_retries_a_503_is_returned() {
    let setup = start().await;
    setup
        .emulator
        .inject_statuses(&[StatusCode::SERVICE_UNAVAILABLE]);
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let error = upload(&client, ISSUE, FilePart::from_bytes("a", "a"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(setup.emulator.attachments().is_empty());
}

/// An upload is not idempotent: a connection cut after its body started
/// may come after the service stored it, so it is reported, not sent again.
#[tokio::test]
async fn a_connection_cut_mid_upload_is_reported_not_retried() {
    let setup = start().await;
    let path = setup.dir.path().join("cut.bin");
    write_file(&path, 4_000_000);
    let proxy = CuttingProxy::start(setup.emulator.addr(), 1, 1_000_000)
        .await
        .unwrap();
    let with_retries = client(&proxy.url(), RetryPolicy::default());
    let error = upload(
        &with_retries,
        ISSUE,
        FilePart::from_path(&path).await.unwrap(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, ApiError::Connection(_)), "{error:?}");
    assert!(
        error.is_retryable(),
        "a caller may retry it, knowing the risk"
    );
    assert_eq!(proxy.cuts(), 1);
    assert_eq!(proxy.connections(), 1, "sent once, never again");
    assert!(setup.emulator.attachments().is_empty());
}

#[tokio::test]
async fn a_reader_upload_is_not_retried() {
    let setup = start().await;
    setup
        .emulator
        .inject_statuses(&[StatusCode::SERVICE_UNAVAILABLE]);
    let client = client(&setup.emulator.url(), RetryPolicy::default());
    let part = FilePart::from_reader("r.bin", &b"once"[..], 4);
    let error = upload(&client, ISSUE, part).await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(setup.emulator.recorded().len(), 1);
}

#[tokio::test]
async fn a_stalled_server_gives_a_read_timeout_not_a_hang() {
    let server = StallingServer::start().await.unwrap();
    let client = codearts_req::Client::builder()
        .endpoint(server.url())
        .credentials(Credentials::new(AK, SK))
        .read_timeout(Duration::from_millis(500))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let call = client
        .create_ipd_project_issue_attachment()
        .project_id(PROJECT)
        .issue_id(ISSUE)
        .body(Form::new(FilePart::from_bytes("s", "stall")))
        .send();
    // The guard only turns a hang into a failure; nothing here measures time.
    let result = tokio::time::timeout(Duration::from_secs(60), call)
        .await
        .expect("the client hung");
    let error = result.unwrap_err();
    assert!(matches!(error, ApiError::Timeout(_)), "{error:?}");
}

//! Upload, list and download, end to end, through the generated client.

use crate::common;

use codearts_req::{ApiError, FilePart, RetryPolicy, SaveToFile};
use common::*;
use ipd_testkit::faults::{CuttingProxy, Direction};
use reqwest::StatusCode;

#[tokio::test]
async fn a_64_mib_file_uploads_lists_and_downloads_with_the_same_sha256() {
    let setup = start().await;
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let path = setup.dir.path().join("big report.bin");
    write_file(&path, 64 * 1024 * 1024);
    let uploaded = upload(&client, ISSUE, FilePart::from_path(&path).await.unwrap())
        .await
        .unwrap()
        .into_inner();
    let id = uploaded.result.unwrap()[0].id.clone().unwrap();

    let listed = client
        .show_ipd_attachment_by_work_item_id()
        .project_id(PROJECT)
        .issue_id(ISSUE)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.status(),
        Some(&codearts_req::types::ResponseStatus::Success)
    );
    let listed = listed.result.unwrap();
    assert_eq!(listed.len(), 1);
    let entry = &listed[0];
    assert_eq!(entry.id.as_deref(), Some(id.as_str()));
    assert_eq!(entry.file_size(), Some(67_108_864));
    assert_eq!(entry.store_filename.as_deref(), Some("big report.bin"));
    let created = entry.created_date().unwrap();
    assert!(created > 1_600_000_000_000, "epoch milliseconds");
    assert_eq!(
        entry.created_by.as_ref().unwrap().nick_name.as_deref(),
        Some("emulator")
    );

    let target = setup.dir.path().join("out/downloaded.bin");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let progress = std::sync::atomic::AtomicU64::new(0);
    let saved = client
        .download_ipd_issue_attachment()
        .project_id(PROJECT)
        .id(&id)
        .send()
        .await
        .unwrap()
        .save_to(&target, |n| {
            progress.store(n, std::sync::atomic::Ordering::Relaxed)
        })
        .await
        .unwrap();
    assert_eq!(saved, 64 * 1024 * 1024);
    assert_eq!(progress.into_inner(), saved);
    assert_eq!(sha256_file(&target), sha256_file(&path));
    assert_eq!(
        std::fs::read_dir(target.parent().unwrap()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[tokio::test]
async fn a_work_item_without_attachments_lists_empty() {
    let setup = start().await;
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    upload(&client, "other-issue", FilePart::from_bytes("a", "a"))
        .await
        .unwrap();
    let listed = client
        .show_ipd_attachment_by_work_item_id()
        .project_id(PROJECT)
        .issue_id(ISSUE)
        .source_project_id(PROJECT)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.result, Some(vec![]));
    let recorded = setup.emulator.recorded().pop().unwrap();
    assert_eq!(
        recorded.uri,
        format!(
            "/v1/ipdprojectservice/projects/{PROJECT}/attachments?issue_id={ISSUE}&source_project_id={PROJECT}"
        )
    );
}

#[tokio::test]
async fn downloading_an_unknown_attachment_is_a_typed_4xx() {
    let setup = start().await;
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let Err(error) = client
        .download_ipd_issue_attachment()
        .project_id(PROJECT)
        .id("404404")
        .send()
        .await
    else {
        panic!("an unknown attachment downloaded");
    };
    assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(error.error_code(), Some("PM.02175146"));
    assert!(error.request_id().is_some());
}

#[tokio::test]
async fn a_broken_download_leaves_no_file_under_the_final_name() {
    let setup = start().await;
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let path = setup.dir.path().join("src.bin");
    write_file(&path, 3_000_000);
    let uploaded = upload(&client, ISSUE, FilePart::from_path(&path).await.unwrap())
        .await
        .unwrap()
        .into_inner();
    let id = uploaded.result.unwrap()[0].id.clone().unwrap();

    let proxy =
        CuttingProxy::start_cutting(setup.emulator.addr(), 1, 1_000_000, Direction::Response)
            .await
            .unwrap();
    let through_proxy = common::client(&proxy.url(), RetryPolicy::none());
    let dir = setup.dir.path().join("downloads");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("keep.bin"), "previous content").unwrap();
    let response = through_proxy
        .download_ipd_issue_attachment()
        .project_id(PROJECT)
        .id(&id)
        .send()
        .await
        .unwrap();
    let error = response
        .save_to(dir.join("keep.bin"), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(error, ApiError::Connection(_) | ApiError::Write(_)),
        "{error:?}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("keep.bin")).unwrap(),
        "previous content"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "the partial file was removed"
    );

    // A target in a missing directory is an error naming the path.
    let missing = setup.dir.path().join("no/such/dir/x.bin");
    let error = client
        .download_ipd_issue_attachment()
        .project_id(PROJECT)
        .id(&id)
        .send()
        .await
        .unwrap()
        .save_to(&missing, |_| {})
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no/such/dir/x.bin"), "{error}");
}

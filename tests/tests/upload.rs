//! The generated client against the emulator, over real HTTP with real
//! signatures.

use crate::common;

use codearts_req::{ApiError, Credentials, FilePart, RetryPolicy};
use common::*;
use reqwest::StatusCode;

async fn upload_and_check(setup: &Setup, name: &str, len: usize) {
    let path = setup.dir.path().join(name);
    write_file(&path, len);
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let part = FilePart::from_path(&path).await.unwrap();
    let response = upload(&client, ISSUE, part).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_inner();
    assert_eq!(
        body.status(),
        Some(&codearts_req::types::ResponseStatus::Success)
    );
    let result = body.result.unwrap();
    let uploaded = &result[0];
    assert_eq!(uploaded.filesize.map(|s| *s), Some(len as i64));
    assert_eq!(uploaded.store_filename.as_deref(), Some(name));
    assert_eq!(uploaded.workitem_id.as_deref(), Some(ISSUE));
    let stored = setup
        .emulator
        .attachments()
        .into_iter()
        .find(|a| Some(&a.id) == uploaded.id.as_ref())
        .expect("stored");
    assert_eq!(stored.size, len as u64);
    assert_eq!(
        sha256_file(&setup.emulator.content_path(&stored)),
        sha256_file(&path)
    );
}

#[tokio::test]
async fn empty_small_large_and_non_ascii_files_are_stored_intact() {
    let setup = start().await;
    upload_and_check(&setup, "empty.bin", 0).await;
    upload_and_check(&setup, "small.txt", 1234).await;
    upload_and_check(&setup, "large.bin", 64 * 1024 * 1024).await;
    upload_and_check(&setup, "设计 文档 ü.pdf", 4096).await;
}

#[tokio::test]
async fn thirty_two_concurrent_uploads_are_all_stored_intact() {
    let setup = start().await;
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let mut tasks = Vec::new();
    for i in 0..32 {
        let path = setup.dir.path().join(format!("file-{i}.bin"));
        write_file(&path, 10_000 + i * 4099);
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let part = FilePart::from_path(&path).await.unwrap();
            let r = upload(&client, &format!("issue-{i}"), part).await.unwrap();
            (path, r.into_inner().result.unwrap()[0].id.clone().unwrap())
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let (path, id) = task.await.unwrap();
        let stored = setup
            .emulator
            .attachments()
            .into_iter()
            .find(|a| a.id == id)
            .unwrap();
        assert_eq!(
            sha256_file(&setup.emulator.content_path(&stored)),
            sha256_file(&path)
        );
        assert!(ids.insert(id));
    }
    assert_eq!(setup.emulator.attachments().len(), 32);
}

#[tokio::test]
async fn bytes_and_reader_sources_upload() {
    let setup = start().await;
    let client = client(&setup.emulator.url(), RetryPolicy::default());
    let from_bytes = FilePart::from_bytes("a.txt", "hello bytes");
    upload(&client, ISSUE, from_bytes).await.unwrap();
    let from_reader = FilePart::from_reader("b.txt", &b"hello reader"[..], 12);
    upload(&client, ISSUE, from_reader.clone()).await.unwrap();
    let sizes: Vec<u64> = setup
        .emulator
        .attachments()
        .iter()
        .map(|a| a.size)
        .collect();
    assert_eq!(sizes, [11, 12]);
    // A reader is sent once; sending the same part again is a typed error.
    let again = upload(&client, ISSUE, from_reader).await;
    let error = again.unwrap_err();
    assert!(matches!(error, ApiError::InvalidRequest(_)), "{error:?}");
}

#[tokio::test]
async fn a_deleted_work_item_is_a_service_error_with_code_and_request_id() {
    let setup = start().await;
    setup.emulator.mark_deleted(PROJECT, ISSUE).unwrap();
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let error = upload(&client, ISSUE, FilePart::from_bytes("x", "x"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(error.error_code(), Some("PM.02175145"));
    assert_eq!(error.error_msg(), Some("The work item has been deleted."));
    let request_id = error.request_id().expect("X-Request-Id");
    assert_eq!(request_id.len(), 32);
    let shown = error.to_string();
    assert!(
        shown.contains("PM.02175145") && shown.contains(request_id),
        "{shown}"
    );
    assert!(setup.emulator.attachments().is_empty());
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_401() {
    let setup = start().await;
    let client = codearts_req::Client::builder()
        .endpoint(setup.emulator.url())
        .credentials(Credentials::new(AK, "not-the-secret"))
        .build()
        .unwrap();
    let error = upload(&client, ISSUE, FilePart::from_bytes("x", "x"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(error.error_code(), Some("APIGW.0301"));
    assert!(error.request_id().is_some());
    assert!(setup.emulator.attachments().is_empty());
}

#[tokio::test]
async fn token_authentication_needs_https_or_an_explicit_opt_in() {
    let setup = start().await;
    let refused = codearts_req::Client::builder()
        .endpoint(setup.emulator.url())
        .token("emulator-token", None)
        .build();
    assert!(matches!(
        refused,
        Err(codearts_req::BuildError::InsecureToken { .. })
    ));
    let client = codearts_req::Client::builder()
        .endpoint(setup.emulator.url())
        .token("emulator-token", Some("p".into()))
        .allow_token_over_http()
        .build()
        .unwrap();
    upload(&client, ISSUE, FilePart::from_bytes("t", "t"))
        .await
        .unwrap();
    let request = setup.emulator.recorded().pop().unwrap();
    assert!(request.headers.get("authorization").is_none());
    assert_eq!(request.headers["x-auth-token"], "emulator-token");
}

#[tokio::test]
async fn the_request_on_the_wire_matches_the_official_sdk() {
    let setup = start().await;
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let body = vec![7u8; 100_000];
    upload(&client, ISSUE, FilePart::from_bytes("demo.PNG", body))
        .await
        .unwrap();
    let recorded = setup.emulator.recorded().pop().unwrap();
    assert_eq!(
        recorded.uri,
        format!("/v1/ipdprojectservice/projects/{PROJECT}/issues/{ISSUE}/attachments/upload")
    );
    let h = &recorded.headers;
    let content_type = h["content-type"].to_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect(content_type);
    assert_eq!(boundary.len(), 32);
    assert_eq!(h["x-sdk-content-sha256"], "UNSIGNED-PAYLOAD");
    assert_eq!(h["x-project-id"], "0123456789abcdef0123456789abcdef");
    assert_eq!(
        h["host"].to_str().unwrap(),
        setup.emulator.addr().to_string()
    );
    assert!(
        h["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("codearts-req/")
    );
    assert!(
        h.get("transfer-encoding").is_none(),
        "chunked encoding was used"
    );
    let part_head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"demo.PNG\"\r\n\r\n"
    );
    let expected_length = part_head.len() + 100_000 + 2 + boundary.len() + 6;
    assert_eq!(h["content-length"], expected_length.to_string().as_str());
    let authorization = h["authorization"].to_str().unwrap();
    let parsed = ipd_testkit::signature::parse_authorization(authorization).unwrap();
    assert_eq!(parsed.algorithm, "SDK-HMAC-SHA256");
    assert_eq!(parsed.access_key, AK);
    assert!(
        !parsed
            .signed_headers
            .contains(&"content-length".to_string())
    );
    for name in [
        "host",
        "x-sdk-date",
        "content-type",
        "x-project-id",
        "x-sdk-content-sha256",
    ] {
        assert!(
            parsed.signed_headers.contains(&name.to_string()),
            "{name} not signed"
        );
    }
    assert_eq!(recorded.parts, Some(1));
}

#[tokio::test]
async fn an_interrupted_upload_leaves_no_attachment_behind() {
    let setup = start().await;
    let proxy = ipd_testkit::faults::CuttingProxy::start(setup.emulator.addr(), 1, 300_000)
        .await
        .unwrap();
    let client = client(&proxy.url(), RetryPolicy::none());
    let path = setup.dir.path().join("big.bin");
    write_file(&path, 2_000_000);
    let result = upload(&client, ISSUE, FilePart::from_path(&path).await.unwrap()).await;
    let error = result.unwrap_err();
    assert!(matches!(error, ApiError::Connection(_)), "{error:?}");
    assert_eq!(proxy.cuts(), 1);
    // The emulator notices the broken body in its own time; wait for its
    // handler to end (the bound only turns a hang into a failure).
    for _ in 0..1500 {
        if setup.emulator.finished_uploads() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(setup.emulator.finished_uploads(), 1);
    assert!(setup.emulator.attachments().is_empty());
    assert_eq!(common::uploads_in_flight(&setup.dir.path().join("data")), 0);
}

#[tokio::test]
async fn a_caller_supplied_http_client_is_used_as_it_is() {
    let setup = start().await;
    codearts_req::install_default_tls_provider();
    let http = reqwest::Client::builder()
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    let client = codearts_req::Client::builder()
        .endpoint(setup.emulator.url())
        .credentials(Credentials::new(AK, SK))
        .http_client(http)
        .build()
        .unwrap();
    upload(&client, ISSUE, FilePart::from_bytes("x", "x"))
        .await
        .unwrap();
    assert_eq!(
        setup.emulator.recorded()[0].headers["user-agent"],
        "my-app/1.0"
    );
}

#[tokio::test]
async fn hostile_file_names_are_escaped_and_never_used_as_paths() {
    let setup = start().await;
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let hostile = "../../etc/passwd\"\r\nX-Injected: 1; name=\"other";
    let uploaded = upload(&client, ISSUE, FilePart::from_bytes(hostile, "payload"))
        .await
        .unwrap()
        .into_inner();
    let stored_name = uploaded.result.unwrap()[0].store_filename.clone().unwrap();
    // The quote and the line break arrive escaped, as browsers send them.
    assert_eq!(
        stored_name,
        "../../etc/passwd%22%0D%0AX-Injected: 1; name=%22other"
    );
    let recorded = setup.emulator.recorded().pop().unwrap();
    assert_eq!(
        recorded.parts,
        Some(1),
        "the name did not forge a second part"
    );
    assert!(recorded.headers.get("x-injected").is_none());
    let stored = &setup.emulator.attachments()[0];
    assert!(
        setup
            .emulator
            .content_path(stored)
            .starts_with(setup.dir.path().join("data/attachments"))
    );
    assert_eq!(
        std::fs::read(setup.emulator.content_path(stored)).unwrap(),
        b"payload"
    );
}

/// A corpus of hostile file names: each is sent as one escaped part whose
/// name the service stores as text, never as a path, and never forges a
/// header or a second part; an empty name is refused.
#[tokio::test]
async fn a_corpus_of_hostile_file_names_never_escapes_its_part() {
    let setup = start().await;
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let long = "n".repeat(300);
    let names = [
        "../../etc/passwd",
        "/etc/shadow",
        "..",
        ".",
        "a\\b\\..\\..\\c",
        "a\"b",
        "a\r\nX-Injected: 1",
        "a\nContent-Type: text/html",
        "x\"; name=\"other\"; filename=\"y",
        "--boundary",
        "\r\n--B--\r\n",
        "名前.txt",
        "emoji😀.bin",
        "CON",
        "x\u{202e}gnp.exe",
        "\u{1b}[31mred",
        "a%22b%0D%0A",
        "tab\there",
        "semi;colon=1",
        long.as_str(),
        " leading and trailing ",
        "",
    ];
    let mut stored = 0;
    for name in names {
        let result = upload(&client, ISSUE, FilePart::from_bytes(name, "payload")).await;
        let recorded = setup.emulator.recorded().pop().unwrap();
        assert_eq!(recorded.parts, Some(1), "{name:?} forged a part");
        assert!(recorded.headers.get("x-injected").is_none(), "{name:?}");
        match result {
            Ok(response) => {
                stored += 1;
                let echoed = response.into_inner().result.unwrap()[0]
                    .store_filename
                    .clone()
                    .unwrap();
                assert!(
                    !echoed.contains(['\r', '\n', '"']),
                    "{name:?} -> {echoed:?}"
                );
            }
            Err(e) => assert!(name.is_empty(), "{name:?} was refused: {e}"),
        }
    }
    assert_eq!(stored, names.len() - 1);
    let data = setup.dir.path().join("data/attachments");
    for attachment in setup.emulator.attachments() {
        assert!(setup.emulator.content_path(&attachment).starts_with(&data));
    }
    assert!(!setup.dir.path().join("etc").exists());
}

/// The upload as a user writes it: the file part as a setter of the call,
/// streamed from disk, stored intact, and listed with accessors.
#[tokio::test]
async fn the_attachment_setter_uploads_a_file_from_disk() -> Result<(), Box<dyn std::error::Error>>
{
    let setup = start().await;
    let path = setup.dir.path().join("design.pdf");
    write_file(&path, 300_000);
    let client = client(&setup.emulator.url(), RetryPolicy::default());
    let uploaded = client
        .create_ipd_project_issue_attachment()
        .project_id(PROJECT)
        .issue_id(ISSUE)
        .attachment(FilePart::from_path(&path).await?)
        .send()
        .await?;
    let attachment = uploaded.result().first().expect("one attachment");
    assert_eq!(attachment.store_filename(), Some("design.pdf"));
    assert_eq!(attachment.filesize(), Some(300_000));
    let stored = setup.emulator.attachments();
    assert_eq!(
        sha256_file(&setup.emulator.content_path(&stored[0])),
        sha256_file(&path)
    );
    Ok(())
}

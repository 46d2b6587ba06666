//! Malformed requests get 4xx JSON errors, never a hang or a crash.

use crate::common;

use std::time::SystemTime;

use codearts_req::Credentials;
use common::*;
use reqwest::StatusCode;

/// Sends a signed request with an arbitrary body and content type.
async fn send(
    url: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    codearts_req::install_default_tls_provider();
    let http = reqwest::Client::new();
    let mut request = http
        .post(format!("{url}{path}"))
        .header("content-type", content_type)
        .header("content-length", body.len())
        .body(body)
        .build()
        .unwrap();
    codearts_req_runtime::sign_request(&mut request, &Credentials::new(AK, SK), SystemTime::now())
        .unwrap();
    let response = http.execute(request).await.unwrap();
    let status = response.status();
    assert!(response.headers().contains_key("x-request-id"));
    (status, response.json().await.unwrap())
}

fn upload_path() -> String {
    format!("/v1/ipdprojectservice/projects/{PROJECT}/issues/{ISSUE}/attachments/upload")
}

#[tokio::test]
async fn bodies_the_upload_cannot_use_are_refused_with_json_errors() {
    let setup = start().await;
    let url = setup.emulator.url();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("application/json", b"{}".to_vec(), "PM.02175001"),
        // Validated against the spec, which requires the part.
        ("multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--B--\r\n".to_vec(), "PM.02175001"),
        ("multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"b\"\r\n\r\ny\r\n--B--\r\n".to_vec(), "PM.02175002"),
        ("multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data; name=\"attachment\"\r\n\r\nx\r\n--B--\r\n".to_vec(), "PM.02175003"),
        ("multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a\"\r\n\r\ntruncated".to_vec(), "PM.02175001"),
        ("multipart/form-data; boundary=B", b"garbage".to_vec(), "PM.02175001"),
    ];
    for (content_type, body, code) in cases {
        let (status, json) = send(&url, &upload_path(), content_type, body).await;
        let expected = match content_type {
            "application/json" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        };
        assert_eq!(status, expected, "{code}: {json}");
        assert_eq!(json["error_code"], code, "{json}");
    }
    assert!(setup.emulator.attachments().is_empty());
}

#[tokio::test]
async fn attachments_over_the_limit_are_refused_and_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ipd_emulator::Config::new(AK, SK, dir.path());
    config.max_attachment = 1000;
    let emulator = ipd_emulator::Emulator::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let mut body =
        b"--B\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"big\"\r\n\r\n"
            .to_vec();
    body.extend(vec![b'x'; 1001]);
    body.extend(b"\r\n--B--\r\n");
    let (status, json) = send(
        &emulator.url(),
        &upload_path(),
        "multipart/form-data; boundary=B",
        body,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["error_code"], "PM.02175010");
    assert!(emulator.attachments().is_empty());
    assert_eq!(common::uploads_in_flight(dir.path()), 0);
}

#[tokio::test]
async fn stale_dates_and_bad_signatures_are_401() {
    let setup = start().await;
    codearts_req::install_default_tls_provider();
    let http = reqwest::Client::new();
    let url = format!(
        "{}/v1/ipdprojectservice/projects/{PROJECT}/attachments?issue_id={ISSUE}",
        setup.emulator.url()
    );
    let an_hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
    let mut stale = http.get(&url).build().unwrap();
    codearts_req_runtime::sign_request(&mut stale, &Credentials::new(AK, SK), an_hour_ago).unwrap();
    let response = http.execute(stale).await.unwrap();
    assert_eq!(response.status(), 401);
    let json: serde_json::Value = response.json().await.unwrap();
    assert!(
        json["error_msg"].as_str().unwrap().contains("X-Sdk-Date"),
        "{json}"
    );

    let mut tampered = http.get(&url).build().unwrap();
    codearts_req_runtime::sign_request(&mut tampered, &Credentials::new(AK, SK), SystemTime::now())
        .unwrap();
    tampered.url_mut().set_query(Some("issue_id=someone-else"));
    assert_eq!(http.execute(tampered).await.unwrap().status(), 401);

    let garbage = http
        .get(&url)
        .header("authorization", "SDK-HMAC-SHA256 nonsense")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 401);
}

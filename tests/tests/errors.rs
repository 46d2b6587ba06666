//! Each class of answer maps to the right `ApiError`, against a local HTTP
//! server that answers whatever the test asks.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use codearts_req::forms::CreateIpdProjectIssueAttachmentForm as Form;
use codearts_req::{ApiError, Client, Credentials, FilePart, RetryPolicy};

type Answer = (StatusCode, Vec<(&'static str, &'static str)>, String);

async fn server(answer: Answer) -> String {
    let answer = Arc::new(Mutex::new(answer));
    // Like a real server, it reads the whole request before answering.
    let app = Router::new().fallback(move |_request: axum::body::Bytes| {
        let (status, headers, body) = answer.lock().unwrap().clone();
        async move {
            let mut map = HeaderMap::new();
            for (k, v) in headers {
                map.insert(k, v.parse().unwrap());
            }
            (status, map, body).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn client(url: String) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(Credentials::new("AK", "SK"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// Uploads a small file and returns the failure.
async fn upload_with(client: &Client, part: FilePart) -> ApiError {
    let result = client
        .create_ipd_project_issue_attachment()
        .project_id("p")
        .issue_id("i")
        .body(Form::new(part))
        .send()
        .await;
    result.expect_err("the call should fail")
}

async fn upload(answer: Answer) -> ApiError {
    let client = client(server(answer).await);
    upload_with(&client, FilePart::from_bytes("f", "x")).await
}

const JSON: (&str, &str) = ("content-type", "application/json");
const REQUEST_ID: (&str, &str) = ("x-request-id", "req-123");

#[tokio::test]
async fn a_documented_error_is_a_service_error() {
    let e = upload((
        StatusCode::BAD_REQUEST,
        vec![JSON, REQUEST_ID],
        r#"{"error_code":"PM.1","error_msg":"bad"}"#.into(),
    ))
    .await;
    assert!(
        matches!(e, ApiError::ClientRequest(_) | ApiError::ServerResponse(_)),
        "{e:?}"
    );
    assert_eq!(
        (e.status(), e.error_code(), e.error_msg(), e.request_id()),
        (
            Some(StatusCode::BAD_REQUEST),
            Some("PM.1"),
            Some("bad"),
            Some("req-123")
        )
    );
    assert_eq!(
        e.to_string(),
        "the service answered 400 Bad Request: PM.1: bad (request id req-123)"
    );
}

#[tokio::test]
async fn an_undocumented_status_with_a_json_error_keeps_code_and_message() {
    for status in [
        StatusCode::UNAUTHORIZED,
        StatusCode::FORBIDDEN,
        StatusCode::INTERNAL_SERVER_ERROR,
    ] {
        let e = upload((
            status,
            vec![JSON, REQUEST_ID],
            r#"{"errorCode":"APIGW.1","errorMsg":"no"}"#.into(),
        ))
        .await;
        assert_eq!(
            (e.status(), e.error_code(), e.error_msg()),
            (Some(status), Some("APIGW.1"), Some("no")),
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn a_non_json_error_keeps_status_request_id_and_a_bounded_snippet() {
    let html = format!("<html>{}</html>", "gateway trouble ".repeat(10_000));
    let e = upload((StatusCode::BAD_GATEWAY, vec![REQUEST_ID], html)).await;
    let ApiError::UnexpectedStatus {
        status,
        request_id,
        snippet,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*status, StatusCode::BAD_GATEWAY);
    assert_eq!(request_id.as_deref(), Some("req-123"));
    assert!(snippet.starts_with("<html>gateway trouble"));
    assert!(snippet.chars().count() <= 513, "the snippet is bounded");
    assert!(e.to_string().contains("502 Bad Gateway"));
}

#[tokio::test]
async fn a_success_body_that_is_not_the_spec_is_an_invalid_payload() {
    let e = upload((
        StatusCode::OK,
        vec![JSON],
        r#"{"result": "not a list"}"#.into(),
    ))
    .await;
    let ApiError::InvalidPayload { snippet, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(snippet.contains("not a list"));
}

#[tokio::test]
async fn a_refused_connection_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = upload_with(&client(url), FilePart::from_bytes("f", "x")).await;
    assert!(matches!(e, ApiError::Connection(_)), "{e:?}");
}

#[tokio::test]
async fn an_unreadable_file_is_an_error_naming_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vanishing.bin");
    std::fs::write(&path, vec![0u8; 1000]).unwrap();
    let part = FilePart::from_path(&path).await.unwrap();
    std::fs::remove_file(&path).unwrap();
    let url = server((StatusCode::OK, vec![JSON], "{}".into())).await;
    let e = upload_with(&client(url), part).await;
    let ApiError::File(file) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(file.path, path);
    assert!(e.to_string().contains("vanishing.bin"), "{e}");
}

/// The request rules a new user meets first: a title shorter than the
/// documented 2 characters and an enum value that is a typo are refused
/// before anything is sent; a value or variant name in any case is the
/// variant; a value newer than the crate, built on purpose, is sent as is.
#[tokio::test]
async fn constraints_and_enum_values_are_checked_before_sending() {
    use codearts_req::UnknownVariant;
    use codearts_req::types::Priority;
    let setup = crate::common::start().await;
    let client = crate::common::client(&setup.emulator.url(), codearts_req::RetryPolicy::none());
    let create = || {
        client
            .create_ipd_project_issue()
            .project_id(crate::common::PROJECT)
            .description("d")
    };
    let error = create().title("x").send().await.unwrap_err();
    assert!(
        matches!(error, ApiError::InvalidParameter { .. }),
        "{error:?}"
    );
    let error = create()
        .title("A typo")
        .priority("hihg")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::InvalidRequest(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("`hihg` is not a value of Priority: one of 高, 中, 低"),
        "{message}"
    );
    // A query parameter's enum alike.
    let error = client
        .query_issue_associated_item()
        .project_id(crate::common::PROJECT)
        .issue_id(crate::common::ISSUE)
        .issue_type("bgu")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ApiError::InvalidParameter { parameter: "issue_type", reason, .. }
            if reason.contains("`bgu` is not one of RR, IR")),
        "{error:?}"
    );
    assert!(setup.emulator.recorded().is_empty(), "nothing was sent");

    assert_eq!(Priority::from("high"), Priority::High);
    assert_eq!(Priority::from("高"), Priority::High);
    assert!(matches!(Priority::from("hihg"), Priority::Unknown(ref v) if v.is_unrecognised()));
    create()
        .title("By name")
        .priority("HIGH")
        .send()
        .await
        .unwrap();
    let sent = setup
        .emulator
        .recorded()
        .last()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert_eq!(sent["priority"], "高");

    // Built on purpose: sent as given (the emulator, like the service,
    // refuses a value it does not list, with a 400).
    let newer = Priority::Unknown(UnknownVariant::new("超高"));
    let error = create()
        .title("Newer")
        .priority(newer)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
    let sent = setup
        .emulator
        .recorded()
        .last()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert_eq!(sent["priority"], "超高");
}

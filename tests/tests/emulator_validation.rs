//! The emulator validates every request against the spec, as the service
//! would: a wrong type, a missing required field or parameter, a value
//! outside an enum or a range, a body that is not JSON, or the wrong
//! content type gets a 400 (415) in the service's error shape that names
//! the offending field. Requests are built with the runtime's generic call
//! builder, signed as the client signs, since the typed client cannot send
//! most of them.

use codearts_req::{ApiError, Client, Credentials};
use codearts_req_runtime::Method;
use ipd_emulator::{Config, Emulator};
use serde_json::{Value, json};

const AK: &str = "EMULATORAK0000000001";
const SK: &str = "emulator-secret-key-do-not-use-for-real";
const PROJECT: &str = "gdbdf969b32694524a949b5ef6b3e124a";

async fn start() -> (Emulator, Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(
        "127.0.0.1:0".parse().unwrap(),
        Config::new(AK, SK, dir.path()),
    )
    .await
    .unwrap();
    let client = Client::builder()
        .endpoint(emulator.url())
        .credentials(Credentials::new(AK, SK))
        .build()
        .unwrap();
    (emulator, client, dir)
}

/// Sends `method tail` under the project with `query` and an optional body
/// of `content_type`, and returns the service error it must get.
async fn refused(
    client: &Client,
    method: Method,
    tail: &'static str,
    query: &[(&'static str, &str)],
    body: Option<(&'static str, Value)>,
) -> (u16, String, String) {
    let mut call = client
        .transport()
        .call(method, "Validation")
        .path("/v1/ipdprojectservice/projects/")
        .path_param("project_id", Some(PROJECT))
        .path(tail);
    for (name, value) in query {
        call = call.query(name, Some(value), true);
    }
    if let Some((content_type, body)) = &body {
        call = call.json(content_type, Some(body), true);
    }
    let response = call.send().await.unwrap();
    match response.error(true).await {
        ApiError::ClientRequest(e) | ApiError::ServerResponse(e) => (
            e.status.as_u16(),
            e.error_code.unwrap_or_default(),
            e.error_msg.unwrap_or_default(),
        ),
        other => panic!("expected a service error, got {other}"),
    }
}

fn assert_names(answer: (u16, String, String), status: u16, field: &str) {
    let (got, code, message) = answer;
    assert_eq!(got, status, "{message}");
    assert_eq!(code, "PM.02175001", "{message}");
    assert!(
        message.contains(&format!("`{field}`")),
        "{message} does not name {field}"
    );
}

#[tokio::test]
async fn a_wrong_type_in_the_body_names_the_field() {
    let (_e, client, _d) = start().await;
    let body = json!({"title": 5, "color": "#F66F6A"});
    let answer = refused(
        &client,
        Method::POST,
        "/tags",
        &[],
        Some(("application/json", body)),
    )
    .await;
    assert_names(answer, 400, "body.title");
}

#[tokio::test]
async fn a_missing_required_body_field_is_named() {
    let (_e, client, _d) = start().await;
    let body = json!({"title": "A work item"});
    let answer = refused(
        &client,
        Method::POST,
        "/issues",
        &[],
        Some(("application/json", body)),
    )
    .await;
    assert_names(answer, 400, "body.description");
}

#[tokio::test]
async fn an_unknown_enum_value_in_a_nested_field_is_named() {
    let (_e, client, _d) = start().await;
    let body = json!({"id": ["1"], "attribute": {"baseline": "frozen"}});
    let answer = refused(
        &client,
        Method::PUT,
        "/issues/batch-update",
        &[],
        Some(("application/json", body)),
    )
    .await;
    assert_names(answer, 400, "body.attribute.baseline");
}

#[tokio::test]
async fn query_parameters_are_checked_for_enum_type_range_and_presence() {
    let (_e, client, _d) = start().await;
    let path = "/workflow-template/issue/fields";
    let answer = refused(
        &client,
        Method::GET,
        path,
        &[("issue_category", "XX")],
        None,
    )
    .await;
    assert_names(answer, 400, "issue_category");

    let comments = "/issues/956239067176935400/comments";
    let base = [("page_no", "1"), ("page_size", "20"), ("category", "RR")];
    let mut wrong_type = base;
    wrong_type[1] = ("page_size", "twenty");
    let answer = refused(&client, Method::GET, comments, &wrong_type, None).await;
    assert_names(answer, 400, "page_size");
    let mut out_of_range = base;
    out_of_range[1] = ("page_size", "201");
    let answer = refused(&client, Method::GET, comments, &out_of_range, None).await;
    assert_names(answer, 400, "page_size");
    let answer = refused(&client, Method::GET, comments, &base[..2], None).await;
    assert_names(answer, 400, "category");
}

#[tokio::test]
async fn a_body_that_is_not_json_or_not_the_documented_type_is_refused() {
    let (_e, client, _d) = start().await;
    let answer = refused(
        &client,
        Method::POST,
        "/tags",
        &[],
        Some(("application/json", json!("not an object"))),
    )
    .await;
    assert_names(answer, 400, "body");
    let answer = refused(
        &client,
        Method::POST,
        "/tags",
        &[],
        Some(("text/plain", json!({"title": "x", "color": "#fff"}))),
    )
    .await;
    assert_eq!(answer.0, 415, "{}", answer.2);
}

#[tokio::test]
async fn an_operation_the_spec_lacks_is_not_found() {
    let (_e, client, _d) = start().await;
    let (status, code, _) = refused(&client, Method::GET, "/no-such-thing", &[], None).await;
    assert_eq!((status, code.as_str()), (404, "PM.00000404"));
}

/// With `Config::hosts` (`--host`), the emulator answers only for those
/// names, as a real gateway does: a request signed for, and addressed to,
/// another host is refused before its signature is even checked.
#[tokio::test]
async fn only_the_configured_host_names_are_answered() {
    for (hosts, refused) in [
        (
            vec!["projectman-ext.cn-north-4.myhuaweicloud.com".to_string()],
            true,
        ),
        (
            vec![
                "PROJECTMAN-EXT.cn-north-4.myhuaweicloud.com".into(),
                "127.0.0.1".into(),
            ],
            false,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(AK, SK, dir.path());
        config.hosts = hosts;
        let emulator = Emulator::start("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap();
        let client = Client::builder()
            .endpoint(emulator.url())
            .credentials(Credentials::new(AK, SK))
            .build()
            .unwrap();
        let answer = client.list_ipd_labels().project_id(PROJECT).send().await;
        match answer {
            Err(ApiError::ClientRequest(e)) if refused => {
                assert_eq!(e.status().as_u16(), 400);
                assert_eq!(e.error_code(), Some("APIGW.0101"));
            }
            Ok(_) if !refused => {}
            other => panic!("{other:?}"),
        }
    }
}

//! What reaches the wire through the fluent calls, for each kind of
//! parameter, with a client generated from `fixtures/specs/json-bodies.yaml`
//! (into `tests/generated/` by `cargo xtask codegen`): path, query, header
//! and JSON body go out as the spec says, signed; required ones are
//! checked before anything is sent.

use crate::common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use codearts_req_runtime::{ApiError, Credentials, RetryPolicy};
use common::{AK, SK};
use serde_json::json;
use sha2::{Digest, Sha256};

#[allow(dead_code, clippy::all)]
mod notes {
    include!("../generated/json_bodies.rs");
}

type Seen = Arc<Mutex<Vec<serde_json::Value>>>;

/// Verifies the signature over the body, then records the request.
async fn record(seen: Seen, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    if let Some(refusal) = common::refused(
        &parts,
        (!body.is_empty()).then(|| hex::encode(Sha256::digest(&body))),
    ) {
        return refusal;
    }
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    seen.lock().unwrap().push(json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "content_type": parts.headers.get("content-type").map(|v| v.to_str().unwrap()),
        "accept": parts.headers.get("accept").map(|v| v.to_str().unwrap()),
        "tag": parts.headers.get("x-client-tag").map(|v| v.to_str().unwrap()),
        "body": body,
    }));
    if parts.method == "DELETE" {
        return StatusCode::NO_CONTENT.into_response();
    }
    if body["text"] == "refuse" {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error_code": "N.1", "error_msg": "refused" })),
        )
            .into_response();
    }
    axum::Json(json!({ "id": "42", "echo": body })).into_response()
}

async fn start() -> (notes::Client, Seen) {
    let seen: Seen = Arc::default();
    let state = seen.clone();
    let app = Router::new().fallback(move |request: Request| record(state.clone(), request));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = notes::Client::builder()
        .endpoint(url)
        .credentials(Credentials::new(AK, SK))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    (client, seen)
}

fn note(text: &str) -> notes::types::Note {
    serde_json::from_value(json!({
        "text": text,
        "tags": ["a", "b"],
        "author": { "id": "u1", "name": "Zoë" },
        "labels": { "k": "v" },
        "extra": [1, { "x": null }],
    }))
    .unwrap()
}

#[tokio::test]
async fn every_kind_of_parameter_reaches_the_wire_as_the_spec_says() {
    let (client, seen) = start().await;
    let answer = client
        .add_note()
        .thing_id("t 1/ü")
        .page_size(20)
        .sort(notes::types::AddNoteSort::Oldest)
        .dry_run(false)
        .x_client_tag("tag-7")
        .body(note("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.id.map(|id| *id), Some(42));

    let record = seen.lock().unwrap()[0].clone();
    assert_eq!(record["method"], "POST");
    assert_eq!(record["path"], "/things/t%201%2F%C3%BC/notes");
    assert_eq!(
        record["query"], "dry_run=false&page_size=20&sort=oldest",
        "in canonical (signed) order"
    );
    assert_eq!(record["tag"], "tag-7");
    // The content type exactly as the spec declares it.
    assert_eq!(record["content_type"], "application/json;charset=UTF-8");
    assert_eq!(record["accept"], "application/json");
    assert_eq!(
        record["body"],
        json!({
            "text": "hello",
            "tags": ["a", "b"],
            "author": { "id": "u1", "name": "Zoë" },
            "labels": { "k": "v" },
            "extra": [1, { "x": null }],
        })
    );
}

#[tokio::test]
async fn optional_parameters_left_out_are_not_sent_and_a_delete_carries_its_body() {
    let (client, seen) = start().await;
    let ids: notes::types::Ids = serde_json::from_value(json!({ "ids": [1, 2] })).unwrap();
    let deleted = client.delete_things().body(ids).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let record = seen.lock().unwrap()[0].clone();
    assert_eq!(record["method"], "DELETE");
    assert_eq!(record["query"], serde_json::Value::Null);
    assert_eq!(record["content_type"], "application/json");
    assert_eq!(record["body"], json!({ "ids": [1, 2] }));
}

#[tokio::test]
async fn a_documented_error_is_the_services_error() {
    let (client, _) = start().await;
    let error = client
        .add_note()
        .thing_id("t")
        .page_size(1)
        .body(note("refuse"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(error.error_code(), Some("N.1"));
    assert_eq!(error.error_msg(), Some("refused"));
}

#[tokio::test]
async fn missing_required_parameters_are_reported_before_anything_is_sent() {
    let (client, seen) = start().await;
    let error = client
        .add_note()
        .thing_id("t")
        .body(note("x"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::MissingParameter {
                operation: "AddNote",
                parameter: "page_size"
            }
        ),
        "{error:?}"
    );
    let error = client.add_note().page_size(1).send().await.unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::MissingParameter {
                parameter: "thing_id",
                ..
            }
        ),
        "{error:?}"
    );
    // A required body that was not set is built from its (empty) builder,
    // so the error names the body field that is required.
    let error = client.delete_things().send().await.unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::MissingParameter {
                parameter: "ids",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn path_parameters_that_are_not_one_segment_are_refused_before_sending() {
    let (client, seen) = start().await;
    for bad in ["", ".", ".."] {
        let error = client
            .add_note()
            .thing_id(bad)
            .page_size(1)
            .body(note("x"))
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                ApiError::InvalidParameter {
                    parameter: "thing_id",
                    ..
                }
            ),
            "{bad:?}: {error:?}"
        );
    }
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn body_fields_are_setters_that_send_what_the_whole_body_sends() {
    use notes::types::{NoteAuthor, Priority};
    let (client, seen) = start().await;
    client
        .add_note()
        .thing_id("t")
        .page_size(1)
        .text("hello")
        .tags(["a", "b"])
        .author(NoteAuthor::builder().id("u1").name("Zoë"))
        .labels(
            [("k".to_string(), "v".to_string())]
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>(),
        )
        .extra(json!([1, { "x": null }]))
        .send()
        .await
        .unwrap();
    client
        .add_note()
        .thing_id("t")
        .page_size(1)
        .body(note("hello"))
        .send()
        .await
        .unwrap();
    // A field named like a path parameter is `body_<name>`; an enum takes
    // its variant; a constrained string goes out as given.
    client
        .add_note()
        .thing_id("t")
        .page_size(1)
        .text("x")
        .body_thing_id("inner")
        .title("short")
        .priority(Priority::High)
        .send()
        .await
        .unwrap();
    // A field set after the whole body changes that body.
    client
        .add_note()
        .thing_id("t")
        .page_size(1)
        .body(note("before"))
        .text("after")
        .send()
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0]["body"], seen[1]["body"]);
    assert_eq!(
        seen[0]["path"], "/things/t/notes",
        "the path parameter is apart"
    );
    assert_eq!(
        seen[2]["body"],
        json!({ "text": "x", "thing_id": "inner", "title": "short", "priority": "高" })
    );
    assert_eq!(seen[3]["body"]["text"], "after");
    assert_eq!(seen[3]["body"]["tags"], json!(["a", "b"]));
}

#[tokio::test]
async fn refused_values_and_missing_body_fields_are_reported_before_anything_is_sent() {
    let (client, seen) = start().await;
    let error = client
        .add_note()
        .thing_id("t")
        .page_size(1)
        .text("x")
        .title("longer than eight")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            ApiError::InvalidParameter { operation: "AddNote", parameter: "title", reason }
                if reason.contains("8")
        ),
        "{error:?}"
    );
    let error = client
        .add_note()
        .thing_id("t")
        .page_size(1)
        .tags(["only tags"])
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::MissingParameter {
                operation: "AddNote",
                parameter: "text"
            }
        ),
        "{error:?}"
    );
    // Models build the same way on their own.
    let built = notes::types::Note::builder()
        .title("way too long")
        .text("t")
        .build();
    assert_eq!(built.unwrap_err().field(), "title");
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
}

#[test]
fn enums_take_any_string_and_keep_values_they_do_not_know() {
    use notes::types::Priority;
    assert_eq!(Priority::from("高"), Priority::High);
    assert_eq!(Priority::VALUES, ["高", "低"]);
    let unknown: Priority = serde_json::from_str("\"中\"").unwrap();
    assert!(matches!(&unknown, Priority::Unknown(v) if v.as_str() == "中"));
    assert_eq!(serde_json::to_string(&unknown).unwrap(), "\"中\"");
    assert_eq!(unknown.to_string(), "中");
    let known: Priority = "低".parse().unwrap();
    assert_eq!(serde_json::to_string(&known).unwrap(), "\"低\"");
}

#[test]
fn a_one_or_many_field_decodes_an_item_or_a_list_and_reads_as_a_slice() {
    use notes::types::AddNoteResponse200 as Answer;
    let one: Answer = serde_json::from_value(json!({ "items": { "id": "a" } })).unwrap();
    let many: Answer =
        serde_json::from_value(json!({ "items": [{ "id": "a" }, { "id": "b" }] })).unwrap();
    let none: Answer = serde_json::from_value(json!({})).unwrap();
    assert_eq!(one.items().len(), 1);
    assert_eq!(one.items()[0].id(), Some("a"));
    assert_eq!(many.items().len(), 2);
    assert!(none.items().is_empty());
    // Each encodes again as it came.
    assert_eq!(
        serde_json::to_value(&one).unwrap()["items"],
        json!({ "id": "a" })
    );
    assert_eq!(
        serde_json::to_value(&many).unwrap()["items"],
        json!([{ "id": "a" }, { "id": "b" }])
    );
}

/// A paginator over a body page whose number is a `NonZeroU32` (the spec's
/// minimum is 1): it starts at 1, keeps the body's other fields, and ends
/// on the short page.
#[tokio::test]
async fn a_body_paged_operation_with_a_nonzero_page_number_walks_every_page() {
    use futures_util::TryStreamExt;
    let asked: Seen = Arc::default();
    let log = asked.clone();
    let app = Router::new().fallback(move |request: Request| {
        let log = log.clone();
        async move {
            let body = axum::body::to_bytes(request.into_body(), 1 << 20)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            log.lock().unwrap().push(body.clone());
            let (number, size) = (
                body["cursor"]["number"].as_u64().unwrap(),
                body["cursor"]["size"].as_u64().unwrap(),
            );
            let first = (number - 1) * size;
            let notes: Vec<_> = (first..45.min(first + size))
                .map(|i| json!({ "text": format!("note {i}") }))
                .collect();
            axum::Json(json!({ "notes": notes }))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = notes::Client::builder()
        .endpoint(url)
        .credentials(Credentials::new(AK, SK))
        .build()
        .unwrap();

    let notes: Vec<_> = client
        .search_notes()
        .thing_id("t")
        .text("wanted")
        .into_paginator()
        .page_size(50)
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();

    let texts: Vec<_> = notes.iter().map(|n| n.text().to_owned()).collect();
    let expected: Vec<_> = (0..45).map(|i| format!("note {i}")).collect();
    assert_eq!(texts, expected);
    let asked = asked.lock().unwrap();
    let cursors: Vec<_> = asked.iter().map(|b| b["cursor"].clone()).collect();
    assert_eq!(
        cursors,
        [1, 2, 3].map(|n| json!({ "number": n, "size": 20 })),
        "numbered from 1, the size clamped to the documented 20"
    );
    assert!(asked.iter().all(|b| b["text"] == "wanted"));
}

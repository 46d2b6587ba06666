//! A client generated from a fixture spec (by this crate's build script)
//! compiles and works: two multipart operations mixing files and text, with
//! path, query and header parameters, and a JSON operation, all signed.

use crate::common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use codearts_req_runtime::{ApiError, Credentials, FilePart, RetryPolicy};
use common::{AK, SK};
use serde_json::json;

#[allow(dead_code, clippy::all)]
mod boxes {
    include!("../generated/multipart_mix.rs");
}

#[allow(dead_code, clippy::all)]
mod inline {
    include!("../generated/multipart_inline_response.rs");
}

/// Every form field is a setter of the operation's builder, as JSON body
/// fields are: the same request as with the form struct; a field set on
/// the builder replaces the given form's; a required field left unset is
/// `MissingParameter`, and nothing is sent.
#[tokio::test]
async fn form_fields_are_setters_of_the_operation_builder() {
    let (url, seen) = start().await;
    let client = client(&url);
    let receipt = client
        .add_documents()
        .box_id("b")
        .overwrite(true)
        .title("by setters")
        .main(FilePart::from_bytes("main.txt", "main body"))
        .priority(2)
        .extras([FilePart::from_bytes("a.bin", vec![1u8; 10])])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(receipt.names, ["main=main.txt:9", "extras=a.bin:10"]);
    assert_eq!(receipt.fields["title"], "by setters");
    assert_eq!(receipt.fields["priority"], "2");
    // A setter after a whole form replaces that field only.
    let receipt = client
        .add_documents()
        .box_id("b")
        .overwrite(true)
        .body(boxes::forms::AddDocumentsForm::new(
            "from the form",
            FilePart::from_bytes("m.txt", "m"),
        ))
        .title("from the setter")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(receipt.fields["title"], "from the setter");
    assert_eq!(receipt.names, ["main=m.txt:1"]);
    // A required field missing: refused before sending.
    let sent = seen.lock().unwrap().len();
    let error = client
        .add_documents()
        .box_id("b")
        .overwrite(true)
        .title("no main")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::MissingParameter {
                parameter: "main",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), sent, "nothing was sent");
}

/// Models nested as deep as the code generator allows (its
/// `MAX_SCHEMA_DEPTH`): compiling this module is the proof that such a
/// chain compiles; one level more is a located error
/// (`bad-specs/models-nested-too-deep.yaml`).
#[allow(dead_code, clippy::all)]
mod deep {
    include!("../generated/deep_nesting.rs");
}

#[test]
fn models_nested_to_the_limit_compile_build_and_decode() {
    let mut json = serde_json::json!({ "name": "31" });
    for i in (0..31).rev() {
        json = serde_json::json!({ "name": i.to_string(), "next": json });
    }
    let level: deep::types::Level0 = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&level).unwrap(), json);
    let built = deep::types::Level0::builder().name("0").build();
    assert_eq!(built.name(), Some("0"));
}

type Seen = Arc<Mutex<Vec<serde_json::Value>>>;

/// Verifies the signature, then echoes what a multipart body held.
async fn echo(seen: Seen, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if let Some(refusal) = common::refused(
        &parts,
        parts
            .headers
            .contains_key("content-length")
            .then(|| "unsigned".into()),
    ) {
        return refusal;
    }
    if parts.method == "GET" {
        return axum::Json(json!({ "stored": "0", "names": [] })).into_response();
    }
    let content_type = parts.headers["content-type"].to_str().unwrap().to_string();
    let boundary = multer::parse_boundary(&content_type).unwrap();
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut names = Vec::new();
    let mut fields = BTreeMap::new();
    while let Some(field) = multipart.next_field().await.unwrap() {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file) => {
                let len = field.bytes().await.unwrap().len();
                names.push(format!("{name}={file}:{len}"));
            }
            None => {
                fields.insert(name, field.text().await.unwrap());
            }
        }
    }
    let record = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "trace": parts.headers.get("x-trace").map(|v| v.to_str().unwrap()),
        "names": names,
        "fields": fields,
    });
    seen.lock().unwrap().push(record);
    if parts.method == "PUT" {
        if fields.contains_key("caption") && fields["caption"] == "refuse" {
            return (
                StatusCode::CONFLICT,
                axum::Json(json!({ "error_code": "X.1", "error_msg": "no" })),
            )
                .into_response();
        }
        return StatusCode::NO_CONTENT.into_response();
    }
    (
        StatusCode::CREATED,
        axum::Json(json!({ "stored": names.len().to_string(), "names": names, "fields": fields })),
    )
        .into_response()
}

async fn start() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let state = seen.clone();
    let app = Router::new().fallback(move |request: Request| echo(state.clone(), request));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn client(url: &str) -> boxes::Client {
    boxes::Client::builder()
        .endpoint(url)
        .credentials(Credentials::new(AK, SK))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn multipart_operations_generated_from_a_fixture_work() {
    let (url, seen) = start().await;
    let client = client(&url);

    let form = boxes::forms::AddDocumentsForm::new(
        "Q3 \"report\"",
        FilePart::from_bytes("main.txt", "main body"),
    )
    .with_priority(3)
    .with_kind(boxes::types::Kind::Final)
    .with_extras(vec![
        FilePart::from_bytes("a.bin", vec![1u8; 10]),
        FilePart::from_bytes("b.bin", vec![2u8; 20]),
    ]);
    let receipt = client
        .add_documents()
        .box_id("box 1/α")
        .overwrite(true)
        .label("x y")
        .x_trace("trace-7")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status(), StatusCode::CREATED);
    let receipt = receipt.into_inner();
    assert_eq!(receipt.stored.map(|s| *s), Some(3));
    assert_eq!(
        receipt.names,
        ["main=main.txt:9", "extras=a.bin:10", "extras=b.bin:20"]
    );
    let fields = receipt.fields;
    assert_eq!(fields["title"], "Q3 \"report\"");
    assert_eq!(fields["priority"], "3");
    assert_eq!(fields["kind"], "final");

    let record = seen.lock().unwrap()[0].clone();
    assert_eq!(record["path"], "/boxes/box%201%2F%CE%B1/documents");
    assert_eq!(
        record["query"], "label=x%20y&overwrite=true",
        "sent in canonical (signed) order"
    );
    assert_eq!(record["trace"], "trace-7");

    // Optional fields and parameters left out are not sent.
    client
        .put_cover()
        .box_id(42)
        .body(boxes::forms::PutCoverForm::new(FilePart::from_bytes(
            "c.png", "png",
        )))
        .send()
        .await
        .unwrap();
    let record = seen.lock().unwrap()[1].clone();
    assert_eq!(record["path"], "/boxes/42/cover");
    assert_eq!(record["query"], serde_json::Value::Null);
    assert_eq!(record["names"], json!(["image=c.png:3"]));
    assert_eq!(record["fields"], json!({}));

    // A `default` error response is the service's error.
    let error = client
        .put_cover()
        .box_id(1)
        .dpi(300)
        .body(
            boxes::forms::PutCoverForm::new(FilePart::from_bytes("c.png", "x"))
                .with_caption("refuse"),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::ClientRequest(_) | ApiError::ServerResponse(_)
        ),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(StatusCode::CONFLICT));
    assert_eq!(error.error_code(), Some("X.1"));

    // The JSON operation goes through the same signing.
    let fetched = client
        .get_box()
        .box_id("b")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.stored.map(|s| *s), Some(0));
}

#[test]
fn inline_success_schemas_are_typed() {
    // Compiles only if the hoisted schemas became types.
    let ok: inline::types::PostXResponse200 = serde_json::from_str(r#"{"size": "12"}"#).unwrap();
    assert_eq!(ok.size.map(|s| *s), Some(12));
    let _form = inline::forms::PostXForm::new().with_file(FilePart::from_bytes("a", "b"));
}

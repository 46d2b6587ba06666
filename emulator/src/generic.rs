//! The generic machinery that serves every operation of the spec, as
//! Stoplight Prism does: a request is routed to its operation, its path,
//! query, headers and body are validated against the spec (a 400 in the
//! service's error shape names the first offending field), and it is
//! answered by a stateful handler if one keeps state for it, else from the
//! spec's example or a value synthesised from the response schema. Every
//! JSON answer is checked against the spec before it leaves, so the
//! emulator cannot answer what the spec does not allow.
//! Nothing here knows any one operation's names.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::body::Collect;
use crate::controls::Entry;
use crate::form::FormPart;
use crate::reply::error;
use crate::stateful::{Answer, Call};
use crate::store::Store;
use ipd_catalogue::schema::required;
use ipd_catalogue::{Catalogue, Invalid, Location, Operation, media_essence};

/// What the generic machinery needs: the spec, and the state (`None` when
/// the emulator answers from the spec alone).
pub(crate) struct Generic {
    pub catalogue: &'static Catalogue,
    pub store: Option<Store>,
    /// A request body must bring 1 KiB in each such window (`crate::body`).
    pub body_idle_timeout: std::time::Duration,
    /// The largest file part of a form.
    pub max_file: u64,
    /// How many form requests were handled to the end (for tests).
    pub forms_finished: AtomicUsize,
}

/// The error code of a request the spec does not allow.
const INVALID_REQUEST: &str = "PM.02175001";

/// Largest JSON body an operation reads; forms stream (`crate::form`).
const MAX_GENERIC_BODY: usize = 20 * 1024 * 1024;

/// What routing found, handed from the check to the handler.
#[derive(Clone)]
pub(crate) struct Matched {
    pub operation: &'static Operation,
    pub path: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
}

/// Routes the request to its operation and validates its parameters; runs
/// after the signature check, for every route.
pub(crate) async fn check_request(
    State(shared): State<Arc<Generic>>,
    mut request: Request,
    next: Next,
) -> Response {
    let catalogue = shared.catalogue;
    let Some((operation, path)) = catalogue.route(request.method().as_str(), request.uri().path())
    else {
        return error(StatusCode::NOT_FOUND, "PM.00000404", "No such API.");
    };
    let query: BTreeMap<String, String> =
        url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    if let Err(invalid) = check_params(catalogue, operation, &path, &query, request.headers()) {
        return refuse(&invalid);
    }
    request.extensions_mut().insert(Matched {
        operation,
        path,
        query,
    });
    next.run(request).await
}

fn refuse(invalid: &Invalid) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        INVALID_REQUEST,
        &format!("Invalid request: {invalid}."),
    )
}

fn check_params(
    catalogue: &Catalogue,
    operation: &Operation,
    path: &BTreeMap<String, String>,
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
) -> Result<(), Invalid> {
    for param in &operation.params {
        let raw = match param.location {
            Location::Path => path.get(&param.name).cloned(),
            Location::Query => query.get(&param.name).cloned(),
            Location::Header => headers
                .get(&param.name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        };
        match raw {
            Some(raw) => {
                let value = coerce(catalogue, &param.schema, &raw);
                catalogue.validate(&param.schema, &value, &param.name)?;
            }
            None if param.required => {
                return Err(Invalid {
                    field: param.name.clone(),
                    reason: "is required".into(),
                });
            }
            None => {}
        }
    }
    Ok(())
}

/// A parameter's text as the JSON value its schema describes, where it
/// reads as one; otherwise the text, which validation then refuses.
fn coerce(catalogue: &Catalogue, schema: &Value, raw: &str) -> Value {
    let schema = catalogue.resolve(schema);
    let parsed = match schema.get("type").and_then(Value::as_str) {
        Some("integer") => raw.parse::<i64>().ok().map(Value::from),
        Some("number") => raw.parse::<f64>().ok().map(Value::from),
        Some("boolean") => raw.parse::<bool>().ok().map(Value::from),
        Some("array") => {
            let items = schema.get("items").cloned().unwrap_or(Value::Null);
            Some(Value::Array(
                raw.split(',')
                    .map(|item| coerce(catalogue, &items, item))
                    .collect(),
            ))
        }
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(raw.to_string()))
}

/// Answers every operation: by its stateful handler if it has one (and
/// the emulator keeps state), else from the spec.
pub(crate) async fn answer(State(shared): State<Arc<Generic>>, request: Request) -> Response {
    let Some(matched) = request.extensions().get::<Matched>().cloned() else {
        return error(StatusCode::NOT_FOUND, "PM.00000404", "No such API.");
    };
    let operation = matched.operation;
    let _finished = operation
        .body
        .as_ref()
        .is_some_and(|b| !b.is_json())
        .then(|| Finished(&shared.forms_finished));
    let entry = request.extensions().get::<Arc<Entry>>().cloned();
    let (parts, body) = request.into_parts();
    let (json, form) = match read_body(&shared, operation, &parts.headers, body, entry).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let page = match &operation.pagination {
        Some(paging) => match crate::paging::check(paging, &matched.query, json.as_ref()) {
            Ok(page) => Some((paging, page)),
            Err(invalid) => return refuse(&invalid),
        },
        None => None,
    };
    if let (Some(_), Some(handler)) = (&shared.store, crate::stateful::find(&operation.id)) {
        // Handlers wait for the store's lock and sync: off the async workers.
        let state = shared.clone();
        let answered = tokio::task::spawn_blocking(move || {
            let call = Call {
                path: &matched.path,
                query: &matched.query,
                body: json.as_ref(),
                form: &form,
            };
            let store = state.store.as_ref().expect("checked above");
            handler.run(store, &call)
        })
        .await;
        match answered {
            Ok(Answer::Spec) => {}
            Ok(answer) => return render(shared.catalogue, operation, answer),
            Err(_) => {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "PM.00000500",
                    &format!("The emulator's handler of {} failed.", operation.id),
                );
            }
        }
    }
    from_spec(shared.catalogue, operation, page)
}

/// Counts a form request as finished however its handler ends, even
/// dropped because the connection broke.
struct Finished<'a>(&'a AtomicUsize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

type ReadBody = (Option<Value>, Vec<FormPart>);

async fn read_body(
    shared: &Generic,
    operation: &Operation,
    headers: &HeaderMap,
    body: Body,
    entry: Option<Arc<Entry>>,
) -> Result<ReadBody, Response> {
    let Some(spec) = &operation.body else {
        return Ok((None, Vec::new()));
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let catalogue = shared.catalogue;
    if !spec.is_json() {
        if media_essence(content_type) != media_essence(&spec.content_type) {
            return Err(unsupported(&spec.content_type, content_type));
        }
        let limits = crate::form::Limits {
            idle: shared.body_idle_timeout,
            max_file: shared.max_file,
        };
        let files = shared.store.as_ref().map(Store::files);
        let form = crate::form::read(content_type, body, files, &limits, |parts| {
            if let Some(entry) = entry {
                entry.set_parts(parts);
            }
        })
        .await?;
        if form.is_empty() && !spec.required {
            return Ok((None, form));
        }
        check_form(catalogue, &spec.schema, &form).map_err(|e| refuse(&e))?;
        return Ok((None, form));
    }
    let bytes = read_bounded(body, shared.body_idle_timeout).await?;
    if bytes.is_empty() {
        return if spec.required {
            Err(refuse(&Invalid {
                field: "body".into(),
                reason: "is required".into(),
            }))
        } else {
            Ok((None, Vec::new()))
        };
    }
    if !media_essence(content_type).ends_with("json") {
        return Err(unsupported(&spec.content_type, content_type));
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        refuse(&Invalid {
            field: "body".into(),
            reason: format!("is not JSON ({e})"),
        })
    })?;
    // Recorded for wire tests; not a large one, as the recording keeps up
    // to a thousand requests.
    if let Some(entry) = &entry
        && bytes.len() <= crate::controls::RECORDED_BODY_LIMIT
    {
        entry.set_body(&value);
    }
    catalogue
        .validate(&spec.schema, &value, "body")
        .map_err(|e| refuse(&e))?;
    Ok((Some(value), Vec::new()))
}

/// The whole body, at most [`MAX_GENERIC_BODY`] bytes, at the pace
/// `crate::body` requires.
async fn read_bounded(body: Body, idle: std::time::Duration) -> Result<bytes::Bytes, Response> {
    crate::body::collect(body, idle, MAX_GENERIC_BODY)
        .await
        .map_err(|why| match why {
            Collect::TooLarge => error(
                StatusCode::PAYLOAD_TOO_LARGE,
                INVALID_REQUEST,
                &format!("The request body exceeds {MAX_GENERIC_BODY} bytes."),
            ),
            Collect::Incomplete(why) => error(
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST,
                &format!("The request body is incomplete: {why}"),
            ),
        })
}

fn unsupported(expected: &str, got: &str) -> Response {
    error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        INVALID_REQUEST,
        &format!("The body must be {expected}, not `{}`.", got.escape_debug()),
    )
}

/// A form has every field its schema requires. (Parts carry text or files
/// alike, so their types are not checked.)
fn check_form(catalogue: &Catalogue, schema: &Value, form: &[FormPart]) -> Result<(), Invalid> {
    let schema = catalogue.resolve(schema);
    for name in required(schema) {
        if !form.iter().any(|part| part.name == name) {
            return Err(Invalid {
                field: format!("body.{name}"),
                reason: "is required".into(),
            });
        }
    }
    Ok(())
}

/// A stateful handler's answer, checked against the spec.
fn render(catalogue: &Catalogue, operation: &Operation, answer: Answer) -> Response {
    let status = success_status(operation);
    match answer {
        Answer::Json(value) => json_answer(catalogue, operation, status, value),
        Answer::Empty => status.into_response(),
        Answer::File {
            file,
            size,
            content_type,
            file_name,
        } => {
            let stream = tokio_util::io::ReaderStream::with_capacity(
                tokio::fs::File::from_std(file),
                256 * 1024,
            );
            let mut response = (status, Body::from_stream(stream)).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            if let Some(name) = file_name {
                let disposition = format!(
                    "attachment; filename*=UTF-8''{}",
                    percent_encoding::utf8_percent_encode(
                        &name,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                );
                if let Ok(v) = HeaderValue::from_str(&disposition) {
                    response
                        .headers_mut()
                        .insert(header::CONTENT_DISPOSITION, v);
                }
            }
            response
        }
        Answer::Error {
            status,
            code,
            message,
        } => error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            &message,
        ),
        // The caller answers from the spec before rendering.
        Answer::Spec => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "PM.00000500",
            "The emulator's handler left the answer to the spec too late.",
        ),
    }
}

fn success_status(operation: &Operation) -> StatusCode {
    operation
        .success
        .as_ref()
        .and_then(|s| StatusCode::from_u16(s.status).ok())
        .unwrap_or(StatusCode::OK)
}

/// Sends `value` if the spec allows it; a 500 naming the field otherwise,
/// which is an emulator defect the tests catch.
fn json_answer(
    catalogue: &Catalogue,
    operation: &Operation,
    status: StatusCode,
    value: Value,
) -> Response {
    let Some(schema) = operation.success.as_ref().and_then(|s| s.schema.as_ref()) else {
        return (status, axum::Json(value)).into_response();
    };
    if let Err(invalid) = catalogue.validate_answer(schema, &value, "response") {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "PM.00000500",
            &format!(
                "The emulator's answer to {} does not match the spec: {invalid}.",
                operation.id
            ),
        );
    }
    // Where sources disagree on a shape, the one the official SDK decodes.
    (status, axum::Json(catalogue.shape_for_sdk(schema, value))).into_response()
}

/// The spec's own answer: its example, or one synthesised from its schema
/// (cut to the page asked for, for a paged operation).
fn from_spec(
    catalogue: &Catalogue,
    operation: &Operation,
    page: Option<(&ipd_catalogue::Pagination, crate::paging::Page)>,
) -> Response {
    let status = success_status(operation);
    let Some(success) = &operation.success else {
        return status.into_response();
    };
    if success.is_json() {
        let value = match (&success.example, &success.schema) {
            (Some(example), _) => example.clone(),
            (None, Some(schema)) => catalogue.synthesize(schema),
            (None, None) => Value::Null,
        };
        let value = match page {
            Some((paging, page)) => crate::paging::cut(paging, page, value),
            None => value,
        };
        return json_answer(catalogue, operation, status, value);
    }
    match &success.content_type {
        Some(content_type) => {
            let mut response = (status, "emulated content\n").into_response();
            if let Ok(v) = HeaderValue::from_str(content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            response
        }
        None => status.into_response(),
    }
}

//! The service's error shape, which every part of the emulator answers in.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `{"error_code": code, "error_msg": message}` with `status`.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error_code": code, "error_msg": message })),
    )
        .into_response()
}

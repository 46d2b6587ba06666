//! The send loop every call goes through: authenticate, send, and retry
//! when the [`RetryPolicy`](crate::RetryPolicy) says so, rebuilding the
//! request (and re-reading its files) for each attempt.
//!
//! Each call runs in a `tracing` span `ipd.call` (the operation), each
//! attempt in a span `attempt` (its number, status, request id and
//! latency).

use std::time::Instant;

use reqwest::{Request, Response};
use tracing::Instrument;

use crate::config::Transport;
use crate::error::{ApiError, REQUEST_ID_HEADER};

/// Sends the request `build` makes, then as many retries as the policy
/// allows, each rebuilt by `build` and authenticated afresh. `build`
/// returns `None` when the body cannot be rebuilt (a reader already sent):
/// an error for the first attempt, no retry after that. A retry that
/// cannot be authenticated is not sent: the last answer stands.
pub(crate) async fn send<F>(
    transport: &Transport,
    operation: &'static str,
    mut build: F,
) -> Result<Response, ApiError>
where
    F: FnMut() -> Option<Result<Request, ApiError>>,
{
    let span = tracing::info_span!("ipd.call", operation);
    async move {
        let mut request = build().ok_or_else(consumed)??;
        transport.auth.authorize(&mut request)?;
        let policy = &transport.retry;
        let mut attempt = 1;
        loop {
            let result = attempt_once(transport, request, attempt).await;
            if policy.retries(&result)
                && attempt < policy.max_attempts()
                && let Some(next) = build()
            {
                let mut next = next?;
                if transport.auth.authorize(&mut next).is_ok() {
                    let delay = policy.delay(attempt, crate::retry::retry_after(&result));
                    let reason = match &result {
                        Ok(response) => response.status().to_string(),
                        Err(error) => error.to_string(),
                    };
                    tracing::warn!(attempt, ?delay, reason, "retrying");
                    drop(result);
                    tokio::time::sleep(delay).await;
                    request = next;
                    attempt += 1;
                    continue;
                }
            }
            return result.map_err(ApiError::from_reqwest);
        }
    }
    .instrument(span)
    .await
}

fn consumed() -> ApiError {
    ApiError::InvalidRequest(
        "a file part made from a reader was already sent; readers can be sent once".into(),
    )
}

async fn attempt_once(
    transport: &Transport,
    request: Request,
    attempt: u32,
) -> reqwest::Result<Response> {
    let span = tracing::debug_span!(
        "attempt",
        attempt,
        method = %request.method(),
        path = request.url().path(),
        status = tracing::field::Empty,
        request_id = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = transport
        .http
        .execute(request)
        .instrument(span.clone())
        .await;
    span.record("latency_ms", started.elapsed().as_millis() as u64);
    match &result {
        Ok(response) => {
            span.record("status", response.status().as_u16());
            if let Some(id) = response
                .headers()
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
            {
                span.record("request_id", id);
            }
            span.in_scope(|| tracing::debug!("response"));
        }
        Err(error) => span.in_scope(|| tracing::debug!(%error, "request failed")),
    }
    result
}

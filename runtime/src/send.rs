//! The send loop every call goes through: authenticate, send (an upload
//! raced against its stalled-stream watchdog), and retry when the
//! [`RetryPolicy`] says it is safe, rebuilding the request (and re-reading
//! its files) for each attempt.
//!
//! Each call runs in a `tracing` span `ipd.call` (the operation), each
//! attempt in a span `attempt` (its number, status, request id and
//! latency); each retry decision is logged with its reason.

use std::sync::Arc;
use std::time::Instant;

use reqwest::{Request, Response};
use tracing::Instrument;

use crate::config::Transport;
use crate::error::{ApiError, REQUEST_ID_HEADER};
use crate::retry::{Decision, Outcome, RetryPolicy};
use crate::stall::{StalledStreamProtection, UploadProgress, watch_upload};

/// What one call is sent with: the client's settings, or the call's own.
pub(crate) struct Settings {
    pub retry: RetryPolicy,
    pub stalled: StalledStreamProtection,
    pub attempt_timeout: Option<std::time::Duration>,
    pub idempotent: bool,
}

/// A request ready to send, and the progress of its streamed body, if any.
pub(crate) type Built = (Request, Option<Arc<UploadProgress>>);

/// Sends the request `build` makes, then as many retries as the policy
/// allows, each rebuilt by `build` and authenticated afresh. `build`
/// returns `None` when the body cannot be rebuilt (a reader already sent):
/// an error for the first attempt, no retry after that.
pub(crate) async fn send<F>(
    transport: &Transport,
    settings: &Settings,
    operation: &'static str,
    mut build: F,
) -> Result<Response, ApiError>
where
    F: FnMut() -> Option<Result<Built, ApiError>>,
{
    let span = tracing::info_span!("ipd.call", operation, idempotent = settings.idempotent);
    async move {
        let mut next = build().ok_or_else(consumed)??;
        let mut attempt = 1;
        loop {
            let (mut request, progress) = next;
            if let Some(timeout) = settings.attempt_timeout {
                *request.timeout_mut() = Some(timeout);
            }
            transport.auth.authorize(&mut request).await?;
            let result =
                attempt_once(transport, request, progress, settings.stalled, attempt).await;
            let outcome = match &result {
                Ok(response) => Outcome::Answer {
                    status: response.status().as_u16(),
                    headers: response.headers(),
                },
                Err(ApiError::Connection(e)) if e.is_connect() => Outcome::NotConnected,
                Err(ApiError::Connection(_)) => Outcome::Broken,
                Err(_) => Outcome::Other,
            };
            let failed = !matches!(&result, Ok(r) if r.status().is_success());
            match settings
                .retry
                .decide(&outcome, settings.idempotent, attempt)
            {
                Decision::Retry { after, reason } => match build() {
                    Some(Ok(rebuilt)) => {
                        tracing::warn!(attempt, ?after, reason, "retrying");
                        drop(result);
                        tokio::time::sleep(after).await;
                        next = rebuilt;
                        attempt += 1;
                        continue;
                    }
                    Some(Err(e)) => return Err(e),
                    None => {
                        tracing::debug!(
                            attempt,
                            "not retrying: the body was read from a reader, once"
                        );
                        return result;
                    }
                },
                Decision::Stop { reason } => {
                    if failed {
                        tracing::debug!(attempt, reason, "not retrying");
                    }
                    return result;
                }
            }
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
    progress: Option<Arc<UploadProgress>>,
    stalled: StalledStreamProtection,
    attempt: u32,
) -> Result<Response, ApiError> {
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
    let exchange = async {
        transport
            .http
            .execute(request)
            .await
            .map_err(ApiError::from_reqwest)
    };
    let result = async {
        match progress {
            // An upload: the service must keep reading its body.
            Some(progress) => {
                let watchdog = std::pin::pin!(watch_upload(progress, stalled));
                match futures_util::future::select(std::pin::pin!(exchange), watchdog).await {
                    futures_util::future::Either::Left((result, _)) => result,
                    futures_util::future::Either::Right((stalled, _)) => Err(stalled),
                }
            }
            None => exchange.await,
        }
    }
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

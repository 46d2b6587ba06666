//! The send loop every generated operation goes through: authenticate,
//! send, retry when the [`RetryPolicy`](crate::RetryPolicy) says so, and
//! keep a bounded copy of error bodies.
//!
//! progenitor's generated operations are authenticated by the client's
//! `pre` hook ([`authorize`]) and sent by its `exec` hook ([`exec`]); the
//! generated multipart operations call [`execute`] with a closure that
//! rebuilds the request, so each retry re-sends the whole file from its
//! source.

use bytes::BytesMut;
use progenitor_client::{ClientInfo, OperationInfo};
use reqwest::{Request, Response};

use crate::auth::SignError;
use crate::config::Runtime;
use crate::error::{ErrorBody, REQUEST_ID_HEADER};

/// How much of an error response's body is read.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// A request that could not be sent.
#[derive(Debug)]
pub enum SendError {
    /// The transport failed.
    Http(reqwest::Error),
    /// A one-shot body (a reader) was already sent by an earlier call.
    Consumed,
    /// The request could not be authenticated, so it was not sent.
    Sign(SignError),
}

impl<E> From<SendError> for progenitor_client::Error<E> {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Http(e) => progenitor_client::Error::CommunicationError(e),
            SendError::Consumed => progenitor_client::Error::InvalidRequest(
                "a file part made from a reader was already sent; readers can be sent once".into(),
            ),
            SendError::Sign(e) => progenitor_client::Error::InvalidRequest(e.to_string()),
        }
    }
}

/// Authenticates the first attempt of a progenitor-built request (the
/// client's `pre` hook), so a failure is an error before anything is sent.
// The error type is the one progenitor's hook returns.
#[allow(clippy::result_large_err)]
pub fn authorize<C, E>(client: &C, request: &mut Request) -> Result<(), progenitor_client::Error<E>>
where
    C: ClientInfo<Runtime>,
{
    client
        .inner()
        .auth
        .authorize(request)
        .map_err(|e| SendError::Sign(e).into())
}

/// Sends a request built by `build`, which is called again for each retry;
/// it returns `None` when the body cannot be rebuilt.
pub async fn execute<C, F>(
    client: &C,
    info: &OperationInfo,
    mut build: F,
) -> Result<Response, SendError>
where
    C: ClientInfo<Runtime>,
    F: FnMut() -> Option<reqwest::Result<Request>>,
{
    let mut first = build()
        .ok_or(SendError::Consumed)?
        .map_err(SendError::Http)?;
    client
        .inner()
        .auth
        .authorize(&mut first)
        .map_err(SendError::Sign)?;
    send(client, info, first, build)
        .await
        .map_err(SendError::Http)
}

/// Sends a request built and authenticated by progenitor's code (the
/// client's `exec` hook); retried if its body can be cloned.
pub async fn exec<C>(
    client: &C,
    request: Request,
    info: &OperationInfo,
) -> reqwest::Result<Response>
where
    C: ClientInfo<Runtime>,
{
    let template = request.try_clone();
    send(client, info, request, move || {
        template.as_ref().and_then(Request::try_clone).map(Ok)
    })
    .await
}

/// Sends `first` (already authenticated), then as many retries as the
/// policy allows, each rebuilt by `again` and authenticated afresh. A retry
/// that cannot be authenticated is not sent: the last answer stands.
async fn send<C, F>(
    client: &C,
    info: &OperationInfo,
    first: Request,
    mut again: F,
) -> reqwest::Result<Response>
where
    C: ClientInfo<Runtime>,
    F: FnMut() -> Option<reqwest::Result<Request>>,
{
    let runtime = client.inner();
    let policy = &runtime.retry;
    let mut request = first;
    let mut attempt = 1;
    loop {
        let method = request.method().clone();
        let path = request.url().path().to_string();
        let result = client.client().execute(request).await;
        trace_attempt(info, &method, &path, attempt, &result);
        if policy.retries(&result)
            && attempt < policy.max_attempts()
            && let Some(next) = again()
        {
            let mut next = next?;
            if runtime.auth.authorize(&mut next).is_ok() {
                let delay = policy.delay(attempt, crate::retry::retry_after(&result));
                let reason = match &result {
                    Ok(response) => response.status().to_string(),
                    Err(error) => error.to_string(),
                };
                tracing::warn!(
                    operation = info.operation_id,
                    attempt,
                    ?delay,
                    reason,
                    "retrying"
                );
                drop(result);
                tokio::time::sleep(delay).await;
                request = next;
                attempt += 1;
                continue;
            }
        }
        return match result {
            Ok(response) if !response.status().is_success() => keep_error_body(response).await,
            other => other,
        };
    }
}

fn trace_attempt(
    info: &OperationInfo,
    method: &reqwest::Method,
    path: &str,
    attempt: u32,
    result: &reqwest::Result<Response>,
) {
    match result {
        Ok(response) => tracing::debug!(
            operation = info.operation_id, %method, path, attempt,
            status = response.status().as_u16(),
            request_id = response.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()),
            "response"
        ),
        Err(error) => {
            tracing::debug!(operation = info.operation_id, %method, path, attempt, %error, "request failed")
        }
    }
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of an error response and keeps
/// them with it, so neither progenitor's decoding nor an error message reads
/// an unbounded body.
async fn keep_error_body(mut response: Response) -> reqwest::Result<Response> {
    let mut body = BytesMut::new();
    while body.len() < MAX_ERROR_BODY {
        match response.chunk().await? {
            Some(chunk) => {
                let room = MAX_ERROR_BODY - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            None => break,
        }
    }
    let body = body.freeze();
    let mut rebuilt = http::Response::new(body.clone());
    *rebuilt.status_mut() = response.status();
    *rebuilt.version_mut() = response.version();
    *rebuilt.headers_mut() = std::mem::take(response.headers_mut());
    rebuilt.extensions_mut().insert(ErrorBody(body));
    Ok(Response::from(rebuilt))
}

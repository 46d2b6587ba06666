//! What a call returns: the typed body with its status, headers and
//! request id ([`Response`]), and the raw answer generated code decodes
//! ([`RawResponse`]), reading every body within a bound.

use std::fmt;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, REQUEST_ID_HEADER, snippet};
use crate::stall::{GuardedBody, StalledStreamProtection};

/// A successful answer: the typed body, with the status, the headers and
/// the gateway's request id. Dereferences to the body.
pub struct Response<T> {
    status: StatusCode,
    headers: HeaderMap,
    body: T,
}

impl<T> Response<T> {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `X-Request-Id` the gateway gave this call, for Huawei support.
    pub fn request_id(&self) -> Option<&str> {
        self.headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
    }

    /// The `Content-Length` the service announced, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok())
    }

    /// The body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The body, without the status and headers.
    pub fn into_inner(self) -> T {
        self.body
    }
}

impl<T> Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.body
    }
}

impl<T: fmt::Debug> fmt::Debug for Response<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("request_id", &self.request_id())
            .field("body", &self.body)
            .finish()
    }
}

/// A binary body, streamed as it arrives; see
/// [`SaveToFile`](crate::SaveToFile) to write it to a file.
pub struct ByteStream(Pin<Box<dyn Stream<Item = Result<Bytes, ApiError>> + Send>>);

impl Stream for ByteStream {
    type Item = Result<Bytes, ApiError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ByteStream")
    }
}

/// An answer before decoding, as [`Call::send`](crate::Call::send) gives
/// it: decode it as JSON, stream it, drop its body, or read it as an
/// error, each within the call's bounds.
pub struct RawResponse {
    response: reqwest::Response,
    max_body: usize,
    deadline: Option<Deadline>,
    stalled: StalledStreamProtection,
}

/// When a call must be over, and the deadline it was given.
#[derive(Clone, Copy)]
pub(crate) struct Deadline {
    pub at: tokio::time::Instant,
    pub given: std::time::Duration,
}

impl Deadline {
    /// Runs `future` until the deadline, if any.
    pub(crate) async fn bound<T>(
        deadline: Option<Deadline>,
        future: impl std::future::Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        match deadline {
            Some(d) => tokio::time::timeout_at(d.at, future)
                .await
                .unwrap_or(Err(ApiError::DeadlineExceeded(d.given))),
            None => future.await,
        }
    }
}

impl RawResponse {
    pub(crate) fn new(
        response: reqwest::Response,
        max_body: usize,
        deadline: Option<Deadline>,
        stalled: StalledStreamProtection,
    ) -> Self {
        Self {
            response,
            max_body,
            deadline,
            stalled,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    /// The status, the headers, and the body guarded against stalls.
    fn into_parts(self) -> (StatusCode, HeaderMap, Body) {
        let mut response = self.response;
        let (status, headers) = (response.status(), std::mem::take(response.headers_mut()));
        (
            status,
            headers,
            GuardedBody::new(response.bytes_stream().boxed(), self.stalled),
        )
    }

    /// Decodes a JSON body, read up to the client's body limit.
    pub async fn json<T: DeserializeOwned>(self) -> Result<Response<T>, ApiError> {
        let (max, deadline) = (self.max_body, self.deadline);
        let (status, headers, body) = self.into_parts();
        let request_id = request_id(&headers);
        let bytes = Deadline::bound(deadline, read_bounded(body, max)).await?;
        if bytes.len() > max {
            return Err(ApiError::BodyTooLarge {
                limit: max,
                request_id,
            });
        }
        match serde_json::from_slice(&bytes) {
            Ok(body) => Ok(Response {
                status,
                headers,
                body,
            }),
            Err(source) => Err(ApiError::InvalidPayload {
                snippet: snippet(&bytes),
                request_id,
                source,
            }),
        }
    }

    /// A body that is not read: the status and headers only.
    pub fn empty(self) -> Response<()> {
        let (status, headers, _) = self.into_parts();
        Response {
            status,
            headers,
            body: (),
        }
    }

    /// A binary body, streamed.
    pub fn stream(self) -> Response<ByteStream> {
        let (status, headers, body) = self.into_parts();
        Response {
            status,
            headers,
            body: ByteStream(Box::pin(body)),
        }
    }

    /// The error for an error status; `documented` says whether the spec
    /// lists it. Reads at most the first 64 KiB of the body.
    pub async fn error(self, documented: bool) -> ApiError {
        let deadline = self.deadline;
        let (status, headers, body) = self.into_parts();
        let request_id = request_id(&headers);
        let retry_after = crate::retry::retry_after(&headers, std::time::SystemTime::now());
        if status.is_redirection() {
            return ApiError::Redirect {
                status,
                location: headers.get(reqwest::header::LOCATION).map(|v| {
                    crate::error::printable(&String::from_utf8_lossy(v.as_bytes())).into_owned()
                }),
                request_id,
            };
        }
        match Deadline::bound(deadline, read_bounded(body, MAX_ERROR_BODY)).await {
            Ok(mut body) => {
                body.truncate(MAX_ERROR_BODY);
                ApiError::from_status(status, request_id, retry_after, &body, documented)
            }
            Err(e) => e,
        }
    }
}

/// How much of an error response's body is read.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A response body, guarded against stalls.
type Body = GuardedBody<futures_util::stream::BoxStream<'static, reqwest::Result<Bytes>>>;

/// Reads the body until it ends or passes `max` bytes (then returns what
/// it has, longer than `max`, and drops the rest unread).
async fn read_bounded(mut body: Body, max: usize) -> Result<Bytes, ApiError> {
    let mut read = BytesMut::new();
    while read.len() <= max {
        match body.next().await.transpose()? {
            Some(chunk) => read.extend_from_slice(&chunk),
            None => break,
        }
    }
    Ok(read.freeze())
}

//! Reading a request body to its very end, for handlers that parse it as a
//! stream: the parser may be done (a multipart body's closing boundary)
//! before the body is, and a body shorter than its `Content-Length`, cut,
//! or stalled must not count as a complete request.

use std::time::Duration;

use axum::body::{Body, Bytes};
use futures_util::{Stream, StreamExt};

/// The least a body must bring in each `window`, so that one trickled a
/// byte at a time cannot hold a connection (and a partial file) for days.
const MIN_BYTES_PER_WINDOW: usize = 1024;

/// The body as a stream for a parser, and a future that says whether the
/// whole body arrived: every byte its `Content-Length` announced, at least
/// [`MIN_BYTES_PER_WINDOW`] in every `window` until then. The body is read
/// by a task of its own, to its end, whether or not the parser reads
/// everything.
pub fn whole(
    body: Body,
    window: Duration,
) -> (
    impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    impl std::future::Future<Output = Result<(), String>>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let pump = tokio::spawn(async move {
        let mut data = body.into_data_stream();
        let mut window_end = tokio::time::Instant::now() + window;
        let mut in_window = 0;
        loop {
            let next = match tokio::time::timeout_at(window_end, data.next()).await {
                Ok(next) => next,
                Err(_) if in_window < MIN_BYTES_PER_WINDOW => {
                    return Err(format!(
                        "the body brought {in_window} bytes in {window:?}, less than \
                         {MIN_BYTES_PER_WINDOW}"
                    ));
                }
                Err(_) => {
                    window_end += window;
                    in_window = 0;
                    continue;
                }
            };
            match next {
                None => return Ok(()),
                Some(Ok(chunk)) => {
                    in_window += chunk.len();
                    // Once the parser is done, the rest is only drained.
                    let _ = tx.send(Ok(chunk)).await;
                }
                Some(Err(e)) => {
                    let message = format!("the body ended early: {e}");
                    let _ = tx.send(Err(std::io::Error::other(message.clone()))).await;
                    return Err(message);
                }
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let done = async move { pump.await.unwrap_or_else(|e| Err(e.to_string())) };
    (stream, done)
}

/// Why [`collect`] gave up on a body.
pub enum Collect {
    /// It is longer than the bound.
    TooLarge,
    /// It ended early, or stalled (see [`whole`]).
    Incomplete(String),
}

/// The whole body in memory, at most `max` bytes, arriving as [`whole`]
/// requires: a trickled body cannot hold a connection and its buffer.
pub async fn collect(body: Body, window: Duration, max: usize) -> Result<Bytes, Collect> {
    let (stream, done) = whole(body, window);
    let mut stream = std::pin::pin!(stream);
    let mut bytes = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Collect::Incomplete(e.to_string()))?;
        if bytes.len() + chunk.len() > max {
            return Err(Collect::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    done.await.map_err(Collect::Incomplete)?;
    Ok(bytes.freeze())
}

/// Reads the body to its end and drops it, as [`whole`] requires it to
/// arrive: for answers given without looking at the body (an injected
/// failure), so the client sees the answer rather than a reset connection.
pub async fn drain(body: Body, window: Duration) {
    let (stream, done) = whole(body, window);
    let mut stream = std::pin::pin!(stream);
    while stream.next().await.is_some() {}
    let _ = done.await;
}

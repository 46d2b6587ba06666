//! Streaming `multipart/form-data` bodies.
//!
//! A [`FilePart`] names where a file's bytes come from: a path, bytes in
//! memory, or a one-shot reader. A [`Multipart`] lays parts out and streams
//! them, so an upload holds a buffer of [`CHUNK`] bytes whatever the file's
//! size, and knows its exact length up front, so requests carry a
//! `Content-Length` rather than chunked encoding. Each attempt of a request
//! builds a fresh `Multipart`, which reopens path sources: a retried upload
//! re-sends the whole file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::io::ReaderStream;

/// Read buffer of a streamed file: big enough for loopback speed, small
/// enough to keep memory flat.
pub const CHUNK: usize = 256 * 1024;

type Reader = Pin<Box<dyn AsyncRead + Send + Sync>>;
type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// A file to upload as one part of a `multipart/form-data` body.
///
/// ```no_run
/// # async fn demo() -> Result<(), codearts_req_runtime::multipart::FileError> {
/// use codearts_req_runtime::FilePart;
/// let report = FilePart::from_path("report.pdf").await?
///     .with_content_type("application/pdf");
/// let note = FilePart::from_bytes("note.txt", "hello");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FilePart {
    source: Source,
    file_name: String,
    content_type: Option<String>,
    len: u64,
    progress: Option<Progress>,
}

#[derive(Clone)]
enum Source {
    Path(PathBuf),
    Bytes(Bytes),
    /// Taken by the first body that sends it.
    Reader(Arc<Mutex<Option<Reader>>>),
}

/// A file that could not be read, with its path.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}", path.display())]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: std::io::Error,
}

impl FilePart {
    /// A file on disk, streamed from the path on every attempt. Its name in
    /// the form is the path's last component.
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self, FileError> {
        let path = path.as_ref().to_path_buf();
        let error = |source| FileError {
            path: path.clone(),
            source,
        };
        let metadata = tokio::fs::metadata(&path).await.map_err(error)?;
        if !metadata.is_file() {
            return Err(error(std::io::Error::other("not a regular file")));
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self {
            source: Source::Path(path),
            file_name,
            content_type: None,
            len: metadata.len(),
            progress: None,
        })
    }

    /// Bytes in memory, sent as a file called `file_name`.
    pub fn from_bytes(file_name: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            len: bytes.len() as u64,
            source: Source::Bytes(bytes),
            file_name: file_name.into(),
            content_type: None,
            progress: None,
        }
    }

    /// A reader of exactly `len` bytes, sent as a file called `file_name`.
    ///
    /// A reader can be sent once, so a request carrying one is not retried.
    /// A reader that ends early fails the upload rather than sending a short
    /// file; bytes past `len` are not read.
    pub fn from_reader(
        file_name: impl Into<String>,
        reader: impl AsyncRead + Send + Sync + 'static,
        len: u64,
    ) -> Self {
        Self {
            source: Source::Reader(Arc::new(Mutex::new(Some(Box::pin(reader))))),
            file_name: file_name.into(),
            content_type: None,
            len,
            progress: None,
        }
    }

    /// Replaces the file name sent in the part's `Content-Disposition`.
    pub fn with_file_name(mut self, file_name: impl Into<String>) -> Self {
        self.file_name = file_name.into();
        self
    }

    /// Sends a `Content-Type` for the part (none is sent by default, as the
    /// official SDK does).
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Calls `progress` with the number of this file's bytes sent so far in
    /// the current attempt; a retry starts again from 0.
    pub fn with_progress(mut self, progress: impl Fn(u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// The file name sent with the part.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The number of bytes the part carries.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the part can be sent again, so a request carrying it can be
    /// retried: true for paths and bytes, false for readers.
    pub fn is_replayable(&self) -> bool {
        !matches!(self.source, Source::Reader(_))
    }

    fn describe(&self) -> PathBuf {
        match &self.source {
            Source::Path(path) => path.clone(),
            _ => PathBuf::from(&self.file_name),
        }
    }
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Path(path) => format!("path {}", path.display()),
            Source::Bytes(_) => "bytes".into(),
            Source::Reader(_) => "reader".into(),
        };
        f.debug_struct("FilePart")
            .field("file_name", &self.file_name)
            .field("source", &source)
            .field("len", &self.len)
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// A form that lays itself out as a `multipart/form-data` body, once per
/// attempt; generated form types implement it.
pub trait ToMultipart {
    /// The body, in the spec's field order. Cheap: files are opened only
    /// when sent.
    fn to_multipart(&self) -> Multipart;
}

/// A `multipart/form-data` body being laid out; generated form types build
/// one per attempt with [`Multipart::text`] and [`Multipart::file`].
pub struct Multipart {
    boundary: String,
    parts: Vec<(Bytes, Content)>,
    /// Set when a one-shot reader was already taken by an earlier body.
    consumed: bool,
}

enum Content {
    Text(Bytes),
    File(FilePart, Option<Reader>),
}

impl Default for Multipart {
    fn default() -> Self {
        Self::new()
    }
}

impl Multipart {
    /// An empty body with a fresh random boundary.
    pub fn new() -> Self {
        Self {
            boundary: format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
            parts: Vec::new(),
            consumed: false,
        }
    }

    /// Adds a text field.
    pub fn text(&mut self, name: &str, value: String) {
        let head = self.head(name, None, None);
        self.parts.push((head, Content::Text(Bytes::from(value))));
    }

    /// Adds a file field.
    pub fn file(&mut self, name: &str, file: &FilePart) {
        let head = self.head(name, Some(&file.file_name), file.content_type.as_deref());
        let reader = match &file.source {
            Source::Reader(slot) => {
                let taken = slot.lock().map(|mut r| r.take()).unwrap_or(None);
                self.consumed |= taken.is_none();
                taken
            }
            _ => None,
        };
        self.parts.push((head, Content::File(file.clone(), reader)));
    }

    /// Whether every part can be sent again.
    pub fn is_replayable(&self) -> bool {
        self.parts.iter().all(|(_, c)| match c {
            Content::Text(_) => true,
            Content::File(f, _) => f.is_replayable(),
        })
    }

    fn head(&self, name: &str, file_name: Option<&str>, content_type: Option<&str>) -> Bytes {
        let mut head = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{}\"",
            self.boundary,
            escape(name)
        );
        if let Some(file_name) = file_name {
            head.push_str(&format!("; filename=\"{}\"", escape(file_name)));
        }
        head.push_str("\r\n");
        if let Some(content_type) = content_type {
            head.push_str(&format!("Content-Type: {}\r\n", escape(content_type)));
        }
        head.push_str("\r\n");
        Bytes::from(head)
    }

    fn tail(&self) -> Bytes {
        Bytes::from(format!("--{}--\r\n", self.boundary))
    }

    /// The `Content-Type` header value, with the boundary.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The exact length of the body in bytes.
    pub fn content_length(&self) -> u64 {
        let parts: u64 = self
            .parts
            .iter()
            .map(|(head, content)| {
                let len = match content {
                    Content::Text(t) => t.len() as u64,
                    Content::File(f, _) => f.len,
                };
                head.len() as u64 + len + 2
            })
            .sum();
        parts + self.tail().len() as u64
    }

    /// Puts the body, its `Content-Type` and its `Content-Length` on a
    /// request; `None` when a one-shot reader was already sent.
    pub fn attach(self, request: reqwest::RequestBuilder) -> Option<reqwest::RequestBuilder> {
        if self.consumed {
            return None;
        }
        Some(
            request
                .header(reqwest::header::CONTENT_TYPE, self.content_type())
                .header(reqwest::header::CONTENT_LENGTH, self.content_length())
                .body(reqwest::Body::wrap_stream(self.into_stream())),
        )
    }

    /// Like [`attach`](Self::attach), counting what the HTTP client reads
    /// of the body into `progress`, for stalled-stream protection.
    pub(crate) fn attach_watched(
        self,
        request: reqwest::RequestBuilder,
        progress: std::sync::Arc<crate::stall::UploadProgress>,
    ) -> Option<reqwest::RequestBuilder> {
        if self.consumed {
            return None;
        }
        let (content_type, length) = (self.content_type(), self.content_length());
        let done = progress.clone();
        let chunks = self
            .into_stream()
            .map(move |chunk| {
                if let Ok(bytes) = &chunk {
                    progress.sent(bytes.len());
                }
                chunk
            })
            .chain(stream::once(async move {
                done.finish();
                Ok(Bytes::new())
            }));
        Some(
            request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .header(reqwest::header::CONTENT_LENGTH, length)
                .body(reqwest::Body::wrap_stream(chunks)),
        )
    }

    /// The body as a stream of chunks.
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes, FileError>> {
        let tail = self.tail();
        let segments = self.parts.into_iter().flat_map(|(head, content)| {
            let body = match content {
                Content::Text(text) => stream::once(async move { Ok(text) }).boxed(),
                Content::File(file, reader) => file_stream(file, reader),
            };
            [
                stream::once(async move { Ok(head) }).boxed(),
                body,
                stream::once(async { Ok(Bytes::from_static(b"\r\n")) }).boxed(),
            ]
        });
        stream::iter(segments)
            .chain(stream::once(async move {
                stream::once(async move { Ok(tail) }).boxed()
            }))
            .flatten()
            .boxed()
    }
}

/// Reads up to `len` bytes of a file on one blocking thread, handing chunks
/// over a small channel. Cheaper than `tokio::fs::File`, which hops to the
/// blocking pool and copies through its own buffer for every read; the
/// upload's throughput is within a few percent of curl's this way. Nothing
/// is opened until the stream is first polled.
fn read_file(path: PathBuf, len: u64) -> BoxStream<'static, std::io::Result<Bytes>> {
    stream::once(async move {
        let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
        tokio::task::spawn_blocking(move || {
            use std::io::Read;
            let mut file = match std::fs::File::open(&path) {
                Ok(file) => file.take(len),
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            loop {
                let mut buffer = BytesMut::zeroed(CHUNK);
                match file.read(&mut buffer) {
                    Ok(0) => return,
                    Ok(n) => {
                        buffer.truncate(n);
                        // A closed channel means the request was dropped.
                        if tx.blocking_send(Ok(buffer.freeze())).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
        stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
    })
    .flatten()
    .boxed()
}

/// Streams exactly `file.len` bytes of the file, reporting progress.
fn file_stream(
    file: FilePart,
    reader: Option<Reader>,
) -> BoxStream<'static, Result<Bytes, FileError>> {
    let name = file.describe();
    let len = file.len;
    let progress = file.progress.clone();
    let error = {
        let name = name.clone();
        move |source| FileError {
            path: name.clone(),
            source,
        }
    };
    let chunks: BoxStream<'static, std::io::Result<Bytes>> = match file.source {
        Source::Bytes(bytes) => stream::once(async move { Ok(bytes) }).boxed(),
        Source::Path(path) => read_file(path, len),
        Source::Reader(_) => match reader {
            Some(reader) => ReaderStream::with_capacity(reader.take(len), CHUNK).boxed(),
            None => {
                stream::once(async { Err(std::io::Error::other("the reader was already sent")) })
                    .boxed()
            }
        },
    };
    // Count what was sent; a source that ends early is an error, never a
    // short file.
    stream::unfold(
        (chunks, 0u64, false),
        move |(mut chunks, sent, done)| {
            let progress = progress.clone();
            let error = error.clone();
            async move {
                if done {
                    return None;
                }
                match chunks.next().await {
                    Some(Ok(chunk)) => {
                        let sent = sent + chunk.len() as u64;
                        if let Some(progress) = &progress {
                            progress(sent);
                        }
                        Some((Ok(chunk), (chunks, sent, false)))
                    }
                    Some(Err(e)) => Some((Err(error(e)), (chunks, sent, true))),
                    None if sent < len => {
                        let e = std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            format!("it ended after {sent} of its {len} bytes (was it changed during the upload?)"),
                        );
                        Some((Err(error(e)), (chunks, sent, true)))
                    }
                    None => {
                        if len == 0
                            && let Some(progress) = &progress
                        {
                            progress(0);
                        }
                        None
                    }
                }
            }
        },
    )
    .boxed()
}

/// Escapes a name for a quoted `Content-Disposition` parameter the way
/// browsers do (WHATWG HTML, "multipart/form-data encoding algorithm"):
/// `"` becomes `%22`, CR `%0D`, LF `%0A`; and, beyond browsers, every other
/// control character but tab as `%XX`, which a header cannot carry (a
/// server would refuse the part). Other characters, UTF-8 included, are
/// sent as they are, as the official SDK does.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\t' => out.push(c),
            c if c.is_ascii_control() => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    fn test_client() -> reqwest::Client {
        crate::install_default_tls_provider();
        reqwest::Client::new()
    }

    use super::*;

    async fn collect(form: Multipart) -> Vec<u8> {
        let mut out = Vec::new();
        let mut stream = form.into_stream();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn layout_and_length_match_the_official_sdk() {
        let mut form = Multipart::new();
        form.boundary = "B".into();
        form.file("attachment", &FilePart::from_bytes("a\"b\r\n中.txt", "hi"));
        form.text("note", "x".into());
        let length = form.content_length();
        let body = collect(form).await;
        let expected = "--B\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a%22b%0D%0A中.txt\"\r\n\r\nhi\r\n\
                        --B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nx\r\n--B--\r\n";
        assert_eq!(String::from_utf8(body.clone()).unwrap(), expected);
        assert_eq!(length, body.len() as u64);
    }

    #[tokio::test]
    async fn a_short_reader_is_an_error_not_a_short_file() {
        let mut form = Multipart::new();
        form.file("f", &FilePart::from_reader("r", &b"abc"[..], 10));
        let mut stream = form.into_stream();
        let mut failure = None;
        while let Some(chunk) = stream.next().await {
            if let Err(e) = chunk {
                failure = Some(e);
            }
        }
        let failure = failure.expect("a short reader must fail");
        assert_eq!(failure.path, PathBuf::from("r"));
        // The message names the file; its source says what went wrong.
        assert_eq!(failure.to_string(), "cannot read r");
        assert!(
            failure.source.to_string().contains("3 of its 10 bytes"),
            "{}",
            failure.source
        );
    }

    #[tokio::test]
    async fn a_reader_is_sent_once() {
        let part = FilePart::from_reader("r", &b"abc"[..], 3);
        assert!(!part.is_replayable());
        let mut first = Multipart::new();
        first.file("f", &part);
        assert!(first.attach(test_client().post("http://x/")).is_some());
        let mut second = Multipart::new();
        second.file("f", &part);
        assert!(second.attach(test_client().post("http://x/")).is_none());
    }

    #[tokio::test]
    async fn a_missing_file_names_its_path() {
        let err = FilePart::from_path("/nonexistent/dir/file.bin")
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/dir/file.bin"),
            "{err}"
        );
    }
}

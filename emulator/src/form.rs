//! Reading a `multipart/form-data` body as it streams: text parts into
//! memory (bounded), file parts (those with a file name) to files in the
//! store's uploads directory, hashed on the way, so a 200 MB upload costs
//! no more memory than a small one. A form counts only once every byte of
//! the body arrived (`crate::body::whole`); until a write moves them into
//! place, its files go when the parts are dropped.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::reply::error;
use crate::store::{Files, Upload};

/// The error code of a request the spec does not allow.
const INVALID_REQUEST: &str = "PM.02175001";
/// A file part is larger than the emulator takes.
const TOO_LARGE: &str = "PM.02175010";
/// The most parts a form may have.
const MAX_PARTS: usize = 64;
/// The most bytes of a text part.
const MAX_TEXT: usize = 1024 * 1024;

/// One part of a form.
#[derive(Debug)]
pub(crate) struct FormPart {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub content: Content,
}

/// A part's content.
#[derive(Debug)]
pub(crate) enum Content {
    /// A part without a file name, in memory.
    #[expect(
        dead_code,
        reason = "no stateful handler reads a text part; the form keeps them as a parser would"
    )]
    Text(bytes::Bytes),
    /// A file part, complete, in the uploads directory.
    File(Upload),
    /// A file part read and dropped (the emulator keeps no state).
    Dropped,
}

/// How a form is read.
pub(crate) struct Limits {
    /// A body must bring 1 KiB in each such window.
    pub idle: std::time::Duration,
    /// The largest file part.
    pub max_file: u64,
}

/// Reads the form; `parts_read` learns how many parts were read, however
/// it ends. Files go to `files`' uploads directory, or are dropped
/// without a store.
pub(crate) async fn read(
    content_type: &str,
    body: Body,
    files: Option<&Files>,
    limits: &Limits,
    parts_read: impl FnOnce(usize),
) -> Result<Vec<FormPart>, Response> {
    let boundary = multer::parse_boundary(content_type).map_err(|e| malformed(&e))?;
    let (stream, whole_body) = crate::body::whole(body, limits.idle);
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    let read = async {
        while let Some(field) = multipart.next_field().await.map_err(|e| malformed(&e))? {
            if parts.len() == MAX_PARTS {
                return Err(invalid(&format!(
                    "The form has more than {MAX_PARTS} parts."
                )));
            }
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let content_type = field.content_type().map(ToString::to_string);
            let content = match (&file_name, files) {
                (None, _) => Content::Text(text(field, &name).await?),
                (Some(_), Some(files)) => {
                    Content::File(to_file(field, &name, files, limits.max_file).await?)
                }
                (Some(_), None) => {
                    drain(field, &name, limits.max_file).await?;
                    Content::Dropped
                }
            };
            parts.push(FormPart {
                name,
                file_name,
                content_type,
                content,
            });
        }
        Ok(())
    }
    .await;
    parts_read(parts.len());
    drop(multipart);
    read?;
    // A multipart body can be complete before the request is: it counts
    // only if every byte of its Content-Length arrived.
    whole_body
        .await
        .map_err(|why| invalid(&format!("The request body is incomplete: {why}")))?;
    Ok(parts)
}

async fn text(mut field: multer::Field<'_>, name: &str) -> Result<bytes::Bytes, Response> {
    let mut bytes = bytes::BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
        if bytes.len() + chunk.len() > MAX_TEXT {
            return Err(invalid(&format!(
                "The form part `{}` exceeds {MAX_TEXT} bytes.",
                name.escape_debug()
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

async fn to_file(
    mut field: multer::Field<'_>,
    name: &str,
    files: &Files,
    max: u64,
) -> Result<Upload, Response> {
    let internal = |e: std::io::Error| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "PM.00000500",
            &e.to_string(),
        )
    };
    let path = files.partial_file();
    let mut file = tokio::fs::File::create(&path).await.map_err(internal)?;
    // From here the file goes if the part does not complete.
    let mut upload = Upload {
        path,
        size: 0,
        sha256: String::new(),
    };
    let mut hasher = Sha256::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
        upload.size += chunk.len() as u64;
        if upload.size > max {
            return Err(too_large(name, max));
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(internal)?;
    }
    file.sync_all().await.map_err(internal)?;
    upload.sha256 = hex::encode(hasher.finalize());
    Ok(upload)
}

async fn drain(mut field: multer::Field<'_>, name: &str, max: u64) -> Result<(), Response> {
    let mut size = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
        size += chunk.len() as u64;
        if size > max {
            return Err(too_large(name, max));
        }
    }
    Ok(())
}

fn too_large(name: &str, max: u64) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        TOO_LARGE,
        &format!(
            "The file part `{}` exceeds the maximum size of {max} bytes.",
            name.escape_debug()
        ),
    )
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, INVALID_REQUEST, message)
}

fn malformed(e: &multer::Error) -> Response {
    invalid(&format!("Malformed multipart body: {e}"))
}

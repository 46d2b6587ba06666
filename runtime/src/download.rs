//! Saving a streamed response body to a file, atomically.

use std::path::{Path, PathBuf};

use crate::response::{ByteStream, Response};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::error::{ApiError, WriteError};

/// Saves a binary response (such as a download) to a file.
#[allow(async_fn_in_trait)]
pub trait SaveToFile {
    /// Streams the body into a temporary file beside `path`, then renames it
    /// to `path`: a failure (a broken connection, a full disk) never leaves
    /// a partial file under `path`, and replaces nothing. `progress` gets the
    /// number of bytes written so far. Returns the number of bytes saved.
    async fn save_to(self, path: impl AsRef<Path>, progress: impl Fn(u64))
    -> Result<u64, ApiError>;

    /// Like [`save_to`](Self::save_to), but never replaces anything: if
    /// `path` exists when the download completes (a file, a link, a device),
    /// it fails with an `AlreadyExists` [`WriteError`] and leaves `path` as
    /// it was. The final step is a hard link, which the file system makes
    /// atomically only if nothing is there.
    async fn save_new(
        self,
        path: impl AsRef<Path>,
        progress: impl Fn(u64),
    ) -> Result<u64, ApiError>;
}

impl SaveToFile for Response<ByteStream> {
    async fn save_to(
        self,
        path: impl AsRef<Path>,
        progress: impl Fn(u64),
    ) -> Result<u64, ApiError> {
        save(self, path.as_ref(), progress, true).await
    }

    async fn save_new(
        self,
        path: impl AsRef<Path>,
        progress: impl Fn(u64),
    ) -> Result<u64, ApiError> {
        save(self, path.as_ref(), progress, false).await
    }
}

async fn save(
    response: Response<ByteStream>,
    path: &Path,
    progress: impl Fn(u64),
    replace: bool,
) -> Result<u64, ApiError> {
    let expected = response.content_length();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.{:08x}.partial", fastrand::u32(..)));
    let write_error = |source| {
        ApiError::Write(WriteError {
            path: path.to_path_buf(),
            source,
        })
    };
    let result = async {
        let mut file = tokio::fs::File::create(&temp).await.map_err(write_error)?;
        let mut stream = response.into_inner();
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            file.write_all(&chunk).await.map_err(write_error)?;
            written += chunk.len() as u64;
            progress(written);
        }
        if let Some(expected) = expected.filter(|e| *e != written) {
            return Err(write_error(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the download ended after {written} of {expected} bytes"),
            )));
        }
        file.sync_all().await.map_err(write_error)?;
        drop(file);
        if replace {
            tokio::fs::rename(&temp, path).await.map_err(write_error)?;
        } else {
            tokio::fs::hard_link(&temp, path)
                .await
                .map_err(write_error)?;
            let _ = tokio::fs::remove_file(&temp).await;
        }
        Ok(written)
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    result
}

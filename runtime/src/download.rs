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
}

impl SaveToFile for Response<ByteStream> {
    async fn save_to(
        self,
        path: impl AsRef<Path>,
        progress: impl Fn(u64),
    ) -> Result<u64, ApiError> {
        let path = path.as_ref();
        let expected = self.content_length();
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
            let mut stream = self.into_inner();
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
            tokio::fs::rename(&temp, path).await.map_err(write_error)?;
            Ok(written)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        result
    }
}

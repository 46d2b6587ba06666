//! Saving a streamed response body to a file, atomically.

use std::path::{Path, PathBuf};

use crate::response::{ByteStream, Response};
use futures_util::StreamExt;
use std::io::Write;

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
    // Removes the temporary file if the save fails or is dropped midway
    // (a caller's timeout, Ctrl-C); disarmed once it is in place.
    let mut cleanup = RemoveOnDrop(Some(temp.clone()));
    let result = async {
        // A fresh name, never a file (or a link planted there) that exists.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(write_error)?;
        let mut writer = BatchWriter::new(file);
        let mut stream = response.into_inner();
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    writer.abandon().await;
                    return Err(e);
                }
            };
            writer.write(&chunk).await.map_err(write_error)?;
            written += chunk.len() as u64;
            progress(written);
        }
        if let Some(expected) = expected.filter(|e| *e != written) {
            writer.abandon().await;
            return Err(write_error(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the download ended after {written} of {expected} bytes"),
            )));
        }
        writer.finish().await.map_err(write_error)?;
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
    if result.is_ok() {
        cleanup.0 = None;
    }
    result
}

struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// How much is gathered before one write: large enough that handing a
/// write to the blocking pool is rare, small enough to stay in cache.
const BATCH: usize = 1 << 20;

/// Writes a file on the blocking pool in batches of [`BATCH`] bytes, one
/// batch being written while the next is gathered, in two buffers that are
/// reused. `tokio::fs::File` hands every chunk (often 16 to 400 KiB) to the
/// pool on its own, which cost a third more CPU than curl on 1 GiB; keeping
/// the chunks themselves instead of copying them stops the HTTP client from
/// reusing its read buffers, which cost more again in page faults
/// (benches/README.md).
struct BatchWriter {
    /// The file and the spare buffer, when no write is in flight.
    idle: Option<FileAndBuffer>,
    in_flight: Option<tokio::task::JoinHandle<std::io::Result<FileAndBuffer>>>,
    gathering: Vec<u8>,
}

type FileAndBuffer = (std::fs::File, Vec<u8>);

impl BatchWriter {
    fn new(file: std::fs::File) -> Self {
        Self {
            idle: Some((file, Vec::with_capacity(BATCH))),
            in_flight: None,
            gathering: Vec::with_capacity(BATCH),
        }
    }

    async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.gathering.extend_from_slice(chunk);
        if self.gathering.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    /// Waits for the write in flight, then starts writing what was gathered.
    async fn flush(&mut self) -> std::io::Result<()> {
        let (file, mut spare) = self.settle().await?;
        spare.clear();
        let batch = std::mem::replace(&mut self.gathering, spare);
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            let mut file = file;
            file.write_all(&batch)?;
            Ok((file, batch))
        }));
        Ok(())
    }

    async fn settle(&mut self) -> std::io::Result<FileAndBuffer> {
        match (self.in_flight.take(), self.idle.take()) {
            (Some(write), _) => write.await.map_err(std::io::Error::other)?,
            (None, Some(idle)) => Ok(idle),
            (None, None) => Err(std::io::Error::other("an earlier write failed")),
        }
    }

    /// Waits for the write in flight, so the file is closed before the
    /// caller removes it.
    async fn abandon(mut self) {
        let _ = self.settle().await;
    }

    /// Writes the rest and syncs the file to disk.
    async fn finish(mut self) -> std::io::Result<()> {
        if !self.gathering.is_empty() {
            self.flush().await?;
        }
        let (file, _) = self.settle().await?;
        tokio::task::spawn_blocking(move || file.sync_all())
            .await
            .map_err(std::io::Error::other)?
    }
}

//! The files beside the database: attachments' and images' bytes, and the
//! uploads in flight.
//!
//! A file's bytes are written first, under `partial/`, and renamed into
//! place inside the write transaction that commits the row naming it; so
//! a crash leaves at worst a file no row names, which the next open
//! removes. Each process writes its uploads in a directory of its own,
//! `partial/<name>/`, and holds a lock on `partial/<name>.lock` while it
//! lives: an open removes only the directories whose lock it can take,
//! never those of a live process. Both run inside the store's open
//! transaction, which every process's open waits for in turn.

use std::collections::HashSet;
use std::fs::{self, File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

/// The data directory's files, and this process's uploads directory.
pub(crate) struct Files {
    attachments: PathBuf,
    images: PathBuf,
    /// `partial/<name>/`, this process's own.
    partial: PathBuf,
    /// Held (locked) while the store is open, so other processes leave
    /// `partial` alone.
    _owner: File,
}

impl Files {
    /// Creates the directories, removes what dead processes' uploads left,
    /// and claims an uploads directory. Call with the store's write lock
    /// held (see the module docs).
    pub(crate) fn open(data_dir: &Path) -> io::Result<Files> {
        let attachments = data_dir.join("attachments");
        let images = data_dir.join("images");
        let partials = data_dir.join("partial");
        for dir in [&attachments, &images, &partials] {
            fs::create_dir_all(dir)?;
        }
        remove_dead_uploads(&partials)?;
        let name = format!("{}-{:016x}", std::process::id(), fastrand::u64(..));
        let owner = File::create(partials.join(format!("{name}.lock")))?;
        owner.try_lock().map_err(|e| match e {
            TryLockError::Error(e) => e,
            TryLockError::WouldBlock => io::Error::other("a fresh lock file is locked"),
        })?;
        let partial = partials.join(name);
        fs::create_dir(&partial)?;
        Ok(Files {
            attachments,
            images,
            partial,
            _owner: owner,
        })
    }

    /// Where an attachment's bytes are.
    pub(crate) fn attachment(&self, storage_id: &str) -> PathBuf {
        self.attachments.join(format!("{storage_id}.bin"))
    }

    /// Where an image's bytes are. The name is one the emulator made (32
    /// hex digits and an extension); it is checked again all the same
    /// before it goes near the file system.
    pub(crate) fn image(&self, file_name: &str) -> Option<PathBuf> {
        let plain = !file_name.is_empty()
            && !file_name.starts_with('.')
            && file_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.');
        plain.then(|| self.images.join(file_name))
    }

    /// A new file name in this process's uploads directory.
    pub(crate) fn partial_file(&self) -> PathBuf {
        self.partial.join(format!(
            "{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        ))
    }

    /// Removes the attachment and image files no row names: what a crash
    /// between a rename and its commit left. Call with the store's write
    /// lock held, so no other process is between the two.
    pub(crate) fn remove_orphans(
        &self,
        attachments: &HashSet<String>,
        images: &HashSet<String>,
    ) -> io::Result<()> {
        for entry in fs::read_dir(&self.attachments)? {
            let path = entry?.path();
            let named = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".bin"))
                .is_some_and(|id| attachments.contains(id));
            if path.extension().is_some_and(|e| e == "bin") && !named {
                let _ = fs::remove_file(&path);
            }
        }
        for entry in fs::read_dir(&self.images)? {
            let path = entry?.path();
            let named = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| images.contains(n));
            if path.is_file() && !named {
                let _ = fs::remove_file(&path);
            }
        }
        Ok(())
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        // The lock goes with the file handle; the directory is ours.
        let _ = fs::remove_dir_all(&self.partial);
        let mut lock = self.partial.clone().into_os_string();
        lock.push(".lock");
        let _ = fs::remove_file(lock);
    }
}

/// Removes `partial/<name>/` and its lock for every lock no live process
/// holds. Files directly in `partial/` (from emulators before the store)
/// are left alone: their owner cannot be told.
fn remove_dead_uploads(partials: &Path) -> io::Result<()> {
    for entry in fs::read_dir(partials)? {
        let lock_path = entry?.path();
        if lock_path.extension().is_none_or(|e| e != "lock") {
            continue;
        }
        let Ok(lock) = File::open(&lock_path) else {
            continue;
        };
        match lock.try_lock() {
            Ok(()) => {
                let _ = fs::remove_dir_all(lock_path.with_extension(""));
                let _ = fs::remove_file(&lock_path);
            }
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(e),
        }
    }
    Ok(())
}

/// An uploaded file part, complete, in this process's uploads directory;
/// removed when dropped unless a write moved it into place.
#[derive(Debug)]
pub(crate) struct Upload {
    pub path: PathBuf,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

impl Drop for Upload {
    fn drop(&mut self) {
        // Gone already if a write adopted it.
        let _ = fs::remove_file(&self.path);
    }
}

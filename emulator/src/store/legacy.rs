//! The data directories of the emulators before the store: `state.json`
//! (work items, comments, labels, images, fields), one
//! `attachments/<storage_id>.json` per attachment, and `deleted.json` (work
//! items marked deleted). Imported once, in the store's open transaction;
//! the files are then moved to `<data_dir>/imported/`, never deleted.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Transaction};
use serde::Deserialize;

use super::state::{Attachment, Comment, Field, Image, Label, State, WorkItem};

/// The meta key recording the import, so a crash before the files are
/// moved does not import them twice.
const IMPORTED: &str = "imported_state_json";

/// `state.json` as those emulators wrote it.
#[derive(Default, Deserialize)]
#[serde(default)]
struct LegacyState {
    last_id: u64,
    projects: BTreeMap<String, LegacyProject>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct LegacyProject {
    work_items: BTreeMap<String, WorkItem>,
    comments: BTreeMap<String, Comment>,
    labels: BTreeMap<String, Label>,
    images: BTreeMap<String, Image>,
    fields: Vec<Field>,
}

/// The files an import read, to move aside once it is committed.
pub(super) struct Imported {
    data_dir: PathBuf,
    files: Vec<PathBuf>,
}

impl Imported {
    /// Moves the imported files to `<data_dir>/imported/`, keeping their
    /// paths relative to the data directory.
    pub(super) fn set_aside(self) -> io::Result<()> {
        for file in self.files {
            let Ok(relative) = file.strip_prefix(&self.data_dir) else {
                continue;
            };
            let to = self.data_dir.join("imported").join(relative);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::rename(&file, &to)?;
        }
        Ok(())
    }
}

/// Imports a legacy data directory into the store, if there is one and it
/// was not imported yet. An unreadable `state.json` is an error, and the
/// files are left as they are.
pub(super) fn import(tx: &Transaction<'_>, data_dir: &Path) -> io::Result<Option<Imported>> {
    let state_json = data_dir.join("state.json");
    let deleted_json = data_dir.join("deleted.json");
    let mut files: Vec<PathBuf> = [&state_json, &deleted_json]
        .into_iter()
        .filter(|f| f.is_file())
        .cloned()
        .collect();
    let attachments_dir = data_dir.join("attachments");
    if attachments_dir.is_dir() {
        for entry in std::fs::read_dir(&attachments_dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    if files.is_empty() {
        return Ok(None);
    }
    let imported = Imported {
        data_dir: data_dir.to_path_buf(),
        files,
    };
    let sql =
        |e: rusqlite::Error| io::Error::other(format!("cannot import {}: {e}", data_dir.display()));
    let done: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = ?1", [IMPORTED], |r| {
            r.get(0)
        })
        .optional()
        .map_err(sql)?;
    if done.is_some() {
        return Ok(Some(imported));
    }

    let unreadable = |path: &Path, e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} cannot be imported into the store: {e}; it is left as it is",
                path.display()
            ),
        )
    };
    let legacy: LegacyState = match std::fs::read(&state_json) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| unreadable(&state_json, &e))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => LegacyState::default(),
        Err(e) => return Err(e),
    };
    let mut state = State::default();
    let mut last_id = legacy.last_id;
    for (id, old) in legacy.projects {
        let project = state.project_mut(&id);
        for (id, row) in old.work_items {
            project.work_items.insert(id, row);
        }
        for (id, row) in old.comments {
            project.comments.insert(id, row);
        }
        for (id, row) in old.labels {
            project.labels.insert(id, row);
        }
        for (id, row) in old.images {
            project.images.insert(id, row);
        }
        for row in old.fields {
            project.fields.insert(row.id.clone(), row);
        }
    }
    for path in imported
        .files
        .iter()
        .filter(|f| f.starts_with(&attachments_dir))
    {
        let bytes = std::fs::read(path)?;
        let attachment: Attachment =
            serde_json::from_slice(&bytes).map_err(|e| unreadable(path, &e))?;
        // Those emulators numbered attachments apart; new ids go above.
        last_id = last_id.max(attachment.id.parse().unwrap_or_default());
        state
            .project_mut(&attachment.project_id.clone())
            .attachments
            .insert(attachment.id.clone(), attachment);
    }
    if deleted_json.is_file() {
        let bytes = std::fs::read(&deleted_json)?;
        let deleted: Vec<(String, String)> =
            serde_json::from_slice(&bytes).map_err(|e| unreadable(&deleted_json, &e))?;
        for (project_id, issue_id) in deleted {
            state.mark_deleted(&project_id, &issue_id);
        }
    }

    let generation = super::counter(tx, "generation").map_err(sql)? + 1;
    let stored_last_id = u64::try_from(super::counter(tx, "last_id").map_err(sql)?).unwrap_or(0);
    state.last_id = last_id.max(stored_last_id);
    super::save(tx, &state, generation, stored_last_id).map_err(sql)?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
        [IMPORTED, &format!("{} files", imported.files.len())],
    )
    .map_err(sql)?;
    Ok(Some(imported))
}

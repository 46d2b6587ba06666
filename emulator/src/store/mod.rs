//! The emulator's store: all the state of the stateful operations in one
//! SQLite database, `<data_dir>/state.sqlite3` (open it with the `sqlite3`
//! shell to look: a table per kind of row, each row's fields as JSON in
//! `data`), with the files of attachments and images beside it.
//!
//! - **Transactions.** Each write is one transaction that takes the
//!   database's write lock first (`BEGIN IMMEDIATE`), so writes from
//!   several processes sharing a data directory are serialised: a writer
//!   waits for the lock up to `busy_timeout`, then is answered 503. Ids
//!   come from a counter in the same transaction, so they never collide.
//! - **Durability.** WAL mode with `synchronous=FULL`: a write is
//!   acknowledged only once committed to disk, so a crash, even a power
//!   cut, loses nothing acknowledged and leaves nothing half-written.
//! - **A write costs its change.** The state is also kept in memory, for
//!   queries; a write saves only the rows it changed (`table::Table`). Every
//!   transaction bumps a generation counter, and each row records the
//!   generation that last wrote it (a removed row stays, without data),
//!   so a process loads only what others changed since it last looked.
//! - **Versioned.** `PRAGMA user_version` is the schema version;
//!   migrations run forward on open, and a newer version than this
//!   emulator knows is refused, untouched. A data directory of the
//!   emulators before the store (`state.json`) is imported once.

mod files;
mod legacy;
pub(crate) mod state;
mod table;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::io;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior};

pub(crate) use files::{Files, Upload};
use state::{Kind, State, each_table};

/// The database's file name in the data directory.
pub const DATABASE: &str = "state.sqlite3";

/// The schema version this emulator writes: the number of [`MIGRATIONS`].
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The schema, one step per version: `MIGRATIONS[n]` takes version `n` to
/// `n + 1`. Append only; a released step never changes.
const MIGRATIONS: &[&str] = &[
    // 1: a table per kind of row, and the counters.
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
     INSERT INTO counters (name, value) VALUES ('generation', 0), ('last_id', 0);
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE work_items (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));
     CREATE TABLE comments (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));
     CREATE TABLE labels (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));
     CREATE TABLE images (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));
     CREATE TABLE fields (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));
     CREATE TABLE attachments (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));",
    // 2: what other processes changed is found by generation.
    "CREATE INDEX work_items_gen ON work_items (gen);
     CREATE INDEX comments_gen ON comments (gen);
     CREATE INDEX labels_gen ON labels (gen);
     CREATE INDEX images_gen ON images (gen);
     CREATE INDEX fields_gen ON fields (gen);
     CREATE INDEX attachments_gen ON attachments (gen);",
    // 3: external links of work items, and plans.
    "CREATE TABLE third_parties (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));
     CREATE TABLE plans (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));
     CREATE INDEX third_parties_gen ON third_parties (gen);
     CREATE INDEX plans_gen ON plans (gen);",
    // 4: Scrum work items, their comments, and iterations.
    "CREATE TABLE scrum_issues (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));
     CREATE TABLE iterations (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));
     CREATE TABLE scrum_comments (project_id TEXT NOT NULL, id TEXT NOT NULL,
         gen INTEGER NOT NULL, data TEXT, PRIMARY KEY (project_id, id));
     CREATE INDEX scrum_issues_gen ON scrum_issues (gen);
     CREATE INDEX iterations_gen ON iterations (gen);
     CREATE INDEX scrum_comments_gen ON scrum_comments (gen);",
];

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// Another process held the write lock past the bound.
    #[error("the store is busy: another process held its lock for over {0:?}")]
    Busy(Duration),
    #[error("the store failed: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the store failed: {0}")]
    Io(#[from] io::Error),
    #[error("a stored row is not valid: {0}")]
    Corrupt(String),
}

/// The state, in SQLite and in memory; see the module docs.
pub(crate) struct Store {
    inner: Mutex<Inner>,
    files: Files,
    busy_timeout: Duration,
}

struct Inner {
    conn: Connection,
    state: State,
    /// The generation the memory holds.
    generation: i64,
}

/// A write in progress: the state to change, and the files it moves into
/// place (removed again if the write is refused) or out of place (removed
/// once it is committed).
pub(crate) struct Txn<'a> {
    pub state: &'a mut State,
    pub files: &'a Files,
    placed: Vec<std::path::PathBuf>,
    unplaced: Vec<std::path::PathBuf>,
}

impl Txn<'_> {
    /// Moves a complete upload to `to`, as part of this write.
    pub(crate) fn place(&mut self, upload: &Upload, to: &Path) -> io::Result<()> {
        std::fs::rename(&upload.path, to)?;
        self.placed.push(to.to_path_buf());
        Ok(())
    }

    /// Removes `path` once this write is committed.
    pub(crate) fn remove_after_commit(&mut self, path: std::path::PathBuf) {
        self.unplaced.push(path);
    }
}

/// Whether a write's outcome is to be kept.
pub(crate) trait Outcome {
    fn keep(&self) -> bool;
}

impl Store {
    /// Opens (or creates) the store in `data_dir`: migrates it forward,
    /// imports a `state.json` directory once, removes what crashed writes
    /// left, and loads the state. A store of a newer schema version, or
    /// one that cannot be read, is an error and is left as it is.
    pub(crate) fn open(data_dir: &Path, busy_timeout: Duration) -> io::Result<Store> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(DATABASE);
        let failed =
            |e: rusqlite::Error| io::Error::other(format!("cannot open {}: {e}", path.display()));
        let mut conn = Connection::open(&path).map_err(failed)?;
        conn.busy_timeout(busy_timeout).map_err(failed)?;
        retry_busy(busy_timeout, || {
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        })
        .map_err(failed)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(failed)?;

        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        migrate(&tx, &path)?;
        let imported = legacy::import(&tx, data_dir)?;
        let files = Files::open(data_dir)?;
        let mut state = State::default();
        let generation = load(&tx, &mut state, 0).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} cannot be read: {e}", path.display()),
            )
        })?;
        remove_orphans(&files, &state)?;
        tx.commit().map_err(failed)?;
        if let Some(imported) = imported {
            imported.set_aside()?;
        }
        Ok(Store {
            inner: Mutex::new(Inner {
                conn,
                state,
                generation,
            }),
            files,
            busy_timeout,
        })
    }

    /// The files beside the database.
    pub(crate) fn files(&self) -> &Files {
        &self.files
    }

    /// Runs `read` on the state as last committed, by any process.
    pub(crate) fn read<R>(&self, read: impl FnOnce(&State, &Files) -> R) -> Result<R, StoreError> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let tx = inner.conn.transaction()?;
        inner.generation = load(&tx, &mut inner.state, inner.generation)?;
        tx.commit()?;
        Ok(read(&inner.state, &self.files))
    }

    /// Runs `write` on the latest state in one transaction: what it
    /// changed is committed if its outcome is to be kept, and undone
    /// (in memory and on disk) if not, or if the commit fails.
    pub(crate) fn write<R: Outcome>(
        &self,
        write: impl FnOnce(&mut Txn<'_>) -> R,
    ) -> Result<R, StoreError> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let tx = inner
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| busy(e, self.busy_timeout))?;
        inner.generation = load(&tx, &mut inner.state, inner.generation)?;
        let last_id = inner.state.last_id;
        let mut txn = Txn {
            state: &mut inner.state,
            files: &self.files,
            placed: Vec::new(),
            unplaced: Vec::new(),
        };
        let outcome = write(&mut txn);
        let (placed, unplaced) = (txn.placed, txn.unplaced);
        let undo = |state: &mut State| {
            state.rollback();
            state.last_id = last_id;
            for path in &placed {
                let _ = std::fs::remove_file(path);
            }
        };
        if !outcome.keep() {
            drop(tx);
            undo(&mut inner.state);
            return Ok(outcome);
        }
        let saved =
            save(&tx, &inner.state, inner.generation + 1, last_id).and_then(|()| tx.commit());
        if let Err(e) = saved {
            undo(&mut inner.state);
            return Err(busy(e, self.busy_timeout));
        }
        inner.state.commit();
        inner.generation += 1;
        for path in unplaced {
            let _ = std::fs::remove_file(path);
        }
        Ok(outcome)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        // A write that panicked left its changes in memory only.
        inner.state.rollback();
        inner
    }
}

/// SQLite's "busy" after the wait, as [`StoreError::Busy`].
fn busy(e: rusqlite::Error, waited: Duration) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy(waited),
        _ => StoreError::Sql(e),
    }
}

/// Runs `step` until it is not refused as busy, for up to `bound`
/// (switching to WAL mode does not wait by itself).
fn retry_busy<T>(
    bound: Duration,
    mut step: impl FnMut() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let start = Instant::now();
    loop {
        match step() {
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                ) && start.elapsed() < bound =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Runs the migrations from the store's version to [`SCHEMA_VERSION`];
/// refuses a newer version, changing nothing.
fn migrate(tx: &Transaction<'_>, path: &Path) -> io::Result<()> {
    let failed =
        |e: rusqlite::Error| io::Error::other(format!("cannot migrate {}: {e}", path.display()));
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(failed)?;
    if version > SCHEMA_VERSION {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} has schema version {version}, written by a newer ipd-emulator; this one \
                 knows versions up to {SCHEMA_VERSION}. Use a newer ipd-emulator, or another \
                 data directory; nothing was changed.",
                path.display()
            ),
        ));
    }
    for step in &MIGRATIONS[version as usize..] {
        tx.execute_batch(step).map_err(failed)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(failed)
}

/// Brings `state` from generation `since` to the stored one: the rows
/// written since, and the counters. Returns the stored generation.
fn load(tx: &Transaction<'_>, state: &mut State, since: i64) -> Result<i64, StoreError> {
    let generation = counter(tx, "generation")?;
    if generation == since {
        return Ok(generation);
    }
    for kind in Kind::ALL {
        let mut rows = tx.prepare_cached(&format!(
            "SELECT project_id, id, data FROM {} WHERE gen > ?1",
            kind.table()
        ))?;
        let mut rows = rows.query([since])?;
        while let Some(row) = rows.next()? {
            let project_id: String = row.get(0)?;
            let id: String = row.get(1)?;
            let data: Option<String> = row.get(2)?;
            let project = state.project_mut(&project_id);
            each_table!(mut project, |table_kind, table| if table_kind == kind {
                let parsed = match &data {
                    Some(text) => Some(serde_json::from_str(text).map_err(|e| {
                        StoreError::Corrupt(format!("{} {project_id}/{id}: {e}", kind.table()))
                    })?),
                    None => None,
                };
                table.load(id.clone(), parsed);
            });
        }
    }
    state.last_id = u64::try_from(counter(tx, "last_id")?).unwrap_or_default();
    Ok(generation)
}

fn counter(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached("SELECT value FROM counters WHERE name = ?1")?
        .query_row([name], |row| row.get(0))
        .optional()
        .map(Option::unwrap_or_default)
}

/// Writes the rows `state` changed, as generation `generation`, and the
/// counters.
fn save(
    tx: &Transaction<'_>,
    state: &State,
    generation: i64,
    last_id_before: u64,
) -> rusqlite::Result<()> {
    for (project_id, project) in &state.projects {
        each_table!(ref project, |kind, table| {
            for (id, row) in table.changes() {
                let data = match row {
                    Some(row) => Some(
                        serde_json::to_string(row)
                            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
                    ),
                    None => None,
                };
                tx.prepare_cached(&format!(
                    "INSERT INTO {} (project_id, id, gen, data) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (project_id, id) DO UPDATE SET gen = ?3, data = ?4",
                    kind.table()
                ))?
                .execute(rusqlite::params![project_id, id, generation, data])?;
            }
        });
    }
    if state.last_id != last_id_before {
        set_counter(
            tx,
            "last_id",
            i64::try_from(state.last_id).unwrap_or(i64::MAX),
        )?;
    }
    set_counter(tx, "generation", generation)
}

fn set_counter(tx: &Transaction<'_>, name: &str, value: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO counters (name, value) VALUES (?1, ?2)
                       ON CONFLICT (name) DO UPDATE SET value = ?2",
    )?
    .execute(rusqlite::params![name, value])
    .map(drop)
}

/// Removes the files no row names (see [`Files::remove_orphans`]).
fn remove_orphans(files: &Files, state: &State) -> io::Result<()> {
    let mut attachments = HashSet::new();
    let mut images = HashSet::new();
    for project in state.projects.values() {
        attachments.extend(project.attachments.values().map(|a| a.storage_id.clone()));
        images.extend(project.images.values().map(|i| i.file_name.clone()));
    }
    files.remove_orphans(&attachments, &images)
}

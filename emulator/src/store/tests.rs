//! Opening a store: versions, the import of `state.json` directories, and
//! what crashes leave behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::{DATABASE, MIGRATIONS, SCHEMA_VERSION, Store};

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "ipd-store-{name}-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn open(dir: &Path) -> std::io::Result<Store> {
    Store::open(dir, Duration::from_secs(5))
}

fn titles(store: &Store) -> Vec<String> {
    store
        .read(|state, _| {
            state
                .projects
                .values()
                .flat_map(|p| p.work_items.values())
                .map(|w| w.title.clone())
                .collect()
        })
        .unwrap()
}

#[test]
fn a_store_of_a_newer_version_is_refused_and_left_as_it_is() {
    let dir = Scratch::new("newer");
    drop(open(&dir.0).unwrap());
    let path = dir.0.join(DATABASE);
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let before = fs::read(&path).unwrap();
    let refused = open(&dir.0).err().expect("refused");
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidData);
    let message = refused.to_string();
    assert!(message.contains("newer ipd-emulator"), "{message}");
    assert!(message.contains("nothing was changed"), "{message}");
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn a_store_of_an_older_version_is_migrated_with_its_rows() {
    let dir = Scratch::new("older");
    {
        let conn = Connection::open(dir.0.join(DATABASE)).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO work_items (project_id, id, gen, data) VALUES ('p', '7', 1, ?1)",
            [r#"{"id":"7","title":"Kept","category":"Bug"}"#],
        )
        .unwrap();
        conn.execute(
            "UPDATE counters SET value = 1 WHERE name = 'generation'",
            [],
        )
        .unwrap();
    }
    let store = open(&dir.0).unwrap();
    assert_eq!(titles(&store), ["Kept"]);
    drop(store);
    let conn = Connection::open(dir.0.join(DATABASE)).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let indexed: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'work_items_gen'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexed, 1);
}

#[test]
fn a_state_json_directory_is_imported_once_and_set_aside() {
    let dir = Scratch::new("legacy");
    let state = r#"{
        "last_id": 1100000000000000005,
        "projects": { "p1": {
            "work_items": { "1100000000000000001": { "id": "1100000000000000001", "title": "Old", "category": "Bug" } },
            "comments": { "1100000000000000002": { "id": "1100000000000000002", "issue_id": "1100000000000000001", "description": "hi" } },
            "labels": {},
            "images": {},
            "fields": [ { "id": "1100000000000000003", "code": "custom_field01" } ]
        } }
    }"#;
    fs::write(dir.0.join("state.json"), state).unwrap();
    fs::write(dir.0.join("deleted.json"), r#"[["p1","999"]]"#).unwrap();
    fs::create_dir_all(dir.0.join("attachments")).unwrap();
    let attachment = r#"{"id":"1201764000000000123","project_id":"p1","issue_id":"1100000000000000001",
        "store_filename":"a.txt","storage_id":"abc","extension":"txt","size":3,"created_ms":1,"sha256":"x"}"#;
    fs::write(dir.0.join("attachments/abc.json"), attachment).unwrap();
    fs::write(dir.0.join("attachments/abc.bin"), "abc").unwrap();

    let store = open(&dir.0).unwrap();
    let (titles, comments, fields, attachments, deleted, last_id) = store
        .read(|state, _| {
            let p = &state.projects["p1"];
            (
                p.work_items
                    .values()
                    .map(|w| w.title.clone())
                    .collect::<Vec<_>>(),
                p.comments.len(),
                p.fields.len(),
                p.attachments.len(),
                p.work_items.get("999").is_some_and(|w| w.deleted.is_some()),
                state.last_id,
            )
        })
        .unwrap();
    assert_eq!(titles, ["Old", ""], "the deleted mark is a tombstone");
    assert_eq!((comments, fields, attachments), (1, 1, 1));
    assert!(deleted);
    assert_eq!(
        last_id, 1_201_764_000_000_000_123,
        "new ids go above the old ones"
    );
    assert!(
        dir.0.join("attachments/abc.bin").is_file(),
        "the content stays"
    );
    for moved in ["state.json", "deleted.json", "attachments/abc.json"] {
        assert!(!dir.0.join(moved).exists(), "{moved}");
        assert!(dir.0.join("imported").join(moved).is_file(), "{moved}");
    }
    drop(store);

    // Put back, as if a crash came before it was moved: not imported twice.
    fs::copy(dir.0.join("imported/state.json"), dir.0.join("state.json")).unwrap();
    let store = open(&dir.0).unwrap();
    assert_eq!(
        store.read(|s, _| s.projects["p1"].comments.len()).unwrap(),
        1
    );
    assert!(!dir.0.join("state.json").exists());
}

#[test]
fn an_unreadable_state_json_is_an_error_and_is_kept() {
    let dir = Scratch::new("corrupt");
    let path = dir.0.join("state.json");
    fs::write(&path, "{not json").unwrap();
    let refused = open(&dir.0).err().expect("refused");
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(fs::read_to_string(&path).unwrap(), "{not json");
    assert!(!dir.0.join("imported").exists());
}

#[test]
fn a_corrupt_row_is_an_error_not_a_loss() {
    let dir = Scratch::new("row");
    drop(open(&dir.0).unwrap());
    let conn = Connection::open(dir.0.join(DATABASE)).unwrap();
    conn.execute(
        "INSERT INTO labels (project_id, id, gen, data) VALUES ('p', '1', 1, '{oops')",
        [],
    )
    .unwrap();
    conn.execute(
        "UPDATE counters SET value = 1 WHERE name = 'generation'",
        [],
    )
    .unwrap();
    let refused = open(&dir.0).err().expect("refused");
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidData);
    assert!(refused.to_string().contains("labels p/1"), "{refused}");
}

#[test]
fn an_open_removes_what_crashes_left_but_not_what_live_processes_hold() {
    let dir = Scratch::new("leftovers");
    let live = open(&dir.0).unwrap();
    let live_partial = live.files().partial_file();
    fs::write(&live_partial, "in flight").unwrap();
    // A dead process's uploads directory: its lock is not held.
    let partial = dir.0.join("partial");
    fs::write(partial.join("1-dead.lock"), "").unwrap();
    fs::create_dir(partial.join("1-dead")).unwrap();
    fs::write(partial.join("1-dead/x"), "half").unwrap();
    // A file renamed into place by a write that never committed.
    fs::write(dir.0.join("attachments/orphan.bin"), "x").unwrap();
    fs::write(dir.0.join("images/orphan.png"), "x").unwrap();

    let second = open(&dir.0).unwrap();
    assert!(!partial.join("1-dead").exists());
    assert!(!partial.join("1-dead.lock").exists());
    assert!(!dir.0.join("attachments/orphan.bin").exists());
    assert!(!dir.0.join("images/orphan.png").exists());
    assert!(
        live_partial.is_file(),
        "a live process's upload is left alone"
    );
    drop(second);
    drop(live);
    assert_eq!(
        fs::read_dir(&partial).unwrap().count(),
        0,
        "each store cleans up its own"
    );
}

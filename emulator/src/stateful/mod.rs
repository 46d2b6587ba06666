//! The stateful handlers: the operations whose answers depend on what was
//! sent before (work items, comments, labels, images). Everything else is
//! answered generically from the spec (`crate::generic`). The generic layer
//! has already checked the signature and validated the path, query and body
//! against the spec before a handler runs, and it checks every JSON answer
//! against the spec's response schema after, so handlers only keep state.
//!
//! State is one JSON document in the data directory, rewritten atomically
//! after each change, so it survives restarts as attachments do.

mod comments;
mod fields;
mod images;
mod labels;
mod work_items;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// One validated request, as the generic layer hands it on.
pub(crate) struct Call<'a> {
    /// The spec's `operationId`.
    pub operation: &'a str,
    /// Path parameters, percent-decoded, by spec name.
    pub path: &'a BTreeMap<String, String>,
    /// Query parameters, by spec name (the last value of a repeated one).
    pub query: &'a BTreeMap<String, String>,
    /// The JSON body, when the operation has one.
    pub body: Option<&'a Value>,
    /// The parts of a `multipart/form-data` body, in order.
    pub form: &'a [FormPart],
}

/// One part of a multipart body.
pub(crate) struct FormPart {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: bytes::Bytes,
}

/// A stateful handler's answer.
pub(crate) enum Answer {
    /// 200 with this JSON body (checked against the spec by the caller).
    Json(Value),
    /// 200 with these bytes.
    Bytes {
        content_type: String,
        file_name: Option<String>,
        bytes: bytes::Bytes,
    },
    /// An error in the service's shape: `{"error_code", "error_msg"}`.
    Error {
        status: u16,
        code: &'static str,
        message: String,
    },
}

// ---------------------------------------------------------------------------
// Error codes. Apart from PM.02175145 (which the attachment upload already
// answers for a deleted work item) and PM.00000500, these are the emulator's
// own inventions in the service's PM.0217xxxx range; each means one thing.
// ---------------------------------------------------------------------------

/// The work item has been deleted (writes to it are refused).
const DELETED: &str = "PM.02175145";
/// No such work item (or it was deleted, for reads).
const ITEM_NOT_FOUND: &str = "PM.02175147";
/// No such comment on this work item.
const COMMENT_NOT_FOUND: &str = "PM.02175148";
/// No such label in this project.
const LABEL_NOT_FOUND: &str = "PM.02175149";
/// No such image in this work item's description.
const IMAGE_NOT_FOUND: &str = "PM.02175150";
/// The request is well-formed per the spec but refused by a business rule.
const INVALID: &str = "PM.02175151";
/// Another label of the project already has this title.
const DUPLICATE_LABEL: &str = "PM.02175152";
/// The emulator could not read or write its data.
const INTERNAL: &str = "PM.00000500";

/// The operations that only read state (no save afterwards).
const READS: &[&str] = &[
    "ShowIssueDetail",
    "ShowIpdIssueDetailV2",
    "ListIpdProjectIssues",
    "ListIpdIssueComments",
    "ListIpdLabels",
    "ListIpdProjectFields",
    "DownloadIpdImageInIssue",
];

/// The operations that change state (saved after each success).
const WRITES: &[&str] = &[
    "CreateIpdProjectIssue",
    "BatchCreateIpdIssues",
    "BatchCreateIssuesV2",
    "BatchUpdateIpdIssues",
    "BatchDeleteIpdIssues",
    "BatchDeleteIpdIssue",
    "CreateIpdIssueComments",
    "UpdateIpdIssueComment",
    "DeleteIpdIssueComment",
    "CreateIpdLabel",
    "UpdateIpdLabel",
    "DeleteIpdLabel",
    "UploadIpdImageInIssue",
    "DeleteIpdImageInIssue",
];

/// The first id handed out is just above this: 19 digits, like the
/// service's ids, so string order is creation order.
const ID_BASE: u64 = 1_100_000_000_000_000_000;

/// The one user the emulator knows: every request acts as it (the gateway
/// checks keys, not users). The same user the attachment answers name.
const EMULATOR_USER_ID: &str = "fcb28511450247ffbf78071035f9543c";
const EMULATOR_USER_NAME: &str = "emulator";

/// Lifecycle (`state`) of a live work item or label.
const ACTIVE: &str = "正在工作";

/// Stands in for an absent JSON body.
static NULL: Value = Value::Null;

/// Everything the stateful operations remember, as saved in `state.json`.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct State {
    /// The last id handed out; work items, comments and labels share it.
    last_id: u64,
    /// By project id.
    projects: BTreeMap<String, Project>,
}

/// One project's data.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Project {
    /// By id; deleted ones stay as tombstones (see `WorkItem::deleted`).
    work_items: BTreeMap<String, WorkItem>,
    /// By id, for every work item of the project.
    comments: BTreeMap<String, Comment>,
    /// By id.
    labels: BTreeMap<String, Label>,
    /// Images in work item descriptions, by file name.
    images: BTreeMap<String, Image>,
    /// Custom fields, in order.
    fields: Vec<Field>,
}

/// A project's custom field.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Field {
    id: String,
    code: String,
    display_name: String,
    created_ms: u64,
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct WorkItem {
    id: String,
    /// Type code, date and 6 random digits, as the service numbers them.
    number: String,
    title: String,
    description: String,
    /// Work item type code (RR, SF, IR, SR, AR, US, Epic, FE, Task, Bug).
    category: String,
    /// Status code.
    status: String,
    assignee: Option<User>,
    priority: Option<String>,
    parent_id: Option<String>,
    plan_end_date: Option<String>,
    workload: Option<String>,
    link: Option<String>,
    /// Label ids, in the order given.
    labels: Vec<String>,
    /// Custom field values by field code.
    custom_fields: BTreeMap<String, String>,
    created_ms: u64,
    modified_ms: u64,
    status_modified_ms: u64,
    /// Once deleted, the lifecycle the service reports: `作废` (in the
    /// recycle bin) or `删除` (permanently). The item is kept so that
    /// `Store::is_deleted` can answer and its id is never reused.
    deleted: Option<String>,
}

/// A user as requests name one; any part may be missing.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct User {
    id: Option<String>,
    name: Option<String>,
    nick_name: Option<String>,
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Comment {
    id: String,
    issue_id: String,
    /// `comment` or `reply`.
    category: String,
    description: String,
    /// For a reply: the comment replied to, and the top of its thread.
    parent_id: Option<String>,
    root_id: Option<String>,
    at_others: Option<String>,
    created_ms: u64,
    modified_ms: u64,
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Label {
    id: String,
    title: String,
    color: String,
    label_type: Option<String>,
    category_types: Vec<String>,
}

/// An image's metadata; its bytes are the file `images/<file_name>`.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Image {
    file_name: String,
    issue_id: String,
    content_type: String,
    size: u64,
    created_ms: u64,
}

/// The stateful operations' data, in memory and in `<data_dir>/state.json`.
pub(crate) struct Store {
    state: Mutex<State>,
    /// `<data_dir>/state.json`.
    path: PathBuf,
    /// `<data_dir>/images`.
    images: PathBuf,
}

impl Store {
    /// Opens (or creates) `<data_dir>/state.json`. A missing file is empty
    /// state; an unreadable or corrupt one is an error, so that user data
    /// is never silently discarded.
    pub(crate) fn open(data_dir: &Path) -> io::Result<Store> {
        let images = data_dir.join("images");
        std::fs::create_dir_all(&images)?;
        let path = data_dir.join("state.json");
        let state = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is not valid emulator state: {e}", path.display()),
                )
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e),
        };
        Ok(Store {
            state: Mutex::new(state),
            path,
            images,
        })
    }

    /// Whether `operation` keeps state here.
    pub(crate) fn handles(operation: &str) -> bool {
        READS.contains(&operation) || WRITES.contains(&operation)
    }

    /// Answers `call` if its operation is stateful; None otherwise (then
    /// the generic layer answers from the spec).
    pub(crate) fn handle(&self, call: &Call<'_>) -> Option<Answer> {
        if !Self::handles(call.operation) {
            return None;
        }
        let writes = WRITES.contains(&call.operation);
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !writes {
            return dispatch(&mut state, call, &self.images);
        }
        // Handlers check before they change anything, but a refused or
        // unsaved change is rolled back whole all the same, so memory never
        // holds what the file does not.
        let before = state.clone();
        let answer = dispatch(&mut state, call, &self.images)?;
        if let Answer::Error { .. } = answer {
            *state = before;
            return Some(answer);
        }
        if let Err(e) = save(&self.path, &state) {
            *state = before;
            return Some(internal(&e));
        }
        // An image's file goes only once the saved state no longer names it.
        if call.operation == "DeleteIpdImageInIssue" {
            images::remove_file(&self.images, call);
        }
        Some(answer)
    }

    /// Adds `count` custom fields to a project, saved like every change.
    pub(crate) fn add_project_fields(&self, project_id: &str, count: usize) -> io::Result<()> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = state.clone();
        fields::add(&mut state, project_id, count);
        save(&self.path, &state).inspect_err(|_| *state = before)
    }

    /// Whether this work item was deleted (the attachment upload refuses
    /// deleted work items).
    pub(crate) fn is_deleted(&self, project_id: &str, issue_id: &str) -> bool {
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state
            .projects
            .get(project_id)
            .and_then(|p| p.work_items.get(issue_id))
            .is_some_and(|w| w.deleted.is_some())
    }
}

/// Runs the handler of a stateful operation.
fn dispatch(state: &mut State, call: &Call<'_>, images_dir: &Path) -> Option<Answer> {
    let reply = match call.operation {
        "CreateIpdProjectIssue" => work_items::create_one(state, call),
        "BatchCreateIpdIssues" | "BatchCreateIssuesV2" => work_items::create_batch(state, call),
        "ShowIssueDetail" => work_items::show(state, call),
        "ShowIpdIssueDetailV2" => work_items::show_v2(state, call),
        "ListIpdProjectIssues" => work_items::list(state, call),
        "BatchUpdateIpdIssues" => work_items::update_batch(state, call),
        "BatchDeleteIpdIssues" => work_items::delete_batch(state, call),
        "BatchDeleteIpdIssue" => work_items::delete_batch_counted(state, call),
        "CreateIpdIssueComments" => comments::create(state, call),
        "ListIpdIssueComments" => comments::list(state, call),
        "UpdateIpdIssueComment" => comments::update(state, call),
        "DeleteIpdIssueComment" => comments::delete(state, call),
        "CreateIpdLabel" => labels::create(state, call),
        "ListIpdLabels" => labels::list(state, call),
        "UpdateIpdLabel" => labels::update(state, call),
        "DeleteIpdLabel" => labels::delete(state, call),
        "UploadIpdImageInIssue" => images::upload(state, call, images_dir),
        "DownloadIpdImageInIssue" => images::download(state, call, images_dir),
        "DeleteIpdImageInIssue" => images::delete(state, call),
        "ListIpdProjectFields" => {
            return fields::list(state, call).map(|r| r.unwrap_or_else(|e| e));
        }
        _ => return None,
    };
    Some(match reply {
        Ok(answer) | Err(answer) => answer,
    })
}

/// A handler's outcome; `?` returns an error answer early.
type Reply = Result<Answer, Answer>;

/// The usual envelope: `{"status": "success", "message": null, key: value}`.
fn envelope(key: &str, value: Value) -> Reply {
    let mut body = Map::new();
    body.insert("status".into(), Value::from("success"));
    body.insert("message".into(), Value::Null);
    body.insert(key.into(), value);
    Ok(Answer::Json(Value::Object(body)))
}

/// The envelope most operations answer: the payload under `result`.
fn reply(result: Value) -> Reply {
    envelope("result", result)
}

fn error(status: u16, code: &'static str, message: impl Into<String>) -> Answer {
    Answer::Error {
        status,
        code,
        message: message.into(),
    }
}

fn invalid(message: impl Into<String>) -> Answer {
    error(400, INVALID, message)
}

fn internal(e: &io::Error) -> Answer {
    error(500, INTERNAL, e.to_string())
}

fn item_not_found(issue_id: &str) -> Answer {
    error(
        404,
        ITEM_NOT_FOUND,
        format!("The work item {issue_id} does not exist."),
    )
}

fn path_param<'c>(call: &Call<'c>, name: &str) -> &'c str {
    call.path.get(name).map_or("", String::as_str)
}

fn query_param<'c>(call: &Call<'c>, name: &str) -> Option<&'c str> {
    call.query.get(name).map(String::as_str)
}

/// A query parameter as a count (page numbers and sizes).
fn number_param(call: &Call<'_>, name: &str) -> Option<usize> {
    query_param(call, name).and_then(|v| v.trim().parse().ok())
}

/// The JSON body, or null when there is none.
fn body<'c>(call: &Call<'c>) -> &'c Value {
    call.body.unwrap_or(&NULL)
}

fn str_field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

/// A non-empty string member, owned.
fn text(value: &Value, key: &str) -> Option<String> {
    str_field(value, key)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The non-empty items of a comma-separated list.
fn split_list(list: Option<&str>) -> Vec<&str> {
    list.map(|l| {
        l.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// The strings of a JSON array (other items are skipped).
fn strings(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn find_project<'s>(state: &'s State, call: &Call<'_>) -> Option<&'s Project> {
    state.projects.get(path_param(call, "project_id"))
}

/// The project (created on first write), with the id counter beside it so
/// both can be borrowed at once.
fn project_mut<'s>(state: &'s mut State, call: &Call<'_>) -> (&'s mut u64, &'s mut Project) {
    let project = state
        .projects
        .entry(path_param(call, "project_id").to_string())
        .or_default();
    (&mut state.last_id, project)
}

fn next_id(last_id: &mut u64) -> String {
    *last_id = (*last_id).max(ID_BASE) + 1;
    last_id.to_string()
}

/// A work item that can be read: unknown and deleted ones are not found.
fn live_item<'s>(
    state: &'s State,
    call: &Call<'_>,
    issue_id: &str,
) -> Result<(&'s Project, &'s WorkItem), Answer> {
    find_project(state, call)
        .and_then(|p| {
            p.work_items
                .get(issue_id)
                .filter(|w| w.deleted.is_none())
                .map(|w| (p, w))
        })
        .ok_or_else(|| item_not_found(issue_id))
}

/// A work item that can be changed (or commented on, or given images): a
/// deleted one is refused as the attachment upload refuses it.
fn writable_item<'p>(project: &'p mut Project, issue_id: &str) -> Result<&'p mut WorkItem, Answer> {
    match project.work_items.get_mut(issue_id) {
        None => Err(item_not_found(issue_id)),
        Some(w) if w.deleted.is_some() => Err(error(
            400,
            DELETED,
            format!("The work item {issue_id} has been deleted."),
        )),
        Some(w) => Ok(w),
    }
}

fn emulator_user() -> User {
    User {
        id: Some(EMULATOR_USER_ID.into()),
        name: Some(EMULATOR_USER_NAME.into()),
        nick_name: Some(EMULATOR_USER_NAME.into()),
    }
}

/// A user as `WiUserEntity` and `ClUserEntity` show one.
fn user_entity(user: &User) -> Value {
    json!({ "id": user.id, "name": user.name, "nick_name": user.nick_name })
}

/// A user as `WiUserVO` and `ClUserVO` show one.
fn user_vo(user: &User) -> Value {
    json!({ "user_id": user.id, "user_name": user.name, "nick_name": user.nick_name })
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Saves the whole state: to `state.json.tmp`, then renamed over
/// `state.json`, so a crash leaves the old state or the new, never half.
fn save(path: &Path, state: &State) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(state).map_err(io::Error::other)?;
    write_atomically(path, &bytes)
}

/// Writes `<path>.tmp`, syncs it and renames it to `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let written = write_synced(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of its own under the system's temporary directory,
    /// removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!(
                "ipd-stateful-{name}-{}-{:016x}",
                std::process::id(),
                fastrand::u64(..)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const PROJECT: [(&str, &str); 1] = [("project_id", "p1")];

    fn pairs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn run_form(
        store: &Store,
        operation: &str,
        path: &[(&str, &str)],
        query: &[(&str, &str)],
        body: Option<Value>,
        form: &[FormPart],
    ) -> Answer {
        let (path, query) = (pairs(path), pairs(query));
        let call = Call {
            operation,
            path: &path,
            query: &query,
            body: body.as_ref(),
            form,
        };
        store.handle(&call).expect("a stateful operation")
    }

    fn run(
        store: &Store,
        operation: &str,
        path: &[(&str, &str)],
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        run_form(store, operation, path, query, body, &[])
    }

    fn json_of(answer: Answer) -> Value {
        match answer {
            Answer::Json(value) => value,
            Answer::Error {
                status,
                code,
                message,
            } => panic!("error {status} {code}: {message}"),
            Answer::Bytes { .. } => panic!("bytes, not JSON"),
        }
    }

    fn error_of(answer: Answer) -> (u16, &'static str) {
        match answer {
            Answer::Error { status, code, .. } => (status, code),
            _ => panic!("expected an error"),
        }
    }

    /// Creates a bug and returns its id.
    fn create_bug(store: &Store, title: &str) -> String {
        let body = json!({ "title": title, "description": "", "category": "Bug" });
        let created = json_of(run(
            store,
            "CreateIpdProjectIssue",
            &PROJECT,
            &[],
            Some(body),
        ));
        created["result"][0]["id"].as_str().unwrap().to_string()
    }

    fn list_issues(store: &Store, issue_type: &str, query: Value) -> Value {
        let answer = run(
            store,
            "ListIpdProjectIssues",
            &PROJECT,
            &[("issue_type", issue_type)],
            Some(query),
        );
        json_of(answer)["result"].clone()
    }

    fn show_v2(store: &Store, id: &str) -> Value {
        let path = [("project_id", "p1"), ("issue_id", id)];
        let answer = run(
            store,
            "ShowIpdIssueDetailV2",
            &path,
            &[("category", "Bug")],
            None,
        );
        json_of(answer)["data"].clone()
    }

    #[test]
    fn work_items_are_created_shown_listed_updated_and_deleted() {
        let dir = Scratch::new("items");
        let store = Store::open(&dir.0).unwrap();
        let body = json!({
            "title": "Login fails",
            "description": "d",
            "category": "Bug",
            "assignee": "u1",
        });
        let created = json_of(run(
            &store,
            "CreateIpdProjectIssue",
            &PROJECT,
            &[],
            Some(body),
        ));
        let first = created["result"][0]["id"].as_str().unwrap().to_string();
        let batch = json!([
            {
                "title": "Export", "description": "", "category": "Task",
                "category_layer_id": "1", "status": "Start", "assignee": { "id": "u2" },
            },
            {
                "title": "Login slow", "description": "", "category": "Bug",
                "category_layer_id": "1", "status": "Start", "assignee": { "id": "u1" },
            },
        ]);
        let batch = json_of(run(
            &store,
            "BatchCreateIssuesV2",
            &PROJECT,
            &[],
            Some(batch),
        ));
        let third = batch["result"][1]["id"].as_str().unwrap().to_string();
        assert_eq!(third.len(), 19);
        assert!(third > first, "ids increase");

        let path = [("project_id", "p1"), ("issue_id", first.as_str())];
        let shown = json_of(run(
            &store,
            "ShowIssueDetail",
            &path,
            &[("issue_type", "Bug")],
            None,
        ));
        assert_eq!(shown["result"][0]["title"], "Login fails");
        assert_eq!(shown["result"][0]["status"]["code"], "Start");
        assert_eq!(show_v2(&store, &first)["assignee"]["id"], "u1");

        // Two bugs have "Login" in their title; the second page of one.
        let query = json!({
            "filter": [{ "title": { "operator": "||", "values": ["Login"] } }],
            "page": { "page_no": 2, "page_size": 1 },
        });
        let page = list_issues(&store, "Bug", query);
        assert_eq!(page["total"], 2);
        assert_eq!(page["issues"].as_array().unwrap().len(), 1);
        assert_eq!(page["issues"][0]["id"], third.as_str());
        assert_eq!(list_issues(&store, "Task", json!({}))["total"], 1);
        assert_eq!(list_issues(&store, "Bug,Task", json!({}))["total"], 3);
        let by_owner = json!({ "filter": [{ "assignee": { "values": ["u2"] } }] });
        assert_eq!(list_issues(&store, "Bug,Task", by_owner)["total"], 1);

        let update = json!({
            "id": [first, "1"],
            "attribute": {
                "category": "Bug",
                "status": "Doing",
                "description": "new",
                "title": "Login broken",
            },
        });
        let updated = json_of(run(
            &store,
            "BatchUpdateIpdIssues",
            &PROJECT,
            &[],
            Some(update),
        ));
        assert_eq!(updated["result"][0]["success"][0]["id"], first.as_str());
        assert_eq!(updated["result"][0]["failed"][0]["id"], "1");
        let shown = show_v2(&store, &first);
        assert_eq!(shown["status"], "Doing");
        assert_eq!(shown["description"], "new");
        assert_eq!(shown["title"], "Login broken");
        let doing = json!({ "filter": [{ "status": { "values": ["Doing"] } }] });
        assert_eq!(list_issues(&store, "Bug", doing)["total"], 1);

        let deleted = json_of(run(
            &store,
            "BatchDeleteIpdIssues",
            &PROJECT,
            &[],
            Some(json!([first])),
        ));
        assert_eq!(deleted["result"][0]["success"][0]["id"], first.as_str());
        assert_eq!(deleted["result"][0]["success"][0]["state"], "作废");
        let gone = run(
            &store,
            "ShowIssueDetail",
            &path,
            &[("issue_type", "Bug")],
            None,
        );
        assert_eq!(error_of(gone), (404, ITEM_NOT_FOUND));
        assert!(store.is_deleted("p1", &first));
        assert!(!store.is_deleted("p1", &third));
        assert!(!store.is_deleted("p2", &third));
        assert_eq!(list_issues(&store, "Bug", json!({}))["total"], 1);

        // The other deletion: counts, and the id already deleted fails.
        let body = json!([third, first]);
        let deleted = json_of(run(
            &store,
            "BatchDeleteIpdIssue",
            &PROJECT,
            &[],
            Some(body),
        ));
        assert_eq!(deleted["result"][0]["success_num"], 1);
        assert_eq!(deleted["result"][0]["fail_num"], 1);
        assert_eq!(deleted["result"][0]["failed"][0], first.as_str());
        assert!(store.is_deleted("p1", &third));
    }

    #[test]
    fn comments_are_added_listed_updated_and_deleted() {
        let dir = Scratch::new("comments");
        let store = Store::open(&dir.0).unwrap();
        let issue = create_bug(&store, "Crash");
        let path = [("project_id", "p1"), ("issue_id", issue.as_str())];
        let body = json!({ "category": "comment", "description": "<p>first</p>" });
        let comment = json_of(run(
            &store,
            "CreateIpdIssueComments",
            &path,
            &[],
            Some(body),
        ));
        let comment_id = comment["result"]["id"].as_str().unwrap().to_string();
        let body = json!({
            "category": "reply",
            "description": "re",
            "parent_id": comment_id,
            "root_id": comment_id,
        });
        let reply = json_of(run(
            &store,
            "CreateIpdIssueComments",
            &path,
            &[],
            Some(body),
        ));
        assert_eq!(reply["result"]["category"], "reply");

        let list = |category: &str| {
            let query = [
                ("page_no", "1"),
                ("page_size", "10"),
                ("category", category),
            ];
            json_of(run(&store, "ListIpdIssueComments", &path, &query, None))["result"].clone()
        };
        let both = list("comment,reply");
        assert_eq!(both["total"], 2);
        assert_eq!(both["comment_list"][0]["description"], "re", "newest first");
        assert_eq!(list("comment")["total"], 1);

        let comment_path = [
            ("project_id", "p1"),
            ("issue_id", issue.as_str()),
            ("comment_id", comment_id.as_str()),
        ];
        let body = json!({ "description": "edited" });
        let edited = json_of(run(
            &store,
            "UpdateIpdIssueComment",
            &comment_path,
            &[],
            Some(body),
        ));
        assert_eq!(edited["result"]["description"], "edited");
        let deleted = json_of(run(
            &store,
            "DeleteIpdIssueComment",
            &comment_path,
            &[],
            None,
        ));
        assert_eq!(deleted["result"]["id"], comment_id.as_str());
        assert_eq!(
            list("comment,reply")["total"],
            0,
            "the reply went with its thread"
        );
        let again = run(&store, "DeleteIpdIssueComment", &comment_path, &[], None);
        assert_eq!(error_of(again), (404, COMMENT_NOT_FOUND));

        let body = json!({ "description": "x" });
        let unknown = [("project_id", "p1"), ("issue_id", "1")];
        let refused = run(
            &store,
            "CreateIpdIssueComments",
            &unknown,
            &[],
            Some(body.clone()),
        );
        assert_eq!(error_of(refused), (404, ITEM_NOT_FOUND));
        run(
            &store,
            "BatchDeleteIpdIssues",
            &PROJECT,
            &[],
            Some(json!([issue])),
        );
        let refused = run(&store, "CreateIpdIssueComments", &path, &[], Some(body));
        assert_eq!(error_of(refused), (400, DELETED));
    }

    #[test]
    fn labels_are_created_listed_attached_updated_and_deleted() {
        let dir = Scratch::new("labels");
        let store = Store::open(&dir.0).unwrap();
        let body = json!({ "title": "urgent", "color": "#F66F6A", "label_type": "bug" });
        let created = json_of(run(
            &store,
            "CreateIpdLabel",
            &PROJECT,
            &[],
            Some(body.clone()),
        ));
        let label_id = created["result"][0]["id"].as_str().unwrap().to_string();
        let duplicate = run(&store, "CreateIpdLabel", &PROJECT, &[], Some(body));
        assert_eq!(error_of(duplicate), (400, DUPLICATE_LABEL));
        let body = json!({ "title": "later", "color": "#86CAFF" });
        json_of(run(&store, "CreateIpdLabel", &PROJECT, &[], Some(body)));

        let labels = |query: &[(&str, &str)]| {
            json_of(run(&store, "ListIpdLabels", &PROJECT, query, None))["result"].clone()
        };
        assert_eq!(labels(&[])["total"], 2);
        let urgent = labels(&[("title", "urg")]);
        assert_eq!(urgent["total"], 1);
        assert_eq!(urgent["data"][0]["id"], label_id.as_str());
        assert_eq!(labels(&[("label_type", "task,bug")])["total"], 1);

        // Labelling a work item, and finding it by its label.
        let issue = create_bug(&store, "Crash");
        let update = json!({ "id": [issue], "attribute": { "labels": [{ "id": label_id }] } });
        json_of(run(
            &store,
            "BatchUpdateIpdIssues",
            &PROJECT,
            &[],
            Some(update),
        ));
        assert_eq!(show_v2(&store, &issue)["labels"][0]["title"], "urgent");
        let tagged = json!({ "filter": [{ "labels": { "values": [label_id] } }] });
        let found = list_issues(&store, "Bug", tagged);
        assert_eq!(found["total"], 1);
        assert_eq!(found["issues"][0]["workitem2label"][0]["title"], "urgent");
        let update = json!({ "id": [issue], "attribute": { "labels": [{ "id": "1" }] } });
        let refused = run(&store, "BatchUpdateIpdIssues", &PROJECT, &[], Some(update));
        assert_eq!(error_of(refused), (404, LABEL_NOT_FOUND));

        let label_path = [("project_id", "p1"), ("label_id", label_id.as_str())];
        let body = json!({ "title": "critical", "color": "#B02121" });
        let updated = json_of(run(&store, "UpdateIpdLabel", &label_path, &[], Some(body)));
        assert_eq!(updated["result"][0]["title"], "critical");
        assert_eq!(show_v2(&store, &issue)["labels"][0]["color"], "#B02121");
        let body = json!({ "title": "later", "color": "#B02121" });
        let clash = run(&store, "UpdateIpdLabel", &label_path, &[], Some(body));
        assert_eq!(error_of(clash), (400, DUPLICATE_LABEL));

        let deleted = json_of(run(&store, "DeleteIpdLabel", &label_path, &[], None));
        assert_eq!(deleted["result"]["id"], label_id.as_str());
        assert_eq!(show_v2(&store, &issue)["labels"], json!([]));
        assert_eq!(labels(&[])["total"], 1);
        let again = run(&store, "DeleteIpdLabel", &label_path, &[], None);
        assert_eq!(error_of(again), (404, LABEL_NOT_FOUND));
    }

    #[test]
    fn images_are_uploaded_downloaded_and_deleted() {
        let dir = Scratch::new("images");
        let store = Store::open(&dir.0).unwrap();
        let issue = create_bug(&store, "Screenshot");
        let query = [("issue_id", issue.as_str())];
        let png = FormPart {
            name: "file".into(),
            file_name: Some("shot.PNG".into()),
            content_type: Some("image/png".into()),
            bytes: bytes::Bytes::from_static(b"\x89PNG\r\n\x1a\nfake"),
        };
        let uploaded = run_form(
            &store,
            "UploadIpdImageInIssue",
            &PROJECT,
            &query,
            None,
            &[png],
        );
        let description = json_of(uploaded)["result"]["description"].clone();
        let file_name = {
            let state = store.state.lock().unwrap();
            state.projects["p1"].images.keys().next().unwrap().clone()
        };
        assert!(file_name.ends_with(".png") && file_name.len() == 36);
        assert!(description.as_str().unwrap().contains(&file_name));

        let query = [
            ("issue_id", issue.as_str()),
            ("file_name", file_name.as_str()),
        ];
        match run(&store, "DownloadIpdImageInIssue", &PROJECT, &query, None) {
            Answer::Bytes {
                content_type,
                bytes,
                ..
            } => {
                assert_eq!(content_type, "image/png");
                assert_eq!(&bytes[..], b"\x89PNG\r\n\x1a\nfake");
            }
            _ => panic!("expected the image's bytes"),
        }
        let deleted = json_of(run(&store, "DeleteIpdImageInIssue", &PROJECT, &query, None));
        assert!(
            !deleted["result"]["description"]
                .as_str()
                .unwrap()
                .contains(&file_name)
        );
        assert!(!dir.0.join("images").join(&file_name).exists());
        let gone = run(&store, "DownloadIpdImageInIssue", &PROJECT, &query, None);
        assert_eq!(error_of(gone), (404, IMAGE_NOT_FOUND));

        let text = FormPart {
            name: "file".into(),
            file_name: Some("notes.txt".into()),
            content_type: Some("text/plain".into()),
            bytes: bytes::Bytes::from_static(b"text"),
        };
        let query = [("issue_id", issue.as_str())];
        let refused = run_form(
            &store,
            "UploadIpdImageInIssue",
            &PROJECT,
            &query,
            None,
            &[text],
        );
        assert_eq!(error_of(refused), (400, INVALID));
    }

    #[test]
    fn state_persists_across_opens() {
        let dir = Scratch::new("persist");
        let first = {
            let store = Store::open(&dir.0).unwrap();
            create_bug(&store, "Survives")
        };
        assert!(dir.0.join("state.json").exists());
        assert!(!dir.0.join("state.json.tmp").exists());
        let store = Store::open(&dir.0).unwrap();
        assert_eq!(show_v2(&store, &first)["title"], "Survives");
        let second = create_bug(&store, "After");
        assert!(second > first, "ids keep increasing after a restart");
    }

    #[test]
    fn a_corrupt_state_file_is_an_error_and_is_kept() {
        let dir = Scratch::new("corrupt");
        let path = dir.0.join("state.json");
        std::fs::write(&path, "{not json").unwrap();
        let refused = Store::open(&dir.0);
        assert_eq!(
            refused.err().map(|e| e.kind()),
            Some(io::ErrorKind::InvalidData)
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{not json");
    }

    #[test]
    fn every_stateful_operation_answers_even_an_empty_request() {
        let dir = Scratch::new("empty");
        let store = Store::open(&dir.0).unwrap();
        let empty = BTreeMap::new();
        for operation in READS.iter().chain(WRITES) {
            let call = Call {
                operation,
                path: &empty,
                query: &empty,
                body: None,
                form: &[],
            };
            // Fields come from the spec until the project has some.
            let defers = *operation == "ListIpdProjectFields";
            assert_eq!(store.handle(&call).is_some(), !defers, "{operation}");
        }
        let other = Call {
            operation: "ShowIpdProjectList",
            path: &empty,
            query: &empty,
            body: None,
            form: &[],
        };
        assert!(store.handle(&other).is_none());
    }

    #[test]
    fn numbers_carry_the_utc_date() {
        assert_eq!(work_items::yyyymmdd(0), "19700101");
        assert_eq!(work_items::yyyymmdd(1_748_591_780_337), "20250530");
        assert_eq!(work_items::yyyymmdd(951_782_400_000), "20000229");
    }
}

//! The stateful handlers: the operations whose answers depend on what was
//! sent before (work items, comments, labels, images, attachments, custom
//! fields, external links, plans; Scrum work items and iterations). Everything else is answered generically from the spec
//! (`crate::generic`). The generic layer has already checked the signature
//! and validated the path, query and body against the spec before a
//! handler runs, and it checks every JSON answer against the spec's
//! response schema after, so handlers only keep state.
//!
//! [`OPERATIONS`] is the one table of them: operationId, handler, and
//! whether it writes. Each call is one transaction of the store
//! (`crate::store`): a read sees the state as last committed by any
//! process; a write's changes are committed if it succeeds and undone if
//! it is refused.

mod attachments;
mod comments;
mod fields;
mod images;
mod iterations;
mod labels;
mod plans;
mod scrum;
#[cfg(test)]
mod tests;
mod third_parties;
mod work_items;

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::form::FormPart;
use crate::store::state::{
    Attachment, Comment, Field, Image, Label, Plan, Project, State, ThirdParty, User, WorkItem,
};
use crate::store::{Files, Outcome, Store, StoreError, Txn};

/// One validated request, as the generic layer hands it on.
pub(crate) struct Call<'a> {
    /// Path parameters, percent-decoded, by spec name.
    pub path: &'a BTreeMap<String, String>,
    /// Query parameters, by spec name (the last value of a repeated one).
    pub query: &'a BTreeMap<String, String>,
    /// The JSON body, when the operation has one.
    pub body: Option<&'a Value>,
    /// The parts of a `multipart/form-data` body, in order.
    pub form: &'a [FormPart],
}

/// A stateful handler's answer.
pub(crate) enum Answer {
    /// 200 with this JSON body (checked against the spec by the caller).
    Json(Value),
    /// The documented success status with no body, for operations whose
    /// success has none.
    Empty,
    /// 200 with a file's bytes, streamed (the file is open, so it can be
    /// removed meanwhile without cutting the answer).
    File {
        file: std::fs::File,
        size: u64,
        content_type: String,
        file_name: Option<String>,
    },
    /// An error in the service's shape: `{"error_code", "error_msg"}`.
    Error {
        status: u16,
        code: &'static str,
        message: String,
    },
    /// Nothing stored to answer with: the spec's answer stands.
    Spec,
}

/// A stateful operation's handler.
#[derive(Clone, Copy)]
pub(crate) enum Handler {
    /// Reads the state.
    Read(fn(&State, &Files, &Call<'_>) -> Reply),
    /// Changes it, in one transaction.
    Write(fn(&mut Txn<'_>, &Call<'_>) -> Reply),
}

/// An entry of [`OPERATIONS`].
pub(crate) struct Stateful {
    /// The spec's `operationId`.
    pub operation: &'static str,
    pub handler: Handler,
}

/// Every stateful operation. A test checks each against the spec, so a
/// renamed operationId fails the build instead of falling back to the
/// spec's answers.
pub(crate) const OPERATIONS: &[Stateful] = &[
    write("CreateIpdProjectIssue", |t, c| {
        work_items::create_one(t.state, c)
    }),
    write("BatchCreateIpdIssues", |t, c| {
        work_items::create_batch(t.state, c, None)
    }),
    write("BatchCreateIssuesV2", |t, c| {
        work_items::create_batch(t.state, c, Some(work_items::MAX_CREATE_V2))
    }),
    read("ShowIssueDetail", |s, _, c| work_items::show(s, c)),
    read("ShowIpdIssueDetailV2", |s, _, c| work_items::show_v2(s, c)),
    read("ListIpdProjectIssues", |s, _, c| work_items::list(s, c)),
    write("BatchUpdateIpdIssues", |t, c| {
        work_items::update_batch(t.state, c)
    }),
    write("BatchDeleteIpdIssues", |t, c| {
        work_items::delete_batch(t.state, c)
    }),
    write("BatchDeleteIpdIssue", |t, c| {
        work_items::delete_batch_counted(t.state, c)
    }),
    write("CreateIpdIssueComments", |t, c| {
        comments::create(t.state, c)
    }),
    read("ListIpdIssueComments", |s, _, c| comments::list(s, c)),
    write("UpdateIpdIssueComment", |t, c| comments::update(t.state, c)),
    write("DeleteIpdIssueComment", |t, c| comments::delete(t.state, c)),
    write("CreateIpdLabel", |t, c| labels::create(t.state, c)),
    read("ListIpdLabels", |s, _, c| labels::list(s, c)),
    write("UpdateIpdLabel", |t, c| labels::update(t.state, c)),
    write("DeleteIpdLabel", |t, c| labels::delete(t.state, c)),
    write("UploadIpdImageInIssue", images::upload),
    read("DownloadIpdImageInIssue", images::download),
    write("DeleteIpdImageInIssue", images::delete),
    read("ListIpdProjectFields", |s, _, c| fields::list(s, c)),
    write("CreateIpdProjectIssueAttachment", attachments::upload),
    read("ShowIpdAttachmentByWorkItemId", attachments::list),
    read("DownloadIpdIssueAttachment", attachments::download),
    write("AssociateIpdThirdParty", |t, c| {
        third_parties::create(t.state, c)
    }),
    read("ShowIpdThirdPartyAssociated", |s, _, c| {
        third_parties::list(s, c)
    }),
    write("UpdateIpdThirdParty", |t, c| {
        third_parties::update(t.state, c)
    }),
    write("DeleteIpdThirdParty", |t, c| {
        third_parties::delete(t.state, c)
    }),
    write("CreatePlans", |t, c| plans::create(t.state, c)),
    read("ListPlan", |s, _, c| plans::list(s, c)),
    read("ListPlanDetail", |s, _, c| plans::show(s, c)),
    write("UpdatePlanInfo", |t, c| plans::update(t.state, c)),
    write("ChangePlanStatus", |t, c| plans::change_status(t.state, c)),
    write("BatchDeletePlans", |t, c| plans::delete_batch(t.state, c)),
    write("BatchUpdateBaseline", |t, c| {
        plans::baseline_batch(t.state, c)
    }),
    write("CreateIssueV4", |t, c| scrum::create_issue(t.state, c)),
    read("ShowIssueV4", |s, _, c| scrum::show_issue(s, c)),
    read("ListIssuesV4", |s, _, c| scrum::list_issues(s, c)),
    write("UpdateIssueV4", |t, c| scrum::update_issue(t.state, c)),
    write("DeleteIssueV4", |t, c| scrum::delete_issue(t.state, c)),
    write("BatchDeleteIssuesV4", |t, c| {
        scrum::delete_issues(t.state, c)
    }),
    write("UpdateScrumIssueNotes", |t, c| {
        scrum::add_comment(t.state, c)
    }),
    read("ListIssueCommentsV4", |s, _, c| scrum::list_comments(s, c)),
    read("ListScrumProjectStatuses", |_, _, c| {
        scrum::list_statuses(c)
    }),
    write("CreateIterationV4", |t, c| {
        iterations::create_iteration(t.state, c)
    }),
    read("ListProjectIterationsV4", |s, _, c| {
        iterations::list_iterations(s, c)
    }),
    read("ShowIterationV4", |s, _, c| {
        iterations::show_iteration(s, c)
    }),
    write("UpdateIterationV4", |t, c| {
        iterations::update_iteration(t.state, c)
    }),
    write("DeleteIterationV4", |t, c| {
        iterations::delete_iteration(t.state, c)
    }),
    write("BatchDeleteIterationsV4", |t, c| {
        iterations::delete_iterations(t.state, c)
    }),
];

const fn read(operation: &'static str, run: fn(&State, &Files, &Call<'_>) -> Reply) -> Stateful {
    Stateful {
        operation,
        handler: Handler::Read(run),
    }
}

const fn write(operation: &'static str, run: fn(&mut Txn<'_>, &Call<'_>) -> Reply) -> Stateful {
    Stateful {
        operation,
        handler: Handler::Write(run),
    }
}

/// The stateful operation of this id, if it is one.
pub(crate) fn find(operation: &str) -> Option<&'static Stateful> {
    OPERATIONS.iter().find(|s| s.operation == operation)
}

impl Stateful {
    /// Whether it changes the state.
    #[cfg(test)]
    pub(crate) fn writes(&self) -> bool {
        matches!(self.handler, Handler::Write(_))
    }

    /// Runs the handler in a transaction of `store`.
    pub(crate) fn run(&self, store: &Store, call: &Call<'_>) -> Answer {
        let reply = match self.handler {
            Handler::Read(run) => store.read(|state, files| run(state, files, call)),
            Handler::Write(run) => store.write(|txn| run(txn, call)),
        };
        match reply {
            Ok(Ok(answer) | Err(answer)) => answer,
            Err(e @ StoreError::Busy(_)) => error(503, BUSY, e.to_string()),
            Err(e) => error(500, INTERNAL, e.to_string()),
        }
    }
}

/// Adds `count` custom fields to a project (for `Emulator::add_project_fields`).
pub(crate) fn add_project_fields(state: &mut State, project_id: &str, count: usize) {
    fields::add(state, project_id, count);
}

impl Outcome for Reply {
    /// Only a success is committed: an error answer, early or not, undoes
    /// what the handler changed.
    fn keep(&self) -> bool {
        matches!(self, Ok(answer) if !matches!(answer, Answer::Error { .. }))
    }
}

impl<E> Outcome for Result<(), E> {
    fn keep(&self) -> bool {
        self.is_ok()
    }
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
/// No such plan in this project.
const PLAN_NOT_FOUND: &str = "PM.02175153";
/// No such external link on this work item.
const LINK_NOT_FOUND: &str = "PM.02175154";
/// The request is well-formed per the spec but refused by a business rule.
const INVALID: &str = "PM.02175151";
/// Another label of the project already has this title.
const DUPLICATE_LABEL: &str = "PM.02175152";
/// The emulator could not read or write its data.
const INTERNAL: &str = "PM.00000500";
/// Another process held the store's lock too long (answered with 503).
const BUSY: &str = "PM.00000503";

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

fn internal(e: &std::io::Error) -> Answer {
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

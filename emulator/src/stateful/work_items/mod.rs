//! Work items: creation (one, a batch, a batch in the V2 model), details
//! (V1 and V2), the filtered and paged list, batch update and the two batch
//! deletions.
//!
//! Two views of a work item are answered, as the spec has two models: the
//! flat `WiIssueEntity`/`ClIssueEntity` (status a code, users `{id, name}`)
//! for creation, V2 details and the image operations, and the list model
//! `WiIssueVO` (status and priority objects, users `{user_id, user_name}`)
//! for the list and the V1 details.

mod query;
mod views;

use serde_json::{Value, json};

pub(super) use query::list;
pub(super) use views::entity;
use views::{lifecycle, list_view};

use crate::store::state::PURGED;

use super::{
    Answer, Call, EMULATOR_USER_ID, NULL, Project, Reply, State, User, WorkItem, body,
    emulator_user, envelope, invalid, item_not_found, labels, live_item, next_id, now_ms,
    path_param, project_mut, query_param, reply, str_field, text, writable_item,
};

/// Type of a work item created without one (the V1 bodies make it optional).
const DEFAULT_CATEGORY: &str = "Task";
/// Status of a work item created without one: the workflow's initial node.
const DEFAULT_STATUS: &str = "Start";
/// Lifecycle of a work item moved to the recycle bin.
const DISCARDED: &str = "作废";
/// `BatchCreateIssuesV2` takes at most this many (documented).
pub(super) const MAX_CREATE_V2: usize = 10;
/// Batch updates and deletions take at most this many ids (documented).
const MAX_BATCH: usize = 50;
const DAY_MS: u64 = 86_400_000;

/// `CreateIpdProjectIssue`: the body is one work item.
pub(super) fn create_one(state: &mut State, call: &Call<'_>) -> Reply {
    create(state, call, std::slice::from_ref(body(call)))
}

/// `BatchCreateIpdIssues` and `BatchCreateIssuesV2`: the body is an
/// array, of at most `max` items if the operation documents a limit.
pub(super) fn create_batch(state: &mut State, call: &Call<'_>, max: Option<usize>) -> Reply {
    let inputs = body(call).as_array().map(Vec::as_slice).unwrap_or_default();
    if let Some(max) = max
        && inputs.len() > max
    {
        return Err(invalid(format!(
            "At most {max} work items can be created at once."
        )));
    }
    create(state, call, inputs)
}

/// Creates every input or none (the store rolls back on an error), and
/// answers the created items in the entity model.
fn create(state: &mut State, call: &Call<'_>, inputs: &[Value]) -> Reply {
    let project_id = path_param(call, "project_id");
    let (last_id, project) = project_mut(state, call);
    let now = now_ms();
    let mut created = Vec::with_capacity(inputs.len());
    for input in inputs {
        let item = new_item(project, input, next_id(last_id), now)?;
        created.push(entity(project, &item, project_id));
        project.work_items.insert(item.id.clone(), item);
    }
    reply(Value::Array(created))
}

/// A work item from a creation body. The three creation models differ in
/// small ways (the owner is an id or a user object, dates are numbers or
/// strings, labels exist only in V2); each form is accepted.
fn new_item(project: &Project, input: &Value, id: String, now: u64) -> Result<WorkItem, Answer> {
    let title = str_field(input, "title")
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| invalid("The work item title is required."))?;
    let category = str_field(input, "category")
        .filter(|c| !c.is_empty())
        .unwrap_or(DEFAULT_CATEGORY);
    let parent_id = text(input, "parent_id");
    if let Some(parent) = &parent_id {
        check_parent(project, parent)?;
    }
    let plan_end_date = timestamp(input, "plan_end_date")?;
    let labels = match input.get("labels") {
        Some(list) => labels::resolve(project, list)?,
        None => Vec::new(),
    };
    Ok(WorkItem {
        number: number(category, now),
        id,
        title: title.to_string(),
        description: str_field(input, "description")
            .unwrap_or_default()
            .to_string(),
        category: category.to_string(),
        status: text(input, "status").unwrap_or_else(|| DEFAULT_STATUS.to_string()),
        // The service makes the caller the owner when none is given.
        assignee: Some(
            input
                .get("assignee")
                .and_then(user_from)
                .unwrap_or_else(emulator_user),
        ),
        priority: text(input, "priority"),
        parent_id,
        plan_end_date,
        workload: input
            .get("workload")
            .or_else(|| input.get("workload_man_day"))
            .and_then(scalar_text),
        link: text(input, "link"),
        labels,
        custom_fields: custom_fields(input.get("custom_fields")),
        created_ms: now,
        modified_ms: now,
        status_modified_ms: now,
        deleted: None,
    })
}

fn check_parent(project: &Project, parent_id: &str) -> Result<(), Answer> {
    match project.work_items.get(parent_id) {
        Some(parent) if parent.deleted.is_none() => Ok(()),
        _ => Err(item_not_found(parent_id)),
    }
}

/// `ShowIssueDetail`: the work item as a map of field codes (the list model).
/// `issue_type` and `domain_id` are not checked against the item.
pub(super) fn show(state: &State, call: &Call<'_>) -> Reply {
    let (project, item) = live_item(state, call, path_param(call, "issue_id"))?;
    let view = list_view(project, item, path_param(call, "project_id"));
    reply(Value::Array(vec![view]))
}

/// `ShowIpdIssueDetailV2`: the entity model, under `data`. `category` is not
/// checked against the item.
pub(super) fn show_v2(state: &State, call: &Call<'_>) -> Reply {
    let (project, item) = live_item(state, call, path_param(call, "issue_id"))?;
    envelope(
        "data",
        entity(project, item, path_param(call, "project_id")),
    )
}

/// `BatchUpdateIpdIssues`: the same attributes for every listed id. Unknown
/// or deleted ids are reported as failed; a bad label or parent refuses the
/// whole request.
pub(super) fn update_batch(state: &mut State, call: &Call<'_>) -> Reply {
    let request = body(call);
    let ids = id_list(request.get("id"))?;
    let attribute = request.get("attribute").unwrap_or(&NULL);
    let (_, project) = project_mut(state, call);
    let labels = match attribute.get("labels") {
        Some(list) => Some(labels::resolve(project, list)?),
        None => None,
    };
    if let Some(parent) = str_field(attribute, "parent_id").filter(|p| !p.is_empty()) {
        check_parent(project, parent)?;
    }
    timestamp(attribute, "plan_end_date")?;
    let now = now_ms();
    let (mut success, mut failed) = (Vec::new(), Vec::new());
    for id in ids {
        match writable_item(project, id) {
            Ok(item) => {
                apply(item, attribute, labels.as_deref(), now);
                success.push(operate_result(item, now));
            }
            Err(_) => failed.push(json!({ "id": id })),
        }
    }
    batch_result(success, failed)
}

/// Changes the attributes given (only those). `title` is not in the
/// documented update model; it is accepted anyway so a work item can be
/// renamed. `category` is the item's own type and changes nothing.
fn apply(item: &mut WorkItem, attribute: &Value, labels: Option<&[String]>, now: u64) {
    if let Some(title) = str_field(attribute, "title").filter(|t| !t.trim().is_empty()) {
        item.title = title.to_string();
    }
    if let Some(description) = str_field(attribute, "description") {
        item.description = description.to_string();
    }
    if let Some(status) = str_field(attribute, "status").filter(|s| !s.is_empty())
        && status != item.status
    {
        item.status = status.to_string();
        item.status_modified_ms = now;
    }
    if let Some(assignee) = attribute.get("assignee").and_then(user_from) {
        item.assignee = Some(assignee);
    }
    set_text(&mut item.priority, attribute, "priority");
    set_text(&mut item.parent_id, attribute, "parent_id");
    set_text(&mut item.workload, attribute, "workload");
    set_text(&mut item.link, attribute, "link");
    if let Some(date) = attribute.get("plan_end_date").and_then(scalar_text) {
        item.plan_end_date = Some(date);
    }
    if let Some(labels) = labels {
        item.labels = labels.to_vec();
    }
    item.custom_fields
        .extend(custom_fields(attribute.get("custom_fields")));
    item.modified_ms = now;
}

/// Sets an optional text field if the attribute is given; an empty string
/// clears it.
fn set_text(field: &mut Option<String>, attribute: &Value, key: &str) {
    if let Some(value) = str_field(attribute, key) {
        *field = (!value.is_empty()).then(|| value.to_string());
    }
}

/// `BatchDeleteIpdIssues`: results as `WiIssueBatchOperateEntitiesResult`.
pub(super) fn delete_batch(state: &mut State, call: &Call<'_>) -> Reply {
    let (deleted, failed) = delete_ids(state, call)?;
    let now = now_ms();
    let success = deleted.iter().map(|w| operate_result(w, now)).collect();
    let failed = failed.iter().map(|id| json!({ "id": id })).collect();
    batch_result(success, failed)
}

/// `BatchDeleteIpdIssue`: results as `WiBatchDeleteIssueResult`, with counts.
pub(super) fn delete_batch_counted(state: &mut State, call: &Call<'_>) -> Reply {
    let (deleted, failed) = delete_ids(state, call)?;
    let success: Vec<Value> = deleted
        .iter()
        .map(|w| json!({ "id": w.id, "title": w.title, "number": w.number, "state": lifecycle(w) }))
        .collect();
    reply(json!([{
        "success": success,
        "failed": failed,
        "undeleteIssueTrees": [],
        "success_num": deleted.len(),
        "fail_num": failed.len(),
    }]))
}

/// Deletes the ids of the body: into the recycle bin, or permanently with
/// `is_permanent_delete=true` (which also purges items already in the bin).
/// Either way a tombstone stays. Children are not deleted with their parent.
/// Returns the deleted items and the ids that could not be deleted.
fn delete_ids(state: &mut State, call: &Call<'_>) -> Result<(Vec<WorkItem>, Vec<String>), Answer> {
    let ids = id_list(Some(body(call)))?;
    let permanent = query_param(call, "is_permanent_delete") == Some("true");
    let new_state = if permanent { PURGED } else { DISCARDED };
    let (_, project) = project_mut(state, call);
    let now = now_ms();
    let (mut deleted, mut failed) = (Vec::new(), Vec::new());
    for id in ids {
        match project.work_items.get_mut(id) {
            Some(item)
                if item.deleted.is_none()
                    || (permanent && item.deleted.as_deref() == Some(DISCARDED)) =>
            {
                item.deleted = Some(new_state.to_string());
                item.modified_ms = now;
                deleted.push(item.clone());
            }
            _ => failed.push(id.to_string()),
        }
    }
    Ok((deleted, failed))
}

/// The ids of a batch request: 1 to `MAX_BATCH` strings.
fn id_list(list: Option<&Value>) -> Result<Vec<&str>, Answer> {
    let ids: Vec<&str> = list
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(invalid("No work item ids were given."));
    }
    if ids.len() > MAX_BATCH {
        return Err(invalid(format!(
            "At most {MAX_BATCH} work items can be changed at once."
        )));
    }
    Ok(ids)
}

fn operate_result(item: &WorkItem, now: u64) -> Value {
    json!({
        "id": item.id,
        "operator": EMULATOR_USER_ID,
        "state": lifecycle(item),
        "operate_time": now.to_string(),
    })
}

fn batch_result(success: Vec<Value>, failed: Vec<Value>) -> Reply {
    reply(json!([{ "success": success, "failed": failed, "undeleted_trees": [] }]))
}

/// A number like the service's `BUG20250530487304`: type, date, 6 digits.
fn number(category: &str, now: u64) -> String {
    format!(
        "{}{}{:06}",
        category.to_ascii_uppercase(),
        yyyymmdd(now),
        fastrand::u32(..1_000_000)
    )
}

/// The UTC date of an epoch-milliseconds time, as `yyyymmdd` (Howard
/// Hinnant's days-to-civil algorithm).
pub(super) fn yyyymmdd(ms: u64) -> String {
    let z = (ms / DAY_MS) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}")
}

/// A user given as an id (V1 creation) or as `{id, name, nick_name}`.
fn user_from(value: &Value) -> Option<User> {
    let user = match value {
        Value::String(id) if !id.is_empty() => User {
            id: Some(id.clone()),
            ..User::default()
        },
        Value::Object(_) => User {
            id: text(value, "id"),
            name: text(value, "name"),
            nick_name: text(value, "nick_name"),
        },
        _ => return None,
    };
    (user.id.is_some() || user.name.is_some() || user.nick_name.is_some()).then_some(user)
}

/// A string, or a number as its digits (dates and workloads come as both).
/// A date member as the service documents it, a Unix timestamp in
/// milliseconds: up to 13 digits with an optional minus sign, as a number
/// or a string. Anything else refuses the request, as the service does
/// (and an answer must carry a number there).
fn timestamp(input: &Value, key: &str) -> Result<Option<String>, Answer> {
    let Some(value) = input.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let text = scalar_text(value).unwrap_or_default();
    let digits = text.strip_prefix('-').unwrap_or(&text);
    if digits.is_empty() || digits.len() > 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!(
            "`{key}` must be a timestamp in milliseconds, not {value}."
        )));
    }
    Ok(Some(text))
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `[{"code", "value"}]` as a map; entries without a code are skipped.
fn custom_fields(list: Option<&Value>) -> std::collections::BTreeMap<String, String> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|pair| {
            let code = text(pair, "code")?;
            let value = pair.get("value").and_then(scalar_text).unwrap_or_default();
            Some((code, value))
        })
        .collect()
}

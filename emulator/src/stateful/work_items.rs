//! Work items: creation (one, a batch, a batch in the V2 model), details
//! (V1 and V2), the filtered and paged list, batch update and the two batch
//! deletions.
//!
//! Two views of a work item are answered, as the spec has two models: the
//! flat `WiIssueEntity`/`ClIssueEntity` (status a code, users `{id, name}`)
//! for creation, V2 details and the image operations, and the list model
//! `WiIssueVO` (status and priority objects, users `{user_id, user_name}`)
//! for the list and the V1 details.

use serde_json::{Map, Value, json};

use super::{
    ACTIVE, Answer, Call, EMULATOR_USER_ID, NULL, Project, Reply, State, User, WorkItem, body,
    emulator_user, envelope, find_project, invalid, item_not_found, labels, live_item, next_id,
    now_ms, path_param, project_mut, query_param, reply, split_list, str_field, text, user_entity,
    user_vo, writable_item,
};

/// Type of a work item created without one (the V1 bodies make it optional).
const DEFAULT_CATEGORY: &str = "Task";
/// Status of a work item created without one: the workflow's initial node.
const DEFAULT_STATUS: &str = "Start";
/// Lifecycle of a work item moved to the recycle bin.
const DISCARDED: &str = "作废";
/// Lifecycle of a permanently deleted work item.
const PURGED: &str = "删除";
/// `BatchCreateIssuesV2` takes at most this many (documented).
const MAX_CREATE_V2: usize = 10;
/// Batch updates and deletions take at most this many ids (documented).
const MAX_BATCH: usize = 50;
/// Page size of a list query that gives none.
const DEFAULT_PAGE_SIZE: usize = 20;
/// The documented largest page.
const MAX_PAGE_SIZE: usize = 200;
const DAY_MS: u64 = 86_400_000;

/// `CreateIpdProjectIssue`: the body is one work item.
pub(super) fn create_one(state: &mut State, call: &Call<'_>) -> Reply {
    create(state, call, std::slice::from_ref(body(call)))
}

/// `BatchCreateIpdIssues` and `BatchCreateIssuesV2`: the body is an array.
pub(super) fn create_batch(state: &mut State, call: &Call<'_>) -> Reply {
    let inputs = body(call).as_array().map(Vec::as_slice).unwrap_or_default();
    if call.operation == "BatchCreateIssuesV2" && inputs.len() > MAX_CREATE_V2 {
        return Err(invalid(format!(
            "At most {MAX_CREATE_V2} work items can be created at once."
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
        plan_end_date: input.get("plan_end_date").and_then(scalar_text),
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

/// `ListIpdProjectIssues`. Honoured: the `issue_type` query (a
/// comma-separated list of types), the body's `filter` with `filter_mode`
/// (see `value_matches` for the columns understood), `page` and the first
/// `sort` entry. Ignored: `return_fields`, `model_ids`, and the
/// `is_backlog`, `src_domain_id` and `view` query parameters (the list is
/// always flat). Deleted work items are never listed.
pub(super) fn list(state: &State, call: &Call<'_>) -> Reply {
    let query = body(call);
    let categories = split_list(query_param(call, "issue_type"));
    let empty = Project::default();
    let project = find_project(state, call).unwrap_or(&empty);
    let mut found: Vec<&WorkItem> = project
        .work_items
        .values()
        .filter(|w| w.deleted.is_none())
        .filter(|w| categories.is_empty() || categories.contains(&w.category.as_str()))
        .filter(|w| matches_filters(project, w, query))
        .collect();
    sort(&mut found, query);
    let (page_no, page_size) = page(query);
    let total = found.len();
    let project_id = path_param(call, "project_id");
    let issues: Vec<Value> = found
        .into_iter()
        .skip((page_no - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|w| list_view(project, w, project_id))
        .collect();
    reply(json!({ "issues": issues, "total": total }))
}

/// The filters combined as `filter_mode` says: `AND_OR` (the default)
/// ANDs the filters and ORs the columns inside one; `OR_AND` the reverse.
/// Filters on columns the emulator does not know are left out.
fn matches_filters(project: &Project, item: &WorkItem, query: &Value) -> bool {
    let or_and = str_field(query, "filter_mode") == Some("OR_AND");
    let filters = query
        .get("filter")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let results = filters
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|f| filter_matches(project, item, f, or_and));
    combine(results, !or_and).unwrap_or(true)
}

/// Every result (`all`) or any one; None when there is none to combine.
fn combine(results: impl Iterator<Item = bool>, all: bool) -> Option<bool> {
    let mut results = results.peekable();
    results.peek()?;
    Some(if all {
        results.all(|r| r)
    } else {
        results.any(|r| r)
    })
}

/// One filter (a map of columns to conditions); None if no column is known.
fn filter_matches(
    project: &Project,
    item: &WorkItem,
    filter: &Map<String, Value>,
    all_columns: bool,
) -> Option<bool> {
    let results = filter
        .iter()
        .filter_map(|(column, condition)| column_matches(project, item, column, condition));
    combine(results, all_columns)
}

/// One condition: operator `&&` wants every value to match, anything else
/// (`||`) any one. The `descendants.` prefix is dropped (the list is flat).
fn column_matches(
    project: &Project,
    item: &WorkItem,
    column: &str,
    condition: &Value,
) -> Option<bool> {
    let column = column.strip_prefix("descendants.").unwrap_or(column);
    let values: Vec<&str> = condition
        .get("values")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if values.is_empty() {
        return None;
    }
    let results: Vec<bool> = values
        .iter()
        .map(|v| value_matches(project, item, column, v))
        .collect::<Option<_>>()?;
    combine(
        results.into_iter(),
        str_field(condition, "operator") == Some("&&"),
    )
}

/// The columns understood: `id`, `number`, `category`, `status`,
/// `priority`, `parent_id` (equal), `title` and `description` (contain the
/// keyword), `assignee` (user id or name), `labels`/`label`/`tags`/
/// `workitem2label` (label id or title). None for any other column.
fn value_matches(project: &Project, item: &WorkItem, column: &str, value: &str) -> Option<bool> {
    let is = |field: Option<&str>| field == Some(value);
    Some(match column {
        "id" => item.id == value,
        "number" => item.number == value,
        "category" => item.category == value,
        "status" => item.status == value,
        "priority" => is(item.priority.as_deref()),
        "parent_id" => is(item.parent_id.as_deref()),
        "title" => item.title.contains(value),
        "description" => item.description.contains(value),
        "assignee" => item
            .assignee
            .as_ref()
            .is_some_and(|u| is(u.id.as_deref()) || is(u.name.as_deref())),
        "labels" | "label" | "tags" | "workitem2label" => {
            labels::of_item(project, item).any(|l| l.id == value || l.title == value)
        }
        _ => return None,
    })
}

/// Sorts by the first `sort` entry's field (`title`, `modified_date`, or
/// creation: `id`, `created_date`); otherwise the items stay in creation
/// order.
fn sort(items: &mut [&WorkItem], query: &Value) {
    let Some(first) = query
        .get("sort")
        .and_then(Value::as_array)
        .and_then(|s| s.first())
    else {
        return;
    };
    match str_field(first, "field").unwrap_or_default() {
        "title" => items.sort_by(|a, b| a.title.as_str().cmp(b.title.as_str())),
        "modified_date" | "modified_time" => items.sort_by_key(|w| w.modified_ms),
        // Already in creation order: ids increase with time.
        "id" | "created_date" | "created_time" => {}
        _ => return,
    }
    if first.get("asc").and_then(Value::as_bool) == Some(false) {
        items.reverse();
    }
}

/// Page number (from 1) and size, from the body's `page`.
fn page(query: &Value) -> (usize, usize) {
    let page = query.get("page");
    let number = |key: &str| {
        page.and_then(|p| p.get(key))
            .and_then(Value::as_u64)
            .map(|n| n as usize)
    };
    let page_no = number("page_no").unwrap_or(1).max(1);
    let page_size = number("page_size")
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    (page_no, page_size)
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

/// The entity model (`WiIssueEntity`, `ClIssueEntity`). Also used by the
/// image operations, which answer the work item.
pub(super) fn entity(project: &Project, item: &WorkItem, project_id: &str) -> Value {
    let creator = user_entity(&emulator_user());
    let labels: Vec<Value> = labels::of_item(project, item)
        .map(labels::entity_json)
        .collect();
    let custom_fields: Vec<Value> = item
        .custom_fields
        .iter()
        .map(|(code, value)| json!({ "code": code, "value": value }))
        .collect();
    let identity = json!({
        "id": item.id,
        "number": item.number,
        "title": item.title,
        "description": item.description,
        "type": class(&item.category),
        "category": item.category,
        "project_id": project_id,
        "parent_id": item.parent_id,
        "status": item.status,
        "state": lifecycle(item),
        "suspended": false,
    });
    let details = json!({
        "assignee": item.assignee.as_ref().map(user_entity),
        "created_by": creator,
        "modified_by": creator,
        "created_time": item.created_ms.to_string(),
        "modified_time": item.modified_ms.to_string(),
        "status_modified_time": item.status_modified_ms.to_string(),
        "priority": item.priority,
        "plan_end_date": item.plan_end_date,
        "workload": item.workload,
        "link": item.link,
        "labels": labels,
        "custom_fields": custom_fields,
    });
    merged(identity, details)
}

/// The list model (`WiIssueVO`).
fn list_view(project: &Project, item: &WorkItem, project_id: &str) -> Value {
    let creator = user_vo(&emulator_user());
    let labels: Vec<Value> = labels::of_item(project, item)
        .map(labels::work_item_vo)
        .collect();
    let identity = json!({
        "id": item.id,
        "number": item.number,
        "title": item.title,
        "description": item.description,
        "type": class(&item.category).replace('_', " "),
        "category": item.category,
        "project": { "project_id": project_id },
        "parent_id": item.parent_id,
        "status": { "code": item.status, "name": item.status, "display_value": item.status },
        "state": lifecycle(item),
        "stay_days": now_ms().saturating_sub(item.status_modified_ms) / DAY_MS,
    });
    let details = json!({
        "assignee": item.assignee.as_ref().map(user_vo),
        "created_by": creator,
        "modified_by": creator,
        "created_date": item.created_ms.to_string(),
        "modified_date": item.modified_ms.to_string(),
        "status_modified_date": item.status_modified_ms.to_string(),
        "priority": item.priority.as_ref().map(|p| json!({ "value": p, "display_value": p })),
        "plan_end_date": item.plan_end_date,
        "workload_man_day": item.workload,
        "link": item.link,
        "workitem2label": labels,
    });
    merged(identity, details)
}

/// Two JSON objects as one (kept apart only to keep `json!` small).
fn merged(mut first: Value, second: Value) -> Value {
    if let (Value::Object(first), Value::Object(second)) = (&mut first, second) {
        first.extend(second);
    }
    first
}

fn lifecycle(item: &WorkItem) -> &str {
    item.deleted.as_deref().unwrap_or(ACTIVE)
}

/// The class the service derives from the type (`type` in the answers).
fn class(category: &str) -> &'static str {
    match category {
        "Bug" => "bug",
        "Task" => "task",
        "RR" => "raw_requirement",
        "SF" | "FE" | "Epic" => "feature",
        _ => "requirement",
    }
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

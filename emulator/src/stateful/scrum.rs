//! Scrum work items (ProjectMan v4): create, show, list (filters and
//! paging), update and delete them, comment on them and list their
//! comments; the statuses they move through. Iterations are in
//! `iterations`. Ids are numbers, as the service's
//! are; a work item names its iteration and parent by number, and both
//! must be live in the project. Deleting marks a row deleted: it is gone
//! from reads, and listed again only when `include_deleted` asks.

use serde_json::{Value, json};

use super::iterations::is_live_iteration;
use super::{
    Answer, Call, EMULATOR_USER_ID, EMULATOR_USER_NAME, ID_BASE, Reply, State, error, find_project,
    invalid, next_id, now_ms, path_param, project_mut,
};
use crate::store::state::{Project, ScrumComment, ScrumIssue};

/// A Scrum work item or iteration that does not exist (or was deleted).
const SCRUM_NOT_FOUND: &str = "PM.02177501";

/// Work item types: 2 task, 3 bug, 5 epic, 6 feature, 7 story.
const TRACKERS: &[(i64, &str)] = &[
    (2, "Task"),
    (3, "Bug"),
    (5, "Epic"),
    (6, "Feature"),
    (7, "Story"),
];
const PRIORITIES: &[(i64, &str)] = &[(1, "低"), (2, "中"), (3, "高")];
const SEVERITIES: &[(i64, &str)] = &[(10, "关键"), (11, "重要"), (12, "一般"), (13, "提示")];
/// Statuses as the service numbers them; new work items are 新建 (1).
const STATUSES: &[(i64, &str)] = &[
    (1, "新建"),
    (2, "进行中"),
    (3, "已解决"),
    (4, "测试中"),
    (5, "已关闭"),
    (6, "已拒绝"),
];
/// The largest page ListIssuesV4 serves; 20 when none is asked for.
const MAX_LIMIT: u64 = 100;
const DEFAULT_LIMIT: u64 = 20;

/// `CreateIssueV4`.
pub(super) fn create_issue(state: &mut State, call: &Call<'_>) -> Reply {
    let request = super::body(call);
    let (last_id, project) = project_mut(state, call);
    let mut issue = ScrumIssue {
        status_id: 1,
        ..ScrumIssue::default()
    };
    apply(&mut issue, request, project)?;
    if issue.name.is_empty() {
        return Err(invalid("`name` is required."));
    }
    next_id(last_id);
    issue.id = *last_id - ID_BASE;
    let now = now_ms();
    (issue.created_ms, issue.updated_ms) = (now, now);
    project
        .scrum_issues
        .insert(issue.id.to_string(), issue.clone());
    Ok(Answer::Json(issue_json(
        path_param(call, "project_id"),
        project,
        &issue,
    )))
}

/// `ShowIssueV4`.
pub(super) fn show_issue(state: &State, call: &Call<'_>) -> Reply {
    let project = find_project(state, call).ok_or_else(|| issue_not_found(call))?;
    let issue = live_issue(project, call)?;
    let mut shown = issue_json(path_param(call, "project_id"), project, issue);
    shown["description"] = json!(issue.description);
    Ok(Answer::Json(shown))
}

/// A number a list filter compares.
type Field = fn(&ScrumIssue) -> Option<i64>;

/// `ListIssuesV4`: the work items that match every filter given, oldest
/// first, `limit` from `offset`, with the total that match.
pub(super) fn list_issues(state: &State, call: &Call<'_>) -> Reply {
    let request = super::body(call);
    let numbers = |key: &str| Some(numbers(request, key)).filter(|n| !n.is_empty());
    let filters: Vec<(Option<Vec<i64>>, Field)> = vec![
        (numbers("tracker_ids"), |i| Some(i.tracker_id)),
        (numbers("status_ids"), |i| Some(i.status_id)),
        (numbers("priority_ids"), |i| Some(i.priority_id)),
        (numbers("severity_ids"), |i| i.severity_id),
        (numbers("iteration_ids"), |i| i.iteration_id),
        (numbers("module_ids"), |i| i.module_id),
        (numbers("domain_ids"), |i| i.domain_id),
        (numbers("assigned_ids"), |i| i.assigned_id),
        (numbers("developer_ids"), |i| i.developer_id),
        (numbers("done_ratios"), |i| Some(i.done_ratio)),
    ];
    let include_deleted = request.get("include_deleted") == Some(&Value::Bool(true));
    let offset = request.get("offset").and_then(Value::as_u64).unwrap_or(0);
    let limit = request
        .get("limit")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid(format!(
            "`limit` must be 1 to {MAX_LIMIT}, not {limit}."
        )));
    }
    let project_id = path_param(call, "project_id");
    let Some(project) = find_project(state, call) else {
        return Ok(Answer::Json(json!({ "issues": [], "total": 0 })));
    };
    let mut matching: Vec<&ScrumIssue> = project
        .scrum_issues
        .values()
        .filter(|i| include_deleted || !i.deleted)
        .filter(|i| {
            filters.iter().all(|(wanted, field)| match wanted {
                Some(wanted) => field(i).is_some_and(|v| wanted.contains(&v)),
                None => true,
            })
        })
        .collect();
    matching.sort_by_key(|i| i.id);
    let total = matching.len();
    let page: Vec<Value> = matching
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .map(|i| {
            let mut item = issue_json(project_id, project, i);
            item["deleted"] = json!(i.deleted);
            item
        })
        .collect();
    Ok(Answer::Json(json!({ "issues": page, "total": total })))
}

/// `UpdateIssueV4`: the fields given, on a live work item.
pub(super) fn update_issue(state: &mut State, call: &Call<'_>) -> Reply {
    let request = super::body(call);
    let (_, project) = project_mut(state, call);
    let mut issue = live_issue(project, call)?.clone();
    apply(&mut issue, request, project)?;
    if issue.parent_issue_id == Some(issue.id as i64) {
        return Err(invalid("A work item cannot be its own parent."));
    }
    issue.updated_ms = now_ms();
    project
        .scrum_issues
        .insert(issue.id.to_string(), issue.clone());
    Ok(Answer::Json(issue_json(
        path_param(call, "project_id"),
        project,
        &issue,
    )))
}

/// `DeleteIssueV4`.
pub(super) fn delete_issue(state: &mut State, call: &Call<'_>) -> Reply {
    let (_, project) = project_mut(state, call);
    let id = live_issue(project, call)?.id;
    mark_deleted(project, id);
    Ok(Answer::Empty)
}

/// `BatchDeleteIssuesV4`: every live work item named; the others are
/// refused together, and nothing is deleted.
pub(super) fn delete_issues(state: &mut State, call: &Call<'_>) -> Reply {
    let ids = numbers(super::body(call), "issue_ids");
    let (_, project) = project_mut(state, call);
    if let Some(id) = ids.iter().find(|id| !is_live(project, **id)) {
        return Err(missing("work item", id));
    }
    for id in ids {
        mark_deleted(project, id as u64);
    }
    Ok(Answer::Empty)
}

/// `ListScrumProjectStatuses`: the statuses work items move through, the
/// ids the work-item operations take, for every type or one, paged.
pub(super) fn list_statuses(call: &Call<'_>) -> Reply {
    let tracker = super::query_param(call, "tracker_id").and_then(|t| t.parse::<i64>().ok());
    if let Some(tracker) = tracker
        && !TRACKERS.iter().any(|(id, _)| *id == tracker)
    {
        return Err(invalid(format!(
            "`tracker_id` is 2, 3, 5, 6 or 7, not {tracker}."
        )));
    }
    let offset = super::number_param(call, "offset").unwrap_or(0);
    let limit = super::number_param(call, "limit").unwrap_or(STATUSES.len());
    let trackers: Vec<i64> = match tracker {
        Some(one) => vec![one],
        None => TRACKERS.iter().map(|(id, _)| *id).collect(),
    };
    let statuses: Vec<Value> = STATUSES
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(id, name)| {
            json!({ "id": format!("status-{id}"), "status_id": id, "name": name, "tracker_ids": trackers })
        })
        .collect();
    Ok(Answer::Json(
        json!({ "issue_statuses": statuses, "total": STATUSES.len() }),
    ))
}

/// `UpdateScrumIssueNotes`: a comment on a live work item, which the body
/// names with its project (`projectUUId`); its text is `innerText`, or the
/// URL-encoded `notes` decoded.
pub(super) fn add_comment(state: &mut State, call: &Call<'_>) -> Reply {
    let request = super::body(call);
    let project_id = request
        .get("projectUUId")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| invalid("`projectUUId` names the work item's project."))?;
    let issue_id = request
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| id.parse::<i64>().ok())
        .ok_or_else(|| invalid("`id` is the work item's number."))?;
    let text = match request.get("innerText").and_then(Value::as_str) {
        Some(text) if !text.is_empty() => text.to_string(),
        _ => {
            let notes = request.get("notes").and_then(Value::as_str).unwrap_or("");
            percent_encoding::percent_decode_str(notes)
                .decode_utf8_lossy()
                .into_owned()
        }
    };
    if text.trim().is_empty() {
        return Err(invalid("A comment cannot be empty."));
    }
    let last_id = &mut state.last_id;
    let Some(project) = state.projects.get_mut(project_id) else {
        return Err(missing("work item", issue_id));
    };
    if !is_live(project, issue_id) {
        return Err(missing("work item", issue_id));
    }
    next_id(last_id);
    let comment = ScrumComment {
        id: *last_id - ID_BASE,
        issue_id: issue_id as u64,
        text,
        created_ms: now_ms(),
    };
    project
        .scrum_comments
        .insert(comment.id.to_string(), comment);
    Ok(Answer::Json(
        json!({ "status": "success", "result": { "issue": { "id": issue_id } } }),
    ))
}

/// `ListIssueCommentsV4`: a live work item's comments, oldest first,
/// `limit` (20 by default) from `offset`.
pub(super) fn list_comments(state: &State, call: &Call<'_>) -> Reply {
    let project = find_project(state, call).ok_or_else(|| issue_not_found(call))?;
    let issue = live_issue(project, call)?;
    let offset = super::number_param(call, "offset").unwrap_or(0);
    let limit = super::number_param(call, "limit").unwrap_or(DEFAULT_LIMIT as usize);
    let mut all: Vec<&ScrumComment> = project
        .scrum_comments
        .values()
        .filter(|c| c.issue_id == issue.id)
        .collect();
    all.sort_by_key(|c| c.id);
    let comments: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|c| {
            json!({
                "id": c.id,
                "comment": c.text,
                "created_time": timestamp(c.created_ms),
                "timestamp": c.created_ms.to_string(),
                "user": { "user_num_id": 1, "user_name": EMULATOR_USER_NAME, "nick_name": EMULATOR_USER_NAME },
            })
        })
        .collect();
    Ok(Answer::Json(
        json!({ "comments": comments, "total": all.len() }),
    ))
}

/// Sets the fields `request` gives, each checked against what the project
/// holds.
fn apply(issue: &mut ScrumIssue, request: &Value, project: &Project) -> Result<(), Answer> {
    let number = |key: &str| request.get(key).and_then(Value::as_i64);
    let listed = |key: &str, value: i64, known: &[(i64, &str)]| {
        if known.iter().any(|(id, _)| *id == value) {
            Ok(value)
        } else {
            let ids: Vec<String> = known.iter().map(|(id, _)| id.to_string()).collect();
            Err(invalid(format!(
                "`{key}` is one of {}, not {value}.",
                ids.join(", ")
            )))
        }
    };
    if let Some(name) = request.get("name").and_then(Value::as_str) {
        issue.name = name.to_string();
    }
    if let Some(description) = request.get("description").and_then(Value::as_str) {
        issue.description = Some(description.to_string());
    }
    if let Some(v) = number("tracker_id") {
        issue.tracker_id = listed("tracker_id", v, TRACKERS)?;
    }
    if let Some(v) = number("priority_id") {
        issue.priority_id = listed("priority_id", v, PRIORITIES)?;
    }
    if let Some(v) = number("severity_id") {
        issue.severity_id = Some(listed("severity_id", v, SEVERITIES)?);
    }
    if let Some(v) = number("status_id") {
        issue.status_id = listed("status_id", v, STATUSES)?;
    }
    if let Some(v) = number("iteration_id") {
        if !is_live_iteration(project, v) {
            return Err(invalid(format!("The iteration {v} does not exist.")));
        }
        issue.iteration_id = Some(v);
    }
    if let Some(v) = number("parent_issue_id") {
        if !is_live(project, v) {
            return Err(invalid(format!("The parent work item {v} does not exist.")));
        }
        issue.parent_issue_id = Some(v);
    }
    if let Some(v) = number("done_ratio") {
        if !(0..=100).contains(&v) {
            return Err(invalid(format!("`done_ratio` is 0 to 100, not {v}.")));
        }
        issue.done_ratio = v;
    }
    for (key, slot) in [
        ("module_id", &mut issue.module_id),
        ("domain_id", &mut issue.domain_id),
        ("assigned_id", &mut issue.assigned_id),
        ("developer_id", &mut issue.developer_id),
    ] {
        if let Some(v) = number(key) {
            *slot = Some(v);
        }
    }
    for (key, slot) in [
        ("begin_time", &mut issue.begin_time),
        ("end_time", &mut issue.end_time),
    ] {
        if let Some(v) = request.get(key).and_then(Value::as_str) {
            *slot = Some(v.to_string());
        }
    }
    for (key, slot) in [
        ("expected_work_hours", &mut issue.expected_work_hours),
        ("actual_work_hours", &mut issue.actual_work_hours),
    ] {
        if let Some(v) = request.get(key).and_then(Value::as_f64) {
            *slot = Some(v);
        }
    }
    Ok(())
}

/// The numbers of a body's list member (other items are skipped; none
/// when it is absent).
pub(super) fn numbers(request: &Value, key: &str) -> Vec<i64> {
    request
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// A 404 for a Scrum work item or iteration that does not exist (or was
/// deleted).
pub(super) fn missing(what: &str, id: impl std::fmt::Display) -> Answer {
    error(
        404,
        SCRUM_NOT_FOUND,
        format!("The {what} {id} does not exist."),
    )
}

fn is_live(project: &Project, id: i64) -> bool {
    project
        .scrum_issues
        .get(&id.to_string())
        .is_some_and(|i| !i.deleted)
}

fn live_issue<'p>(project: &'p Project, call: &Call<'_>) -> Result<&'p ScrumIssue, Answer> {
    project
        .scrum_issues
        .get(path_param(call, "issue_id"))
        .filter(|i| !i.deleted)
        .ok_or_else(|| issue_not_found(call))
}

fn issue_not_found(call: &Call<'_>) -> Answer {
    missing("work item", path_param(call, "issue_id"))
}

fn mark_deleted(project: &mut Project, id: u64) {
    if let Some(issue) = project.scrum_issues.get_mut(&id.to_string()) {
        issue.deleted = true;
        issue.updated_ms = now_ms();
    }
}

fn named(known: &[(i64, &str)], id: i64) -> Value {
    let name = known.iter().find(|(k, _)| *k == id).map_or("", |(_, n)| *n);
    json!({ "id": id, "name": name })
}

fn user(id: i64) -> Value {
    json!({ "id": id, "user_num_id": id, "user_id": EMULATOR_USER_ID, "name": EMULATOR_USER_NAME, "nick_name": EMULATOR_USER_NAME })
}

/// A work item as the v4 answers show one.
fn issue_json(project_id: &str, project: &Project, issue: &ScrumIssue) -> Value {
    let iteration = issue.iteration_id.map(|id| {
        let name = project
            .iterations
            .get(&id.to_string())
            .map_or(String::new(), |i| i.name.clone());
        json!({ "id": id, "name": name })
    });
    let parent = issue.parent_issue_id.map(|id| {
        let name = project
            .scrum_issues
            .get(&id.to_string())
            .map_or(String::new(), |i| i.name.clone());
        json!({ "id": id, "name": name })
    });
    json!({
        "id": issue.id,
        "name": issue.name,
        "tracker": named(TRACKERS, issue.tracker_id),
        "priority": named(PRIORITIES, issue.priority_id),
        "severity": issue.severity_id.map(|s| named(SEVERITIES, s)),
        "status": named(STATUSES, issue.status_id),
        "iteration": iteration,
        "parent_issue": parent,
        "module": issue.module_id.map(|id| json!({ "id": id })),
        "domain": issue.domain_id.map(|id| json!({ "id": id })),
        "assigned_user": issue.assigned_id.map(user),
        "developer": issue.developer_id.map(user),
        "creator": user(1),
        "project": { "project_id": project_id, "project_name": project_id },
        "done_ratio": issue.done_ratio,
        "begin_time": issue.begin_time,
        "end_time": issue.end_time,
        "expected_work_hours": issue.expected_work_hours,
        "actual_work_hours": issue.actual_work_hours,
        "created_time": timestamp(issue.created_ms),
        "updated_time": timestamp(issue.updated_ms),
    })
}

/// `yyyy-MM-dd HH:mm:ss`, UTC.
pub(super) fn timestamp(ms: u64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    at.format(&format).unwrap_or_default()
}

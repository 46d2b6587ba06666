//! The two views of a work item the answers use: the entity model and
//! the list model.

use serde_json::{Value, json};

use super::super::{
    ACTIVE, Project, WorkItem, emulator_user, labels, now_ms, user_entity, user_vo,
};
use super::DAY_MS;

/// The entity model (`WiIssueEntity`, `ClIssueEntity`). Also used by the
/// image operations, which answer the work item.
pub(in crate::stateful) fn entity(project: &Project, item: &WorkItem, project_id: &str) -> Value {
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
pub(super) fn list_view(project: &Project, item: &WorkItem, project_id: &str) -> Value {
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

pub(super) fn lifecycle(item: &WorkItem) -> &str {
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

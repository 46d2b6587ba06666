//! `ListIpdProjectIssues`: the filters, the sort and the page.

use serde_json::{Map, Value, json};

use super::super::{
    Call, Project, Reply, State, WorkItem, body, find_project, labels, path_param, query_param,
    reply, split_list, str_field,
};
use super::list_view;

/// Page size of a list query that gives none.
const DEFAULT_PAGE_SIZE: usize = 20;
/// The documented largest page.
const MAX_PAGE_SIZE: usize = 200;

/// `ListIpdProjectIssues`. Honoured: the `issue_type` query (a
/// comma-separated list of types), the body's `filter` with `filter_mode`
/// (see `value_matches` for the columns understood), `page` and the first
/// `sort` entry. Ignored: `return_fields`, `model_ids`, and the
/// `is_backlog`, `src_domain_id` and `view` query parameters (the list is
/// always flat). Deleted work items are never listed.
pub(in crate::stateful) fn list(state: &State, call: &Call<'_>) -> Reply {
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

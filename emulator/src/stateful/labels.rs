//! Labels (the reference calls them tags): create, list, update, delete,
//! and the lookups work items use. A work item is labelled through its
//! `labels` attribute (`BatchCreateIssuesV2`, `BatchUpdateIpdIssues`),
//! which names labels by `id` or by `title`.

use serde_json::{Value, json};

use super::{
    ACTIVE, Answer, Call, DUPLICATE_LABEL, LABEL_NOT_FOUND, Label, Project, Reply, State, WorkItem,
    body, error, find_project, invalid, next_id, path_param, project_mut, query_param, reply,
    split_list, str_field, strings, text,
};

/// `CreateIpdLabel`: titles are unique within a project.
pub(super) fn create(state: &mut State, call: &Call<'_>) -> Reply {
    let request = body(call);
    let title = text(request, "title").ok_or_else(|| invalid("The label title is required."))?;
    let (last_id, project) = project_mut(state, call);
    ensure_unique(project, &title, None)?;
    let label = Label {
        id: next_id(last_id),
        title,
        color: str_field(request, "color").unwrap_or_default().to_string(),
        label_type: text(request, "label_type"),
        category_types: strings(request.get("category_types")),
    };
    let created = entity_json(&label);
    project.labels.insert(label.id.clone(), label);
    reply(Value::Array(vec![created]))
}

/// `ListIpdLabels`: every label on one page, filtered by `title` (contains),
/// `label_type` and `category_types` (comma-separated; any shared item).
pub(super) fn list(state: &State, call: &Call<'_>) -> Reply {
    let title = query_param(call, "title").filter(|t| !t.is_empty());
    let label_types = split_list(query_param(call, "label_type"));
    let category_types = split_list(query_param(call, "category_types"));
    let data: Vec<Value> = find_project(state, call)
        .into_iter()
        .flat_map(|p| p.labels.values())
        .filter(|l| title.is_none_or(|t| l.title.contains(t)))
        .filter(|l| {
            label_types.is_empty()
                || split_list(l.label_type.as_deref())
                    .iter()
                    .any(|t| label_types.contains(t))
        })
        .filter(|l| {
            category_types.is_empty()
                || l.category_types
                    .iter()
                    .any(|c| category_types.contains(&c.as_str()))
        })
        .map(entity_json)
        .collect();
    reply(json!({ "total": data.len(), "data": data }))
}

/// `UpdateIpdLabel`: title and color (and the types, if given). The answer
/// model (`ClLabelUpdateResult`) has no id.
pub(super) fn update(state: &mut State, call: &Call<'_>) -> Reply {
    let label_id = path_param(call, "label_id");
    let request = body(call);
    let (_, project) = project_mut(state, call);
    // Edit a copy: the uniqueness check reads the other labels.
    let mut label = project
        .labels
        .get(label_id)
        .cloned()
        .ok_or_else(|| not_found(label_id))?;
    if let Some(title) = text(request, "title") {
        label.title = title;
    }
    if let Some(color) = str_field(request, "color") {
        label.color = color.to_string();
    }
    if let Some(label_type) = text(request, "label_type") {
        label.label_type = Some(label_type);
    }
    if request.get("category_types").is_some() {
        label.category_types = strings(request.get("category_types"));
    }
    ensure_unique(project, &label.title, Some(label_id))?;
    let updated = json!({
        "title": label.title,
        "color": label.color,
        "label_type": label.label_type,
        "category_types": label.category_types,
    });
    project.labels.insert(label.id.clone(), label);
    reply(Value::Array(vec![updated]))
}

/// `DeleteIpdLabel`: the label also leaves every work item that had it.
pub(super) fn delete(state: &mut State, call: &Call<'_>) -> Reply {
    let label_id = path_param(call, "label_id");
    let (_, project) = project_mut(state, call);
    project
        .labels
        .remove(label_id)
        .ok_or_else(|| not_found(label_id))?;
    project.work_items.update_where(
        |item| item.labels.iter().any(|id| id == label_id),
        |item| item.labels.retain(|id| id != label_id),
    );
    reply(json!({ "id": label_id }))
}

/// The label ids a work item request names, each by `id` or else by
/// `title`; a label the project does not have refuses the request.
pub(super) fn resolve(project: &Project, list: &Value) -> Result<Vec<String>, Answer> {
    let mut ids: Vec<String> = Vec::new();
    for entry in list.as_array().map(Vec::as_slice).unwrap_or_default() {
        let found = match (text(entry, "id"), str_field(entry, "title")) {
            (Some(id), _) => project.labels.get(&id),
            (None, Some(title)) => project.labels.values().find(|l| l.title == title),
            (None, None) => None,
        };
        let label = found.ok_or_else(|| not_found(&entry.to_string()))?;
        if !ids.contains(&label.id) {
            ids.push(label.id.clone());
        }
    }
    Ok(ids)
}

/// A work item's labels that still exist.
pub(super) fn of_item<'a>(
    project: &'a Project,
    item: &'a WorkItem,
) -> impl Iterator<Item = &'a Label> {
    item.labels
        .iter()
        .filter_map(move |id| project.labels.get(id))
}

/// A label as `ClLabelEntity`, `ClLabelCreateResult` and `WiLabelEntity`
/// show it.
pub(super) fn entity_json(label: &Label) -> Value {
    json!({
        "id": label.id,
        "title": label.title,
        "color": label.color,
        "label_type": label.label_type,
        "category_types": label.category_types,
    })
}

/// A label as a listed work item shows it (`WiWorkItemLabelVO`).
pub(super) fn work_item_vo(label: &Label) -> Value {
    json!({
        "id": label.id,
        "title": label.title,
        "color": label.color,
        "label_type": label.label_type,
        "category": "Label",
        "type": "label",
        "state": ACTIVE,
    })
}

fn ensure_unique(project: &Project, title: &str, except: Option<&str>) -> Result<(), Answer> {
    let taken = project
        .labels
        .values()
        .any(|l| l.title == title && Some(l.id.as_str()) != except);
    if taken {
        return Err(error(
            400,
            DUPLICATE_LABEL,
            format!("A label titled {title:?} already exists."),
        ));
    }
    Ok(())
}

fn not_found(label: &str) -> Answer {
    error(
        404,
        LABEL_NOT_FOUND,
        format!("The label {label} does not exist."),
    )
}

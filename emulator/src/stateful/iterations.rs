//! Scrum iterations (ProjectMan v4): create, list, show (by id alone, with
//! the counts of its work items), update and delete, one or several. Ids
//! are numbers; deleting marks an iteration deleted and takes it from its
//! work items.

use serde_json::{Value, json};

use super::scrum::{missing, numbers, timestamp};
use super::{
    Answer, Call, ID_BASE, Reply, State, find_project, invalid, next_id, now_ms, path_param,
    project_mut, query_param,
};
use crate::store::state::{Iteration, Project, ScrumIssue};

/// `CreateIterationV4`: dates as `yyyy-MM-dd`, the end not before the
/// start.
pub(super) fn create_iteration(state: &mut State, call: &Call<'_>) -> Reply {
    let request = super::body(call);
    let (last_id, project) = project_mut(state, call);
    let mut iteration = Iteration {
        status: "0".into(),
        ..Iteration::default()
    };
    apply_iteration(&mut iteration, request)?;
    next_id(last_id);
    iteration.id = *last_id - ID_BASE;
    let now = now_ms();
    (iteration.created_ms, iteration.updated_ms) = (now, now);
    project
        .iterations
        .insert(iteration.id.to_string(), iteration.clone());
    Ok(Answer::Json(json!({ "id": iteration.id })))
}

/// `ListProjectIterationsV4`: every iteration, oldest first.
pub(super) fn list_iterations(state: &State, call: &Call<'_>) -> Reply {
    let include_deleted = query_param(call, "include_deleted") == Some("true");
    let Some(project) = find_project(state, call) else {
        return Ok(Answer::Json(json!({ "iterations": [], "total": 0 })));
    };
    let mut all: Vec<&Iteration> = project
        .iterations
        .values()
        .filter(|i| include_deleted || !i.deleted)
        .collect();
    all.sort_by_key(|i| i.id);
    let iterations: Vec<Value> = all
        .iter()
        .map(|i| {
            json!({
                "id": i.id, "name": i.name, "description": i.description,
                "begin_time": i.begin_time, "end_time": i.end_time, "status": i.status,
                "updated_time": i.updated_ms, "deleted": i.deleted,
            })
        })
        .collect();
    Ok(Answer::Json(
        json!({ "iterations": iterations, "total": all.len() }),
    ))
}

/// `ShowIterationV4`: by id alone, in whichever project holds it, with
/// the counts of its work items.
pub(super) fn show_iteration(state: &State, call: &Call<'_>) -> Reply {
    let id = path_param(call, "iteration_id");
    let found = state
        .projects
        .values()
        .find_map(|p| p.iterations.get(id).filter(|i| !i.deleted).map(|i| (p, i)));
    let Some((project, iteration)) = found else {
        return Err(missing("iteration", id));
    };
    let items: Vec<&ScrumIssue> = project
        .scrum_issues
        .values()
        .filter(|i| !i.deleted && i.iteration_id == Some(iteration.id as i64))
        .collect();
    let closed = items.iter().filter(|i| i.status_id == 5).count();
    Ok(Answer::Json(json!({
        "iteration_id": iteration.id,
        "name": iteration.name,
        "begin_time": iteration.begin_time,
        "end_time": iteration.end_time,
        "status": iteration.status,
        "total": items.len(),
        "closed_total": closed,
        "opened_total": items.len() - closed,
        "have_task": items.iter().any(|i| i.tracker_id == 2),
        "created_time": timestamp(iteration.created_ms),
        "updated_time": timestamp(iteration.updated_ms),
    })))
}

/// `UpdateIterationV4`.
pub(super) fn update_iteration(state: &mut State, call: &Call<'_>) -> Reply {
    let request = super::body(call);
    let (_, project) = project_mut(state, call);
    let mut iteration = live_iteration(project, call)?.clone();
    apply_iteration(&mut iteration, request)?;
    if let Some(status) = request.get("status").and_then(Value::as_str) {
        if !["0", "1", "2"].contains(&status) {
            return Err(invalid(format!("`status` is 0, 1 or 2, not `{status}`.")));
        }
        iteration.status = status.to_string();
    }
    iteration.updated_ms = now_ms();
    project
        .iterations
        .insert(iteration.id.to_string(), iteration);
    Ok(Answer::Empty)
}

/// `DeleteIterationV4`: its work items keep no iteration.
pub(super) fn delete_iteration(state: &mut State, call: &Call<'_>) -> Reply {
    let (_, project) = project_mut(state, call);
    let id = live_iteration(project, call)?.id;
    remove_iteration(project, id);
    Ok(Answer::Empty)
}

/// `BatchDeleteIterationsV4`: every live iteration named, or none.
pub(super) fn delete_iterations(state: &mut State, call: &Call<'_>) -> Reply {
    let ids: Vec<u64> = numbers(super::body(call), "iteration_ids")
        .into_iter()
        .filter_map(|id| u64::try_from(id).ok())
        .collect();
    let (_, project) = project_mut(state, call);
    if let Some(id) = ids
        .iter()
        .find(|id| !is_live_iteration(project, **id as i64))
    {
        return Err(missing("iteration", id));
    }
    for id in ids {
        remove_iteration(project, id);
    }
    Ok(Answer::Empty)
}

fn apply_iteration(iteration: &mut Iteration, request: &Value) -> Result<(), Answer> {
    let text = |key: &str| request.get(key).and_then(Value::as_str);
    if let Some(name) = text("name") {
        iteration.name = name.to_string();
    }
    if let Some(description) = text("description") {
        iteration.description = Some(description.to_string());
    }
    for (key, slot) in [
        ("begin_time", &mut iteration.begin_time),
        ("end_time", &mut iteration.end_time),
    ] {
        if let Some(date) = text(key) {
            if super::plans::epoch_ms(date).is_none() {
                return Err(invalid(format!(
                    "`{key}` must be a date as yyyy-MM-dd, not `{date}`."
                )));
            }
            *slot = date.to_string();
        }
    }
    if super::plans::epoch_ms(&iteration.begin_time) > super::plans::epoch_ms(&iteration.end_time) {
        return Err(invalid("An iteration cannot end before it starts."));
    }
    Ok(())
}

pub(super) fn is_live_iteration(project: &Project, id: i64) -> bool {
    project
        .iterations
        .get(&id.to_string())
        .is_some_and(|i| !i.deleted)
}

fn live_iteration<'p>(project: &'p Project, call: &Call<'_>) -> Result<&'p Iteration, Answer> {
    let id = path_param(call, "iteration_id");
    project
        .iterations
        .get(id)
        .filter(|i| !i.deleted)
        .ok_or_else(|| missing("iteration", id))
}

/// Marks the iteration deleted, and takes it from its work items.
fn remove_iteration(project: &mut Project, id: u64) {
    if let Some(iteration) = project.iterations.get_mut(&id.to_string()) {
        iteration.deleted = true;
        iteration.updated_ms = now_ms();
    }
    let holding: Vec<String> = project
        .scrum_issues
        .values()
        .filter(|i| i.iteration_id == Some(id as i64))
        .map(|i| i.id.to_string())
        .collect();
    for key in holding {
        if let Some(issue) = project.scrum_issues.get_mut(&key) {
            issue.iteration_id = None;
        }
    }
}

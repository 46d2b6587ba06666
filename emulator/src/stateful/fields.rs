//! A project's custom fields, as `ListIpdProjectFields` lists them. The API
//! has no operation that creates one (projects define them in the console),
//! so tests and demos add them with `Emulator::add_project_fields`; a
//! project without any is answered from the spec.

use serde_json::{Value, json};

use super::{
    Answer, Call, Field, Project, Reply, State, next_id, now_ms, path_param, query_param, reply,
};

/// Adds `count` fields to `project_id`, numbered after those it has.
pub(super) fn add(state: &mut State, project_id: &str, count: usize) {
    let project = state.projects.entry(project_id.to_string()).or_default();
    let now = now_ms();
    for _ in 0..count {
        let n = project.fields.len() + 1;
        let id = next_id(&mut state.last_id);
        let field = Field {
            id: id.clone(),
            code: format!("custom_field{n:02}"),
            display_name: format!("Field {n}"),
            created_ms: now,
        };
        project.fields.insert(id, field);
    }
}

/// `ListIpdProjectFields`: `offset` and `limit` (validated by the generic
/// layer: a multiple of the limit), `keyword` in the display name or code.
/// A project without fields is answered from the spec.
pub(super) fn list(state: &State, call: &Call<'_>) -> Reply {
    let Some(project) = state
        .projects
        .get(path_param(call, "project_id"))
        .filter(|p: &&Project| !p.fields.is_empty())
    else {
        return Ok(Answer::Spec);
    };
    let keyword = query_param(call, "keyword").unwrap_or_default();
    let found: Vec<&Field> = project
        .fields
        .values()
        .filter(|f| f.display_name.contains(keyword) || f.code.contains(keyword))
        .collect();
    let number = |name| query_param(call, name).and_then(|v| v.trim().parse::<usize>().ok());
    let (offset, limit) = (
        number("offset").unwrap_or(0),
        number("limit").unwrap_or(found.len()),
    );
    let data: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(limit)
        .map(|f| {
            json!({
                "id": f.id,
                "code": f.code,
                "display_name": f.display_name,
                "created_by": super::EMULATOR_USER_NAME,
                "created_date": f.created_ms,
                "definition_type": "5",
            })
        })
        .collect();
    reply(json!({ "data": data, "total": found.len() }))
}

//! External links of work items (the IPD third-party associations):
//! create, list, update and delete, each on a live work item of the
//! project. Links are addresses of pages elsewhere, so only `https`
//! addresses are taken, as the reference requires.

use serde_json::{Value, json};

use super::{
    ACTIVE, Answer, Call, EMULATOR_USER_ID, LINK_NOT_FOUND, Reply, State, ThirdParty, body, error,
    invalid, live_item, next_id, now_ms, path_param, project_mut, reply, text, writable_item,
};

/// `AssociateIpdThirdParty`.
pub(super) fn create(state: &mut State, call: &Call<'_>) -> Reply {
    let issue_id = path_param(call, "issue_id");
    let request = body(call);
    let (title, url) = title_and_url(request)?;
    let (last_id, project) = project_mut(state, call);
    writable_item(project, issue_id)?;
    let now = now_ms();
    let link = ThirdParty {
        id: next_id(last_id),
        issue_id: issue_id.to_string(),
        title,
        url,
        created_ms: now,
        modified_ms: now,
    };
    project.third_parties.insert(link.id.clone(), link.clone());
    let project_id = path_param(call, "project_id");
    reply(json!({ "success": [created_json(project_id, &link)], "fail": [] }))
}

/// `ShowIpdThirdPartyAssociated`: every link of the work item, oldest
/// first, on one page.
pub(super) fn list(state: &State, call: &Call<'_>) -> Reply {
    let issue_id = path_param(call, "issue_id");
    let (project, _) = live_item(state, call, issue_id)?;
    let project_id = path_param(call, "project_id");
    let links: Vec<Value> = project
        .third_parties
        .values()
        .filter(|l| l.issue_id == issue_id)
        .map(|l| {
            json!({
                "domain_id": project_id,
                "id": l.id,
                "created_date": l.created_ms.to_string(),
                "created_by": EMULATOR_USER_ID,
                "title": l.title,
                "url": l.url,
            })
        })
        .collect();
    let count = links.len();
    reply(json!({
        "data": { "result": links, "page": { "page": 1, "size": count, "count": count } },
        "count": count,
    }))
}

/// `UpdateIpdThirdParty`: the title and address of one link of the work
/// item; the answer names the fields changed.
pub(super) fn update(state: &mut State, call: &Call<'_>) -> Reply {
    let issue_id = path_param(call, "issue_id");
    let request = body(call);
    let id = text(request, "id").ok_or_else(|| invalid("The link id is required."))?;
    let (title, url) = title_and_url(request)?;
    let (_, project) = project_mut(state, call);
    writable_item(project, issue_id)?;
    let link = project
        .third_parties
        .get_mut(&id)
        .filter(|l| l.issue_id == issue_id)
        .ok_or_else(|| not_found(&id))?;
    link.title = title;
    link.url = url;
    link.modified_ms = now_ms();
    reply(json!({ "success": [["title", "url"]], "fail": [] }))
}

/// `DeleteIpdThirdParty`: a link the work item does not have is reported
/// in `fail`.
pub(super) fn delete(state: &mut State, call: &Call<'_>) -> Reply {
    let issue_id = path_param(call, "issue_id");
    let id = text(body(call), "id").ok_or_else(|| invalid("The link id is required."))?;
    let (_, project) = project_mut(state, call);
    writable_item(project, issue_id)?;
    let ours = project
        .third_parties
        .get(&id)
        .is_some_and(|l| l.issue_id == issue_id);
    if ours {
        project.third_parties.remove(&id);
        reply(json!({ "success": [id], "fail": [] }))
    } else {
        reply(json!({ "success": [], "fail": [id] }))
    }
}

fn title_and_url(request: &Value) -> Result<(String, String), Answer> {
    let title = text(request, "title").ok_or_else(|| invalid("The link title is required."))?;
    let url = text(request, "url").ok_or_else(|| invalid("The link url is required."))?;
    if !url.starts_with("https://") {
        return Err(invalid(format!(
            "The link url must start with https://, not `{url}`."
        )));
    }
    Ok((title, url))
}

fn not_found(id: &str) -> Answer {
    error(
        404,
        LINK_NOT_FOUND,
        format!("The external link {id} does not exist."),
    )
}

/// A link as CreateThirdPartyAssociateDTO shows one.
fn created_json(project_id: &str, link: &ThirdParty) -> Value {
    json!({
        "id": link.id,
        "title": link.title,
        "url": link.url,
        "workitem_id": link.issue_id,
        "domain_id": project_id,
        "created_by": EMULATOR_USER_ID,
        "modified_by": EMULATOR_USER_ID,
        "created_date": link.created_ms.to_string(),
        "modified_date": link.modified_ms.to_string(),
        "state": ACTIVE,
    })
}

//! Attachments of work items: upload (`multipart/form-data`, streamed to a
//! file by the generic layer and moved into `attachments/` as part of the
//! write), list by work item, and download. Any work item id is accepted,
//! as the service's are not all known here, except one deleted.

use serde_json::{Value, json};

use super::{
    Answer, Attachment, Call, DELETED, Reply, State, error, find_project, internal, next_id,
    now_ms, path_param, project_mut, query_param, reply,
};
use crate::form::Content;
use crate::store::{Files, Txn};

/// Exactly one `attachment` part is allowed.
const TWO_PARTS: &str = "PM.02175002";
/// The `attachment` part has no file name.
const NO_FILE_NAME: &str = "PM.02175003";
/// The `attachment` part is missing.
const NO_PART: &str = "PM.02175004";
/// `issue_id` is required to list.
const NO_ISSUE: &str = "PM.02175005";
/// No such attachment in this project.
const NOT_FOUND: &str = "PM.02175146";

/// The one user the emulator knows, as attachments name users.
const USER_ID: &str = super::EMULATOR_USER_ID;

/// `CreateIpdProjectIssueAttachment`: the `attachment` part (other parts
/// are ignored, as a form parser would). Answers the documented shape.
pub(super) fn upload(txn: &mut Txn<'_>, call: &Call<'_>) -> Reply {
    let project_id = path_param(call, "project_id");
    let issue_id = path_param(call, "issue_id");
    let (last_id, project) = project_mut(txn.state, call);
    if project
        .work_items
        .get(issue_id)
        .is_some_and(|w| w.deleted.is_some())
    {
        return Err(error(400, DELETED, "The work item has been deleted."));
    }
    let mut parts = call.form.iter().filter(|p| p.name == "attachment");
    let part = parts
        .next()
        .ok_or_else(|| error(400, NO_PART, "The request has no attachment part."))?;
    if parts.next().is_some() {
        return Err(error(
            400,
            TWO_PARTS,
            "Exactly one attachment part is allowed.",
        ));
    }
    let file_name = part.file_name.as_deref().unwrap_or_default();
    let Content::File(upload) = &part.content else {
        return Err(error(
            400,
            NO_FILE_NAME,
            "The attachment part has no file name.",
        ));
    };
    if file_name.is_empty() {
        return Err(error(
            400,
            NO_FILE_NAME,
            "The attachment part has no file name.",
        ));
    }
    let attachment = Attachment {
        id: next_id(last_id),
        project_id: project_id.into(),
        issue_id: issue_id.into(),
        store_filename: file_name.into(),
        extension: extension(file_name),
        storage_id: format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
        size: upload.size,
        created_ms: now_ms(),
        sha256: upload.sha256.clone(),
    };
    project
        .attachments
        .insert(attachment.id.clone(), attachment.clone());
    let to = txn.files.attachment(&attachment.storage_id);
    txn.place(upload, &to).map_err(|e| internal(&e))?;
    reply(Value::Array(vec![upload_view(&attachment)]))
}

/// `ShowIpdAttachmentByWorkItemId`: a work item's attachments, oldest first.
pub(super) fn list(state: &State, _: &Files, call: &Call<'_>) -> Reply {
    let Some(issue_id) = query_param(call, "issue_id").filter(|i| !i.is_empty()) else {
        return Err(error(
            400,
            NO_ISSUE,
            "The issue_id query parameter is required.",
        ));
    };
    let result: Vec<Value> = find_project(state, call)
        .into_iter()
        .flat_map(|p| p.attachments.values())
        .filter(|a| a.issue_id == issue_id)
        .map(list_view)
        .collect();
    reply(Value::Array(result))
}

/// `DownloadIpdIssueAttachment`: the bytes, as a download of the uploaded
/// file name.
pub(super) fn download(state: &State, files: &Files, call: &Call<'_>) -> Reply {
    let id = path_param(call, "id");
    let attachment = find_project(state, call)
        .and_then(|p| p.attachments.get(id))
        .ok_or_else(|| error(404, NOT_FOUND, "The attachment does not exist."))?;
    let file =
        std::fs::File::open(files.attachment(&attachment.storage_id)).map_err(|e| internal(&e))?;
    Ok(Answer::File {
        file,
        size: attachment.size,
        content_type: "application/octet-stream".into(),
        file_name: Some(attachment.store_filename.clone()),
    })
}

/// The name the service gives the stored file: its storage id and the
/// extension.
fn title(a: &Attachment) -> String {
    if a.extension.is_empty() {
        a.storage_id.clone()
    } else {
        format!("{}.{}", a.storage_id, a.extension)
    }
}

/// The extension the service reports: letters and digits after the last `.`.
fn extension(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((_, ext))
            if !ext.is_empty()
                && ext.len() <= 16
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            ext.to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

fn user() -> Value {
    json!({
        "watcher": null,
        "user_id": USER_ID,
        "user_num_id": 13369,
        "user_name": "emulator",
        "domain_id": "cdf72eb7297642da8c4b0dffe4f4f14b",
        "domain_name": "emulator",
        "nick_name": "emulator",
        "role_id": null, "role_name": null, "image_id": null, "region": null,
        "opinion": null, "description": null, "owner": null, "ccbId": null,
        "status": 1,
        "has_removed": null,
    })
}

/// The documented 200 shape: digit strings for `filesize` and
/// `created_date`, nulls where the documentation's example has them.
fn upload_view(a: &Attachment) -> Value {
    json!({
        "progress": 100,
        "id": a.id,
        "workitem_id": a.issue_id,
        "associate_type": null,
        "disk_directory": format!("/projects/{}/attachments/{}", a.project_id, title(a)),
        "filesize": a.size.to_string(),
        "store_filename": a.store_filename,
        "title": title(a),
        "type": "attachment",
        "category": "Attachment",
        "issue_category": null,
        "status": null,
        "description": null,
        "modified_by": user(),
        "created_by": user(),
        "domain_id": "1212810843328520193",
        "attachment_type": a.extension,
        "created_date": a.created_ms.to_string(),
        "storage_service": "IPDProjectService",
        "storage_id": a.storage_id,
        "delete_flag": false,
    })
}

fn list_user() -> Value {
    json!({ "id": USER_ID, "name": "emulator", "nick_name": "emulator" })
}

/// `AttachmentEntity`: all strings but the two users.
fn list_view(a: &Attachment) -> Value {
    json!({
        "id": a.id,
        "issue_id": a.issue_id,
        "disk_directory": format!("/projects/{}/attachments/{}", a.project_id, title(a)),
        "file_size": a.size.to_string(),
        "store_filename": a.store_filename,
        "title": title(a),
        "modified_by": list_user(),
        "created_by": list_user(),
        "attachment_type": a.extension,
        "created_date": a.created_ms.to_string(),
    })
}

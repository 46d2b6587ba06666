//! Images in work item descriptions: upload (which appends the image to the
//! description, as the service does), download and delete. The bytes are
//! files in `<data_dir>/images/`, named as the service names them (32 hex
//! digits and the extension); the state keeps their metadata.

use super::{
    Answer, Call, IMAGE_NOT_FOUND, Image, Project, Reply, State, error, internal, invalid,
    item_not_found, live_item, now_ms, path_param, project_mut, query_param, reply, work_items,
    writable_item,
};
use crate::form::{Content, FormPart};
use crate::store::{Files, Txn};

/// The documented image types, by extension.
const IMAGE_TYPES: [&str; 7] = ["png", "jpg", "jpeg", "gif", "bmp", "tiff", "svg"];

/// `UploadIpdImageInIssue`: the `file` part, moved into `images/` as part
/// of the write.
pub(super) fn upload(txn: &mut Txn<'_>, call: &Call<'_>) -> Reply {
    let issue_id = query_param(call, "issue_id").unwrap_or_default();
    let part = call
        .form
        .iter()
        .find(|p| p.name == "file")
        .ok_or_else(|| invalid("The request has no file part."))?;
    let Content::File(upload) = &part.content else {
        return Err(invalid("The file part has no file name."));
    };
    let extension = image_extension(part).ok_or_else(|| {
        invalid("Only JPG, JPEG, PNG, GIF, BMP, TIFF and SVG images are supported.")
    })?;
    let (_, project) = project_mut(txn.state, call);
    writable_item(project, issue_id)?;
    let file_name = format!(
        "{:016x}{:016x}.{extension}",
        fastrand::u64(..),
        fastrand::u64(..)
    );
    let now = now_ms();
    let image = Image {
        file_name: file_name.clone(),
        issue_id: issue_id.to_string(),
        content_type: content_type(part, extension),
        size: upload.size,
        created_ms: now,
    };
    project.images.insert(file_name.clone(), image);
    let item = writable_item(project, issue_id)?;
    item.description.push_str(&image_tag(&file_name));
    item.modified_ms = now;
    let answer = work_item_reply(project, call, issue_id)?;
    // The name is the emulator's own, so it is always a plain one.
    if let Some(to) = txn.files.image(&file_name) {
        txn.place(upload, &to).map_err(|e| internal(&e))?;
    }
    Ok(answer)
}

/// `DownloadIpdImageInIssue`: the bytes, with the type they were uploaded
/// as. `field_code` is ignored (images are only in descriptions here).
pub(super) fn download(state: &State, files: &Files, call: &Call<'_>) -> Reply {
    let issue_id = query_param(call, "issue_id").unwrap_or_default();
    let file_name = query_param(call, "file_name").unwrap_or_default();
    let (project, _) = live_item(state, call, issue_id)?;
    let image = find(project, issue_id, file_name)?;
    let path = files
        .image(&image.file_name)
        .ok_or_else(|| not_found(file_name))?;
    let file = std::fs::File::open(path).map_err(|e| internal(&e))?;
    Ok(Answer::File {
        file,
        size: image.size,
        content_type: image.content_type.clone(),
        file_name: Some(image.file_name.clone()),
    })
}

/// `DeleteIpdImageInIssue`: the image leaves the state and the
/// description; its file goes once that is committed.
pub(super) fn delete(txn: &mut Txn<'_>, call: &Call<'_>) -> Reply {
    let issue_id = query_param(call, "issue_id").unwrap_or_default();
    let file_name = query_param(call, "file_name").unwrap_or_default();
    let (_, project) = project_mut(txn.state, call);
    writable_item(project, issue_id)?;
    find(project, issue_id, file_name)?;
    project.images.remove(file_name);
    let item = writable_item(project, issue_id)?;
    item.description = item.description.replace(&image_tag(file_name), "");
    item.modified_ms = now_ms();
    let answer = work_item_reply(project, call, issue_id)?;
    if let Some(path) = txn.files.image(file_name) {
        txn.remove_after_commit(path);
    }
    Ok(answer)
}

fn find<'p>(project: &'p Project, issue_id: &str, file_name: &str) -> Result<&'p Image, Answer> {
    project
        .images
        .get(file_name)
        .filter(|i| i.issue_id == issue_id)
        .ok_or_else(|| not_found(file_name))
}

fn not_found(file_name: &str) -> Answer {
    error(
        404,
        IMAGE_NOT_FOUND,
        format!("The image {file_name} is not in this work item's description."),
    )
}

/// The work item after the change, as `ClIssueEntity`.
fn work_item_reply(project: &Project, call: &Call<'_>, issue_id: &str) -> Reply {
    let item = project
        .work_items
        .get(issue_id)
        .ok_or_else(|| item_not_found(issue_id))?;
    reply(work_items::entity(
        project,
        item,
        path_param(call, "project_id"),
    ))
}

/// What the description gains for an image; the name is the emulator's
/// own, so the tag needs no escaping and can be found again to remove.
fn image_tag(file_name: &str) -> String {
    format!("<p><img src=\"{file_name}\"></p>")
}

/// The extension from the part's file name, else from its content type;
/// None unless it is a documented image type.
fn image_extension(part: &FormPart) -> Option<&'static str> {
    let from_name = part
        .file_name
        .as_deref()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, extension)| extension.to_ascii_lowercase());
    let from_type = || {
        part.content_type
            .as_deref()
            .and_then(|t| t.strip_prefix("image/"))
            .map(|t| t.trim_end_matches("+xml").to_ascii_lowercase())
    };
    let wanted = from_name.or_else(from_type)?;
    IMAGE_TYPES.iter().copied().find(|e| *e == wanted)
}

/// The part's own content type if it is an image type, else the
/// extension's.
fn content_type(part: &FormPart, extension: &str) -> String {
    if let Some(given) = part.content_type.as_deref()
        && given.starts_with("image/")
    {
        return given.to_string();
    }
    let known = match extension {
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tiff" => "image/tiff",
        _ => "application/octet-stream",
    };
    known.to_string()
}

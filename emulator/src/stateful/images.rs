//! Images in work item descriptions: upload (which appends the image to the
//! description, as the service does), download and delete. The bytes are
//! files in `<data_dir>/images/`, named as the service names them (32 hex
//! digits and the extension); the state keeps their metadata.

use std::path::Path;

use super::{
    Answer, Call, FormPart, IMAGE_NOT_FOUND, Image, Project, Reply, State, error, internal,
    invalid, item_not_found, live_item, now_ms, path_param, project_mut, query_param, reply,
    work_items, writable_item, write_atomically,
};

/// The documented image types, by extension.
const IMAGE_TYPES: [&str; 7] = ["png", "jpg", "jpeg", "gif", "bmp", "tiff", "svg"];

/// `UploadIpdImageInIssue`: the `file` part. If saving the state then
/// fails, the file stays behind unnamed; the state is what counts.
pub(super) fn upload(state: &mut State, call: &Call<'_>, dir: &Path) -> Reply {
    let issue_id = query_param(call, "issue_id").unwrap_or_default();
    let part = call
        .form
        .iter()
        .find(|p| p.name == "file")
        .ok_or_else(|| invalid("The request has no file part."))?;
    let extension = image_extension(part).ok_or_else(|| {
        invalid("Only JPG, JPEG, PNG, GIF, BMP, TIFF and SVG images are supported.")
    })?;
    let (_, project) = project_mut(state, call);
    writable_item(project, issue_id)?;
    let file_name = format!(
        "{:016x}{:016x}.{extension}",
        fastrand::u64(..),
        fastrand::u64(..)
    );
    write_atomically(&dir.join(&file_name), &part.bytes).map_err(|e| internal(&e))?;
    let now = now_ms();
    let image = Image {
        file_name: file_name.clone(),
        issue_id: issue_id.to_string(),
        content_type: content_type(part, extension),
        size: part.bytes.len() as u64,
        created_ms: now,
    };
    project.images.insert(file_name.clone(), image);
    let item = writable_item(project, issue_id)?;
    item.description.push_str(&image_tag(&file_name));
    item.modified_ms = now;
    work_item_reply(project, call, issue_id)
}

/// `DownloadIpdImageInIssue`: the bytes, with the type they were uploaded
/// as. `field_code` is ignored (images are only in descriptions here).
pub(super) fn download(state: &State, call: &Call<'_>, dir: &Path) -> Reply {
    let issue_id = query_param(call, "issue_id").unwrap_or_default();
    let file_name = query_param(call, "file_name").unwrap_or_default();
    let (project, _) = live_item(state, call, issue_id)?;
    let image = find(project, issue_id, file_name)?;
    let bytes = std::fs::read(dir.join(&image.file_name)).map_err(|e| internal(&e))?;
    Ok(Answer::Bytes {
        content_type: image.content_type.clone(),
        file_name: Some(image.file_name.clone()),
        bytes: bytes::Bytes::from(bytes),
    })
}

/// `DeleteIpdImageInIssue`: the image leaves the state and the description;
/// the store removes its file once the state is saved (`remove_file`).
pub(super) fn delete(state: &mut State, call: &Call<'_>) -> Reply {
    let issue_id = query_param(call, "issue_id").unwrap_or_default();
    let file_name = query_param(call, "file_name").unwrap_or_default();
    let (_, project) = project_mut(state, call);
    writable_item(project, issue_id)?;
    find(project, issue_id, file_name)?;
    project.images.remove(file_name);
    let item = writable_item(project, issue_id)?;
    item.description = item.description.replace(&image_tag(file_name), "");
    item.modified_ms = now_ms();
    work_item_reply(project, call, issue_id)
}

/// Removes the file of an image `delete` took out of the saved state. The
/// name was found in the state, so it is one the emulator made; it is
/// checked again all the same before it goes near the file system.
pub(super) fn remove_file(dir: &Path, call: &Call<'_>) {
    if let Some(name) = query_param(call, "file_name")
        && is_plain_name(name)
    {
        let _ = std::fs::remove_file(dir.join(name));
    }
}

fn is_plain_name(name: &str) -> bool {
    !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
}

fn find<'p>(project: &'p Project, issue_id: &str, file_name: &str) -> Result<&'p Image, Answer> {
    project
        .images
        .get(file_name)
        .filter(|i| i.issue_id == issue_id)
        .ok_or_else(|| {
            error(
                404,
                IMAGE_NOT_FOUND,
                format!("The image {file_name} is not in this work item's description."),
            )
        })
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

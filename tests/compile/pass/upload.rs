use codearts_ipd::forms::CreateIpdProjectIssueAttachmentForm;
use codearts_ipd::types::CreateIpdProjectIssueAttachmentResponseBody;
use codearts_ipd::{ApiError, Client, Credentials, FilePart, Response};

// Every call is `method().setters().send().await`, with `?` straight into
// `ApiError`: no `map_err`.
async fn upload(client: &Client) -> Result<Response<CreateIpdProjectIssueAttachmentResponseBody>, ApiError> {
    let form = CreateIpdProjectIssueAttachmentForm::new(FilePart::from_bytes("a.txt", "hello"));
    client
        .create_ipd_project_issue_attachment()
        .project_id("project")
        .issue_id("issue")
        .body(form)
        .send()
        .await
}

async fn upload_path(client: &Client) -> Result<Option<i64>, ApiError> {
    let file = FilePart::from_path("Cargo.toml").await?;
    let reader = FilePart::from_reader("r.bin", tokio::io::empty(), 0).with_content_type("application/octet-stream");
    let _ = reader.is_replayable();
    let response = client
        .create_ipd_project_issue_attachment()
        .project_id("project")
        .issue_id("issue")
        .body(CreateIpdProjectIssueAttachmentForm::new(file))
        .send()
        .await?;
    let _request_id: Option<&str> = response.request_id();
    // The response dereferences to its body.
    Ok(response.result.clone().unwrap_or_default().first().and_then(|a| a.filesize).map(|s| *s))
}

// A builder is `Send`, so calls can be spawned.
fn spawnable(client: Client) {
    let _ = tokio::spawn(async move {
        client.show_ipd_attachment_by_work_item_id().project_id("p").issue_id("i").send().await
    });
}

fn main() {
    let client = Client::builder()
        .endpoint("http://127.0.0.1:1")
        .credentials(Credentials::new("AK", "SK"))
        .build()
        .unwrap();
    // Built, not run: this test is about types.
    let _ = upload(&client);
    let _ = upload_path(&client);
    let _ = spawnable;
}

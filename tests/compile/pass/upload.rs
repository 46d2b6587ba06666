use codearts_ipd::forms::CreateIpdProjectIssueAttachmentForm;
use codearts_ipd::types::CreateIpdProjectIssueAttachmentResponseBody;
use codearts_ipd::{ApiError, Client, Credentials, FilePart, ResponseValue};

async fn upload(client: &Client) -> Result<ResponseValue<CreateIpdProjectIssueAttachmentResponseBody>, ApiError> {
    let form = CreateIpdProjectIssueAttachmentForm::new(FilePart::from_bytes("a.txt", "hello"));
    Ok(client.create_ipd_project_issue_attachment("project", "issue", form).await?)
}

async fn upload_path(client: &Client) -> Result<Option<i64>, ApiError> {
    let file = FilePart::from_path("Cargo.toml").await?;
    let reader = FilePart::from_reader("r.bin", tokio::io::empty(), 0).with_content_type("application/octet-stream");
    let _ = reader.is_replayable();
    let body = client
        .create_ipd_project_issue_attachment("project", "issue", CreateIpdProjectIssueAttachmentForm::new(file))
        .await?
        .into_inner();
    Ok(body.result.unwrap_or_default().first().and_then(|a| a.filesize).map(|s| *s))
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
}

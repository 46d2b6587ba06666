// The body of an upload is its form, not a bare file.
async fn upload(client: &codearts_ipd::Client) {
    let file = codearts_ipd::FilePart::from_bytes("a.txt", "x");
    let _ = client.create_ipd_project_issue_attachment().project_id("p").issue_id("i").body(file).send().await;
}

fn main() {}

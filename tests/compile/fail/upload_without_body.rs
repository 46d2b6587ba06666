async fn upload(client: &codearts_ipd::Client) {
    let _ = client.create_ipd_project_issue_attachment("project", "issue").await;
}

fn main() {}

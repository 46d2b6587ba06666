// A builder must be sent before its answer can be read.
async fn list(client: &codearts_ipd::Client) {
    let listed = client.show_ipd_attachment_by_work_item_id().project_id("p").issue_id("i").await;
    let _ = listed;
}

fn main() {}

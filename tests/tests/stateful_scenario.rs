//! A user's session against the stateful emulator, through the generated
//! client: create a work item, query it, update it, comment on it, label
//! it, attach a file, list the attachments, delete the work item; then the
//! same data after a restart.

use crate::common;

use codearts_ipd::{ApiError, Client, RetryPolicy, types};
use common::{PROJECT, start};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Bodies are written as JSON and decoded into the generated types, as a
/// user holding JSON would; a field the type lacks fails here.
fn body<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

fn json_of(body: &impl serde::Serialize) -> Value {
    serde_json::to_value(body).unwrap()
}

async fn query(client: &Client, filter: Value) -> types::IssueListResult {
    client
        .list_ipd_project_issues()
        .project_id(PROJECT)
        .issue_type("Bug,Task")
        .body(body(
            json!({ "filter": filter, "page": { "page_no": 1, "page_size": 20 } }),
        ))
        .send()
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap()
}

fn ids(result: &types::IssueListResult) -> Vec<String> {
    result
        .issues
        .iter()
        .flatten()
        .filter_map(|issue| issue.id.clone())
        .collect()
}

#[tokio::test]
async fn a_work_item_from_creation_to_deletion() {
    let setup = start().await;
    let client = common::client(&setup.emulator.url(), RetryPolicy::none());

    // Create a label and a work item.
    let label = client
        .create_ipd_label()
        .project_id(PROJECT)
        .body(body(
            json!({ "title": "urgent", "color": "#F66F6A", "category_types": ["Bug"] }),
        ))
        .send()
        .await
        .unwrap();
    let label_id = json_of(&*label)["result"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let created = client
        .create_ipd_project_issue()
        .project_id(PROJECT)
        .body(body(json!({
            "title": "Login fails on Safari",
            "description": "Steps to reproduce: ...",
            "category": "Bug",
        })))
        .send()
        .await
        .unwrap();
    assert!(created.request_id().is_some());
    let issue_id = json_of(&*created)["result"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Query it by a title keyword.
    let found = query(&client, json!([{ "title": { "values": ["Login"] } }])).await;
    assert_eq!(ids(&found), std::slice::from_ref(&issue_id));
    let none = query(&client, json!([{ "title": { "values": ["Export"] } }])).await;
    assert!(ids(&none).is_empty());

    // Update it, labelling it on the way.
    client
        .batch_update_ipd_issues()
        .project_id(PROJECT)
        .body(body(json!({
            "id": [issue_id],
            "attribute": {
                "category": "Bug",
                "status": "Doing",
                "description": "Fixed in the next build.",
                "labels": [{ "id": label_id }],
            },
        })))
        .send()
        .await
        .unwrap();
    let shown = client
        .show_issue_detail()
        .project_id(PROJECT)
        .issue_id(&issue_id)
        .issue_type("Bug")
        .send()
        .await
        .unwrap();
    let shown = &json_of(&*shown)["result"][0];
    assert_eq!(shown["description"], "Fixed in the next build.");
    let labelled = query(&client, json!([{ "labels": { "values": [label_id] } }])).await;
    assert_eq!(ids(&labelled), std::slice::from_ref(&issue_id));

    // Comment on it.
    client
        .create_ipd_issue_comments()
        .project_id(PROJECT)
        .issue_id(&issue_id)
        .body(body(json!({
            "category": "comment",
            "issue_category": "Bug",
            "description": "Reproduced on 17.2.",
        })))
        .send()
        .await
        .unwrap();
    let comments = client
        .list_ipd_issue_comments()
        .project_id(PROJECT)
        .issue_id(&issue_id)
        .page_no(1)
        .page_size(20)
        .category("comment")
        .send()
        .await
        .unwrap();
    let comments = json_of(&*comments);
    assert!(
        comments.to_string().contains("Reproduced on 17.2."),
        "{comments}"
    );

    // Attach a file and list the attachments.
    let part = || codearts_ipd::FilePart::from_bytes("trace.log", &b"GET /login 500\n"[..]);
    common::upload(&client, &issue_id, part()).await.unwrap();
    let attachments = client
        .show_ipd_attachment_by_work_item_id()
        .project_id(PROJECT)
        .issue_id(&issue_id)
        .send()
        .await
        .unwrap();
    let attachments = attachments.into_inner().result.unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].store_filename.as_deref(), Some("trace.log"));

    // Delete it: it is gone, and cannot take attachments any more.
    client
        .batch_delete_ipd_issues()
        .project_id(PROJECT)
        .body(body::<types::BatchDeleteIpdIssuesRequestBody>(json!([
            issue_id
        ])))
        .send()
        .await
        .unwrap();
    let gone = client
        .show_issue_detail()
        .project_id(PROJECT)
        .issue_id(&issue_id)
        .issue_type("Bug")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&gone, ApiError::ClientRequest(e) if e.status.as_u16() == 404),
        "{gone}"
    );
    assert!(ids(&query(&client, json!([])).await).is_empty());
    let refused = common::upload(&client, &issue_id, part())
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ApiError::ClientRequest(e) if e.error_code() == Some("PM.02175145")),
        "{refused}"
    );
}

#[tokio::test]
async fn state_survives_a_restart() {
    let setup = start().await;
    let data = setup.dir.path().join("data");
    let client = common::client(&setup.emulator.url(), RetryPolicy::none());
    client
        .create_ipd_label()
        .project_id(PROJECT)
        .body(body(json!({ "title": "kept", "color": "#6DDEBB" })))
        .send()
        .await
        .unwrap();
    drop(setup.emulator);

    let config = ipd_emulator::Config::new(common::AK, common::SK, &data);
    let again = ipd_emulator::Emulator::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let client = common::client(&again.url(), RetryPolicy::none());
    let labels = client
        .list_ipd_labels()
        .project_id(PROJECT)
        .send()
        .await
        .unwrap();
    let labels = json_of(&*labels);
    assert_eq!(labels["result"]["data"][0]["title"], "kept", "{labels}");
}

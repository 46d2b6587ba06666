//! A user's session against the stateful emulator, through the generated
//! client, with setters only: create a work item, query it, update it,
//! comment on it, label it, attach a file, list the attachments, delete
//! the work item; then the same data after a restart; and the example
//! program `tests/examples/work_items.rs`, run against the emulator.

use crate::common;

use std::collections::BTreeMap;

use codearts_req::types::{
    self, CommentCategory, ConditionVo, IssueCategory, IssueUpdateAttribute, LabelColor,
    LabelEntity,
};
use codearts_req::{ApiError, Client, RetryPolicy};
use common::{PROJECT, start};

#[path = "../examples/work_items.rs"]
mod work_items;

/// One filter condition: `column` matches any of `values`.
fn filter(column: &str, values: &[&str]) -> BTreeMap<String, ConditionVo> {
    BTreeMap::from([(
        column.to_string(),
        ConditionVo::builder()
            .values(values.iter().copied())
            .build(),
    )])
}

async fn query(
    client: &Client,
    filters: Vec<BTreeMap<String, ConditionVo>>,
) -> types::IssueListResult {
    client
        .list_ipd_project_issues()
        .project_id(PROJECT)
        .issue_type("Bug,Task")
        .filter(filters)
        .page(types::PageInfoVo::builder().page_no(1).page_size(20))
        .send()
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap()
}

fn ids(result: &types::IssueListResult) -> Vec<String> {
    result
        .issues()
        .iter()
        .filter_map(|issue| issue.id().map(str::to_string))
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
        .title("urgent")
        .color(LabelColor::from("#F66F6A"))
        .category_types([IssueCategory::Bug])
        .send()
        .await
        .unwrap();
    let label_id = label.result()[0].id().unwrap().to_string();
    let created = client
        .create_ipd_project_issue()
        .project_id(PROJECT)
        .title("Login fails on Safari")
        .description("Steps to reproduce: ...")
        .category(IssueCategory::Bug)
        .send()
        .await
        .unwrap();
    assert!(created.request_id().is_some());
    let issue_id = created.result()[0].id().unwrap().to_string();

    // Query it by a title keyword.
    let found = query(&client, vec![filter("title", &["Login"])]).await;
    assert_eq!(ids(&found), std::slice::from_ref(&issue_id));
    let none = query(&client, vec![filter("title", &["Export"])]).await;
    assert!(ids(&none).is_empty());

    // Update it, labelling it on the way.
    client
        .batch_update_ipd_issues()
        .project_id(PROJECT)
        .id([issue_id.clone()])
        .attribute(
            IssueUpdateAttribute::builder()
                .category(IssueCategory::Bug)
                .status("Doing")
                .description("Fixed in the next build.")
                .labels([LabelEntity::builder().id(label_id.clone()).build()]),
        )
        .send()
        .await
        .unwrap();
    let shown = client
        .show_issue_detail()
        .project_id(PROJECT)
        .issue_id(&issue_id)
        .issue_type(IssueCategory::Bug)
        .send()
        .await
        .unwrap();
    let shown = shown.result().first().cloned().unwrap_or_default();
    assert_eq!(
        shown.get("description").and_then(|v| v.as_str()),
        Some("Fixed in the next build.")
    );
    let labelled = query(&client, vec![filter("labels", &[&label_id])]).await;
    assert_eq!(ids(&labelled), std::slice::from_ref(&issue_id));

    // Comment on it.
    client
        .create_ipd_issue_comments()
        .project_id(PROJECT)
        .issue_id(&issue_id)
        .category(CommentCategory::Comment)
        .issue_category(IssueCategory::Bug)
        .description("Reproduced on 17.2.")
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
    let texts: Vec<&str> = comments
        .result()
        .unwrap()
        .comment_list()
        .iter()
        .filter_map(|c| c.description())
        .collect();
    assert_eq!(texts, ["Reproduced on 17.2."]);

    // Attach a file and list the attachments.
    let part = || codearts_req::FilePart::from_bytes("trace.log", &b"GET /login 500\n"[..]);
    common::upload(&client, &issue_id, part()).await.unwrap();
    let attachments = client
        .show_ipd_attachment_by_work_item_id()
        .project_id(PROJECT)
        .issue_id(&issue_id)
        .send()
        .await
        .unwrap();
    assert_eq!(attachments.result().len(), 1);
    assert_eq!(attachments.result()[0].store_filename(), Some("trace.log"));

    // Delete it: it is gone, and cannot take attachments any more.
    client
        .batch_delete_ipd_issues()
        .project_id(PROJECT)
        .body(vec![issue_id.clone()])
        .send()
        .await
        .unwrap();
    let gone = client
        .show_issue_detail()
        .project_id(PROJECT)
        .issue_id(&issue_id)
        .issue_type(IssueCategory::Bug)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&gone, ApiError::ClientRequest(e) if e.status.as_u16() == 404),
        "{gone}"
    );
    assert!(ids(&query(&client, Vec::new()).await).is_empty());
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
        .title("kept")
        .color(LabelColor::from("#6DDEBB"))
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
    let titles: Vec<&str> = labels
        .result()
        .unwrap()
        .data()
        .iter()
        .filter_map(|l| l.title())
        .collect();
    assert_eq!(titles, ["kept"]);
}

/// The example program, `tests/examples/work_items.rs`, against the
/// emulator: every step's answer is what the program expects.
#[tokio::test]
async fn the_work_items_example_runs_against_the_emulator() {
    let setup = start().await;
    let client = common::client(&setup.emulator.url(), RetryPolicy::none());
    let summary = work_items::run(&client, PROJECT).await.unwrap();
    assert!(!summary.label_id.is_empty());
    assert_eq!(summary.work_item_ids.len(), 3);
    assert!(summary.work_item_ids.iter().all(|id| !id.is_empty()));
    assert_eq!(
        summary.found,
        [summary.work_item_ids[0].clone()],
        "{summary:?}"
    );
    assert_eq!(summary.comments, ["Reproduced on 17.2."]);
    // The batch update labelled the first work item.
    let labelled = query(&client, vec![filter("labels", &[&summary.label_id])]).await;
    assert_eq!(ids(&labelled), [summary.work_item_ids[0].clone()]);
}

//! A work item's life through the typed client, setters only: a label,
//! three work items, a query, a batch update that labels one of them, a
//! comment, and the comments listed. No struct literal, no JSON value.
//!
//! ```sh
//! cargo run -p ipd-tests --example work_items -- http://127.0.0.1:8443 AK SK PROJECT_ID
//! ```
//!
//! (against `ipd-emulator` or any endpoint; `tests/tests/stateful_scenario.rs`
//! runs [`run`] against the emulator.)

use std::collections::BTreeMap;

use codearts_req::types::{
    CommentCategory, ConditionOperator, ConditionVo, IssueCategory, LabelColor, LabelEntity,
    Priority,
};
use codearts_req::{ApiError, Client, Credentials};

/// What the program did, for whoever runs it.
#[derive(Debug)]
pub struct Summary {
    /// The label created.
    pub label_id: String,
    /// The work items created, in order.
    pub work_item_ids: Vec<String>,
    /// The work items the query found.
    pub found: Vec<String>,
    /// The comments of the labelled work item.
    pub comments: Vec<String>,
}

/// Runs the program in `project`.
pub async fn run(client: &Client, project: &str) -> Result<Summary, ApiError> {
    let label = client
        .create_ipd_label()
        .project_id(project)
        .title("urgent")
        .color(LabelColor::from("#F66F6A"))
        .category_types([IssueCategory::Bug, IssueCategory::Task])
        .send()
        .await?;
    let label_id = label
        .result()
        .first()
        .and_then(|l| l.id())
        .unwrap_or_default()
        .to_string();

    let mut work_item_ids = Vec::new();
    for (title, category) in [
        ("Login fails on Safari", IssueCategory::Bug),
        ("Export to CSV", IssueCategory::Task),
        ("Crash on empty input", IssueCategory::Bug),
    ] {
        let created = client
            .create_ipd_project_issue()
            .project_id(project)
            .title(title)
            .description("Steps to reproduce: ...")
            .category(category)
            .priority(Priority::High)
            .send()
            .await?;
        let id = created.result().first().and_then(|item| item.id());
        work_item_ids.push(id.unwrap_or_default().to_string());
    }

    // The bugs whose title has "Login" in it.
    let found = client
        .list_ipd_project_issues()
        .project_id(project)
        .issue_type("Bug")
        .filter([BTreeMap::from([(
            "title".to_string(),
            ConditionVo::builder()
                .values(["Login"])
                .operator(ConditionOperator::Or)
                .build(),
        )])])
        .send()
        .await?;
    let found: Vec<String> = found
        .result()
        .map(|page| page.issues())
        .unwrap_or_default()
        .iter()
        .filter_map(|issue| issue.id().map(str::to_string))
        .collect();

    // Label the first work item and change its status, in one batch.
    let first = work_item_ids[0].clone();
    client
        .batch_update_ipd_issues()
        .project_id(project)
        .id([first.clone()])
        .attribute(
            codearts_req::types::IssueUpdateAttribute::builder()
                .category(IssueCategory::Bug)
                .status("Doing")
                .labels([LabelEntity::builder().id(label_id.clone()).build()]),
        )
        .send()
        .await?;

    client
        .create_ipd_issue_comments()
        .project_id(project)
        .issue_id(&first)
        .category(CommentCategory::Comment)
        .issue_category(IssueCategory::Bug)
        .description("Reproduced on 17.2.")
        .send()
        .await?;
    let listed = client
        .list_ipd_issue_comments()
        .project_id(project)
        .issue_id(&first)
        .page_no(1)
        .page_size(20)
        .category("comment")
        .send()
        .await?;
    let comments = listed
        .result()
        .map(|page| page.comment_list())
        .unwrap_or_default()
        .iter()
        .filter_map(|comment| comment.description().map(str::to_string))
        .collect();

    Ok(Summary {
        label_id,
        work_item_ids,
        found,
        comments,
    })
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, ak, sk, project] = args.as_slice() else {
        return Err("usage: work_items ENDPOINT AK SK PROJECT_ID".into());
    };
    let client = Client::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new(ak, sk))
        .build()?;
    match run(&client, project).await {
        Ok(summary) => println!("{summary:#?}"),
        Err(e) => {
            // What to quote to Huawei support.
            eprintln!(
                "{e} (code {:?}, request id {:?})",
                e.error_code(),
                e.request_id()
            );
            return Err(e.into());
        }
    }
    Ok(())
}

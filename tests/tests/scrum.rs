//! A Scrum work item's life (ProjectMan v4) on the stateful emulator:
//! through the official Python SDK, unchanged, and through our client's
//! setters and accessors, each seeing what the other made.

use codearts_req::{ApiError, RetryPolicy};
use serde_json::Value;

use crate::common::*;
use crate::python_tools::{python, run_script};

/// The official SDK creates an iteration and a story in it
/// (CreateIssueV4), reads it back (ShowIssueV4), finds it (ListIssuesV4),
/// updates and deletes it; our client then finds the same on the same
/// emulator, and does the same with a work item of its own.
#[tokio::test(flavor = "multi_thread")]
async fn the_official_sdk_and_our_client_create_show_find_and_delete_scrum_work_items() {
    let Some(python) = python() else { return };
    let setup = start().await;
    let url = setup.emulator.url();
    let steps = tokio::task::spawn_blocking(move || {
        let args = [url.as_str(), AK, SK, PROJECT].map(std::ffi::OsStr::new);
        run_script(&python, "official_sdk_scrum.py", &args)
    })
    .await
    .unwrap();
    let step = |name: &str| -> &Value {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .unwrap_or_else(|| panic!("no step {name}: {steps:?}"))
    };
    assert!(steps.iter().all(|s| s["status"] == 200), "{steps:?}");
    let iteration = step("create_iteration")["decoded"]["id"].as_i64().unwrap();
    let issue = step("create_issue")["decoded"]["id"].as_i64().unwrap();
    let shown = &step("show_issue")["decoded"];
    assert_eq!(shown["id"], issue);
    assert_eq!(shown["name"], "Checkout times out");
    assert_eq!(shown["description"], "Seen on the payment page.");
    assert_eq!(shown["tracker"]["id"], 7);
    assert_eq!(shown["iteration"]["id"], iteration);
    let listed = &step("list_issues")["decoded"];
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["issues"][0]["id"], issue);
    let updated = &step("update_issue")["decoded"];
    assert_eq!(updated["status"]["id"], 2, "{updated}");
    assert_eq!(updated["done_ratio"], 50);
    let sprint = &step("show_iteration")["decoded"];
    assert_eq!(sprint["total"], 1, "{sprint}");
    assert_eq!(sprint["name"], "Sprint 1");
    let comments = &step("list_comments")["decoded"];
    assert_eq!(comments["total"], 1, "{comments}");
    assert_eq!(comments["comments"][0]["comment"], "Reproduced on staging.");
    assert_eq!(step("list_after_delete")["decoded"]["total"], 0);

    // Our client, on the same emulator: the SDK's story is deleted; ours
    // goes into the SDK's iteration, and is found, changed and deleted.
    let client = client(&setup.emulator.url(), RetryPolicy::none());
    let gone = client
        .show_issue_v4()
        .project_id(PROJECT)
        .issue_id(issue)
        .send()
        .await
        .unwrap_err();
    assert_eq!(gone.status().map(|s| s.as_u16()), Some(404), "{gone}");
    let created = client
        .create_issue_v4()
        .project_id(PROJECT)
        .name("Refunds are rounded")
        .tracker_id(3)
        .priority_id(2)
        .severity_id(11)
        .iteration_id(iteration)
        .send()
        .await
        .unwrap();
    let ours = created.body().id().unwrap();
    assert_ne!(ours, issue);

    let shown = client
        .show_issue_v4()
        .project_id(PROJECT)
        .issue_id(ours)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.body().name(), Some("Refunds are rounded"));
    assert_eq!(
        shown.body().iteration().and_then(|i| i.id()),
        Some(iteration)
    );

    let found = client
        .list_issues_v4()
        .project_id(PROJECT)
        .tracker_ids(vec![3])
        .iteration_ids(vec![iteration])
        .limit(20)
        .send()
        .await
        .unwrap();
    let ids: Vec<Option<i64>> = found.body().issues().iter().map(|i| i.id()).collect();
    assert_eq!(ids, [Some(ours)]);
    assert_eq!(found.body().total(), Some(1));

    let updated = client
        .update_issue_v4()
        .project_id(PROJECT)
        .issue_id(ours)
        .status_id(5)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.body().status().and_then(|s| s.id()), Some(5));

    // A comment, as the SDK makes one, and read back; the statuses are the
    // ones work items take.
    client
        .update_scrum_issue_notes()
        .id(ours.to_string())
        .notes("Fixed%20in%201.4")
        .project_uu_id(PROJECT)
        .send()
        .await
        .unwrap();
    let comments = client
        .list_issue_comments_v4()
        .project_id(PROJECT)
        .issue_id(ours)
        .send()
        .await
        .unwrap();
    let texts: Vec<Option<&str>> = comments
        .body()
        .comments()
        .iter()
        .map(|c| c.comment())
        .collect();
    assert_eq!(texts, [Some("Fixed in 1.4")]);
    let statuses = client
        .list_scrum_project_statuses()
        .project_id(PROJECT)
        .tracker_id(3)
        .send()
        .await
        .unwrap();
    let closed = statuses
        .body()
        .issue_statuses()
        .iter()
        .find(|s| s.status_id() == Some(5))
        .and_then(|s| s.name());
    assert_eq!(closed, Some("已关闭"));

    // An iteration that does not exist is refused, and nothing is made.
    let refused = client
        .create_issue_v4()
        .project_id(PROJECT)
        .name("Nowhere")
        .tracker_id(2)
        .priority_id(1)
        .iteration_id(999_999)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ApiError::ClientRequest(e) if e.status().as_u16() == 400),
        "{refused}"
    );

    client
        .delete_issue_v4()
        .project_id(PROJECT)
        .issue_id(ours)
        .send()
        .await
        .unwrap();
    let left = client
        .list_issues_v4()
        .project_id(PROJECT)
        .limit(20)
        .send()
        .await
        .unwrap();
    assert_eq!(left.body().total(), Some(0));
    let with_deleted = client
        .list_issues_v4()
        .project_id(PROJECT)
        .include_deleted(true)
        .limit(20)
        .send()
        .await
        .unwrap();
    // The SDK's and ours, both deleted; the refused one was never made.
    assert_eq!(with_deleted.body().total(), Some(2));
    assert!(
        with_deleted
            .body()
            .issues()
            .iter()
            .all(|i| i.deleted() == Some(true))
    );
}

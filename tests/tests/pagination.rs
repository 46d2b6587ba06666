//! Paginators: every item of a paged operation exactly once, through the
//! emulator, which pages as the service documents it (page numbers, body
//! pages, offsets that are multiples of the limit); and against scripted
//! servers that repeat a page, give a total that lies, an empty first page,
//! or fail on page 3.

use crate::common;

use std::collections::BTreeSet;

use codearts_req::types::{CommentCategory, CreateIpdProjectIssueParam, IssueCategory};
use codearts_req::{ApiError, Client, Credentials, PaginationError, RetryPolicy};
use common::{ISSUE, PROJECT, start};
use futures_util::{StreamExt, TryStreamExt};
use ipd_testkit::faults::{ScriptedServer, Step};

/// `count` work items, created in batches.
async fn create_work_items(client: &Client, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for batch in (0..count).collect::<Vec<_>>().chunks(50) {
        let items: Vec<CreateIpdProjectIssueParam> = batch
            .iter()
            .map(|i| {
                CreateIpdProjectIssueParam::builder()
                    .title(format!("Work item {i:03}"))
                    .description("Paged.")
                    .category(IssueCategory::Task)
                    .build()
                    .unwrap()
            })
            .collect();
        let created = client
            .batch_create_ipd_issues()
            .project_id(PROJECT)
            .body(items)
            .send()
            .await
            .unwrap();
        ids.extend(
            created
                .result()
                .iter()
                .filter_map(|i| i.id().map(str::to_string)),
        );
    }
    assert_eq!(ids.len(), count);
    ids
}

#[tokio::test]
async fn every_work_item_once_in_pages_of_twenty() {
    let setup = start().await;
    let client = common::client(&setup.emulator.url(), RetryPolicy::none());
    let created = create_work_items(&client, 250).await;
    let before = setup.emulator.recorded().len();
    let pages: Vec<_> = client
        .list_ipd_project_issues()
        .project_id(PROJECT)
        .issue_type("Task")
        .into_paginator()
        .page_size(20)
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 13, "12 full pages of 20 and one of 10");
    assert_eq!(setup.emulator.recorded().len() - before, 13);
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|page| page.result().unwrap().issues().iter())
        .map(|issue| issue.id().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 250);
    assert_eq!(
        ids.iter().cloned().collect::<BTreeSet<_>>(),
        created.into_iter().collect(),
        "each exactly once"
    );
    // The same through the item stream.
    let items: Vec<_> = client
        .list_ipd_project_issues()
        .project_id(PROJECT)
        .issue_type("Task")
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 250);
}

#[tokio::test]
async fn every_comment_once_by_page_number() {
    let setup = start().await;
    let client = common::client(&setup.emulator.url(), RetryPolicy::none());
    let issue = create_work_items(&client, 1).await.remove(0);
    for i in 0..45 {
        client
            .create_ipd_issue_comments()
            .project_id(PROJECT)
            .issue_id(&issue)
            .category(CommentCategory::Comment)
            .issue_category(IssueCategory::Task)
            .description(format!("Comment {i}"))
            .send()
            .await
            .unwrap();
    }
    let comments: Vec<_> = client
        .list_ipd_issue_comments()
        .project_id(PROJECT)
        .issue_id(&issue)
        .category("comment")
        .into_paginator()
        .page_size(20)
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    let texts: BTreeSet<String> = comments
        .iter()
        .map(|c| c.description().unwrap().to_string())
        .collect();
    assert_eq!(comments.len(), 45);
    assert_eq!(texts.len(), 45, "each exactly once");
    let pages: Vec<String> = setup
        .emulator
        .recorded()
        .iter()
        .filter(|r| r.method == "GET" && r.uri.contains("/comments"))
        .map(|r| r.uri.clone())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
}

#[tokio::test]
async fn every_field_once_by_offsets_that_are_multiples_of_the_limit() {
    let setup = start().await;
    setup.emulator.add_project_fields(PROJECT, 45).unwrap();
    let client = common::client(&setup.emulator.url(), RetryPolicy::none());
    let fields: Vec<_> = client
        .list_ipd_project_fields()
        .project_id(PROJECT)
        .into_paginator()
        .page_size(20)
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    let codes: BTreeSet<&str> = fields.iter().filter_map(|f| f.code()).collect();
    assert_eq!((fields.len(), codes.len()), (45, 45));
    let offsets: Vec<String> = setup
        .emulator
        .recorded()
        .iter()
        .filter(|r| r.uri.contains("/fields"))
        .map(|r| {
            r.uri
                .split("offset=")
                .nth(1)
                .unwrap_or_default()
                .split('&')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(offsets, ["0", "20", "40"]);
    // The emulator refuses an offset that is not a multiple of the limit,
    // as the service documents.
    let error = client
        .list_ipd_project_fields()
        .project_id(PROJECT)
        .offset(10)
        .limit(20)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error}");
    assert!(error.to_string().contains("multiple"), "{error}");
}

/// A page of comments in the service's shape: ids `from..to`, and a total.
fn comments_page(from: usize, to: usize, total: Option<usize>) -> Step {
    let comments: Vec<serde_json::Value> = (from..to)
        .map(|i| serde_json::json!({ "id": format!("c{i}"), "description": format!("#{i}") }))
        .collect();
    let mut result = serde_json::json!({ "comment_list": comments });
    if let Some(total) = total {
        result["total"] = total.into();
    }
    let body = serde_json::json!({ "status": "success", "result": result }).to_string();
    Step::Send(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: page-{from}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn client(url: &str) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(Credentials::new(common::AK, common::SK))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

async fn comment_pages(url: &str) -> Vec<Result<usize, ApiError>> {
    let client = client(url);
    client
        .list_ipd_issue_comments()
        .project_id(PROJECT)
        .issue_id(ISSUE)
        .category("comment")
        .into_paginator()
        .page_size(20)
        .send()
        .map(|page| page.map(|p| p.result().map_or(0, |r| r.comment_list().len())))
        .collect()
        .await
}

#[tokio::test]
async fn a_server_that_repeats_a_full_page_ends_in_a_typed_error() {
    let server = ScriptedServer::start(vec![comments_page(0, 20, None)])
        .await
        .unwrap();
    let pages = comment_pages(&server.url()).await;
    assert_eq!(pages.len(), 2);
    assert_eq!(*pages[0].as_ref().unwrap(), 20);
    assert!(
        matches!(
            &pages[1],
            Err(ApiError::Pagination(PaginationError::RepeatedPage {
                page: 2
            }))
        ),
        "{pages:?}"
    );
    assert_eq!(server.requests().len(), 2, "a bounded number of requests");
}

#[tokio::test]
async fn a_total_that_lies_ends_where_the_pages_do() {
    // It claims 1000 items, then runs out on page 2: the 25 are yielded,
    // then the contradiction, as a typed error naming the page.
    let server = ScriptedServer::start_sequence(vec![
        vec![comments_page(0, 20, Some(1000))],
        vec![comments_page(20, 25, Some(1000))],
        vec![comments_page(0, 20, Some(1000))],
    ])
    .await
    .unwrap();
    let pages = comment_pages(&server.url()).await;
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert_eq!(
        pages[..2]
            .iter()
            .map(|p| *p.as_ref().unwrap())
            .collect::<Vec<_>>(),
        [20, 5]
    );
    assert!(
        matches!(
            &pages[2],
            Err(ApiError::Pagination(PaginationError::TotalMismatch {
                page: 2,
                total: 1000,
                counted: 25
            }))
        ),
        "{pages:?}"
    );
    assert_eq!(server.requests().len(), 2);
    // It claims 30, but serves 40 before a page ends it: the same error,
    // after the second page, and no third request.
    let server = ScriptedServer::start_sequence(vec![
        vec![comments_page(0, 20, Some(30))],
        vec![comments_page(20, 40, Some(30))],
        vec![comments_page(40, 60, Some(30))],
    ])
    .await
    .unwrap();
    let pages = comment_pages(&server.url()).await;
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(
        matches!(
            &pages[2],
            Err(ApiError::Pagination(PaginationError::TotalMismatch {
                page: 2,
                total: 30,
                counted: 40
            }))
        ),
        "{pages:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

/// Pages that overlap (page 2 starts halfway through page 1, total 40):
/// the ids the spec names (`x-pagination` `id`) show it, and the item
/// stream ends with a typed error rather than repeating ten items and
/// missing ten.
#[tokio::test]
async fn overlapping_pages_end_the_item_stream_with_a_typed_error() {
    let server = ScriptedServer::start_sequence(vec![
        vec![comments_page(0, 20, Some(40))],
        vec![comments_page(10, 30, Some(40))],
    ])
    .await
    .unwrap();
    let client = client(&server.url());
    let items: Vec<_> = client
        .list_ipd_issue_comments()
        .project_id(PROJECT)
        .issue_id(ISSUE)
        .category("comment")
        .into_paginator()
        .page_size(20)
        .items()
        .send()
        .collect()
        .await;
    assert_eq!(items.len(), 21, "the first page's 20 items, then the error");
    assert!(items[..20].iter().all(Result::is_ok));
    assert!(
        matches!(
            &items[20],
            Err(ApiError::Pagination(PaginationError::RepeatedItem { page: 2, id })) if id == "c10"
        ),
        "{:?}",
        items[20]
    );
}

#[tokio::test]
async fn an_empty_first_page_is_the_end() {
    let server = ScriptedServer::start(vec![comments_page(0, 0, Some(0))])
        .await
        .unwrap();
    let pages = comment_pages(&server.url()).await;
    assert_eq!(
        pages
            .iter()
            .map(|p| *p.as_ref().unwrap())
            .collect::<Vec<_>>(),
        [0]
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn an_error_on_page_three_comes_after_the_first_two_with_its_request_id() {
    let failure = r#"{"error_code":"PM.02175000","error_msg":"Overloaded"}"#;
    let server = ScriptedServer::start_sequence(vec![
        vec![comments_page(0, 20, None)],
        vec![comments_page(20, 40, None)],
        vec![Step::Send(
            format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nx-request-id: third\r\ncontent-length: {}\r\n\r\n{failure}",
                failure.len()
            )
            .into_bytes(),
        )],
    ])
    .await
    .unwrap();
    let pages = comment_pages(&server.url()).await;
    assert_eq!(pages.len(), 3);
    assert_eq!(
        (*pages[0].as_ref().unwrap(), *pages[1].as_ref().unwrap()),
        (20, 20)
    );
    let error = pages[2].as_ref().unwrap_err();
    assert_eq!(error.request_id(), Some("third"));
    assert_eq!(error.error_code(), Some("PM.02175000"));
    assert_eq!(server.requests().len(), 3, "nothing after the error");
}

//! The stateful handlers, called directly on a store in a scratch
//! directory; and the store's opening rules.

use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::form::Content;
use crate::store::Upload;

/// A directory of its own under the system's temporary directory,
/// removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "ipd-stateful-{name}-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const PROJECT: [(&str, &str); 1] = [("project_id", "p1")];

fn pairs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn run_form(
    store: &Store,
    operation: &str,
    path: &[(&str, &str)],
    query: &[(&str, &str)],
    body: Option<Value>,
    form: &[FormPart],
) -> Answer {
    let (path, query) = (pairs(path), pairs(query));
    let call = Call {
        path: &path,
        query: &query,
        body: body.as_ref(),
        form,
    };
    find(operation)
        .expect("a stateful operation")
        .run(store, &call)
}

fn is_deleted(store: &Store, project_id: &str, issue_id: &str) -> bool {
    store
        .read(|state, _| {
            state
                .projects
                .get(project_id)
                .and_then(|p| p.work_items.get(issue_id))
                .is_some_and(|w| w.deleted.is_some())
        })
        .unwrap()
}

fn open(dir: &Scratch) -> Store {
    Store::open(&dir.0, Duration::from_secs(10)).unwrap()
}

/// A file part, as the generic layer hands one on: complete, in the
/// store's uploads directory.
fn file_part(
    store: &Store,
    name: &str,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> FormPart {
    let path = store.files().partial_file();
    std::fs::write(&path, bytes).unwrap();
    FormPart {
        name: name.into(),
        file_name: Some(file_name.into()),
        content_type: Some(content_type.into()),
        content: Content::File(Upload {
            path,
            size: bytes.len() as u64,
            sha256: String::new(),
        }),
    }
}

fn run(
    store: &Store,
    operation: &str,
    path: &[(&str, &str)],
    query: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    run_form(store, operation, path, query, body, &[])
}

fn json_of(answer: Answer) -> Value {
    match answer {
        Answer::Json(value) => value,
        Answer::Error {
            status,
            code,
            message,
        } => panic!("error {status} {code}: {message}"),
        Answer::File { .. } => panic!("a file, not JSON"),
        Answer::Empty => panic!("no body, not JSON"),
        Answer::Spec => panic!("the spec's answer, not the handler's"),
    }
}

fn error_of(answer: Answer) -> (u16, &'static str) {
    match answer {
        Answer::Error { status, code, .. } => (status, code),
        _ => panic!("expected an error"),
    }
}

/// Creates a bug and returns its id.
fn create_bug(store: &Store, title: &str) -> String {
    let body = json!({ "title": title, "description": "", "category": "Bug" });
    let created = json_of(run(
        store,
        "CreateIpdProjectIssue",
        &PROJECT,
        &[],
        Some(body),
    ));
    created["result"][0]["id"].as_str().unwrap().to_string()
}

fn list_issues(store: &Store, issue_type: &str, query: Value) -> Value {
    let answer = run(
        store,
        "ListIpdProjectIssues",
        &PROJECT,
        &[("issue_type", issue_type)],
        Some(query),
    );
    json_of(answer)["result"].clone()
}

fn show_v2(store: &Store, id: &str) -> Value {
    let path = [("project_id", "p1"), ("issue_id", id)];
    let answer = run(
        store,
        "ShowIpdIssueDetailV2",
        &path,
        &[("category", "Bug")],
        None,
    );
    json_of(answer)["data"].clone()
}

#[test]
fn work_items_are_created_shown_listed_updated_and_deleted() {
    let dir = Scratch::new("items");
    let store = open(&dir);
    let body = json!({
        "title": "Login fails",
        "description": "d",
        "category": "Bug",
        "assignee": "u1",
    });
    let created = json_of(run(
        &store,
        "CreateIpdProjectIssue",
        &PROJECT,
        &[],
        Some(body),
    ));
    let first = created["result"][0]["id"].as_str().unwrap().to_string();
    let batch = json!([
        {
            "title": "Export", "description": "", "category": "Task",
            "category_layer_id": "1", "status": "Start", "assignee": { "id": "u2" },
        },
        {
            "title": "Login slow", "description": "", "category": "Bug",
            "category_layer_id": "1", "status": "Start", "assignee": { "id": "u1" },
        },
    ]);
    let batch = json_of(run(
        &store,
        "BatchCreateIssuesV2",
        &PROJECT,
        &[],
        Some(batch),
    ));
    let third = batch["result"][1]["id"].as_str().unwrap().to_string();
    assert_eq!(third.len(), 19);
    assert!(third > first, "ids increase");

    let path = [("project_id", "p1"), ("issue_id", first.as_str())];
    let shown = json_of(run(
        &store,
        "ShowIssueDetail",
        &path,
        &[("issue_type", "Bug")],
        None,
    ));
    assert_eq!(shown["result"][0]["title"], "Login fails");
    assert_eq!(shown["result"][0]["status"]["code"], "Start");
    assert_eq!(show_v2(&store, &first)["assignee"]["id"], "u1");

    // Two bugs have "Login" in their title; the second page of one.
    let query = json!({
        "filter": [{ "title": { "operator": "||", "values": ["Login"] } }],
        "page": { "page_no": 2, "page_size": 1 },
    });
    let page = list_issues(&store, "Bug", query);
    assert_eq!(page["total"], 2);
    assert_eq!(page["issues"].as_array().unwrap().len(), 1);
    assert_eq!(page["issues"][0]["id"], third.as_str());
    assert_eq!(list_issues(&store, "Task", json!({}))["total"], 1);
    assert_eq!(list_issues(&store, "Bug,Task", json!({}))["total"], 3);
    let by_owner = json!({ "filter": [{ "assignee": { "values": ["u2"] } }] });
    assert_eq!(list_issues(&store, "Bug,Task", by_owner)["total"], 1);

    let update = json!({
        "id": [first, "1"],
        "attribute": {
            "category": "Bug",
            "status": "Doing",
            "description": "new",
            "title": "Login broken",
        },
    });
    let updated = json_of(run(
        &store,
        "BatchUpdateIpdIssues",
        &PROJECT,
        &[],
        Some(update),
    ));
    assert_eq!(updated["result"][0]["success"][0]["id"], first.as_str());
    assert_eq!(updated["result"][0]["failed"][0]["id"], "1");
    let shown = show_v2(&store, &first);
    assert_eq!(shown["status"], "Doing");
    assert_eq!(shown["description"], "new");
    assert_eq!(shown["title"], "Login broken");
    let doing = json!({ "filter": [{ "status": { "values": ["Doing"] } }] });
    assert_eq!(list_issues(&store, "Bug", doing)["total"], 1);

    let deleted = json_of(run(
        &store,
        "BatchDeleteIpdIssues",
        &PROJECT,
        &[],
        Some(json!([first])),
    ));
    assert_eq!(deleted["result"][0]["success"][0]["id"], first.as_str());
    assert_eq!(deleted["result"][0]["success"][0]["state"], "作废");
    let gone = run(
        &store,
        "ShowIssueDetail",
        &path,
        &[("issue_type", "Bug")],
        None,
    );
    assert_eq!(error_of(gone), (404, ITEM_NOT_FOUND));
    assert!(is_deleted(&store, "p1", &first));
    assert!(!is_deleted(&store, "p1", &third));
    assert!(!is_deleted(&store, "p2", &third));
    assert_eq!(list_issues(&store, "Bug", json!({}))["total"], 1);

    // The other deletion: counts, and the id already deleted fails.
    let body = json!([third, first]);
    let deleted = json_of(run(
        &store,
        "BatchDeleteIpdIssue",
        &PROJECT,
        &[],
        Some(body),
    ));
    assert_eq!(deleted["result"][0]["success_num"], 1);
    assert_eq!(deleted["result"][0]["fail_num"], 1);
    assert_eq!(deleted["result"][0]["failed"][0], first.as_str());
    assert!(is_deleted(&store, "p1", &third));
}

#[test]
fn comments_are_added_listed_updated_and_deleted() {
    let dir = Scratch::new("comments");
    let store = open(&dir);
    let issue = create_bug(&store, "Crash");
    let path = [("project_id", "p1"), ("issue_id", issue.as_str())];
    let body = json!({ "category": "comment", "description": "<p>first</p>" });
    let comment = json_of(run(
        &store,
        "CreateIpdIssueComments",
        &path,
        &[],
        Some(body),
    ));
    let comment_id = comment["result"]["id"].as_str().unwrap().to_string();
    let body = json!({
        "category": "reply",
        "description": "re",
        "parent_id": comment_id,
        "root_id": comment_id,
    });
    let reply = json_of(run(
        &store,
        "CreateIpdIssueComments",
        &path,
        &[],
        Some(body),
    ));
    assert_eq!(reply["result"]["category"], "reply");

    let list = |category: &str| {
        let query = [
            ("page_no", "1"),
            ("page_size", "10"),
            ("category", category),
        ];
        json_of(run(&store, "ListIpdIssueComments", &path, &query, None))["result"].clone()
    };
    let both = list("comment,reply");
    assert_eq!(both["total"], 2);
    assert_eq!(both["comment_list"][0]["description"], "re", "newest first");
    assert_eq!(list("comment")["total"], 1);

    let comment_path = [
        ("project_id", "p1"),
        ("issue_id", issue.as_str()),
        ("comment_id", comment_id.as_str()),
    ];
    let body = json!({ "description": "edited" });
    let edited = json_of(run(
        &store,
        "UpdateIpdIssueComment",
        &comment_path,
        &[],
        Some(body),
    ));
    assert_eq!(edited["result"]["description"], "edited");
    let deleted = json_of(run(
        &store,
        "DeleteIpdIssueComment",
        &comment_path,
        &[],
        None,
    ));
    assert_eq!(deleted["result"]["id"], comment_id.as_str());
    assert_eq!(
        list("comment,reply")["total"],
        0,
        "the reply went with its thread"
    );
    let again = run(&store, "DeleteIpdIssueComment", &comment_path, &[], None);
    assert_eq!(error_of(again), (404, COMMENT_NOT_FOUND));

    let body = json!({ "description": "x" });
    let unknown = [("project_id", "p1"), ("issue_id", "1")];
    let refused = run(
        &store,
        "CreateIpdIssueComments",
        &unknown,
        &[],
        Some(body.clone()),
    );
    assert_eq!(error_of(refused), (404, ITEM_NOT_FOUND));
    run(
        &store,
        "BatchDeleteIpdIssues",
        &PROJECT,
        &[],
        Some(json!([issue])),
    );
    let refused = run(&store, "CreateIpdIssueComments", &path, &[], Some(body));
    assert_eq!(error_of(refused), (400, DELETED));
}

#[test]
fn labels_are_created_listed_attached_updated_and_deleted() {
    let dir = Scratch::new("labels");
    let store = open(&dir);
    let body = json!({ "title": "urgent", "color": "#F66F6A", "label_type": "bug" });
    let created = json_of(run(
        &store,
        "CreateIpdLabel",
        &PROJECT,
        &[],
        Some(body.clone()),
    ));
    let label_id = created["result"][0]["id"].as_str().unwrap().to_string();
    let duplicate = run(&store, "CreateIpdLabel", &PROJECT, &[], Some(body));
    assert_eq!(error_of(duplicate), (400, DUPLICATE_LABEL));
    let body = json!({ "title": "later", "color": "#86CAFF" });
    json_of(run(&store, "CreateIpdLabel", &PROJECT, &[], Some(body)));

    let labels = |query: &[(&str, &str)]| {
        json_of(run(&store, "ListIpdLabels", &PROJECT, query, None))["result"].clone()
    };
    assert_eq!(labels(&[])["total"], 2);
    let urgent = labels(&[("title", "urg")]);
    assert_eq!(urgent["total"], 1);
    assert_eq!(urgent["data"][0]["id"], label_id.as_str());
    assert_eq!(labels(&[("label_type", "task,bug")])["total"], 1);

    // Labelling a work item, and finding it by its label.
    let issue = create_bug(&store, "Crash");
    let update = json!({ "id": [issue], "attribute": { "labels": [{ "id": label_id }] } });
    json_of(run(
        &store,
        "BatchUpdateIpdIssues",
        &PROJECT,
        &[],
        Some(update),
    ));
    assert_eq!(show_v2(&store, &issue)["labels"][0]["title"], "urgent");
    let tagged = json!({ "filter": [{ "labels": { "values": [label_id] } }] });
    let found = list_issues(&store, "Bug", tagged);
    assert_eq!(found["total"], 1);
    assert_eq!(found["issues"][0]["workitem2label"][0]["title"], "urgent");
    let update = json!({ "id": [issue], "attribute": { "labels": [{ "id": "1" }] } });
    let refused = run(&store, "BatchUpdateIpdIssues", &PROJECT, &[], Some(update));
    assert_eq!(error_of(refused), (404, LABEL_NOT_FOUND));

    let label_path = [("project_id", "p1"), ("label_id", label_id.as_str())];
    let body = json!({ "title": "critical", "color": "#B02121" });
    let updated = json_of(run(&store, "UpdateIpdLabel", &label_path, &[], Some(body)));
    assert_eq!(updated["result"][0]["title"], "critical");
    assert_eq!(show_v2(&store, &issue)["labels"][0]["color"], "#B02121");
    let body = json!({ "title": "later", "color": "#B02121" });
    let clash = run(&store, "UpdateIpdLabel", &label_path, &[], Some(body));
    assert_eq!(error_of(clash), (400, DUPLICATE_LABEL));

    let deleted = json_of(run(&store, "DeleteIpdLabel", &label_path, &[], None));
    assert_eq!(deleted["result"]["id"], label_id.as_str());
    assert_eq!(show_v2(&store, &issue)["labels"], json!([]));
    assert_eq!(labels(&[])["total"], 1);
    let again = run(&store, "DeleteIpdLabel", &label_path, &[], None);
    assert_eq!(error_of(again), (404, LABEL_NOT_FOUND));
}

#[test]
fn images_are_uploaded_downloaded_and_deleted() {
    let dir = Scratch::new("images");
    let store = open(&dir);
    let issue = create_bug(&store, "Screenshot");
    let query = [("issue_id", issue.as_str())];
    let png = file_part(
        &store,
        "file",
        "shot.PNG",
        "image/png",
        b"\x89PNG\r\n\x1a\nfake",
    );
    let uploaded = run_form(
        &store,
        "UploadIpdImageInIssue",
        &PROJECT,
        &query,
        None,
        &[png],
    );
    let description = json_of(uploaded)["result"]["description"].clone();
    let file_name = store
        .read(|state, _| {
            state.projects["p1"]
                .images
                .values()
                .next()
                .unwrap()
                .file_name
                .clone()
        })
        .unwrap();
    assert!(
        dir.0.join("images").join(&file_name).is_file(),
        "moved into place"
    );
    assert!(file_name.ends_with(".png") && file_name.len() == 36);
    assert!(description.as_str().unwrap().contains(&file_name));

    let query = [
        ("issue_id", issue.as_str()),
        ("file_name", file_name.as_str()),
    ];
    match run(&store, "DownloadIpdImageInIssue", &PROJECT, &query, None) {
        Answer::File {
            mut file,
            content_type,
            ..
        } => {
            assert_eq!(content_type, "image/png");
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
            assert_eq!(bytes, b"\x89PNG\r\n\x1a\nfake");
        }
        _ => panic!("expected the image's bytes"),
    }
    let deleted = json_of(run(&store, "DeleteIpdImageInIssue", &PROJECT, &query, None));
    assert!(
        !deleted["result"]["description"]
            .as_str()
            .unwrap()
            .contains(&file_name)
    );
    assert!(!dir.0.join("images").join(&file_name).exists());
    let gone = run(&store, "DownloadIpdImageInIssue", &PROJECT, &query, None);
    assert_eq!(error_of(gone), (404, IMAGE_NOT_FOUND));

    let text = file_part(&store, "file", "notes.txt", "text/plain", b"text");
    let query = [("issue_id", issue.as_str())];
    let refused = run_form(
        &store,
        "UploadIpdImageInIssue",
        &PROJECT,
        &query,
        None,
        &[text],
    );
    assert_eq!(error_of(refused), (400, INVALID));
}

#[test]
fn state_persists_across_opens() {
    let dir = Scratch::new("persist");
    let first = {
        let store = open(&dir);
        create_bug(&store, "Survives")
    };
    assert!(dir.0.join(crate::store::DATABASE).is_file());
    let store = open(&dir);
    assert_eq!(show_v2(&store, &first)["title"], "Survives");
    let second = create_bug(&store, "After");
    assert!(second > first, "ids keep increasing after a restart");
}

#[test]
fn a_refused_write_changes_nothing_in_memory_or_on_disk() {
    let dir = Scratch::new("refused");
    let store = open(&dir);
    let body = json!({ "title": "urgent", "color": "#F66F6A" });
    json_of(run(
        &store,
        "CreateIpdLabel",
        &PROJECT,
        &[],
        Some(body.clone()),
    ));
    // A batch whose second item names an unknown label: none is created.
    let batch = json!([
        { "title": "one", "description": "", "category": "Task" },
        { "title": "two", "description": "", "category": "Task", "labels": [{ "id": "1" }] },
    ]);
    let refused = run(&store, "BatchCreateIssuesV2", &PROJECT, &[], Some(batch));
    assert_eq!(error_of(refused), (404, LABEL_NOT_FOUND));
    assert_eq!(list_issues(&store, "Task", json!({}))["total"], 0);
    drop(store);
    let store = open(&dir);
    assert_eq!(list_issues(&store, "Task", json!({}))["total"], 0);
    let next = create_bug(&store, "After");
    assert_eq!(
        next,
        (ID_BASE + 2).to_string(),
        "the refused batch took no ids"
    );
}

#[test]
fn two_stores_on_one_directory_see_each_others_writes() {
    let dir = Scratch::new("shared");
    let (a, b) = (open(&dir), open(&dir));
    let first = create_bug(&a, "From a");
    let second = create_bug(&b, "From b");
    assert_ne!(first, second);
    assert_eq!(show_v2(&b, &first)["title"], "From a");
    assert_eq!(show_v2(&a, &second)["title"], "From b");
    // Removed rows reach the other store too.
    let body = json!({ "title": "gone", "color": "#F66F6A" });
    let label = json_of(run(&a, "CreateIpdLabel", &PROJECT, &[], Some(body)));
    let label_id = label["result"][0]["id"].as_str().unwrap().to_string();
    let path = [("project_id", "p1"), ("label_id", label_id.as_str())];
    json_of(run(&b, "DeleteIpdLabel", &path, &[], None));
    let listed = json_of(run(&a, "ListIpdLabels", &PROJECT, &[], None));
    assert_eq!(listed["result"]["total"], 0);
}

#[test]
fn every_stateful_operation_is_in_the_spec_once_and_answers_even_an_empty_request() {
    let catalogue = ipd_catalogue::Catalogue::bundled();
    let dir = Scratch::new("empty");
    let store = open(&dir);
    let empty = BTreeMap::new();
    for (i, stateful) in OPERATIONS.iter().enumerate() {
        let operation = stateful.operation;
        assert!(
            catalogue.operations().iter().any(|o| o.id == operation),
            "{operation} is not an operation of the spec"
        );
        assert!(
            OPERATIONS[..i].iter().all(|o| o.operation != operation),
            "{operation} is listed twice"
        );
        let call = Call {
            path: &empty,
            query: &empty,
            body: None,
            form: &[],
        };
        let answer = stateful.run(&store, &call);
        // Fields come from the spec until the project has some.
        let defers = operation == "ListIpdProjectFields";
        assert_eq!(matches!(answer, Answer::Spec), defers, "{operation}");
    }
    // An empty request creates nothing.
    let rows = store
        .read(|state, _| {
            state
                .projects
                .values()
                .map(|p| p.work_items.len())
                .sum::<usize>()
        })
        .unwrap();
    assert_eq!(rows, 0);
}

#[test]
fn reads_never_change_the_store() {
    let dir = Scratch::new("reads");
    let store = open(&dir);
    let issue = create_bug(&store, "Read me");
    let generation = || {
        let conn = rusqlite::Connection::open(dir.0.join(crate::store::DATABASE)).unwrap();
        conn.query_row(
            "SELECT value FROM counters WHERE name = 'generation'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    };
    let before = generation();
    let path = [("project_id", "p1"), ("issue_id", issue.as_str())];
    let query = [
        ("issue_id", issue.as_str()),
        ("issue_type", "Bug"),
        ("category", "Bug"),
    ];
    for stateful in OPERATIONS.iter().filter(|s| !s.writes()) {
        let (path, query) = (pairs(&path), pairs(&query));
        let call = Call {
            path: &path,
            query: &query,
            body: None,
            form: &[],
        };
        stateful.run(&store, &call);
    }
    assert_eq!(generation(), before);
}

#[test]
fn numbers_carry_the_utc_date() {
    assert_eq!(work_items::yyyymmdd(0), "19700101");
    assert_eq!(work_items::yyyymmdd(1_748_591_780_337), "20250530");
    assert_eq!(work_items::yyyymmdd(951_782_400_000), "20000229");
}

#[test]
fn plans_keep_their_sprints_status_and_baseline_and_survive_a_reopen() {
    let dir = Scratch::new("plans");
    let store = open(&dir);
    let release = json_of(run(
        &store,
        "CreatePlans",
        &PROJECT,
        &[],
        Some(json!({ "title": "R1", "category": "PI",
                     "plan_start_date": "2024-01-01", "plan_end_date": "2024-03-31" })),
    ));
    let release_id = release["result"]["id"].as_str().unwrap().to_string();
    assert_eq!(release["result"]["plan_start_date"], 1_704_067_200_000u64);
    assert_eq!(release["result"]["status"], "planned");
    let sprint = |title: &str, parent: &str| {
        run(
            &store,
            "CreatePlans",
            &PROJECT,
            &[],
            Some(
                json!({ "title": title, "category": "Iteration", "parent_id": parent,
                         "plan_start_date": "2024-01-01", "plan_end_date": "2024-01-14" }),
            ),
        )
    };
    let sprint_id = json_of(sprint("S1", &release_id))["result"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A sprint needs a release to belong to.
    assert_eq!(error_of(sprint("S2", "1100000000000009999")).0, 400);
    let bad_dates = run(
        &store,
        "CreatePlans",
        &PROJECT,
        &[],
        Some(json!({ "title": "R2", "category": "PI",
                     "plan_start_date": "2024-02-30", "plan_end_date": "2024-03-31" })),
    );
    assert_eq!(error_of(bad_dates).0, 400);

    let path = [("project_id", "p1"), ("plan_id", sprint_id.as_str())];
    let started = run(
        &store,
        "ChangePlanStatus",
        &path,
        &[],
        Some(json!({ "operate": "start" })),
    );
    json_of(started);
    // Completing needs to know where unfinished work goes.
    let refused = run(
        &store,
        "ChangePlanStatus",
        &path,
        &[],
        Some(json!({ "operate": "complete" })),
    );
    assert_eq!(error_of(refused).0, 400);
    let baselined = json_of(run(
        &store,
        "BatchUpdateBaseline",
        &PROJECT,
        &[],
        Some(json!({ "ids": [sprint_id, "1100000000000009999"],
                     "attribute": { "baseline": "baselined" } })),
    ));
    assert_eq!(baselined["result"]["success_num"], 1);
    assert_eq!(
        baselined["result"]["failed"][0]["id"],
        "1100000000000009999"
    );
    drop(store);

    let store = open(&dir);
    let listed = json_of(run(&store, "ListPlan", &PROJECT, &[], None));
    assert_eq!(listed["result"].as_array().unwrap().len(), 1, "{listed}");
    let child = &listed["result"][0]["children"][0];
    assert_eq!(child["id"], sprint_id.as_str());
    assert_eq!(child["status"], "going");
    assert_eq!(child["baseline"], "baselined");
    let found = json_of(run(
        &store,
        "ListPlan",
        &PROJECT,
        &[("key_word", "S1")],
        None,
    ));
    assert_eq!(found["result"][0]["id"], release_id.as_str());
    let none = json_of(run(
        &store,
        "ListPlan",
        &PROJECT,
        &[("key_word", "nothing")],
        None,
    ));
    assert_eq!(none["result"], json!([]));

    let deleted = json_of(run(
        &store,
        "BatchDeletePlans",
        &PROJECT,
        &[],
        Some(json!({ "ids": [release_id] })),
    ));
    assert_eq!(deleted["result"]["success_num"], 1);
    // The sprint went with its release.
    let gone = run(&store, "ListPlanDetail", &path, &[], None);
    assert_eq!(error_of(gone), (404, PLAN_NOT_FOUND));
}

#[test]
fn external_links_belong_to_their_work_item() {
    let dir = Scratch::new("links");
    let store = open(&dir);
    let issue = create_bug(&store, "linked");
    let other = create_bug(&store, "other");
    let path = [("project_id", "p1"), ("issue_id", issue.as_str())];
    let created = json_of(run(
        &store,
        "AssociateIpdThirdParty",
        &path,
        &[],
        Some(json!({ "title": "Design", "url": "https://example.com/d" })),
    ));
    let link = created["result"]["success"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let plain = run(
        &store,
        "AssociateIpdThirdParty",
        &path,
        &[],
        Some(json!({ "title": "x", "url": "http://example.com" })),
    );
    assert_eq!(error_of(plain).0, 400);
    let updated = json_of(run(
        &store,
        "UpdateIpdThirdParty",
        &path,
        &[],
        Some(json!({ "id": link, "title": "Design v2", "url": "https://example.com/d2" })),
    ));
    assert_eq!(updated["result"]["success"], json!([["title", "url"]]));
    let listed = json_of(run(&store, "ShowIpdThirdPartyAssociated", &path, &[], None));
    assert_eq!(listed["result"]["count"], 1);
    assert_eq!(listed["result"]["data"]["result"][0]["title"], "Design v2");
    // Another work item has no links, and cannot delete this one.
    let other_path = [("project_id", "p1"), ("issue_id", other.as_str())];
    let listed = json_of(run(
        &store,
        "ShowIpdThirdPartyAssociated",
        &other_path,
        &[],
        None,
    ));
    assert_eq!(listed["result"]["count"], 0);
    let refused = json_of(run(
        &store,
        "DeleteIpdThirdParty",
        &other_path,
        &[],
        Some(json!({ "id": link })),
    ));
    assert_eq!(refused["result"]["fail"], json!([link]));
    let deleted = json_of(run(
        &store,
        "DeleteIpdThirdParty",
        &path,
        &[],
        Some(json!({ "id": link })),
    ));
    assert_eq!(deleted["result"]["success"], json!([link]));
    let unknown = [("project_id", "p1"), ("issue_id", "1100000000000009999")];
    let missing = run(&store, "ShowIpdThirdPartyAssociated", &unknown, &[], None);
    assert_eq!(error_of(missing), (404, ITEM_NOT_FOUND));
}

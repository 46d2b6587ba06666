//! What the stateful operations remember: the emulator's model of the
//! service's data, one [`Table`] per kind of row, per project. The store
//! keeps it in SQLite (a row per entry, as JSON) and in memory.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::table::Table;

/// The lifecycle of a permanently deleted work item.
pub(crate) const PURGED: &str = "删除";

/// Everything the stateful operations remember.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The last id handed out; every kind of row shares it, so ids never
    /// collide and sort in creation order.
    pub last_id: u64,
    /// By project id (a project exists once something is stored in it).
    pub projects: BTreeMap<String, Project>,
}

/// One project's data.
#[derive(Debug, Default)]
pub(crate) struct Project {
    /// By id; deleted ones stay as tombstones (see `WorkItem::deleted`).
    pub work_items: Table<WorkItem>,
    /// By id, for every work item of the project.
    pub comments: Table<Comment>,
    /// By id.
    pub labels: Table<Label>,
    /// Images in work item descriptions, by file name.
    pub images: Table<Image>,
    /// Custom fields, by id (so in creation order).
    pub fields: Table<Field>,
    /// Attachments of work items, by id.
    pub attachments: Table<Attachment>,
    /// External links of work items, by id.
    pub third_parties: Table<ThirdParty>,
    /// Releases, sprints and milestones, by id.
    pub plans: Table<Plan>,
    /// Scrum work items, by id; deleted ones stay, marked.
    pub scrum_issues: Table<ScrumIssue>,
    /// Scrum iterations, by id; deleted ones stay, marked.
    pub iterations: Table<Iteration>,
    /// Comments on Scrum work items, by id.
    pub scrum_comments: Table<ScrumComment>,
}

/// The kinds of rows, as the store names their SQL tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    WorkItems,
    Comments,
    Labels,
    Images,
    Fields,
    Attachments,
    ThirdParties,
    Plans,
    ScrumIssues,
    Iterations,
    ScrumComments,
}

impl Kind {
    pub(crate) const ALL: [Kind; 11] = [
        Kind::WorkItems,
        Kind::Comments,
        Kind::Labels,
        Kind::Images,
        Kind::Fields,
        Kind::Attachments,
        Kind::ThirdParties,
        Kind::Plans,
        Kind::ScrumIssues,
        Kind::Iterations,
        Kind::ScrumComments,
    ];

    /// The SQL table's name.
    pub(crate) fn table(self) -> &'static str {
        match self {
            Kind::WorkItems => "work_items",
            Kind::Comments => "comments",
            Kind::Labels => "labels",
            Kind::Images => "images",
            Kind::Fields => "fields",
            Kind::Attachments => "attachments",
            Kind::ThirdParties => "third_parties",
            Kind::Plans => "plans",
            Kind::ScrumIssues => "scrum_issues",
            Kind::Iterations => "iterations",
            Kind::ScrumComments => "scrum_comments",
        }
    }
}

/// Runs `$body` with `$table` bound to each table of `$project` (`mut`:
/// mutably) and `$kind` to its kind: the tables have different row types,
/// so this is a macro rather than a loop.
macro_rules! each_table {
    (mut $project:expr, |$kind:ident, $table:ident| $body:expr) => {
        $crate::store::state::each_table!(@ [&mut] $project, $kind, $table, $body)
    };
    (ref $project:expr, |$kind:ident, $table:ident| $body:expr) => {
        $crate::store::state::each_table!(@ [&] $project, $kind, $table, $body)
    };
    (@ [$($borrow:tt)*] $project:expr, $kind:ident, $table:ident, $body:expr) => {{
        use $crate::store::state::Kind;
        let project = $project;
        { let ($kind, $table) = (Kind::WorkItems, $($borrow)* project.work_items); $body }
        { let ($kind, $table) = (Kind::Comments, $($borrow)* project.comments); $body }
        { let ($kind, $table) = (Kind::Labels, $($borrow)* project.labels); $body }
        { let ($kind, $table) = (Kind::Images, $($borrow)* project.images); $body }
        { let ($kind, $table) = (Kind::Fields, $($borrow)* project.fields); $body }
        { let ($kind, $table) = (Kind::Attachments, $($borrow)* project.attachments); $body }
        { let ($kind, $table) = (Kind::ThirdParties, $($borrow)* project.third_parties); $body }
        { let ($kind, $table) = (Kind::Plans, $($borrow)* project.plans); $body }
        { let ($kind, $table) = (Kind::ScrumIssues, $($borrow)* project.scrum_issues); $body }
        { let ($kind, $table) = (Kind::Iterations, $($borrow)* project.iterations); $body }
        { let ($kind, $table) = (Kind::ScrumComments, $($borrow)* project.scrum_comments); $body }
    }};
}
pub(crate) use each_table;

/// A project's custom field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Field {
    pub id: String,
    pub code: String,
    pub display_name: String,
    pub created_ms: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct WorkItem {
    pub id: String,
    /// Type code, date and 6 random digits, as the service numbers them.
    pub number: String,
    pub title: String,
    pub description: String,
    /// Work item type code (RR, SF, IR, SR, AR, US, Epic, FE, Task, Bug).
    pub category: String,
    /// Status code.
    pub status: String,
    pub assignee: Option<User>,
    pub priority: Option<String>,
    pub parent_id: Option<String>,
    pub plan_end_date: Option<String>,
    pub workload: Option<String>,
    pub link: Option<String>,
    /// Label ids, in the order given.
    pub labels: Vec<String>,
    /// Custom field values by field code.
    pub custom_fields: BTreeMap<String, String>,
    pub created_ms: u64,
    pub modified_ms: u64,
    pub status_modified_ms: u64,
    /// Once deleted, the lifecycle the service reports: `作废` (in the
    /// recycle bin) or `删除` (permanently). The item is kept so that a
    /// deleted work item can be told from an unknown one, and its id is
    /// never reused.
    pub deleted: Option<String>,
}

/// A user as requests name one; any part may be missing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct User {
    pub id: Option<String>,
    pub name: Option<String>,
    pub nick_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Comment {
    pub id: String,
    pub issue_id: String,
    /// `comment` or `reply`.
    pub category: String,
    pub description: String,
    /// For a reply: the comment replied to, and the top of its thread.
    pub parent_id: Option<String>,
    pub root_id: Option<String>,
    pub at_others: Option<String>,
    pub created_ms: u64,
    pub modified_ms: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Label {
    pub id: String,
    pub title: String,
    pub color: String,
    pub label_type: Option<String>,
    pub category_types: Vec<String>,
}

/// An external link of a work item (a third-party association).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ThirdParty {
    pub id: String,
    pub issue_id: String,
    pub title: String,
    pub url: String,
    pub created_ms: u64,
    pub modified_ms: u64,
}

/// A release (`PI`), sprint (`Iteration`, under a release) or milestone
/// (`PlanMilestone`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Plan {
    pub id: String,
    pub title: String,
    pub category: String,
    pub description: Option<String>,
    /// `planned`, `going` or `ended`.
    pub status: String,
    /// `baselined`, or `None` (not baselined).
    pub baseline: Option<String>,
    /// A sprint's release.
    pub parent_id: Option<String>,
    /// `yyyy-MM-dd`, as given.
    pub plan_start_date: String,
    pub plan_end_date: String,
    pub workload: Option<String>,
    pub owner: Option<String>,
    pub created_ms: u64,
    pub modified_ms: u64,
}

/// A Scrum work item (ProjectMan v4): numbers for ids, as the service
/// sends them; what it refers to (iteration, module, users) by number.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ScrumIssue {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    /// 2 task, 3 bug, 5 epic, 6 feature, 7 story.
    pub tracker_id: i64,
    pub priority_id: i64,
    pub severity_id: Option<i64>,
    pub status_id: i64,
    pub iteration_id: Option<i64>,
    pub module_id: Option<i64>,
    pub domain_id: Option<i64>,
    pub parent_issue_id: Option<i64>,
    pub assigned_id: Option<i64>,
    pub developer_id: Option<i64>,
    pub done_ratio: i64,
    pub begin_time: Option<String>,
    pub end_time: Option<String>,
    pub expected_work_hours: Option<f64>,
    pub actual_work_hours: Option<f64>,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub deleted: bool,
}

/// A comment on a Scrum work item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ScrumComment {
    pub id: u64,
    pub issue_id: u64,
    pub text: String,
    pub created_ms: u64,
}

/// A Scrum iteration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Iteration {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    /// `yyyy-MM-dd`, as given.
    pub begin_time: String,
    pub end_time: String,
    /// `0` not started, `1` in progress, `2` finished.
    pub status: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub deleted: bool,
}

/// An image's metadata; its bytes are the file `images/<file_name>`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Image {
    pub file_name: String,
    pub issue_id: String,
    pub content_type: String,
    pub size: u64,
    pub created_ms: u64,
}

/// A stored attachment's metadata; its bytes are the file
/// `attachments/<storage_id>.bin`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Attachment ID.
    pub id: String,
    /// Project.
    pub project_id: String,
    /// Work item.
    pub issue_id: String,
    /// File name as uploaded.
    pub store_filename: String,
    /// Storage ID (the stored file's name).
    pub storage_id: String,
    /// Extension taken from the file name, sanitised.
    pub extension: String,
    /// Size in bytes.
    pub size: u64,
    /// Upload time, epoch milliseconds.
    pub created_ms: u64,
    /// SHA-256 of the content.
    pub sha256: String,
}

impl State {
    /// The project, created on first write.
    pub(crate) fn project_mut(&mut self, id: &str) -> &mut Project {
        self.projects.entry(id.to_string()).or_default()
    }

    /// Marks a work item deleted for good, keeping a tombstone for an id
    /// the state does not know (`--deleted-issue` names any id).
    pub(crate) fn mark_deleted(&mut self, project_id: &str, issue_id: &str) {
        let items = &mut self.project_mut(project_id).work_items;
        match items.get_mut(issue_id) {
            Some(item) => {
                item.deleted.get_or_insert_with(|| PURGED.to_string());
            }
            None => {
                items.insert(
                    issue_id.to_string(),
                    WorkItem {
                        id: issue_id.to_string(),
                        deleted: Some(PURGED.to_string()),
                        ..WorkItem::default()
                    },
                );
            }
        }
    }

    /// Every table's changes are saved.
    pub(crate) fn commit(&mut self) {
        for project in self.projects.values_mut() {
            each_table!(mut project, |_kind, table| table.commit());
        }
    }

    /// Every table's changes are undone.
    pub(crate) fn rollback(&mut self) {
        for project in self.projects.values_mut() {
            each_table!(mut project, |_kind, table| table.rollback());
        }
    }
}

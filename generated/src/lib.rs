//! Typed, streaming, signed client for Huawei Cloud CodeArts Req's
//! ProjectMan v4 API: its IPD and Scrum operations, each area a cargo
//! feature (`ipd`; `scrum`, for `scrum-issues`, `scrum-projects`,
//! `scrum-members`, `scrum-iterations`, `scrum-metrics` and
//! `scrum-planning`), all on by default.
//!
//! ```no_run
//! use codearts_req::{Client, FilePart, Region};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // Credentials come from HUAWEICLOUD_SDK_AK/_SK, else CLOUD_SDK_AK/_SK,
//! // else ~/.huaweicloud/credentials, else the ECS metadata service.
//! let client = Client::builder().region(Region::CnNorth4).build()?;
//! let uploaded = client
//!     .create_ipd_project_issue_attachment()
//!     .project_id("gdbdf969b32694524a949b5ef6b3e124a")
//!     .issue_id("956239067176935400")
//!     .attachment(FilePart::from_path("design.pdf").await?)
//!     .send()
//!     .await?;
//! println!("request id {:?}", uploaded.request_id());
//! for attachment in uploaded.result() {
//!     println!("{:?} ({:?} bytes)", attachment.id(), attachment.filesize());
//! }
//! # Ok(()) }
//! ```
//!
//! # Querying work items
//!
//! `list_ipd_project_issues` (and `show_tenant_issue_list`) take `filter`:
//! a list of filters, each a map from a column to a
//! [`ConditionVo`](types::ConditionVo) (`values` and an `operator`).
//!
//! - **Columns** are the work item's field names as answers carry them
//!   ([`IssueEntity`](types::IssueEntity)): for example `id`, `number`,
//!   `category`, `status`, `priority`, `parent_id`, `title` and
//!   `description` (which match a keyword), `assignee` (a user id), `labels`
//!   (label ids), `plan_pi` and `plan_iteration`. The prefix `descendants.`
//!   (`descendants.plan_pi`) also searches child work items in the tree.
//!   The service decides which columns it accepts; the reference documents
//!   no closed list.
//! - **Operators** ([`ConditionOperator`](types::ConditionOperator)): `Or`
//!   (`||`, the column matches any of the values) and `And` (`&&`, all of
//!   them).
//! - **Modes** ([`FilterMode`](types::FilterMode), `filter_mode`): `AndOr`
//!   (the default: filters ANDed, the columns of one filter ORed) and
//!   `OrAnd` (filters ORed, columns ANDed).
//!
//! ```no_run
//! use std::collections::BTreeMap;
//!
//! use codearts_req::Client;
//! use codearts_req::types::{ConditionOperator, ConditionVo};
//! use futures_util::TryStreamExt;
//!
//! # async fn demo(client: Client) -> Result<(), codearts_req::ApiError> {
//! // Every bug whose title has "Login" in it, page after page.
//! let bugs = client
//!     .list_ipd_project_issues()
//!     .project_id("gdbdf969b32694524a949b5ef6b3e124a")
//!     .issue_type("Bug")
//!     .filter([BTreeMap::from([(
//!         "title".to_string(),
//!         ConditionVo::builder()
//!             .values(["Login"])
//!             .operator(ConditionOperator::Or)
//!             .build(),
//!     )])])
//!     .into_paginator()
//!     .page_size(100)
//!     .items()
//!     .send();
//! // The stream borrows itself across awaits: pin it to walk it.
//! let mut bugs = std::pin::pin!(bugs);
//! while let Some(item) = bugs.try_next().await? {
//!     println!("{:?} {:?}", item.id(), item.title());
//! }
//! # Ok(()) }
//! ```
//!
//! Every operation is a method of [`Client`] that returns a builder (module
//! [`builder`]): set the parameters, then `send()`, which returns
//! `Result<Response<T>, ApiError>`. [`Client`], [`builder`], [`types`] and
//! [`forms`] are generated from the OpenAPI spec by `cargo xtask codegen`;
//! everything else is re-exported from the hand-written runtime, crate
//! `codearts-req-runtime`.

#![warn(missing_docs)]

// The crate's README is compiled as a doc test (the workspace README's
// examples are, by crate ipd-tests).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// Formatted by prettyplease at generation; rustfmt must leave it as is or
// the drift check would fail.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated;

pub use codearts_req_runtime::{
    ApiError, BuildError, ByteStream, CallConfig, ClientBuilder, Credentials, CredentialsError,
    Direction, EcsMetadataProvider, FieldError, FileError, FilePart, ItemPaginator, LenientInt,
    OneOrMany, PaginationError, Paginator, ProvideCredentials, ProvideToken, REQUEST_ID_HEADER,
    Region, Response, RetryPolicy, SaveToFile, ServiceError, StalledStreamProtection, StatusCode,
    Token, Transport, TransportError, UnknownVariant, WriteError, credentials,
    install_default_tls_provider, multipart, paginate, printable, provider, region, reqwest, retry,
    signer,
};
pub use generated::*;

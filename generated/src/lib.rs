//! Typed, streaming, signed client for Huawei Cloud CodeArts Req's IPD
//! project service.
//!
//! ```no_run
//! use codearts_ipd::{ApiError, Client, FilePart, Region, forms};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // Credentials come from CLOUD_SDK_AK/CLOUD_SDK_SK, HUAWEICLOUD_SDK_*, or
//! // ~/.huaweicloud/credentials.
//! let client = Client::builder().region(Region::CnNorth4).build()?;
//! let file = FilePart::from_path("design.pdf").await?;
//! let uploaded = client
//!     .create_ipd_project_issue_attachment(
//!         "gdbdf969b32694524a949b5ef6b3e124a",
//!         "956239067176935400",
//!         forms::CreateIpdProjectIssueAttachmentForm::new(file),
//!     )
//!     .await
//!     .map_err(ApiError::from)?;
//! for attachment in uploaded.result.iter().flatten() {
//!     println!("{:?} ({:?} bytes)", attachment.id, attachment.filesize);
//! }
//! # Ok(()) }
//! ```
//!
//! [`Client`], [`types`] and [`forms`] are generated from the OpenAPI spec by
//! `cargo xtask codegen`; everything else is re-exported from the
//! hand-written runtime, crate `codearts-ipd-runtime`.

#![warn(missing_docs)]

// Formatted by prettyplease at generation; rustfmt must leave it as is or
// the drift check would fail.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated;

pub use codearts_ipd_runtime::{
    ApiError, BuildError, ClientBuilder, Credentials, FileError, FilePart, LenientInt,
    REQUEST_ID_HEADER, Region, RetryPolicy, SaveToFile, WriteError, credentials, multipart, region,
    retry, signer,
};
pub use generated::*;

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
//! # Layout
//!
//! - [`Client`], [`types`] and [`forms`] are generated from the OpenAPI spec
//!   by `cargo xtask codegen` (module `generated`, never edited by hand).
//! - The rest is the hand-written runtime they call: [`transport`]
//!   (configuration, authentication, retries), [`signer`] (AK/SK signing),
//!   [`credentials`], [`region`], [`multipart`] (streaming file bodies),
//!   [`SaveToFile`] (atomic downloads) and [`ApiError`].

#![warn(missing_docs)]

// Generated code names runtime items by absolute `::codearts_ipd::` paths, so
// the same output compiles inside this crate and in other crates' tests.
extern crate self as codearts_ipd;

// Formatted by prettyplease at generation; rustfmt must leave it as is or
// the drift check would fail.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated;

pub mod credentials;
mod download;
mod error;
mod lenient;
pub mod multipart;
pub mod region;
pub mod signer;
pub mod transport;

pub use credentials::Credentials;
pub use download::{SaveToFile, WriteError};
pub use error::{ApiError, REQUEST_ID_HEADER};
pub use generated::*;
pub use lenient::LenientInt;
pub use multipart::{FileError, FilePart};
pub use region::Region;
pub use transport::{BuildError, ClientBuilder, RetryPolicy};

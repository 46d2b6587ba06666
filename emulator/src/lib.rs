//! A local emulator of CodeArts Req's IPD project service, faithful enough
//! that Huawei's official Python SDK talks to it unchanged. Every operation
//! of the spec is served: validated against the spec (read through
//! `ipd_catalogue`), answered by a stateful handler where users need
//! state, else from the spec's examples and schemas.
//!
//! It checks what the real gateway checks (AK/SK signatures recomputed from
//! the received request, `X-Sdk-Date` within 15 minutes, or an IAM token)
//! and answers in the documented shapes. See the README's "Emulator"
//! section for what it does not emulate.

#![warn(missing_docs)]

// The README's Rust example is compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod body;
mod config;
mod controls;
pub mod emulator;
mod form;
pub mod gateway;
mod generic;
mod paging;
mod reply;
mod server;
mod stateful;
pub mod store;

pub use config::{Config, MAX_ATTACHMENT};
pub use controls::{RECORDED_BODY_LIMIT, Recorded};
pub use emulator::Emulator;
pub use store::state::Attachment;

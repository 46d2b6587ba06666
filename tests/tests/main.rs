//! The workspace's end-to-end tests, one module per concern, in one test
//! binary: each extra binary would link tokio, hyper, reqwest, rustls, the
//! emulator and the client again.
//!
//! `generated/` beside this crate holds the test code `cargo xtask codegen`
//! derives from the specs: the fixture specs' clients, a decoding test per
//! documented example and an end-to-end test per operation.

use ipd_testkit as common;

mod codegen;
mod conformance;
mod decoding;
mod dispatch;
mod emulator_validation;
mod errors;
mod every_operation;
mod fixture_client;
mod hostile_endpoints;
mod hostile_server;
mod import;
mod life_cycle;
mod malformed_requests;
mod pagination;
mod python_tools;
mod raw_socket;
mod redaction;
mod retries;
mod scrum;
mod stateful_scenario;
mod tables;
mod transport;
mod upload;
mod wire;

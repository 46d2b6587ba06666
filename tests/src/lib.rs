//! No code: this library exists for its doc tests, which `cargo test`
//! compiles against the built crates (no separate build, unlike trybuild):
//! - the workspace README's Rust examples;
//! - what the generated API accepts and rejects at compile time
//!   (`compile/generated_api.md`). Each rejected snippet names the error it
//!   must fail with and sits beside an accepted twin that differs only in
//!   the rejected line, so it fails for that reason and no other.

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../compile/generated_api.md")]
struct GeneratedApi;

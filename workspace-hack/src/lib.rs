//! No code: this crate exists for the features its dependencies are built
//! with, so that `cargo xtask codegen` and `cargo test --workspace` build
//! the code generator once (see its Cargo.toml).

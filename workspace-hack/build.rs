// Empty: it makes Cargo resolve the build-dependencies, which exist for
// their features only (see Cargo.toml).
fn main() {}

//! Everything that can be wrong with a spec is found here, before any code
//! is generated, and reported with a location: a JSON pointer (the YAML
//! parser reports syntax errors with a line and column). progenitor has
//! `todo!()`s and `unwrap()`s for inputs it does not expect; validation
//! keeps those inputs away from it. What only lowering can see (a form's
//! fields, a paging rule's fields, typify's names) is checked as the model
//! is built, with the same located errors.
//!
//! One file a concern: the raw document ([`raw`]), operations
//! ([`operations`]), Rust names ([`names`]) and schemas ([`schemas`]).

mod names;
mod operations;
mod raw;
mod schemas;

pub use names::check_names;
pub use operations::check_operations;
pub use raw::check_raw;
pub use schemas::check_schemas;

//! The runtime's integration tests, in one binary.

mod canonical_props;
mod segment_props;
mod signer_vectors;

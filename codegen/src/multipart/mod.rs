//! `multipart/form-data` operations, which progenitor rejects: a model of
//! each operation ([`model`]), then its tokens ([`render`]).

pub mod model;
pub mod render;

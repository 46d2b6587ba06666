//! Operations, JSON and `multipart/form-data` alike: a model of each
//! operation ([`model`]), then its tokens ([`render`]).

pub mod model;
pub mod render;

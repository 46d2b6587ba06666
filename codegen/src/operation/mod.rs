//! Operations, JSON and `multipart/form-data` alike: a model of each
//! operation ([`model`], with its paging, [`pagination`]), then its tokens
//! ([`render`]).

pub mod model;
pub mod pagination;
pub mod render;

//! The row types of the operations table that `cargo xtask codegen` writes
//! into `operations.rs` from the code generator's model of the spec: what
//! each operation is, with every rule (idempotency, paging defaults,
//! parameter overrides, the success response) already applied. Schemas are
//! JSON pointers into the bundled document ([`crate::OPENAPI`]).

use crate::Location;

/// One operation.
pub(crate) struct OperationRow {
    pub id: &'static str,
    pub command: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub summary: Option<&'static str>,
    pub description: Option<&'static str>,
    pub params: &'static [ParamRow],
    pub body: Option<BodyRow>,
    pub success: Option<SuccessRow>,
    pub idempotent: bool,
    pub pagination: Option<PagingRow>,
}

/// One parameter; `schema` is a pointer.
pub(crate) struct ParamRow {
    pub name: &'static str,
    pub location: Location,
    pub required: bool,
    pub schema: &'static str,
    pub description: Option<&'static str>,
}

/// A request body; `schema` is a pointer.
pub(crate) struct BodyRow {
    pub content_type: &'static str,
    pub required: bool,
    pub schema: &'static str,
}

/// The first documented success; `media` is the pointer of its media
/// object, if it has a body.
pub(crate) struct SuccessRow {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub media: Option<&'static str>,
}

/// How an operation pages, every default applied.
pub(crate) struct PagingRow {
    pub offsets: bool,
    pub first: u64,
    pub min_size: u64,
    pub max_size: u64,
    pub default_size: u64,
    pub max_pages: Option<u64>,
    pub position: PlaceRow,
    pub size: PlaceRow,
    pub items: &'static [&'static str],
    pub total: Option<&'static [&'static str]>,
    pub id: Option<&'static str>,
    pub offset_aligned: bool,
}

/// Where a page position or size goes.
pub(crate) enum PlaceRow {
    Query(&'static str),
    Body(&'static [&'static str]),
}

//! The spec as the emulator and the `ipd` command read it. The code
//! generator lowers the spec once; `cargo xtask codegen` writes, beside the
//! client, what it made of every operation (a table in `operations.rs`:
//! route, parameters, body, success response, idempotency, paging) and the
//! bundled OpenAPI document ([`OPENAPI`]) whose schemas the table points
//! into. Both are covered by the drift check, so neither the emulator nor
//! the CLI can drift from the client, and no rule is derived here again.
//!
//! Schemas stay JSON and are read by [`schema`], which validates values and
//! synthesises answers. Nothing here knows any one operation's names.

#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

// Written by `cargo xtask codegen` (prettyplease's layout, not rustfmt's).
#[rustfmt::skip]
mod operations;
pub mod schema;
mod table;

/// The OpenAPI document the client crate was generated from: the spec and
/// its fragments bundled into one JSON document by `cargo xtask codegen`.
pub const OPENAPI: &str = include_str!("openapi.json");

pub use schema::Invalid;

use table::{OperationRow, PagingRow, PlaceRow};

/// Where a parameter travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// One path segment.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
}

/// One parameter of an operation.
#[derive(Clone, Debug)]
pub struct Param {
    /// Its name in the spec (and on the wire).
    pub name: String,
    /// Where it travels.
    pub location: Location,
    /// Whether a call without it is refused.
    pub required: bool,
    /// Its schema (possibly a `$ref`).
    pub schema: Value,
    /// The spec's description.
    pub description: Option<String>,
}

/// A request body.
#[derive(Clone, Debug)]
pub struct Body {
    /// The content type exactly as the spec gives it.
    pub content_type: String,
    /// Whether a call without it is refused.
    pub required: bool,
    /// Its schema (possibly a `$ref`).
    pub schema: Value,
}

impl Body {
    /// Whether the body is JSON (as opposed to a multipart form).
    pub fn is_json(&self) -> bool {
        media_essence(&self.content_type).ends_with("json")
    }
}

/// The documented success response.
#[derive(Clone, Debug)]
pub struct Success {
    /// Its status code.
    pub status: u16,
    /// Its content type, if it has a body.
    pub content_type: Option<String>,
    /// Its schema, if it has a body.
    pub schema: Option<Value>,
    /// The documented example, if any.
    pub example: Option<Value>,
}

impl Success {
    /// Whether the body is JSON (as opposed to bytes).
    pub fn is_json(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|c| media_essence(c).ends_with("json"))
    }
}

#[derive(Clone, Debug)]
enum Segment {
    Literal(String),
    Param(String),
}

/// Where a page position or size goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A query parameter, by name.
    Query(String),
    /// A field of the JSON body, by its path of names.
    Body(Vec<String>),
}

/// How an operation pages, every default applied (by the code generator,
/// which lowered the spec into the operations table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pagination {
    /// Item offsets (else page numbers).
    pub offsets: bool,
    /// The first position.
    pub first: u64,
    /// The smallest page size taken.
    pub min_size: u64,
    /// The largest page size taken.
    pub max_size: u64,
    /// The page size a paginator asks for by default.
    pub default_size: u64,
    /// The last page number served, if documented.
    pub max_pages: Option<u64>,
    /// Where the position goes.
    pub position: Place,
    /// Where the page size goes.
    pub size: Place,
    /// Names from the answer's root to its items.
    pub items: Vec<String>,
    /// Names from the answer's root to the total, if it has one.
    pub total: Option<Vec<String>>,
    /// The item field that identifies an item, if the spec names one.
    pub id: Option<String>,
    /// Whether an offset must be a multiple of the page size.
    pub offset_aligned: bool,
}

impl Pagination {
    fn from_row(row: &PagingRow) -> Pagination {
        let path = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        let place = |place: &PlaceRow| match place {
            PlaceRow::Query(name) => Place::Query(name.to_string()),
            PlaceRow::Body(fields) => Place::Body(path(fields)),
        };
        Pagination {
            offsets: row.offsets,
            first: row.first,
            min_size: row.min_size,
            max_size: row.max_size,
            default_size: row.default_size,
            max_pages: row.max_pages,
            position: place(&row.position),
            size: place(&row.size),
            items: path(row.items),
            total: row.total.map(path),
            id: row.id.map(str::to_string),
            offset_aligned: row.offset_aligned,
        }
    }
}

/// One operation of the spec.
#[derive(Clone, Debug)]
pub struct Operation {
    /// The spec's `operationId`.
    pub id: String,
    /// Its kebab-case form, as the `ipd` command names it.
    pub command: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template, as the spec gives it.
    pub path: String,
    /// The spec's summary.
    pub summary: Option<String>,
    /// The spec's description.
    pub description: Option<String>,
    /// Path, query and header parameters, in the spec's order.
    pub params: Vec<Param>,
    /// The request body, if any.
    pub body: Option<Body>,
    /// The first documented 2xx response.
    pub success: Option<Success>,
    /// Whether sending it twice does what sending it once does, as the
    /// code generator decided for the client. The client retries other
    /// operations only when the service certainly did not process them.
    pub idempotent: bool,
    /// How it pages, if it does.
    pub pagination: Option<Pagination>,
    segments: Vec<Segment>,
}

impl Operation {
    /// Matches a request path (still percent-encoded) against this
    /// operation's template; gives the decoded path parameters. A parameter
    /// matches exactly one non-empty segment.
    fn matches(&self, path: &str) -> Option<BTreeMap<String, String>> {
        let parts: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut params = BTreeMap::new();
        for (part, segment) in parts.iter().zip(&self.segments) {
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(_) if part.is_empty() => return None,
                Segment::Param(name) => {
                    let value = percent_encoding::percent_decode_str(part)
                        .decode_utf8()
                        .ok()?
                        .into_owned();
                    params.insert(name.clone(), value);
                }
            }
        }
        Some(params)
    }

    fn literals(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }
}

/// The operations of a spec, and its components for resolving `$ref`s.
#[derive(Debug)]
pub struct Catalogue {
    document: Value,
    operations: Vec<Operation>,
}

impl Catalogue {
    /// The spec the client crate was generated from; read once.
    pub fn bundled() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            // The document is written by codegen after it validated it, and
            // checked for drift in CI: failing to read it is a build defect.
            let document = serde_json::from_str(OPENAPI)
                .expect("the bundled spec written by `cargo xtask codegen` is JSON");
            Catalogue::from_table(document, operations::OPERATIONS)
        })
    }

    /// A catalogue of `document` with no operations: for the schema tests.
    #[cfg(test)]
    pub(crate) fn of_document(document: Value) -> Catalogue {
        Catalogue::from_table(document, &[])
    }

    fn from_table(document: Value, rows: &[OperationRow]) -> Catalogue {
        let at = |pointer: &str| document.pointer(pointer).cloned();
        let operations = rows
            .iter()
            .map(|row| Operation {
                id: row.id.into(),
                command: row.command.into(),
                method: row.method.into(),
                path: row.path.into(),
                summary: row.summary.map(str::to_string),
                description: row.description.map(str::to_string),
                params: row
                    .params
                    .iter()
                    .map(|p| Param {
                        name: p.name.into(),
                        location: p.location,
                        required: p.required,
                        schema: at(p.schema).unwrap_or(Value::Null),
                        description: p.description.map(str::to_string),
                    })
                    .collect(),
                body: row.body.as_ref().map(|b| Body {
                    content_type: b.content_type.into(),
                    required: b.required,
                    schema: at(b.schema).unwrap_or(Value::Null),
                }),
                success: row.success.as_ref().map(|s| Success {
                    status: s.status,
                    content_type: s.content_type.map(str::to_string),
                    schema: s.media.and_then(|m| at(&format!("{m}/schema"))),
                    example: s.media.and_then(|m| at(&format!("{m}/example"))),
                }),
                idempotent: row.idempotent,
                pagination: row.pagination.as_ref().map(Pagination::from_row),
                segments: row
                    .path
                    .trim_start_matches('/')
                    .split('/')
                    .map(
                        |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(name) => Segment::Param(name.to_string()),
                            None => Segment::Literal(s.to_string()),
                        },
                    )
                    .collect(),
            })
            .collect();
        Catalogue {
            document,
            operations,
        }
    }

    /// Every operation, in the spec's order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation named `name`: its operationId or kebab-case form, in
    /// any case.
    pub fn find(&self, name: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| op.id.eq_ignore_ascii_case(name) || op.command.eq_ignore_ascii_case(name))
    }

    /// The operation a request is for, and its decoded path parameters.
    /// Where templates overlap, the one with the most literal segments wins
    /// (`/issues/query` over `/issues/{issue_id}`).
    pub fn route(
        &self,
        method: &str,
        path: &str,
    ) -> Option<(&Operation, BTreeMap<String, String>)> {
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method))
            .filter_map(|op| op.matches(path).map(|params| (op, params)))
            .max_by_key(|(op, _)| op.literals())
    }

    /// The schema at `fields` inside `schema`, through `properties` (and
    /// `$ref`s, and single `allOf`s).
    pub fn schema_at<'a>(&'a self, schema: &'a Value, fields: &[String]) -> Option<&'a Value> {
        let mut at = self.resolve(schema);
        for field in fields {
            if let Some([only]) = at.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
                at = self.resolve(only);
            }
            at = self.resolve(at.get("properties")?.get(field)?);
        }
        if let Some([only]) = at.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            at = self.resolve(only);
        }
        Some(at)
    }

    /// Follows `$ref`s within the document; an unresolvable one is left as
    /// it is (codegen refused such specs before this document was written).
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..16 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(pointer) => match self.document.pointer(pointer.trim_start_matches('#')) {
                    Some(target) => value = target,
                    None => return value,
                },
                None => return value,
            }
        }
        value
    }
}

/// `application/json;charset=UTF-8` → `application/json`.
pub fn media_essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_spec_routes_every_operation_to_itself() {
        let catalogue = Catalogue::bundled();
        assert!(catalogue.operations().len() >= 51);
        for op in catalogue.operations() {
            let path: String = op
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(l) => format!("/{l}"),
                    Segment::Param(_) => "/x%2Fy".to_string(),
                })
                .collect();
            let (found, params) = catalogue.route(&op.method, &path).unwrap();
            assert_eq!(found.id, op.id, "{path}");
            assert!(params.values().all(|v| v == "x/y"), "{params:?}");
            assert_eq!(catalogue.find(&op.command).unwrap().id, op.id);
        }
        assert!(
            catalogue
                .route("GET", "/v1/ipdprojectservice/projects//tags")
                .is_none()
        );
    }
}

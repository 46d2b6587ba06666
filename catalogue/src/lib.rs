//! The spec as the emulator and the `ipd` command read it: the operations
//! of the bundled OpenAPI document the client was generated from
//! ([`OPENAPI`], written by `cargo xtask codegen` beside the client and
//! covered by its drift check), so neither can drift from the client.
//!
//! Only what serving and calling need is modelled: each operation's route,
//! parameters, body and success response. Schemas stay JSON and are read by
//! [`schema`], which validates values and synthesises answers. Nothing here
//! knows any one operation's names.

#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

pub mod schema;

/// The OpenAPI document the client crate was generated from: the spec and
/// its fragments bundled into one JSON document by `cargo xtask codegen`.
pub const OPENAPI: &str = include_str!("openapi.json");

pub use schema::Invalid;

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

/// How an operation pages, from its `x-pagination` (validated by the code
/// generator before the document was written).
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
    fn read(value: &Value) -> Option<Pagination> {
        let text = |key: &str| value.get(key).and_then(Value::as_str);
        let number = |key: &str| value.get(key).and_then(Value::as_u64);
        let path = |text: &str| text.split('.').map(str::to_string).collect::<Vec<_>>();
        let place = |text: &str| match text.strip_prefix("body.") {
            Some(fields) => Place::Body(path(fields)),
            None => Place::Query(text.to_string()),
        };
        let offsets = text("kind")? == "offset";
        let max_size = number("max_size")?;
        Some(Pagination {
            offsets,
            first: number("first").unwrap_or(u64::from(!offsets)),
            min_size: number("min_size").unwrap_or(1),
            max_size,
            default_size: number("default_size").unwrap_or(max_size),
            max_pages: number("max_pages"),
            position: place(text("position")?),
            size: place(text("size")?),
            items: path(text("items")?),
            total: text("total").map(path),
            id: text("id").map(str::to_string),
            offset_aligned: value.get("offset_aligned").and_then(Value::as_bool) == Some(true),
        })
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
    /// Whether sending it twice does what sending it once does: by its
    /// method (GET, HEAD, PUT, DELETE, OPTIONS), or as its `x-idempotent`
    /// says. The client retries other operations only when the service
    /// certainly did not process them.
    pub idempotent: bool,
    /// How it pages, if it does (`x-pagination`).
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

/// HTTP methods an OpenAPI path item can hold.
const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

impl Catalogue {
    /// The spec the client crate was generated from; read once.
    pub fn bundled() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            // The document is written by codegen after it validated it, and
            // checked for drift in CI: failing to read it is a build defect.
            Catalogue::from_json(OPENAPI)
                .expect("the bundled spec written by `cargo xtask codegen` is readable")
        })
    }

    /// Reads a bundled OpenAPI 3.0 document.
    pub fn from_json(text: &str) -> Result<Catalogue, String> {
        let document: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut catalogue = Catalogue {
            document,
            operations: Vec::new(),
        };
        let paths = catalogue
            .document
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("the document has no `paths`")?;
        let mut operations = Vec::new();
        for (path, item) in paths {
            let item = catalogue.resolve(item);
            let shared = item.get("parameters").cloned().unwrap_or(Value::Null);
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    operations.push(catalogue.operation(path, method, &shared, op)?);
                }
            }
        }
        catalogue.operations = operations;
        Ok(catalogue)
    }

    fn operation(
        &self,
        path: &str,
        method: &str,
        shared: &Value,
        op: &Value,
    ) -> Result<Operation, String> {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{method} {path} has no operationId"))?
            .to_string();
        let mut params: Vec<Param> = Vec::new();
        for list in [shared, op.get("parameters").unwrap_or(&Value::Null)] {
            for param in list.as_array().into_iter().flatten() {
                let param = self.param(self.resolve(param))?;
                // An operation's parameter overrides the path item's.
                params.retain(|p| !(p.name == param.name && p.location == param.location));
                params.push(param);
            }
        }
        let segments = path
            .trim_start_matches('/')
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_string()),
                    None => Segment::Literal(s.to_string()),
                },
            )
            .collect();
        Ok(Operation {
            command: kebab(&id),
            id,
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            summary: text(op, "summary"),
            description: text(op, "description"),
            params,
            body: op
                .get("requestBody")
                .and_then(|b| self.body(self.resolve(b))),
            success: self.success(op),
            idempotent: op
                .get("x-idempotent")
                .and_then(Value::as_bool)
                .unwrap_or(matches!(
                    method,
                    "get" | "head" | "put" | "delete" | "options"
                )),
            pagination: op.get("x-pagination").and_then(Pagination::read),
            segments,
        })
    }

    fn param(&self, param: &Value) -> Result<Param, String> {
        let name = text(param, "name").ok_or("a parameter has no name")?;
        let location = match param.get("in").and_then(Value::as_str) {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            Some("header") => Location::Header,
            other => return Err(format!("parameter `{name}` is in {other:?}")),
        };
        Ok(Param {
            location,
            required: location == Location::Path
                || param.get("required").and_then(Value::as_bool) == Some(true),
            schema: param.get("schema").cloned().unwrap_or(Value::Null),
            description: text(param, "description"),
            name,
        })
    }

    fn body(&self, body: &Value) -> Option<Body> {
        let (content_type, media) = body.get("content")?.as_object()?.iter().next()?;
        Some(Body {
            content_type: content_type.clone(),
            required: body.get("required").and_then(Value::as_bool) == Some(true),
            schema: media.get("schema").cloned().unwrap_or(Value::Null),
        })
    }

    fn success(&self, op: &Value) -> Option<Success> {
        let responses = op.get("responses")?.as_object()?;
        let (status, response) = responses
            .iter()
            .find(|(status, _)| status.starts_with('2'))?;
        let status = status.parse().unwrap_or(200);
        let response = self.resolve(response);
        let media = response
            .get("content")
            .and_then(Value::as_object)
            .and_then(|c| c.iter().next());
        Some(Success {
            status,
            content_type: media.map(|(c, _)| c.clone()),
            schema: media.and_then(|(_, m)| m.get("schema").cloned()),
            example: media.and_then(|(_, m)| m.get("example").cloned()),
        })
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

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
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

/// `ShowIpdIssueDetailV2` → `show-ipd-issue-detail-v2`.
pub fn kebab(id: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = id.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_ascii_uppercase()
            && (chars[i - 1].is_ascii_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(char::is_ascii_lowercase)
                    && chars[i - 1].is_ascii_uppercase());
        if boundary {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_names() {
        assert_eq!(kebab("ShowIpdIssueDetailV2"), "show-ipd-issue-detail-v2");
        assert_eq!(kebab("ListIpdLabels"), "list-ipd-labels");
        assert_eq!(kebab("GetHTTPThing"), "get-http-thing");
    }

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

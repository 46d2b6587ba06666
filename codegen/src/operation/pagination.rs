//! The `x-pagination` extension of an operation: where its page position
//! and size go, and where the answer says which items it holds and how
//! many there are in all. Validated against the operation's parameters,
//! body and answer, each problem located; rendered into the runtime's
//! `Pages` (`render`).
//!
//! ```yaml
//! x-pagination:
//!   kind: page            # page numbers (`page`) or item offsets (`offset`)
//!   position: page_no     # a query parameter, or `body.<field>[.<field>]`
//!   size: page_size       # likewise
//!   first: 1              # the first position (default 1 for pages, 0 for offsets)
//!   min_size: 1           # the smallest page size the operation takes (default 1)
//!   max_size: 200         # the largest (required)
//!   default_size: 20      # what the paginator asks for by default (default max_size)
//!   max_pages: 10000      # the last page number the operation serves, if documented
//!   items: result.issues  # where a page's items are in the answer (an array)
//!   total: result.total   # where the total number of items is, if the answer says
//!   id: id                # the field of an item that identifies it, if it has one
//!   offset_aligned: true  # the offset must be a multiple of the size (default false)
//! ```

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;

use super::model::{Body, BodyKind, Param, ParamLocation, ResponseKind, Scalar};
use crate::document::resolve;
use crate::error::SpecError;

/// The extension's name.
pub const EXTENSION: &str = "x-pagination";

/// How an operation pages, resolved.
pub struct Pagination {
    pub offsets: bool,
    pub first: u64,
    pub min_size: u64,
    pub max_size: u64,
    pub default_size: u64,
    pub max_pages: Option<u64>,
    pub position: Place,
    pub size: Place,
    /// Field names from the answer's root to the items.
    pub items: Vec<String>,
    /// Field names from the answer's root to the total.
    pub total: Option<Vec<String>>,
    /// The item field that identifies an item.
    pub id: Option<String>,
    /// Whether an offset must be a multiple of the page size.
    pub offset_aligned: bool,
}

/// Where a page position or size goes.
pub enum Place {
    /// A query parameter, by its spec name.
    Query(String),
    /// A field of the JSON body (one or two levels deep), by name.
    Body(Vec<String>),
}

const KEYS: &[&str] = &[
    "kind",
    "position",
    "size",
    "first",
    "min_size",
    "max_size",
    "default_size",
    "max_pages",
    "items",
    "total",
    "id",
    "offset_aligned",
];

/// Reads and checks an operation's `x-pagination`, if it has one.
/// `pointer` is the operation's.
pub fn read(
    api: &OpenAPI,
    op: &openapiv3::Operation,
    params: &[Param],
    body: Option<&Body>,
    success: &ResponseKind,
    pointer: &str,
) -> Result<Option<Pagination>, SpecError> {
    let Some(raw) = op.extensions.get(EXTENSION) else {
        return Ok(None);
    };
    let here = format!("{pointer}/{EXTENSION}");
    let at = |key: &str| format!("{here}/{key}");
    let Some(map) = raw.as_object() else {
        return Err(SpecError::at(
            here,
            "must be an object (see the codegen docs for its keys)".into(),
        ));
    };
    if let Some(unknown) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(SpecError::at(
            at(unknown),
            format!("unknown key `{unknown}`; the keys are {}", KEYS.join(", ")),
        ));
    }
    let text = |key: &str| -> Result<Option<&str>, SpecError> {
        match map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
            Some(_) => Err(SpecError::at(at(key), "must be a non-empty string".into())),
        }
    };
    let number = |key: &str| -> Result<Option<u64>, SpecError> {
        match map.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| SpecError::at(at(key), "must be a whole number".into())),
        }
    };
    fn required<'v>(here: &str, key: &str, value: Option<&'v str>) -> Result<&'v str, SpecError> {
        value.ok_or_else(|| SpecError::at(here.to_string(), format!("`{key}` is required")))
    }
    let offsets = match required(&here, "kind", text("kind")?)? {
        "page" => false,
        "offset" => true,
        other => {
            return Err(SpecError::at(
                at("kind"),
                format!(
                    "`{other}` is not a kind: `page` (page numbers) or `offset` (item offsets)"
                ),
            ));
        }
    };
    let position = place(
        api,
        params,
        body,
        required(&here, "position", text("position")?)?,
        &at("position"),
    )?;
    let size = place(
        api,
        params,
        body,
        required(&here, "size", text("size")?)?,
        &at("size"),
    )?;
    let max_size = number("max_size")?.ok_or_else(|| {
        SpecError::at(
            here.clone(),
            "`max_size` is required: the largest page the operation serves".into(),
        )
    })?;
    let min_size = number("min_size")?.unwrap_or(1);
    if min_size == 0 || min_size > max_size {
        return Err(SpecError::at(
            at("min_size"),
            format!("the page sizes {min_size} to {max_size} are not a range"),
        ));
    }
    let default_size = number("default_size")?.unwrap_or(max_size);
    if !(min_size..=max_size).contains(&default_size) {
        return Err(SpecError::at(
            at("default_size"),
            format!("{default_size} is not within the page sizes {min_size} to {max_size}"),
        ));
    }
    let offset_aligned = match map.get("offset_aligned") {
        Some(Value::Bool(aligned)) => *aligned,
        None => false,
        Some(_) => {
            return Err(SpecError::at(
                at("offset_aligned"),
                "must be `true` or `false`".into(),
            ));
        }
    };
    let ResponseKind::Json(answer) = success else {
        return Err(SpecError::at(
            here,
            "a paged operation must answer JSON".into(),
        ));
    };
    let items = path(required(&here, "items", text("items")?)?);
    check_answer_path(api, answer, &items, true, &at("items"))?;
    let total = match text("total")? {
        Some(t) => {
            let total = path(t);
            check_answer_path(api, answer, &total, false, &at("total"))?;
            Some(total)
        }
        None => None,
    };
    let id = match text("id")? {
        Some(id) => {
            check_item_id(api, answer, &items, id, &at("id"))?;
            Some(id.to_string())
        }
        None => None,
    };
    Ok(Some(Pagination {
        id,
        offset_aligned,
        offsets,
        first: number("first")?.unwrap_or(u64::from(!offsets)),
        min_size,
        max_size,
        default_size,
        max_pages: number("max_pages")?,
        position,
        size,
        items,
        total,
    }))
}

/// The items (at `items` in the answer) are objects with a string or
/// integer field `id`.
fn check_item_id(
    api: &OpenAPI,
    answer: &str,
    items: &[String],
    id: &str,
    pointer: &str,
) -> Result<(), SpecError> {
    let mut schema = component_of_type(api, answer);
    for field in items {
        schema = schema
            .and_then(|s| object_of(api, s))
            .and_then(|(properties, _)| property(api, properties, field));
    }
    let item = schema.and_then(|s| match &s.schema_kind {
        SchemaKind::Type(Type::Array(array)) => array.items.as_ref().and_then(|i| match i {
            ReferenceOr::Reference { reference } => {
                component(api, reference.trim_start_matches("#/components/schemas/"))
            }
            ReferenceOr::Item(item) => Some(&**item),
        }),
        _ => None,
    });
    let field = item
        .and_then(|s| object_of(api, s))
        .and_then(|(properties, _)| property(api, properties, id));
    let scalar = field.is_some_and(|f| {
        is_integer(api, f)
            || matches!(&f.schema_kind, SchemaKind::Type(Type::String(_)))
            || matches!(&f.schema_kind, SchemaKind::AllOf { all_of } if all_of.len() == 1
                && resolve(api, &all_of[0]).is_ok_and(|s| matches!(&s.schema_kind, SchemaKind::Type(Type::String(_)))))
    });
    if scalar {
        Ok(())
    } else {
        Err(SpecError::at(
            pointer.into(),
            format!("`{id}` is not a string or integer field of the items"),
        ))
    }
}

fn path(text: &str) -> Vec<String> {
    text.split('.').map(str::to_string).collect()
}

/// A position or size: a query parameter of an integer or string type, or
/// an integer field of the JSON object body at most two levels down, whose
/// parent (if any) has no required fields (so it can be made empty).
fn place(
    api: &OpenAPI,
    params: &[Param],
    body: Option<&Body>,
    text: &str,
    pointer: &str,
) -> Result<Place, SpecError> {
    if let Some(fields) = text.strip_prefix("body.") {
        let fields = path(fields);
        let Some(Body {
            kind: BodyKind::Json(name),
            ..
        }) = body
        else {
            return Err(SpecError::at(
                pointer.into(),
                format!("`{text}`: the operation has no JSON body"),
            ));
        };
        if fields.len() > 2 || fields.iter().any(String::is_empty) {
            return Err(SpecError::at(
                pointer.into(),
                format!("`{text}`: a body place is `body.<field>` or `body.<field>.<field>`"),
            ));
        }
        let mut schema = component_of_type(api, name);
        for (i, field) in fields.iter().enumerate() {
            let object = schema.and_then(|s| object_of(api, s));
            let Some((properties, required)) = object else {
                return Err(SpecError::at(
                    pointer.into(),
                    format!("`{text}`: `{field}`'s parent is not an object"),
                ));
            };
            if i > 0 && !required.is_empty() {
                return Err(SpecError::at(
                    pointer.into(),
                    format!(
                        "`{text}`: the object holding `{field}` has required fields, so a paginator cannot make one"
                    ),
                ));
            }
            schema = property(api, properties, field);
            if schema.is_none() {
                return Err(SpecError::at(
                    pointer.into(),
                    format!("`{text}`: there is no field `{field}`"),
                ));
            }
        }
        if !schema.is_some_and(|s| is_integer(api, s)) {
            return Err(SpecError::at(
                pointer.into(),
                format!("`{text}` is not an integer field"),
            ));
        }
        return Ok(Place::Body(fields));
    }
    match params.iter().find(|p| p.name == text) {
        Some(p) if p.location == ParamLocation::Query => match p.ty {
            Scalar::I32 | Scalar::I64 | Scalar::Str => Ok(Place::Query(text.to_string())),
            _ => Err(SpecError::at(
                pointer.into(),
                format!("query parameter `{text}` is not an integer or a string"),
            )),
        },
        Some(_) => Err(SpecError::at(
            pointer.into(),
            format!("parameter `{text}` is not a query parameter"),
        )),
        None => Err(SpecError::at(
            pointer.into(),
            format!(
                "`{text}` names no query parameter of the operation (a body field is `body.<field>`)"
            ),
        )),
    }
}

/// The schema of an object's property `field`, through its `$ref`.
fn property<'a>(
    api: &'a OpenAPI,
    properties: &'a indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
    field: &str,
) -> Option<&'a Schema> {
    properties.get(field).and_then(|p| match p {
        ReferenceOr::Reference { reference } => {
            component(api, reference.trim_start_matches("#/components/schemas/"))
        }
        ReferenceOr::Item(item) => Some(&**item),
    })
}

fn component<'a>(api: &'a OpenAPI, name: &str) -> Option<&'a Schema> {
    let schema = api.components.as_ref()?.schemas.get(name)?;
    resolve(api, schema).ok()
}

/// The component schema whose Rust type is `rust` (the operation model
/// names bodies and answers by their types).
fn component_of_type<'a>(api: &'a OpenAPI, rust: &str) -> Option<&'a Schema> {
    let (_, schema) = api
        .components
        .as_ref()?
        .schemas
        .iter()
        .find(|(name, _)| crate::naming::type_name(name) == rust)?;
    resolve(api, schema).ok()
}

/// An object schema's properties.
type Properties = indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>;

/// The properties and required names of an object schema, through a
/// single `allOf` and `$ref`s.
fn object_of<'a>(api: &'a OpenAPI, schema: &'a Schema) -> Option<(&'a Properties, &'a [String])> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => Some((&object.properties, &object.required)),
        SchemaKind::AllOf { all_of } if all_of.len() == 1 => {
            object_of(api, resolve(api, &all_of[0]).ok()?)
        }
        _ => None,
    }
}

fn is_integer(api: &OpenAPI, schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(_)) => true,
        SchemaKind::AllOf { all_of } if all_of.len() == 1 => {
            resolve(api, &all_of[0]).is_ok_and(|s| is_integer(api, s))
        }
        _ => false,
    }
}

/// The answer (component `answer`) has an array (`list`) or an integer at
/// `fields`.
fn check_answer_path(
    api: &OpenAPI,
    answer: &str,
    fields: &[String],
    list: bool,
    pointer: &str,
) -> Result<(), SpecError> {
    let shown = fields.join(".");
    let mut schema = component_of_type(api, answer);
    for field in fields {
        let Some((properties, _)) = schema.and_then(|s| object_of(api, s)) else {
            return Err(SpecError::at(
                pointer.into(),
                format!("`{shown}`: `{field}`'s parent in the answer is not an object"),
            ));
        };
        schema = property(api, properties, field);
        if schema.is_none() {
            return Err(SpecError::at(
                pointer.into(),
                format!("`{shown}`: the answer has no field `{field}`"),
            ));
        }
    }
    let schema = schema.expect("checked above");
    let fits = if list {
        matches!(&schema.schema_kind, SchemaKind::Type(Type::Array(_)))
    } else {
        is_integer(api, schema)
    };
    if fits {
        Ok(())
    } else {
        Err(SpecError::at(
            pointer.into(),
            format!(
                "`{shown}` in the answer is not {}",
                if list { "an array" } else { "an integer" }
            ),
        ))
    }
}

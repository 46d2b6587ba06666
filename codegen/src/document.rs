//! Reading an OpenAPI document: following `$ref`s, naming places in it
//! with JSON pointers, and comparing content types.

use openapiv3::{OpenAPI, ReferenceOr};

/// The content type of the bodies progenitor cannot generate.
pub const MULTIPART: &str = "multipart/form-data";

/// Component kinds a `$ref` can point at, and where they live.
pub trait Component: Sized {
    /// The pointer prefix of this kind, `#/components/<section>/`.
    const PREFIX: &'static str;
    /// The section of `components` holding this kind.
    fn section(
        components: &openapiv3::Components,
    ) -> &indexmap::IndexMap<String, ReferenceOr<Self>>;
}

macro_rules! component {
    ($ty:ty, $section:ident) => {
        impl Component for $ty {
            const PREFIX: &'static str = concat!("#/components/", stringify!($section), "/");
            fn section(
                c: &openapiv3::Components,
            ) -> &indexmap::IndexMap<String, ReferenceOr<Self>> {
                &c.$section
            }
        }
    };
}

component!(openapiv3::Schema, schemas);
component!(openapiv3::Parameter, parameters);
component!(openapiv3::RequestBody, request_bodies);
component!(openapiv3::Response, responses);

/// Follows a local `$ref` (and `$ref`s to `$ref`s) to the item it names.
pub fn resolve<'a, T: Component>(
    api: &'a OpenAPI,
    item: &'a ReferenceOr<T>,
) -> Result<&'a T, String> {
    let mut item = item;
    for _ in 0..32 {
        match item {
            ReferenceOr::Item(found) => return Ok(found),
            ReferenceOr::Reference { reference } => {
                item = reference
                    .strip_prefix(T::PREFIX)
                    .and_then(|name| T::section(api.components.as_ref()?).get(name))
                    .ok_or_else(|| {
                        format!(
                            "`{reference}` must point into {}",
                            T::PREFIX.trim_end_matches('/')
                        )
                    })?;
            }
        }
    }
    Err("`$ref`s nest too deep (a cycle?)".into())
}

/// `multipart/form-data; boundary=x` -> `multipart/form-data`, lower case.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether a content type is JSON: `application/json` or `*/*+json`,
/// with any parameters.
pub fn is_json(content_type: &str) -> bool {
    let essence = essence(content_type);
    essence == "application/json" || essence.ends_with("+json")
}

/// Appends one JSON pointer reference token (RFC 6901).
pub fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&escape_token(token));
}

pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The component schemas a schema (as JSON) names through `$ref`.
pub fn schema_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref"
                    && let Some(name) = v
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    out.push(name.to_string());
                }
                schema_refs(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| schema_refs(v, out)),
        _ => {}
    }
}

//! What generated models are made of beyond serde: their builders' slots
//! and errors, the unknown values of string enums, and lists the service
//! may send as a single item.
//!
//! Generated code keeps only the shape of each model (a builder field per
//! field, an accessor per field, a variant per enum value); the logic
//! lives here once, so thousands of setters cost one generic each.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IntoDeserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Why a model's builder could not build it. Operation builders report it
/// from `send()` as [`ApiError::MissingParameter`] or
/// [`ApiError::InvalidParameter`], before anything is sent.
///
/// [`ApiError::MissingParameter`]: crate::ApiError::MissingParameter
/// [`ApiError::InvalidParameter`]: crate::ApiError::InvalidParameter
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// A required field was not set.
    #[error("{model}: the required field `{field}` was not set")]
    Missing {
        /// The model, by its Rust name.
        model: &'static str,
        /// The field, by its name in the service's JSON.
        field: &'static str,
    },
    /// A value given to a setter could not become the field's type (it
    /// broke a documented constraint, or a nested builder failed).
    #[error("{model}: invalid `{field}`: {reason}")]
    Invalid {
        /// The model, by its Rust name.
        model: &'static str,
        /// The field, by its name in the service's JSON.
        field: &'static str,
        /// What was wrong with the value.
        reason: String,
    },
}

impl FieldError {
    /// The field, by its name in the service's JSON.
    pub fn field(&self) -> &'static str {
        match self {
            FieldError::Missing { field, .. } | FieldError::Invalid { field, .. } => field,
        }
    }

    /// The error an operation's `send()` reports for it.
    #[doc(hidden)]
    pub fn into_api_error(self, operation: &'static str) -> crate::ApiError {
        match self {
            FieldError::Missing { field, .. } => crate::ApiError::MissingParameter {
                operation,
                parameter: field,
            },
            FieldError::Invalid { field, reason, .. } => crate::ApiError::InvalidParameter {
                operation,
                parameter: field,
                reason,
            },
        }
    }
}

/// A body built by its builder, and the error `send()` reports if it could
/// not be built. For generated code.
#[doc(hidden)]
pub fn into_body<T>(
    built: Result<Option<T>, FieldError>,
    operation: &'static str,
) -> (Option<T>, Option<crate::ApiError>) {
    match built {
        Ok(body) => (body, None),
        Err(e) => (None, Some(e.into_api_error(operation))),
    }
}

/// One field of a builder: not set yet, set, or given a value that could
/// not be converted (reported when the builder builds). For generated
/// code.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub enum Slot<T> {
    /// Not set.
    #[default]
    Unset,
    /// Set to this value.
    Set(T),
    /// Given a value that failed its conversion, for this reason.
    Invalid(String),
}

impl<T> Slot<T> {
    /// The value a setter was given, converted.
    pub fn new<V>(value: V) -> Self
    where
        V: TryInto<T>,
        V::Error: fmt::Display,
    {
        match value.try_into() {
            Ok(value) => Slot::Set(value),
            Err(e) => Slot::Invalid(e.to_string()),
        }
    }

    /// Keeps a value that is already of the field's type.
    pub fn of(value: Option<T>) -> Self {
        value.map_or(Slot::Unset, Slot::Set)
    }

    /// The value, converted again (boxing, wrapping).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Slot<U> {
        match self {
            Slot::Unset => Slot::Unset,
            Slot::Set(value) => Slot::Set(f(value)),
            Slot::Invalid(reason) => Slot::Invalid(reason),
        }
    }

    /// The value if set and valid, for reading a builder back.
    pub fn get(&self) -> Option<&T> {
        match self {
            Slot::Set(value) => Some(value),
            _ => None,
        }
    }

    /// The value of a required field.
    pub fn required(self, model: &'static str, field: &'static str) -> Result<T, FieldError> {
        match self {
            Slot::Set(value) => Ok(value),
            Slot::Unset => Err(FieldError::Missing { model, field }),
            Slot::Invalid(reason) => Err(FieldError::Invalid {
                model,
                field,
                reason,
            }),
        }
    }

    /// The value of an optional field.
    pub fn optional(
        self,
        model: &'static str,
        field: &'static str,
    ) -> Result<Option<T>, FieldError> {
        match self {
            Slot::Set(value) => Ok(Some(value)),
            Slot::Unset => Ok(None),
            Slot::Invalid(reason) => Err(FieldError::Invalid {
                model,
                field,
                reason,
            }),
        }
    }

    /// The value of an operation's parameter, and the error `send()`
    /// reports if its conversion failed (in the order of the call's
    /// parameters: see `Call::problem`).
    pub fn into_param(
        self,
        operation: &'static str,
        parameter: &'static str,
    ) -> (Option<T>, Option<crate::ApiError>) {
        match self {
            Slot::Set(value) => (Some(value), None),
            Slot::Unset => (None, None),
            Slot::Invalid(reason) => (
                None,
                Some(crate::ApiError::InvalidParameter {
                    operation,
                    parameter,
                    reason,
                }),
            ),
        }
    }

    /// The value of a field with a default: the default when unset.
    pub fn or_else(
        self,
        model: &'static str,
        field: &'static str,
        default: impl FnOnce() -> T,
    ) -> Result<T, FieldError> {
        self.optional(model, field)
            .map(|v| v.unwrap_or_else(default))
    }
}

impl<T> Slot<Vec<T>> {
    /// A whole list, each item converted; the first item that fails makes
    /// the field invalid.
    pub fn list<I, V>(values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: TryInto<T>,
        V::Error: fmt::Display,
    {
        let mut items = Vec::new();
        for (i, value) in values.into_iter().enumerate() {
            match value.try_into() {
                Ok(item) => items.push(item),
                Err(e) => return Slot::Invalid(format!("item {i}: {e}")),
            }
        }
        Slot::Set(items)
    }
}

/// A value of a string enum that this version of the crate does not know.
///
/// - **In answers**, kept exactly as the service sent it, so that it
///   decodes and encodes again unchanged.
/// - **In requests**, a value newer than this crate is sent on purpose by
///   building it: `Priority::Unknown(UnknownVariant::new("超高"))`. A
///   string converted with `From<&str>` that matches no value (nor, ignoring
///   case, a value or a variant's name) is a typo, not a newer value: a
///   request holding one is refused before anything is sent, naming the
///   values the enum knows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownVariant {
    value: String,
    /// Converted from a string that matched nothing (else sent or received
    /// as it is).
    unrecognised: bool,
}

impl UnknownVariant {
    /// A value this crate does not know, to send as it is (a value the
    /// service added after this release).
    pub fn new(value: impl Into<String>) -> Self {
        UnknownVariant {
            value: value.into(),
            unrecognised: false,
        }
    }

    /// For generated enums' `From<&str>`: a string that matched no value.
    #[doc(hidden)]
    pub fn unrecognised(value: &str) -> Self {
        UnknownVariant {
            value: value.to_string(),
            unrecognised: true,
        }
    }

    /// The value, as the service sent it (or as given).
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Whether it came from a string that matched none of the enum's
    /// values: a request holding it is refused before sending.
    pub fn is_unrecognised(&self) -> bool {
        self.unrecognised
    }
}

/// A generated enum's conversion from the exact value the service sends,
/// for decoding answers (unknown values kept, not refused). For generated
/// code.
#[doc(hidden)]
pub trait FromWire {
    /// The variant of this exact value, else `Unknown`.
    fn from_wire(value: &str) -> Self;
}

/// The error a request gets for a string that named none of an enum's
/// values (see [`UnknownVariant`]). For generated enums' `Serialize`.
#[doc(hidden)]
pub fn unrecognised_value<E: serde::ser::Error>(
    enum_name: &str,
    value: &str,
    values: &[&str],
) -> E {
    E::custom(format!(
        "`{}` is not a value of {enum_name}: one of {} (or, ignoring case, their variant names); \
         to send a value newer than this crate, use {enum_name}::Unknown(UnknownVariant::new(..))",
        crate::error::printable(value),
        values.join(", ")
    ))
}

impl fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

/// Decodes a string enum from a JSON string, for generated enums'
/// `Deserialize`: every string is accepted, unknown ones kept.
#[doc(hidden)]
pub fn deserialize_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromWire,
{
    struct EnumVisitor<T>(PhantomData<T>);
    impl<T: FromWire> Visitor<'_> for EnumVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from_wire(v))
        }
    }
    deserializer.deserialize_str(EnumVisitor(PhantomData))
}

/// A list that the service sends as a JSON array, or, as some of its
/// sources document, as its single item: both decode, and each encodes
/// again as it came. Fields marked `x-one-or-many: true` in the spec have
/// this type; it dereferences to a slice either way.
///
/// ```
/// # use codearts_req_runtime::OneOrMany;
/// let one: OneOrMany<u32> = serde_json::from_str("7").unwrap();
/// let many: OneOrMany<u32> = serde_json::from_str("[7, 8]").unwrap();
/// assert_eq!(one.as_slice(), &[7]);
/// assert_eq!(many.len(), 2);
/// assert_eq!(serde_json::to_string(&one).unwrap(), "7");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OneOrMany<T> {
    /// A single item, sent without an array.
    One(T),
    /// An array.
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    /// The items.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(item) => std::slice::from_ref(item),
            OneOrMany::Many(items) => items,
        }
    }

    /// The items, as a vector.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(item) => vec![item],
            OneOrMany::Many(items) => items,
        }
    }
}

impl<T> std::ops::Deref for OneOrMany<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(items: Vec<T>) -> Self {
        OneOrMany::Many(items)
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            OneOrMany::One(item) => item.serialize(serializer),
            OneOrMany::Many(items) => items.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOrManyVisitor(PhantomData))
    }
}

struct OneOrManyVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = OneOrMany<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array, or a single item")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(OneOrMany::One)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
    struct Item {
        id: String,
    }

    #[test]
    fn one_or_many_decodes_both_shapes_and_encodes_each_as_it_came() {
        for text in [r#"{"id":"a"}"#, r#"[{"id":"a"},{"id":"b"}]"#, "[]"] {
            let value: OneOrMany<Item> = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), text);
        }
        let one: OneOrMany<Item> = serde_json::from_str(r#"{"id":"a"}"#).unwrap();
        assert_eq!(one[0].id, "a");
        assert!(serde_json::from_str::<OneOrMany<Item>>("7").is_err());
    }

    #[test]
    fn slots_report_the_field_and_why() {
        let bad: Slot<u8> = Slot::new(300u32);
        let error = bad.required("Model", "count").unwrap_err();
        assert_eq!(error.field(), "count");
        assert!(
            error.to_string().starts_with("Model: invalid `count`: "),
            "{error}"
        );
        assert_eq!(
            Slot::<u8>::Unset.required("Model", "count"),
            Err(FieldError::Missing {
                model: "Model",
                field: "count"
            })
        );
        assert_eq!(Slot::<u8>::Unset.optional("M", "f"), Ok(None));
        let list: Slot<Vec<u8>> = Slot::list([1u32, 2, 300]);
        assert!(matches!(list, Slot::Invalid(ref r) if r.starts_with("item 2: ")));
    }
}

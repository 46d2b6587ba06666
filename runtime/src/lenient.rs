//! Integers the service may send as strings of digits.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An integer that decodes from a JSON number or from a JSON string of
/// digits, and encodes as a number.
///
/// The service documents fields such as `filesize` as integers but sends
/// `"filesize": "36449"`. Fields marked `x-accept-digit-string: true` in the
/// spec are generated with this type. It dereferences to the integer.
///
/// ```
/// # use codearts_req_runtime::LenientInt;
/// let a: LenientInt<i64> = serde_json::from_str("\"36449\"").unwrap();
/// let b: LenientInt<i64> = serde_json::from_str("36449").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(*a, 36449);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LenientInt<T>(pub T);

impl<T> LenientInt<T> {
    /// Returns the integer.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for LenientInt<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for LenientInt<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T: fmt::Display> fmt::Display for LenientInt<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Serialize> Serialize for LenientInt<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for LenientInt<T>
where
    T: FromStr + TryFrom<i64> + TryFrom<u64>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<T> Visitor<'_> for LenientVisitor<T>
where
    T: FromStr + TryFrom<i64> + TryFrom<u64>,
{
    type Value = LenientInt<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer, or a string of decimal digits")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::try_from(v)
            .map(LenientInt)
            .map_err(|_| E::custom(format!("{v} is out of range")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::try_from(v)
            .map(LenientInt)
            .map_err(|_| E::custom(format!("{v} is out of range")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let digits = v.strip_prefix('-').unwrap_or(v);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::invalid_value(de::Unexpected::Str(v), &self));
        }
        v.parse()
            .map(LenientInt)
            .map_err(|_| E::custom(format!("\"{v}\" is out of range")))
    }
}

//! Huawei Cloud's AK/SK request signing, `SDK-HMAC-SHA256` (and the derived
//! `V11-HMAC-SHA256`), as the official SDKs compute it.
//!
//! This module knows nothing of HTTP clients: it turns a method, a path, a
//! query, headers and a payload into a signature, so it can be tested
//! against the official SDK's vectors and reused by a verifier.

use std::time::SystemTime;

use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// The basic algorithm's name.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// The derived algorithm's name.
pub const DERIVED_ALGORITHM: &str = "V11-HMAC-SHA256";
/// Payload hash of a body that is not hashed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// SHA-256 of the empty string: the payload hash of an empty body.
pub const EMPTY_PAYLOAD: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// `X-Sdk-Date`: the signing time, `YYYYMMDDTHHMMSSZ` in UTC.
pub const SDK_DATE: &str = "x-sdk-date";
/// `X-Sdk-Content-Sha256`: the payload hash when it is not computed.
pub const CONTENT_SHA256: &str = "x-sdk-content-sha256";

/// Characters left as they are in canonical paths and queries.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What is known of a request's body when it is signed.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    /// No body.
    Empty,
    /// A body in memory, hashed unless `X-Sdk-Content-Sha256` says otherwise.
    Bytes(&'a [u8]),
    /// A streamed body, never read for signing.
    Unsigned,
}

/// A request as the signer sees it.
#[derive(Clone, Debug)]
pub struct SignableRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path as sent, percent-encoded or not.
    pub path: &'a str,
    /// Decoded query pairs, in any order.
    pub query: &'a [(String, String)],
    /// Headers present at signing time, `Host` and `X-Sdk-Date` included.
    pub headers: &'a HeaderMap,
    /// The body.
    pub payload: Payload<'a>,
}

/// Which key signs.
#[derive(Clone, Copy, Debug)]
pub enum Scheme<'a> {
    /// `SDK-HMAC-SHA256`, keyed with the secret key.
    Basic,
    /// `V11-HMAC-SHA256`, keyed with a key derived for a region and service.
    Derived {
        /// Region ID, such as `cn-north-4`.
        region: &'a str,
        /// Service name, such as `projectman`.
        service: &'a str,
    },
}

/// A signature and the intermediate strings, for debugging and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// Signed header names, `;`-separated.
    pub signed_headers: String,
    /// The hex signature.
    pub signature: String,
    /// The `Authorization` header value.
    pub authorization: String,
}

/// Adds the headers the official SDK adds before signing: `X-Sdk-Date`
/// (unless set), `Host`, and `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` when the
/// body is not hashed: a `Content-Type` that is neither JSON nor BSON, or a
/// body only known as a stream.
pub fn add_signing_headers(
    headers: &mut HeaderMap,
    host: &str,
    now: SystemTime,
    payload: Payload<'_>,
) -> Result<(), http::header::InvalidHeaderValue> {
    if !headers.contains_key(SDK_DATE) {
        headers.insert(SDK_DATE, HeaderValue::from_str(&format_date(now))?);
    }
    headers.insert(http::header::HOST, HeaderValue::from_str(host)?);
    let hashed_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| {
            let ct = ct.trim_start().to_ascii_lowercase();
            ct.starts_with("application/json") || ct.starts_with("application/bson")
        });
    if !hashed_type || matches!(payload, Payload::Unsigned) {
        headers.insert(CONTENT_SHA256, HeaderValue::from_static(UNSIGNED_PAYLOAD));
    }
    Ok(())
}

/// `YYYYMMDDTHHMMSSZ`, the `X-Sdk-Date` format.
pub fn format_date(now: SystemTime) -> String {
    let now = time::OffsetDateTime::from(now);
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    now.format(&format).unwrap_or_default()
}

/// Signs `request` with the access key `ak` and the secret key `sk`.
pub fn sign(request: &SignableRequest<'_>, ak: &str, sk: &str, scheme: Scheme<'_>) -> Signature {
    let (names, canonical_headers) = canonical_headers(request.headers);
    let signed_headers = names.join(";");
    let canonical_request = [
        request.method.to_ascii_uppercase(),
        canonical_uri(request.path),
        canonical_query(request.query),
        canonical_headers,
        signed_headers.clone(),
        payload_hash(request),
    ]
    .join("\n");
    let date = request
        .headers
        .get(SDK_DATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let hashed = hex::encode(Sha256::digest(canonical_request.as_bytes()));
    let (string_to_sign, key, credential) = match scheme {
        Scheme::Basic => (
            format!("{ALGORITHM}\n{date}\n{hashed}"),
            sk.to_string(),
            format!("{ALGORITHM} Access={ak}"),
        ),
        Scheme::Derived { region, service } => {
            let info = format!("{}/{region}/{service}", date.get(..8).unwrap_or(date));
            (
                format!("{DERIVED_ALGORITHM}\n{date}\n{info}\n{hashed}"),
                derive_key(ak, sk, &info),
                format!("{DERIVED_ALGORITHM} Credential={ak}/{info}"),
            )
        }
    };
    let signature = hex::encode(hmac(key.as_bytes(), string_to_sign.as_bytes()));
    let authorization =
        format!("{credential}, SignedHeaders={signed_headers}, Signature={signature}");
    Signature {
        canonical_request,
        string_to_sign,
        signed_headers,
        signature,
        authorization,
    }
}

/// The derived signing key: hex of HKDF-SHA256(ikm = SK, salt = AK, info).
pub fn derive_key(ak: &str, sk: &str, info: &str) -> String {
    let mut okm = [0u8; 32];
    hkdf::Hkdf::<Sha256>::new(Some(ak.as_bytes()), sk.as_bytes())
        .expand(info.as_bytes(), &mut okm)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    hex::encode(okm)
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The path decoded, split on `/`, each segment encoded leaving only
/// `A-Za-z0-9-._~`, and always ending in `/`. Like the official SDK, it
/// decodes before splitting, so an encoded `/` (`%2F`) separates segments.
pub fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut uri = decoded
        .split('/')
        .map(|segment| utf8_percent_encode(segment, UNRESERVED).to_string())
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Pairs sorted by key then value (as decoded text, as the SDK sorts them),
/// then encoded like path segments. This is also the query string to send.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, UNRESERVED),
                utf8_percent_encode(v, UNRESERVED)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Whether a header takes part in the signature: the SDK skips names with `_`.
pub fn is_signed(name: &HeaderName) -> bool {
    !name.as_str().contains('_')
}

fn canonical_headers(headers: &HeaderMap) -> (Vec<String>, String) {
    let mut entries: Vec<(String, String)> = Vec::new();
    for name in headers.keys().filter(|n| is_signed(n)) {
        let value = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
            .collect::<Vec<_>>()
            .join(",");
        entries.push((name.as_str().to_string(), value));
    }
    entries.sort();
    let canonical = entries
        .iter()
        .map(|(n, v)| format!("{n}:{v}\n"))
        .collect::<String>();
    (entries.into_iter().map(|(n, _)| n).collect(), canonical)
}

fn payload_hash(request: &SignableRequest<'_>) -> String {
    match request.payload {
        Payload::Empty => EMPTY_PAYLOAD.to_string(),
        Payload::Bytes([]) => EMPTY_PAYLOAD.to_string(),
        _ => match request
            .headers
            .get(CONTENT_SHA256)
            .and_then(|v| v.to_str().ok())
        {
            Some(declared) => declared.to_string(),
            None => match request.payload {
                Payload::Bytes(body) => hex::encode(Sha256::digest(body)),
                _ => UNSIGNED_PAYLOAD.to_string(),
            },
        },
    }
}

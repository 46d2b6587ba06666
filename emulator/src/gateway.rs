//! Authentication as Huawei Cloud's API gateway checks it.
//!
//! This verifier is written from the gateway's rules (see `signing.md` in
//! the project's reference material), not from the client's signer: it
//! recomputes the signature from the request as received, from the headers
//! that `SignedHeaders` lists, so a client bug and a verifier bug do not
//! cancel out. The official Python SDK's requests pass it too (see
//! `tests/python/`).
//!
//! [`authenticate`] is the gateway as a middleware: it records the request
//! (for the tests), answers injected failures, and refuses what [`verify`]
//! refuses before any handler runs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// How far `X-Sdk-Date` may be from the server's clock.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` or `X-Auth-Token`.
    Missing,
    /// The header cannot be parsed, or lacks required parts.
    Malformed(String),
    /// The access key is not known.
    UnknownAccessKey,
    /// The signature does not match.
    BadSignature,
    /// `X-Sdk-Date` is missing, malformed or too far off.
    BadDate(String),
    /// The token is wrong.
    BadToken,
}

impl Refusal {
    /// The gateway's error message.
    pub fn message(&self) -> String {
        match self {
            Refusal::Missing => "Incorrect IAM authentication information: the request has no Authorization or X-Auth-Token header".into(),
            Refusal::Malformed(why) => format!("Incorrect IAM authentication information: malformed Authorization header ({why})"),
            Refusal::UnknownAccessKey => "Incorrect IAM authentication information: unknown access key".into(),
            Refusal::BadSignature => "Incorrect IAM authentication information: verify aksk signature fail".into(),
            Refusal::BadDate(why) => format!("Incorrect IAM authentication information: {why}"),
            Refusal::BadToken => "Incorrect IAM authentication information: the token is not valid".into(),
        }
    }
}

/// What the gateway knows of its callers.
#[derive(Clone, Debug)]
pub struct Keys {
    /// Accepted access key.
    pub access_key: String,
    /// Its secret key.
    pub secret_key: String,
    /// Accepted IAM token, if token authentication is on.
    pub token: Option<String>,
}

/// The parts of a request the signature covers, as received.
pub struct Received<'a> {
    /// Method.
    pub method: &'a str,
    /// Raw path, as on the request line.
    pub path: &'a str,
    /// Raw query string, without `?`.
    pub query: Option<&'a str>,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// SHA-256 hex of the body, when the body was read for it; `None` for an
    /// empty body.
    pub body_sha256: Option<String>,
}

/// Checks a request's authentication.
pub fn verify(keys: &Keys, request: &Received<'_>, now: SystemTime) -> Result<(), Refusal> {
    if let Some(token) = request.headers.get("x-auth-token") {
        return match &keys.token {
            Some(expected) if token.as_bytes() == expected.as_bytes() => Ok(()),
            _ => Err(Refusal::BadToken),
        };
    }
    let authorization = request
        .headers
        .get("authorization")
        .ok_or(Refusal::Missing)?
        .to_str()
        .map_err(|_| Refusal::Malformed("not ASCII".into()))?;
    let rest = authorization
        .strip_prefix("SDK-HMAC-SHA256 ")
        .ok_or_else(|| Refusal::Malformed("the algorithm is not SDK-HMAC-SHA256".into()))?;
    let (mut access, mut signed, mut signature) = (None, None, None);
    for item in rest.split(',') {
        match item.trim().split_once('=') {
            Some(("Access", v)) => access = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => return Err(Refusal::Malformed(format!("unexpected `{}`", item.trim()))),
        }
    }
    let access = access.ok_or_else(|| Refusal::Malformed("no Access".into()))?;
    let signed = signed.ok_or_else(|| Refusal::Malformed("no SignedHeaders".into()))?;
    let signature = signature.ok_or_else(|| Refusal::Malformed("no Signature".into()))?;
    if access != keys.access_key {
        return Err(Refusal::UnknownAccessKey);
    }
    let names: Vec<&str> = signed.split(';').collect();
    for required in ["host", "x-sdk-date"] {
        if !names.contains(&required) {
            return Err(Refusal::Malformed(format!(
                "SignedHeaders must include {required}"
            )));
        }
    }

    let date = header(request.headers, "x-sdk-date")
        .ok_or_else(|| Refusal::BadDate("no X-Sdk-Date".into()))?;
    check_date(&date, now)?;

    let mut canonical_headers = String::new();
    for name in &names {
        let values: Vec<String> = request
            .headers
            .get_all(*name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
            .collect();
        if values.is_empty() {
            return Err(Refusal::Malformed(format!(
                "signed header {name} is absent"
            )));
        }
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload = match (
        &request.body_sha256,
        header(request.headers, "x-sdk-content-sha256"),
    ) {
        (None, _) => hex::encode(Sha256::digest(b"")),
        (Some(_), Some(declared)) => declared,
        (Some(hash), None) => hash.clone(),
    };
    let canonical_request = [
        request.method.to_string(),
        canonical_path(request.path),
        canonical_query(request.query.unwrap_or("")),
        canonical_headers,
        signed.to_string(),
        payload,
    ]
    .join("\n");
    let string_to_sign = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(keys.secret_key.as_bytes())
        .map_err(|_| Refusal::BadSignature)?;
    mac.update(string_to_sign.as_bytes());
    let expected = hex::decode(signature).map_err(|_| Refusal::BadSignature)?;
    mac.verify_slice(&expected)
        .map_err(|_| Refusal::BadSignature)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(|s| s.trim().to_string())
}

fn check_date(date: &str, now: SystemTime) -> Result<(), Refusal> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = time::PrimitiveDateTime::parse(date, &format)
        .map_err(|_| Refusal::BadDate(format!("X-Sdk-Date `{date}` is not YYYYMMDDTHHMMSSZ")))?
        .assume_utc();
    let now = time::OffsetDateTime::from(now);
    let skew = (now - parsed).unsigned_abs();
    if skew > MAX_CLOCK_SKEW {
        return Err(Refusal::BadDate(format!(
            "X-Sdk-Date `{date}` is {} s from the server's clock (at most {} s allowed)",
            skew.as_secs(),
            MAX_CLOCK_SKEW.as_secs()
        )));
    }
    Ok(())
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// The received path decoded as a whole, then split and re-encoded.
fn canonical_path(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut joined = decoded.split('/').map(encode).collect::<Vec<_>>().join("/");
    if !joined.ends_with('/') {
        joined.push('/');
    }
    joined
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Largest JSON request body the gateway hashes for a signature check.
const MAX_SIGNED_BODY: usize = 1024 * 1024;

/// What the gateway middleware needs.
pub(crate) struct Gate {
    pub keys: Keys,
    /// The latest requests, for [`Emulator::recorded`](crate::Emulator::recorded).
    pub recording: crate::controls::Recording,
    /// Statuses to answer instead of handling the next requests.
    pub injected: Mutex<Vec<StatusCode>>,
    /// A body must bring 1 KiB in each such window (`crate::body`).
    pub body_idle_timeout: Duration,
    /// The host names answered for, lower-case (empty: any).
    pub hosts: Vec<String>,
}

/// Whether `Host` names one of `hosts` (any, if none is given).
fn host_allowed(hosts: &[String], headers: &axum::http::HeaderMap) -> bool {
    if hosts.is_empty() {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    // Without the port; an IPv6 literal keeps its brackets.
    let name = match host.rsplit_once(':') {
        Some((name, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && !name.ends_with(':') =>
        {
            name
        }
        _ => host,
    };
    hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Every response carries an `X-Request-Id`.
pub(crate) async fn request_id(request: Request, next: Next) -> Response {
    let id = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Records the request, answers injected statuses, and checks the
/// signature or token before the body is read (bodies with a hashed
/// payload are read, up to a bound, to hash them).
pub(crate) async fn authenticate(
    State(gate): State<Arc<Gate>>,
    request: Request,
    next: Next,
) -> Response {
    let entry = gate.recording.record(
        request.method(),
        request.uri().to_string(),
        request.headers(),
    );
    let injected = gate
        .injected
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop();
    if !host_allowed(&gate.hosts, request.headers()) {
        crate::body::drain(request.into_body(), gate.body_idle_timeout).await;
        return error(
            StatusCode::BAD_REQUEST,
            "APIGW.0101",
            "The API does not exist or has not been published in the environment.",
        );
    }
    if let Some(status) = injected {
        // A gateway refuses a request it has received; reading the body
        // first lets the client see the status, not a reset connection.
        crate::body::drain(request.into_body(), gate.body_idle_timeout).await;
        return error(status, "APIGW.0308", "Injected failure.");
    }
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(entry);
    let has_body = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "0")
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    let unsigned = parts
        .headers
        .get("x-sdk-content-sha256")
        .is_some_and(|v| v == "UNSIGNED-PAYLOAD");
    // A hashed body must be read to check the signature; it is kept and
    // handed on. Streamed (unsigned) bodies are not touched here.
    let (body, body_sha256) =
        if has_body && !unsigned && !parts.headers.contains_key("x-auth-token") {
            match crate::body::collect(body, gate.body_idle_timeout, MAX_SIGNED_BODY).await {
                Ok(bytes) if bytes.is_empty() => (Body::empty(), None),
                Ok(bytes) => {
                    let hash = hex::encode(Sha256::digest(&bytes));
                    (Body::from(bytes), Some(hash))
                }
                Err(crate::body::Collect::TooLarge) => {
                    return error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "APIGW.0201",
                        "Request body too large to sign.",
                    );
                }
                Err(crate::body::Collect::Incomplete(why)) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "APIGW.0201",
                        &format!("The request body is incomplete: {why}"),
                    );
                }
            }
        } else {
            (body, has_body.then(|| "unsigned".to_string()))
        };
    let received = Received {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body_sha256,
    };
    if let Err(refusal) = verify(&gate.keys, &received, SystemTime::now()) {
        return error(StatusCode::UNAUTHORIZED, "APIGW.0301", &refusal.message());
    }
    next.run(Request::from_parts(parts, body)).await
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    crate::reply::error(status, code, message)
}

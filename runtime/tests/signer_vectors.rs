//! The signer reproduces the official SDK's vectors byte for byte.
//!
//! `fixtures/signer-vectors.json` was computed by Huawei Cloud's official
//! Python SDK signer (huaweicloudsdkcore 3.1.219, `signer/signer.py`); it is
//! copied unchanged from the project's reference material.

use std::time::SystemTime;

use codearts_req_runtime::signer::{self, Payload, Scheme, SignableRequest};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = include_str!("fixtures/signer-vectors.json");
    serde_json::from_str(text).unwrap()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} missing"))
}

#[test]
fn every_vector_is_reproduced() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 5, "the fixture holds five vectors");
    for vector in &vectors {
        let name = str_of(vector, "name");
        let inputs = &vector["inputs"];
        let mut headers = HeaderMap::new();
        for (k, v) in inputs["headers_before_signing"].as_object().unwrap() {
            headers.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v.as_str().unwrap()).unwrap(),
            );
        }
        let body = inputs["body_utf8"].as_str().map(str::as_bytes);
        let payload = match body {
            None => Payload::Empty,
            Some(b) => Payload::Bytes(b),
        };
        // X-Sdk-Date is already set, so the clock is not read.
        signer::add_signing_headers(
            &mut headers,
            str_of(inputs, "host"),
            SystemTime::now(),
            payload,
        )
        .unwrap();
        let query: Vec<(String, String)> = inputs["query"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
            .collect();
        let scheme = match inputs.get("derived") {
            Some(d) => Scheme::Derived {
                region: str_of(d, "region"),
                service: str_of(d, "service"),
            },
            None => Scheme::Basic,
        };
        let signature = signer::sign(
            &SignableRequest {
                method: str_of(inputs, "method"),
                path: str_of(inputs, "path"),
                query: &query,
                headers: &headers,
                payload,
            },
            str_of(inputs, "ak"),
            str_of(inputs, "sk"),
            scheme,
        );
        assert_eq!(
            signature.canonical_request,
            str_of(vector, "canonical_request"),
            "{name}"
        );
        assert_eq!(
            signature.string_to_sign,
            str_of(vector, "string_to_sign"),
            "{name}"
        );
        assert_eq!(
            signature.authorization,
            str_of(vector, "authorization"),
            "{name}"
        );

        // The headers on the wire are exactly the SDK's.
        headers.insert(
            "authorization",
            HeaderValue::from_str(&signature.authorization).unwrap(),
        );
        let expected = vector["headers_after_signing"].as_object().unwrap();
        assert_eq!(headers.len(), expected.len(), "{name}: {headers:?}");
        for (k, v) in expected {
            assert_eq!(
                headers.get(k.as_str()).unwrap(),
                v.as_str().unwrap(),
                "{name}: {k}"
            );
        }

        // The query string sent is the canonical one.
        let canonical_query = signer::canonical_query(&query);
        let uri = if canonical_query.is_empty() {
            str_of(inputs, "path").to_string()
        } else {
            format!("{}?{canonical_query}", str_of(inputs, "path"))
        };
        assert_eq!(uri, str_of(vector, "uri_sent"), "{name}");

        if let Some(d) = inputs.get("derived") {
            let key = signer::derive_key(
                str_of(inputs, "ak"),
                str_of(inputs, "sk"),
                str_of(d, "info"),
            );
            assert_eq!(key, str_of(d, "derived_key_hex"), "{name}");
        }
    }
}

#[test]
fn authorization_round_trips_through_the_parser() {
    for vector in vectors() {
        let parsed =
            ipd_testkit_signature::parse_authorization(str_of(&vector, "authorization")).unwrap();
        assert_eq!(parsed.access_key, "HPUAEXAMPLEAK1234567");
        assert!(parsed.signed_headers.contains(&"x-sdk-date".to_string()));
        assert_eq!(parsed.signature.len(), 64);
    }
}

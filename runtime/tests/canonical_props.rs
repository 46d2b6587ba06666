//! Properties of canonicalisation that hold for any input.

use codearts_req_runtime::signer;
use proptest::prelude::*;

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

proptest! {
    #[test]
    fn canonical_paths_decode_to_the_original_and_use_only_safe_characters(segments in prop::collection::vec("\\PC{0,12}", 1..5)) {
        // Raw text without `/` or `%` (a `%` on the wire starts an escape);
        // non-empty, since an empty last segment is the trailing `/` the
        // canonical form always adds.
        let segments: Vec<String> = segments
            .into_iter()
            .map(|s| s.replace(['/', '%'], ""))
            .map(|s| if s.is_empty() { "x".into() } else { s })
            .collect();
        let path = format!("/{}", segments.join("/"));
        let canonical = signer::canonical_uri(&path);
        prop_assert!(canonical.ends_with('/'));
        prop_assert!(canonical.chars().all(|c| c.is_ascii_alphanumeric() || "-._~%/".contains(c)), "{}", canonical);
        // Encoding is idempotent: a path already in canonical form stays.
        prop_assert_eq!(signer::canonical_uri(canonical.trim_end_matches('/')), canonical.clone());
        let decoded: Vec<String> = canonical.trim_end_matches('/').split('/').map(decode).collect();
        prop_assert_eq!(decoded.join("/"), path);
    }

    #[test]
    fn canonical_queries_are_sorted_and_order_independent(mut pairs in prop::collection::vec(("\\PC{0,8}", "\\PC{0,8}"), 0..6)) {
        let canonical = signer::canonical_query(&pairs);
        pairs.reverse();
        prop_assert_eq!(signer::canonical_query(&pairs), canonical.clone());
        if !canonical.is_empty() {
            let decoded: Vec<(String, String)> = canonical
                .split('&')
                .map(|kv| { let (k, v) = kv.split_once('=').unwrap(); (decode(k), decode(v)) })
                .collect();
            let mut sorted = decoded.clone();
            sorted.sort();
            prop_assert_eq!(&decoded, &sorted);
            prop_assert_eq!(decoded.len(), pairs.len());
        }
        prop_assert!(!canonical.contains(' ') && !canonical.contains('+'));
    }

    #[test]
    fn header_order_does_not_change_the_signature(names in prop::collection::btree_set("[a-z][a-z0-9-]{0,10}", 1..6)) {
        let names: Vec<String> = names.into_iter().filter(|n| n != "host" && n != "x-sdk-date").collect();
        let build = |order: &[String]| {
            let mut headers = http::HeaderMap::new();
            headers.insert("x-sdk-date", "20240101T000000Z".parse().unwrap());
            headers.insert("host", "h".parse().unwrap());
            for name in order {
                headers.insert(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), " v ".parse().unwrap());
            }
            let request = signer::SignableRequest { method: "GET", path: "/a", query: &[], headers: &headers, payload: signer::Payload::Empty };
            signer::sign(&request, "AK", "SK", signer::Scheme::Basic)
        };
        let forward = build(&names);
        let mut reversed = names.clone();
        reversed.reverse();
        prop_assert_eq!(&forward, &build(&reversed));
        let listed: Vec<&str> = forward.signed_headers.split(';').collect();
        let mut sorted = listed.clone();
        sorted.sort();
        prop_assert_eq!(listed, sorted);
    }
}

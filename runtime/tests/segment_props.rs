//! A path parameter always reaches the server as exactly one segment: for
//! any string, what the server sees decodes back to exactly that string,
//! between the same neighbours; or the value is refused before sending.

use codearts_req_runtime::encode_segment;
use percent_encoding::percent_decode_str;
use proptest::prelude::*;

/// The segments the server sees, after the URL parser has normalised the
/// request target, decoded.
fn server_segments(encoded: &str) -> Vec<String> {
    let url = reqwest::Url::parse(&format!("http://h/v1/projects/{encoded}/issues")).unwrap();
    url.path_segments()
        .unwrap()
        .map(|s| percent_decode_str(s).decode_utf8().unwrap().into_owned())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_value_is_one_segment_or_refused(value in "\\PC{0,16}|[./\\\\%?#]{0,4}|.{0,8}") {
        match encode_segment(&value) {
            Ok(encoded) => prop_assert_eq!(
                server_segments(&encoded),
                vec!["v1".to_string(), "projects".to_string(), value.clone(), "issues".to_string()]
            ),
            Err(_) => prop_assert!(value.is_empty() || value == "." || value == ".."),
        }
    }
}

#[test]
fn the_dangerous_values_are_refused_or_encoded() {
    for refused in ["", ".", ".."] {
        assert!(encode_segment(refused).is_err(), "{refused:?}");
    }
    for (value, encoded) in [
        ("a/b", "a%2Fb"),
        ("a\\b", "a%5Cb"),
        ("%2e%2e", "%252e%252e"),
        ("x?y#z", "x%3Fy%23z"),
        ("...", "..."),
        ("\r\n", "%0D%0A"),
    ] {
        assert_eq!(encode_segment(value).unwrap(), encoded);
        assert_eq!(server_segments(encoded)[2], value);
    }
}

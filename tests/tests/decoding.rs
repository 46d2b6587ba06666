//! The generated models accept what the service really sends.
//!
//! `fixtures/responses/upload-*.json` are the API reference's example
//! bodies, verbatim.

use codearts_req::LenientInt;
use codearts_req::types::{
    AttachmentVo, CreateIpdProjectIssueAttachmentResponseBody, ErrorResponseBody,
};
use serde_json::json;

fn upload_200() -> CreateIpdProjectIssueAttachmentResponseBody {
    serde_json::from_str(include_str!("../fixtures/responses/upload-200.json")).unwrap()
}

#[test]
fn documented_success_example() {
    let body = upload_200();
    assert_eq!(
        body.status(),
        Some(&codearts_req::types::ResponseStatus::Success)
    );
    assert_eq!(body.message.as_deref(), Some(""));
    let result = body.result.unwrap();
    assert_eq!(result.len(), 1);
    let a = &result[0];
    assert_eq!(a.id.as_deref(), Some("1212813884362502144"));
    assert_eq!(a.filesize, Some(LenientInt(36449)));
    assert_eq!(a.created_date(), Some(1_767_086_963_022));
    assert_eq!(a.progress, Some(LenientInt(100)));
    assert_eq!(a.associate_type, None);
    assert_eq!(a.delete_flag, Some(false));
    let creator = a.created_by.as_ref().unwrap();
    assert_eq!(creator.user_num_id, Some(LenientInt(13369)));
    assert_eq!(creator.ccb_id, None);
    assert_eq!(creator.status, Some(LenientInt(1)));
}

#[test]
fn documented_error_example() {
    let body: ErrorResponseBody =
        serde_json::from_str(include_str!("../fixtures/responses/upload-400.json")).unwrap();
    assert_eq!(body.error_code.as_deref(), Some("PM.02175145"));
    assert_eq!(
        body.error_msg.as_deref(),
        Some("The work item has been deleted.")
    );
}

#[test]
fn integers_arrive_as_numbers_or_digit_strings() {
    for filesize in [json!("36449"), json!(36449)] {
        let a: AttachmentVo = serde_json::from_value(json!({ "filesize": filesize })).unwrap();
        assert_eq!(a.filesize.map(LenientInt::into_inner), Some(36449));
    }
    let big: AttachmentVo =
        serde_json::from_value(json!({ "filesize": "9007199254740993" })).unwrap();
    assert_eq!(*big.filesize.unwrap(), 9_007_199_254_740_993);
}

#[test]
fn non_digit_strings_are_rejected_with_the_field_named() {
    for bad in [json!("12a"), json!(""), json!("1.5"), json!(true)] {
        let err = serde_json::from_value::<AttachmentVo>(json!({ "filesize": bad.clone() }))
            .expect_err(&format!("{bad} accepted"));
        assert!(err.to_string().contains("integer"), "{err}");
    }
    let overflow = serde_json::from_value::<AttachmentVo>(json!({ "progress": "99999999999" }));
    assert!(overflow.is_err(), "i32 overflow accepted");
}

#[test]
fn every_field_may_be_null_or_missing() {
    let example: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/responses/upload-200.json")).unwrap();
    let mut all_null = serde_json::Map::new();
    for key in example["result"][0].as_object().unwrap().keys() {
        all_null.insert(key.clone(), serde_json::Value::Null);
    }
    assert_eq!(
        all_null.len(),
        21,
        "the example names every documented field"
    );
    let a: AttachmentVo = serde_json::from_value(all_null.into()).unwrap();
    assert_eq!(a, AttachmentVo::default());
    let empty: AttachmentVo = serde_json::from_value(json!({})).unwrap();
    assert_eq!(empty, AttachmentVo::default());
}

#[test]
fn result_may_be_null() {
    let body: CreateIpdProjectIssueAttachmentResponseBody =
        serde_json::from_value(json!({ "status": "success", "message": null, "result": null }))
            .unwrap();
    assert_eq!(body.result, None);
}

#[test]
fn unknown_fields_are_ignored() {
    let body: CreateIpdProjectIssueAttachmentResponseBody = serde_json::from_value(json!({
        "status": "success",
        "trace": { "nested": [1, 2] },
        "result": [{ "id": "1", "brand_new_field": "x", "created_by": { "user_id": "u", "extra": 1 } }]
    }))
    .unwrap();
    assert_eq!(body.result.unwrap()[0].id.as_deref(), Some("1"));
}

#[test]
fn digit_strings_encode_back_as_numbers() {
    let a: AttachmentVo = serde_json::from_value(json!({ "filesize": "7" })).unwrap();
    assert_eq!(serde_json::to_value(&a).unwrap(), json!({ "filesize": 7 }));
}

/// Decodes a documented example into its model and checks that every
/// field the example has survives a round trip: a field the spec forgot
/// would be dropped silently by serde.
fn decodes_without_loss<T: serde::de::DeserializeOwned + serde::Serialize>(json: &str) {
    let example: serde_json::Value = serde_json::from_str(json).unwrap();
    let decoded: T = serde_json::from_value(example.clone())
        .unwrap_or_else(|e| panic!("the example does not decode: {e}\n{json}"));
    let again = serde_json::to_value(&decoded).unwrap();
    let mut lost = Vec::new();
    missing_keys(&example, &again, "", &mut lost);
    assert!(lost.is_empty(), "the model drops {lost:?} of\n{json}");
}

fn missing_keys(
    example: &serde_json::Value,
    decoded: &serde_json::Value,
    at: &str,
    lost: &mut Vec<String>,
) {
    use serde_json::Value;
    match (example, decoded) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => missing_keys(value, other, &format!("{at}/{key}"), lost),
                    // A null comes back as an absent field.
                    None if value.is_null() => {}
                    None => lost.push(format!("{at}/{key}")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                missing_keys(x, y, &format!("{at}/{i}"), lost);
            }
        }
        _ => {}
    }
}

/// One test per response example of the spec, generated by `cargo xtask codegen`.
mod documented_examples {
    use super::decodes_without_loss;
    include!("../generated/examples.rs");
}

/// The round-trip check above can fail: a field the model lacks is caught.
#[test]
#[should_panic(expected = "the model drops")]
fn a_field_the_model_lacks_is_caught() {
    decodes_without_loss::<codearts_req::types::ErrorResponseBody>(
        r#"{"error_code": "X", "undocumented": 1}"#,
    );
}

/// Every known value of a string enum, and one it does not know, decode and
/// encode again unchanged; the unknown one is kept, not mapped to a known one.
fn keeps_every_value<T>(known: &[&str])
where
    T: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Display + for<'a> From<&'a str>,
{
    assert!(!known.is_empty());
    for value in known {
        let json = serde_json::to_string(value).unwrap();
        let decoded: T = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&decoded).unwrap(), json);
        assert_eq!(T::from(value).to_string(), *value);
    }
    let tomorrow = "a value documented tomorrow \u{1F680}";
    let json = serde_json::to_string(tomorrow).unwrap();
    let decoded: T = serde_json::from_str(&json).expect("an unknown value decodes");
    assert_eq!(
        serde_json::to_string(&decoded).unwrap(),
        json,
        "and encodes unchanged"
    );
    assert!(!known.contains(&decoded.to_string().as_str()));
}

/// One test per string enum of the spec, generated by `cargo xtask codegen`.
mod every_enum {
    use super::keeps_every_value;
    use codearts_req::types;
    include!("../generated/enums.rs");
}

/// Where the API reference and the official SDK document different shapes
/// for one answer, both decode (and encode again without losing a field).
mod documented_variants {
    use super::decodes_without_loss;
    use codearts_req::types::{
        BatchBaselineIpdIssuesResponseBody, BatchDeleteIpdIssueResponseBody,
        CreateIpdLabelResponseBody, ListIpdProjectFieldsResponseBody,
        ListIssueSprintSnapshotsResponseBody, UpdateIpdLabelResponseBody, UserIdOrUserVo,
    };

    fn both<T: serde::de::DeserializeOwned + serde::Serialize>(
        sdk: &str,
        reference: &str,
    ) -> (T, T) {
        decodes_without_loss::<T>(sdk);
        decodes_without_loss::<T>(reference);
        (
            serde_json::from_str(sdk).unwrap(),
            serde_json::from_str(reference).unwrap(),
        )
    }

    #[test]
    fn batch_delete_failures_as_objects_or_ids() {
        let (sdk, reference) = both::<BatchDeleteIpdIssueResponseBody>(
            r#"{"status":"success","message":"","result":[{"success":[{"id":"1135239465657217024","operator":"a360371833bf4c558f796fd707b44daf","state":"作废","operate_time":"1748591780337"}],"failed":[{"id":"1135239465657217025","operator":"a360371833bf4c558f796fd707b44daf","state":"正在工作","operate_time":"1748591780337"}],"undeleted_trees":[{"id":"1135239465657217026","operator":"a360371833bf4c558f796fd707b44daf","state":"正在工作","operate_time":"1748591780337"}]}]}"#,
            r#"{"status":"success","message":null,"result":[{"success":[{"id":"1135239465657217024"}],"failed":["1135239465657217025"],"undeleteIssueTrees":["1135239465657217026"],"success_num":1,"fail_num":1}]}"#,
        );
        assert_eq!(sdk.result()[0].failed().len(), 1);
        assert_eq!(
            sdk.result()[0].undeleted_trees()[0].id(),
            Some("1135239465657217026")
        );
        assert_eq!(reference.result()[0].failed().len(), 1);
        assert_eq!(reference.result()[0].success_num(), Some(1));
    }

    #[test]
    fn batch_baseline_result_as_a_list_or_one_object() {
        let (sdk, reference) = both::<BatchBaselineIpdIssuesResponseBody>(
            r#"{"status":"success","message":"","result":[{"success":[{"id":"1135239465657217024","modified_by":"a360371833bf4c558f796fd707b44daf","baseline":"baselined","operation_id":"1135239465657217099","modified_date":"1748591780337"}],"failed":[],"success_num":1,"fail_num":0}]}"#,
            r#"{"status":"success","message":"","result":{"success":[{"id":"1135239465657217024","modified_by":"a360371833bf4c558f796fd707b44daf","baseline":"baselined","operation_id":"1135239465657217099","modified_date":"1748591780337"}],"failed":[{"id":"1135239465657217025","number":"RR20250530487304","title":"demo","fail_message":"The work item is under review."}]}}"#,
        );
        assert_eq!(sdk.result().len(), 1);
        assert_eq!(reference.result().len(), 1);
        assert_eq!(
            reference.result()[0].failed()[0].fail_message(),
            Some("The work item is under review.")
        );
    }

    #[test]
    fn created_and_updated_labels_as_a_list_or_one_object() {
        let (reference, sdk) = both::<CreateIpdLabelResponseBody>(
            r##"{"status":"success","message":"","result":[{"id":"1030868827803529217","label_type":"requirement","category_types":["IR","SR"],"color":"#86CAFF","title":"demo"}]}"##,
            r##"{"status":"success","message":"","result":{"id":"1030868827803529217","category_types":["IR","SR"],"color":"#86CAFF","title":"demo"}}"##,
        );
        for body in [&reference, &sdk] {
            assert_eq!(body.result()[0].id(), Some("1030868827803529217"));
        }
        let (reference, sdk) = both::<UpdateIpdLabelResponseBody>(
            r##"{"status":"success","message":"","result":[{"label_type":"requirement","category_types":["IR"],"color":"#6DDEBB","title":"renamed"}]}"##,
            r##"{"status":"success","message":"","result":{"category_types":["IR"],"color":"#6DDEBB","title":"renamed"}}"##,
        );
        for body in [&reference, &sdk] {
            assert_eq!(body.result()[0].title(), Some("renamed"));
        }
    }

    #[test]
    fn snapshot_authors_as_ids_or_users() {
        let (reference, sdk) = both::<ListIssueSprintSnapshotsResponseBody>(
            r#"{"status":"success","message":null,"result":[{"id":"1135239465657217100","title":"IR v26.03.25.1","issue_id":"1135239465657217024","created_by":"a360371833bf4c558f796fd707b44daf","modified_by":"a360371833bf4c558f796fd707b44daf","created_date":"1748591780337","modified_date":"1748591780337","version_number":1,"deletable":true}]}"#,
            r#"{"status":"success","message":null,"result":[{"id":"1135239465657217100","title":"IR v26.03.25.1","issue_id":"1135239465657217024","created_by":{"user_id":"a360371833bf4c558f796fd707b44daf","user_num_id":4091,"user_name":"devcloud_devcloud_01","nick_name":"测试账号"},"modified_by":{"user_id":"a360371833bf4c558f796fd707b44daf","user_num_id":4091,"user_name":"devcloud_devcloud_01","nick_name":"测试账号"},"created_date":"1748591780337","modified_date":"1748591780337"}]}"#,
        );
        assert!(matches!(
            reference.result()[0].created_by(),
            Some(UserIdOrUserVo::String(_))
        ));
        assert!(matches!(
            sdk.result()[0].created_by(),
            Some(UserIdOrUserVo::UserVo(_))
        ));
        assert_eq!(sdk.result()[0].created_date(), Some(1_748_591_780_337));
    }

    #[test]
    fn snapshot_work_items_as_ids_or_work_items() {
        both::<ListIssueSprintSnapshotsResponseBody>(
            r#"{"status":"success","result":[{"id":"1135239465657217100","snapshot2workitem":{"IR":"1135239465657217024"}}]}"#,
            r#"{"status":"success","result":[{"id":"1135239465657217100","snapshot2workitem":{"IR":{"id":"1135239465657217024","title":"demo","category":"IR"}}}]}"#,
        );
    }

    #[test]
    fn field_creation_dates_as_numbers_or_digit_strings() {
        let body = |date: &str| {
            format!(
                r#"{{"status":"success","message":null,"result":{{"data":[{{"id":"1135239465657217200","code":"custom_field01","display_name":"Field 1","created_by":"devcloud_devcloud_01","created_date":{date},"definition_type":"5"}}],"total":1}}}}"#
            )
        };
        let (sdk, reference) = both::<ListIpdProjectFieldsResponseBody>(
            &body("1715305846000"),
            &body("\"1715305846000\""),
        );
        for b in [&sdk, &reference] {
            assert_eq!(
                b.result().unwrap().data()[0].created_date(),
                Some(1_715_305_846_000)
            );
        }
    }
}

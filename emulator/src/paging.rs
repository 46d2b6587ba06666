//! Paging as the service documents it, for every operation whose spec marks
//! it `x-pagination`: the page size within its documented range, the page
//! number within its limit, an offset that is a multiple of the size where
//! that is required (a 400 naming the parameter otherwise); and answers from
//! the spec cut to the page asked for, with their `total`. Stateful
//! handlers page their own data the same way. Nothing here knows any one
//! operation's names.

use std::collections::BTreeMap;

use ipd_catalogue::{Invalid, Pagination, Place};
use serde_json::Value;

/// The page a request asks for: its position and size, where given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Page {
    pub position: Option<u64>,
    pub size: Option<u64>,
}

fn read(
    place: &Place,
    query: &BTreeMap<String, String>,
    body: Option<&Value>,
) -> (String, Option<Value>) {
    match place {
        Place::Query(name) => (
            name.clone(),
            query.get(name).map(|v| Value::String(v.clone())),
        ),
        Place::Body(fields) => {
            let mut value = body;
            for field in fields {
                value = value.and_then(|v| v.get(field));
            }
            (
                format!("body.{}", fields.join(".")),
                value.filter(|v| !v.is_null()).cloned(),
            )
        }
    }
}

fn number(name: &str, value: Option<Value>) -> Result<Option<u64>, Invalid> {
    let Some(value) = value else { return Ok(None) };
    let n = match &value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.map(Some).ok_or_else(|| Invalid {
        field: name.to_string(),
        reason: format!("is {value}, which is not a whole number"),
    })
}

/// Checks the page a request asks for against the operation's paging.
pub(crate) fn check(
    paging: &Pagination,
    query: &BTreeMap<String, String>,
    body: Option<&Value>,
) -> Result<Page, Invalid> {
    let (size_name, size) = read(&paging.size, query, body);
    let size = number(&size_name, size)?;
    if let Some(size) = size
        && !(paging.min_size..=paging.max_size).contains(&size)
    {
        return Err(Invalid {
            field: size_name,
            reason: format!(
                "is {size}; pages hold {} to {} items",
                paging.min_size, paging.max_size
            ),
        });
    }
    let (position_name, position) = read(&paging.position, query, body);
    let position = number(&position_name, position)?;
    if let Some(position) = position {
        if position < paging.first {
            return Err(Invalid {
                field: position_name,
                reason: format!("is {position}; the first is {}", paging.first),
            });
        }
        if let Some(last) = paging.max_pages.filter(|_| !paging.offsets)
            && position > last
        {
            return Err(Invalid {
                field: position_name,
                reason: format!("is {position}; pages go up to {last}"),
            });
        }
        if paging.offsets && paging.offset_aligned && position % size.unwrap_or(1).max(1) != 0 {
            return Err(Invalid {
                field: position_name,
                reason: format!("is {position}, which is not a multiple of {size_name}"),
            });
        }
    }
    Ok(Page { position, size })
}

/// Cuts an answer from the spec to the page asked for, and sets its total
/// to the items it had.
pub(crate) fn cut(paging: &Pagination, page: Page, mut answer: Value) -> Value {
    let size = page.size.unwrap_or(paging.max_size).max(1) as usize;
    let position = page.position.unwrap_or(paging.first);
    let start = if paging.offsets {
        position as usize
    } else {
        (position.saturating_sub(paging.first) as usize).saturating_mul(size)
    };
    let mut items = &mut answer;
    for field in &paging.items {
        match items.get_mut(field) {
            Some(next) => items = next,
            None => return answer,
        }
    }
    let Some(list) = items.as_array_mut() else {
        return answer;
    };
    let count = list.len();
    let kept: Vec<Value> = list.drain(..).skip(start).take(size).collect();
    *list = kept;
    if let Some(total) = &paging.total {
        let (last, parents) = total.split_last().expect("a path of one name or more");
        let mut at = &mut answer;
        for field in parents {
            match at.get_mut(field) {
                Some(next) => at = next,
                None => return answer,
            }
        }
        if let Some(object) = at.as_object_mut() {
            object.insert(last.clone(), Value::from(count));
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paging(offsets: bool) -> Pagination {
        Pagination {
            offsets,
            first: u64::from(!offsets),
            min_size: 5,
            max_size: 200,
            default_size: 20,
            max_pages: Some(100),
            position: if offsets {
                Place::Query("offset".into())
            } else {
                Place::Body(vec!["page".into(), "page_no".into()])
            },
            size: if offsets {
                Place::Query("limit".into())
            } else {
                Place::Body(vec!["page".into(), "page_size".into()])
            },
            items: vec!["result".into(), "issues".into()],
            id: Some("id".into()),
            total: Some(vec!["result".into(), "total".into()]),
            offset_aligned: offsets,
        }
    }

    #[test]
    fn sizes_positions_and_offsets_are_checked_as_documented() {
        let body = |no: u64, size: u64| json!({"page": {"page_no": no, "page_size": size}});
        let p = paging(false);
        let none = BTreeMap::new();
        assert_eq!(
            check(&p, &none, Some(&body(2, 20))).unwrap(),
            Page {
                position: Some(2),
                size: Some(20)
            }
        );
        assert_eq!(
            check(&p, &none, Some(&body(1, 4))).unwrap_err().field,
            "body.page.page_size"
        );
        assert_eq!(
            check(&p, &none, Some(&body(101, 20))).unwrap_err().field,
            "body.page.page_no"
        );
        assert_eq!(
            check(&p, &none, Some(&body(0, 20))).unwrap_err().field,
            "body.page.page_no"
        );
        let q = paging(true);
        let query = |offset: &str, limit: &str| {
            BTreeMap::from([
                ("offset".to_string(), offset.to_string()),
                ("limit".to_string(), limit.to_string()),
            ])
        };
        assert!(check(&q, &query("40", "20"), None).is_ok());
        let error = check(&q, &query("30", "20"), None).unwrap_err();
        assert_eq!(error.field, "offset");
        assert!(error.reason.contains("multiple"), "{error}");
    }

    #[test]
    fn answers_from_the_spec_are_cut_to_the_page_with_their_total() {
        let answer = json!({"result": {"issues": [1, 2, 3, 4, 5, 6, 7], "total": 1}});
        let p = paging(false);
        let second = cut(
            &p,
            Page {
                position: Some(2),
                size: Some(5),
            },
            answer.clone(),
        );
        assert_eq!(second, json!({"result": {"issues": [6, 7], "total": 7}}));
        let q = paging(true);
        let at = cut(
            &q,
            Page {
                position: Some(5),
                size: Some(5),
            },
            answer,
        );
        assert_eq!(at["result"]["issues"], json!([6, 7]));
    }
}

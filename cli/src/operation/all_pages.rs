//! `ipd <operation> --all`: every page of a paged operation through the
//! library's paginator, streamed out as one JSON array.

use std::collections::BTreeMap;

use clap::ArgMatches;
use ipd_catalogue::{Catalogue, Operation};
use serde_json::Value;

use super::send;
use crate::{Connection, Failure};

/// `--all`: every page, through the library's paginator (its stopping
/// rules and guards), each item printed as it comes, as one JSON array:
/// only one page is ever held. A progress line goes to a terminal.
///
/// Nothing is written before the first page is in, so a call that fails
/// at once writes nothing and exits as it would without `--all` (a usage
/// error with 2). A failure after that closes the array, so stdout is
/// still valid JSON (the items so far), and exits non-zero with the error
/// on stderr.
pub(super) async fn all_pages(
    connection: &Connection,
    op: &'static Operation,
    paging: &'static ipd_catalogue::Pagination,
    values: BTreeMap<&'static str, String>,
    body: Option<Value>,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    use codearts_req_runtime::paginate::{PageKind, Paging, pages};
    use futures_util::StreamExt;
    use std::io::Write;

    let rules = Paging {
        kind: if paging.offsets {
            PageKind::Offset
        } else {
            PageKind::Number
        },
        first: paging.first,
        min_size: paging.min_size,
        max_size: paging.max_size,
        default_size: paging.default_size,
        max_pages: paging.max_pages,
    };
    let item_schema = op
        .success
        .as_ref()
        .and_then(|s| s.schema.as_ref())
        .and_then(|schema| Catalogue::bundled().schema_at(schema, &paging.items))
        .and_then(|list| list.get("items").cloned());
    // A failure before anything was sent (a usage error) keeps its own exit
    // status: the paginator's stream carries only `ApiError`s.
    let local = std::sync::Mutex::new(None::<Failure>);
    let fetch = |position: u64, size: u64| {
        let (mut values, mut body) = (values.clone(), body.clone());
        place(op, &paging.position, position, &mut values, &mut body);
        place(op, &paging.size, size, &mut values, &mut body);
        let local = &local;
        async move {
            let response = match send(connection, op, &values, body.as_ref(), None).await {
                Ok(response) => response,
                Err(failure) => {
                    let error =
                        codearts_req_runtime::ApiError::InvalidRequest(failure.message.clone());
                    *local.lock().unwrap_or_else(|e| e.into_inner()) = Some(failure);
                    return Err(error);
                }
            };
            match response.status() {
                200..=299 => response.json::<Value>().await.map(|r| r.into_inner()),
                status => Err(response.error((400..500).contains(&status)).await),
            }
        }
    };
    // The items: absent or null is an empty page; anything but a list is
    // the paginator's error.
    let items_at = items_reader(move |page| {
        let mut at = page;
        for field in &paging.items {
            at = at.get(field).unwrap_or(&Value::Null);
        }
        match at {
            Value::Null => Some(&[][..]),
            other => other.as_array().map(Vec::as_slice),
        }
    });
    let total_at = |page: &Value| {
        let mut at = page;
        for field in paging.total.iter().flatten() {
            at = at.get(field).unwrap_or(&Value::Null);
        }
        at.as_u64()
            .or_else(|| at.as_str().and_then(|s| s.parse().ok()))
    };
    let id_of = |item: &Value| {
        let id = item.get(paging.id.as_deref()?)?;
        id.as_str()
            .map(str::to_string)
            .or_else(|| id.is_number().then(|| id.to_string()))
    };
    // `--page-size`, ours or the size parameter's own flag.
    let size = matches
        .try_get_one::<u64>("page-size")
        .ok()
        .flatten()
        .copied()
        .or_else(|| match &paging.size {
            ipd_catalogue::Place::Query(name) => {
                values.get(name.as_str()).and_then(|v| v.parse().ok())
            }
            ipd_catalogue::Place::Body(_) => None,
        });
    let mut stream = std::pin::pin!(pages(rules, size, fetch, items_at, total_at, id_of));
    let progress = crate::progress_line();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = |e: std::io::Error| Failure::local(format!("cannot write the listing: {e}"));
    let (mut count, mut page_no) = (0u64, 0u64);
    let mut failed = None;
    while let Some(page) = stream.next().await {
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                let local = local.lock().unwrap_or_else(|e| e.into_inner()).take();
                failed = Some(local.unwrap_or_else(|| error.into()));
                break;
            }
        };
        if page_no == 0 {
            write!(out, "[").map_err(written)?;
        }
        page_no += 1;
        for item in items_at(&page).unwrap_or_default() {
            let item = match &item_schema {
                Some(schema) => Catalogue::bundled().normalise(schema, item),
                None => item.clone(),
            };
            let text = serde_json::to_string(&item).map_err(|e| e.to_string())?;
            let sep = if count == 0 { "\n" } else { ",\n" };
            write!(out, "{sep}{}", crate::output::escape_json_controls(&text)).map_err(written)?;
            count += 1;
        }
        out.flush().map_err(written)?;
        progress.set_message(format!("{count} items, {page_no} pages"));
    }
    progress.finish_and_clear();
    if page_no > 0 {
        writeln!(out, "{}]", if count == 0 { "" } else { "\n" }).map_err(written)?;
        out.flush().map_err(written)?;
    }
    match failed {
        Some(failure) if page_no > 0 => Err(Failure {
            status: failure.status,
            message: format!(
                "the listing stopped after {count} items on {page_no} pages (written as a complete JSON array): {}",
                failure.message
            ),
        }),
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

/// A closure reading a page's items, with the signature the paginator needs
/// (a closure's own would not tie the answer's lifetime to the page's).
fn items_reader<F: for<'p> Fn(&'p Value) -> Option<&'p [Value]>>(read: F) -> F {
    read
}

/// Sets a page position or size where the operation takes it.
fn place(
    op: &'static Operation,
    place: &ipd_catalogue::Place,
    value: u64,
    values: &mut BTreeMap<&'static str, String>,
    body: &mut Option<Value>,
) {
    match place {
        ipd_catalogue::Place::Query(name) => {
            if let Some(param) = op.params.iter().find(|p| &p.name == name) {
                values.insert(param.name.as_str(), value.to_string());
            }
        }
        ipd_catalogue::Place::Body(fields) => {
            let mut at = body.get_or_insert_with(|| Value::Object(Default::default()));
            for field in &fields[..fields.len() - 1] {
                if !at.get(field).is_some_and(Value::is_object) {
                    at[field.as_str()] = Value::Object(Default::default());
                }
                at = &mut at[field.as_str()];
            }
            at[fields[fields.len() - 1].as_str()] = Value::from(value);
        }
    }
}

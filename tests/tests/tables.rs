//! The operations table that the emulator and the `ipd` command read
//! (`ipd_catalogue`, written by `cargo xtask codegen`) agrees with the
//! generated client, for every operation: each is sent through its typed
//! builder, and what arrives is what the table says of it.
//! - Its method and path route to that operation, its query parameters
//!   are the table's, every required one present, and its body has the
//!   table's content type.
//! - Its idempotency is the client's: after a 502 the client sends it
//!   again exactly when the table says it is idempotent.
//! - Its paging is the client's paginator's, rule for rule.

use std::collections::BTreeSet;

use codearts_req::{RetryPolicy, StatusCode};
use ipd_catalogue::{Catalogue, Location, media_essence};

use crate::common::*;
use crate::conformance::{Call, Ids};
use crate::dispatch::{paging, send};

#[tokio::test(flavor = "multi_thread")]
async fn the_operations_table_agrees_with_the_generated_client_for_every_operation() {
    let setup = start().await;
    let emulator = &setup.emulator;
    let client = client(&emulator.url(), RetryPolicy::default().with_max_attempts(2));
    let catalogue = Catalogue::bundled();
    let mut idempotent = 0;
    for op in catalogue.operations() {
        let call = Call::full(&op.id, &Ids::default());
        let before = emulator.recorded().len();
        emulator.inject_statuses(&[StatusCode::BAD_GATEWAY]);
        let outcome = send(&client, &op.id, &call.request).await;
        let recorded = emulator.recorded();
        let sent = &recorded[before..];

        // A 502 may mean the service did the work: only an idempotent
        // operation is sent again.
        let attempts = if op.idempotent { 2 } else { 1 };
        assert_eq!(sent.len(), attempts, "{}: attempts after a 502", op.id);
        if !op.idempotent {
            let status = outcome.err().and_then(|e| e.status());
            assert_eq!(status, Some(StatusCode::BAD_GATEWAY), "{}", op.id);
        }
        idempotent += usize::from(op.idempotent);

        let request = &sent[0];
        let (path, query) = request.uri.split_once('?').unwrap_or((&request.uri, ""));
        let (routed, _) = catalogue
            .route(request.method.as_str(), path)
            .unwrap_or_else(|| panic!("{}: {} {path} routes nowhere", op.id, request.method));
        assert_eq!(routed.id, op.id, "{} {path}", request.method);

        let named = |location: Location| {
            op.params
                .iter()
                .filter(move |p| p.location == location)
                .map(|p| p.name.as_str())
        };
        let sent_names: BTreeSet<String> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(name, _)| name.into_owned())
            .collect();
        let documented: BTreeSet<String> = named(Location::Query).map(str::to_string).collect();
        assert!(
            sent_names.is_subset(&documented),
            "{}: sent {sent_names:?}, the table has {documented:?}",
            op.id
        );
        for required in op
            .params
            .iter()
            .filter(|p| p.required && p.location == Location::Query)
        {
            assert!(
                sent_names.contains(&required.name),
                "{}: {}",
                op.id,
                required.name
            );
        }
        for header in named(Location::Header) {
            assert!(
                request.headers.contains_key(header),
                "{}: header {header}",
                op.id
            );
        }

        let content_type = request
            .headers
            .get("content-type")
            .map(|v| media_essence(v.to_str().unwrap()));
        let expected = op.body.as_ref().map(|b| media_essence(&b.content_type));
        assert_eq!(content_type, expected, "{}: content type", op.id);

        match (paging(&op.id), &op.pagination) {
            (None, None) => {}
            (Some(client), Some(table)) => {
                assert_eq!(
                    client.kind == codearts_req::paginate::PageKind::Offset,
                    table.offsets,
                    "{}",
                    op.id
                );
                assert_eq!(
                    (
                        client.first,
                        client.min_size,
                        client.max_size,
                        client.default_size,
                        client.max_pages
                    ),
                    (
                        table.first,
                        table.min_size,
                        table.max_size,
                        table.default_size,
                        table.max_pages
                    ),
                    "{}: paging",
                    op.id
                );
            }
            (client, table) => panic!(
                "{}: the client pages: {}, the table: {}",
                op.id,
                client.is_some(),
                table.is_some()
            ),
        }
    }
    // Both kinds were exercised.
    assert!(idempotent > 0 && idempotent < catalogue.operations().len());
}

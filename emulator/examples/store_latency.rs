//! The store's latency at scale, as `cargo xtask bench` reports it: an
//! emulator in process on a data directory on disk, 10,000 work items
//! with 1,000-character descriptions, then the latency of adding a comment
//! and of querying page 50, each through the client over loopback
//! (signing, HTTP, validation against the spec, the store's transaction
//! and fsync).
//!
//! ```sh
//! cargo run --release -p ipd-emulator --example store_latency [-- DIR]
//! ```
//!
//! It prints figures and asserts nothing.

use std::time::{Duration, Instant};

use codearts_req::types::{CreateIpdProjectIssueParam, IssueCategory, PageInfoVo};
use codearts_req::{Client, Credentials, RetryPolicy};
use ipd_emulator::{Config, Emulator};

const AK: &str = "BENCHAK0000000000001";
const SK: &str = "bench-secret-key";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const ITEMS: usize = 10_000;
const SAMPLES: usize = 200;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args_os()
        .nth(1)
        .map_or_else(std::env::temp_dir, Into::into);
    let dir = tempfile::tempdir_in(base)?;
    let emulator = Emulator::start(
        "127.0.0.1:0".parse()?,
        Config::new(AK, SK, dir.path().join("data")),
    )
    .await?;
    let client = Client::builder()
        .endpoint(emulator.url())
        .credentials(Credentials::new(AK, SK))
        .retry(RetryPolicy::none())
        .build()?;

    let description = "d".repeat(1000);
    let start = Instant::now();
    let mut first = None;
    for batch in 0..ITEMS / 100 {
        let items: Vec<CreateIpdProjectIssueParam> = (0..100)
            .map(|i| {
                CreateIpdProjectIssueParam::builder()
                    .title(format!("Work item {}", batch * 100 + i))
                    .description(description.clone())
                    .category(IssueCategory::Task)
                    .build()
            })
            .collect::<Result<_, _>>()?;
        let created = client
            .batch_create_ipd_issues()
            .project_id(PROJECT)
            .body(items)
            .send()
            .await?;
        first = first.or_else(|| {
            created
                .result()
                .first()
                .and_then(|i| i.id())
                .map(str::to_owned)
        });
    }
    let issue = first.ok_or("no work item was created")?;
    println!(
        "seeded {ITEMS} work items with 1,000-character descriptions in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let mut comment = Vec::with_capacity(SAMPLES);
    for n in 0..SAMPLES {
        let start = Instant::now();
        client
            .create_ipd_issue_comments()
            .project_id(PROJECT)
            .issue_id(&issue)
            .description(format!("comment {n}"))
            .send()
            .await?;
        comment.push(start.elapsed());
    }
    let mut query = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let start = Instant::now();
        let page = client
            .list_ipd_project_issues()
            .project_id(PROJECT)
            .issue_type("Task")
            .page(PageInfoVo::builder().page_no(50).page_size(20).build())
            .send()
            .await?;
        query.push(start.elapsed());
        assert_eq!(page.result().map(|r| r.issues().len()), Some(20));
    }
    report("add a comment (one transaction, fsynced)", &mut comment);
    report("query page 50 of 20 work items of 10,000", &mut query);
    emulator.shutdown().await?;
    Ok(())
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!(
        "{what}: median {:.2} ms, p90 {:.2} ms, min {:.2} ms, max {:.2} ms ({} runs)",
        ms(at(0.5)),
        ms(at(0.9)),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}

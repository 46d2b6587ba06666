//! `ipd`: Huawei Cloud CodeArts Req (ProjectMan v4, IPD and Scrum) from the
//! command line: every operation of the spec (`operation.rs`), plus upload,
//! list and download of IPD work-item attachments with progress bars.
//!
//! ```sh
//! ipd --region cn-north-4 upload --project-id P --issue-id I FILE...
//! ipd --endpoint URL list --project-id P --issue-id I
//! ipd --demo download --attachment-id A [-o PATH]
//! ipd --demo list-ipd-labels --title urgent
//! ```
//!
//! Every command needs exactly one target: `--region`, `--endpoint`, or
//! `--demo`. The tool never picks one itself, so a file never goes anywhere
//! the user did not name.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use codearts_req::forms::CreateIpdProjectIssueAttachmentForm;
use codearts_req::{ApiError, FilePart, Region, SaveToFile, printable};
use futures_util::{StreamExt, stream};

mod connection;
mod failure;
mod operation;
mod output;

use connection::{CallOptions, Connection};
use failure::{Failure, status};
use output::{bar, check_output, default_output, print_json, progress_bars, progress_line};

const DEMO_AK: &str = "DEMOACCESSKEY0000001";
const DEMO_SK: &str = "demo-secret-key-for-the-local-emulator";
const DEMO_PROJECT: &str = "gdbdf969b32694524a949b5ef6b3e124a";
const DEMO_ISSUE: &str = "956239067176935400";

/// Calls Huawei Cloud CodeArts Req (ProjectMan v4): every operation of its
/// API, IPD and Scrum, and streaming upload, list and download of IPD
/// work-item attachments.
#[derive(Parser)]
#[command(version, after_help = after_help())]
struct Cli {
    #[command(flatten)]
    target: Target,
    /// Log each call and attempt (operation, status, request id, latency)
    /// to stderr; twice for more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Give up on a call after this many seconds (uploads included; a
    /// download's body is bounded by the idle timeout only).
    #[arg(long, global = true, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Retry a failed call up to N times, where retrying is safe (see the
    /// library's retry rule: a create is never sent twice after a 502).
    /// Default 2; 0 sends every call once.
    #[arg(long, global = true, value_name = "N")]
    retries: Option<u32>,
    #[command(subcommand)]
    command: Command,
}

fn after_help() -> String {
    let regions: Vec<&str> = Region::ALL.iter().map(|r| r.id()).collect();
    format!(
        "Targets (exactly one is required):\n  \
         --region R     the service's endpoint in region R: {}\n  \
         --endpoint URL any http(s) endpoint, such as a proxy or a local ipd-emulator\n  \
         --demo         a local emulator run in-process with demo credentials; its data\n                 \
         persists in --demo-dir (default: {})\n\n\
         Credentials (for --region and --endpoint), the first found, in this order:\n  \
         HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (with HUAWEICLOUD_SDK_PROJECT_ID,\n    \
         HUAWEICLOUD_SDK_SECURITY_TOKEN)\n  \
         CLOUD_SDK_AK and CLOUD_SDK_SK (with CLOUD_SDK_PROJECT_ID, CLOUD_SDK_SECURITY_TOKEN)\n  \
         the file HUAWEICLOUD_SDK_CREDENTIALS_FILE names, else ~/.huaweicloud/credentials,\n    \
         section [basic]: ak, sk, project_id, security_token\n  \
         the ECS metadata service, on a Huawei Cloud instance with an agency\n\n\
         Exit status: 0 success, 1 other failure, 2 usage error, 3 the service answered\n\
         with an error, 4 network failure or timeout, 5 local file error, 6 a batch\n\
         answered with some items failed (the answer on stdout, a line on stderr).",
        regions.join(", "),
        default_demo_dir().map_or("none found; give --demo-dir".into(), |d| d
            .display()
            .to_string()),
    )
}

#[derive(Subcommand)]
enum Command {
    /// Upload files as attachments of a work item.
    Upload {
        /// The work item (default with --demo: a demo work item).
        #[arg(long)]
        issue_id: Option<String>,
        /// How many files are sent at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the attachments of a work item.
    List {
        /// The work item (default with --demo: a demo work item).
        #[arg(long)]
        issue_id: Option<String>,
    },
    /// Download an attachment.
    Download {
        /// The attachment.
        #[arg(long)]
        attachment_id: String,
        /// Where to save it (default: the attachment ID, as a file name in
        /// the current directory).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace an existing regular file at the output path.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
struct Target {
    /// Call the service in this region, such as cn-north-4.
    #[arg(long, global = true, value_name = "R")]
    region: Option<Region>,
    /// Call this endpoint URL (a proxy, a private endpoint, a local server).
    #[arg(long, global = true, value_name = "URL")]
    endpoint: Option<String>,
    /// Call a local emulator with demo credentials; its data persists.
    #[arg(long, global = true)]
    demo: bool,
    /// Where --demo keeps its data.
    #[arg(long, global = true, value_name = "DIR")]
    demo_dir: Option<PathBuf>,
    /// The IPD project (32 characters; default with --demo: a demo project).
    #[arg(long, global = true)]
    project_id: Option<String>,
}

/// Where `--demo` keeps its data unless told otherwise.
fn default_demo_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("codearts-req").join("demo"))
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let target = cli.target;
    let deadline = CallOptions {
        timeout: cli.timeout,
        retries: cli.retries,
    };
    match cli.command {
        Command::Upload {
            issue_id,
            concurrency,
            files,
        } => {
            let connection = Connection::open(target, deadline.clone()).await?;
            let issue_id = connection.issue_id(issue_id)?;
            let project_id = connection.project_id()?;
            let bars = progress_bars();
            let connection = &connection;
            let results: Vec<Result<_, (PathBuf, Failure)>> = stream::iter(files)
                .map(|path| {
                    let bars = bars.clone();
                    let issue_id = issue_id.clone();
                    async move {
                        let part = FilePart::from_path(&path)
                            .await
                            .map_err(|e| (path.clone(), ApiError::from(e).into()))?;
                        let bar = Arc::new(bar(&bars, part.len(), part.file_name()));
                        let progress = bar.clone();
                        let part = part.with_progress(move |sent| progress.set_position(sent));
                        let response = connection
                            .client
                            .create_ipd_project_issue_attachment()
                            .project_id(project_id)
                            .issue_id(&issue_id)
                            .body(CreateIpdProjectIssueAttachmentForm::new(part))
                            .customize(|_| connection.call.clone())
                            .send()
                            .await
                            .map_err(|e| (path.clone(), e.into()));
                        bar.finish();
                        Ok(response?.into_inner())
                    }
                })
                .buffered(concurrency.max(1))
                .collect()
                .await;
            // Every file is reported; the exit status is the first failure's.
            let mut failed: Option<u8> = None;
            for result in results {
                match result {
                    Ok(body) => print_json(&body)?,
                    Err((path, failure)) => {
                        let path = printable(&path.display().to_string()).into_owned();
                        eprintln!("error: {path}: {}", failure.message);
                        failed.get_or_insert(failure.status);
                    }
                }
            }
            match failed {
                None => Ok(()),
                Some(status) => Err(Failure {
                    status,
                    message: "some uploads failed".into(),
                }),
            }
        }
        Command::List { issue_id } => {
            let connection = Connection::open(target, deadline.clone()).await?;
            let issue_id = connection.issue_id(issue_id)?;
            let listed = connection
                .client
                .show_ipd_attachment_by_work_item_id()
                .project_id(connection.project_id()?)
                .issue_id(&issue_id)
                .customize(|_| connection.call.clone())
                .send()
                .await?;
            print_json(&listed.into_inner())
        }
        Command::Download {
            attachment_id,
            output,
            force,
        } => {
            let output = match output {
                Some(output) => output,
                None => default_output(&attachment_id)?,
            };
            check_output(&output, force)?;
            let connection = Connection::open(target, deadline.clone()).await?;
            let response = connection
                .client
                .download_ipd_issue_attachment()
                .project_id(connection.project_id()?)
                .id(&attachment_id)
                .customize(|_| connection.call.clone())
                .send()
                .await?;
            let bars = progress_bars();
            let bar = bar(
                &bars,
                response.content_length().unwrap_or(0),
                &printable(&attachment_id),
            );
            let saved = if force {
                response.save_to(&output, |n| bar.set_position(n)).await?
            } else {
                response.save_new(&output, |n| bar.set_position(n)).await?
            };
            bar.finish();
            print_json(&serde_json::json!({
                "attachment_id": attachment_id,
                "path": output.display().to_string(),
                "bytes": saved,
            }))
        }
    }
}

/// `-v` logs this client's own calls and attempts (spans with their
/// fields, when they close) to stderr; `-vv` adds the HTTP library's and
/// everything else's.
fn init_logging(verbose: u8) {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    if verbose == 0 {
        return;
    }
    let ours = [
        "codearts_req_runtime",
        "codearts_req",
        "ipd",
        "ipd_emulator",
    ];
    let (own, others) = if verbose == 1 {
        (LevelFilter::DEBUG, LevelFilter::OFF)
    } else {
        (LevelFilter::TRACE, LevelFilter::DEBUG)
    };
    let filter = Targets::new()
        .with_default(others)
        .with_targets(ours.map(|target| (target, own)));
    let format = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE);
    tracing_subscriber::registry()
        .with(format)
        .with(filter)
        .init();
}

/// Runs one operation of the spec, named by its subcommand.
async fn run_operation(
    op: &'static ipd_catalogue::Operation,
    matches: &clap::ArgMatches,
) -> Result<(), Failure> {
    let target = Target::from_arg_matches(matches).unwrap_or_else(|e| e.exit());
    let options = CallOptions {
        timeout: matches.get_one::<u64>("timeout").copied(),
        retries: matches.get_one::<u32>("retries").copied(),
    };
    let connection = Connection::open(target, options).await?;
    operation::run(&connection, op, matches).await
}

// One thread: a command runs one call (or a few uploads) at a time, and on
// a multi-thread runtime the wake-ups between the connection's task and
// the body's reader cost more CPU than the transfer itself
// (benches/README.md). Files are read and written on the blocking pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // The fixed commands, plus one subcommand per operation of the spec.
    let matches = Cli::command()
        .subcommands(operation::commands())
        .get_matches();
    let operation = matches
        .subcommand()
        .and_then(|(name, sub)| Some((operation::find(name)?, sub)));
    let outcome = match operation {
        Some((op, sub)) => {
            init_logging(sub.get_count("verbose"));
            run_operation(op, sub).await
        }
        _ => {
            let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
            init_logging(cli.verbose);
            run(cli).await
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.status)
        }
    }
}

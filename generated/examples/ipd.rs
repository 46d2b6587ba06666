//! `ipd`: upload, list and download work-item attachments from the command
//! line.
//!
//! ```sh
//! cargo run -p codearts-ipd --example ipd -- upload [--region R | --endpoint URL] \
//!     --project-id P --issue-id I FILE...
//! cargo run -p codearts-ipd --example ipd -- list --project-id P --issue-id I
//! cargo run -p codearts-ipd --example ipd -- download --project-id P --attachment-id A [-o PATH]
//! ```
//!
//! With `--region` or `--endpoint`, credentials come from the environment or
//! `~/.huaweicloud/credentials`. With neither, a local emulator of the
//! service is started in-process with demo credentials, so the example runs
//! on any machine. Responses are printed as one line of JSON each; errors go
//! to stderr with exit status 1.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use codearts_ipd::forms::CreateIpdProjectIssueAttachmentForm;
use codearts_ipd::{ApiError, Client, Credentials, FilePart, Region, SaveToFile};
use futures_util::{StreamExt, stream};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

const DEMO_AK: &str = "DEMOACCESSKEY0000001";
const DEMO_SK: &str = "demo-secret-key-for-the-local-emulator";
const DEMO_PROJECT: &str = "gdbdf969b32694524a949b5ef6b3e124a";
const DEMO_ISSUE: &str = "956239067176935400";

/// Uploads, lists and downloads attachments of IPD work items.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Upload files as attachments of a work item.
    Upload {
        #[command(flatten)]
        target: Target,
        /// The work item.
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
        #[command(flatten)]
        target: Target,
        /// The work item.
        #[arg(long)]
        issue_id: Option<String>,
    },
    /// Download an attachment.
    Download {
        #[command(flatten)]
        target: Target,
        /// The attachment.
        #[arg(long)]
        attachment_id: String,
        /// Where to save it (default: the attachment ID in the current directory).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Args)]
struct Target {
    /// A region, such as cn-north-4.
    #[arg(long, conflicts_with = "endpoint")]
    region: Option<Region>,
    /// An endpoint URL (a proxy, a private endpoint, a local server).
    #[arg(long)]
    endpoint: Option<String>,
    /// The IPD project (32 characters).
    #[arg(long)]
    project_id: Option<String>,
}

/// The client, and the emulator it talks to when no service was named.
struct Connection {
    client: Client,
    project_id: String,
    demo: bool,
    _emulator: Option<(ipd_tests::Emulator, tempfile::TempDir)>,
}

impl Connection {
    async fn open(target: Target) -> Result<Self, String> {
        if target.region.is_none() && target.endpoint.is_none() {
            let dir = tempfile::tempdir()
                .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
            let config = ipd_tests::Config::new(DEMO_AK, DEMO_SK, dir.path());
            let emulator = ipd_tests::Emulator::start(([127, 0, 0, 1], 0).into(), config)
                .await
                .map_err(|e| format!("cannot start the local emulator: {e}"))?;
            eprintln!(
                "note: no --region or --endpoint given; using a local emulator at {} with demo credentials",
                emulator.url()
            );
            let client = Client::builder()
                .endpoint(emulator.url())
                .credentials(Credentials::new(DEMO_AK, DEMO_SK))
                .build()
                .map_err(|e| e.to_string())?;
            return Ok(Self {
                client,
                project_id: target.project_id.unwrap_or_else(|| DEMO_PROJECT.into()),
                demo: true,
                _emulator: Some((emulator, dir)),
            });
        }
        let mut builder = Client::builder();
        if let Some(region) = target.region {
            builder = builder.region(region);
        }
        if let Some(endpoint) = target.endpoint {
            builder = builder.endpoint(endpoint);
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        let project_id = target
            .project_id
            .ok_or("--project-id is required with --region or --endpoint")?;
        Ok(Self {
            client,
            project_id,
            demo: false,
            _emulator: None,
        })
    }

    fn issue_id(&self, given: Option<String>) -> Result<String, String> {
        match (given, self.demo) {
            (Some(issue), _) => Ok(issue),
            (None, true) => Ok(DEMO_ISSUE.into()),
            (None, false) => Err("--issue-id is required with --region or --endpoint".into()),
        }
    }
}

fn progress_bars() -> MultiProgress {
    if std::io::stderr().is_terminal() {
        MultiProgress::new()
    } else {
        MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
    }
}

fn bar(bars: &MultiProgress, len: u64, name: &str) -> ProgressBar {
    let bar = bars.add(ProgressBar::new(len));
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:30!} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(name.to_string());
    bar
}

fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    let line = serde_json::to_string(value).map_err(|e| e.to_string())?;
    println!("{line}");
    Ok(())
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Upload {
            target,
            issue_id,
            concurrency,
            files,
        } => {
            let connection = Connection::open(target).await?;
            let issue_id = connection.issue_id(issue_id)?;
            let bars = progress_bars();
            let connection = &connection;
            let results: Vec<Result<_, String>> = stream::iter(files)
                .map(|path| {
                    let bars = bars.clone();
                    let issue_id = issue_id.clone();
                    async move {
                        let part = FilePart::from_path(&path)
                            .await
                            .map_err(|e| e.to_string())?;
                        let bar = Arc::new(bar(&bars, part.len(), part.file_name()));
                        let progress = bar.clone();
                        let part = part.with_progress(move |sent| progress.set_position(sent));
                        let response = connection
                            .client
                            .create_ipd_project_issue_attachment(
                                &connection.project_id,
                                &issue_id,
                                CreateIpdProjectIssueAttachmentForm::new(part),
                            )
                            .await
                            .map_err(|e| format!("{}: {}", path.display(), ApiError::from(e)));
                        bar.finish();
                        Ok(response?.into_inner())
                    }
                })
                .buffered(concurrency.max(1))
                .collect()
                .await;
            let mut failed = None;
            for result in results {
                match result {
                    Ok(body) => print_json(&body)?,
                    Err(e) => {
                        eprintln!("error: {e}");
                        failed = Some("some uploads failed".to_string());
                    }
                }
            }
            failed.map_or(Ok(()), Err)
        }
        Command::List { target, issue_id } => {
            let connection = Connection::open(target).await?;
            let issue_id = connection.issue_id(issue_id)?;
            let listed = connection
                .client
                .show_ipd_attachment_by_work_item_id(&connection.project_id, &issue_id, None)
                .await
                .map_err(|e| ApiError::from(e).to_string())?;
            print_json(&listed.into_inner())
        }
        Command::Download {
            target,
            attachment_id,
            output,
        } => {
            let connection = Connection::open(target).await?;
            let output = output.unwrap_or_else(|| PathBuf::from(&attachment_id));
            let response = connection
                .client
                .download_ipd_issue_attachment(&connection.project_id, &attachment_id)
                .await
                .map_err(|e| ApiError::from(e).to_string())?;
            let bars = progress_bars();
            let bar = bar(
                &bars,
                response.content_length().unwrap_or(0),
                &attachment_id,
            );
            let saved = response
                .save_to(&output, |n| bar.set_position(n))
                .await
                .map_err(|e| e.to_string())?;
            bar.finish();
            print_json(&serde_json::json!({
                "attachment_id": attachment_id,
                "path": output.display().to_string(),
                "bytes": saved,
            }))
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

//! `ipd`: Huawei Cloud CodeArts Req's IPD project service from the command
//! line: every operation of the spec (`operation.rs`), plus upload, list
//! and download of work-item attachments with progress bars.
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

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use codearts_ipd::forms::CreateIpdProjectIssueAttachmentForm;
use codearts_ipd::{
    ApiError, BuildError, CallConfig, Client, Credentials, FilePart, Region, RetryPolicy,
    SaveToFile, printable,
};
use futures_util::{StreamExt, stream};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

mod operation;

const DEMO_AK: &str = "DEMOACCESSKEY0000001";
const DEMO_SK: &str = "demo-secret-key-for-the-local-emulator";
const DEMO_PROJECT: &str = "gdbdf969b32694524a949b5ef6b3e124a";
const DEMO_ISSUE: &str = "956239067176935400";

/// Exit statuses, documented in `--help`.
mod status {
    /// Anything else.
    pub const OTHER: u8 = 1;
    /// A command line that cannot be run as given.
    pub const USAGE: u8 = 2;
    /// The service answered with an error (4xx/5xx, a redirect, a body
    /// that does not match the spec).
    pub const SERVICE: u8 = 3;
    /// The service could not be reached in time, or the connection broke.
    pub const NETWORK: u8 = 4;
    /// A local file could not be read or written.
    pub const LOCAL_IO: u8 = 5;
    /// The service answered a batch with success, but reported some of
    /// its items failed (printed on stderr; the answer is on stdout).
    pub const PARTIAL: u8 = 6;
}

/// Calls CodeArts Req's IPD project service: every operation of its API, and
/// streaming upload, list and download of work-item attachments.
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
    dirs::data_dir().map(|d| d.join("codearts-ipd").join("demo"))
}

/// A failure, and the exit status it gets.
struct Failure {
    status: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            status: status::USAGE,
            message: message.into(),
        }
    }

    fn local(message: impl Into<String>) -> Self {
        Self {
            status: status::LOCAL_IO,
            message: message.into(),
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self {
            status: status::OTHER,
            message,
        }
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        let status = match &error {
            ApiError::MissingParameter { .. } | ApiError::InvalidParameter { .. } => status::USAGE,
            ApiError::File(_) | ApiError::Write(_) => status::LOCAL_IO,
            ApiError::Timeout(_)
            | ApiError::Connection(_)
            | ApiError::DeadlineExceeded(_)
            | ApiError::StalledStream { .. } => status::NETWORK,
            ApiError::ClientRequest(_)
            | ApiError::ServerResponse(_)
            | ApiError::UnexpectedStatus { .. }
            | ApiError::Redirect { .. }
            | ApiError::InvalidPayload { .. }
            | ApiError::BodyTooLarge { .. }
            | ApiError::Pagination(_) => status::SERVICE,
            _ => status::OTHER,
        };
        Self {
            status,
            message: chain(&error),
        }
    }
}

impl From<BuildError> for Failure {
    fn from(error: BuildError) -> Self {
        let status = match error {
            BuildError::InvalidEndpoint { .. } | BuildError::NoEndpoint => status::USAGE,
            _ => status::OTHER,
        };
        Self {
            status,
            message: chain(&error),
        }
    }
}

/// An error and its causes, each once, control characters escaped.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    printable(&text).into_owned()
}

/// What `--timeout` and `--retries` ask of every call.
#[derive(Clone)]
struct CallOptions {
    timeout: Option<u64>,
    retries: Option<u32>,
}

/// The client, and the emulator it talks to in demo mode.
struct Connection {
    client: Client,
    /// Every call's own settings: `--timeout` and `--retries`.
    call: CallConfig,
    /// The project given (or the demo's); operations that need none run
    /// without it.
    project_id: Option<String>,
    demo: bool,
    _emulator: Option<ipd_emulator::Emulator>,
}

impl Connection {
    async fn open(target: Target, options: CallOptions) -> Result<Self, Failure> {
        let mut connection = Self::connect(target).await?;
        if let Some(seconds) = options.timeout {
            connection.call = connection
                .call
                .deadline(std::time::Duration::from_secs(seconds));
        }
        if let Some(retries) = options.retries {
            let policy = RetryPolicy::default().with_max_attempts(retries.saturating_add(1));
            connection.call = connection.call.retry(policy);
        }
        Ok(connection)
    }

    async fn connect(target: Target) -> Result<Self, Failure> {
        match (target.region, target.endpoint, target.demo) {
            (None, None, true) => Self::demo(target.demo_dir, target.project_id).await,
            (region, endpoint, false) if region.is_some() != endpoint.is_some() => {
                if target.demo_dir.is_some() {
                    return Err(Failure::usage("--demo-dir goes with --demo only"));
                }
                let mut builder = Client::builder();
                if let Some(region) = region {
                    builder = builder.region(region);
                }
                if let Some(endpoint) = endpoint {
                    builder = builder.endpoint(endpoint);
                }
                let client = builder.build()?;
                Ok(Self {
                    client,
                    call: CallConfig::default(),
                    project_id: target.project_id,
                    demo: false,
                    _emulator: None,
                })
            }
            (None, None, false) => Err(Failure::usage(
                "no target: give --region R, --endpoint URL, or --demo (see --help)",
            )),
            _ => Err(Failure::usage(
                "give only one of --region, --endpoint and --demo",
            )),
        }
    }

    /// Starts the emulator in-process on its persistent data directory.
    async fn demo(dir: Option<PathBuf>, project_id: Option<String>) -> Result<Self, Failure> {
        let dir = dir
            .or_else(default_demo_dir)
            .ok_or_else(|| Failure::usage("no data directory found for --demo; give --demo-dir"))?;
        std::fs::create_dir_all(&dir).map_err(|e| {
            Failure::local(format!(
                "cannot create {}: {e}",
                printable(&dir.display().to_string())
            ))
        })?;
        let config = ipd_emulator::Config::new(DEMO_AK, DEMO_SK, &dir);
        let emulator = ipd_emulator::Emulator::start(([127, 0, 0, 1], 0).into(), config)
            .await
            .map_err(|e| format!("cannot start the local emulator: {e}"))?;
        let client = Client::builder()
            .endpoint(emulator.url())
            .credentials(Credentials::new(DEMO_AK, DEMO_SK))
            .build()?;
        Ok(Self {
            client,
            call: CallConfig::default(),
            project_id: Some(project_id.unwrap_or_else(|| DEMO_PROJECT.into())),
            demo: true,
            _emulator: Some(emulator),
        })
    }

    fn project_id(&self) -> Result<&str, Failure> {
        self.project_id
            .as_deref()
            .ok_or_else(|| Failure::usage("--project-id is required with --region or --endpoint"))
    }

    fn issue_id(&self, given: Option<String>) -> Result<String, Failure> {
        match (given, self.demo) {
            (Some(issue), _) => Ok(issue),
            (None, true) => Ok(DEMO_ISSUE.into()),
            (None, false) => Err(Failure::usage(
                "--issue-id is required with --region or --endpoint",
            )),
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

/// Prints one line of JSON. serde_json escapes only C0 controls; DEL, C1
/// controls (U+009B starts an escape sequence on some terminals) and bidi
/// overrides in service text are escaped too, which keeps the JSON valid.
fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let line = serde_json::to_string(value).map_err(|e| e.to_string())?;
    println!("{}", escape_json_controls(&line));
    Ok(())
}

/// A line on stderr that says how far a long listing got: only on a
/// terminal, cleared at the end.
fn progress_line() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let line = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    line.enable_steady_tick(std::time::Duration::from_millis(200));
    line
}

fn escape_json_controls(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
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

/// The default download path: the attachment ID as a file name in the
/// current directory, if it is one (an ID from the service could be `..`,
/// absolute, or hold separators).
fn default_output(attachment_id: &str) -> Result<PathBuf, Failure> {
    let plain = !attachment_id.is_empty()
        && attachment_id != "."
        && attachment_id != ".."
        && !attachment_id.contains(['/', '\\'])
        && !attachment_id.chars().any(char::is_control);
    if plain {
        Ok(PathBuf::from(attachment_id))
    } else {
        Err(Failure::usage(format!(
            "the attachment ID `{}` is not a plain file name; give the output path with -o",
            printable(attachment_id)
        )))
    }
}

/// Refuses a download target that would be replaced silently: an existing
/// file without `--force`, and never a link, device, FIFO or directory.
fn check_output(output: &std::path::Path, force: bool) -> Result<(), Failure> {
    let shown = || printable(&output.display().to_string()).into_owned();
    match std::fs::symlink_metadata(output) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Failure::local(format!("cannot check {}: {e}", shown()))),
        Ok(meta) if meta.file_type().is_file() && force => Ok(()),
        Ok(meta) if meta.file_type().is_file() => Err(Failure::local(format!(
            "{} exists; give --force to replace it",
            shown()
        ))),
        Ok(_) => Err(Failure::local(format!(
            "{} exists and is not a regular file (a link, device, FIFO or directory); \
             it is never replaced",
            shown()
        ))),
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
        "codearts_ipd_runtime",
        "codearts_ipd",
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

#[cfg(test)]
mod tests {
    #[test]
    fn printed_json_escapes_every_control_and_bidi_override() {
        let text = "a\u{7f}b\u{9b}31mc\u{202e}d\u{2066}e\té";
        let json = serde_json::to_string(&serde_json::json!({ "m": text })).unwrap();
        let printed = super::escape_json_controls(&json);
        assert_eq!(printed, r#"{"m":"a\u007fb\u009b31mc\u202ed\u2066e\té"}"#);
        let back: serde_json::Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(back["m"], text);
    }
}

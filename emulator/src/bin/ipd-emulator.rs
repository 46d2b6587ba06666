//! `ipd-emulator`: the local IPD service, as a process: every operation of
//! the spec, validated and answered, with state kept in `--data-dir`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ipd_emulator::Config;

/// A local emulator of CodeArts Req's IPD project service: every operation
/// of the spec, signatures checked, requests validated against the spec.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Access key accepted in signatures.
    #[arg(long)]
    access_key: String,
    /// Secret key of that access key.
    #[arg(long)]
    secret_key: String,
    /// Directory for the emulated service's data (created if missing).
    #[arg(long)]
    data_dir: PathBuf,
    /// Also accept this IAM token in X-Auth-Token.
    #[arg(long)]
    token: Option<String>,
    /// Largest attachment accepted, in bytes (default: the documented 200 MB).
    #[arg(long, default_value_t = ipd_emulator::emulator::MAX_ATTACHMENT)]
    max_attachment_bytes: u64,
    /// Answer every operation from the spec's examples and schemas alone,
    /// keeping no state (as a mock server would).
    #[arg(long)]
    spec_only: bool,
    /// Answer only requests addressed to this host name (repeatable), as
    /// a real gateway answers only for its own names; by default, any.
    #[arg(long = "host", value_name = "NAME")]
    hosts: Vec<String>,
    /// Mark a work item deleted, as PROJECT_ID/ISSUE_ID (repeatable).
    #[arg(long, value_name = "PROJECT_ID/ISSUE_ID")]
    deleted_issue: Vec<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    // First, so that a SIGTERM or SIGINT from now on stops the emulator
    // cleanly (exit 0) rather than with the default action, however early.
    let shutdown = match Shutdown::install() {
        Ok(shutdown) => shutdown,
        Err(e) => {
            eprintln!("error: cannot handle signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args = Args::parse();
    let mut deleted = Vec::new();
    for item in &args.deleted_issue {
        match item.split_once('/') {
            Some((p, i)) if !p.is_empty() && !i.is_empty() => {
                deleted.push((p.to_string(), i.to_string()))
            }
            _ => {
                eprintln!("error: --deleted-issue takes PROJECT_ID/ISSUE_ID, got `{item}`");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut config = Config::new(&args.access_key, &args.secret_key, &args.data_dir);
    config.token = args.token;
    config.max_attachment = args.max_attachment_bytes;
    config.stateful = !args.spec_only;
    config.hosts = args.hosts;
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The store opened (a start-up error is reported before the line
    // below, never after it), then "listening": a client that reads the
    // line can call at once.
    let ready = match ipd_emulator::emulator::Ready::open(config, &deleted).await {
        Ok(ready) => ready,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on http://{addr}");
    match ready.serve(listener, shutdown.wait()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// SIGTERM and SIGINT, registered when installed: a signal that arrives
/// before the server waits for it is kept, and ends it as soon as it does.
struct Shutdown {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Shutdown {
    #[cfg(unix)]
    fn install() -> std::io::Result<Shutdown> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Shutdown {
            term: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<Shutdown> {
        Ok(Shutdown {})
    }

    #[cfg(unix)]
    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.interrupt.recv() => {},
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

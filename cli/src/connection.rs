//! The client for the one target a command names (`--region`,
//! `--endpoint` or `--demo`, which starts the emulator in-process), with
//! `--timeout` and `--retries` applied to every call.

use std::path::PathBuf;

use codearts_req::{CallConfig, Client, Credentials, RetryPolicy, printable};

use crate::failure::Failure;
use crate::{DEMO_AK, DEMO_ISSUE, DEMO_PROJECT, DEMO_SK, Target, default_demo_dir};

/// What `--timeout` and `--retries` ask of every call.
#[derive(Clone)]
pub(crate) struct CallOptions {
    pub(crate) timeout: Option<u64>,
    pub(crate) retries: Option<u32>,
}

/// The client, and the emulator it talks to in demo mode.
pub(crate) struct Connection {
    pub(crate) client: Client,
    /// Every call's own settings: `--timeout` and `--retries`.
    pub(crate) call: CallConfig,
    /// The project given (or the demo's); operations that need none run
    /// without it.
    pub(crate) project_id: Option<String>,
    pub(crate) demo: bool,
    pub(crate) _emulator: Option<ipd_emulator::Emulator>,
}

impl Connection {
    pub(crate) async fn open(target: Target, options: CallOptions) -> Result<Self, Failure> {
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

    pub(crate) fn project_id(&self) -> Result<&str, Failure> {
        self.project_id
            .as_deref()
            .ok_or_else(|| Failure::usage("--project-id is required with --region or --endpoint"))
    }

    pub(crate) fn issue_id(&self, given: Option<String>) -> Result<String, Failure> {
        match (given, self.demo) {
            (Some(issue), _) => Ok(issue),
            (None, true) => Ok(DEMO_ISSUE.into()),
            (None, false) => Err(Failure::usage(
                "--issue-id is required with --region or --endpoint",
            )),
        }
    }
}

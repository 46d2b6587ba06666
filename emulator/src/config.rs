//! How an emulator is set up.

use std::path::PathBuf;
use std::time::Duration;

/// The documented maximum size of one attachment: 200 MB.
pub const MAX_ATTACHMENT: u64 = 200 * 1024 * 1024;

/// How the emulator is set up.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The access key it accepts.
    pub access_key: String,
    /// The secret key of that access key.
    pub secret_key: String,
    /// An IAM token it accepts in `X-Auth-Token`, if any.
    pub token: Option<String>,
    /// Where the store (`state.sqlite3`) and the files of attachments and
    /// images are kept. Several emulators, in one process or several, may
    /// share it.
    pub data_dir: PathBuf,
    /// Largest file part of an upload accepted (default: the documented
    /// 200 MB of an attachment).
    pub max_attachment: u64,
    /// How long a client may take to send a request head (default 10 s).
    pub header_read_timeout: Duration,
    /// A request body must bring at least 1 KiB in every such window
    /// (default 30 s), or the request fails and nothing is stored.
    pub body_idle_timeout: Duration,
    /// How long a write waits for another process's write to the same
    /// data directory (default 10 s); past it the request is answered 503.
    pub store_busy_timeout: Duration,
    /// Whether work items, comments, labels, attachments and images keep
    /// state (the default). Without it every operation is answered from
    /// the spec's examples and schemas alone, as Prism's mock server does.
    pub stateful: bool,
    /// How many of the latest requests [`Emulator::recorded`](crate::Emulator::recorded)
    /// keeps (default 1,000): older ones are forgotten, so a long-running
    /// emulator's memory stays bounded.
    pub recorded_requests: usize,
    /// The host names it answers for, as a real gateway answers only for
    /// its own (`projectman-ext.<region>.myhuaweicloud.com`): a request
    /// whose `Host` (without its port) is not one of them is refused with a
    /// 400, before its signature is checked. Empty (the default): any.
    pub hosts: Vec<String>,
}

impl Config {
    /// A config with the documented limits.
    pub fn new(access_key: &str, secret_key: &str, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            token: None,
            data_dir: data_dir.into(),
            max_attachment: MAX_ATTACHMENT,
            header_read_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(30),
            store_busy_timeout: Duration::from_secs(10),
            stateful: true,
            recorded_requests: 1000,
            hosts: Vec::new(),
        }
    }
}

//! When a failed attempt is tried again, and how long to wait first.
//!
//! A request is retried, up to [`RetryPolicy`]'s attempts with exponential
//! backoff and full jitter (or the server's `Retry-After`, when shorter than
//! the cap), when
//! - the connection could not be made or broke before a response arrived, or
//! - the service answered 429, 502, 503 or 504.
//!
//! A request whose body cannot be rebuilt (a [`FilePart::from_reader`]
//! upload) is never retried.
//!
//! **Retrying a POST is not always safe.** A connection that broke after the
//! service stored an upload, or a 502/504 from the gateway after the backend
//! finished, makes a retried upload store the attachment twice. 429 and 503
//! mean the request was not processed, and a failed connect never reached
//! the service; those retries are safe. If a duplicate attachment is worse
//! than a failed call, use [`RetryPolicy::none`] or list the work item's
//! attachments before uploading again.
//!
//! [`FilePart::from_reader`]: crate::FilePart::from_reader

use std::time::Duration;

use reqwest::{Response, StatusCode};

/// When and how often requests are retried; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, backing off from 200 ms up to 5 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sends each request at most `max_attempts` times (at least once).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Backs off from `initial`, doubling, up to `max` between attempts.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// The most times a request is sent.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether an answer with this status is worth another attempt.
    pub fn retries_status(&self, status: StatusCode) -> bool {
        matches!(status.as_u16(), 429 | 502 | 503 | 504)
    }

    /// Whether a transport error is worth another attempt: connection
    /// failures, not timeouts (a timed-out request may still be processed,
    /// and waiting again doubles the wait).
    pub fn retries_error(&self, error: &reqwest::Error) -> bool {
        !error.is_timeout() && (error.is_connect() || error.is_request() || error.is_body())
    }

    /// Whether the outcome of an attempt is worth another one.
    pub(crate) fn retries(&self, result: &reqwest::Result<Response>) -> bool {
        match result {
            Ok(response) => self.retries_status(response.status()),
            Err(error) => self.retries_error(error),
        }
    }

    /// The pause before attempt `attempt + 1`: full jitter over an
    /// exponential backoff, or the server's `Retry-After` if within the cap.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after.filter(|d| *d <= self.max_backoff) {
            return after;
        }
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16))
            .min(self.max_backoff);
        exp.mul_f64(fastrand::f64())
    }
}

/// The `Retry-After` of a response, in whole seconds as the service sends it.
pub(crate) fn retry_after(result: &reqwest::Result<Response>) -> Option<Duration> {
    let value = result
        .as_ref()
        .ok()?
        .headers()
        .get(reqwest::header::RETRY_AFTER)?;
    value
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
        .map(Duration::from_secs)
}

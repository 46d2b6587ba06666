//! When a failed attempt is tried again, and how long to wait first.
//!
//! **The rule.** An attempt is tried again, up to [`RetryPolicy`]'s
//! attempts, only when a second one cannot do harm:
//!
//! | outcome of the attempt | idempotent operation | other operation |
//! | --- | --- | --- |
//! | no connection could be made (nothing was sent) | retried | retried |
//! | 429 Too Many Requests, 503 Service Unavailable (the service says it did not process it) | retried | retried |
//! | 502 Bad Gateway, 504 Gateway Timeout (the backend may have finished) | retried | **not retried** |
//! | the connection broke after the request may have been written | retried | **not retried** |
//! | a timeout, a stalled stream, any other status | not retried | not retried |
//!
//! An operation is idempotent when its method is GET, HEAD, PUT, DELETE or
//! OPTIONS, or when the spec marks it `x-idempotent: true` (the POSTs that
//! only read: queries, lists and shows sent as POST); `x-idempotent:
//! false` marks a PUT or DELETE that is not. Each operation's docs say
//! which it is. So a create answered by a 502 is reported, never sent
//! twice: the 502 may have come after the service created the item.
//! Huawei's own SDKs do not retry unless asked (`HttpConfig.retry_times`
//! is 0 by default); [`RetryPolicy::none`] does the same here.
//!
//! **The wait.** Exponential backoff with full jitter, or, when the service
//! sends `Retry-After` (in seconds or as an HTTP date), exactly that wait,
//! up to [`RetryPolicy::with_max_retry_after`] (30 s by default). A longer
//! `Retry-After` is not waited for, and not retried sooner either: the call
//! fails at once with the service's error, whose
//! [`retry_after`](crate::ApiError::retry_after) carries the wait, so the
//! caller decides.
//!
//! Every decision is logged (`tracing`, target `codearts_req_runtime`):
//! a retry at `warn` with its reason and wait, a refusal to retry at
//! `debug` with its reason. A request whose body cannot be rebuilt (a
//! [`FilePart::from_reader`] upload) is never retried.
//!
//! [`FilePart::from_reader`]: crate::FilePart::from_reader

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// When and how often requests are retried; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, backing off from 200 ms up to 5 s, and waiting a
    /// `Retry-After` of up to 30 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// What one attempt came to, as the retry rule sees it.
pub(crate) enum Outcome<'a> {
    /// An answer.
    Answer { status: u16, headers: &'a HeaderMap },
    /// No connection could be made: nothing was sent.
    NotConnected,
    /// The exchange failed after the request may have been written.
    Broken,
    /// A timeout, a stall, or anything else.
    Other,
}

/// Whether to try again, and why.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Try again after this wait.
    Retry {
        after: Duration,
        reason: &'static str,
    },
    /// Stop here: the attempt's outcome is the call's.
    Stop { reason: &'static str },
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

    /// The longest `Retry-After` that is waited for (default 30 s); a
    /// longer one fails the call at once, carrying the wait.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The most times a request is sent.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The longest `Retry-After` that is waited for.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// Whether attempt number `attempt` (from 1), with this outcome, is
    /// tried again, and after what wait.
    pub(crate) fn decide(&self, outcome: &Outcome<'_>, idempotent: bool, attempt: u32) -> Decision {
        let (retryable, reason) = match outcome {
            Outcome::NotConnected => (true, "no connection could be made, so nothing was sent"),
            Outcome::Answer { status: 429, .. } => (true, "429: the service is throttling"),
            Outcome::Answer { status: 503, .. } => (true, "503: the service is unavailable"),
            Outcome::Answer {
                status: 502 | 504, ..
            } if idempotent => (true, "the gateway failed, and the operation is idempotent"),
            Outcome::Answer {
                status: 502 | 504, ..
            } => (
                false,
                "the gateway failed after the backend may have processed a call that is not idempotent",
            ),
            Outcome::Broken if idempotent => (
                true,
                "the connection broke, and the operation is idempotent",
            ),
            Outcome::Broken => (
                false,
                "the connection broke after the request may have been written, and the operation \
                 is not idempotent",
            ),
            Outcome::Answer { .. } => (false, "the status is not one that is retried"),
            Outcome::Other => (false, "timeouts and stalls are not retried"),
        };
        if !retryable {
            return Decision::Stop { reason };
        }
        if attempt >= self.max_attempts {
            return Decision::Stop {
                reason: "no attempts are left",
            };
        }
        let retry_after = match outcome {
            Outcome::Answer { headers, .. } => retry_after(headers, SystemTime::now()),
            _ => None,
        };
        match retry_after {
            Some(wait) if wait > self.max_retry_after => Decision::Stop {
                reason: "the service's Retry-After is longer than the policy waits",
            },
            Some(wait) => Decision::Retry {
                after: wait,
                reason,
            },
            None => Decision::Retry {
                after: self.backoff(attempt),
                reason,
            },
        }
    }

    /// The pause before attempt `attempt + 1`: full jitter over an
    /// exponential backoff.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16))
            .min(self.max_backoff);
        exp.mul_f64(fastrand::f64())
    }
}

/// The `Retry-After` of an answer: whole seconds, or an HTTP date (a date
/// in the past is no wait).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &HeaderMap) -> Outcome<'_> {
        Outcome::Answer { status, headers }
    }

    #[test]
    fn writes_are_retried_only_when_they_were_certainly_not_processed() {
        let policy = RetryPolicy::default();
        let none = HeaderMap::new();
        let retried = |o: &Outcome<'_>, idempotent| {
            matches!(policy.decide(o, idempotent, 1), Decision::Retry { .. })
        };
        for idempotent in [true, false] {
            assert!(retried(&Outcome::NotConnected, idempotent));
            assert!(retried(&answer(429, &none), idempotent));
            assert!(retried(&answer(503, &none), idempotent));
            assert!(!retried(&answer(500, &none), idempotent));
            assert!(!retried(&answer(400, &none), idempotent));
            assert!(!retried(&Outcome::Other, idempotent));
        }
        assert!(retried(&answer(502, &none), true));
        assert!(retried(&answer(504, &none), true));
        assert!(retried(&Outcome::Broken, true));
        assert!(!retried(&answer(502, &none), false));
        assert!(!retried(&answer(504, &none), false));
        assert!(!retried(&Outcome::Broken, false));
        assert!(matches!(
            policy.decide(&Outcome::NotConnected, true, 3),
            Decision::Stop { .. }
        ));
    }

    #[test]
    fn retry_after_is_waited_in_full_up_to_the_limit_and_never_shortened() {
        let policy = RetryPolicy::default().with_max_retry_after(Duration::from_secs(10));
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "8".parse().unwrap());
        assert_eq!(
            policy.decide(&answer(429, &headers), false, 1),
            Decision::Retry {
                after: Duration::from_secs(8),
                reason: "429: the service is throttling"
            }
        );
        headers.insert(reqwest::header::RETRY_AFTER, "11".parse().unwrap());
        assert!(matches!(
            policy.decide(&answer(503, &headers), true, 1),
            Decision::Stop { .. }
        ));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:08 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(8)));
        headers.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:27:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(reqwest::header::RETRY_AFTER, " 120 ".parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(120)));
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn backoff_is_jittered_under_the_cap() {
        let policy = RetryPolicy::default();
        for attempt in 1..20 {
            assert!(policy.backoff(attempt) <= Duration::from_secs(5));
        }
    }
}

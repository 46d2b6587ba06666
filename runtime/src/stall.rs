//! Stalled-stream protection, as aws-sdk-rust has it: a body (an upload,
//! a JSON or error answer, a download) whose throughput stays below a floor
//! for longer than a grace period fails with
//! [`ApiError::StalledStream`](crate::ApiError::StalledStream), so a peer
//! that trickles bytes cannot hold a call forever. The idle (read) timeout
//! cannot catch that: each trickled byte resets it.
//!
//! Only time spent waiting on the network counts: while the caller is not
//! reading a download (a slow disk, say), its clock stands still. An upload
//! is watched from its first byte to its last; the wait for the answer
//! after that is the read timeout's.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::error::{ApiError, Direction};

/// How often a stalled body is checked.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The floor and grace period of stalled-stream protection, as aws-sdk-rust
/// has it: a body (an upload, a JSON or error answer, a download) whose
/// throughput stays below the floor for longer than the grace period fails
/// with [`ApiError::StalledStream`](crate::ApiError::StalledStream), so a
/// peer that trickles bytes cannot hold a call (the idle timeout cannot
/// catch that: each trickled byte resets it). Only time spent waiting on
/// the network counts. The default, as aws-sdk-rust's, never trips a slow
/// but live link: less than 1 byte per second for 20 seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StalledStreamProtection {
    enabled: bool,
    min_throughput: u64,
    grace: Duration,
}

impl Default for StalledStreamProtection {
    /// On: at least 1 byte/s over any 20 s of waiting.
    fn default() -> Self {
        Self {
            enabled: true,
            min_throughput: 1,
            grace: Duration::from_secs(20),
        }
    }
}

impl StalledStreamProtection {
    /// Fails a transfer that moves fewer than `min_bytes_per_second` bytes
    /// per second, on average over `grace`.
    pub fn new(min_bytes_per_second: u64, grace: Duration) -> Self {
        Self {
            enabled: true,
            min_throughput: min_bytes_per_second,
            grace: grace.max(CHECK_EVERY),
        }
    }

    /// No protection: only the read timeout and the deadline bound a
    /// transfer.
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Whether the protection is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The floor, in bytes per second.
    pub fn min_throughput(&self) -> u64 {
        self.min_throughput
    }

    /// How long the throughput may stay below the floor.
    pub fn grace_period(&self) -> Duration {
        self.grace
    }

    fn error(&self, direction: Direction, bytes: u64) -> ApiError {
        ApiError::StalledStream {
            direction,
            min_throughput: self.min_throughput,
            grace: self.grace,
            bytes,
        }
    }
}

/// Bytes over time, to tell whether the last grace period moved enough.
struct Throughput {
    protection: StalledStreamProtection,
    /// (time, bytes so far), oldest first, trimmed to the grace period.
    samples: VecDeque<(Duration, u64)>,
    total: u64,
}

impl Throughput {
    fn new(protection: StalledStreamProtection) -> Self {
        Self {
            protection,
            samples: VecDeque::from([(Duration::ZERO, 0)]),
            total: 0,
        }
    }

    fn record(&mut self, at: Duration, bytes: u64) {
        self.total += bytes;
        self.samples.push_back((at, self.total));
        // Keep the last sample before the window's start.
        let start = at.saturating_sub(self.protection.grace);
        while self.samples.len() > 1 && self.samples[1].0 < start {
            self.samples.pop_front();
        }
    }

    /// Whether fewer bytes than the floor allows moved in the grace period
    /// that ends `now` (bytes counted at its very start included).
    fn stalled(&self, now: Duration) -> bool {
        let grace = self.protection.grace;
        if !self.protection.enabled || now < grace {
            return false;
        }
        let start = now - grace;
        let before = self
            .samples
            .iter()
            .rev()
            .find(|(at, _)| *at < start)
            .map_or(0, |(_, total)| *total);
        let moved = (self.total - before) as f64;
        moved < self.protection.min_throughput as f64 * grace.as_secs_f64()
    }
}

/// A response body, guarded: its chunks, or a stall error.
pub(crate) struct GuardedBody<S> {
    inner: Pin<Box<S>>,
    throughput: Throughput,
    /// Time spent waiting on the network, before the current wait.
    waited: Duration,
    waiting_since: Option<Instant>,
    timer: Pin<Box<Sleep>>,
    done: bool,
}

impl<S> GuardedBody<S> {
    pub(crate) fn new(inner: S, protection: StalledStreamProtection) -> Self {
        Self {
            inner: Box::pin(inner),
            throughput: Throughput::new(protection),
            waited: Duration::ZERO,
            waiting_since: None,
            timer: Box::pin(tokio::time::sleep(CHECK_EVERY)),
            done: false,
        }
    }
}

impl<S> Stream for GuardedBody<S>
where
    S: Stream<Item = reqwest::Result<Bytes>>,
{
    type Item = Result<Bytes, ApiError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some(since) = this.waiting_since.take() {
                    this.waited += since.elapsed();
                }
                this.throughput.record(this.waited, chunk.len() as u64);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                Poll::Ready(Some(Err(ApiError::from_reqwest(e))))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                if !this.throughput.protection.enabled {
                    return Poll::Pending;
                }
                let now = Instant::now();
                let since = *this.waiting_since.get_or_insert(now);
                if this.throughput.stalled(this.waited + (now - since)) {
                    this.done = true;
                    let bytes = this.throughput.total;
                    let error = this.throughput.protection.error(Direction::Download, bytes);
                    return Poll::Ready(Some(Err(error)));
                }
                // Look again in a second, unless a chunk comes first.
                this.timer.as_mut().reset(now + CHECK_EVERY);
                let _ = this.timer.as_mut().poll(cx);
                Poll::Pending
            }
        }
    }
}

/// How far an upload's body has been read by the HTTP client.
#[derive(Debug, Default)]
pub(crate) struct UploadProgress {
    bytes: AtomicU64,
    started: AtomicBool,
    finished: AtomicBool,
}

impl UploadProgress {
    /// Counts a chunk handed to the HTTP client.
    pub(crate) fn sent(&self, bytes: usize) {
        self.started.store(true, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// The body was read to its end.
    pub(crate) fn finish(&self) {
        self.finished.store(true, Ordering::Relaxed);
    }
}

/// Resolves with a stall error if the upload's body stops moving, else
/// never: raced against the request.
pub(crate) async fn watch_upload(
    progress: Arc<UploadProgress>,
    protection: StalledStreamProtection,
) -> ApiError {
    if !protection.enabled {
        return std::future::pending().await;
    }
    let mut throughput = Throughput::new(protection);
    let mut start = None;
    let mut interval = tokio::time::interval(CHECK_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if progress.finished.load(Ordering::Relaxed) {
            return std::future::pending().await;
        }
        if !progress.started.load(Ordering::Relaxed) {
            continue;
        }
        let start = *start.get_or_insert_with(Instant::now);
        let now = start.elapsed();
        let bytes = progress.bytes.load(Ordering::Relaxed);
        throughput.record(now, bytes - throughput.total);
        if throughput.stalled(now) {
            return protection.error(Direction::Upload, bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_trickle_below_the_floor_stalls_once_the_grace_period_passed() {
        let mut t = Throughput::new(StalledStreamProtection::default());
        // One byte every 5 s: 4 bytes in any 20 s, under the 20 required.
        for i in 1..=3 {
            t.record(secs(5 * i), 1);
            assert!(!t.stalled(secs(5 * i)), "within the grace period");
        }
        t.record(secs(20), 1);
        assert!(t.stalled(secs(20)));
    }

    #[test]
    fn a_slow_but_live_link_never_stalls() {
        let mut t = Throughput::new(StalledStreamProtection::default());
        for s in 1..=600 {
            t.record(secs(s), 2);
            assert!(!t.stalled(secs(s)), "at {s} s");
        }
        assert!(t.samples.len() <= 22, "samples are trimmed to the window");
    }

    #[test]
    fn a_burst_then_silence_stalls_a_grace_period_after_the_burst() {
        let mut t = Throughput::new(StalledStreamProtection::new(10, secs(5)));
        t.record(secs(1), 1_000_000);
        assert!(!t.stalled(secs(5)));
        assert!(!t.stalled(secs(6)), "the burst is still in the window");
        assert!(t.stalled(secs(7)));
        assert!(!Throughput::new(StalledStreamProtection::disabled()).stalled(secs(99)));
    }
}

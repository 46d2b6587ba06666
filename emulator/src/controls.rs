//! What tests can do to a running emulator beyond calling it: see the
//! requests it received, make it fail the next ones, mark work items
//! deleted, give projects custom fields, and look at stored attachments.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::{HeaderMap, Method, StatusCode};

use crate::Emulator;
use crate::store::state::Attachment;

/// What the emulator saw of one request, for wire-format tests.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Recorded {
    /// Method.
    pub method: Method,
    /// Path and query as received.
    pub uri: String,
    /// Headers as received.
    pub headers: HeaderMap,
    /// For `multipart/form-data` requests: the number of parts read.
    pub parts: Option<usize>,
    /// For JSON requests: the body, as parsed (before validation), if it
    /// was at most [`RECORDED_BODY_LIMIT`] bytes.
    pub body: Option<serde_json::Value>,
}

/// The largest JSON body a [`Recorded`] keeps: the recording holds up to
/// a thousand requests, so its memory stays bounded.
pub const RECORDED_BODY_LIMIT: usize = 64 * 1024;

/// One request's record while it is handled; the handler adds what it
/// learns (a form's part count) to its own request's record.
pub(crate) struct Entry {
    method: Method,
    uri: String,
    headers: HeaderMap,
    parts: OnceLock<usize>,
    body: OnceLock<serde_json::Value>,
}

impl Entry {
    /// The number of parts of the request's form.
    pub(crate) fn set_parts(&self, parts: usize) {
        let _ = self.parts.set(parts);
    }

    /// The request's JSON body (already bounded by the body reader).
    pub(crate) fn set_body(&self, body: &serde_json::Value) {
        let _ = self.body.set(body.clone());
    }
}

/// The latest requests, at most `limit` of them.
pub(crate) struct Recording {
    limit: usize,
    entries: Mutex<VecDeque<Arc<Entry>>>,
}

impl Recording {
    pub(crate) fn new(limit: usize) -> Recording {
        Recording {
            limit,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// Records a request; the entry goes with the request for its handler.
    pub(crate) fn record(&self, method: &Method, uri: String, headers: &HeaderMap) -> Arc<Entry> {
        let entry = Arc::new(Entry {
            method: method.clone(),
            uri,
            headers: headers.clone(),
            parts: OnceLock::new(),
            body: OnceLock::new(),
        });
        if self.limit > 0 {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if entries.len() == self.limit {
                entries.pop_front();
            }
            entries.push_back(entry.clone());
        }
        entry
    }

    fn snapshot(&self) -> Vec<Recorded> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .map(|e| Recorded {
                method: e.method.clone(),
                uri: e.uri.clone(),
                headers: e.headers.clone(),
                parts: e.parts.get().copied(),
                body: e.body.get().cloned(),
            })
            .collect()
    }
}

impl Emulator {
    /// The latest requests received, oldest first (at most
    /// [`Config::recorded_requests`](crate::Config::recorded_requests)).
    pub fn recorded(&self) -> Vec<Recorded> {
        self.shared.gate.recording.snapshot()
    }

    /// Answers the next requests with these statuses (and a JSON error
    /// body) before handling any, in order.
    pub fn inject_statuses(&self, statuses: &[StatusCode]) {
        self.shared
            .gate
            .injected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(statuses.iter().rev());
    }

    /// Marks a work item deleted (any id, known or not): uploads and
    /// comments to it answer 400 `PM.02175145`. Without state
    /// (`--spec-only`) it does nothing.
    pub fn mark_deleted(&self, project_id: &str, issue_id: &str) -> std::io::Result<()> {
        self.shared.mark_deleted(project_id, issue_id)
    }

    /// Gives a project `count` more custom fields, which
    /// `ListIpdProjectFields` then pages through (the API has no operation
    /// that creates one). Without state (`--spec-only`) it does nothing.
    pub fn add_project_fields(&self, project_id: &str, count: usize) -> std::io::Result<()> {
        let Some(store) = &self.shared.generic.store else {
            return Ok(());
        };
        store
            .write(|txn| {
                crate::stateful::add_project_fields(txn.state, project_id, count);
                Ok::<(), ()>(())
            })
            .map(drop)
            .map_err(std::io::Error::other)
    }

    /// How many `multipart/form-data` requests were handled to the end,
    /// stored or not (one whose connection broke counts once its handler
    /// is gone).
    pub fn finished_uploads(&self) -> usize {
        self.shared.generic.forms_finished.load(Ordering::SeqCst)
    }

    /// Every stored attachment, oldest first.
    pub fn attachments(&self) -> Vec<Attachment> {
        let Some(store) = &self.shared.generic.store else {
            return Vec::new();
        };
        let mut all = store
            .read(|state, _| {
                state
                    .projects
                    .values()
                    .flat_map(|p| p.attachments.values().cloned())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        all.sort_by(|a, b| (a.id.len(), &a.id).cmp(&(b.id.len(), &b.id)));
        all
    }

    /// Where an attachment's bytes are.
    pub fn content_path(&self, attachment: &Attachment) -> PathBuf {
        match &self.shared.generic.store {
            Some(store) => store.files().attachment(&attachment.storage_id),
            None => PathBuf::new(),
        }
    }
}

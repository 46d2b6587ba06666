//! One call of an operation, described step by step: the path from its
//! literal parts and parameters, the query, the headers and the body.
//! Problems with the values (a required one missing, a path parameter
//! that is not one segment) are kept and reported by [`Call::send`] before
//! anything is sent, so a description stays a flat chain.
//!
//! The generated builders describe their calls this way; so can a tool
//! that picks the operation at run time (the `ipd` command calls every
//! operation from its table like this), with the same signing, retries,
//! bounds and errors as the typed client.

use std::fmt::Display;

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use serde::Serialize;

use std::sync::Arc;

use crate::config::{CallConfig, Transport};
use crate::error::ApiError;
use crate::multipart::ToMultipart;
use crate::response::{Deadline, RawResponse};
use crate::stall::UploadProgress;

/// Characters a path segment keeps as they are: RFC 3986's unreserved set.
/// Everything else, `/`, `\`, `%`, `?`, `#` and controls included, is
/// percent-encoded, so a value can neither end its segment nor be
/// normalised into another path.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes `value` as exactly one path segment, or says why it cannot be
/// one: empty, `.` and `..` would be dropped or resolved by URL
/// normalisation (even percent-encoded, per the URL standard).
pub fn encode_segment(value: &str) -> Result<String, &'static str> {
    match value {
        "" => Err("a path parameter cannot be empty"),
        "." | ".." => Err("a path parameter cannot be `.` or `..`"),
        _ => Ok(utf8_percent_encode(value, SEGMENT).to_string()),
    }
}

enum Body<'a> {
    None,
    Bytes {
        content_type: &'static str,
        bytes: Bytes,
    },
    Form(&'a (dyn ToMultipart + Sync)),
}

/// One call being described, started by [`Transport::call`]; nothing is
/// sent until [`send`](Call::send).
///
/// ```no_run
/// # async fn demo(transport: &codearts_req_runtime::Transport) -> Result<(), codearts_req_runtime::ApiError> {
/// use codearts_req_runtime::reqwest::Method;
///
/// // GET /v1/widgets/{widget_id}?verbose=true, decoded as JSON.
/// let answer = transport
///     .call(Method::GET, "ShowWidget")
///     .idempotent(true)
///     .path("/v1/widgets/")
///     .path_param("widget_id", Some("w/1")) // sent as `w%2F1`
///     .query("verbose", Some(true), false)
///     .send()
///     .await?;
/// if answer.status() >= 400 {
///     return Err(answer.error(true).await);
/// }
/// let widget = answer.json::<serde_json::Value>().await?.into_inner();
/// # let _ = widget;
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct Call<'a> {
    transport: &'a Transport,
    method: Method,
    operation: &'static str,
    path: String,
    query: Vec<(&'static str, String)>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Body<'a>,
    problem: Option<ApiError>,
    idempotent: bool,
    config: Option<&'a CallConfig>,
}

impl Transport {
    /// Starts describing a call of `operation` (its name, for errors and
    /// `tracing` spans). The call is not idempotent unless
    /// [`Call::idempotent`] says so: it is then retried only when the
    /// service certainly did not process it.
    pub fn call(&self, method: Method, operation: &'static str) -> Call<'_> {
        Call::new(self, method, operation)
    }
}

impl<'a> Call<'a> {
    fn new(transport: &'a Transport, method: Method, operation: &'static str) -> Self {
        Self {
            transport,
            operation,
            path: String::new(),
            query: Vec::new(),
            headers: Vec::new(),
            // Whether an operation is idempotent is the spec's to say (the
            // code generator decides it once); unknown, it is not.
            idempotent: false,
            method,
            body: Body::None,
            problem: None,
            config: None,
        }
    }

    /// Whether sending the call twice has the effect of sending it once
    /// (by default, no); see [`retry`](crate::retry).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// This call's own settings, over the client's.
    pub fn config(mut self, config: &'a CallConfig) -> Self {
        self.config = Some(config);
        self
    }

    fn fail(&mut self, problem: ApiError) {
        self.problem.get_or_insert(problem);
    }

    fn missing(&mut self, parameter: &'static str) {
        let operation = self.operation;
        self.fail(ApiError::MissingParameter {
            operation,
            parameter,
        });
    }

    /// Records a problem found before the call was described (a value that
    /// failed its conversion, a body its builder could not build), in the
    /// order of the call's parameters, so the first one is reported.
    pub fn problem(mut self, problem: Option<ApiError>) -> Self {
        if let Some(problem) = problem {
            self.fail(problem);
        }
        self
    }

    /// Appends a literal part of the path template, as the spec gives it.
    pub fn path(mut self, literal: &'static str) -> Self {
        self.path.push_str(literal);
        self
    }

    /// Appends a path parameter as exactly one segment.
    pub fn path_param(mut self, name: &'static str, value: Option<impl Display>) -> Self {
        match value.map(|v| encode_segment(&v.to_string())) {
            Some(Ok(segment)) => self.path.push_str(&segment),
            Some(Err(reason)) => {
                let operation = self.operation;
                self.fail(ApiError::InvalidParameter {
                    operation,
                    parameter: name,
                    reason: reason.into(),
                });
            }
            None => self.missing(name),
        }
        self
    }

    /// Adds a query parameter, if set.
    pub fn query(
        mut self,
        name: &'static str,
        value: Option<impl Display>,
        required: bool,
    ) -> Self {
        match value {
            Some(value) => self.query.push((name, value.to_string())),
            None if required => self.missing(name),
            None => {}
        }
        self
    }

    /// Adds a header parameter, if set.
    pub fn header(
        mut self,
        name: &'static str,
        value: Option<impl Display>,
        required: bool,
    ) -> Self {
        match value.map(|v| HeaderValue::try_from(v.to_string())) {
            Some(Ok(value)) => match HeaderName::try_from(name) {
                Ok(name) => self.headers.push((name, value)),
                Err(_) => self.fail(ApiError::InvalidRequest(format!(
                    "`{name}` is not a valid header name"
                ))),
            },
            Some(Err(_)) => {
                let operation = self.operation;
                self.fail(ApiError::InvalidParameter {
                    operation,
                    parameter: name,
                    reason: "the value cannot be sent in an HTTP header".into(),
                });
            }
            None if required => self.missing(name),
            None => {}
        }
        self
    }

    /// Asks for this media type in the answer.
    pub fn accept(mut self, media_type: &'static str) -> Self {
        self.headers
            .push((ACCEPT, HeaderValue::from_static(media_type)));
        self
    }

    /// Sends `body` as JSON, under the spec's exact content type.
    pub fn json<T: Serialize>(
        mut self,
        content_type: &'static str,
        body: Option<&T>,
        required: bool,
    ) -> Self {
        match body.map(serde_json::to_vec) {
            Some(Ok(bytes)) => {
                self.body = Body::Bytes {
                    content_type,
                    bytes: bytes.into(),
                }
            }
            Some(Err(e)) => self.fail(ApiError::InvalidRequest(format!(
                "the body cannot be serialised: {e}"
            ))),
            None if required => self.missing("body"),
            None => {}
        }
        self
    }

    /// Sends `form` as `multipart/form-data`, rebuilt from its sources for
    /// each attempt.
    pub fn form(mut self, form: Option<&'a (dyn ToMultipart + Sync)>, required: bool) -> Self {
        match form {
            Some(form) => self.body = Body::Form(form),
            None if required => self.missing("body"),
            None => {}
        }
        self
    }

    /// Sends the call: authenticated, retried when safe, within the
    /// client's bounds (or this call's own, [`config`](Self::config)).
    pub async fn send(self) -> Result<RawResponse, ApiError> {
        if let Some(problem) = self.problem {
            return Err(problem);
        }
        let transport = self.transport;
        let own = self.config;
        let settings = crate::send::Settings {
            retry: own
                .and_then(|c| c.retry.clone())
                .unwrap_or_else(|| transport.retry.clone()),
            stalled: own.and_then(|c| c.stalled).unwrap_or(transport.stalled),
            attempt_timeout: own.and_then(|c| c.attempt_timeout),
            idempotent: self.idempotent,
        };
        let deadline = own.and_then(|c| c.deadline).unwrap_or(transport.deadline);
        let mut url = reqwest::Url::parse(&format!("{}{}", transport.base_url, self.path))
            .map_err(|e| ApiError::InvalidRequest(format!("cannot form the URL: {e}")))?;
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        let build = || {
            let mut request = transport.http.request(self.method.clone(), url.clone());
            for (name, value) in &self.headers {
                request = request.header(name, value);
            }
            let mut progress = None;
            request = match &self.body {
                Body::None => request,
                Body::Bytes {
                    content_type,
                    bytes,
                } => request
                    .header(CONTENT_TYPE, *content_type)
                    .body(bytes.clone()),
                Body::Form(form) => {
                    let watched = Arc::new(UploadProgress::default());
                    progress = Some(watched.clone());
                    form.to_multipart().attach_watched(request, watched)?
                }
            };
            Some(
                request
                    .build()
                    .map(|request| (request, progress))
                    .map_err(ApiError::from_reqwest),
            )
        };
        let deadline = deadline.map(|given| Deadline {
            at: tokio::time::Instant::now() + given,
            given,
        });
        let send = crate::send::send(transport, &settings, self.operation, build);
        let response = Deadline::bound(deadline, send).await?;
        Ok(RawResponse::new(
            response,
            transport.max_body,
            deadline,
            settings.stalled,
        ))
    }
}

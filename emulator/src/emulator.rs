//! The emulated service: routes, storage and test controls.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::gateway::{self, Keys, Received};
use crate::generic::Generic;
use crate::reply::error;
use crate::stateful::Store;
use ipd_catalogue::Catalogue;

/// The documented maximum size of one attachment: 200 MB.
pub const MAX_ATTACHMENT: u64 = 200 * 1024 * 1024;

/// Largest JSON request body the gateway hashes for a signature check.
const MAX_SIGNED_BODY: usize = 1024 * 1024;

/// How the emulator is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// The access key it accepts.
    pub access_key: String,
    /// The secret key of that access key.
    pub secret_key: String,
    /// An IAM token it accepts in `X-Auth-Token`, if any.
    pub token: Option<String>,
    /// Where attachments and their metadata are kept.
    pub data_dir: PathBuf,
    /// Largest attachment accepted (default: the documented 200 MB).
    pub max_attachment: u64,
    /// How long a client may take to send a request head (default 10 s).
    pub header_read_timeout: std::time::Duration,
    /// A request body must bring at least 1 KiB in every such window
    /// (default 30 s), or the request fails and nothing is stored.
    pub body_idle_timeout: std::time::Duration,
    /// Whether work items, comments, labels, attachments and images keep
    /// state (the default). Without it every operation is answered from
    /// the spec's examples and schemas alone, as Prism's mock server does.
    pub stateful: bool,
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
            header_read_timeout: std::time::Duration::from_secs(10),
            body_idle_timeout: std::time::Duration::from_secs(30),
            stateful: true,
        }
    }
}

/// What the emulator saw of one request, for wire-format tests.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Method.
    pub method: Method,
    /// Path and query as received.
    pub uri: String,
    /// Headers as received.
    pub headers: HeaderMap,
    /// For uploads: the number of multipart parts.
    pub parts: Option<usize>,
}

/// A stored attachment's metadata, kept beside its bytes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attachment {
    /// Attachment ID.
    pub id: String,
    /// Project.
    pub project_id: String,
    /// Work item.
    pub issue_id: String,
    /// File name as uploaded.
    pub store_filename: String,
    /// Storage ID (the stored file's name).
    pub storage_id: String,
    /// Extension taken from the file name, sanitised.
    pub extension: String,
    /// Size in bytes.
    pub size: u64,
    /// Upload time, epoch milliseconds.
    pub created_ms: u64,
    /// SHA-256 of the content.
    pub sha256: String,
}

struct Shared {
    config: Config,
    /// The spec, and the state of what is not attachments.
    generic: Arc<Generic>,
    keys: Keys,
    deleted: Mutex<HashSet<(String, String)>>,
    recorded: Mutex<Vec<Recorded>>,
    /// Statuses to answer instead of handling the next requests.
    injected: Mutex<Vec<StatusCode>>,
    next_id: Mutex<u64>,
    finished_uploads: std::sync::atomic::AtomicUsize,
}

/// A running emulator.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Emulator {
    /// Binds `addr` (port 0 for any) and serves in the background.
    pub async fn start(addr: SocketAddr, config: Config) -> std::io::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let header_read_timeout = config.header_read_timeout;
        let shared = Arc::new(Shared::open(config)?);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let app = router(shared.clone());
        let task = tokio::spawn(async move {
            crate::server::serve(listener, app, header_read_timeout, async {
                let _ = rx.await;
            })
            .await
        });
        Ok(Emulator {
            addr,
            shared,
            shutdown: Some(tx),
            task,
        })
    }

    /// `http://IP:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Marks a work item deleted: uploads to it answer 400 `PM.02175145`.
    pub fn mark_deleted(&self, project_id: &str, issue_id: &str) {
        self.shared.mark_deleted(project_id, issue_id);
    }

    /// Gives a project `count` more custom fields, which
    /// `ListIpdProjectFields` then pages through (the API has no operation
    /// that creates one). Without state (`--spec-only`) it does nothing.
    pub fn add_project_fields(&self, project_id: &str, count: usize) -> std::io::Result<()> {
        match &self.shared.generic.store {
            Some(store) => store.add_project_fields(project_id, count),
            None => Ok(()),
        }
    }

    /// Answers the next requests with these statuses (and a JSON error
    /// body) before handling any, in order.
    pub fn inject_statuses(&self, statuses: &[StatusCode]) {
        self.shared
            .injected
            .lock()
            .unwrap()
            .extend(statuses.iter().rev());
    }

    /// Requests received so far.
    pub fn recorded(&self) -> Vec<Recorded> {
        self.shared.recorded.lock().unwrap().clone()
    }

    /// How many upload requests were handled to the end, stored or not
    /// (an upload whose connection broke counts once its handler is gone).
    pub fn finished_uploads(&self) -> usize {
        self.shared
            .finished_uploads
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every stored attachment.
    pub fn attachments(&self) -> Vec<Attachment> {
        self.shared.all().unwrap_or_default()
    }

    /// Where an attachment's bytes are.
    pub fn content_path(&self, attachment: &Attachment) -> PathBuf {
        self.shared.content_path(&attachment.storage_id)
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await.map_err(std::io::Error::other)?
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves on `listener` until `shutdown` resolves (for the binary).
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    deleted: &[(String, String)],
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let header_read_timeout = config.header_read_timeout;
    let shared = Arc::new(Shared::open(config)?);
    for (project, issue) in deleted {
        shared.mark_deleted(project, issue);
    }
    crate::server::serve(listener, router(shared), header_read_timeout, shutdown).await
}

/// Attachments stream through handlers of their own; every other operation
/// is served by the generic machinery, with its stateful handlers.
fn router(shared: Arc<Shared>) -> Router {
    let mut router = Router::new();
    if shared.config.stateful {
        router = router
            .route(
                "/v1/ipdprojectservice/projects/{project_id}/issues/{issue_id}/attachments/upload",
                post(upload),
            )
            .route(
                "/v1/ipdprojectservice/projects/{project_id}/attachments",
                get(list),
            )
            .route(
                "/v1/ipdprojectservice/projects/{project_id}/attachments/download/{id}",
                get(download),
            );
    }
    router
        .fallback_service(
            axum::routing::any(crate::generic::answer).with_state(shared.generic.clone()),
        )
        .layer(middleware::from_fn_with_state(
            shared.generic.clone(),
            crate::generic::check_request,
        ))
        .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .layer(middleware::from_fn(request_id))
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

/// Every response carries an `X-Request-Id`.
async fn request_id(request: Request, next: Next) -> Response {
    let id = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Records the request, answers injected statuses, and checks the signature
/// or token before the body is read (bodies with a hashed payload are read,
/// up to a bound, to hash them).
async fn authenticate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    shared.recorded.lock().unwrap().push(Recorded {
        method: request.method().clone(),
        uri: request.uri().to_string(),
        headers: request.headers().clone(),
        parts: None,
    });
    let injected = shared.injected.lock().unwrap().pop();
    if let Some(status) = injected {
        // A gateway refuses a request it has received; reading the body
        // first lets the client see the status, not a reset connection.
        crate::body::drain(request.into_body(), shared.config.body_idle_timeout).await;
        return error(status, "APIGW.0308", "Injected failure.");
    }
    let (parts, body) = request.into_parts();
    let has_body = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "0")
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    let unsigned = parts
        .headers
        .get("x-sdk-content-sha256")
        .is_some_and(|v| v == "UNSIGNED-PAYLOAD");
    // A hashed body must be read to check the signature; it is kept and
    // handed on. Streamed (unsigned) bodies are not touched here.
    let (body, body_sha256) =
        if has_body && !unsigned && !parts.headers.contains_key("x-auth-token") {
            let idle = shared.config.body_idle_timeout;
            match crate::body::collect(body, idle, MAX_SIGNED_BODY).await {
                Ok(bytes) if bytes.is_empty() => (Body::empty(), None),
                Ok(bytes) => {
                    let hash = hex::encode(Sha256::digest(&bytes));
                    (Body::from(bytes), Some(hash))
                }
                Err(crate::body::Collect::TooLarge) => {
                    return error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "APIGW.0201",
                        "Request body too large to sign.",
                    );
                }
                Err(crate::body::Collect::Incomplete(why)) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "APIGW.0201",
                        &format!("The request body is incomplete: {why}"),
                    );
                }
            }
        } else {
            (body, has_body.then(|| "unsigned".to_string()))
        };
    let received = Received {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body_sha256,
    };
    if let Err(refusal) = gateway::verify(&shared.keys, &received, SystemTime::now()) {
        return error(StatusCode::UNAUTHORIZED, "APIGW.0301", &refusal.message());
    }
    next.run(Request::from_parts(parts, body)).await
}

async fn upload(
    State(shared): State<Arc<Shared>>,
    UrlPath((project_id, issue_id)): UrlPath<(String, String)>,
    request: Request,
) -> Response {
    let _finished = Finished(shared.clone());
    if shared.is_deleted(&project_id, &issue_id) {
        return error(
            StatusCode::BAD_REQUEST,
            "PM.02175145",
            "The work item has been deleted.",
        );
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let boundary = match multer::parse_boundary(&content_type) {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "PM.02175001",
                "The request must be multipart/form-data with a boundary.",
            );
        }
    };
    let (stream, whole_body) =
        crate::body::whole(request.into_body(), shared.config.body_idle_timeout);
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut stored: Option<Attachment> = None;
    let mut parts = 0;
    let outcome: Result<(), Response> = async {
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => return Err(malformed(&e)),
            };
            parts += 1;
            if field.name() != Some("attachment") {
                // Unknown fields are read and ignored, as a form parser would.
                let mut field = field;
                while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
                    drop(chunk);
                }
                continue;
            }
            if stored.is_some() {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "PM.02175002",
                    "Exactly one attachment part is allowed.",
                ));
            }
            let file_name = field.file_name().unwrap_or_default().to_string();
            if file_name.is_empty() {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "PM.02175003",
                    "The attachment part has no file name.",
                ));
            }
            stored = Some(
                shared
                    .store(&project_id, &issue_id, &file_name, field)
                    .await?,
            );
        }
        Ok(())
    }
    .await;
    if let Some(last) = shared.recorded.lock().unwrap().last_mut() {
        last.parts = Some(parts);
    }
    // A multipart body can be complete before the request is: an upload
    // counts only if every byte of its Content-Length arrived.
    drop(multipart);
    let outcome = match outcome {
        Ok(()) => whole_body.await.map_err(|why| {
            error(
                StatusCode::BAD_REQUEST,
                "PM.02175001",
                &format!("The request body is incomplete: {why}"),
            )
        }),
        Err(response) => Err(response),
    };
    if let Err(response) = outcome {
        if let Some(a) = &stored {
            shared.remove(a);
        }
        return response;
    }
    match stored {
        Some(attachment) => axum::Json(json!({
            "status": "success",
            "message": "",
            "result": [upload_view(&attachment)],
        }))
        .into_response(),
        None => error(
            StatusCode::BAD_REQUEST,
            "PM.02175004",
            "The request has no attachment part.",
        ),
    }
}

fn malformed(e: &multer::Error) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "PM.02175001",
        &format!("Malformed multipart body: {e}"),
    )
}

fn user() -> Value {
    json!({
        "watcher": null,
        "user_id": "fcb28511450247ffbf78071035f9543c",
        "user_num_id": 13369,
        "user_name": "emulator",
        "domain_id": "cdf72eb7297642da8c4b0dffe4f4f14b",
        "domain_name": "emulator",
        "nick_name": "emulator",
        "role_id": null, "role_name": null, "image_id": null, "region": null,
        "opinion": null, "description": null, "owner": null, "ccbId": null,
        "status": 1,
        "has_removed": null,
    })
}

/// The documented 200 shape: digit strings for `filesize` and
/// `created_date`, nulls where the documentation's example has them.
fn upload_view(a: &Attachment) -> Value {
    json!({
        "progress": 100,
        "id": a.id,
        "workitem_id": a.issue_id,
        "associate_type": null,
        "disk_directory": format!("/projects/{}/attachments/{}", a.project_id, a.title()),
        "filesize": a.size.to_string(),
        "store_filename": a.store_filename,
        "title": a.title(),
        "type": "attachment",
        "category": "Attachment",
        "issue_category": null,
        "status": null,
        "description": null,
        "modified_by": user(),
        "created_by": user(),
        "domain_id": "1212810843328520193",
        "attachment_type": a.extension,
        "created_date": a.created_ms.to_string(),
        "storage_service": "IPDProjectService",
        "storage_id": a.storage_id,
        "delete_flag": false,
    })
}

fn list_user() -> Value {
    json!({ "id": "fcb28511450247ffbf78071035f9543c", "name": "emulator", "nick_name": "emulator" })
}

/// `ShowIpdAttachmentByWorkItemId`'s `AttachmentEntity`: all strings but the
/// two users.
fn list_view(a: &Attachment) -> Value {
    json!({
        "id": a.id,
        "issue_id": a.issue_id,
        "disk_directory": format!("/projects/{}/attachments/{}", a.project_id, a.title()),
        "file_size": a.size.to_string(),
        "store_filename": a.store_filename,
        "title": a.title(),
        "modified_by": list_user(),
        "created_by": list_user(),
        "attachment_type": a.extension,
        "created_date": a.created_ms.to_string(),
    })
}

#[derive(Deserialize)]
struct ListQuery {
    issue_id: Option<String>,
    #[allow(dead_code)]
    source_project_id: Option<String>,
}

async fn list(
    State(shared): State<Arc<Shared>>,
    UrlPath(project_id): UrlPath<String>,
    Query(query): Query<ListQuery>,
) -> Response {
    let Some(issue_id) = query.issue_id.filter(|i| !i.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "PM.02175005",
            "The issue_id query parameter is required.",
        );
    };
    match shared.all() {
        Ok(all) => {
            let result: Vec<Value> = all
                .iter()
                .filter(|a| a.project_id == project_id && a.issue_id == issue_id)
                .map(list_view)
                .collect();
            axum::Json(json!({ "status": "success", "message": "", "result": result }))
                .into_response()
        }
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "PM.00000500",
            &e.to_string(),
        ),
    }
}

async fn download(
    State(shared): State<Arc<Shared>>,
    UrlPath((project_id, id)): UrlPath<(String, String)>,
) -> Response {
    let found = shared
        .all()
        .unwrap_or_default()
        .into_iter()
        .find(|a| a.id == id && a.project_id == project_id);
    let Some(attachment) = found else {
        return error(
            StatusCode::NOT_FOUND,
            "PM.02175146",
            "The attachment does not exist.",
        );
    };
    let file = match tokio::fs::File::open(shared.content_path(&attachment.storage_id)).await {
        Ok(f) => f,
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "PM.00000500",
                &e.to_string(),
            );
        }
    };
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        percent_encoding::utf8_percent_encode(
            &attachment.store_filename,
            percent_encoding::NON_ALPHANUMERIC
        )
    );
    let mut response = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
        file,
        256 * 1024,
    ))
    .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(attachment.size));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

impl Attachment {
    fn title(&self) -> String {
        if self.extension.is_empty() {
            self.storage_id.clone()
        } else {
            format!("{}.{}", self.storage_id, self.extension)
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// The extension the service reports: letters and digits after the last `.`.
fn extension(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((_, ext))
            if !ext.is_empty()
                && ext.len() <= 16
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            ext.to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

impl Shared {
    /// Opens the data directory, dropping what interrupted uploads left.
    fn open(config: Config) -> std::io::Result<Shared> {
        std::fs::create_dir_all(config.data_dir.join("attachments"))?;
        let partial = config.data_dir.join("partial");
        if partial.exists() {
            std::fs::remove_dir_all(&partial)?;
        }
        std::fs::create_dir_all(&partial)?;
        let keys = Keys {
            access_key: config.access_key.clone(),
            secret_key: config.secret_key.clone(),
            token: config.token.clone(),
        };
        let deleted = std::fs::read_to_string(config.data_dir.join("deleted.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Vec<(String, String)>>(&t).ok())
            .unwrap_or_default();
        // Attachment ids look like the service's: 19 digits, increasing.
        let first_id = 1_200_000_000_000_000_000u64 + now_ms() * 1000 + fastrand::u64(..1000);
        let store = match config.stateful {
            true => Some(Store::open(&config.data_dir)?),
            false => None,
        };
        let generic = Arc::new(Generic {
            catalogue: Catalogue::bundled(),
            store,
            body_idle_timeout: config.body_idle_timeout,
        });
        Ok(Shared {
            config,
            generic,
            keys,
            deleted: Mutex::new(deleted.into_iter().collect()),
            recorded: Mutex::new(Vec::new()),
            injected: Mutex::new(Vec::new()),
            next_id: Mutex::new(first_id),
            finished_uploads: Default::default(),
        })
    }

    fn mark_deleted(&self, project_id: &str, issue_id: &str) {
        let mut deleted = self.deleted.lock().unwrap();
        deleted.insert((project_id.into(), issue_id.into()));
        let list: Vec<_> = deleted.iter().cloned().collect();
        let _ = write_atomically(
            &self.config.data_dir.join("deleted.json"),
            &serde_json::to_vec(&list).unwrap_or_default(),
        );
    }

    fn is_deleted(&self, project_id: &str, issue_id: &str) -> bool {
        self.generic
            .store
            .as_ref()
            .is_some_and(|s| s.is_deleted(project_id, issue_id))
            || self
                .deleted
                .lock()
                .unwrap()
                .contains(&(project_id.to_string(), issue_id.to_string()))
    }

    fn content_path(&self, storage_id: &str) -> PathBuf {
        self.config
            .data_dir
            .join("attachments")
            .join(format!("{storage_id}.bin"))
    }

    fn meta_path(&self, storage_id: &str) -> PathBuf {
        self.config
            .data_dir
            .join("attachments")
            .join(format!("{storage_id}.json"))
    }

    /// Streams a part to `partial/`, then renames it into `attachments/` and
    /// writes its metadata last: an attachment exists only once complete.
    async fn store(
        &self,
        project_id: &str,
        issue_id: &str,
        file_name: &str,
        mut field: multer::Field<'_>,
    ) -> Result<Attachment, Response> {
        let storage_id = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let partial = self.config.data_dir.join("partial").join(&storage_id);
        let internal = |e: std::io::Error| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "PM.00000500",
                &e.to_string(),
            )
        };
        // Removes what was written if the upload fails, or if the handler is
        // dropped mid-way because the connection broke.
        let cleanup = RemoveOnDrop(vec![partial.clone(), self.content_path(&storage_id)]);
        let result = async {
            let mut file = tokio::fs::File::create(&partial).await.map_err(internal)?;
            let mut size = 0u64;
            let mut hasher = Sha256::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
                size += chunk.len() as u64;
                if size > self.config.max_attachment {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        "PM.02175010",
                        &format!(
                            "The attachment exceeds the maximum size of {} bytes.",
                            self.config.max_attachment
                        ),
                    ));
                }
                hasher.update(&chunk);
                file.write_all(&chunk).await.map_err(internal)?;
            }
            file.sync_all().await.map_err(internal)?;
            drop(file);
            let id = {
                let mut next = self.next_id.lock().unwrap();
                *next += 1;
                next.to_string()
            };
            let attachment = Attachment {
                id,
                project_id: project_id.into(),
                issue_id: issue_id.into(),
                store_filename: file_name.into(),
                extension: extension(file_name),
                storage_id: storage_id.clone(),
                size,
                created_ms: now_ms(),
                sha256: hex::encode(hasher.finalize()),
            };
            tokio::fs::rename(&partial, self.content_path(&storage_id))
                .await
                .map_err(internal)?;
            let meta = serde_json::to_vec_pretty(&attachment).unwrap_or_default();
            write_atomically(&self.meta_path(&storage_id), &meta).map_err(internal)?;
            Ok(attachment)
        }
        .await;
        if result.is_ok() {
            std::mem::forget(cleanup);
        }
        result
    }

    fn remove(&self, attachment: &Attachment) {
        let _ = std::fs::remove_file(self.meta_path(&attachment.storage_id));
        let _ = std::fs::remove_file(self.content_path(&attachment.storage_id));
    }

    /// Every complete attachment, oldest first.
    fn all(&self) -> std::io::Result<Vec<Attachment>> {
        let mut all = BTreeMap::new();
        for entry in std::fs::read_dir(self.config.data_dir.join("attachments"))? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json")
                && let Ok(text) = std::fs::read(&path)
                && let Ok(a) = serde_json::from_slice::<Attachment>(&text)
            {
                all.insert((a.id.clone(), a.storage_id.clone()), a);
            }
        }
        Ok(all.into_values().collect())
    }
}

/// Deletes its files when dropped; forgotten once they are to be kept.
struct RemoveOnDrop(Vec<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Counts an upload as finished however its handler ends, even dropped.
struct Finished(Arc<Shared>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0
            .finished_uploads
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

//! The running emulator: its handle, and the routes every request takes
//! (`README.md` lists the stops).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;

pub use crate::config::{Config, MAX_ATTACHMENT};
use crate::gateway::{self, Gate, Keys};
use crate::generic::Generic;
use crate::store::Store;
use ipd_catalogue::Catalogue;

/// A running emulator.
pub struct Emulator {
    addr: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// What the routes share.
pub(crate) struct Shared {
    pub generic: Arc<Generic>,
    pub gate: Arc<Gate>,
}

impl Emulator {
    /// Opens the store in the config's data directory, binds `addr` (port
    /// 0 for any) and serves in the background.
    pub async fn start(addr: SocketAddr, config: Config) -> std::io::Result<Emulator> {
        let header_read_timeout = config.header_read_timeout;
        let shared = Arc::new(Shared::open(config).await?);
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let app = router(&shared);
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

/// An emulator ready to serve (for the binary): its store opened and the
/// work items to mark deleted marked, so that a process can say it is
/// listening only once nothing can fail any more.
pub struct Ready {
    shared: Arc<Shared>,
    header_read_timeout: std::time::Duration,
}

impl Ready {
    /// Opens the store of `config`, with the work items `deleted` (project
    /// id, work item id) marked deleted.
    pub async fn open(config: Config, deleted: &[(String, String)]) -> std::io::Result<Ready> {
        let header_read_timeout = config.header_read_timeout;
        let shared = Arc::new(Shared::open(config).await?);
        for (project, issue) in deleted {
            shared.mark_deleted(project, issue)?;
        }
        Ok(Ready {
            shared,
            header_read_timeout,
        })
    }

    /// Serves on `listener` until `shutdown` resolves, then lets requests
    /// in flight finish.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = router(&self.shared);
        crate::server::serve(listener, router, self.header_read_timeout, shutdown).await
    }
}

/// Every request takes the same route: an id, the gateway, routing and
/// validation against the spec, then the generic answer (a stateful
/// handler's, or the spec's).
fn router(shared: &Shared) -> Router {
    Router::new()
        .fallback_service(
            axum::routing::any(crate::generic::answer).with_state(shared.generic.clone()),
        )
        .layer(middleware::from_fn_with_state(
            shared.generic.clone(),
            crate::generic::check_request,
        ))
        .layer(middleware::from_fn_with_state(
            shared.gate.clone(),
            gateway::authenticate,
        ))
        .layer(middleware::from_fn(gateway::request_id))
        .layer(DefaultBodyLimit::disable())
}

impl Shared {
    /// Opens the store (off the async workers: it may wait for another
    /// process's lock, and it syncs).
    async fn open(config: Config) -> std::io::Result<Shared> {
        let store = match config.stateful {
            true => {
                let (dir, busy) = (config.data_dir.clone(), config.store_busy_timeout);
                let opened = tokio::task::spawn_blocking(move || Store::open(&dir, busy)).await;
                Some(opened.map_err(std::io::Error::other)??)
            }
            false => None,
        };
        let gate = Gate {
            keys: Keys {
                access_key: config.access_key.clone(),
                secret_key: config.secret_key.clone(),
                token: config.token.clone(),
            },
            recording: crate::controls::Recording::new(config.recorded_requests),
            injected: Mutex::new(Vec::new()),
            body_idle_timeout: config.body_idle_timeout,
            hosts: config
                .hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
        };
        let generic = Generic {
            catalogue: Catalogue::bundled(),
            store,
            body_idle_timeout: config.body_idle_timeout,
            max_file: config.max_attachment,
            forms_finished: Default::default(),
        };
        Ok(Shared {
            generic: Arc::new(generic),
            gate: Arc::new(gate),
        })
    }

    pub(crate) fn mark_deleted(&self, project_id: &str, issue_id: &str) -> std::io::Result<()> {
        let Some(store) = &self.generic.store else {
            return Ok(());
        };
        store
            .write(|txn| {
                txn.state.mark_deleted(project_id, issue_id);
                Ok::<(), ()>(())
            })
            .map(drop)
            .map_err(std::io::Error::other)
    }
}

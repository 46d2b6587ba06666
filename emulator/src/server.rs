//! The HTTP/1.1 server loop, with what `axum::serve` leaves out: a limit
//! on how long a client may take to send its request head, so slowly
//! dribbled headers cannot hold connections open.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How long in-flight connections get to finish after shutdown is asked.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `app` on `listener` until `shutdown` resolves; a connection
/// whose request head takes longer than `header_read_timeout` is closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                // A failed accept (too many open files, a reset) is the
                // client's loss, not the server's end.
                let Ok((stream, _)) = accepted else { continue };
                let service = TowerToHyperService::new(app.clone());
                connections.spawn(async move {
                    let mut http = hyper::server::conn::http1::Builder::new();
                    http.timer(TokioTimer::new())
                        .header_read_timeout(header_read_timeout);
                    let _ = http.serve_connection(TokioIo::new(stream), service).await;
                });
            }
            // Reap finished connections as they end.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN, drain).await.is_err() {
        connections.abort_all();
    }
    Ok(())
}

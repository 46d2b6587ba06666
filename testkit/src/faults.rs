//! Network faults on loopback: a proxy that cuts connections mid-request,
//! and a server that accepts and never answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Which way a [`CuttingProxy`] counts bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Bytes of the request, client to server.
    Request,
    /// Bytes of the response, server to client.
    Response,
}

/// A TCP proxy in front of `upstream` that cuts the first `cuts` connections
/// once `after` bytes went through in one direction; later connections pass.
pub struct CuttingProxy {
    addr: SocketAddr,
    cut: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl CuttingProxy {
    /// Starts the proxy on an ephemeral loopback port, cutting requests.
    pub async fn start(upstream: SocketAddr, cuts: usize, after: u64) -> std::io::Result<Self> {
        Self::start_cutting(upstream, cuts, after, Direction::Request).await
    }

    /// Starts the proxy, cutting in the given direction.
    pub async fn start_cutting(
        upstream: SocketAddr,
        cuts: usize,
        after: u64,
        direction: Direction,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let cut = Arc::new(AtomicUsize::new(0));
        let counter = cut.clone();
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = connections.clone();
        let task = tokio::spawn(async move {
            let mut connection = 0;
            while let Ok((client, _)) = listener.accept().await {
                connection += 1;
                accepted.fetch_add(1, Ordering::SeqCst);
                let limit = (connection <= cuts).then_some(after);
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let cut = match direction {
                        Direction::Request => pipe(client, server, limit).await,
                        Direction::Response => pipe(server, client, limit).await,
                    };
                    if cut {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        Ok(Self {
            addr,
            cut,
            connections,
            task,
        })
    }

    /// `http://IP:PORT` of the proxy.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many connections were cut.
    pub fn cuts(&self) -> usize {
        self.cut.load(Ordering::SeqCst)
    }

    /// How many connections clients opened.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies both ways; with a limit, drops both sockets once that many bytes
/// went from `client` to `server`. Returns whether it cut.
async fn pipe(client: TcpStream, server: TcpStream, limit: Option<u64>) -> bool {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let down = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    });
    let mut sent = 0u64;
    let mut buffer = vec![0u8; 64 * 1024];
    let cut = loop {
        let n = match client_read.read(&mut buffer).await {
            Ok(0) | Err(_) => break false,
            Ok(n) => n,
        };
        let n = match limit {
            Some(limit) if sent + n as u64 >= limit => {
                let keep = (limit - sent) as usize;
                let _ = server_write.write_all(&buffer[..keep]).await;
                break true;
            }
            _ => n,
        };
        if server_write.write_all(&buffer[..n]).await.is_err() {
            break false;
        }
        sent += n as u64;
    };
    if cut {
        down.abort();
        // Dropping the halves closes both connections.
        return true;
    }
    let _ = server_write.shutdown().await;
    let _ = down.await;
    false
}

/// A server that accepts connections, reads what is sent, and never answers.
pub struct StallingServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl StallingServer {
    /// Starts on an ephemeral loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 64 * 1024];
                    while matches!(socket.read(&mut buffer).await, Ok(n) if n > 0) {}
                });
            }
        });
        Ok(Self { addr, task })
    }

    /// `http://IP:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for StallingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One step of what a [`ScriptedServer`] does after reading a request.
#[derive(Clone, Debug)]
pub enum Step {
    /// Writes these bytes.
    Send(Vec<u8>),
    /// Waits.
    Sleep(std::time::Duration),
    /// Writes these bytes again and again, pausing between writes, until
    /// the client goes away.
    Repeat(Vec<u8>, std::time::Duration),
}

/// A misbehaving server: for every connection it reads one request (its
/// head and as much body as `Content-Length` announces) and plays its
/// script, whatever the request was, then closes the connection. It counts
/// the requests it read, to prove what never arrived.
pub struct ScriptedServer {
    addr: SocketAddr,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptedServer {
    /// Starts the server on an ephemeral loopback port.
    pub async fn start(script: Vec<Step>) -> std::io::Result<Self> {
        Self::start_sequence(vec![script]).await
    }

    /// Starts a server that plays `scripts[0]` to the first connection,
    /// `scripts[1]` to the second, and the last one to every later one: a
    /// 502 then a 200, say.
    pub async fn start_sequence(scripts: Vec<Vec<Step>>) -> std::io::Result<Self> {
        Self::serve(scripts, true).await
    }

    /// Starts a server that reads each request's head, never its body,
    /// then plays `script`: an upload's body fills the socket buffers and
    /// stops moving.
    pub async fn start_without_reading_bodies(script: Vec<Step>) -> std::io::Result<Self> {
        Self::serve(vec![script], false).await
    }

    async fn serve(scripts: Vec<Vec<Step>>, read_body: bool) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let requests: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let seen = requests.clone();
        let scripts = Arc::new(scripts);
        let task = tokio::spawn(async move {
            let mut connection = 0;
            while let Ok((stream, _)) = listener.accept().await {
                let index = connection.min(scripts.len().saturating_sub(1));
                connection += 1;
                let (scripts, seen) = (scripts.clone(), seen.clone());
                tokio::spawn(async move {
                    let script = scripts.get(index).map(Vec::as_slice).unwrap_or_default();
                    let _ = play(stream, script, &seen, read_body).await;
                });
            }
        });
        Ok(Self {
            addr,
            requests,
            task,
        })
    }

    /// The server's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The heads of the requests read so far (request line and headers).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn play(
    mut stream: TcpStream,
    script: &[Step],
    seen: &std::sync::Mutex<Vec<String>>,
    read_body: bool,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buffer.len() > 1 << 20 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buffer.len() - head_end;
    while read_body && body < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body += n;
    }
    seen.lock().unwrap().push(head);
    for step in script {
        match step {
            Step::Send(bytes) => stream.write_all(bytes).await?,
            Step::Sleep(pause) => tokio::time::sleep(*pause).await,
            Step::Repeat(bytes, pause) => loop {
                stream.write_all(bytes).await?;
                tokio::time::sleep(*pause).await;
            },
        }
    }
    stream.shutdown().await
}

//! Binding the configured addresses and handing each connection to its protocol session.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::admission::{self, Kind};
use crate::config::Config;
use crate::context::ServerContext;
use crate::limits::{Counter, Limits};
use crate::metrics::Protocol;
use crate::pop3::Pop3Locks;
use crate::stream::ClientStream;

/// Which protocol a listener speaks, and whether TLS starts at once.
#[derive(Clone, Copy, Debug)]
enum Service {
    Imap { implicit_tls: bool },
    Pop3 { implicit_tls: bool },
    Lmtp,
    ManageSieve,
    Http,
}

impl Service {
    /// The configuration key of the listener, as `access` and `proxy_protocol` name it.
    fn key(self) -> &'static str {
        match self {
            Service::Imap { implicit_tls: false } => "imap",
            Service::Imap { implicit_tls: true } => "imaps",
            Service::Pop3 { implicit_tls: false } => "pop3",
            Service::Pop3 { implicit_tls: true } => "pop3s",
            Service::Lmtp => "lmtp",
            Service::ManageSieve => "sieve",
            Service::Http => "http",
        }
    }

    /// Which limits its connections count against.
    fn admission(self) -> Kind {
        match self {
            Service::Imap { .. } | Service::Pop3 { .. } | Service::ManageSieve => Kind::Login,
            Service::Lmtp => Kind::Delivery,
            Service::Http => Kind::Operator,
        }
    }

    fn implicit_tls(self) -> bool {
        match self {
            Service::Imap { implicit_tls } | Service::Pop3 { implicit_tls } => implicit_tls,
            Service::Lmtp | Service::ManageSieve | Service::Http => false,
        }
    }
}

/// Opens the data directory, binds every configured listener and serves until SIGINT or
/// SIGTERM. Errors say what to fix (a port in use, an unwritable directory).
pub async fn run(config: Config) -> Result<(), String> {
    // The shared engines' clients block (and run runtimes of their own): open them off the
    // async threads.
    let (store, directory, duplicates, scripts, pop3_locks) = tokio::task::block_in_place(|| {
        Ok::<_, String>((
            config.open_store()?,
            config.open_directory().map_err(|e| e.to_string())?,
            config.open_duplicates()?,
            config.open_scripts()?,
            Arc::new(Pop3Locks::new(config.store_url.as_deref())?),
        ))
    })?;
    let tls = crate::tls::acceptor(&config.data, config.tls_cert.as_deref(), config.tls_key.as_deref())?;
    let throttle = crate::throttle::Throttle::new(&config)?;
    let limits = Limits {
        total: Counter::new(config.max_connections),
        prelogin: Counter::new(config.max_prelogin_connections),
        per_ip: Counter::new(config.max_connections_per_ip),
        per_user: Counter::new(config.max_connections_per_user),
    };
    let services: Vec<(String, Service)> = [
        (&config.imap, Service::Imap { implicit_tls: false }),
        (&config.imaps, Service::Imap { implicit_tls: true }),
        (&config.pop3, Service::Pop3 { implicit_tls: false }),
        (&config.pop3s, Service::Pop3 { implicit_tls: true }),
        (&config.lmtp, Service::Lmtp),
        (&config.sieve, Service::ManageSieve),
        (&config.http, Service::Http),
    ]
    .into_iter()
    .filter(|(addr, _)| !addr.is_empty())
    .map(|(addr, service)| (addr.clone(), service))
    .collect();
    let ctx = Arc::new(ServerContext {
        store,
        directory: Arc::new(directory),
        config,
        tls,
        limits,
        pop3_locks,
        metrics: Default::default(),
        store_gauges: Default::default(),
        duplicates,
        scripts,
        throttle,
        tables: Default::default(),
    });
    if ctx.config.store_url.is_some() {
        crate::sweeper::spawn(
            ctx.store.clone(),
            std::time::Duration::from_secs(ctx.config.object_grace_seconds),
        );
    }
    for (addr, service) in services {
        let listener = TcpListener::bind(&addr).await.map_err(|e| {
            format!("cannot listen on {addr} for {service:?}: {e} (is another server using the port?)")
        })?;
        tracing::info!(address = %addr, ?service, "listening");
        tokio::spawn(accept_loop(ctx.clone(), listener, service));
    }
    #[cfg(unix)]
    if !ctx.config.lmtp_socket.is_empty() {
        let path = std::path::PathBuf::from(&ctx.config.lmtp_socket);
        if path.exists() {
            std::fs::remove_file(&path).map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
        }
        let listener = tokio::net::UnixListener::bind(&path)
            .map_err(|e| format!("cannot listen on the Unix socket {}: {e}", path.display()))?;
        tracing::info!(socket = %path.display(), "listening for LMTP");
        tokio::spawn(unix_lmtp_loop(ctx.clone(), listener));
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    Ok(())
}

#[cfg(unix)]
async fn unix_lmtp_loop(ctx: Arc<ServerContext>, listener: tokio::net::UnixListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    let _open = ctx.metrics.connection(Protocol::Lmtp);
                    let stream = ClientStream::Unix(stream);
                    crate::lmtp::LmtpSession::run(ctx.clone(), stream, "local".into()).await;
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "accept on the LMTP socket failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn accept_loop(ctx: Arc<ServerContext>, listener: TcpListener, service: Service) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(serve_connection(ctx.clone(), tcp, peer, service));
    }
}

async fn serve_connection(ctx: Arc<ServerContext>, mut tcp: TcpStream, peer: SocketAddr, service: Service) {
    let admitted = admission::admit(&ctx, &mut tcp, peer, service.key(), service.admission()).await;
    let protocol = match service {
        Service::Http => {
            if admitted.is_ok() {
                crate::http::serve(ctx, tcp).await;
            }
            return;
        }
        Service::Imap { .. } => Protocol::Imap,
        Service::Pop3 { .. } => Protocol::Pop3,
        Service::Lmtp => Protocol::Lmtp,
        Service::ManageSieve => Protocol::ManageSieve,
    };
    let mut admission = match admitted {
        Ok(admission) => admission,
        Err(refusal) => {
            let lmtp_reply = if refusal.permanent() { "554 5.7.1" } else { "421 4.7.0" };
            let line = goodbye(protocol, refusal.permanent(), lmtp_reply, refusal.text());
            let _ = tcp.write_all(line.as_bytes()).await;
            return;
        }
    };
    // Banned for failed logins: the real client address (a PROXY header's) decides.
    if let Some(refusal) = ctx.throttle.refuse_at_connect(&ctx.metrics, admission.client.ip(), protocol) {
        let _ = tcp.write_all(refusal).await;
        return;
    }
    if let Some(why) = crate::notices::shutdown(&ctx.config.data) {
        let _ = tcp.write_all(goodbye(protocol, false, "421 4.3.2", &why).as_bytes()).await;
        return;
    }
    let metrics_ctx = ctx.clone();
    let _open = metrics_ctx.metrics.connection(protocol);
    let (client, prelogin) = (admission.client, admission.prelogin.take());
    tracing::debug!(peer = %client, ?service, "connected");
    let mut stream = ClientStream::Plain(tcp);
    if service.implicit_tls() {
        if let Err(e) = stream.upgrade(&ctx.tls).await {
            tracing::info!(peer = %client, error = %e, "TLS handshake failed");
            return;
        }
    }
    match protocol {
        Protocol::Imap => crate::imap::Session::run(ctx, stream, client, prelogin).await,
        Protocol::Pop3 => crate::pop3::Pop3Session::run(ctx, stream, client, prelogin).await,
        Protocol::Lmtp => crate::lmtp::LmtpSession::run(ctx, stream, client.to_string()).await,
        Protocol::ManageSieve => {
            crate::managesieve::ManageSieveSession::run(ctx, stream, client, prelogin).await
        }
    }
}

/// The line that refuses a connection in `protocol` before its greeting; `permanent` when
/// trying again will not help, `lmtp_reply` the LMTP code and enhanced status.
fn goodbye(protocol: Protocol, permanent: bool, lmtp_reply: &str, text: &str) -> String {
    match protocol {
        Protocol::Imap => format!("* BYE {text}\r\n"),
        Protocol::Pop3 if permanent => format!("-ERR [SYS/PERM] {text}\r\n"),
        Protocol::Pop3 => format!("-ERR [SYS/TEMP] {text}\r\n"),
        Protocol::Lmtp => format!("{lmtp_reply} {text}\r\n"),
        Protocol::ManageSieve => format!("BYE \"{}\"\r\n", text.replace(['"', '\\'], "")),
    }
}

//! The operator's HTTP endpoint: `/metrics` (Prometheus text) and `/healthz`.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::context::ServerContext;

/// Largest request head read before answering 431.
const MAX_REQUEST: usize = 8192;

/// Answers one HTTP/1.x request and closes the connection.
pub async fn serve(ctx: Arc<ServerContext>, mut tcp: TcpStream) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && !request.windows(2).any(|w| w == b"\n\n") {
        if request.len() > MAX_REQUEST {
            let _ = tcp.write_all(&response(431, "text/plain", "request too large\n")).await;
            return;
        }
        match tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => request.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
    let line = request.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let answer = match (method, path) {
        ("GET", "/metrics") => response(200, "text/plain; version=0.0.4", &metrics(ctx).await),
        ("GET", "/healthz") => response(200, "text/plain", "ok\n"),
        ("GET", _) => response(404, "text/plain", "not found; try /metrics or /healthz\n"),
        _ => response(405, "text/plain", "only GET is served\n"),
    };
    let _ = tcp.write_all(&answer).await;
    let _ = tcp.shutdown().await;
}

/// Counters from memory, then the store gauges (read on a blocking thread).
async fn metrics(ctx: Arc<ServerContext>) -> String {
    ctx.throttle.refresh(&ctx.metrics);
    let mut text = ctx.metrics.render();
    let gauges = tokio::task::spawn_blocking(move || ctx.store_gauges.render(&ctx)).await;
    match gauges {
        Ok(gauges) => text.push_str(&gauges),
        Err(e) => tracing::warn!(error = %e, "metrics: reading the store gauges failed"),
    }
    text
}

fn response(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Request Header Fields Too Large",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

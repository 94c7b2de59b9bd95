//! The operator's HTTP endpoint: `/metrics` (Prometheus text) and `/healthz`.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::context::ServerContext;

/// Largest request head read before answering 431.
const MAX_REQUEST: usize = 8192;

/// Most header fields in a request head before answering 431.
const MAX_HEADERS: usize = 64;

/// Time a client has for its whole request head (a slow sender cannot hold a connection).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Why no request head was read.
enum HeadError {
    /// Over [`MAX_REQUEST`] octets or [`MAX_HEADERS`] fields: answer 431.
    TooLarge(&'static str),
    /// Closed, failed or too slow: just close.
    Gone,
}

/// Reads a request head up to its empty line, within the limits.
async fn read_head(tcp: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let ended = head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n");
        // The request line and the empty line are not header fields.
        if head.iter().filter(|b| **b == b'\n').count() > MAX_HEADERS + 2 {
            return Err(HeadError::TooLarge("too many header fields\n"));
        }
        if ended {
            return Ok(head);
        }
        if head.len() > MAX_REQUEST {
            return Err(HeadError::TooLarge("request too large\n"));
        }
        match tcp.read(&mut buf).await {
            Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => return Err(HeadError::Gone),
        }
    }
}

/// Answers one HTTP/1.x request and closes the connection.
pub async fn serve(ctx: Arc<ServerContext>, mut tcp: TcpStream) {
    let request = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut tcp)).await {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::TooLarge(why))) => {
            let _ = tcp.write_all(&response(431, "text/plain", why)).await;
            return;
        }
        Ok(Err(HeadError::Gone)) | Err(_) => return,
    };
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
    text.push_str(&ctx.limits.render());
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

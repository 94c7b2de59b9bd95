//! Deciding at accept, before any greeting, whether a connection is served: the client's
//! real address (from the PROXY header on listeners behind a proxy), the listener's host
//! access rules, then the total, pre-login and per-address connection limits. Every refusal
//! is logged and counted in /metrics.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bushbuck_proto::proxy::{self, Parsed};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::access::Rule;
use crate::context::ServerContext;
use crate::limits::Slot;

/// Which limits a listener's connections count against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// IMAP, POP3, ManageSieve: every limit, and a pre-login slot until authenticated.
    Login,
    /// LMTP: the total and per-address limits only (the MTA never logs in, and a flood of
    /// unauthenticated IMAP connections must not stop mail delivery).
    Delivery,
    /// HTTP (metrics): access rules only.
    Operator,
}

/// Why a connection is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A proxied listener was reached by an address not in `proxy_trusted`.
    UntrustedProxy,
    /// A proxied listener got no valid PROXY header in time.
    BadProxyHeader,
    /// An access rule denies the client.
    Denied(Rule),
    /// `max_connections` are open.
    TooManyConnections,
    /// `max_prelogin_connections` are waiting to log in.
    TooManyPrelogin,
    /// `max_connections_per_ip` are open from the client's address.
    TooManyFromAddress,
}

impl Refusal {
    /// The `reason` label in /metrics.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::UntrustedProxy => "proxy_untrusted",
            Refusal::BadProxyHeader => "proxy_header",
            Refusal::Denied(_) => "access",
            Refusal::TooManyConnections => "max_connections",
            Refusal::TooManyPrelogin => "max_prelogin_connections",
            Refusal::TooManyFromAddress => "max_connections_per_ip",
        }
    }

    /// What the client is told.
    pub fn text(self) -> &'static str {
        match self {
            Refusal::UntrustedProxy | Refusal::BadProxyHeader => {
                "This port only accepts connections from a trusted proxy that sends a PROXY header"
            }
            Refusal::Denied(_) => "Connections from your address are not accepted here",
            Refusal::TooManyConnections => "Server too busy; try again later",
            Refusal::TooManyPrelogin => "Too many connections waiting to log in; try again later",
            Refusal::TooManyFromAddress => "Too many connections from your address",
        }
    }

    /// True when trying again later will not help (the address or proxy set-up is refused).
    pub fn permanent(self) -> bool {
        matches!(self, Refusal::UntrustedProxy | Refusal::BadProxyHeader | Refusal::Denied(_))
    }
}

/// A pre-login slot, held by a session until its client authenticates.
pub struct PreLogin {
    _slot: Slot<()>,
}

/// What a served connection holds until it closes.
pub struct Admission {
    /// The client's address: the PROXY header's on proxied listeners, else the peer's.
    pub client: SocketAddr,
    /// For the session to drop at login ([`Kind::Login`] only).
    pub prelogin: Option<PreLogin>,
    _total: Option<Slot<()>>,
    _per_ip: Option<Slot<IpAddr>>,
}

/// Decides whether the connection from `peer` on `listener` (its configuration key) is
/// served; on listeners behind a proxy this first reads the PROXY header, and nothing else.
pub async fn admit(
    ctx: &ServerContext,
    tcp: &mut TcpStream,
    peer: SocketAddr,
    listener: &'static str,
    kind: Kind,
) -> Result<Admission, Refusal> {
    let client =
        client_address(ctx, tcp, peer, listener).await.map_err(|r| refused(ctx, listener, peer, r))?;
    check(ctx, client, listener, kind).map_err(|r| refused(ctx, listener, client, r))
}

/// Logs and counts a refusal of the connection from `who` (the client, or the proxy when
/// its header was not understood).
fn refused(ctx: &ServerContext, listener: &'static str, who: SocketAddr, refusal: Refusal) -> Refusal {
    match refusal {
        Refusal::Denied(rule) => {
            tracing::warn!(peer = %who, listener, rule = %rule, "denied by an access rule")
        }
        _ => tracing::warn!(peer = %who, listener, reason = refusal.reason(), "connection refused"),
    }
    ctx.metrics.refused(listener, refusal.reason());
    refusal
}

/// The peer itself, or on a proxied listener the client its PROXY header names.
async fn client_address(
    ctx: &ServerContext,
    tcp: &mut TcpStream,
    peer: SocketAddr,
    listener: &str,
) -> Result<SocketAddr, Refusal> {
    if !ctx.config.proxy_protocol.iter().any(|l| l == listener) {
        return Ok(peer);
    }
    if !ctx.config.proxy_trusted.iter().any(|net| net.contains(peer.ip())) {
        return Err(Refusal::UntrustedProxy);
    }
    let within = Duration::from_secs(ctx.config.login_timeout_secs);
    match tokio::time::timeout(within, read_proxy_header(tcp)).await {
        Ok(Ok(source)) => {
            let client = source.unwrap_or(peer);
            tracing::debug!(proxy = %peer, client = %client, "PROXY header read");
            Ok(client)
        }
        Ok(Err(why)) => {
            tracing::info!(proxy = %peer, error = %why, "bad PROXY header");
            Err(Refusal::BadProxyHeader)
        }
        Err(_) => {
            tracing::info!(proxy = %peer, "no PROXY header within login_timeout_secs");
            Err(Refusal::BadProxyHeader)
        }
    }
}

/// Reads exactly the PROXY header's octets, so the client's own data stays unread.
async fn read_proxy_header(tcp: &mut TcpStream) -> Result<Option<SocketAddr>, String> {
    let mut header = Vec::new();
    loop {
        match proxy::parse(&header).map_err(|e| e.to_string())? {
            Parsed::Complete { header, .. } => return Ok(header.source),
            Parsed::Incomplete(more) => {
                let start = header.len();
                header.resize(start + more, 0);
                tcp.read_exact(&mut header[start..])
                    .await
                    .map_err(|e| format!("connection ended inside the PROXY header: {e}"))?;
            }
        }
    }
}

/// Access rules, then the limits `kind` counts against.
fn check(ctx: &ServerContext, client: SocketAddr, listener: &str, kind: Kind) -> Result<Admission, Refusal> {
    let ip = client.ip();
    if let Some(rule) = ctx.config.access.get(listener).and_then(|rules| rules.denying(ip)) {
        return Err(Refusal::Denied(*rule));
    }
    if kind == Kind::Operator {
        return Ok(Admission { client, prelogin: None, _total: None, _per_ip: None });
    }
    let limits = &ctx.limits;
    let total = limits.total.acquire(()).ok_or(Refusal::TooManyConnections)?;
    let prelogin = match kind {
        Kind::Login => Some(PreLogin { _slot: limits.prelogin.acquire(()).ok_or(Refusal::TooManyPrelogin)? }),
        Kind::Delivery | Kind::Operator => None,
    };
    let per_ip = limits.per_ip.acquire(ip).ok_or(Refusal::TooManyFromAddress)?;
    Ok(Admission { client, prelogin, _total: Some(total), _per_ip: Some(per_ip) })
}

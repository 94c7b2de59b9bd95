//! Password checks shared by every protocol: directory lookup off the async threads,
//! throttling of failing sources, the per-user session limit, and the login/badlogin log
//! lines.

use std::net::SocketAddr;

use crate::context::ServerContext;
use crate::hash_workers::Refused;
use crate::limits::Slot;
use crate::metrics::Protocol;

/// Why a banned source's login is refused.
const BANNED: &str = "Too many failed logins from your address; try again later";
/// Why a login is refused when the hashing queue has no room.
const BUSY: &str = "Too many login attempts at once; try again later";

/// Why a login was refused.
pub enum LoginError {
    /// Wrong user or password.
    BadCredentials,
    /// The user directory could not be read.
    Unavailable,
    /// The user has too many sessions open.
    TooManySessions,
    /// Refused by throttling (a banned source, no room to check the password): the text
    /// says why; the client should try again later.
    Throttled(&'static str),
}

/// A successful login: the canonical user name and the session slot it holds.
pub struct LoggedIn {
    /// Canonical (lower-case) user name.
    pub user: String,
    /// Held for the session's lifetime.
    pub slot: Slot<String>,
}

/// Checks a password and takes a session slot for the user.
pub async fn check(
    ctx: &ServerContext,
    protocol: Protocol,
    peer: SocketAddr,
    user: &str,
    password: &[u8],
) -> Result<LoggedIn, LoginError> {
    let verified = verify(ctx, peer, user, password).await?;
    let protocol_name = protocol.name();
    let name = match verified {
        Ok(Some(name)) => name,
        Ok(None) => {
            ctx.metrics.login(protocol, false);
            tracing::warn!(protocol = protocol_name, user = %user, peer = %peer, "badlogin");
            return Err(LoginError::BadCredentials);
        }
        Err(e) => {
            tracing::error!(error = %e, "user directory failure");
            return Err(LoginError::Unavailable);
        }
    };
    let Some(slot) = ctx.limits.per_user.acquire(name.clone()) else {
        tracing::warn!(protocol = protocol_name, user = %name, peer = %peer, "too many sessions");
        return Err(LoginError::TooManySessions);
    };
    ctx.metrics.login(protocol, true);
    tracing::info!(protocol = protocol_name, user = %name, peer = %peer, "login");
    Ok(LoggedIn { user: name, slot })
}

/// The canonical user name if the password is right. A password verified recently needs no
/// hashing thread; others wait in the queue that suits the source, and a wrong one is
/// answered after the source's penalty delay (the place in the queue is held meanwhile, so
/// that a failing source has one guess in flight at a time).
async fn verify(
    ctx: &ServerContext,
    peer: SocketAddr,
    user: &str,
    password: &[u8],
) -> Result<bushbuck_auth::Result<Option<String>>, LoginError> {
    let throttled = |why| {
        ctx.metrics.auth_throttled();
        tracing::debug!(user = %user, peer = %peer, reason = why, "login throttled");
        Err(LoginError::Throttled(why))
    };
    if ctx.throttle.is_banned(peer.ip()) {
        return throttled(BANNED);
    }
    let (directory, name, secret) = (ctx.directory.clone(), user.to_string(), password.to_vec());
    if let Ok(Some(name)) = tokio::task::block_in_place(|| directory.verify_recent(&name, &secret)) {
        ctx.metrics.login_cache_hit();
        return Ok(Ok(Some(name)));
    }
    let Some(place) = ctx.throttle.enter(peer.ip()).await else {
        return throttled(BUSY);
    };
    let verified = match place.run(move || directory.verify(&name, &secret)).await {
        Ok(verified) => verified,
        Err(Refused::Full) => return throttled(BUSY),
        Err(Refused::Gone) => return Err(LoginError::Unavailable),
    };
    if let Ok(None) = verified {
        let delay = ctx.throttle.failed(&ctx.metrics, peer.ip(), user);
        tokio::time::sleep(delay).await;
    }
    drop(place);
    Ok(verified)
}

//! Password checks shared by every protocol: directory lookup off the async threads, the
//! per-user session limit, and the login/badlogin log lines.

use std::net::SocketAddr;

use crate::context::ServerContext;
use crate::limits::Slot;
use crate::metrics::Protocol;

/// Why a login was refused.
pub enum LoginError {
    /// Wrong user or password.
    BadCredentials,
    /// The user directory could not be read.
    Unavailable,
    /// The user has too many sessions open.
    TooManySessions,
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
    let (directory, name, secret) = (ctx.directory.clone(), user.to_string(), password.to_vec());
    // A password verified recently needs no hashing thread: no wait behind others' logins.
    let verified = match tokio::task::block_in_place(|| directory.verify_recent(&name, &secret)) {
        Ok(Some(name)) => Ok(Some(name)),
        _ => match ctx.hashing.run(move || directory.verify(&name, &secret)).await {
            Some(v) => v,
            None => return Err(LoginError::Unavailable),
        },
    };
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

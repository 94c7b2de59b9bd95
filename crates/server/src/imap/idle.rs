//! IDLE (RFC 2177): wait for DONE while announcing mailbox changes as they happen.

use std::time::Duration;

use super::session::{Flow, Outcome, Session};

/// How often an idling session looks for changes made by other processes (the in-process
/// notification wakes it at once for changes made by this server).
const POLL: Duration = Duration::from_secs(5);

impl Session {
    pub(super) async fn idle(&mut self) -> (Outcome, Flow) {
        self.conn.write(b"+ idling\r\n");
        if self.conn.flush().await.is_err() {
            return (Outcome::done("IDLE"), Flow::Close);
        }
        // A shared store reads the mailbox's MODSEQ to start the watch: a blocking call.
        let mut watch = self
            .selected
            .as_ref()
            .map(|v| tokio::task::block_in_place(|| self.ctx.store.watch(&v.owner, v.id)));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(self.ctx.config.idle_timeout_secs);
        loop {
            let changed = async {
                match watch.as_mut() {
                    Some(w) => {
                        if w.changed().await.is_err() {
                            std::future::pending::<()>().await
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                line = self.conn.read_line() => {
                    return match line {
                        Ok(Some(l)) if String::from_utf8_lossy(&l).trim().eq_ignore_ascii_case("DONE") => {
                            (Outcome::Ok("IDLE terminated".into()), Flow::Continue)
                        }
                        Ok(Some(_)) => (Outcome::Bad("Expected DONE to end IDLE".into()), Flow::Continue),
                        _ => (Outcome::done("IDLE"), Flow::Close),
                    };
                }
                _ = changed => {
                    self.sync_view(true);
                    self.announce_context_changes();
                }
                _ = tokio::time::sleep(POLL) => {
                    self.sync_view(true);
                    self.announce_context_changes();
                }
                _ = tokio::time::sleep_until(deadline) => {
                    self.conn.write(b"* BYE Autologout; idle for too long\r\n");
                    let _ = self.conn.flush().await;
                    return (Outcome::done("IDLE"), Flow::Close);
                }
            }
            if self.conn.flush().await.is_err() {
                return (Outcome::done("IDLE"), Flow::Close);
            }
        }
    }
}

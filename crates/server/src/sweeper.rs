//! The periodic sweep of message contents that no message names any more ([`Store::sweep`]):
//! a distributed store leaves expunged and orphaned objects to it, so that no node removes an
//! object another node's transaction is about to name.

use std::sync::Arc;
use std::time::Duration;

use bushbuck_store::Store;

/// Sweeps `store` every tenth of `grace` (at least every second), in the background, removing
/// what has been unreferenced for longer than `grace`. Failures are logged and retried on the
/// next round.
pub fn spawn(store: Arc<dyn Store>, grace: Duration) {
    let every = (grace / 10).max(Duration::from_secs(1));
    tokio::spawn(async move {
        let mut rounds = tokio::time::interval(every);
        rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            rounds.tick().await;
            let store = store.clone();
            match tokio::task::spawn_blocking(move || store.sweep(grace)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(removed)) => tracing::info!(removed, "swept unreferenced message contents"),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "the sweep of unreferenced message contents failed; retrying later")
                }
                Err(e) => tracing::error!(error = %e, "the sweeper task panicked"),
            }
        }
    });
}

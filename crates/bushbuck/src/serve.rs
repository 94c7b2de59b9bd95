//! `bushbuck serve`: logging set-up and the server's run loop.

use crate::cli::ServeArgs;
use crate::live_servers;
use crate::settings::{self, CliError};

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: ServeArgs) -> Result<(), CliError> {
    let mut config = settings::load(&args.location)?;
    let overrides = [
        (&args.imap, &mut config.imap),
        (&args.imaps, &mut config.imaps),
        (&args.pop3, &mut config.pop3),
        (&args.pop3s, &mut config.pop3s),
        (&args.lmtp, &mut config.lmtp),
        (&args.lmtp_socket, &mut config.lmtp_socket),
        (&args.sieve, &mut config.sieve),
        (&args.http, &mut config.http),
        (&args.smtp_relay, &mut config.smtp_relay),
    ];
    for (flag, field) in overrides {
        if let Some(value) = flag {
            *field = value.clone();
        }
    }
    for (flag, field) in [(&args.store_url, &mut config.store_url), (&args.blob_url, &mut config.blob_url)] {
        if flag.is_some() {
            field.clone_from(flag);
        }
    }
    let filter =
        args.log.clone().or_else(|| std::env::var("RUST_LOG").ok()).unwrap_or_else(|| "info".to_string());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter)
                .map_err(|e| CliError::Config(format!("invalid --log filter {filter:?}: {e}")))?,
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    tracing::info!(data = %config.data.display(), "data directory");
    // Held until the server stops: lets other subcommands find this server's data directory.
    let _registration = live_servers::register(&config.data)
        .map_err(|e| {
            tracing::warn!("cannot record this server's data directory for the other subcommands: {e}")
        })
        .ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(bushbuck_server::run(config)).map_err(CliError::Failed)
}

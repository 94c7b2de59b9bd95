//! The `bushbuck` command: runs the server and administers its users and data.

mod admin;
mod backup;
mod ban;
mod check;
mod cli;
mod config_check;
mod datadir;
mod deliver;
mod export;
mod group;
mod imap_client;
mod import;
mod import_imap;
mod live_servers;
mod quota;
mod reconstruct;
mod serve;
mod settings;
mod sieve;
mod store_migrate;
mod tls_client;
mod user;

fn main() -> std::process::ExitCode {
    let cli = check::parse_cli();
    let result = match cli.command {
        cli::Command::Serve(args) => serve::run(args),
        cli::Command::User(args) => user::run(args),
        cli::Command::Deliver(args) => deliver::run(args),
        cli::Command::Quota(args) => quota::run(args),
        cli::Command::Group(args) => group::run(args),
        cli::Command::Ban(args) => ban::run(args),
        cli::Command::Sieve(args) => sieve::run(args),
        cli::Command::Reconstruct(args) => reconstruct::run(args),
        cli::Command::Import(args) => import::run(args),
        cli::Command::Export(args) => export::run(args),
        cli::Command::Backup(args) => backup::run_backup(args),
        cli::Command::Restore(args) => backup::run_restore(args),
        cli::Command::Store(args) => store_migrate::run(args),
        cli::Command::Check(args) => check::run(args),
        cli::Command::Admin(args) => admin::run(args),
        cli::Command::Config(args) => match args.action {
            cli::ConfigAction::Check { location } => config_check::run(&location),
        },
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bushbuck: {e}");
            std::process::ExitCode::from(e.exit_code())
        }
    }
}

//! The `bushbuck` command: runs the server and administers its users and data.

mod cli;
mod deliver;
mod quota;
mod reconstruct;
mod serve;
mod settings;
mod user;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Serve(args) => serve::run(args),
        cli::Command::User(args) => user::run(args),
        cli::Command::Deliver(args) => deliver::run(args),
        cli::Command::Quota(args) => quota::run(args),
        cli::Command::Reconstruct(args) => reconstruct::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bushbuck: {e}");
            std::process::ExitCode::from(e.exit_code())
        }
    }
}

//! `bushbuck admin`: an administration shell in the manner of Cyrus's cyradm. It connects to
//! a running server over IMAP, logs in as an administrator and reads commands from a
//! terminal (line editing, history), a script file or standard input. In a script the first
//! failing command stops the shell with a non-zero exit, unless `--keep-going`.

mod commands;
mod exec;
mod input;
mod names;
mod output;
mod rights;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use crate::imap_client::{Advice, Connection, Error, Security};
use crate::settings::CliError;
use exec::{Flow, Shell};
use input::Input;

/// What the shell suggests when it cannot connect.
const ADVICE: Advice = Advice {
    unreachable: "is bushbuck serve running there?",
    certificate: "for the server's default self-signed certificate use --insecure or --ca FILE",
    no_starttls: "use --tls with its IMAPS port, or --plain",
};

/// `bushbuck admin [--host H] [--port P] [--tls|--starttls|--plain] ...`
#[derive(Args)]
pub struct AdminArgs {
    /// Server host name or address.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// IMAP port [default: 1143, or 1993 with --tls].
    #[arg(long)]
    pub port: Option<u16>,
    /// Implicit TLS (the IMAPS port).
    #[arg(long, conflicts_with_all = ["starttls", "plain"])]
    pub tls: bool,
    /// Require STARTTLS (by default it is used when the server offers it).
    #[arg(long, conflicts_with = "plain")]
    pub starttls: bool,
    /// Never use TLS.
    #[arg(long)]
    pub plain: bool,
    /// Accept any server certificate, such as the self-signed one Bushbuck makes by default.
    #[arg(long, conflicts_with = "ca")]
    pub insecure: bool,
    /// Trust the certificates in this PEM file instead of the system's.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Administrator to log in as [default: $USER]: named in the server's admins setting, or
    /// marked with `bushbuck user add NAME --admin`
    /// for user management.
    #[arg(long)]
    pub user: Option<String>,
    /// Read the password from the first line of standard input (else it is asked for).
    #[arg(long)]
    pub password_stdin: bool,
    /// Run the commands in this file instead of reading them from standard input.
    #[arg(long, value_name = "SCRIPT")]
    pub file: Option<PathBuf>,
    /// In a script, go on after a failing command (the exit status is still non-zero).
    #[arg(long)]
    pub keep_going: bool,
}

/// Runs the shell to its end.
pub fn run(args: AdminArgs) -> Result<(), CliError> {
    let user = match args.user.clone().or_else(|| std::env::var("USER").ok()) {
        Some(u) => u,
        None => return Err(CliError::Config("no user to log in as; give --user ADMIN".into())),
    };
    let password = if args.password_stdin {
        input::read_secret(&format!("password for {user}: ")).map_err(CliError::Config)?
    } else if std::io::stdin().is_terminal() || args.file.is_some() {
        rpassword::prompt_password(format!("password for {user}@{}: ", args.host)).map_err(|e| {
            CliError::Config(format!("cannot ask for the password ({e}); use --password-stdin"))
        })?
    } else {
        return Err(CliError::Config(
            "standard input is a script, so the password cannot be asked for; use --password-stdin \
             and put the password on the first line"
                .into(),
        ));
    };
    let security = match (args.tls, args.starttls, args.plain) {
        (true, _, _) => Security::Tls,
        (_, true, _) => Security::StartTls,
        (_, _, true) => Security::Plain,
        _ => Security::Opportunistic,
    };
    let port = args.port.unwrap_or(if args.tls { 1993 } else { 1143 });
    let tls_config =
        crate::tls_client::client_config(args.insecure, args.ca.as_deref()).map_err(CliError::Config)?;
    let mut conn = Connection::open(&args.host, port, security, tls_config, ADVICE).map_err(unavailable)?;
    conn.login(&user, &password)
        .map_err(|e| CliError::Unavailable(format!("login as {user} failed: {e}")))?;
    let mut shell = Shell::new(conn, user).map_err(unavailable)?;
    let mut input = match &args.file {
        Some(path) => Input::file(path).map_err(CliError::Config)?,
        None if std::io::stdin().is_terminal() => {
            println!("connected to {}:{port}; type help for the commands", args.host);
            Input::terminal(format!("{}> ", args.host)).map_err(CliError::Config)?
        }
        None => Input::Stdin { line: 0 },
    };
    let result = repl(&mut shell, &mut input, args.keep_going);
    shell.close();
    result
}

/// Reads and runs commands until the end of the input, `exit`, or (in a script) a failure.
fn repl(shell: &mut Shell, input: &mut Input, keep_going: bool) -> Result<(), CliError> {
    let interactive = input.is_interactive();
    let mut failures = 0usize;
    while let Some(line) = input.next_line().map_err(CliError::Failed)? {
        let outcome = commands::parse(&line)
            .map_err(Error::Command)
            .and_then(|action| action.map_or(Ok(Flow::Continue), |a| shell.execute(a, interactive)));
        match outcome {
            Ok(Flow::Continue) => {}
            Ok(Flow::Exit) => break,
            Err(Error::Connection(why)) => return Err(CliError::Unavailable(why)),
            Err(Error::Command(why)) => {
                eprintln!("bushbuck admin: {}{why}", input.location());
                failures += 1;
                if !interactive && !keep_going {
                    return Err(CliError::Failed(format!(
                        "stopped at the failing command ({}{})",
                        input.location(),
                        line.trim()
                    )));
                }
            }
        }
    }
    match failures {
        0 => Ok(()),
        _ if interactive => Ok(()),
        n => Err(CliError::Failed(format!("{n} commands failed"))),
    }
}

fn unavailable(e: Error) -> CliError {
    CliError::Unavailable(e.to_string())
}

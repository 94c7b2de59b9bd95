//! `bushbuck check HOST [--imap PORT] [--pop3 PORT] [--lmtp PORT] [--sieve PORT]`: a
//! monitoring probe in the Nagios plugin convention. Connects to each named service, checks
//! its greeting, optionally logs in (IMAP, POP3) with `--user`/`--password`, and prints one
//! status line with round-trip times and performance data. Exit codes: 0 OK, 1 WARNING (a
//! service answered but slower than `--warning`, 1 s by default), 2 CRITICAL (a service is
//! down, answers wrongly, or refuses the login), 3 UNKNOWN (bad arguments).
//!
//! Logins are sent in clear text (the probe speaks no TLS): point it at a loopback or
//! otherwise trusted listener where the server allows plaintext logins.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use clap::{Args, Parser};

use crate::settings::CliError;

/// Nagios exit codes.
const OK: u8 = 0;
const WARNING: u8 = 1;
const CRITICAL: u8 = 2;
const UNKNOWN: u8 = 3;

/// `bushbuck check HOST ...`
#[derive(Args)]
pub struct CheckArgs {
    /// Host name or address of the server.
    pub host: String,
    /// IMAP port to probe.
    #[arg(long, value_name = "PORT")]
    pub imap: Option<u16>,
    /// POP3 port to probe.
    #[arg(long, value_name = "PORT")]
    pub pop3: Option<u16>,
    /// LMTP port to probe.
    #[arg(long, value_name = "PORT")]
    pub lmtp: Option<u16>,
    /// ManageSieve port to probe.
    #[arg(long, value_name = "PORT")]
    pub sieve: Option<u16>,
    /// User to log in as over IMAP and POP3.
    #[arg(long, requires = "password")]
    pub user: Option<String>,
    /// Password of --user.
    #[arg(long, requires = "user")]
    pub password: Option<String>,
    /// Seconds above which a service counts as slow (WARNING).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub warning: f64,
    /// Seconds to wait for any answer before a service counts as down (CRITICAL).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
}

/// Parses the command line; a malformed `check` command line exits with 3 (UNKNOWN), as
/// monitoring systems expect, instead of clap's 2 (which would read as CRITICAL).
pub fn parse_cli() -> crate::cli::Cli {
    match crate::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let is_check = std::env::args().nth(1).as_deref() == Some("check");
            if is_check && e.use_stderr() {
                let _ = e.print();
                std::process::exit(i32::from(UNKNOWN));
            }
            e.exit()
        }
    }
}

/// The outcome of probing one service.
struct Probe {
    service: &'static str,
    result: Result<Duration, String>,
}

/// Runs `bushbuck check`; exits with the Nagios code itself.
pub fn run(args: CheckArgs) -> Result<(), CliError> {
    let services: Vec<(&'static str, u16)> =
        [("imap", args.imap), ("pop3", args.pop3), ("lmtp", args.lmtp), ("sieve", args.sieve)]
            .into_iter()
            .filter_map(|(s, p)| p.map(|p| (s, p)))
            .collect();
    let sane = |t: f64| t.is_finite() && (0.0..=86_400.0).contains(&t);
    if services.is_empty() || !sane(args.timeout) || args.timeout == 0.0 || !sane(args.warning) {
        println!("BUSHBUCK UNKNOWN - name at least one of --imap --pop3 --lmtp --sieve (and positive times)");
        std::process::exit(i32::from(UNKNOWN));
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let login = args.user.as_deref().zip(args.password.as_deref());
    let probes: Vec<Probe> = services
        .iter()
        .map(|&(service, port)| Probe { service, result: probe(&args.host, port, service, login, timeout) })
        .collect();
    let warning = Duration::from_secs_f64(args.warning);
    let mut code = OK;
    let mut parts = Vec::new();
    let mut perf = Vec::new();
    for p in &probes {
        match &p.result {
            Ok(rtt) => {
                if *rtt > warning {
                    code = code.max(WARNING);
                    parts.push(format!("{} slow {} ms", p.service, rtt.as_millis()));
                } else {
                    parts.push(format!("{} {} ms", p.service, rtt.as_millis()));
                }
                perf.push(format!(
                    "{}={:.3}s;{};{}",
                    p.service,
                    rtt.as_secs_f64(),
                    args.warning,
                    args.timeout
                ));
            }
            Err(why) => {
                code = CRITICAL;
                parts.push(format!("{} {why}", p.service));
            }
        }
    }
    let word = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][usize::from(code)];
    println!("BUSHBUCK {word} - {} | {}", parts.join(", "), perf.join(" "));
    if code == OK {
        Ok(())
    } else {
        std::process::exit(i32::from(code))
    }
}

/// Connects, checks the greeting, logs in if asked and says goodbye; the time taken.
fn probe(
    host: &str,
    port: u16,
    service: &str,
    login: Option<(&str, &str)>,
    timeout: Duration,
) -> Result<Duration, String> {
    let start = Instant::now();
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("down ({addr}: {e})"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let mut conn =
        Conn { reader: BufReader::new(stream.try_clone().map_err(|e| e.to_string())?), writer: stream };
    match service {
        "imap" => {
            let greeting = conn.line()?;
            if !(greeting.starts_with("* OK") || greeting.starts_with("* PREAUTH")) {
                return Err(format!("bad greeting {greeting:?}"));
            }
            if let Some((user, password)) = login {
                conn.send(&format!("c1 LOGIN {} {}\r\n", imap_quote(user), imap_quote(password)))?;
                let done = conn.until(|l| l.starts_with("c1 "))?;
                if !done.starts_with("c1 OK") {
                    return Err(format!("login failed: {done}"));
                }
            }
            conn.send("c2 LOGOUT\r\n")?;
            let _ = conn.until(|l| l.starts_with("c2 "));
        }
        "pop3" => {
            let greeting = conn.line()?;
            if !greeting.starts_with("+OK") {
                return Err(format!("bad greeting {greeting:?}"));
            }
            if let Some((user, password)) = login {
                conn.send(&format!("USER {user}\r\n"))?;
                let reply = conn.line()?;
                if !reply.starts_with("+OK") {
                    return Err(format!("login failed: {reply}"));
                }
                conn.send(&format!("PASS {password}\r\n"))?;
                let reply = conn.line()?;
                if !reply.starts_with("+OK") {
                    return Err(format!("login failed: {reply}"));
                }
            }
            conn.send("QUIT\r\n")?;
            let _ = conn.line();
        }
        "lmtp" => {
            let greeting = conn.until(|l| l.len() < 4 || l.as_bytes()[3] != b'-')?;
            if !greeting.starts_with("220") {
                return Err(format!("bad greeting {greeting:?}"));
            }
            conn.send("LHLO bushbuck-check\r\n")?;
            let reply = conn.until(|l| l.len() < 4 || l.as_bytes()[3] != b'-')?;
            if !reply.starts_with("250") {
                return Err(format!("LHLO refused: {reply}"));
            }
            conn.send("QUIT\r\n")?;
            let _ = conn.line();
        }
        _ => {
            let done = conn.until(|l| l.starts_with("OK") || l.starts_with("NO") || l.starts_with("BYE"))?;
            if !done.starts_with("OK") {
                return Err(format!("bad greeting {done:?}"));
            }
            conn.send("LOGOUT\r\n")?;
            let _ = conn.line();
        }
    }
    Ok(start.elapsed())
}

/// An IMAP quoted string.
fn imap_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A line-oriented connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => Err("closed the connection".into()),
            Ok(_) => Ok(line.trim_end().to_string()),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                Err("no answer (timeout)".into())
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// Reads lines until one satisfies `last`; returns it.
    fn until(&mut self, last: impl Fn(&str) -> bool) -> Result<String, String> {
        for _ in 0..1000 {
            let line = self.line()?;
            if last(&line) {
                return Ok(line);
            }
        }
        Err("endless response".into())
    }

    fn send(&mut self, text: &str) -> Result<(), String> {
        self.writer.write_all(text.as_bytes()).map_err(|e| e.to_string())
    }
}

//! `bushbuck deliver`: an MDA for pipes (procmail, sendmail's local mailer): reads one
//! message on standard input and files it for each named user. Exit codes follow sysexits:
//! 0 delivered to all, 67 an unknown user, 75 a temporary failure (the MTA retries).

use std::io::Read;

use bushbuck_server::delivery::{self, Delivery, Duplicates, Filed, QuotaCheck, ResolveError};
use bushbuck_server::sieve::filter::SieveContext;

use crate::cli::DeliverArgs;
use crate::settings::{self, CliError};

/// Delivers standard input to every recipient.
pub fn run(args: DeliverArgs) -> Result<(), CliError> {
    let config = settings::load(&args.location)?;
    let duplicate_log = config.open_duplicates().map_err(CliError::TempFail)?;
    if let Some(days) = args.prune_duplicates {
        let gone = duplicate_log.prune(days).map_err(CliError::TempFail)?;
        println!("forgot {gone} delivered Message-IDs older than {days} days");
        return Ok(());
    }
    let days = args.duplicate_days.unwrap_or(config.duplicate_suppression_days);
    let duplicates = Duplicates { log: &duplicate_log, window_secs: i64::from(days) * 86_400 };
    let duplicates = (days > 0).then_some(&duplicates);
    let mut message = Vec::new();
    std::io::stdin()
        .read_to_end(&mut message)
        .map_err(|e| CliError::TempFail(format!("cannot read the message from standard input: {e}")))?;
    if message.is_empty() {
        return Err(CliError::Config("the message on standard input is empty".into()));
    }
    let directory = config.open_directory().map_err(|e| CliError::TempFail(e.to_string()))?;
    let store = config.open_store().map_err(CliError::TempFail)?;
    let from = args.from.clone().unwrap_or_default();
    let message = delivery::crlf_line_endings(&message);
    let stored =
        delivery::with_trace_headers(&message, &from, "local", "local delivery", &delivery::host_name());
    let quota = (!args.ignore_quota).then_some(QuotaCheck { config: &config, directory: &directory });
    let scripts = config.open_scripts().map_err(CliError::TempFail)?;
    let host = delivery::host_name();
    let sieve = SieveContext {
        scripts: &scripts,
        log: &duplicate_log,
        relay: &config.smtp_relay,
        host: &host,
        max_redirects: config.sieve_max_redirects,
    };
    let mut delivery = Delivery::new(&*store, &stored, duplicates, quota).with_sieve(sieve, &from);
    let mut failure = None;
    for address in &args.recipients {
        let recipient =
            match delivery::resolve_recipient(&directory, &*store, &config.shared_delivery_prefix, address) {
                Ok(r) => r,
                Err(ResolveError::UnknownUser) => {
                    eprintln!("bushbuck deliver: {address}: user unknown");
                    failure.get_or_insert(CliError::NoUser(format!("{address}: user unknown")));
                    continue;
                }
                Err(ResolveError::Unavailable(why)) => {
                    failure = Some(CliError::TempFail(format!("user directory unavailable: {why}")));
                    continue;
                }
            };
        match delivery.file(&recipient, args.mailbox.as_deref(), &args.flags) {
            Ok(Filed::Stored(mailbox)) => println!("{address}: delivered to {mailbox}"),
            Ok(Filed::Duplicate(mailbox)) => {
                println!("{address}: duplicate of a message in {mailbox}; dropped")
            }
            Ok(Filed::Discarded) => println!("{address}: discarded by the recipient's filter"),
            Ok(Filed::Rejected(reason)) => {
                eprintln!("bushbuck deliver: {address}: rejected: {reason}");
                failure = Some(CliError::Unavailable(format!("{address}: rejected: {reason}")));
            }
            Ok(Filed::OverQuota) => failure = Some(CliError::TempFail(format!("{address}: mailbox is full"))),
            Ok(Filed::TooBigForQuota) => {
                failure =
                    Some(CliError::Failed(format!("{address}: message is larger than the mailbox quota")))
            }
            Err(e) => failure = Some(CliError::TempFail(format!("{address}: {e}"))),
        }
    }
    failure.map_or(Ok(()), Err)
}

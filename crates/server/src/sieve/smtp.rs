//! A minimal SMTP client for what Sieve sends out (redirects and vacation replies) through the
//! configured relay. Blocking: it runs on the delivery's blocking thread.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends `message` from `from` (empty: the null sender) to `to` through `relay` (host:port).
pub fn send(relay: &str, helo: &str, from: &str, to: &[&str], message: &[u8]) -> Result<(), String> {
    if relay.is_empty() {
        return Err("no smtp_relay is configured".into());
    }
    let stream =
        TcpStream::connect(relay).map_err(|e| format!("cannot reach the SMTP relay {relay}: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
    let mut writer = stream;
    expect(&mut reader, 220)?;
    let mut command = |line: Vec<u8>, code: u16| -> Result<(), String> {
        writer.write_all(&line).map_err(|e| e.to_string())?;
        expect(&mut reader, code)
    };
    command(format!("EHLO {helo}\r\n").into_bytes(), 250)?;
    // 8-bit content is declared (RFC 6152); relays that cannot take it refuse MAIL.
    let body = if message.iter().any(|b| *b >= 0x80) { " BODY=8BITMIME" } else { "" };
    command(format!("MAIL FROM:<{from}>{body}\r\n").into_bytes(), 250)?;
    for rcpt in to {
        command(format!("RCPT TO:<{rcpt}>\r\n").into_bytes(), 250)?;
    }
    command(b"DATA\r\n".to_vec(), 354)?;
    let mut body = Vec::with_capacity(message.len() + 64);
    bushbuck_proto::pop3::dot_stuff(message, &mut body);
    command(body, 250)?;
    let _ = command(b"QUIT\r\n".to_vec(), 221);
    Ok(())
}

/// Reads one (possibly multi-line) reply and checks its code.
fn expect(reader: &mut impl BufRead, code: u16) -> Result<(), String> {
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(|e| format!("SMTP relay: {e}"))? == 0 {
            return Err("SMTP relay closed the connection".into());
        }
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            return if line.starts_with(&code.to_string()) {
                Ok(())
            } else {
                Err(format!("SMTP relay answered {}", line.trim_end()))
            };
        }
    }
}

//! IMAP ENVELOPE as Dovecot 2.3 writes it: raw header values (the last occurrence of each
//! field; address fields merge the addresses of all their occurrences), the subject and
//! display names cleaned up for humans, sender and reply-to defaulting to from.

use crate::address::{parse_address_list, Address};
use crate::header::Field;
use crate::quote;

fn last<'f>(fields: &'f [Field<'_>], name: &str) -> Option<&'f [u8]> {
    fields.iter().rev().find(|f| f.is(name)).map(|f| f.value.as_slice())
}

fn write_addresses(out: &mut String, list: Option<&[Address]>) {
    match list {
        Some(list) if !list.is_empty() => {
            out.push('(');
            for a in list {
                out.push('(');
                match &a.name {
                    Some(n) => quote::for_humans(out, n),
                    None => out.push_str("NIL"),
                }
                out.push(' ');
                quote::nstring(out, a.route.as_deref());
                out.push(' ');
                quote::nstring(out, a.mailbox.as_deref());
                out.push(' ');
                quote::nstring(out, a.domain.as_deref());
                out.push(')');
            }
            out.push(')');
        }
        _ => out.push_str("NIL"),
    }
}

/// The ENVELOPE of a header (without the surrounding parentheses).
pub(crate) fn write(out: &mut String, fields: &[Field<'_>]) {
    quote::nstring(out, last(fields, "Date"));
    out.push(' ');
    match last(fields, "Subject") {
        Some(s) => quote::for_humans(out, s),
        None => out.push_str("NIL"),
    }
    // The addresses of every occurrence of an address field, in order (Dovecot appends a
    // duplicated field's addresses); an empty list counts as absent.
    let addrs = |name: &str| {
        let list: Vec<Address> =
            fields.iter().filter(|f| f.is(name)).flat_map(|f| parse_address_list(&f.value)).collect();
        (!list.is_empty()).then_some(list)
    };
    let from = addrs("From");
    let sender = addrs("Sender");
    let reply_to = addrs("Reply-To");
    for list in [from.as_ref(), sender.as_ref().or(from.as_ref()), reply_to.as_ref().or(from.as_ref())] {
        out.push(' ');
        write_addresses(out, list.map(Vec::as_slice));
    }
    for name in ["To", "Cc", "Bcc"] {
        out.push(' ');
        write_addresses(out, addrs(name).as_deref());
    }
    out.push(' ');
    quote::nstring(out, last(fields, "In-Reply-To"));
    out.push(' ');
    quote::nstring(out, last(fields, "Message-ID"));
}

//! STORE and UID STORE, and the rules for which flags a client may set.

use bushbuck_proto::imap::command::{SequenceSet, StoreMode};
use bushbuck_proto::imap::response;
use bushbuck_store::FlagChange;

use super::sequence::message_uids;
use super::session::{Outcome, Session};
use super::wire;

/// System flags a client may store.
const SYSTEM: [&str; 5] = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/// Canonical spelling of client flags: system flags capitalised, `\Recent` dropped (it can't
/// be stored), keywords kept. An unknown `\Flag` is an error.
pub fn normalize(flags: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(flags.len());
    for flag in flags {
        if let Some(system) = SYSTEM.iter().find(|s| s.eq_ignore_ascii_case(flag)) {
            out.push(system.to_string());
        } else if flag.eq_ignore_ascii_case("\\Recent") {
            continue;
        } else if flag.starts_with('\\') {
            return Err(format!("Unknown system flag {flag}"));
        } else {
            out.push(flag.clone());
        }
    }
    Ok(out)
}

impl Session {
    pub(super) fn store(
        &mut self,
        uid_cmd: bool,
        set: &SequenceSet,
        mode: StoreMode,
        silent: bool,
        flags: &[String],
        unchanged_since: Option<u64>,
    ) -> Outcome {
        let Some(view) = self.selected.as_ref() else {
            return Outcome::Bad("No mailbox selected".into());
        };
        if view.read_only {
            return Outcome::No("[READ-ONLY] Mailbox is read-only".into());
        }
        let uids = match message_uids(uid_cmd, set, view) {
            Ok(u) => u,
            Err(o) => return o,
        };
        let flags = match normalize(flags) {
            Ok(f) => f,
            Err(why) => return Outcome::Bad(why),
        };
        if unchanged_since.is_some() {
            self.condstore = true;
        }
        let change = match mode {
            StoreMode::Replace => FlagChange::Replace,
            StoreMode::Add => FlagChange::Add,
            StoreMode::Remove => FlagChange::Remove,
        };
        let (user, id) = (self.user(), view.id);
        let update = match self.blocking(|s| s.store_flags(&user, id, &uids, change, &flags, unchanged_since))
        {
            Ok(u) => u,
            Err(e) => return e.into(),
        };
        let (condstore, rev2) = (self.condstore, self.rev2);
        let view = self.selected.as_mut().expect("selected");
        let mut lines = Vec::new();
        for state in &update.updated {
            let before = view.get(state.uid).map(|m| m.modseq);
            view.record(state);
            // With .SILENT only a change from UNCHANGEDSINCE needs its MODSEQ reported.
            let changed = before != Some(state.modseq);
            if silent && !(unchanged_since.is_some() && changed) {
                continue;
            }
            let Some(seq) = view.seq_of(state.uid) else {
                continue;
            };
            let mut items = Vec::new();
            if uid_cmd {
                items.push(format!("UID {}", state.uid));
            }
            if !silent {
                let recent = !rev2 && view.recent.contains(&state.uid);
                items.push(format!("FLAGS {}", wire::flag_list(&state.flags, recent)));
            }
            if condstore {
                items.push(format!("MODSEQ ({})", state.modseq));
            }
            lines.push(format!("{seq} FETCH ({})", items.join(" ")));
        }
        for line in lines {
            self.untagged(&line);
        }
        let name = if uid_cmd { "UID STORE" } else { "STORE" };
        if update.modified.is_empty() {
            return Outcome::done(name);
        }
        let view = self.selected.as_ref().expect("selected");
        let mut numbers: Vec<u32> = if uid_cmd {
            update.modified.clone()
        } else {
            update.modified.iter().filter_map(|u| view.seq_of(*u)).collect()
        };
        numbers.sort_unstable();
        Outcome::Ok(format!(
            "[MODIFIED {}] Conditional STORE failed for some messages",
            response::sequence_set(&numbers)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_normalised() {
        let given = vec!["\\seen".to_string(), "\\RECENT".to_string(), "$Junk".to_string()];
        assert_eq!(normalize(&given).unwrap(), vec!["\\Seen".to_string(), "$Junk".to_string()]);
        assert!(normalize(&["\\Bogus".to_string()]).is_err());
    }
}

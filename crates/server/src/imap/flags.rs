//! STORE and UID STORE, and the rules for which flags a client may set.

use bushbuck_proto::imap::command::{SequenceSet, StoreMode};
use bushbuck_proto::imap::response;
use std::collections::BTreeMap;

use bushbuck_store::{FlagChange, FlagUpdate, MailboxId, MetaParts, Store, StoreError};

use super::sequence::message_uids;
use super::session::{Outcome, Session};
use super::wire;
use crate::acl::Rights;

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

/// The right needed to change a flag (RFC 4314 section 4): `s` for \\Seen, `t` for
/// \\Deleted, `w` for the others.
pub fn right_for(flag: &str) -> Rights {
    match flag {
        "\\Seen" => Rights::SEEN,
        "\\Deleted" => Rights::DELETE_MESSAGES,
        _ => Rights::WRITE,
    }
}

/// The flags allowed by `rights`, others dropped (APPEND, COPY into a mailbox).
pub fn permitted(flags: &[String], rights: Rights) -> Vec<String> {
    flags.iter().filter(|f| rights.contains(right_for(f))).cloned().collect()
}

/// Which kinds of stored flags a replacing STORE must keep because the session may not
/// change them: \\Seen without `s` (or when the viewer keeps an own \\Seen), \\Deleted
/// without `t`, the others without `w`. Empty when everything may change.
fn protected(rights: Rights, own_seen: bool) -> Vec<Rights> {
    let mut kinds = Vec::new();
    if own_seen || !rights.contains(Rights::SEEN) {
        kinds.push(Rights::SEEN);
    }
    for kind in [Rights::DELETE_MESSAGES, Rights::WRITE] {
        if !rights.contains(kind) {
            kinds.push(kind);
        }
    }
    kinds
}

/// STORE FLAGS that leaves the `kept` kinds of flags as stored: messages are grouped by
/// the kept flags they have, each group replaced with `flags` plus those.
fn replace_keeping(
    store: &dyn Store,
    owner: &str,
    id: MailboxId,
    uids: &[u32],
    flags: &[String],
    kept: &[Rights],
    unchanged_since: Option<u64>,
) -> Result<FlagUpdate, StoreError> {
    let mut groups: BTreeMap<Vec<String>, Vec<u32>> = BTreeMap::new();
    for meta in store.fetch_meta(owner, id, uids, MetaParts::FACTS)? {
        let keep: Vec<String> = meta.flags.into_iter().filter(|f| kept.contains(&right_for(f))).collect();
        groups.entry(keep).or_default().push(meta.uid);
    }
    let mut all = FlagUpdate::default();
    for (keep, uids) in groups {
        let mut wanted = flags.to_vec();
        wanted.extend(keep);
        let update = store.store_flags(owner, id, &uids, FlagChange::Replace, &wanted, unchanged_since)?;
        all.updated.extend(update.updated);
        all.modified.extend(update.modified);
    }
    Ok(all)
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
        let rights = view.rights;
        let (owner, id, viewer) = (view.owner.clone(), view.id, view.viewer.clone());
        let permitted = permitted(&flags, rights);
        if !flags.is_empty() && permitted.is_empty() {
            return Outcome::No(
                "[NOPERM] You may not change these flags here (\\Seen needs the s right, \\Deleted t, \
                 others w); ask the owner (SETACL)"
                    .into(),
            );
        }
        if unchanged_since.is_some() {
            self.enable_condstore();
        }
        let change = match mode {
            StoreMode::Replace => FlagChange::Replace,
            StoreMode::Add => FlagChange::Add,
            StoreMode::Remove => FlagChange::Remove,
        };
        // Where the viewer keeps an own \\Seen, it is set apart from the stored flags.
        let wants_seen = permitted.iter().any(|f| f == "\\Seen");
        let own_seen = match (&viewer, change) {
            (None, _) => None,
            (Some(_), FlagChange::Add | FlagChange::Remove) if wants_seen => Some(change == FlagChange::Add),
            (Some(_), FlagChange::Replace) if rights.contains(Rights::SEEN) => Some(wants_seen),
            (Some(_), _) => None,
        };
        let mut global = permitted;
        if viewer.is_some() {
            global.retain(|f| f != "\\Seen");
        }
        let kept = protected(rights, viewer.is_some());
        let update = match self.blocking(|s| {
            let mut update = if change == FlagChange::Replace && !kept.is_empty() {
                replace_keeping(s, &owner, id, &uids, &global, &kept, unchanged_since)?
            } else {
                s.store_flags(&owner, id, &uids, change, &global, unchanged_since)?
            };
            update.updated.sort_by_key(|m| m.uid);
            if let (Some(v), Some(seen)) = (&viewer, own_seen) {
                let allowed: Vec<u32> =
                    uids.iter().copied().filter(|u| !update.modified.contains(u)).collect();
                for state in s.set_seen(&owner, id, v, &allowed, seen)? {
                    if let Ok(i) = update.updated.binary_search_by_key(&state.uid, |m| m.uid) {
                        update.updated[i].modseq = update.updated[i].modseq.max(state.modseq);
                    }
                }
            }
            Ok::<_, StoreError>(update)
        }) {
            Ok(mut u) => match self.overlay_seen(&owner, id, viewer.as_deref(), &mut u.updated) {
                Ok(()) => u,
                Err(e) => return e.into(),
            },
            Err(e) => return e.into(),
        };
        // A keyword new to this session is announced before the FETCH answers show it.
        self.announce_new_keywords(update.updated.iter().flat_map(|s| &s.flags));
        let (condstore, rev2, qresync) = (self.condstore, self.rev2, self.qresync);
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
            if uid_cmd || qresync {
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

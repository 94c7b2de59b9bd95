//! SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE and UID EXPUNGE.

use std::collections::HashSet;
use std::sync::Arc;

use bushbuck_proto::imap::command::SequenceSet;
use bushbuck_proto::imap::response;
use bushbuck_store::{MailboxHeader, StoreError};

use super::mailbox_flags::learn_keywords;
use super::message_table::MessageTable;
use super::selected::SelectedMailbox;
use super::sequence::uids_from_uid_set;
use super::session::{Outcome, Session};
use crate::acl::Rights;

impl Session {
    pub(super) fn select(&mut self, raw: &[u8], condstore: bool, read_only: bool) -> Outcome {
        if self.selected.is_some() {
            self.deselect();
            // RFC 7162 3.2.11: the end of the previous mailbox's responses.
            self.untagged("OK [CLOSED] Previous mailbox closed");
        }
        let target = match self.access(raw, Rights::READ) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        if condstore {
            self.condstore = true;
        }
        // Without any right that changes messages, SELECT is READ-ONLY (RFC 4314 section 4).
        let read_only = read_only || !target.rights.intersects(Rights::WRITES);
        let viewer = self.private_seen_viewer(&target.at);
        let (owner, name) = (target.at.owner.clone(), target.at.name.clone());
        // \Recent is claimed only in one's own mailboxes.
        let claims = !read_only && viewer.is_none();
        let opened = self.blocking(|s| {
            let header = s.open_mailbox(&owner, &name)?;
            let unclaimed = header.uid_next.saturating_sub(1) > header.recent_mark;
            let recent = if claims && unclaimed { s.claim_recent(&owner, header.id)? } else { Vec::new() };
            Ok::<_, StoreError>((header, recent))
        });
        let (header, recent) = match opened {
            Ok(x) => x,
            Err(e) => return e.into(),
        };
        // Before the messages are read, so whatever the view will hold stays readable.
        let hold = self.blocking(|s| s.hold_expunged(&owner, header.id));
        let opened = match self.load_messages(&owner, &name, &header, viewer.as_deref()) {
            Ok(t) => t,
            Err(e) => return e.into(),
        };
        // Every keyword a message shows must be in FLAGS, also one registered after the
        // header was read.
        let mut keywords = header.keywords.clone();
        learn_keywords(&mut keywords, opened.messages.distinct_flag_lists().iter().flatten());
        self.announce_flags(target.rights, read_only, &keywords);
        self.untagged(&format!("{} EXISTS", opened.messages.len()));
        if self.rev2 {
            self.untagged(&format!("LIST () \"/\" {}", response::mailbox(&target.imap_name, true)));
        } else {
            // A session that does not claim \Recent still reports how many messages are
            // recent: those above the mark no session has claimed yet (RFC 3501 6.3.2).
            let count = if claims {
                recent.len()
            } else {
                let uids = opened.messages.uids();
                uids.len() - uids.partition_point(|&u| u <= header.recent_mark)
            };
            self.untagged(&format!("{count} RECENT"));
            if let Some(i) = opened.messages.first_unseen() {
                self.untagged(&format!("OK [UNSEEN {}] First unseen message", i + 1));
            }
        }
        self.untagged(&format!("OK [UIDVALIDITY {}] UIDs valid", header.uid_validity));
        self.untagged(&format!("OK [UIDNEXT {}] Predicted next UID", opened.uid_next));
        self.untagged(&format!("OK [HIGHESTMODSEQ {}] Highest", opened.highest_modseq));
        if Some(&owner) == self.user.as_ref() {
            self.quota_warning(&owner, &target.at.name);
        }
        let recent: HashSet<u32> = recent.into_iter().collect();
        self.selected = Some(SelectedMailbox {
            owner,
            id: header.id,
            rights: target.rights,
            viewer,
            read_only,
            uid_validity: header.uid_validity,
            messages: opened.messages,
            recent,
            highest_modseq: opened.highest_modseq,
            uid_next: opened.uid_next,
            pending_expunges: Vec::new(),
            saved_search: Vec::new(),
            keywords,
            hold,
        });
        let view = self.selected.as_ref().expect("just selected");
        tokio::task::block_in_place(|| view.report_caught_up());
        let mode = if read_only { "[READ-ONLY]" } else { "[READ-WRITE]" };
        Outcome::Ok(format!("{mode} {} completed", if read_only { "EXAMINE" } else { "SELECT" }))
    }

    /// The messages of a mailbox being selected: the cached table brought up to date when
    /// there is one (only the changes are read), else every message read from the store.
    /// Tables with a viewer's own \Seen are neither cached nor shared.
    fn load_messages(
        &self,
        owner: &str,
        name: &str,
        header: &MailboxHeader,
        viewer: Option<&str>,
    ) -> Result<OpenedMessages, StoreError> {
        let tables = &self.ctx.tables;
        let cached = match viewer {
            None => tables.get(owner, header.id, header.uid_validity, header.highest_modseq),
            Some(_) => None,
        };
        if let Some(cached) = cached {
            let since = cached.highest_modseq;
            let changes = self.blocking(|s| s.changes(owner, header.id, since, cached.table.max_uid()))?;
            let (highest_modseq, uid_next, count) =
                (changes.highest_modseq, changes.uid_next, changes.messages);
            let mut messages = cached.table;
            if since < highest_modseq {
                Arc::make_mut(&mut messages).apply(changes);
            }
            if messages.len() == count as usize {
                let messages = tables.share(owner, header.id, header.uid_validity, highest_modseq, messages);
                return Ok(OpenedMessages { messages, highest_modseq, uid_next });
            }
            tracing::warn!(
                owner,
                mailbox = name,
                "cached message list disagreed with the store; reading it whole"
            );
        }
        let mut snapshot = self.blocking(|s| s.select(owner, name))?;
        if snapshot.id != header.id {
            return Err(StoreError::NotPossible(
                "the mailbox was replaced while being selected; select it again".into(),
            ));
        }
        self.overlay_seen(owner, snapshot.id, viewer, &mut snapshot.messages)?;
        let mut messages = Arc::new(MessageTable::from_states(snapshot.messages));
        if viewer.is_none() {
            messages =
                tables.share(owner, snapshot.id, snapshot.uid_validity, snapshot.highest_modseq, messages);
        }
        Ok(OpenedMessages { messages, highest_modseq: snapshot.highest_modseq, uid_next: snapshot.uid_next })
    }

    /// CLOSE (`expunge` true: removes \Deleted messages silently) or UNSELECT.
    pub(super) fn close(&mut self, expunge: bool) -> Outcome {
        let Some(view) = self.selected.take() else {
            return Outcome::Bad("No mailbox selected".into());
        };
        let expunged = if expunge && !view.read_only && view.rights.contains(Rights::EXPUNGE) {
            self.blocking(|s| s.expunge(&view.owner, view.id, None)).map(|_| ())
        } else {
            Ok(())
        };
        // Ending the hold may remove files.
        tokio::task::block_in_place(|| drop(view));
        if let Err(e) = expunged {
            return e.into();
        }
        Outcome::done(if expunge { "CLOSE" } else { "UNSELECT" })
    }

    /// EXPUNGE, or UID EXPUNGE limited to a set.
    pub(super) fn expunge(&mut self, set: Option<&SequenceSet>) -> Outcome {
        let Some(view) = self.selected.as_ref() else {
            return Outcome::Bad("No mailbox selected".into());
        };
        if view.read_only {
            return Outcome::No("[READ-ONLY] Mailbox is read-only".into());
        }
        if !view.rights.contains(Rights::EXPUNGE) {
            return Outcome::No(
                "[NOPERM] You lack the e right to expunge here; ask the owner (SETACL)".into(),
            );
        }
        let only = set.map(|s| uids_from_uid_set(s, view));
        let (user, id) = (view.owner.clone(), view.id);
        let expunged = match self.blocking(|s| s.expunge(&user, id, only.as_deref())) {
            Ok(u) => u,
            Err(e) => return e.into(),
        };
        if let Some(view) = self.selected.as_mut() {
            let removed = view.remove_own(&expunged);
            for line in super::qresync::expunge_lines(self.qresync, &removed) {
                self.untagged(&line);
            }
        }
        Outcome::done(if set.is_some() { "UID EXPUNGE" } else { "EXPUNGE" })
    }
}

/// A selected mailbox's messages and the state they show.
struct OpenedMessages {
    messages: Arc<MessageTable>,
    highest_modseq: u64,
    uid_next: u32,
}

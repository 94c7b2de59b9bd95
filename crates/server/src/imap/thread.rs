//! The threading algorithms of THREAD (RFC 5256 3: ORDEREDSUBJECT and REFERENCES; REFS of
//! draft-ietf-morg-inthread) and the THREAD response (RFC 5256 4). Pure: the messages come in
//! with what the algorithms read from their cached headers.
//!
//! Trees are kept in an arena and walked with explicit stacks, so a reply chain thousands of
//! messages deep does not exhaust the stack.

use std::cmp::Ordering;
use std::collections::HashMap;

use bushbuck_proto::imap::command::ThreadAlgorithm;

/// One message to thread, as its cached header block describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ThreadMessage {
    /// What the answer names it by: its sequence number, or its UID for UID THREAD.
    pub number: u32,
    /// Its sequence number, the tie-breaker between equal dates (RFC 5256 2.2).
    pub seq: u32,
    /// The sent date (RFC 5256 2.2): the Date header, else the internal date.
    pub date: i64,
    /// The base subject (RFC 5256 2.1), compared as i;ascii-casemap does.
    pub subject: String,
    /// Whether the subject marked a reply or forward (`Re:`, `Fwd:`, `(fwd)`, `[fwd: ]`).
    pub reply: bool,
    /// The Message-ID (without its angle brackets), when it has a valid one.
    pub message_id: Option<String>,
    /// The message IDs of References, else the first one of In-Reply-To (RFC 5256 3 (1)).
    pub references: Vec<String>,
}

/// A node of a thread tree: a message (index into the input) or a dummy parent.
struct Node {
    message: Option<usize>,
    children: Vec<usize>,
}

/// A forest of threads over the input messages, in answer order once sorted.
struct Forest<'a> {
    messages: &'a [ThreadMessage],
    nodes: Vec<Node>,
    roots: Vec<usize>,
}

/// Threads `messages` (in any order) with `algorithm` and returns the THREAD response's
/// data: `(1 2)(3 (4)(5))`, empty when there are no messages.
pub(super) fn thread(messages: &[ThreadMessage], algorithm: ThreadAlgorithm) -> String {
    let forest = match algorithm {
        ThreadAlgorithm::OrderedSubject => ordered_subject(messages),
        ThreadAlgorithm::References => references(messages, true),
        ThreadAlgorithm::Refs => references(messages, false),
    };
    forest.write()
}

/// Sent date, then sequence number: how siblings are ordered (RFC 5256 2.2).
fn by_date(a: &ThreadMessage, b: &ThreadMessage) -> Ordering {
    a.date.cmp(&b.date).then(a.seq.cmp(&b.seq))
}

/// ORDEREDSUBJECT: messages sorted by base subject and sent date, split into one thread per
/// base subject (the first message the parent of the others), threads sorted by the sent
/// date of their first message.
fn ordered_subject(messages: &[ThreadMessage]) -> Forest<'_> {
    let mut order: Vec<usize> = (0..messages.len()).collect();
    order.sort_by(|&a, &b| {
        messages[a].subject.cmp(&messages[b].subject).then_with(|| by_date(&messages[a], &messages[b]))
    });
    let mut forest = Forest { messages, nodes: Vec::with_capacity(messages.len()), roots: Vec::new() };
    for group in order.chunk_by(|&a, &b| messages[a].subject == messages[b].subject) {
        let parent = forest.add(Some(group[0]));
        for &m in &group[1..] {
            let child = forest.add(Some(m));
            forest.nodes[parent].children.push(child);
        }
        forest.roots.push(parent);
    }
    let mut roots = std::mem::take(&mut forest.roots);
    roots.sort_by(|&a, &b| forest.compare(a, b));
    forest.roots = roots;
    forest
}

/// REFERENCES (with `merge_subjects`, RFC 5256 3 steps 1-6) or REFS (steps 1-4 and 6, no
/// subject merging, threads ordered by their newest message).
fn references(messages: &[ThreadMessage], merge_subjects: bool) -> Forest<'_> {
    let mut forest = link_references(messages);
    forest.prune_dummies();
    if merge_subjects {
        forest.sort_siblings();
        forest.merge_by_subject();
        forest.sort_siblings();
    } else {
        forest.sort_siblings();
        forest.sort_roots_by_newest();
    }
    forest
}

/// Step (1): one node per message (indexes `0..messages.len()`) and one dummy per message ID
/// referenced but not present, linked parent to child along every reference chain; step (2):
/// the nodes left without a parent are the roots.
fn link_references(messages: &[ThreadMessage]) -> Forest<'_> {
    let mut forest = Forest { messages, nodes: Vec::with_capacity(messages.len()), roots: Vec::new() };
    let mut ids: HashMap<&str, usize> = HashMap::with_capacity(messages.len());
    for i in 0..messages.len() {
        forest.add(Some(i));
    }
    // The lowest sequence number keeps a Message-ID; later duplicates count as having none.
    let mut by_seq: Vec<usize> = (0..messages.len()).collect();
    by_seq.sort_by_key(|&i| messages[i].seq);
    for &i in &by_seq {
        if let Some(id) = messages[i].message_id.as_deref() {
            ids.entry(id).or_insert(i);
        }
    }
    let mut links = Links { parent: vec![None; messages.len()], children: vec![0; messages.len()] };
    for &i in &by_seq {
        let mut chain = Vec::with_capacity(messages[i].references.len());
        for id in &messages[i].references {
            let node = *ids.entry(id.as_str()).or_insert_with(|| {
                links.parent.push(None);
                links.children.push(0);
                forest.add(None)
            });
            chain.push(node);
        }
        // (A) each reference the parent of the next, unless the child has a parent already
        // or the link would make a loop.
        for pair in chain.windows(2) {
            if links.parent[pair[1]].is_none() {
                links.link(pair[0], pair[1]);
            }
        }
        // (B) the last reference is the message's parent, replacing any parent it had.
        links.unlink(i);
        if let Some(&last) = chain.last() {
            links.link(last, i);
        }
    }
    for (child, p) in links.parent.iter().enumerate() {
        match p {
            Some(p) => forest.nodes[*p].children.push(child),
            None => forest.roots.push(child),
        }
    }
    forest
}

/// The parent links of step (1), with each node's number of children, so a node without
/// children (it can be no one's ancestor) is linked without walking its new ancestors.
struct Links {
    parent: Vec<Option<usize>>,
    children: Vec<u32>,
}

impl Links {
    /// Makes `parent` the parent of `child` unless that would make a loop (`child` is
    /// `parent` or one of its ancestors).
    fn link(&mut self, parent: usize, child: usize) {
        if parent == child {
            return;
        }
        if self.children[child] > 0 {
            let mut at = Some(parent);
            while let Some(node) = at {
                if node == child {
                    return;
                }
                at = self.parent[node];
            }
        }
        self.unlink(child);
        self.parent[child] = Some(parent);
        self.children[parent] += 1;
    }

    /// Leaves `child` without a parent.
    fn unlink(&mut self, child: usize) {
        if let Some(p) = self.parent[child].take() {
            self.children[p] -= 1;
        }
    }
}

impl Forest<'_> {
    fn add(&mut self, message: Option<usize>) -> usize {
        self.nodes.push(Node { message, children: Vec::new() });
        self.nodes.len() - 1
    }

    fn is_dummy(&self, node: usize) -> bool {
        self.nodes[node].message.is_none()
    }

    /// The message a node sorts and is named by: its own, or a dummy's first child's.
    fn representative(&self, mut node: usize) -> Option<&ThreadMessage> {
        loop {
            match self.nodes[node].message {
                Some(m) => return Some(&self.messages[m]),
                None => node = *self.nodes[node].children.first()?,
            }
        }
    }

    fn compare(&self, a: usize, b: usize) -> Ordering {
        match (self.representative(a), self.representative(b)) {
            (Some(x), Some(y)) => by_date(x, y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        }
    }

    /// Every node below the roots, children before their parents.
    fn post_order(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<(usize, bool)> = self.roots.iter().rev().map(|&r| (r, false)).collect();
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                out.push(node);
                continue;
            }
            stack.push((node, true));
            stack.extend(self.nodes[node].children.iter().rev().map(|&c| (c, false)));
        }
        out
    }

    /// Step (3): dummies without children go, dummies with children give their place to
    /// them; at the top level only a dummy with a single child does.
    fn prune_dummies(&mut self) {
        for node in self.post_order() {
            let children = std::mem::take(&mut self.nodes[node].children);
            let mut kept = Vec::with_capacity(children.len());
            for child in children {
                if self.is_dummy(child) {
                    // Already pruned: its children are messages.
                    kept.append(&mut self.nodes[child].children);
                } else {
                    kept.push(child);
                }
            }
            self.nodes[node].children = kept;
        }
        let roots = std::mem::take(&mut self.roots);
        for root in roots {
            if !self.is_dummy(root) {
                self.roots.push(root);
                continue;
            }
            match self.nodes[root].children.len() {
                0 => {}
                1 => self.roots.push(self.nodes[root].children[0]),
                _ => self.roots.push(root),
            }
        }
    }

    /// Steps (4) and (6): every set of siblings by sent date, the deepest first, so that a
    /// dummy sorts by its first child.
    fn sort_siblings(&mut self) {
        for node in self.post_order() {
            let mut children = std::mem::take(&mut self.nodes[node].children);
            children.sort_by(|&a, &b| self.compare(a, b));
            self.nodes[node].children = children;
        }
        let mut roots = std::mem::take(&mut self.roots);
        roots.sort_by(|&a, &b| self.compare(a, b));
        self.roots = roots;
    }

    /// The thread subject of a root (its own, or a dummy's first child's), when not empty.
    fn thread_subject(&self, root: usize) -> Option<(&str, bool)> {
        let m = self.representative(root)?;
        (!m.subject.is_empty()).then_some((m.subject.as_str(), m.reply))
    }

    /// Step (5): threads whose roots share a base subject are gathered under one root.
    fn merge_by_subject(&mut self) {
        // (5)(B): which root each subject gathers under.
        let mut table: HashMap<String, (usize, bool)> = HashMap::new();
        for &root in &self.roots {
            let Some((subject, reply)) = self.thread_subject(root) else { continue };
            match table.get_mut(subject) {
                None => {
                    table.insert(subject.to_string(), (root, reply));
                }
                Some(entry) => {
                    let (held, held_reply) = *entry;
                    if !self.is_dummy(held) && (self.is_dummy(root) || (held_reply && !reply)) {
                        *entry = (root, reply);
                    }
                }
            }
        }
        // (5)(C): merge each other root into the table's.
        let roots = std::mem::take(&mut self.roots);
        let mut merged = vec![false; self.nodes.len()];
        for &root in &roots {
            let Some((subject, reply)) = self.thread_subject(root).map(|(s, r)| (s.to_string(), r)) else {
                continue;
            };
            let Some(&(held, held_reply)) = table.get(&subject) else { continue };
            if held == root || merged[root] {
                continue;
            }
            merged[root] = true;
            if self.is_dummy(held) && self.is_dummy(root) {
                let mut children = std::mem::take(&mut self.nodes[root].children);
                self.nodes[held].children.append(&mut children);
            } else if self.is_dummy(held) || (reply && !held_reply) {
                self.nodes[held].children.push(root);
            } else {
                let dummy = self.add(None);
                merged.push(false);
                self.nodes[dummy].children = vec![held, root];
                merged[held] = true;
                table.insert(subject, (dummy, held_reply));
                self.roots.push(dummy);
            }
        }
        self.roots.extend(roots.into_iter().filter(|&r| !merged[r]));
    }

    /// REFS: threads ordered by their newest message (sent date), then by their first.
    fn sort_roots_by_newest(&mut self) {
        let mut keyed: Vec<(i64, u32, usize)> = Vec::with_capacity(self.roots.len());
        for &root in &self.roots {
            let mut newest = i64::MIN;
            let mut stack = vec![root];
            while let Some(node) = stack.pop() {
                if let Some(m) = self.nodes[node].message {
                    newest = newest.max(self.messages[m].date);
                }
                stack.extend(&self.nodes[node].children);
            }
            let first = self.representative(root).map_or(0, |m| m.seq);
            keyed.push((newest, first, root));
        }
        keyed.sort_unstable();
        self.roots = keyed.into_iter().map(|(_, _, root)| root).collect();
    }

    /// The THREAD response data (RFC 5256 4): a parenthesised list per thread; a parent's
    /// single child follows it after a space, two or more children are each parenthesised;
    /// a dummy parent contributes only its children.
    fn write(&self) -> String {
        enum Step {
            Node(usize),
            Text(&'static str),
        }
        let mut out = String::new();
        let mut stack: Vec<Step> = Vec::new();
        for &root in self.roots.iter().rev() {
            stack.extend([Step::Text(")"), Step::Node(root), Step::Text("(")]);
        }
        while let Some(step) = stack.pop() {
            let node = match step {
                Step::Text(t) => {
                    out.push_str(t);
                    continue;
                }
                Step::Node(node) => &self.nodes[node],
            };
            if let Some(m) = node.message {
                out.push_str(&self.messages[m].number.to_string());
            }
            match node.children.as_slice() {
                [] => {}
                [only] => {
                    if node.message.is_some() {
                        out.push(' ');
                    }
                    stack.push(Step::Node(*only));
                }
                many => {
                    if node.message.is_some() {
                        out.push(' ');
                    }
                    for &child in many.iter().rev() {
                        stack.extend([Step::Text(")"), Step::Node(child), Step::Text("(")]);
                    }
                }
            }
        }
        out
    }
}

/// The message IDs in a Message-ID, In-Reply-To or References value, without angle brackets
/// and whitespace; text outside `<...>` and IDs without an `@` are skipped.
pub(super) fn message_ids(value: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(['>', '<']) else { break };
        if after.as_bytes()[close] == b'<' {
            rest = &after[close..];
            continue;
        }
        let id: String = after[..close].chars().filter(|c| !c.is_whitespace()).collect();
        if id.len() > 2 && id.contains('@') && !id.starts_with('@') && !id.ends_with('@') {
            ids.push(id);
        }
        rest = &after[close + 1..];
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message numbered `n` (sequence and answer), sent at `date`, with `subject`, its own
    /// ID `id` and `refs` (space-separated IDs, none when empty).
    fn msg(n: u32, date: i64, subject: &str, id: &str, refs: &str) -> ThreadMessage {
        let (subject, reply) = bushbuck_mime::base_subject_of_reply(subject);
        ThreadMessage {
            number: n,
            seq: n,
            date,
            subject: subject.to_ascii_uppercase(),
            reply,
            message_id: (!id.is_empty()).then(|| format!("{id}@x")),
            references: refs.split_whitespace().map(|r| format!("{r}@x")).collect(),
        }
    }

    #[test]
    fn ordered_subject_groups_by_base_subject() {
        let m = [
            msg(1, 30, "b", "", ""),
            msg(2, 10, "a", "", ""),
            msg(3, 20, "Re: a", "", ""),
            msg(4, 40, "re: b", "", ""),
            msg(5, 15, "Fwd: a", "", ""),
            msg(6, 5, "c", "", ""),
        ];
        assert_eq!(thread(&m, ThreadAlgorithm::OrderedSubject), "(6)(2 (5)(3))(1 4)");
        assert_eq!(thread(&[], ThreadAlgorithm::OrderedSubject), "");
    }

    #[test]
    fn references_follow_chains_and_dummies() {
        // 2 replies to 1; 3 replies to 2 citing a lost message (a dummy between them);
        // 4 and 5 reply to a missing root: a dummy parent with two children at the top.
        let m = [
            msg(1, 10, "one", "a", ""),
            msg(2, 20, "Re: one", "b", "a"),
            msg(3, 30, "Re: one", "c", "a b lost"),
            msg(4, 40, "two", "d", "gone"),
            msg(5, 50, "Re: two", "e", "gone"),
            msg(6, 60, "three", "f", "alone"),
        ];
        assert_eq!(thread(&m, ThreadAlgorithm::References), "(1 2 3)((4)(5))(6)");
        assert_eq!(thread(&m, ThreadAlgorithm::Refs), "(1 2 3)((4)(5))(6)");
    }

    #[test]
    fn references_sort_siblings_by_sent_date() {
        let m = [
            msg(1, 10, "x", "a", ""),
            msg(2, 40, "Re: x", "b", "a"),
            msg(3, 20, "Re: x", "c", "a"),
            msg(4, 30, "Re: x", "d", "a c"),
        ];
        assert_eq!(thread(&m, ThreadAlgorithm::References), "(1 (3 4)(2))");
    }

    #[test]
    fn in_reply_to_alone_and_loops() {
        // 2 names 1 and 1 names 2: the second link would make a loop and is not made.
        let m = [msg(1, 10, "p", "a", "b"), msg(2, 20, "q", "b", "a")];
        let out = thread(&m, ThreadAlgorithm::Refs);
        assert!(out == "(2 1)" || out == "(1 2)", "{out}");
        // A message citing itself is a root.
        assert_eq!(thread(&[msg(1, 10, "s", "a", "a")], ThreadAlgorithm::References), "(1)");
    }

    #[test]
    fn duplicate_message_ids_count_once() {
        let m = [msg(1, 10, "x", "a", ""), msg(2, 20, "y", "a", ""), msg(3, 30, "z", "c", "a")];
        assert_eq!(thread(&m, ThreadAlgorithm::References), "(1 3)(2)");
    }

    #[test]
    fn subjects_merge_under_references_only() {
        // Two unrelated roots with the same base subject: the reply goes under the original.
        let m = [msg(1, 10, "topic", "a", ""), msg(2, 20, "Re: topic", "b", "")];
        assert_eq!(thread(&m, ThreadAlgorithm::References), "(1 2)");
        assert_eq!(thread(&m, ThreadAlgorithm::Refs), "(1)(2)");
        // Neither is a reply: both under a new dummy.
        let m = [msg(1, 10, "topic", "a", ""), msg(2, 20, "topic", "b", ""), msg(3, 30, "other", "", "")];
        assert_eq!(thread(&m, ThreadAlgorithm::References), "((1)(2))(3)");
        // A dummy root takes a message with its subject as a child.
        let m = [msg(1, 10, "t", "a", "gone"), msg(2, 20, "t", "b", "gone"), msg(3, 30, "Re: t", "c", "")];
        assert_eq!(thread(&m, ThreadAlgorithm::References), "((1)(2)(3))");
        // An empty subject merges nothing.
        let m = [msg(1, 10, "", "a", ""), msg(2, 20, "Re:", "b", "")];
        assert_eq!(thread(&m, ThreadAlgorithm::References), "(1)(2)");
    }

    #[test]
    fn refs_orders_threads_by_newest_message() {
        let m = [msg(1, 10, "old", "a", ""), msg(2, 20, "new", "b", ""), msg(3, 30, "Re: old", "c", "a")];
        assert_eq!(thread(&m, ThreadAlgorithm::Refs), "(2)(1 3)");
        assert_eq!(thread(&m, ThreadAlgorithm::References), "(1 3)(2)");
    }

    #[test]
    fn deep_chains_do_not_recurse() {
        let m: Vec<ThreadMessage> = (1..=20_000)
            .map(|n| {
                let refs = if n == 1 { String::new() } else { format!("m{}", n - 1) };
                msg(n, n as i64, "deep", &format!("m{n}"), &refs)
            })
            .collect();
        let out = thread(&m, ThreadAlgorithm::References);
        assert!(out.starts_with("(1 2 3 ") && out.ends_with(" 20000)"));
    }

    #[test]
    fn ids_are_parsed_from_header_values() {
        assert_eq!(message_ids("<a@b> (comment) <c @d>"), vec!["a@b", "c@d"]);
        assert_eq!(message_ids("<no-at> <x@y"), Vec::<String>::new());
        assert_eq!(message_ids("<<a@b>"), vec!["a@b"]);
    }
}

//! Carrying out the shell's actions over the IMAP connection and printing their results.

use bushbuck_proto::imap::{mutf7, response};

use super::commands::{self, Action, Folder, Password};
use super::input;
use super::names::Namespace;
use super::output::{self, Listed};
use super::rights::Rights;
use crate::imap_client::{Connection, Error, Reply, Request};

/// Whether the shell goes on after an action.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next command.
    Continue,
    /// Log out.
    Exit,
}

/// A logged-in admin session.
pub struct Shell {
    conn: Connection,
    namespace: Namespace,
    user: String,
}

impl Shell {
    /// Wraps a logged-in connection and learns the server's namespaces.
    pub fn new(mut conn: Connection, user: String) -> Result<Shell, Error> {
        let namespace = if conn.has_capability("NAMESPACE") {
            let reply = conn.command(Request::new("NAMESPACE"))?;
            reply.data("NAMESPACE")?.first().map(|v| Namespace::from_response(v)).unwrap_or_default()
        } else {
            Namespace::default()
        };
        Ok(Shell { conn, namespace, user })
    }

    /// Logs out.
    pub fn close(self) {
        self.conn.logout();
    }

    /// Carries out one action; `interactive` allows asking for passwords on the terminal.
    pub fn execute(&mut self, action: Action, interactive: bool) -> Result<Flow, Error> {
        match action {
            Action::CreateMailbox { name, partition } => self.create(&name, partition.as_deref())?,
            Action::DeleteMailbox { name } => self.delete(&name)?,
            Action::ListMailbox { pattern } => {
                for listed in self.list(&self.namespace.server_name(&pattern))? {
                    println!("{}", listed.line());
                }
            }
            Action::RenameMailbox { from, to, partition } => self.rename(&from, &to, partition.as_deref())?,
            Action::SetAcl { name, entries } => self.set_acl(&name, &entries)?,
            Action::DeleteAcl { name, ids } => {
                self.need_acl()?;
                for id in ids {
                    self.delete_acl(&name, &id)?;
                }
            }
            Action::ListAcl { name } => {
                self.need_acl()?;
                let reply = self.run(
                    "listaclmailbox",
                    Request::new("GETACL").mailbox(&self.namespace.server_name(&name)),
                )?;
                for values in reply.data("ACL")? {
                    output::acl_lines(&values).iter().for_each(|l| println!("{l}"));
                }
            }
            Action::SetQuota { root, storage_kb, messages } => {
                let mut limits = Vec::new();
                limits.extend(storage_kb.map(|kb| format!("STORAGE {kb}")));
                limits.extend(messages.map(|n| format!("MESSAGE {n}")));
                let request =
                    Request::new("SETQUOTA").string(root.as_bytes()).raw(&format!("({})", limits.join(" ")));
                print_quotas(self.run("setquota", request)?)?;
            }
            Action::ListQuota { root } => {
                let reply = self.run("listquota", Request::new("GETQUOTA").string(root.as_bytes()))?;
                print_quotas(reply)?;
            }
            Action::ListQuotaRoot { name } => {
                let request = Request::new("GETQUOTAROOT").mailbox(&self.namespace.server_name(&name));
                let reply = self.run("listquotaroot", request)?;
                for values in reply.data("QUOTAROOT")? {
                    println!("{}", output::quotaroot_line(&values));
                }
                print_quotas(reply)?;
            }
            Action::CreateUser { name, password, quota_kb, folders } => {
                self.create_user(&name, password, quota_kb, &folders, interactive)?
            }
            Action::DeleteUser { name } => {
                self.need_xadmin()?;
                self.run("deleteuser", Request::new("XADMIN USER DEL").string(name.as_bytes()))?;
                println!("user {name} deleted");
            }
            Action::ListUsers => {
                self.need_xadmin()?;
                let reply = self.run("listusers", Request::new("XADMIN USER LIST"))?;
                for values in reply.data("XADMIN")? {
                    if let Some(name) = values.get(1).and_then(|v| v.text()) {
                        println!("{name}");
                    }
                }
            }
            Action::SetPassword { name, password } => {
                self.need_xadmin()?;
                let password = password_of(&name, password, interactive)?;
                let request =
                    Request::new("XADMIN USER PASSWD").string(name.as_bytes()).string(password.as_bytes());
                self.run("setpassword", request)?;
                println!("password of {name} changed");
            }
            Action::Help(topic) => println!("{}", commands::help(topic.as_deref()).map_err(Error::Command)?),
            Action::Exit => return Ok(Flow::Exit),
        }
        Ok(Flow::Continue)
    }

    /// Runs a request; a refusal names the shell command it came from.
    fn run(&mut self, what: &str, request: Request) -> Result<Reply, Error> {
        self.conn.command(request).map_err(|e| match e {
            Error::Command(text) => Error::Command(format!("{what}: the server answered {text}")),
            fatal => fatal,
        })
    }

    fn create(&mut self, name: &str, partition: Option<&str>) -> Result<(), Error> {
        let mut request = Request::new("CREATE").mailbox(&self.namespace.server_name(name));
        if let Some(partition) = partition {
            request = request.string(partition.as_bytes());
        }
        self.run("createmailbox", request).map_err(|e| partition_hint(e, partition))?;
        println!("created {name}");
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str, partition: Option<&str>) -> Result<(), Error> {
        let mut request = Request::new("RENAME")
            .mailbox(&self.namespace.server_name(from))
            .mailbox(&self.namespace.server_name(to));
        if let Some(partition) = partition {
            request = request.string(partition.as_bytes());
        }
        self.run("renamemailbox", request).map_err(|e| partition_hint(e, partition))?;
        println!("renamed {from} to {to}");
        Ok(())
    }

    /// Deletes a mailbox and everything below it, deepest first, as cyradm does.
    fn delete(&mut self, name: &str) -> Result<(), Error> {
        let server_name = self.namespace.server_name(name);
        if server_name.eq_ignore_ascii_case("INBOX") {
            return Err(Error::Command(
                "deletemailbox: INBOX cannot be deleted; deleteuser removes a whole user".into(),
            ));
        }
        let Some(top) = self.list(&server_name)?.into_iter().find(|l| l.name == server_name) else {
            return Err(Error::Command(format!(
                "deletemailbox: there is no mailbox {name}; see listmailbox"
            )));
        };
        let mut doomed = match top.delimiter {
            Some(d) => self.list(&format!("{server_name}{d}*"))?.into_iter().map(|l| l.name).collect(),
            None => Vec::new(),
        };
        let depth = |n: &String| top.delimiter.map_or(0, |d| n.matches(d).count());
        doomed.sort_by(|a, b| depth(b).cmp(&depth(a)).then_with(|| b.cmp(a)));
        let below = doomed.len();
        doomed.push(server_name);
        for mailbox in &doomed {
            self.run("deletemailbox", Request::new("DELETE").mailbox(mailbox))?;
        }
        match below {
            0 => println!("deleted {name}"),
            n => println!("deleted {name} and {n} mailboxes below it"),
        }
        Ok(())
    }

    fn list(&mut self, pattern: &str) -> Result<Vec<Listed>, Error> {
        let reply = self.run("listmailbox", Request::new("LIST").string(b"").mailbox(pattern))?;
        reply.data("LIST")?.iter().map(|v| Listed::from_response(v).map_err(Error::Connection)).collect()
    }

    fn set_acl(&mut self, name: &str, entries: &[(String, Rights)]) -> Result<(), Error> {
        self.need_acl()?;
        for (id, rights) in entries {
            match rights {
                Rights::Remove => self.delete_acl(name, id)?,
                Rights::Set(rights) => {
                    let request = Request::new("SETACL")
                        .mailbox(&self.namespace.server_name(name))
                        .string(id.as_bytes())
                        .string(rights.as_bytes());
                    self.run("setaclmailbox", request)?;
                }
            }
        }
        Ok(())
    }

    fn delete_acl(&mut self, name: &str, id: &str) -> Result<(), Error> {
        let request =
            Request::new("DELETEACL").mailbox(&self.namespace.server_name(name)).string(id.as_bytes());
        self.run("deleteaclmailbox", request).map(drop)
    }

    fn create_user(
        &mut self,
        name: &str,
        password: Option<Password>,
        quota_kb: Option<u64>,
        folders: &[Folder],
        interactive: bool,
    ) -> Result<(), Error> {
        self.need_xadmin()?;
        let password = password_of(name, password, interactive)?;
        let mut request = Request::new("XADMIN USER ADD").string(name.as_bytes()).string(password.as_bytes());
        if !folders.is_empty() {
            let list: Vec<String> = folders
                .iter()
                .map(|f| {
                    let encoded = response::astring(mutf7::encode(&f.name).as_bytes());
                    format!("{encoded} ({})", f.special_use.unwrap_or_default())
                })
                .collect();
            request = request.raw(&format!("({})", list.join(" ")));
        }
        self.run("createuser", request)?;
        let names: Vec<&str> = folders.iter().map(|f| f.name.as_str()).collect();
        println!(
            "user {name} created with INBOX{}{}",
            if names.is_empty() { "" } else { ", " },
            names.join(", ")
        );
        if let Some(kb) = quota_kb {
            let root = format!("user/{name}");
            let request = Request::new("SETQUOTA").string(root.as_bytes()).raw(&format!("(STORAGE {kb})"));
            self.run("createuser (setting the quota)", request)?;
            println!("quota of {root} set to {kb} KiB");
        }
        Ok(())
    }

    fn need_acl(&self) -> Result<(), Error> {
        if self.conn.has_capability("ACL") {
            Ok(())
        } else {
            Err(Error::Command("this server does not support ACLs (no ACL capability)".into()))
        }
    }

    fn need_xadmin(&self) -> Result<(), Error> {
        if self.conn.has_capability("XADMIN") {
            Ok(())
        } else {
            Err(Error::Command(format!(
                "user management needs an administrator: the server did not offer XADMIN to {}; \
                 run `bushbuck user admin {0}` on the server, or add {0} to its admins setting",
                self.user
            )))
        }
    }
}

/// Prints the QUOTA data of a reply.
fn print_quotas(reply: Reply) -> Result<(), Error> {
    for values in reply.data("QUOTA")? {
        output::quota_lines(&values).iter().for_each(|l| println!("{l}"));
    }
    Ok(())
}

/// The password to use: given, read from standard input, or asked for on the terminal.
fn password_of(name: &str, password: Option<Password>, interactive: bool) -> Result<String, Error> {
    let prompt = format!("password for {name}: ");
    match password {
        Some(Password::Given(p)) => Ok(p),
        Some(Password::StdinLine) => input::read_secret(&prompt).map_err(Error::Command),
        None if interactive => input::read_secret(&prompt).map_err(Error::Command),
        None => Err(Error::Command(format!(
            "no password for {name}: give --password P, or --password-stdin-line with the password on the next line of standard input"
        ))),
    }
}

/// Adds a hint to a refused command that named a partition.
fn partition_hint(e: Error, partition: Option<&str>) -> Error {
    match (e, partition) {
        (Error::Command(text), Some(p)) => {
            Error::Command(format!("{text} (the server may not support partitions such as \"{p}\")"))
        }
        (e, _) => e,
    }
}

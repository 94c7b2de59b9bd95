//! XADMIN: user management over IMAP for the users named in the `admins` setting, so that
//! `bushbuck admin` can provision a running server remotely. Everyone else gets
//! `NO [NOPERM]`, and the capability is advertised to admins only.

use bushbuck_proto::imap::command::{AdminCommand, AdminFolder};
use bushbuck_proto::imap::response;

use super::mailbox_name;
use super::session::{Outcome, Session};
use crate::accounts::{self, AccountError, NewFolder};

impl Session {
    pub(super) fn xadmin(&mut self, command: AdminCommand) -> Outcome {
        if !self.is_admin() {
            return Outcome::No("[NOPERM] XADMIN is for administrators only (the admins setting, or `bushbuck user admin NAME`)".into());
        }
        let result = match command {
            AdminCommand::UserAdd { name, password, folders } => self.user_add(&name, &password, &folders),
            AdminCommand::UserDel(name) => self.user_del(&name),
            AdminCommand::UserList => self.user_list(),
            AdminCommand::UserPasswd { name, password } => self.user_passwd(&name, &password),
        };
        result.unwrap_or_else(|o| o)
    }

    fn user_add(
        &mut self,
        name: &[u8],
        password: &[u8],
        folders: &[AdminFolder],
    ) -> Result<Outcome, Outcome> {
        let name = user_name(name)?;
        let folders = folders
            .iter()
            .map(|f| {
                let name = mailbox_name::decode(&f.mailbox, self.rev2)
                    .map_err(|why| Outcome::No(format!("[CANNOT] {why}")))?;
                match f.special_use.as_slice() {
                    [] => Ok(NewFolder { name, special_use: None }),
                    [one] => Ok(NewFolder { name, special_use: Some(one.clone()) }),
                    _ => Err(Outcome::No("[USEATTR] Only one special use per mailbox".into())),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ctx = self.ctx.clone();
        tokio::task::block_in_place(|| {
            accounts::add_user(&ctx.directory, ctx.store.as_ref(), &name, password, None, &folders)
        })
        .map_err(refusal)?;
        tracing::info!(admin = %self.user(), user = %name, "user added over XADMIN");
        Ok(Outcome::Ok(format!("XADMIN USER ADD completed: {name} created")))
    }

    fn user_del(&mut self, name: &[u8]) -> Result<Outcome, Outcome> {
        let name = user_name(name)?;
        if Some(&name) == self.user.as_ref() {
            return Err(Outcome::No("[CANNOT] Refusing to delete the user you are logged in as".into()));
        }
        let ctx = self.ctx.clone();
        tokio::task::block_in_place(|| {
            accounts::delete_user(&ctx.directory, ctx.store.as_ref(), &ctx.scripts, &name)
        })
        .map_err(refusal)?;
        ctx.tables.forget_owner(&name);
        tracing::info!(admin = %self.user(), user = %name, "user deleted over XADMIN");
        Ok(Outcome::Ok(format!("XADMIN USER DEL completed: {name} deleted")))
    }

    fn user_list(&mut self) -> Result<Outcome, Outcome> {
        let directory = self.ctx.directory.clone();
        let users = tokio::task::block_in_place(|| directory.list_users()).map_err(|e| refusal(e.into()))?;
        for user in users {
            self.untagged(&format!("XADMIN USER {}", response::astring(user.as_bytes())));
        }
        Ok(Outcome::done("XADMIN USER LIST"))
    }

    fn user_passwd(&mut self, name: &[u8], password: &[u8]) -> Result<Outcome, Outcome> {
        let name = user_name(name)?;
        let directory = self.ctx.directory.clone();
        tokio::task::block_in_place(|| directory.set_password(&name, password))
            .map_err(|e| refusal(e.into()))?;
        tracing::info!(admin = %self.user(), user = %name, "password changed over XADMIN");
        Ok(Outcome::Ok(format!("XADMIN USER PASSWD completed: password of {name} changed")))
    }
}

fn user_name(raw: &[u8]) -> Result<String, Outcome> {
    String::from_utf8(raw.to_vec()).map_err(|_| Outcome::No("[CANNOT] User name is not valid UTF-8".into()))
}

/// The NO answer for a failed account operation, with the response code that fits.
fn refusal(e: AccountError) -> Outcome {
    use bushbuck_auth::AuthError::*;
    let code = match &e {
        AccountError::Directory(UserExists(_)) => "ALREADYEXISTS",
        AccountError::Directory(NoSuchUser(_) | NoSuchGroup(_)) => "NONEXISTENT",
        AccountError::Directory(InvalidName(_) | InvalidGroupName(_) | InvalidPassword(_)) => "CANNOT",
        AccountError::Store { .. } => "CANNOT",
        AccountError::Directory(Unavailable(_)) => "UNAVAILABLE",
        AccountError::Directory(Storage(_)) | AccountError::ScriptsLeft { .. } => {
            tracing::error!(error = %e, "XADMIN failed");
            "SERVERBUG"
        }
    };
    Outcome::No(format!("[{code}] {e}"))
}

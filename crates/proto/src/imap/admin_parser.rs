//! `XADMIN`, Bushbuck's administration extension: the grammar of [`AdminCommand`].

use super::command::{AdminCommand, AdminFolder};
use super::lexer::{Cursor, PResult};
use super::parser::{canonical_special_use, shorten};

/// Most folders one `XADMIN USER ADD` may create.
const MAX_FOLDERS: usize = 64;

/// Reads what follows the `XADMIN` keyword.
pub(crate) fn read_xadmin(c: &mut Cursor<'_>) -> PResult<AdminCommand> {
    c.sp("XADMIN object")?;
    let object = c.keyword("XADMIN object")?;
    if object != "USER" {
        return Err(format!("Unknown XADMIN object {}; expected USER", shorten(&object)));
    }
    c.sp("XADMIN USER operation")?;
    let operation = c.keyword("XADMIN USER operation")?;
    match operation.as_str() {
        "ADD" => {
            let (name, password) = name_and_password(c)?;
            let folders = if c.at_eol() { Vec::new() } else { read_folders(c)? };
            Ok(AdminCommand::UserAdd { name, password, folders })
        }
        "DEL" => {
            c.sp("user name")?;
            Ok(AdminCommand::UserDel(c.astring("user name")?))
        }
        "LIST" => Ok(AdminCommand::UserList),
        "PASSWD" => {
            let (name, password) = name_and_password(c)?;
            Ok(AdminCommand::UserPasswd { name, password })
        }
        _ => Err(format!(
            "Unknown XADMIN USER operation {}; expected ADD, DEL, LIST or PASSWD",
            shorten(&operation)
        )),
    }
}

fn name_and_password(c: &mut Cursor<'_>) -> PResult<(Vec<u8>, Vec<u8>)> {
    c.sp("user name")?;
    let name = c.astring("user name")?;
    c.sp("password")?;
    Ok((name, c.astring("password")?))
}

/// Reads ` (mailbox flag-list *(SP mailbox flag-list))`.
fn read_folders(c: &mut Cursor<'_>) -> PResult<Vec<AdminFolder>> {
    c.sp("folder list")?;
    c.expect(b'(', "Expected ( before the folder list")?;
    let mut folders = Vec::new();
    while !c.eat(b')') {
        if !folders.is_empty() {
            c.sp("folder")?;
        }
        if folders.len() == MAX_FOLDERS {
            return Err(format!("At most {MAX_FOLDERS} folders per XADMIN USER ADD"));
        }
        let mailbox = c.astring("folder name")?;
        c.sp("special-use attributes")?;
        let mut special_use = Vec::new();
        for flag in c.flag_list()? {
            if !flag.starts_with('\\') {
                return Err("Invalid special-use attribute".into());
            }
            special_use.push(canonical_special_use(flag));
        }
        folders.push(AdminFolder { mailbox, special_use });
    }
    Ok(folders)
}

#[cfg(test)]
mod tests {
    use crate::imap::command::{AdminCommand, AdminFolder, Command};
    use crate::imap::parser::parse_command;

    fn admin(input: &str) -> AdminCommand {
        match parse_command(input.as_bytes()).map(|t| t.command) {
            Ok(Command::Xadmin(a)) => a,
            other => panic!("{input:?}: {other:?}"),
        }
    }

    fn folder(name: &str, uses: &[&str]) -> AdminFolder {
        AdminFolder { mailbox: name.into(), special_use: uses.iter().map(|u| u.to_string()).collect() }
    }

    #[test]
    fn user_operations() {
        assert_eq!(
            admin("a XADMIN USER ADD carol \"pw 1\"\r\n"),
            AdminCommand::UserAdd { name: b"carol".to_vec(), password: b"pw 1".to_vec(), folders: vec![] }
        );
        assert_eq!(admin("a xadmin user del carol"), AdminCommand::UserDel(b"carol".to_vec()));
        assert_eq!(admin("a XADMIN USER LIST\r\n"), AdminCommand::UserList);
        assert_eq!(
            admin("a XADMIN USER PASSWD carol {3}\r\nnew\r\n"),
            AdminCommand::UserPasswd { name: b"carol".to_vec(), password: b"new".to_vec() }
        );
    }

    #[test]
    fn folders_with_special_use() {
        assert_eq!(
            admin("a XADMIN USER ADD carol pw (Sent (\\sent) \"My Notes\" () Drafts (\\Drafts))"),
            AdminCommand::UserAdd {
                name: b"carol".to_vec(),
                password: b"pw".to_vec(),
                folders: vec![
                    folder("Sent", &["\\Sent"]),
                    folder("My Notes", &[]),
                    folder("Drafts", &["\\Drafts"])
                ],
            }
        );
        assert_eq!(
            admin("a XADMIN USER ADD carol pw ()"),
            AdminCommand::UserAdd { name: b"carol".to_vec(), password: b"pw".to_vec(), folders: vec![] }
        );
    }

    #[test]
    fn malformed() {
        for bad in [
            "a XADMIN\r\n",
            "a XADMIN GROUP LIST\r\n",
            "a XADMIN USER\r\n",
            "a XADMIN USER FROB x\r\n",
            "a XADMIN USER ADD carol\r\n",
            "a XADMIN USER DEL\r\n",
            "a XADMIN USER LIST extra\r\n",
            "a XADMIN USER ADD carol pw (Sent)\r\n",
            "a XADMIN USER ADD carol pw (Sent (Keyword))\r\n",
            "a XADMIN USER ADD carol pw (Sent (\\Sent)\r\n",
            "a XADMIN USER ADD carol pw Sent\r\n",
        ] {
            let e = parse_command(bad.as_bytes()).expect_err(bad);
            assert_eq!(e.tag.as_deref(), Some("a"), "{bad}");
        }
        let many = (0..65).map(|i| format!("f{i} ()")).collect::<Vec<_>>().join(" ");
        let e = parse_command(format!("a XADMIN USER ADD c p ({many})").as_bytes()).unwrap_err();
        assert!(e.message.contains("At most 64"), "{}", e.message);
    }
}

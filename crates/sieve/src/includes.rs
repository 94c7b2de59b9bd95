//! Upload-time checks of `include` (RFC 6609): every personal script a script includes by a
//! literal name exists (unless `:optional`) and compiles, and no chain of includes leads back
//! to a script that is still running (a cycle), unless the include closing it is `:once`.
//! Names built from variables and `:global` scripts are left to delivery.

use std::collections::HashSet;

use crate::env::{Limits, Location, ScriptLoader};
use crate::program::{Cmd, CmdKind, Script};

/// Checks the includes of `script`, stored as `name` (None when it has no name yet, as for
/// CHECKSCRIPT), against the user's scripts that `loader` finds. The error tells the user
/// what to fix.
pub fn check_includes(
    name: Option<&str>,
    script: &Script,
    loader: &dyn ScriptLoader,
    limits: &Limits,
) -> Result<(), String> {
    let mut walk =
        Walk { loader, limits, stack: name.map(str::to_string).into_iter().collect(), done: HashSet::new() };
    walk.visit(&script.commands)
}

struct Walk<'a> {
    loader: &'a dyn ScriptLoader,
    limits: &'a Limits,
    /// Scripts being walked, outermost first.
    stack: Vec<String>,
    /// Scripts already found sound.
    done: HashSet<String>,
}

impl Walk<'_> {
    fn visit(&mut self, commands: &[Cmd]) -> Result<(), String> {
        for cmd in commands {
            match &cmd.kind {
                CmdKind::If { branches, otherwise } => {
                    for (_, block) in branches {
                        self.visit(block)?;
                    }
                    if let Some(block) = otherwise {
                        self.visit(block)?;
                    }
                }
                CmdKind::Include { name, global: false, once, optional } if !name.contains("${") => {
                    self.include(name, *once, *optional)?
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn include(&mut self, name: &str, once: bool, optional: bool) -> Result<(), String> {
        if self.stack.iter().any(|s| s == name) {
            if once {
                return Ok(());
            }
            let chain = [self.stack.as_slice(), &[name.to_string()]].concat().join(" -> ");
            return Err(format!("include cycle: {chain}; break it or include with :once"));
        }
        if self.done.contains(name) {
            return Ok(());
        }
        let Some(source) = self.loader.load(name, Location::Personal) else {
            if optional {
                return Ok(());
            }
            return Err(format!(
                "included script \"{name}\" does not exist; upload it first or include it with :optional"
            ));
        };
        let included = crate::parse_script(&source, self.limits)
            .map_err(|e| format!("included script \"{name}\": {e}"))?;
        self.stack.push(name.to_string());
        self.visit(&included.commands)?;
        self.stack.pop();
        self.done.insert(name.to_string());
        Ok(())
    }
}

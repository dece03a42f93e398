//! Running a program with name databases of the test's own and no network:
//! a private network namespace (a name that is not in the files fails at
//! once, no DNS query leaves the machine) and a private mount namespace in
//! which the test's files cover those of /etc.
//!
//! The files are laid over /etc with a read-only overlay mount (a bind
//! mount needs the file to exist already, and most systems have no
//! /etc/ethers); nothing outside the program's namespaces changes.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory of files that cover their namesakes in /etc for the
/// programs [`PrivateEtc::command`] starts. Removed on drop.
pub struct PrivateEtc {
    dir: PathBuf,
}

impl PrivateEtc {
    /// `files`: (name in /etc, contents).
    pub fn new(tag: &str, files: &[(&str, &[u8])]) -> PrivateEtc {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ringcap-etc-{tag}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, data) in files {
            std::fs::write(dir.join(name), data).unwrap();
        }
        PrivateEtc { dir }
    }

    /// The directory holding the files (their paths outside the namespace).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `cmd` (program, arguments and environment kept) run in new network
    /// and mount namespaces with the files laid over /etc. Needs root, or
    /// fake root in a user namespace: a failure to enter the namespaces
    /// fails the program, never lets it run unisolated.
    pub fn command(&self, cmd: &Command) -> Command {
        let mut c = Command::new("unshare");
        c.args(["--net", "--mount", "--propagation", "private", "--", "sh", "-c"]);
        c.arg(r#"mount -t overlay ringcap-etc -o "lowerdir=$0:/etc" /etc && exec "$@""#);
        c.arg(&self.dir).arg(cmd.get_program()).args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c
    }
}

impl Drop for PrivateEtc {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

//! Network namespaces: a private network stack for the calling thread (the
//! demo, the benchmark and the tests build their veth pairs inside one, so
//! nothing they send can reach a real interface).

use std::io;

/// Move the calling thread into a new, empty network namespace
/// (`unshare(CLONE_NEWNET)`). Threads and processes it starts afterwards
/// inherit it; the namespace disappears with its last user.
pub fn unshare_net() -> io::Result<()> {
    // SAFETY: unshare has no memory arguments; it only changes this task's
    // namespace membership.
    super::cvt(unsafe { libc::unshare(libc::CLONE_NEWNET) }).map(drop)
}

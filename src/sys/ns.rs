//! Network namespaces: a private network stack for the calling thread (the
//! demo, the benchmark and the tests build their veth pairs inside one, so
//! nothing they send can reach a real interface), and the identity of the
//! namespace a thread is in.

use std::io;

/// Move the calling thread into a new, empty network namespace
/// (`unshare(CLONE_NEWNET)`). Threads and processes it starts afterwards
/// inherit it; the namespace disappears with its last user.
pub fn unshare_net() -> io::Result<()> {
    // SAFETY: unshare has no memory arguments; it only changes this task's
    // namespace membership.
    super::cvt(unsafe { libc::unshare(libc::CLONE_NEWNET) }).map(drop)
}

/// The identity of the calling thread's network namespace: the device and
/// inode of `/proc/thread-self/ns/net` (equal for two threads exactly when
/// they share the namespace). A packet socket lives in the namespace of the
/// thread that created it.
pub fn current_net_id() -> io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata("/proc/thread-self/ns/net")?;
    Ok((m.dev(), m.ino()))
}

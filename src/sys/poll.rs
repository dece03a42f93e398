//! Waiting: `poll(2)`, edge-triggered `epoll(7)`, and the eventfd that wakes
//! a blocked wait (for `pcap_breakloop`).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

pub use libc::{EPOLLIN, EPOLLOUT, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDNORM};

/// What `poll` said about one descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Revents(pub i16);

impl Revents {
    pub fn readable(self) -> bool {
        self.0 & (POLLIN | POLLRDNORM) != 0
    }
    pub fn writable(self) -> bool {
        self.0 & POLLOUT != 0
    }
    pub fn error(self) -> bool {
        self.0 & POLLERR != 0
    }
    pub fn hangup(self) -> bool {
        self.0 & POLLHUP != 0
    }
    pub fn invalid(self) -> bool {
        self.0 & POLLNVAL != 0
    }
    pub fn any(self) -> bool {
        self.0 != 0
    }
}

/// Poll up to two descriptors (the packet socket and, optionally, the
/// breakloop eventfd). `timeout_ms < 0` waits forever. Returns the revents of
/// each, or `Err` (EINTR included: the caller decides what an interrupted
/// wait means).
pub fn poll2(
    a: BorrowedFd<'_>,
    a_events: i16,
    b: Option<BorrowedFd<'_>>,
    timeout_ms: i32,
) -> io::Result<(Revents, Revents)> {
    let mut fds = [
        libc::pollfd { fd: a.as_raw_fd(), events: a_events, revents: 0 },
        libc::pollfd { fd: b.map_or(-1, |b| b.as_raw_fd()), events: POLLIN, revents: 0 },
    ];
    let n = if b.is_some() { 2 } else { 1 };
    // SAFETY: `fds` is a valid array of `n` pollfd structures.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), n as libc::nfds_t, timeout_ms) };
    super::cvt(rc)?;
    Ok((Revents(fds[0].revents), Revents(if n == 2 { fds[1].revents } else { 0 })))
}

/// An epoll set whose members are watched edge-triggered (EPOLLET): a wait
/// returns when something happened to a member since the last wait (or, the
/// first time, when a member is ready), not while a condition merely holds.
/// The TX ring needs this: a packet socket reports POLLOUT whenever its send
/// buffer has room, also while every TX ring frame is still in flight, so a
/// level-triggered poll(POLLOUT) would return at once, again and again; the
/// kernel's wake-up on each completed frame is the event worth waiting for.
#[derive(Debug)]
pub struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 has no memory preconditions; checked.
        let fd = super::cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` is a fresh descriptor that we now own exclusively.
        Ok(Epoll { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Watch `fd` for `events` (EPOLLIN, EPOLLOUT, ...; EPOLLET is added),
    /// reported with `token`.
    pub fn add(&self, fd: BorrowedFd<'_>, events: i32, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events: (events | libc::EPOLLET) as u32, u64: token };
        // SAFETY: `ev` is a live epoll_event; the kernel copies it.
        super::cvt(unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd.as_raw_fd(), &mut ev) }).map(drop)
    }

    /// Wait up to `timeout_ms` (< 0: forever) for events; the tokens of the
    /// members that had one (at most two), or `Err` (EINTR included).
    pub fn wait(&self, timeout_ms: i32) -> io::Result<([u64; 2], usize)> {
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 2];
        // SAFETY: `evs` is writable for 2 events, the count we pass.
        let n = super::cvt(unsafe { libc::epoll_wait(self.fd.as_raw_fd(), evs.as_mut_ptr(), 2, timeout_ms) })? as usize;
        Ok(([evs[0].u64, evs[1].u64], n))
    }
}

/// A non-blocking eventfd used as a doorbell.
#[derive(Debug)]
pub struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    pub fn new() -> io::Result<EventFd> {
        // SAFETY: eventfd has no memory preconditions; the result is checked.
        let fd = super::cvt(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
        // SAFETY: `fd` is a fresh descriptor that we now own exclusively.
        Ok(EventFd { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Ring the doorbell. Async-signal-safe: one `write(2)` of 8 bytes, no
    /// allocation, no lock; a full counter (EAGAIN) already means "rung".
    pub fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live stack variable.
        let _ = unsafe {
            libc::write(self.fd.as_raw_fd(), &one as *const u64 as *const libc::c_void, 8)
        };
    }

    /// Consume any pending rings so the next poll blocks again.
    pub fn drain(&self) {
        let mut v: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live stack variable; the fd is
        // non-blocking, so this never waits.
        let _ = unsafe {
            libc::read(self.fd.as_raw_fd(), &mut v as *mut u64 as *mut libc::c_void, 8)
        };
    }

    pub fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Sleep for a number of nanoseconds (send-queue pacing); interrupted sleeps
/// resume for the remaining time.
pub fn sleep_ns(ns: u64) {
    let mut req = libc::timespec { tv_sec: (ns / 1_000_000_000) as libc::time_t, tv_nsec: (ns % 1_000_000_000) as libc::c_long };
    loop {
        let mut rem = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: both pointers refer to live stack timespecs.
        let rc = unsafe { libc::nanosleep(&req, &mut rem) };
        if rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
        req = rem;
    }
}

/// Monotonic clock in nanoseconds.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a live timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eventfd_wakes_poll_and_drains() {
        let e = EventFd::new().unwrap();
        let e2 = EventFd::new().unwrap();
        let (_, b) = poll2(e2.as_fd(), POLLIN, Some(e.as_fd()), 0).unwrap();
        assert!(!b.readable());
        e.signal();
        let (_, b) = poll2(e2.as_fd(), POLLIN, Some(e.as_fd()), 1000).unwrap();
        assert!(b.readable());
        e.drain();
        let (_, b) = poll2(e2.as_fd(), POLLIN, Some(e.as_fd()), 0).unwrap();
        assert!(!b.readable());
    }

    #[test]
    fn epoll_is_edge_triggered() {
        let e = EventFd::new().unwrap();
        let ep = Epoll::new().unwrap();
        ep.add(e.as_fd(), EPOLLIN, 7).unwrap();
        assert_eq!(ep.wait(0).unwrap().1, 0, "nothing yet");
        e.signal();
        assert_eq!(ep.wait(1000).unwrap(), ([7, 0], 1));
        // Still readable (not drained), but nothing new happened.
        assert_eq!(ep.wait(0).unwrap().1, 0, "an edge is reported once");
        e.signal();
        assert_eq!(ep.wait(1000).unwrap(), ([7, 0], 1));
    }
}

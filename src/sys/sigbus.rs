//! Surviving a mapped file that shrinks. Reading a page of a file mapping
//! that lies wholly beyond the end of the file raises SIGBUS, which kills
//! the process; a savefile can shrink while it is read (`tcpdump -C`/`-W`
//! rotating it, any writer truncating it).
//!
//! Address ranges registered here ([`Guard`]) are protected by a chained
//! SIGBUS handler: for a fault inside a registered range it maps an
//! anonymous zero page over the faulting page (`MAP_FIXED`), counts the
//! fault on the range, and returns, so the interrupted read completes and
//! sees zeros. The owner of the range checks [`Guard::faulted`] and asks the
//! file (`fstat`) where it ends now. Every other SIGBUS goes where it went
//! before: to the handler installed before ours (called with the same
//! arguments), or to the default action, which kills the process.
//!
//! Async-signal-safety: the handler takes no lock and allocates nothing. It
//! reads a fixed table of atomics (each slot a seqlock: an odd sequence
//! number while the range is registered), and calls only `mmap`,
//! `sigaction` and `raise`, all async-signal-safe; it preserves `errno`.
//!
//! Limits: [`SLOTS`] ranges at a time ([`Guard::new`] returns `None` beyond,
//! and the caller does without a mapping); a SIGBUS handler installed after
//! ours that does not chain to it takes the protection away; the previous
//! handler is called without its `sa_mask` applied.

use std::ffi::c_void;
use std::sync::atomic::{compiler_fence, fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// How many ranges can be protected at once.
pub const SLOTS: usize = 128;

struct Slot {
    /// Taken by a [`Guard`].
    claimed: AtomicBool,
    /// Odd while `start..end` is registered; bumped before and after every
    /// change, so the handler can tell a stable range from one changing.
    seq: AtomicUsize,
    start: AtomicUsize,
    end: AtomicUsize,
    /// Faults turned into zero pages since the range was registered.
    faults: AtomicUsize,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            claimed: AtomicBool::new(false),
            seq: AtomicUsize::new(0),
            start: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
            faults: AtomicUsize::new(0),
        }
    }
}

static TABLE: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];
static PAGE: AtomicUsize = AtomicUsize::new(4096);
/// The SIGBUS disposition found when ours was installed.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// Install the handler once; whether it is in place (ranges can be
/// protected).
pub fn available() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        PAGE.store(super::page_size(), Ordering::Relaxed);
        // SAFETY: plain-data structures filled by sigaction; a NULL new
        // action only reads the current one.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut old) } != 0 {
            return false;
        }
        // Recorded before ours is installed: the handler never runs
        // without it.
        let _ = PREVIOUS.set(old);
        // SAFETY: zeroed is a valid sigaction; the mask is initialised
        // below and the handler has the SA_SIGINFO signature.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        // SAFETY: `sa` is ours; sigemptyset only writes its mask.
        unsafe { libc::sigemptyset(&mut sa.sa_mask) };
        // SAFETY: a valid action for a catchable signal.
        unsafe { libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut()) == 0 }
    })
}

/// The registration of one protected range; dropping it unregisters the
/// range (drop it before unmapping).
#[derive(Debug)]
pub struct Guard {
    slot: &'static Slot,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (s, e) = (self.start.load(Ordering::Relaxed), self.end.load(Ordering::Relaxed));
        write!(f, "Slot({s:#x}..{e:#x})")
    }
}

impl Guard {
    /// Protect the `len` bytes at `base` (a mapping the caller owns).
    /// `None` when the handler cannot be installed or every slot is taken.
    pub fn new(base: *const u8, len: usize) -> Option<Guard> {
        if !available() {
            return None;
        }
        let slot = TABLE
            .iter()
            .find(|s| s.claimed.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok())?;
        // The sequence number is even (unregistered): order the new bounds
        // after it for a handler that reads them (seqlock write side).
        fence(Ordering::Release);
        slot.faults.store(0, Ordering::Relaxed);
        slot.start.store(base as usize, Ordering::Relaxed);
        slot.end.store(base as usize + len, Ordering::Relaxed);
        slot.seq.fetch_add(1, Ordering::Release);
        Some(Guard { slot })
    }

    /// Whether a read of the range has faulted (and seen a zero page) since
    /// it was registered.
    #[inline]
    pub fn faulted(&self) -> bool {
        self.faults().any()
    }

    /// The range's fault count, to test in a loop without going through
    /// the guard.
    #[inline]
    pub fn faults(&self) -> Faults {
        Faults(&self.slot.faults)
    }
}

/// The fault count of a protected range (or of nothing: never any).
#[derive(Clone, Copy, Debug)]
pub struct Faults(&'static AtomicUsize);

impl Faults {
    /// For what no guard protects (memory, a stream).
    pub fn none() -> Faults {
        static NEVER: AtomicUsize = AtomicUsize::new(0);
        Faults(&NEVER)
    }

    /// Whether a read has faulted (while the guard was alive: read it only
    /// while holding the guard's owner).
    #[inline]
    pub fn any(self) -> bool {
        // The handler counts on the reading thread, inside the read: a
        // relaxed load alone lets the compiler move the reads of the
        // mapping this check vouches for after it (the std idiom for
        // signal handlers: a compiler fence, no CPU fence).
        compiler_fence(Ordering::Acquire);
        self.0.load(Ordering::Relaxed) != 0
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.slot.seq.fetch_add(1, Ordering::Release);
        self.slot.claimed.store(false, Ordering::Release);
    }
}

/// Map a zero page over the page of `addr` if it lies in a registered
/// range; whether it did.
fn protect(addr: usize) -> bool {
    for slot in &TABLE {
        let seq = slot.seq.load(Ordering::Acquire);
        if seq % 2 == 0 {
            continue;
        }
        let (start, end) = (slot.start.load(Ordering::Relaxed), slot.end.load(Ordering::Relaxed));
        fence(Ordering::Acquire);
        if slot.seq.load(Ordering::Relaxed) != seq || addr < start || addr >= end {
            continue;
        }
        let page = PAGE.load(Ordering::Relaxed);
        // SAFETY: the page lies inside a mapping its owner registered and
        // has not unregistered (the sequence number did not move); it is
        // replaced by zeros the owner is prepared to see. mmap is a system
        // call, safe in a signal handler.
        let p = unsafe {
            libc::mmap(
                (addr & !(page - 1)) as *mut c_void,
                page,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return false;
        }
        slot.faults.fetch_add(1, Ordering::Relaxed);
        return true;
    }
    false
}

/// Hand the signal to what was there before us.
fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut c_void, from_kernel: bool) {
    let prev = PREVIOUS.get();
    let handler = prev.map_or(libc::SIG_DFL, |p| p.sa_sigaction);
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        if handler == libc::SIG_IGN && !from_kernel {
            return;
        }
        // The default action (a fault cannot be ignored): put it back; a
        // fault recurs when the instruction is retried and kills the
        // process as it would have without us; a signal someone sent is
        // raised again, to be delivered when we return.
        // SAFETY: a zeroed sigaction is SIG_DFL with an empty mask;
        // sigaction and raise are async-signal-safe.
        unsafe {
            let mut dfl: libc::sigaction = std::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &dfl, std::ptr::null_mut());
            if !from_kernel {
                libc::raise(sig);
            }
        }
        return;
    }
    if prev.is_some_and(|p| p.sa_flags & libc::SA_SIGINFO != 0) {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so it
        // has this signature; it gets the arguments we got.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) = unsafe { std::mem::transmute(handler) };
        f(sig, info, ctx);
    } else {
        // SAFETY: a plain handler, installed without SA_SIGINFO.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
        f(sig);
    }
}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    // SAFETY: errno is thread-local; saved and restored around our calls.
    let errno = unsafe { *libc::__errno_location() };
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
    // si_code > 0: raised by the kernel for a faulting access.
    let from_kernel = code > 0;
    if !(from_kernel && protect(addr)) {
        chain(sig, info, ctx, from_kernel);
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_claimed_and_released() {
        let a = Guard::new(0x1000 as *const u8, 10).unwrap();
        let b = Guard::new(0x2000 as *const u8, 10).unwrap();
        assert!(!std::ptr::eq(a.slot, b.slot));
        assert_eq!(a.slot.seq.load(Ordering::Relaxed) % 2, 1);
        let s = a.slot;
        drop(a);
        assert_eq!(s.seq.load(Ordering::Relaxed) % 2, 0);
        assert!(!s.claimed.load(Ordering::Relaxed));
        assert!(!b.faulted());
    }

    #[test]
    fn only_registered_ranges_are_protected() {
        // A range nobody registered is not ours to patch (the fault goes to
        // the previous handler); a registered one is, a page at a time.
        use std::os::fd::AsFd;
        let page = crate::sys::page_size();
        let p = std::env::temp_dir().join(format!("ringcap-sigbus-{}", std::process::id()));
        std::fs::write(&p, vec![0xab; page * 2]).unwrap();
        let f = std::fs::File::open(&p).unwrap();
        let m = crate::sys::mmap::Mapping::read_only(f.as_fd(), page * 2).unwrap();
        assert!(!protect(m.base() as usize + page));
        let g = Guard::new(m.base(), page * 2).unwrap();
        assert!(!g.faulted());
        assert!(protect(m.base() as usize + page + 5));
        assert!(g.faulted());
        // SAFETY: both pages are mapped readable (the second now by
        // `protect`, as zeros).
        let (first, second) = unsafe { (std::ptr::read_volatile(m.base()), std::ptr::read_volatile(m.base().add(page + 5))) };
        assert_eq!((first, second), (0xab, 0));
        drop(g);
        assert!(!protect(m.base() as usize + page));
        std::fs::remove_file(&p).unwrap();
    }
}

//! The only system calls in ringcap. Every call checks its return value before
//! it looks at `errno`, reports failure as `io::Error`, and hands out file
//! descriptors as `OwnedFd` so that nothing leaks on an error path.
//!
//! Nothing here knows about pcap semantics: these are typed, safe wrappers
//! that the ring, capture and savefile code call.
#![allow(unsafe_code)]

pub mod errqueue;
pub mod filemap;
pub mod ifaddrs;
pub mod mmap;
pub mod netdb;
pub mod netdev;
pub mod ns;
pub mod poll;
pub mod sigbus;
pub mod socket;
pub mod stdio;

use std::io;

/// `strerror(errno)`, glibc's wording (libpcap appends it to its messages).
pub fn strerror(errno: i32) -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: `buf` is writable for its full length, which we pass; the XSI
    // strerror_r NUL-terminates within that length on success.
    let rc = unsafe { libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {errno}");
    }
    // SAFETY: strerror_r succeeded, so `buf` holds a NUL-terminated string.
    let s = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    s.to_string_lossy().into_owned()
}

/// Ask the CPU to bring the cache line at `p` in ahead of use. Packet bytes
/// arrive written by another CPU (the kernel's receive work runs on the
/// sender's) or from a file mapping: the first touch of each line is a miss
/// that prefetching a little ahead hides.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn prefetch_line(p: *const u8) {
    // SAFETY: a prefetch is a hint; it never faults or reads into Rust
    // values, whatever the address.
    unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub fn prefetch_line(_p: *const u8) {}

/// Bytes of physical memory (0 where the system does not say).
pub fn physical_memory() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    (pages.max(0) as u64).saturating_mul(page_size() as u64)
}

/// The system page size (the unit of ring blocks).
pub fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as usize
    } else {
        4096
    }
}

/// Turn a `-1`-on-failure return into an `io::Result`, reading errno only
/// after the return value said so.
pub(crate) fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

pub(crate) fn cvt_ssize(ret: libc::ssize_t) -> io::Result<usize> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// Process CPU time used so far (user + system), in seconds; for statistics
/// and benchmarks.
pub fn process_cpu_seconds() -> f64 {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `ru` points to writable memory of the right type.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
    if rc != 0 {
        return 0.0;
    }
    // SAFETY: getrusage succeeded and filled the struct (it was zeroed anyway).
    let ru = unsafe { ru.assume_init() };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// CPU time the calling thread has used (time it was not running, waiting
/// for another process, not counted); for choosing between two ways to do
/// the same work by timing them.
pub fn thread_cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is writable memory of the right type.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The current wall-clock time as (seconds, nanoseconds) since the epoch.
pub fn realtime_now() -> (i64, u32) {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as i64, d.subsec_nanos())
}

#[cfg(test)]
mod tests {
    #[test]
    fn strerror_matches_glibc() {
        assert_eq!(super::strerror(libc::ENODEV), "No such device");
        assert_eq!(super::strerror(libc::ENETDOWN), "Network is down");
    }

    #[test]
    fn page_size_is_a_power_of_two() {
        assert!(super::page_size().is_power_of_two());
    }
}

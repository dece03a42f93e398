//! C string and buffer helpers for the ABI: the one errbuf writer, reading
//! caller strings, and strings allocated with `malloc` for the caller to free.

use std::ffi::{c_char, CStr};

use crate::error::truncate_for_errbuf;

/// Write `msg` into a caller's `errbuf` (PCAP_ERRBUF_SIZE bytes), truncated
/// and NUL-terminated. A NULL buffer is ignored.
///
/// # Safety
/// `errbuf` must be NULL or point to at least `PCAP_ERRBUF_SIZE` writable bytes.
pub unsafe fn write_errbuf(errbuf: *mut c_char, msg: &str) {
    if errbuf.is_null() {
        return;
    }
    let m = truncate_for_errbuf(msg).as_bytes();
    // SAFETY: the caller guarantees ERRBUF_SIZE writable bytes; m.len() <= 255.
    unsafe {
        std::ptr::copy_nonoverlapping(m.as_ptr(), errbuf as *mut u8, m.len());
        *errbuf.add(m.len()) = 0;
    }
}

/// Borrow a caller's C string as UTF-8 (lossily: device and file names are
/// bytes on Linux, but every name we look up is ASCII in practice).
///
/// # Safety
/// `s` must be NULL or a valid NUL-terminated string that outlives the use.
pub unsafe fn borrow<'a>(s: *const c_char) -> Option<std::borrow::Cow<'a, str>> {
    if s.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated (caller's contract).
    Some(unsafe { CStr::from_ptr(s) }.to_string_lossy())
}

/// Copy a string into a `malloc`ed NUL-terminated buffer that C code frees
/// with `free()` (or the owning list's free function). NULL on allocation
/// failure.
pub fn malloc_cstring(s: &str) -> *mut c_char {
    let bytes = s.as_bytes();
    // SAFETY: malloc has no preconditions; the result is checked for NULL.
    let p = unsafe { libc::malloc(bytes.len() + 1) } as *mut u8;
    if p.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `p` has bytes.len() + 1 writable bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        *p.add(bytes.len()) = 0;
    }
    p as *mut c_char
}

/// A fixed, NUL-terminated buffer for strings whose pointer stays valid until
/// the next call that rewrites it (libpcap returns such static buffers from
/// `pcap_strerror`, `pcap_statustostr`, ...). One per thread, so concurrent
/// callers do not see each other's text.
pub struct StaticText<const N: usize>(std::cell::UnsafeCell<[u8; N]>);

impl<const N: usize> StaticText<N> {
    pub const fn new() -> Self {
        StaticText(std::cell::UnsafeCell::new([0; N]))
    }

    /// Replace the text and return a pointer to it.
    pub fn set(&self, s: &str) -> *const c_char {
        let b = s.as_bytes();
        let n = b.len().min(N - 1);
        // SAFETY: thread-local storage, only touched through this method on
        // this thread; the pointer handed out earlier is documented to be
        // overwritten by the next call, as libpcap's static buffers are.
        unsafe {
            let buf = &mut *self.0.get();
            buf[..n].copy_from_slice(&b[..n]);
            buf[n] = 0;
            buf.as_ptr() as *const c_char
        }
    }
}

impl<const N: usize> Default for StaticText<N> {
    fn default() -> Self {
        Self::new()
    }
}

extern "C" {
    /// libc's standard error stream, for output that must interleave with
    /// the caller's own stdio (`pcap_perror`).
    pub static mut stderr: *mut libc::FILE;
}

/// Write text to C's `stderr` stream through stdio.
pub fn write_stderr(s: &str) {
    let Ok(c) = std::ffi::CString::new(s.replace('\0', "")) else { return };
    // SAFETY: `stderr` is initialised by libc before main; fputs takes a
    // NUL-terminated string and a FILE*.
    unsafe {
        libc::fputs(c.as_ptr(), stderr);
    }
}

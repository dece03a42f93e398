//! libc stdio streams (`FILE *`): savefiles are read and written through the
//! caller's stdio, as libpcap does, because `pcap_fopen_offline`,
//! `pcap_dump_fopen` and `pcap_dump_file` hand `FILE *` across the API and
//! whatever stdio has buffered must be honoured.
//!
//! [`CFile`] owns a stream (closing it when dropped, unless told not to) and
//! offers the handful of calls the savefile code needs, with libpcap's
//! conventions: a short `fread` is end of file unless `ferror` says otherwise.

use std::ffi::CString;
use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::ptr::NonNull;

extern "C" {
    // glibc's standard streams and the stream-locking calls, which the libc
    // crate does not declare for linux-gnu.
    static mut stdin: *mut libc::FILE;
    static mut stdout: *mut libc::FILE;
    fn flockfile(f: *mut libc::FILE);
    fn funlockfile(f: *mut libc::FILE);
    fn fwrite_unlocked(p: *const libc::c_void, size: libc::size_t, n: libc::size_t, f: *mut libc::FILE) -> libc::size_t;
    fn ferror_unlocked(f: *mut libc::FILE) -> libc::c_int;
}

/// A stdio stream. Dropping it calls `fclose` when it owns the stream.
#[derive(Debug)]
pub struct CFile {
    fp: NonNull<libc::FILE>,
    owned: bool,
    /// A buffer given to stdio with `set_buffer`; outlives the stream.
    buf: Option<Box<[u8]>>,
}

// SAFETY: glibc streams carry their own lock and may be used from any thread;
// a CFile is only ever used by one thread at a time (it is not Sync).
unsafe impl Send for CFile {}

/// The process's `stdin` stream pointer (may be NULL if the program closed it
/// and cleared it, which glibc never does itself).
pub fn stdin_ptr() -> *mut libc::FILE {
    // SAFETY: reading glibc's `stdin` variable; it is only written by code that
    // reassigns stdin, which the C standard leaves to the program.
    unsafe { stdin }
}

/// The process's `stdout` stream pointer.
pub fn stdout_ptr() -> *mut libc::FILE {
    // SAFETY: as for `stdin_ptr`.
    unsafe { stdout }
}

impl CFile {
    /// `fopen(path, mode)`.
    pub fn open(path: &[u8], mode: &str) -> io::Result<CFile> {
        let p = CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::ENOENT))?;
        let m = CString::new(mode).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: both arguments are valid NUL-terminated strings.
        let fp = unsafe { libc::fopen(p.as_ptr(), m.as_ptr()) };
        NonNull::new(fp).map(|fp| CFile { fp, owned: true, buf: None }).ok_or_else(io::Error::last_os_error)
    }

    /// The standard input, not closed on drop.
    pub fn stdin() -> Option<CFile> {
        NonNull::new(stdin_ptr()).map(|fp| CFile { fp, owned: false, buf: None })
    }

    /// The standard output, closed on drop only when `owned` (libpcap's
    /// `pcap_dump_close` does close it).
    pub fn stdout(owned: bool) -> Option<CFile> {
        NonNull::new(stdout_ptr()).map(|fp| CFile { fp, owned, buf: None })
    }

    /// Wrap a caller's stream.
    ///
    /// # Safety
    /// `fp` must be NULL or a valid open stream that stays open for the life
    /// of the CFile; when `owned`, nothing else may close it.
    pub unsafe fn from_raw(fp: *mut libc::FILE, owned: bool) -> Option<CFile> {
        NonNull::new(fp).map(|fp| CFile { fp, owned, buf: None })
    }

    /// The stream pointer, for the C API (`pcap_file`, `pcap_dump_file`).
    pub fn as_ptr(&self) -> *mut libc::FILE {
        self.fp.as_ptr()
    }

    pub fn is_stdin(&self) -> bool {
        self.fp.as_ptr() == stdin_ptr()
    }

    /// Whether dropping this CFile closes the stream.
    pub fn set_owned(&mut self, owned: bool) {
        self.owned = owned;
    }

    /// `fileno`, or -1 for a stream without a descriptor (`fmemopen`).
    pub fn fileno(&self) -> RawFd {
        // SAFETY: fp is a valid stream (type invariant).
        unsafe { libc::fileno(self.fp.as_ptr()) }
    }

    /// The stream's descriptor, borrowed for as long as the stream is.
    pub fn as_fd(&self) -> Option<BorrowedFd<'_>> {
        let fd = self.fileno();
        // SAFETY: the descriptor belongs to the stream, which stays open while
        // `self` is borrowed.
        (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })
    }

    /// `fread(buf, 1, len)`: the number of bytes read; fewer than asked means
    /// end of file, unless the stream's error flag is set, which is `Err`.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: buf is writable for buf.len() bytes; fp is valid.
        let n = unsafe { libc::fread(buf.as_mut_ptr() as *mut libc::c_void, 1, buf.len(), self.fp.as_ptr()) };
        if n < buf.len() && self.error() {
            return Err(io::Error::last_os_error());
        }
        Ok(n)
    }

    /// `ferror`.
    pub fn error(&self) -> bool {
        // SAFETY: fp is valid.
        unsafe { libc::ferror(self.fp.as_ptr()) != 0 }
    }

    /// `fwrite(buf, len, 1) == 1` (libpcap's all-or-nothing test). An empty
    /// buffer writes nothing and reports false, as fwrite does.
    pub fn write_all(&mut self, buf: &[u8]) -> bool {
        // SAFETY: buf is readable for its length; fp is valid.
        unsafe { libc::fwrite(buf.as_ptr() as *const libc::c_void, buf.len(), 1, self.fp.as_ptr()) == 1 }
    }

    /// Run `f` with the stream locked once (`flockfile`), writing through the
    /// unlocked calls: the same bytes as separate `fwrite`s, one lock.
    pub fn locked<R>(&mut self, f: impl FnOnce(&mut Locked<'_>) -> R) -> R {
        // SAFETY: fp is valid; the guard's drop releases the lock on every
        // path, unwinding included.
        unsafe { flockfile(self.fp.as_ptr()) };
        let mut guard = Locked { fp: self.fp, _f: std::marker::PhantomData };
        f(&mut guard)
    }

    /// `fflush`.
    pub fn flush(&mut self) -> io::Result<()> {
        // SAFETY: fp is valid.
        if unsafe { libc::fflush(self.fp.as_ptr()) } == libc::EOF {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// `ftell` (a `long`, -1 on error).
    pub fn tell(&mut self) -> libc::c_long {
        // SAFETY: fp is valid.
        unsafe { libc::ftell(self.fp.as_ptr()) }
    }

    /// `ftello` (64-bit, -1 on error).
    pub fn tell64(&mut self) -> i64 {
        // SAFETY: fp is valid.
        unsafe { libc::ftello(self.fp.as_ptr()) }
    }

    /// `fseeko(offset, whence)`.
    pub fn seek(&mut self, offset: i64, whence: i32) -> io::Result<()> {
        // SAFETY: fp is valid.
        if unsafe { libc::fseeko(self.fp.as_ptr(), offset, whence) } == -1 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// `feof`.
    pub fn eof(&self) -> bool {
        // SAFETY: fp is valid.
        unsafe { libc::feof(self.fp.as_ptr()) != 0 }
    }

    /// Give the stream a fully buffered `size`-byte buffer (owned by this
    /// CFile, freed after the stream is closed). Only valid before the first
    /// I/O on the stream.
    pub fn set_buffer(&mut self, size: usize) -> bool {
        let mut buf = vec![0u8; size].into_boxed_slice();
        // SAFETY: the buffer stays alive, at a fixed address, until after
        // fclose (it is dropped with `self`, after the stream is closed).
        let ok = unsafe {
            libc::setvbuf(self.fp.as_ptr(), buf.as_mut_ptr() as *mut libc::c_char, libc::_IOFBF, size) == 0
        };
        if ok {
            self.buf = Some(buf);
        }
        ok
    }

    /// `fclose` now, reporting its result (drop ignores it).
    pub fn close(mut self) -> io::Result<()> {
        let fp = self.fp.as_ptr();
        let owned = self.owned;
        let buf = self.buf.take();
        std::mem::forget(self);
        if !owned {
            // The stream stays open and may still use the buffer: leak it.
            std::mem::forget(buf);
            return Ok(());
        }
        // SAFETY: fp is valid and owned; it is not used again.
        let rc = unsafe { libc::fclose(fp) };
        drop(buf);
        if rc == libc::EOF {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Give up ownership without closing: the stream stays open.
    pub fn into_raw(mut self) -> *mut libc::FILE {
        let fp = self.fp.as_ptr();
        // A buffer given to stdio must live as long as the stream.
        std::mem::forget(self.buf.take());
        std::mem::forget(self);
        fp
    }
}

impl Drop for CFile {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: an owned, valid stream, closed exactly once; the buffer
            // field is dropped after this, once the stream no longer uses it.
            unsafe { libc::fclose(self.fp.as_ptr()) };
        } else {
            std::mem::forget(self.buf.take());
        }
    }
}

/// A stream held under `flockfile`; released when dropped.
pub struct Locked<'a> {
    fp: NonNull<libc::FILE>,
    _f: std::marker::PhantomData<&'a mut CFile>,
}

impl Locked<'_> {
    /// `ferror_unlocked`.
    pub fn error(&self) -> bool {
        // SAFETY: the stream is valid and locked by this thread.
        unsafe { ferror_unlocked(self.fp.as_ptr()) != 0 }
    }

    /// `fwrite_unlocked(buf, len, 1) == 1`.
    pub fn write_all(&mut self, buf: &[u8]) -> bool {
        // SAFETY: buf is readable for its length; the stream is locked by us.
        unsafe { fwrite_unlocked(buf.as_ptr() as *const libc::c_void, buf.len(), 1, self.fp.as_ptr()) == 1 }
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // SAFETY: locked by `CFile::locked` on this thread.
        unsafe { funlockfile(self.fp.as_ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("ringcap-stdio-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn write_read_tell() {
        let p = temp("wrt");
        let path = p.to_str().unwrap().as_bytes();
        let mut f = CFile::open(path, "wb").unwrap();
        assert!(f.write_all(b"abcd"));
        f.locked(|l| {
            assert!(!l.error());
            assert!(l.write_all(b"ef"));
        });
        assert_eq!(f.tell(), 6);
        assert_eq!(f.tell64(), 6);
        f.flush().unwrap();
        f.close().unwrap();
        let mut r = CFile::open(path, "rb").unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(r.read(&mut buf).unwrap(), 4);
        assert_eq!(&buf, b"abcd");
        assert_eq!(r.read(&mut buf).unwrap(), 2);
        assert!(r.eof());
        r.seek(1, libc::SEEK_SET).unwrap();
        assert_eq!(r.read(&mut buf[..1]).unwrap(), 1);
        assert_eq!(buf[0], b'b');
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn open_failure_is_errno() {
        let e = CFile::open(b"/nonexistent/ringcap/x", "rb").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
    }

    #[test]
    fn read_on_write_only_stream_is_an_error() {
        let p = temp("wo");
        let mut f = CFile::open(p.to_str().unwrap().as_bytes(), "wb").unwrap();
        let mut buf = [0u8; 4];
        assert!(f.read(&mut buf).is_err());
        drop(f);
        std::fs::remove_file(&p).unwrap();
    }
}

//! A regular file mapped read-only as one byte slice (savefiles read without
//! copying), remapped when the file has grown since it was mapped, and safe
//! to read when the file shrinks: the mapping is protected by
//! [`super::sigbus`], and [`FileMap::check`] establishes, before bytes are
//! used, that the file still holds them.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use super::mmap::Mapping;
use super::sigbus::{Faults, Guard};

/// How far beyond the bytes asked for one [`FileMap::check`] establishes
/// that the file still reaches (one probe per this many bytes read).
const PROBE_AHEAD: usize = 64 * 1024;

/// The whole of a regular file, mapped `PROT_READ`, `MAP_PRIVATE`.
///
/// The mapping holds its own duplicate of the descriptor, so it outlives
/// whatever stream the file was opened with.
///
/// A file may shrink under its mapping (truncated by another process). A
/// page wholly beyond the new end then faults; [`super::sigbus`] turns the
/// fault into a zero page, so a read never kills the process, but it may
/// see zeros. Users therefore read only bytes below [`FileMap::checked`],
/// which [`FileMap::check`] moves: it proves with one read (a probe) of a
/// page ahead that the file still reaches that far, and asks the file
/// system (`fstat`) at the end of the mapping or once a page has faulted.
/// The mapping never shrinks (offsets handed out stay inside it); bytes
/// beyond the file's end are simply never checked.
#[derive(Debug)]
pub struct FileMap {
    fd: OwnedFd,
    map: Option<Guarded>,
    /// The file's size when last asked, at most the mapping's length.
    limit: usize,
    /// Bytes `[0, checked)` were in the file when last checked.
    checked: usize,
    page: usize,
}

/// A mapping and its SIGBUS protection. Fields drop in order: the range is
/// unregistered before it is unmapped.
#[derive(Debug)]
struct Guarded {
    guard: Guard,
    map: Mapping,
}

/// `fstat`: (is a regular file, size in bytes).
pub fn regular_file_size(fd: BorrowedFd<'_>) -> io::Result<Option<u64>> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `st` is writable memory of the right type; the fd is valid.
    super::cvt(unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded and filled the structure.
    let st = unsafe { st.assume_init() };
    if st.st_mode & libc::S_IFMT == libc::S_IFREG {
        Ok(Some(st.st_size as u64))
    } else {
        Ok(None)
    }
}

impl FileMap {
    /// Map `fd` if it is a regular file; `Ok(None)` for pipes, terminals,
    /// devices and anything else that must be read as a stream, and when the
    /// mapping cannot be protected (every [`super::sigbus`] slot taken).
    pub fn open(fd: BorrowedFd<'_>) -> io::Result<Option<FileMap>> {
        let Some(size) = regular_file_size(fd)? else {
            return Ok(None);
        };
        let size = usize::try_from(size).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
        let mut m = FileMap { fd: fd.try_clone_to_owned()?, map: None, limit: 0, checked: 0, page: super::page_size() };
        if size == 0 {
            // Mapped once it grows, if the mapping can be protected.
            return Ok(super::sigbus::available().then_some(m));
        }
        match m.map_at(size) {
            Ok(()) => {
                m.limit = size;
                Ok(Some(m))
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replace the mapping by a fresh, protected one of `len` bytes.
    fn map_at(&mut self, len: usize) -> io::Result<()> {
        self.map = None;
        let map = Mapping::read_only(self.fd.as_fd(), len)?;
        // No slot: ENOSPC (`open` then reads the file as a stream).
        let guard = Guard::new(map.base(), map.len()).ok_or_else(|| io::Error::from_raw_os_error(libc::ENOSPC))?;
        self.map = Some(Guarded { guard, map });
        Ok(())
    }

    /// The mapped bytes (up to [`FileMap::checked`] known to be the file's).
    pub fn bytes(&self) -> &[u8] {
        match &self.map {
            // SAFETY: the mapping is `len` readable bytes (a page beyond the
            // file's end reads as zeros through the SIGBUS guard), private
            // and read-only, alive as long as `self`; nothing in this
            // process writes to it.
            Some(g) => unsafe { std::slice::from_raw_parts(g.map.base() as *const u8, g.map.len()) },
            None => &[],
        }
    }

    /// Bytes `[0, checked)` were in the file when last checked.
    #[inline]
    pub fn checked(&self) -> usize {
        self.checked
    }

    /// Whether a read of the mapping has faulted (the file shrank) since it
    /// was mapped; bytes read since may be zeros. [`FileMap::check`] then
    /// maps the file afresh.
    #[inline]
    pub fn faulted(&self) -> bool {
        self.faults().any()
    }

    /// The mapping's fault count (see [`FileMap::faulted`]).
    #[inline]
    pub fn faults(&self) -> Faults {
        self.map.as_ref().map_or_else(Faults::none, |g| g.guard.faults())
    }

    /// Check again, from read position `pos`, as far as one read proves
    /// cheaply: to the end of `pos`'s page (the probe reads the next page's
    /// first byte, which the reader just before had read or prefetched).
    /// What was checked further is forgotten; [`FileMap::check`] checks it
    /// again when it is needed. For a new call into the library, which may
    /// come after the file changed.
    #[inline]
    pub fn recheck(&mut self, pos: usize) {
        let next = (pos | (self.page - 1)) + 1;
        self.checked = 0;
        if next < self.limit && !self.faulted() {
            self.probe(next);
            if !self.faulted() {
                self.checked = next + 1;
            }
        }
    }

    /// Establish that bytes `[0, end)` are in the file, as far as it now
    /// reaches: afterwards `checked()` is at least `end`, or the file's
    /// size if that is less. A file that grew is mapped again at its new
    /// size; one that shrank is read to its new end.
    #[inline]
    pub fn check(&mut self, end: usize) -> io::Result<()> {
        if end <= self.checked && !self.faulted() {
            return Ok(());
        }
        self.check_further(end)
    }

    fn check_further(&mut self, end: usize) -> io::Result<()> {
        if !self.faulted() && end <= self.limit {
            // One read of a page proves the file reaches into it; the page
            // of `end - 1` (or a later one) is wholly inside only if the
            // file goes past its start, so probe a page boundary at or
            // after `end - 1`, and some way beyond to cover later reads.
            let page = self.page;
            let need = (end + page - 2) & !(page - 1);
            let last = (self.limit - 1) & !(page - 1);
            if need <= last {
                let at = (need + PROBE_AHEAD).min(last);
                self.probe(at);
                if !self.faulted() {
                    self.checked = at + 1;
                    // The lines the next probes will read, whether the
                    // reader goes on (a window on) or comes back in a new
                    // call (a page on): their loads then find them cached.
                    self.prefetch_line(at + PROBE_AHEAD);
                    self.prefetch_line(at + page);
                    return Ok(());
                }
            }
        }
        // The last page, the end of the mapping, or a page gone: ask.
        let size = regular_file_size(self.fd.as_fd())?.unwrap_or(0);
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if self.faulted() || size > self.len() {
            // Zero pages stand where the file once ended: map it afresh,
            // never shorter (offsets already handed out stay mapped).
            self.map_at(size.max(self.len()))?;
        }
        self.limit = size.min(self.len());
        self.checked = self.limit;
        Ok(())
    }

    /// Read one byte at `at` (inside the mapping) for its side effect: a
    /// fault if the file no longer reaches that page.
    fn probe(&self, at: usize) {
        if let Some(g) = &self.map {
            debug_assert!(at < g.map.len());
            // SAFETY: inside the mapping; a page beyond the file's end
            // faults and is replaced by zeros by the SIGBUS guard.
            unsafe { std::ptr::read_volatile(g.map.base().add(at)) };
        }
    }

    /// Ask the CPU to start loading the cache lines of bytes `[from, to)`
    /// (clipped to the mapping). Reading a mapped file record by record
    /// touches one cold line per record; a stream of prefetches a little
    /// ahead of the reader hides that latency, which otherwise costs more
    /// than the kernel's copy in `read(2)`. A hint: it never faults.
    pub fn prefetch(&self, from: usize, to: usize) {
        let Some(g) = &self.map else { return };
        let to = to.min(g.map.len());
        let mut at = from & !63;
        while at < to {
            super::prefetch_line(g.map.base().wrapping_add(at));
            at += 64;
        }
    }

    /// [`FileMap::prefetch`] of the one line holding byte `at`.
    #[inline]
    pub fn prefetch_line(&self, at: usize) {
        if let Some(g) = &self.map {
            if at < g.map.len() {
                super::prefetch_line(g.map.base().wrapping_add(at));
            }
        }
    }

    /// Map the pages of bytes `[from, to)` (clipped) now, in one call
    /// (`MADV_POPULATE_READ`), instead of one page fault per fault-around
    /// window as the reader reaches them. Advisory: errors (kernels before
    /// 5.14, pages beyond the file's end) are ignored; the reader then
    /// faults.
    pub fn populate(&self, from: usize, to: usize) {
        let Some(g) = &self.map else { return };
        let from = from & !(self.page - 1);
        let to = to.min(self.limit);
        if from >= to {
            return;
        }
        // SAFETY: the range lies inside our mapping; populating only maps
        // pages, it does not change their contents.
        unsafe { libc::madvise(g.map.base().add(from) as *mut libc::c_void, to - from, libc::MADV_POPULATE_READ) };
    }

    /// The mapping's length (at least the file's size when last asked).
    pub fn len(&self) -> usize {
        self.map.as_ref().map_or(0, |g| g.map.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("ringcap-filemap-{}-{name}", std::process::id()))
    }

    #[test]
    fn maps_and_grows() {
        let p = temp("grows");
        let mut f = std::fs::File::create(&p).unwrap();
        let r = std::fs::File::open(&p).unwrap();
        let mut m = FileMap::open(r.as_fd()).unwrap().unwrap();
        assert!(m.is_empty());
        m.check(1).unwrap();
        assert_eq!(m.checked(), 0);
        f.write_all(b"hello").unwrap();
        m.check(5).unwrap();
        assert_eq!((m.checked(), &m.bytes()[..5]), (5, &b"hello"[..]));
        f.write_all(b" world").unwrap();
        m.check(20).unwrap();
        assert_eq!((m.checked(), m.bytes()), (11, &b"hello world"[..]));
        drop(r);
        // The mapping keeps its own descriptor.
        assert_eq!(m.bytes(), b"hello world");
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn checks_probe_ahead_and_ask_at_the_end() {
        let page = super::super::page_size();
        let p = temp("probe");
        std::fs::write(&p, vec![7u8; page * 40 + 100]).unwrap();
        let r = std::fs::File::open(&p).unwrap();
        let mut m = FileMap::open(r.as_fd()).unwrap().unwrap();
        m.check(10).unwrap();
        // A page boundary some way ahead was read.
        assert_eq!(m.checked(), PROBE_AHEAD + page + 1);
        // Up to the last page boundary.
        m.check(page * 39).unwrap();
        assert_eq!(m.checked(), page * 40 + 1);
        // Past it: the file system was asked.
        m.check(page * 40 + 50).unwrap();
        assert_eq!(m.checked(), page * 40 + 100);
        // A new call: checked again to the end of the reader's page.
        m.recheck(page * 3 + 10);
        assert_eq!(m.checked(), page * 4 + 1);
        m.recheck(page * 40 + 10);
        assert_eq!(m.checked(), 0);
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn a_file_truncated_under_the_mapping_is_read_to_its_new_end() {
        // Without the SIGBUS guard the reads below kill the test process.
        let page = super::super::page_size();
        let p = temp("truncated");
        std::fs::write(&p, vec![9u8; page * 8]).unwrap();
        let w = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        let r = std::fs::File::open(&p).unwrap();
        let mut m = FileMap::open(r.as_fd()).unwrap().unwrap();
        m.check(page * 8).unwrap();
        assert_eq!(m.checked(), page * 8);
        w.set_len((page * 2 + 10) as u64).unwrap();
        // A page wholly beyond the new end reads as zeros, and is noticed.
        assert_eq!(m.bytes()[page * 5], 0);
        assert!(m.faulted());
        m.check(page * 8).unwrap();
        assert!(!m.faulted());
        assert_eq!((m.checked(), m.len()), (page * 2 + 10, page * 8));
        assert_eq!(m.bytes()[page * 2 + 9], 9);
        // A probe finds a shrunken file before any byte is used.
        w.set_len(page as u64).unwrap();
        m.recheck(0);
        assert_eq!(m.checked(), 0);
        m.check(page + 5).unwrap();
        assert_eq!(m.checked(), page);
        // Truncated to nothing (a rotated file), then written again.
        w.set_len(0).unwrap();
        m.recheck(0);
        m.check(1).unwrap();
        assert_eq!(m.checked(), 0);
        w.set_len((page * 3) as u64).unwrap();
        m.check(page * 3).unwrap();
        assert_eq!(m.checked(), page * 3);
        assert_eq!(m.bytes()[page * 2], 0);
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn pipes_are_not_mapped() {
        let mut fds = [0; 2];
        // SAFETY: fds is a writable array of two ints.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors were just created and are owned here.
        let (a, b) = unsafe {
            use std::os::fd::FromRawFd;
            (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
        };
        assert!(FileMap::open(a.as_fd()).unwrap().is_none());
        drop(b);
    }
}

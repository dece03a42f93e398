//! A regular file mapped read-only as one byte slice (savefiles read without
//! copying), remapped when the file has grown since it was mapped.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use super::mmap::Mapping;

/// The whole of a regular file, mapped `PROT_READ`, `MAP_PRIVATE`.
///
/// The mapping holds its own duplicate of the descriptor, so it outlives
/// whatever stream the file was opened with. Like every reader that maps a
/// file, it assumes nobody truncates the file while it is mapped: a page
/// beyond a truncated end raises SIGBUS.
#[derive(Debug)]
pub struct FileMap {
    fd: OwnedFd,
    map: Option<Mapping>,
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
    /// devices and anything else that must be read as a stream.
    pub fn open(fd: BorrowedFd<'_>) -> io::Result<Option<FileMap>> {
        let Some(size) = regular_file_size(fd)? else {
            return Ok(None);
        };
        let size = usize::try_from(size).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
        let fd = fd.try_clone_to_owned()?;
        let map = if size == 0 { None } else { Some(Mapping::read_only(fd.as_fd(), size)?) };
        Ok(Some(FileMap { fd, map }))
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.map {
            // SAFETY: the mapping is `len` readable bytes, private and
            // read-only, alive as long as `self`; nothing in this process
            // writes to it.
            Some(m) => unsafe { std::slice::from_raw_parts(m.base() as *const u8, m.len()) },
            None => &[],
        }
    }

    /// Ask the CPU to start loading the cache lines of bytes `[from, to)`
    /// (clipped to the mapping). Reading a mapped file record by record
    /// touches one cold line per record; a stream of prefetches a little
    /// ahead of the reader hides that latency, which otherwise costs more
    /// than the kernel's copy in `read(2)`. A hint: it never faults.
    pub fn prefetch(&self, from: usize, to: usize) {
        let Some(m) = &self.map else { return };
        let to = to.min(m.len());
        let mut at = from & !63;
        while at < to {
            super::prefetch_line(m.base().wrapping_add(at));
            at += 64;
        }
    }

    /// Map the pages of bytes `[from, to)` (clipped) now, in one call
    /// (`MADV_POPULATE_READ`), instead of one page fault per fault-around
    /// window as the reader reaches them. Advisory: errors (kernels before
    /// 5.14, a file truncated under us) are ignored; the reader then faults.
    pub fn populate(&self, from: usize, to: usize) {
        let Some(m) = &self.map else { return };
        let page = super::page_size();
        let from = from & !(page - 1);
        let to = to.min(m.len());
        if from >= to {
            return;
        }
        // SAFETY: the range lies inside our mapping; populating only maps
        // pages, it does not change their contents.
        unsafe { libc::madvise(m.base().add(from) as *mut libc::c_void, to - from, libc::MADV_POPULATE_READ) };
    }

    pub fn len(&self) -> usize {
        self.map.as_ref().map_or(0, |m| m.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// If the file is now longer than the mapping (it is still being
    /// written), map it again at its new size. Returns whether it grew.
    /// Offsets into the old bytes stay valid in the new ones.
    pub fn refresh(&mut self) -> io::Result<bool> {
        let Some(size) = regular_file_size(self.fd.as_fd())? else {
            return Ok(false);
        };
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size <= self.len() {
            return Ok(false);
        }
        self.map = Some(Mapping::read_only(self.fd.as_fd(), size)?);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_and_grows() {
        let p = std::env::temp_dir().join(format!("ringcap-filemap-{}", std::process::id()));
        let mut f = std::fs::File::create(&p).unwrap();
        let r = std::fs::File::open(&p).unwrap();
        let mut m = FileMap::open(r.as_fd()).unwrap().unwrap();
        assert!(m.is_empty());
        assert!(!m.refresh().unwrap());
        f.write_all(b"hello").unwrap();
        assert!(m.refresh().unwrap());
        assert_eq!(m.bytes(), b"hello");
        f.write_all(b" world").unwrap();
        assert!(m.refresh().unwrap());
        assert_eq!(m.bytes(), b"hello world");
        drop(r);
        // The mapping keeps its own descriptor.
        assert_eq!(m.bytes(), b"hello world");
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

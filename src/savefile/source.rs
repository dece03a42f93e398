//! Where a savefile's bytes come from.
//!
//! - A regular file opened by name is mapped ([`FileMap`]): a record is a
//!   slice of the mapping, nothing is copied, and reaching the end re-checks
//!   the file's size so a file still being written is read as far as it goes
//!   (as libpcap's `fread` would). Only bytes the mapping has checked are
//!   used, and the checks start afresh with every call into the library
//!   ([`Source::begin_read`]), so a file truncated between calls (a
//!   rotation) reads exactly as with `fread`: to its new end, where the
//!   readers report the truncation in libpcap's words. One truncated while a
//!   call runs may show zeros in bytes already checked; the read stops at
//!   the next record.
//! - Pipes, standard input and callers' `FILE *` streams are read with
//!   `fread`, exactly the bytes libpcap reads and no further, so the stream's
//!   position is always where libpcap would have left it; the buffer grows
//!   only as data actually arrives, never to a length a file merely claims.
//! - Bytes in memory (tests, fuzzing) behave like a mapping.

use std::cell::Cell;
use std::io;

use crate::sys::filemap::FileMap;
use crate::sys::sigbus::Faults;
use crate::sys::stdio::CFile;

/// The largest single `fread`, and how far the stream buffer may run ahead of
/// the bytes actually received.
const CHUNK: usize = 256 * 1024;

/// How far ahead of the reader a mapping's cache lines are prefetched, and
/// in batches of how many bytes. Reading a mapping record by record touches
/// one cold line per record; without prefetching, files of IMIX-sized
/// records are read at memory latency (slower than libpcap's `fread`).
/// Measured over 1 GiB files of 64-byte, IMIX and 1514-byte frames, 1 KiB
/// batches kept 2 KiB ahead were best overall (a line-by-line stream costs
/// more per record than it saves on small records). The in-place reader
/// may prefetch only record headers instead (see [`super::prefetch`]).
const PREFETCH_AHEAD: usize = 2048;
const PREFETCH_BATCH: usize = 1024;
/// Pages are mapped this many bytes at a time, a window ahead of the reader
/// (one `madvise` instead of a page fault per 64 KiB: ~8% on IMIX files).
const POPULATE_WINDOW: usize = 4 << 20;

/// A run of bytes returned by [`Source::take`], valid until the next `take`
/// or `skip` on the same source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub len: usize,
}

impl Span {
    /// The part of this span from `off` for `len` bytes (the caller has
    /// checked that it lies inside).
    pub fn sub(self, off: usize, len: usize) -> Span {
        Span { start: self.start + off, len }
    }
}

/// What [`Source::take`] got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    /// All the bytes asked for.
    Full(Span),
    /// The input ended after this many bytes (consumed: they are gone, as
    /// with a short `fread`).
    Short(usize),
}

/// A byte stream read by `fread` (a `FILE *`, or anything else in tests).
pub trait StreamRead: Send {
    /// Read up to `buf.len()` bytes; fewer means end of input.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// The stdio stream underneath, if there is one.
    fn file(&mut self) -> Option<&mut CFile> {
        None
    }
}

impl StreamRead for CFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        CFile::read(self, buf)
    }
    fn file(&mut self) -> Option<&mut CFile> {
        Some(self)
    }
}

/// Any `std::io::Read` with `fread`'s contract (read until full or EOF).
pub struct ReadStream<R>(pub R);

impl<R: io::Read + Send> StreamRead for ReadStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.0.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }
}

enum Kind {
    /// A mapped regular file; `file` is the stream it was opened with (what
    /// `pcap_file` returns); bytes before `prefetched` have been prefetched.
    /// Pages before `populated` have been mapped ahead of the reader; there
    /// is nothing more to do for either before read position `due`.
    Mapped { map: FileMap, file: Option<CFile>, prefetched: Cell<usize>, populated: Cell<usize>, due: Cell<usize> },
    /// Bytes in memory.
    Memory(Vec<u8>),
    /// A stream read with `fread`. `_mapped` keeps an earlier mapping alive
    /// when a mapped source was turned into a stream, so packets handed out
    /// from it stay valid.
    Stream { reader: Box<dyn StreamRead>, buf: Vec<u8>, _mapped: Option<FileMap> },
}

/// A savefile's input.
pub struct Source {
    kind: Kind,
    /// Bytes consumed so far (the read offset in a mapping or memory).
    pos: usize,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Mapped { .. } => "mapped",
            Kind::Memory(_) => "memory",
            Kind::Stream { .. } => "stream",
        };
        write!(f, "Source({kind} at {})", self.pos)
    }
}

impl Source {
    /// Bytes in memory.
    pub fn memory(bytes: Vec<u8>) -> Source {
        Source { kind: Kind::Memory(bytes), pos: 0 }
    }

    /// Read through `fread` on any stream.
    pub fn stream(reader: Box<dyn StreamRead>) -> Source {
        Source { kind: Kind::Stream { reader, buf: Vec::new(), _mapped: None }, pos: 0 }
    }

    /// A file just opened by name: mapped when it is a regular file that can
    /// be mapped, read as a stream otherwise (pipes, devices, and files the
    /// kernel will not map).
    pub fn file(file: CFile) -> Source {
        let map = file.as_fd().and_then(|fd| FileMap::open(fd).ok().flatten());
        match map {
            Some(map) => {
                let (prefetched, populated, due) = (Cell::new(0), Cell::new(0), Cell::new(0));
                Source { kind: Kind::Mapped { map, file: Some(file), prefetched, populated, due }, pos: 0 }
            }
            None => Source::stream(Box::new(file)),
        }
    }

    /// Whether packets are slices of a mapping or of memory (no copy).
    pub fn is_mapped(&self) -> bool {
        !matches!(self.kind, Kind::Stream { .. })
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The unread bytes of a mapping (as far as checked) or of memory
    /// (`None` for a stream, and for a mapping whose file shrank under
    /// it). Readers decode an ordinary record straight from here and
    /// [`consume`](Source::consume) it; anything else (the end of the
    /// input or of the checked bytes, a file growing or shrinking, a
    /// malformed record) goes through [`take`](Source::take), which has the
    /// exact end-of-input behaviour.
    #[inline]
    pub fn unread(&self) -> Option<&[u8]> {
        if self.faulted() {
            return None;
        }
        self.window()
    }

    /// The unread bytes of a mapping (as far as checked) or of memory.
    #[inline]
    fn window(&self) -> Option<&[u8]> {
        match &self.kind {
            Kind::Mapped { map, .. } => map.bytes().get(self.pos..map.checked()),
            Kind::Memory(v) => v.get(self.pos..),
            Kind::Stream { .. } => None,
        }
    }

    /// Consume the next `n` bytes of what [`unread`](Source::unread) showed
    /// (fewer if there are not that many); their span.
    #[inline]
    pub fn consume(&mut self, n: usize) -> Span {
        let avail = self.window().map_or(0, |b| b.len());
        let s = Span { start: self.pos, len: n.min(avail) };
        self.pos += s.len;
        self.keep_ahead(self.pos);
        s
    }

    /// [`prefetch_for`](Source::prefetch_for) the read position, when it
    /// has something to do.
    #[inline]
    fn keep_ahead(&self, pos: usize) {
        if let Kind::Mapped { due, .. } = &self.kind {
            if pos >= due.get() {
                due.set(self.prefetch_for(pos));
            }
        }
    }

    /// Whether bytes read from a mapping since the last check may be zeros
    /// (the file shrank under it): a reader working in place stops before
    /// delivering the record, and [`take`](Source::take) finds where the
    /// file ends.
    #[inline]
    pub fn faulted(&self) -> bool {
        self.faults().any()
    }

    /// What [`faulted`](Source::faulted) tests, for a loop over
    /// [`unread`](Source::unread) bytes.
    #[inline]
    pub fn faults(&self) -> Faults {
        match &self.kind {
            Kind::Mapped { map, .. } => map.faults(),
            _ => Faults::none(),
        }
    }

    /// A call into the library starts reading: what was checked of a
    /// mapping may have changed since (the file truncated between calls),
    /// so check again from the read position.
    #[inline]
    pub fn begin_read(&mut self) {
        if let Kind::Mapped { map, .. } = &mut self.kind {
            map.recheck(self.pos);
        }
    }

    /// Keep a mapping's bytes ahead of read position `pos` (which a reader
    /// working in place may have moved past the consumed bytes) on their
    /// way into the cache: every line, and pages mapped ahead. Returns the
    /// position from which it has more to do (a loop need not call it
    /// before).
    #[inline]
    pub fn prefetch_for(&self, pos: usize) -> usize {
        match &self.kind {
            Kind::Mapped { map, prefetched, populated, .. } => {
                populate_ahead(map, populated, pos);
                prefetch_ahead(map, prefetched, pos);
                prefetched.get().saturating_sub(PREFETCH_AHEAD).min(populated.get() - POPULATE_WINDOW) + 1
            }
            _ => usize::MAX,
        }
    }

    /// Only map pages ahead of `pos` (the reader prefetches the lines it
    /// wants itself, with [`prefetch_line`](Source::prefetch_line)); as
    /// [`prefetch_for`](Source::prefetch_for) otherwise.
    #[inline]
    pub fn populate_for(&self, pos: usize) -> usize {
        match &self.kind {
            Kind::Mapped { map, populated, .. } => {
                populate_ahead(map, populated, pos);
                populated.get() - POPULATE_WINDOW + 1
            }
            _ => usize::MAX,
        }
    }

    /// Start loading the cache line of byte `pos` of a mapping.
    #[inline]
    pub fn prefetch_line(&self, pos: usize) {
        if let Kind::Mapped { map, .. } = &self.kind {
            map.prefetch_line(pos);
        }
    }

    /// The next `n` bytes, contiguous.
    pub fn take(&mut self, n: usize) -> io::Result<Taken> {
        match &mut self.kind {
            Kind::Mapped { map, .. } => {
                map.check(self.pos + n)?;
                let t = take_from(map.checked(), &mut self.pos, n);
                self.keep_ahead(self.pos);
                Ok(t)
            }
            Kind::Memory(v) => Ok(take_from(v.len(), &mut self.pos, n)),
            Kind::Stream { reader, buf, .. } => {
                let mut got = 0;
                while got < n {
                    let want = (n - got).min(CHUNK);
                    if buf.len() < got + want {
                        buf.resize(got + want, 0);
                    }
                    let r = reader.read(&mut buf[got..got + want])?;
                    got += r;
                    if r < want {
                        self.pos += got;
                        return Ok(Taken::Short(got));
                    }
                }
                self.pos += n;
                Ok(Taken::Full(Span { start: 0, len: n }))
            }
        }
    }

    /// Skip `n` bytes; returns how many were skipped (fewer at end of input).
    /// A stream's buffer (holding the last `take`) is left untouched.
    pub fn skip(&mut self, n: usize) -> io::Result<usize> {
        match &mut self.kind {
            Kind::Mapped { map, .. } => {
                map.check(self.pos + n)?;
                Ok(skip_in(map.checked(), &mut self.pos, n))
            }
            Kind::Memory(v) => Ok(skip_in(v.len(), &mut self.pos, n)),
            Kind::Stream { reader, .. } => {
                let mut discard = [0u8; 4096];
                let mut done = 0;
                while done < n {
                    let want = (n - done).min(discard.len());
                    let r = reader.read(&mut discard[..want])?;
                    done += r;
                    if r < want {
                        break;
                    }
                }
                self.pos += done;
                Ok(done)
            }
        }
    }

    /// The bytes of a span from the last `take`.
    pub fn get(&self, s: Span) -> &[u8] {
        let all: &[u8] = match &self.kind {
            Kind::Mapped { map, .. } => map.bytes(),
            Kind::Memory(v) => v,
            Kind::Stream { buf, .. } => buf,
        };
        all.get(s.start..s.start + s.len).unwrap_or(&[])
    }

    /// The stdio stream the file is read through, for `pcap_file`. A mapped
    /// file is turned into a stream at the current read position first, so
    /// that whatever the caller does with the stream (`ftell`, `fseek`,
    /// reading) sees and steers the position libpcap's stream would have.
    pub fn stdio(&mut self) -> Option<&mut CFile> {
        if let Kind::Mapped { file: Some(f), .. } = &mut self.kind {
            if f.seek(self.pos as i64, libc::SEEK_SET).is_err() {
                return None;
            }
            let Kind::Mapped { map, file, .. } = std::mem::replace(&mut self.kind, Kind::Memory(Vec::new())) else {
                unreachable!("matched above")
            };
            let reader: Box<dyn StreamRead> = Box::new(file.expect("matched above"));
            self.kind = Kind::Stream { reader, buf: Vec::new(), _mapped: Some(map) };
        }
        match &mut self.kind {
            Kind::Stream { reader, .. } => reader.file(),
            _ => None,
        }
    }

    /// The descriptor of the underlying file, or -1 (`pcap_fileno` and
    /// `pcap_get_selectable_fd` on a savefile).
    pub fn fileno(&mut self) -> i32 {
        match &mut self.kind {
            Kind::Mapped { file: Some(f), .. } => f.fileno(),
            Kind::Stream { reader, .. } => reader.file().map_or(-1, |f| f.fileno()),
            _ => -1,
        }
    }
}

/// Keep the pages up to `POPULATE_WINDOW` past the read position mapped.
#[inline]
fn populate_ahead(map: &FileMap, populated: &Cell<usize>, pos: usize) {
    if populated.get() < pos + POPULATE_WINDOW {
        let from = populated.get().max(pos);
        map.populate(from, from + POPULATE_WINDOW);
        populated.set(from + POPULATE_WINDOW);
    }
}

/// Keep the cache lines up to `PREFETCH_AHEAD` past the read position on
/// their way, a batch at a time.
#[inline]
fn prefetch_ahead(map: &FileMap, prefetched: &Cell<usize>, pos: usize) {
    if prefetched.get() < pos + PREFETCH_AHEAD {
        let from = prefetched.get().max(pos);
        map.prefetch(from, from + PREFETCH_BATCH);
        prefetched.set(from + PREFETCH_BATCH);
    }
}

/// Take `n` bytes at `*pos` of the first `len` (which, for a file that
/// shrank under the reader, may end before `*pos`: nothing is left, as for
/// `fread` at an offset past the end).
fn take_from(len: usize, pos: &mut usize, n: usize) -> Taken {
    let avail = len.saturating_sub(*pos);
    if avail >= n {
        let s = Span { start: *pos, len: n };
        *pos += n;
        Taken::Full(s)
    } else {
        *pos += avail;
        Taken::Short(avail)
    }
}

fn skip_in(len: usize, pos: &mut usize, n: usize) -> usize {
    let k = n.min(len.saturating_sub(*pos));
    *pos += k;
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_sources(bytes: &[u8]) -> Vec<Source> {
        vec![Source::memory(bytes.to_vec()), Source::stream(Box::new(ReadStream(std::io::Cursor::new(bytes.to_vec()))))]
    }

    #[test]
    fn take_skip_short() {
        for mut s in all_sources(b"0123456789") {
            let Taken::Full(a) = s.take(3).unwrap() else { panic!() };
            assert_eq!(s.get(a), b"012");
            assert_eq!(s.skip(2).unwrap(), 2);
            let Taken::Full(b) = s.take(2).unwrap() else { panic!() };
            assert_eq!(s.get(b), b"56");
            assert_eq!(s.take(5).unwrap(), Taken::Short(3));
            assert_eq!(s.position(), 10);
            assert_eq!(s.take(1).unwrap(), Taken::Short(0));
            assert_eq!(s.skip(4).unwrap(), 0);
        }
    }

    #[test]
    fn stream_buffer_grows_with_data_not_with_claims() {
        let mut s = Source::stream(Box::new(ReadStream(std::io::Cursor::new(vec![7u8; 100]))));
        // A hostile length: only what arrives (plus one chunk) is allocated.
        assert_eq!(s.take(1 << 30).unwrap(), Taken::Short(100));
        if let Kind::Stream { buf, .. } = &s.kind {
            assert!(buf.len() <= CHUNK);
        }
    }

    #[test]
    fn mapped_file_and_switch_to_stdio() {
        let p = std::env::temp_dir().join(format!("ringcap-source-{}", std::process::id()));
        std::fs::write(&p, b"abcdefgh").unwrap();
        let f = CFile::open(p.to_str().unwrap().as_bytes(), "rb").unwrap();
        let mut s = Source::file(f);
        assert!(s.is_mapped());
        assert!(s.fileno() >= 0);
        let Taken::Full(a) = s.take(3).unwrap() else { panic!() };
        assert_eq!(s.get(a), b"abc");
        let f = s.stdio().unwrap();
        assert_eq!(f.tell64(), 3);
        assert!(!s.is_mapped());
        let Taken::Full(b) = s.take(2).unwrap() else { panic!() };
        assert_eq!(s.get(b), b"de");
        // The caller may move the stream; reading follows it.
        s.stdio().unwrap().seek(1, libc::SEEK_SET).unwrap();
        let Taken::Full(c) = s.take(1).unwrap() else { panic!() };
        assert_eq!(s.get(c), b"b");
        std::fs::remove_file(&p).unwrap();
    }
}

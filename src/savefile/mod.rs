//! Savefiles: reading classic pcap and pcapng, writing classic pcap (what
//! libpcap writes, byte for byte) and pcapng (which libpcap cannot write).
//!
//! Everything here works on bytes and is tested without privileges:
//! - [`source`]: where bytes come from (a mapped regular file, a stdio
//!   stream, memory);
//! - [`pcap`] and [`pcapng`]: the two readers, with libpcap's rules and error
//!   texts for every malformed input;
//! - [`fixup`]: libpcap's post-processing of records (byte-swapped
//!   pseudo-headers, the Linux USB length fix);
//! - [`offline`]: the reading handle behind `pcap_open_offline`, with
//!   libpcap's `pcap_offline_read` semantics; [`prefetch`]: how it keeps a
//!   mapped file's bytes on their way into the cache;
//! - [`writer`] and [`ngwriter`]: record and header encoding;
//! - [`dumper`]: an open output file (what a `pcap_dumper_t` is).

pub mod dumper;
pub mod fixup;
pub mod ngwriter;
pub mod offline;
pub mod pcap;
pub mod pcapng;
pub mod prefetch;
pub mod source;
pub mod writer;

pub use offline::Offline;
pub use source::Source;

use crate::error::Error;
use crate::packet::Precision;

/// What a savefile says about itself, as `pcap_datalink`, `pcap_snapshot`,
/// `pcap_is_swapped` and `pcap_major_version`/`pcap_minor_version` report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// The DLT_* of the file's LINKTYPE_*.
    pub linktype: i32,
    /// The upper 6 bits of a classic pcap header's link-type field (FCS
    /// length and the like), kept for files written from this handle.
    pub linktype_ext: u32,
    /// The snapshot length, adjusted as libpcap adjusts it.
    pub snapshot: i32,
    /// Whether the file is in the other byte order than this host.
    pub swapped: bool,
    pub version_major: u16,
    pub version_minor: u16,
    /// The precision timestamps are delivered in (the caller's choice).
    pub precision: Precision,
}

/// libpcap's `pcap_adjust_snapshot`: 0 or a value above `INT_MAX` means "the
/// largest for this link type".
pub fn adjust_snapshot(dlt: i32, snaplen: u32) -> i32 {
    if snaplen == 0 || snaplen > i32::MAX as u32 {
        crate::dlt::max_snaplen(dlt) as i32
    } else {
        snaplen as i32
    }
}

/// The precision a caller asked for (`PCAP_TSTAMP_PRECISION_*`), or libpcap's
/// error for another value.
pub(crate) fn precision_from(p: u32) -> crate::Result<Precision> {
    match p {
        0 => Ok(Precision::Micro),
        1 => Ok(Precision::Nano),
        _ => Err(Error::msg(format!("unknown time stamp resolution {p}"))),
    }
}

/// A read failure, in libpcap's words.
pub(crate) fn read_error(e: std::io::Error) -> Error {
    Error::os("error reading dump file", &e)
}

/// Integers in a file's byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ByteOrder {
    pub swapped: bool,
}

impl ByteOrder {
    /// The caller guarantees `b` holds the bytes (fixed-size spans).
    #[inline]
    pub fn u16(self, b: &[u8], at: usize) -> u16 {
        let v = u16::from_ne_bytes(b[at..at + 2].try_into().expect("2 bytes"));
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }

    #[inline]
    pub fn u32(self, b: &[u8], at: usize) -> u32 {
        let v = u32::from_ne_bytes(b[at..at + 4].try_into().expect("4 bytes"));
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }

    #[inline]
    pub fn u64(self, b: &[u8], at: usize) -> u64 {
        let v = u64::from_ne_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        if self.swapped {
            v.swap_bytes()
        } else {
            v
        }
    }
}

/// Test support shared by the readers' unit tests.
#[cfg(test)]
pub(crate) mod testutil {
    use super::pcap::PcapReader;
    use super::pcapng::NgReader;
    use super::source::{Source, Span, Taken};
    use super::FileInfo;
    use crate::error::Result;
    use crate::packet::PacketHeader;

    /// What the two readers have in common.
    pub trait Reader: Sized {
        fn open(magic: [u8; 4], src: &mut Source, precision: u32) -> Result<Option<(Self, FileInfo)>>;
        fn next(&mut self, src: &mut Source, h: &mut PacketHeader) -> Result<Option<Span>>;
    }

    impl Reader for PcapReader {
        fn open(magic: [u8; 4], src: &mut Source, precision: u32) -> Result<Option<(Self, FileInfo)>> {
            PcapReader::open(magic, src, precision)
        }
        fn next(&mut self, src: &mut Source, h: &mut PacketHeader) -> Result<Option<Span>> {
            PcapReader::next(self, src, h)
        }
    }

    impl Reader for NgReader {
        fn open(magic: [u8; 4], src: &mut Source, precision: u32) -> Result<Option<(Self, FileInfo)>> {
            NgReader::open(magic, src, precision)
        }
        fn next(&mut self, src: &mut Source, h: &mut PacketHeader) -> Result<Option<Span>> {
            NgReader::next(self, src, h)
        }
    }

    /// Open `bytes` (in memory) with reader `R`, which must recognise them.
    pub fn open<R: Reader>(bytes: Vec<u8>, precision: u32) -> Result<(R, FileInfo, Source)> {
        let mut src = Source::memory(bytes);
        let Taken::Full(m) = src.take(4).unwrap() else { panic!("shorter than a magic number") };
        let magic: [u8; 4] = src.get(m).try_into().unwrap();
        let (r, i) = R::open(magic, &mut src, precision)?.expect("the reader's format");
        Ok((r, i, src))
    }

    /// Every record of `bytes`, or the first error.
    pub fn all<R: Reader>(bytes: Vec<u8>, precision: u32) -> Result<Vec<(PacketHeader, Vec<u8>)>> {
        let (mut r, _, mut src) = open::<R>(bytes, precision)?;
        let mut out = Vec::new();
        let mut h = PacketHeader::default();
        while let Some(s) = r.next(&mut src, &mut h)? {
            out.push((h, src.get(s).to_vec()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_adjustment() {
        assert_eq!(adjust_snapshot(1, 0), 262_144);
        assert_eq!(adjust_snapshot(1, 0x8000_0000), 262_144);
        assert_eq!(adjust_snapshot(1, 0x7fff_ffff), 0x7fff_ffff);
        assert_eq!(adjust_snapshot(231, 0), 128 * 1024 * 1024);
        assert_eq!(adjust_snapshot(1, 96), 96);
    }

    #[test]
    fn byte_orders() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        let n = ByteOrder { swapped: false };
        let s = ByteOrder { swapped: true };
        assert_eq!(n.u32(&b, 0), u32::from_ne_bytes([1, 2, 3, 4]));
        assert_eq!(s.u32(&b, 0), u32::from_ne_bytes([4, 3, 2, 1]));
        assert_eq!(s.u16(&b, 2), u16::from_ne_bytes([4, 3]));
        assert_eq!(s.u64(&b, 0), u64::from_ne_bytes([8, 7, 6, 5, 4, 3, 2, 1]));
        assert_eq!(precision_from(7).unwrap_err().message, "unknown time stamp resolution 7");
    }
}

//! Classic pcap savefiles, reading: the 24-byte file header and the records
//! (16-byte headers, 24 in Alexey Kuznetzov's modified format), in either
//! byte order, with microsecond or nanosecond timestamps, and with libpcap's
//! rules (and words) for every header and length it refuses.

use super::source::{Source, Span, Taken};
use super::{adjust_snapshot, precision_from, read_error, ByteOrder, FileInfo};
use crate::dlt;
use crate::error::{Error, Result};
use crate::packet::{PacketHeader, Precision, Timeval};

/// Standard pcap, microsecond timestamps.
pub const TCPDUMP_MAGIC: u32 = 0xa1b2_c3d4;
/// Alexey Kuznetzov's modified format (longer record headers).
pub const KUZNETZOV_MAGIC: u32 = 0xa1b2_cd34;
/// Standard pcap, nanosecond timestamps.
pub const NSEC_MAGIC: u32 = 0xa1b2_3c4d;
/// Navtel Communications' format (not read; recognised when appending).
pub const NAVTEL_MAGIC: u32 = 0xa12b_3c4d;

pub const VERSION_MAJOR: u16 = 2;
pub const VERSION_MINOR: u16 = 4;

/// `sizeof (struct pcap_file_header)`.
pub const FILE_HEADER_LEN: usize = 24;
/// `sizeof (struct pcap_sf_pkthdr)`.
pub const RECORD_HEADER_LEN: usize = 16;
/// `sizeof (struct pcap_sf_patched_pkthdr)` (Kuznetzov).
const PATCHED_RECORD_HEADER_LEN: usize = 24;

/// The upper 6 bits of the link-type field carry extra information.
const LINKTYPE_MASK: u32 = 0x03ff_ffff;

/// How a record's timestamp fraction becomes the caller's precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    PassThrough,
    Up,
    Down,
}

/// Whether caplen and len sit in each other's places (files before 2.3, some
/// 2.3 files, DG/UX's 543.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lengths {
    InOrder,
    Swapped,
    MaybeSwapped,
}

/// The state of a classic pcap reader.
#[derive(Debug)]
pub struct PcapReader {
    order: ByteOrder,
    header_len: usize,
    lengths: Lengths,
    scale: Scale,
    linktype: i32,
    snapshot: i32,
    /// Records up to this caplen need no special handling.
    fast_caplen: u32,
    /// Timestamps pass through and lengths are in order: a record's fields
    /// are delivered as they are.
    plain: bool,
}

fn is_pcap_magic(m: u32) -> bool {
    m == TCPDUMP_MAGIC || m == KUZNETZOV_MAGIC || m == NSEC_MAGIC
}

impl PcapReader {
    /// Recognise a classic pcap file by its first four bytes and read the
    /// rest of its header. `Ok(None)`: not a pcap file.
    pub fn open(magic: [u8; 4], src: &mut Source, precision: u32) -> Result<Option<(PcapReader, FileInfo)>> {
        let raw = u32::from_ne_bytes(magic);
        let (magic, swapped) = if is_pcap_magic(raw) {
            (raw, false)
        } else if is_pcap_magic(raw.swap_bytes()) {
            (raw.swap_bytes(), true)
        } else {
            return Ok(None);
        };
        let rest = match src.take(FILE_HEADER_LEN - 4).map_err(read_error)? {
            Taken::Full(s) => s,
            Taken::Short(k) => {
                return Err(Error::msg(format!(
                    "truncated dump file; tried to read {FILE_HEADER_LEN} file header bytes, only got {k}"
                )))
            }
        };
        let order = ByteOrder { swapped };
        let b = src.get(rest);
        let (major, minor) = (order.u16(b, 0), order.u16(b, 2));
        let (snaplen, linktype_field) = (order.u32(b, 12), order.u32(b, 16));
        if major < VERSION_MAJOR {
            return Err(Error::msg("archaic pcap savefile format"));
        }
        if !((major == VERSION_MAJOR && minor <= VERSION_MINOR) || (major == 543 && minor == 0)) {
            return Err(Error::msg(format!("unsupported pcap savefile version {major}.{minor}")));
        }
        let linktype = dlt::linktype_to_dlt((linktype_field & LINKTYPE_MASK) as i32);
        let mut snapshot = adjust_snapshot(linktype, snaplen);
        let precision = precision_from(precision)?;
        let nano_file = magic == NSEC_MAGIC;
        let scale = match (precision, nano_file) {
            (Precision::Micro, true) => Scale::Down,
            (Precision::Nano, false) => Scale::Up,
            _ => Scale::PassThrough,
        };
        let lengths = match (major, minor) {
            (2, m) if m < 3 => Lengths::Swapped,
            (2, 3) => Lengths::MaybeSwapped,
            (543, _) => Lengths::Swapped,
            _ => Lengths::InOrder,
        };
        let header_len = if magic == KUZNETZOV_MAGIC {
            // Cooked captures in this format added a fake 14-byte Ethernet
            // header to up to snaplen bytes of data.
            if linktype == dlt::DLT_EN10MB {
                snapshot = snapshot.saturating_add(14);
            }
            PATCHED_RECORD_HEADER_LEN
        } else {
            RECORD_HEADER_LEN
        };
        let info = FileInfo {
            linktype,
            linktype_ext: linktype_field & !LINKTYPE_MASK,
            snapshot,
            swapped,
            version_major: major,
            version_minor: minor,
            precision,
        };
        let fast_caplen = (snapshot as u32).min(dlt::max_snaplen(linktype));
        let plain = lengths == Lengths::InOrder && scale == Scale::PassThrough;
        Ok(Some((PcapReader { order, header_len, lengths, scale, linktype, snapshot, fast_caplen, plain }, info)))
    }

    /// A record header's fields as libpcap delivers them, written into `h`
    /// (in place: the header is not moved around per record): timestamp
    /// scaled, lengths in order, caplen not yet checked.
    #[inline(always)]
    fn decode(&self, b: &[u8], h: &mut PacketHeader) {
        let b: &[u8; RECORD_HEADER_LEN] = b[..RECORD_HEADER_LEN].try_into().expect("a record header");
        let word = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut f = [word(0), word(4), word(8), word(12)];
        // One test per record, not per field.
        if self.order.swapped {
            f = f.map(u32::swap_bytes);
        }
        // The on-disk fields are 32-bit signed seconds and fraction.
        let tv_sec = f[0] as i32 as i64;
        let mut tv_frac = f[1] as i32 as i64;
        let (mut caplen, mut len) = (f[2], f[3]);
        if !self.plain {
            match self.scale {
                Scale::PassThrough => {}
                Scale::Up => tv_frac *= 1000,
                Scale::Down => tv_frac /= 1000,
            }
            if self.lengths == Lengths::Swapped || (self.lengths == Lengths::MaybeSwapped && caplen > len) {
                std::mem::swap(&mut caplen, &mut len);
            }
        }
        h.ts = Timeval { tv_sec: tv_sec as libc::time_t, tv_usec: tv_frac as libc::suseconds_t };
        h.caplen = caplen;
        h.len = len;
    }

    /// If `b` (unread bytes of a mapping) starts with an ordinary record — a
    /// whole one, within the snapshot length — decode its header into `h`
    /// and return the record's length; `None` for anything that needs the
    /// checked path.
    #[inline(always)]
    pub fn record_at(&self, b: &[u8], h: &mut PacketHeader) -> Option<usize> {
        if b.len() < self.header_len {
            return None;
        }
        self.decode(b, h);
        let caplen = h.caplen as usize;
        (h.caplen <= self.fast_caplen && b.len() - self.header_len >= caplen).then_some(self.header_len + caplen)
    }

    /// The length of a record header (16, or 24 in Kuznetzov's format).
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The next record: its header into `h` and where its bytes are, or
    /// `None` at the end of the file.
    #[inline]
    pub fn next(&mut self, src: &mut Source, h: &mut PacketHeader) -> Result<Option<Span>> {
        if let Some(len) = src.unread().and_then(|b| self.record_at(b, h)) {
            let record = src.consume(len);
            return Ok(Some(record.sub(self.header_len, len - self.header_len)));
        }
        self.next_checked(src, h)
    }

    /// `next` for everything else, with libpcap's reading and its errors.
    fn next_checked(&mut self, src: &mut Source, hdr: &mut PacketHeader) -> Result<Option<Span>> {
        let hs = match src.take(self.header_len).map_err(read_error)? {
            Taken::Full(s) => s,
            Taken::Short(0) => return Ok(None),
            Taken::Short(k) => {
                return Err(Error::msg(format!(
                    "truncated dump file; tried to read {} header bytes, only got {k}",
                    self.header_len
                )))
            }
        };
        self.decode(src.get(hs), hdr);
        let caplen = hdr.caplen;
        let max = dlt::max_snaplen(self.linktype);
        let snapshot = self.snapshot as u32;
        if caplen > max {
            return Err(Error::msg(if caplen > snapshot {
                format!("invalid packet capture length {caplen}, bigger than snaplen of {}", self.snapshot)
            } else {
                format!("invalid packet capture length {caplen}, bigger than maximum of {max}")
            }));
        }
        let data = if caplen > snapshot {
            // Longer than the file's own snapshot length (old Solaris files,
            // damaged files): deliver the first `snapshot` bytes, skip the rest.
            let data = match src.take(snapshot as usize).map_err(read_error)? {
                Taken::Full(s) => s,
                Taken::Short(k) => {
                    return Err(Error::msg(format!(
                        "truncated dump file; tried to read {} captured bytes, only got {k}",
                        self.snapshot
                    )))
                }
            };
            let rest = (caplen - snapshot) as usize;
            let skipped = src.skip(rest).map_err(read_error)?;
            if skipped < rest {
                return Err(Error::msg(format!(
                    "truncated dump file; tried to read {caplen} captured bytes, only got {}",
                    snapshot as usize + skipped
                )));
            }
            hdr.caplen = snapshot;
            data
        } else {
            match src.take(caplen as usize).map_err(read_error)? {
                Taken::Full(s) => s,
                Taken::Short(k) => {
                    return Err(Error::msg(format!(
                        "truncated dump file; tried to read {caplen} captured bytes, only got {k}"
                    )))
                }
            }
        };
        Ok(Some(data))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A pcap file in the given byte order: header then records of
    /// (sec, frac, caplen, len, data).
    pub(crate) fn file(swapped: bool, magic: u32, version: (u16, u16), snaplen: u32, linktype: u32, recs: &[(u32, u32, u32, u32, &[u8])]) -> Vec<u8> {
        let w32 = |v: u32| if swapped { v.swap_bytes().to_ne_bytes() } else { v.to_ne_bytes() };
        let w16 = |v: u16| if swapped { v.swap_bytes().to_ne_bytes() } else { v.to_ne_bytes() };
        let mut f = Vec::new();
        f.extend(w32(magic));
        f.extend(w16(version.0));
        f.extend(w16(version.1));
        f.extend(w32(0));
        f.extend(w32(0));
        f.extend(w32(snaplen));
        f.extend(w32(linktype));
        for &(s, u, c, l, d) in recs {
            f.extend(w32(s));
            f.extend(w32(u));
            f.extend(w32(c));
            f.extend(w32(l));
            f.extend(d);
        }
        f
    }

    fn open(bytes: Vec<u8>, precision: u32) -> Result<(PcapReader, FileInfo, Source)> {
        crate::savefile::testutil::open(bytes, precision)
    }

    fn all(bytes: Vec<u8>, precision: u32) -> Result<Vec<(PacketHeader, Vec<u8>)>> {
        crate::savefile::testutil::all::<PcapReader>(bytes, precision)
    }

    #[test]
    fn both_byte_orders_and_precisions() {
        for swapped in [false, true] {
            let f = file(swapped, TCPDUMP_MAGIC, (2, 4), 65535, 1, &[(10, 999_999, 3, 60, b"abc")]);
            let (_, info, _) = open(f.clone(), 0).unwrap();
            assert_eq!(info.swapped, swapped);
            assert_eq!((info.linktype, info.snapshot, info.version_major, info.version_minor), (1, 65535, 2, 4));
            let p = all(f.clone(), 0).unwrap();
            assert_eq!(p[0].0, PacketHeader::new(10, 999_999, 3, 60));
            assert_eq!(p[0].1, b"abc");
            assert_eq!(all(f, 1).unwrap()[0].0.ts.tv_usec, 999_999_000);
            let n = file(swapped, NSEC_MAGIC, (2, 4), 65535, 1, &[(10, 999_999_999, 1, 1, b"x")]);
            assert_eq!(all(n.clone(), 1).unwrap()[0].0.ts.tv_usec, 999_999_999);
            assert_eq!(all(n, 0).unwrap()[0].0.ts.tv_usec, 999_999);
        }
    }

    #[test]
    fn fields_are_signed_32_bit() {
        let f = file(false, TCPDUMP_MAGIC, (2, 4), 0, 1, &[(0xffff_fffe, 0xffff_ffff, 0, 0, b"")]);
        let p = all(f, 1).unwrap();
        assert_eq!((p[0].0.ts.tv_sec, p[0].0.ts.tv_usec), (-2, -1000));
    }

    #[test]
    fn header_errors() {
        let f = file(false, TCPDUMP_MAGIC, (2, 4), 0, 1, &[]);
        let e = open(f[..10].to_vec(), 0).unwrap_err();
        assert_eq!(e.message, "truncated dump file; tried to read 24 file header bytes, only got 6");
        let e = open(file(false, TCPDUMP_MAGIC, (1, 0), 0, 1, &[]), 0).unwrap_err();
        assert_eq!(e.message, "archaic pcap savefile format");
        let e = open(file(true, TCPDUMP_MAGIC, (2, 5), 0, 1, &[]), 0).unwrap_err();
        assert_eq!(e.message, "unsupported pcap savefile version 2.5");
        let e = open(file(true, TCPDUMP_MAGIC, (2, 4), 0, 1, &[]), 2).unwrap_err();
        assert_eq!(e.message, "unknown time stamp resolution 2");
        assert!(open(file(false, TCPDUMP_MAGIC, (543, 0), 0, 1, &[]), 0).is_ok());
        let mut src = Source::memory(vec![]);
        assert!(PcapReader::open(*b"abcd", &mut src, 0).unwrap().is_none());
    }

    #[test]
    fn linktype_and_snapshot() {
        let (_, i, _) = open(file(false, TCPDUMP_MAGIC, (2, 4), 0, 101 | 0x0400_0000, &[]), 0).unwrap();
        assert_eq!((i.linktype, i.linktype_ext, i.snapshot), (dlt::DLT_RAW, 0x0400_0000, 262_144));
        let (_, i, _) = open(file(false, KUZNETZOV_MAGIC, (2, 4), 100, 1, &[]), 0).unwrap();
        assert_eq!(i.snapshot, 114);
        let (_, i, _) = open(file(false, KUZNETZOV_MAGIC, (2, 4), 0x7fff_fff5, 1, &[]), 0).unwrap();
        assert_eq!(i.snapshot, i32::MAX);
    }

    #[test]
    fn kuznetzov_records_are_24_bytes() {
        let mut f = file(false, KUZNETZOV_MAGIC, (2, 4), 100, 1, &[]);
        for v in [5u32, 6, 2, 2, 0, 0] {
            f.extend(v.to_ne_bytes());
        }
        f.extend(b"hi");
        let p = all(f, 0).unwrap();
        assert_eq!(p[0].0, PacketHeader::new(5, 6, 2, 2));
        assert_eq!(p[0].1, b"hi");
    }

    #[test]
    fn old_versions_swap_lengths() {
        let f = file(false, TCPDUMP_MAGIC, (2, 2), 100, 1, &[(1, 2, 60, 3, b"abc")]);
        assert_eq!(all(f, 0).unwrap()[0].0, PacketHeader::new(1, 2, 3, 60));
        // 2.3: swapped only when caplen > len.
        let f = file(false, TCPDUMP_MAGIC, (2, 3), 100, 1, &[(1, 2, 60, 3, b"abc"), (1, 2, 3, 60, b"def")]);
        let p = all(f, 0).unwrap();
        assert_eq!((p[0].0.caplen, p[0].0.len, p[1].0.caplen, p[1].0.len), (3, 60, 3, 60));
    }

    #[test]
    fn caplen_rules() {
        let big = vec![0u8; 300_000];
        let f = file(false, TCPDUMP_MAGIC, (2, 4), 65535, 1, &[(1, 2, 300_000, 300_000, &big)]);
        assert_eq!(all(f, 0).unwrap_err().message, "invalid packet capture length 300000, bigger than snaplen of 65535");
        let f = file(false, TCPDUMP_MAGIC, (2, 4), 0x7fff_ffff, 1, &[(1, 2, 300_000, 300_000, &big)]);
        assert_eq!(all(f, 0).unwrap_err().message, "invalid packet capture length 300000, bigger than maximum of 262144");
        // Above the file's snaplen but sane: cut to the snaplen.
        let f = file(false, TCPDUMP_MAGIC, (2, 4), 4, 1, &[(1, 2, 6, 6, b"abcdef"), (3, 4, 1, 1, b"z")]);
        let p = all(f, 0).unwrap();
        assert_eq!((p[0].0.caplen, p[0].0.len, p[0].1.as_slice()), (4, 6, &b"abcd"[..]));
        assert_eq!(p[1].1, b"z");
    }

    #[test]
    fn truncations() {
        let f = file(false, TCPDUMP_MAGIC, (2, 4), 65535, 1, &[(1, 2, 10, 10, b"abc")]);
        assert_eq!(all(f.clone(), 0).unwrap_err().message, "truncated dump file; tried to read 10 captured bytes, only got 3");
        assert_eq!(all(f[..30].to_vec(), 0).unwrap_err().message, "truncated dump file; tried to read 16 header bytes, only got 6");
        let f = file(false, TCPDUMP_MAGIC, (2, 4), 4, 1, &[(1, 2, 10, 10, b"abcdef")]);
        assert_eq!(all(f.clone(), 0).unwrap_err().message, "truncated dump file; tried to read 10 captured bytes, only got 6");
        assert_eq!(all(f[..42].to_vec(), 0).unwrap_err().message, "truncated dump file; tried to read 4 captured bytes, only got 2");
        // A header alone is a valid, empty file.
        assert!(all(f[..24].to_vec(), 0).unwrap().is_empty());
    }
}

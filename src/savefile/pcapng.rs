//! pcapng savefiles, reading: sections (each in its own byte order as far as
//! libpcap allows: a file may not change order between sections), interfaces
//! with `if_tsresol` and `if_tsoffset`, Enhanced, Simple and obsolete Packet
//! blocks; every other block is skipped. The rules for refusing a file, and
//! their words, are libpcap 1.10's (`sf-pcapng.c`).

use super::source::{Source, Span, Taken};
use super::{adjust_snapshot, precision_from, read_error, ByteOrder, FileInfo};
use crate::dlt;
use crate::error::{Error, Result};
use crate::packet::{PacketHeader, Precision, Timeval};

pub const BT_SHB: u32 = 0x0a0d_0d0a;
pub const BT_IDB: u32 = 0x0000_0001;
pub const BT_PB: u32 = 0x0000_0002;
pub const BT_SPB: u32 = 0x0000_0003;
pub const BT_EPB: u32 = 0x0000_0006;
pub const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

pub const OPT_ENDOFOPT: u16 = 0;
pub const IF_TSRESOL: u16 = 9;
pub const IF_TSOFFSET: u16 = 14;

/// Block header (type, total length) and trailer (total length).
const BLOCK_HEADER_LEN: usize = 8;
const BLOCK_TRAILER_LEN: usize = 4;
/// Block header + fixed SHB part + trailer.
const SHB_MIN_LEN: u32 = 28;
const SHB_INSANE_MAX: u32 = 1024 * 1024;
const INITIAL_MAX_BLOCKSIZE: u32 = 16 * 1024 * 1024;

/// The largest block libpcap accepts once it knows the link type: an EPB
/// with the largest packet of that type and 128 KiB of options.
fn max_blocksize_for(max_snaplen: u32) -> u32 {
    (BLOCK_HEADER_LEN as u32 + 20 + BLOCK_TRAILER_LEN as u32 + 131_072).saturating_add(max_snaplen)
}

/// How an interface's timestamp fraction becomes the caller's precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    PassThrough,
    /// Power-of-ten resolution below the caller's: multiply.
    UpDecimal(u64),
    /// Power-of-ten resolution above the caller's: divide.
    DownDecimal(u64),
    /// Power-of-two resolution: fraction * wanted / resolution.
    Binary,
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    tsresol: u64,
    tsoffset: u64,
    scale: Scale,
}

/// The state of a pcapng reader.
#[derive(Debug)]
pub struct NgReader {
    order: ByteOrder,
    /// Ticks per second the caller wants (10^6 or 10^9).
    wanted: u64,
    max_blocksize: u32,
    /// The current section's interfaces.
    interfaces: Vec<Interface>,
    linktype: i32,
    snapshot: i32,
}

/// A block read whole: its type and its body (after the header, before the
/// trailer).
#[derive(Clone, Copy, Debug)]
struct Block {
    kind: u32,
    body: Span,
}

/// A read position inside a block body.
struct Cursor {
    at: Span,
    kind: u32,
}

impl Cursor {
    fn new(b: Block) -> Cursor {
        Cursor { at: b.body, kind: b.kind }
    }

    fn remaining(&self) -> usize {
        self.at.len
    }

    fn take(&mut self, n: usize) -> Result<Span> {
        if self.at.len < n {
            return Err(Error::msg(format!("block of type {} in pcapng dump file is too short", self.kind)));
        }
        let s = self.at.sub(0, n);
        self.at = self.at.sub(n, self.at.len - n);
        Ok(s)
    }
}

fn truncated(wanted: usize, got: usize) -> Error {
    Error::msg(format!("truncated pcapng dump file; tried to read {wanted} bytes, only got {got}"))
}

impl NgReader {
    /// Recognise a pcapng file by its first four bytes, read its Section
    /// Header Block and blocks up to the first Interface Description Block.
    /// `Ok(None)`: not a pcapng file.
    pub fn open(magic: [u8; 4], src: &mut Source, precision: u32) -> Result<Option<(NgReader, FileInfo)>> {
        if u32::from_ne_bytes(magic) != BT_SHB {
            return Ok(None);
        }
        let Taken::Full(s) = src.take(4).map_err(read_error)? else { return Ok(None) };
        let mut total = u32::from_ne_bytes(src.get(s).try_into().unwrap_or([0; 4]));
        let Taken::Full(s) = src.take(4).map_err(read_error)? else { return Ok(None) };
        let bom = u32::from_ne_bytes(src.get(s).try_into().unwrap_or([0; 4]));
        let swapped = if bom == BYTE_ORDER_MAGIC {
            false
        } else if bom.swap_bytes() == BYTE_ORDER_MAGIC {
            total = total.swap_bytes();
            true
        } else {
            return Ok(None);
        };
        if !(SHB_MIN_LEN..=SHB_INSANE_MAX).contains(&total) {
            return Err(Error::msg(format!(
                "Section Header Block in pcapng dump file has invalid length {SHB_MIN_LEN} < _{total}_ < {SHB_INSANE_MAX} (BT_SHB_INSANE_MAX)"
            )));
        }
        let precision = precision_from(precision)?;
        let wanted = match precision {
            Precision::Micro => 1_000_000,
            Precision::Nano => 1_000_000_000,
        };
        let order = ByteOrder { swapped };
        // Like libpcap, the first SHB is read to its stated length without
        // checking its trailer or alignment.
        let rest_len = total as usize - 12;
        let rest = match src.take(rest_len).map_err(read_error)? {
            Taken::Full(s) => s,
            Taken::Short(k) => return Err(truncated(rest_len, k)),
        };
        let b = src.get(rest);
        let (major, minor) = (order.u16(b, 0), order.u16(b, 2));
        if !(major == 1 && (minor == 0 || minor == 2)) {
            return Err(Error::msg(format!("unsupported pcapng savefile version {major}.{minor}")));
        }
        let mut r = NgReader {
            order,
            wanted,
            max_blocksize: INITIAL_MAX_BLOCKSIZE,
            interfaces: Vec::new(),
            linktype: 0,
            snapshot: 0,
        };
        let (linktype, snaplen) = loop {
            let Some(block) = r.read_block(src)? else {
                return Err(Error::msg("the capture file has no Interface Description Blocks"));
            };
            match block.kind {
                BT_IDB => {
                    let mut c = Cursor::new(block);
                    let (lt, snaplen) = r.idb_fixed(src, &mut c)?;
                    let i = r.interface(src, &mut c)?;
                    r.interfaces.push(i);
                    break (lt, snaplen);
                }
                BT_EPB | BT_SPB | BT_PB => {
                    return Err(Error::msg(
                        "the capture file has a packet block before any Interface Description Blocks",
                    ))
                }
                _ => {}
            }
        };
        r.linktype = dlt::linktype_to_dlt(linktype as i32);
        r.snapshot = adjust_snapshot(r.linktype, snaplen);
        r.max_blocksize = r.max_blocksize.max(max_blocksize_for(dlt::max_snaplen(r.linktype)));
        let info = FileInfo {
            linktype: r.linktype,
            linktype_ext: 0,
            snapshot: r.snapshot,
            swapped,
            version_major: major,
            version_minor: minor,
            precision,
        };
        Ok(Some((r, info)))
    }

    /// Read one whole block; `None` at a clean end of file.
    #[inline]
    fn read_block(&self, src: &mut Source) -> Result<Option<Block>> {
        // The common case, in place: a whole, well-formed block in a mapping
        // (exactly the blocks the checked path below accepts).
        if let Some(b) = src.unread() {
            if b.len() >= BLOCK_HEADER_LEN {
                let (kind, total) = (self.order.u32(b, 0), self.order.u32(b, 4));
                let t = total as usize;
                if total >= (BLOCK_HEADER_LEN + BLOCK_TRAILER_LEN) as u32
                    && total % 4 == 0
                    && total <= self.max_blocksize
                    && b.len() >= t
                    && self.order.u32(b, t - BLOCK_TRAILER_LEN) == total
                {
                    let block = src.consume(t);
                    let body = block.sub(BLOCK_HEADER_LEN, t - BLOCK_HEADER_LEN - BLOCK_TRAILER_LEN);
                    return Ok(Some(Block { kind, body }));
                }
            }
        }
        self.read_block_checked(src)
    }

    /// `read_block` with libpcap's reading and its errors.
    fn read_block_checked(&self, src: &mut Source) -> Result<Option<Block>> {
        let h = match src.take(BLOCK_HEADER_LEN).map_err(read_error)? {
            Taken::Full(s) => s,
            Taken::Short(0) => return Ok(None),
            Taken::Short(k) => return Err(truncated(BLOCK_HEADER_LEN, k)),
        };
        let b = src.get(h);
        let (kind, total) = (self.order.u32(b, 0), self.order.u32(b, 4));
        let min = (BLOCK_HEADER_LEN + BLOCK_TRAILER_LEN) as u32;
        if total < min {
            return Err(Error::msg(format!("block in pcapng dump file has a length of {total} < {min}")));
        }
        if total % 4 != 0 {
            return Err(Error::msg(format!(
                "block in pcapng dump file has a length of {total} that is not a multiple of 4"
            )));
        }
        if total > self.max_blocksize {
            return Err(Error::msg(format!("pcapng block size {total} > maximum {}", self.max_blocksize)));
        }
        let rest_len = total as usize - BLOCK_HEADER_LEN;
        let rest = match src.take(rest_len).map_err(read_error)? {
            Taken::Full(s) => s,
            Taken::Short(k) => return Err(truncated(rest_len, k)),
        };
        let body_len = rest_len - BLOCK_TRAILER_LEN;
        if self.order.u32(src.get(rest), body_len) != total {
            return Err(Error::msg("block total length in header and trailer don't match"));
        }
        Ok(Some(Block { kind, body: rest.sub(0, body_len) }))
    }

    /// The fixed part of an IDB: (LINKTYPE_*, snaplen).
    fn idb_fixed(&self, src: &Source, c: &mut Cursor) -> Result<(u16, u32)> {
        let f = c.take(8)?;
        let b = src.get(f);
        Ok((self.order.u16(b, 0), self.order.u32(b, 4)))
    }

    /// An interface's timestamp resolution and offset, from its options.
    fn interface(&self, src: &Source, c: &mut Cursor) -> Result<Interface> {
        let mut tsresol: u64 = 1_000_000;
        let mut binary = false;
        let mut tsoffset: u64 = 0;
        let (mut saw_tsresol, mut saw_tsoffset) = (false, false);
        while c.remaining() != 0 {
            let oh = c.take(4)?;
            let (code, len) = (self.order.u16(src.get(oh), 0), self.order.u16(src.get(oh), 2));
            let value = c.take((len as usize).div_ceil(4) * 4)?;
            let v = src.get(value);
            match code {
                OPT_ENDOFOPT => {
                    if len != 0 {
                        return Err(Error::msg(format!(
                            "Interface Description Block has opt_endofopt option with length {len} != 0"
                        )));
                    }
                    break;
                }
                IF_TSRESOL => {
                    if len != 1 {
                        return Err(Error::msg(format!(
                            "Interface Description Block has if_tsresol option with length {len} != 1"
                        )));
                    }
                    if saw_tsresol {
                        return Err(Error::msg("Interface Description Block has more than one if_tsresol option"));
                    }
                    saw_tsresol = true;
                    let r = v[0];
                    if r & 0x80 != 0 {
                        let shift = r & 0x7f;
                        if shift > 63 {
                            return Err(Error::msg(format!(
                                "Interface Description Block if_tsresol option resolution 2^-{shift} is too high"
                            )));
                        }
                        binary = true;
                        tsresol = 1u64 << shift;
                    } else {
                        if r > 19 {
                            return Err(Error::msg(format!(
                                "Interface Description Block if_tsresol option resolution 10^-{r} is too high"
                            )));
                        }
                        binary = false;
                        tsresol = 10u64.pow(r as u32);
                    }
                }
                IF_TSOFFSET => {
                    if len != 8 {
                        return Err(Error::msg(format!(
                            "Interface Description Block has if_tsoffset option with length {len} != 8"
                        )));
                    }
                    if saw_tsoffset {
                        return Err(Error::msg("Interface Description Block has more than one if_tsoffset option"));
                    }
                    saw_tsoffset = true;
                    tsoffset = self.order.u64(v, 0);
                }
                _ => {}
            }
        }
        let scale = if tsresol == self.wanted {
            Scale::PassThrough
        } else if binary {
            Scale::Binary
        } else if tsresol > self.wanted {
            Scale::DownDecimal(tsresol / self.wanted)
        } else {
            Scale::UpDecimal(self.wanted / tsresol)
        };
        Ok(Interface { tsresol, tsoffset, scale })
    }

    /// The next packet: its header into `h` and where its bytes are, or
    /// `None` at the end of the file.
    #[inline]
    pub fn next(&mut self, src: &mut Source, h: &mut PacketHeader) -> Result<Option<Span>> {
        let o = self.order;
        let (mut c, interface, t, caplen, len) = loop {
            let Some(block) = self.read_block(src)? else { return Ok(None) };
            let mut c = Cursor::new(block);
            match block.kind {
                BT_EPB => {
                    let f = c.take(20)?;
                    let b = src.get(f);
                    let t = (o.u32(b, 4) as u64) << 32 | o.u32(b, 8) as u64;
                    break (c, o.u32(b, 0), t, o.u32(b, 12), o.u32(b, 16));
                }
                BT_SPB => {
                    let f = c.take(4)?;
                    let len = o.u32(src.get(f), 0);
                    // No captured length: the packet up to the snapshot
                    // length; no timestamp; the first interface.
                    break (c, 0, 0, len.min(self.snapshot as u32), len);
                }
                BT_PB => {
                    let f = c.take(20)?;
                    let b = src.get(f);
                    let t = (o.u32(b, 4) as u64) << 32 | o.u32(b, 8) as u64;
                    break (c, o.u16(b, 0) as u32, t, o.u32(b, 12), o.u32(b, 16));
                }
                BT_IDB => {
                    let (lt, snaplen) = self.idb_fixed(src, &mut c)?;
                    // As libpcap 1.10 does: the first interface's DLT
                    // against this interface's raw LINKTYPE. The two are
                    // the same number for most link types; where they are
                    // not, a file is refused even when every interface has
                    // the first one's type (two LINKTYPE_RAW, 101,
                    // interfaces: DLT_RAW is 12), and a LINKTYPE equal to
                    // the first's DLT is accepted (101 then 12).
                    if lt as i32 != self.linktype {
                        return Err(Error::msg(format!(
                            "an interface has a type {lt} different from the type of the first interface"
                        )));
                    }
                    if adjust_snapshot(self.linktype, snaplen) != self.snapshot {
                        return Err(Error::msg(format!(
                            "an interface has a snapshot length {snaplen} different from the snapshot length of the first interface"
                        )));
                    }
                    let i = self.interface(src, &mut c)?;
                    self.interfaces.push(i);
                }
                BT_SHB => {
                    let f = c.take(16)?;
                    let b = src.get(f);
                    let bom = o.u32(b, 0);
                    if bom == BYTE_ORDER_MAGIC.swap_bytes() {
                        return Err(Error::msg("the file has sections with different byte orders"));
                    }
                    if bom != BYTE_ORDER_MAGIC {
                        return Err(Error::msg("the file has a section with a bad byte order magic field"));
                    }
                    let major = o.u16(b, 4);
                    if major != 1 {
                        return Err(Error::msg(format!("unknown pcapng savefile major version number {major}")));
                    }
                    // A new section brings its own interfaces.
                    self.interfaces.clear();
                }
                _ => {}
            }
        };
        let Some(&iface) = self.interfaces.get(interface as usize) else {
            return Err(Error::msg(format!(
                "a packet arrived on interface {interface}, but there's no Interface Description Block for that interface"
            )));
        };
        if caplen > self.snapshot as u32 {
            return Err(Error::msg(format!(
                "invalid packet capture length {caplen}, bigger than snaplen of {}",
                self.snapshot
            )));
        }
        let sec = (t / iface.tsresol).wrapping_add(iface.tsoffset);
        let frac = t % iface.tsresol;
        let frac = match iface.scale {
            Scale::PassThrough => frac,
            Scale::UpDecimal(f) => frac.wrapping_mul(f),
            Scale::DownDecimal(f) => frac / f,
            Scale::Binary => frac.wrapping_mul(self.wanted) / iface.tsresol,
        };
        let data = c.take(caplen as usize)?;
        // libpcap stores the fraction through an `int`.
        h.ts = Timeval { tv_sec: sec as libc::time_t, tv_usec: frac as u32 as i32 as libc::suseconds_t };
        h.caplen = caplen;
        h.len = len;
        Ok(Some(data))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds pcapng files block by block, in either byte order.
    pub struct Ng {
        pub swapped: bool,
        pub out: Vec<u8>,
    }

    impl Ng {
        pub fn new(swapped: bool) -> Ng {
            Ng { swapped, out: Vec::new() }
        }
        pub fn u16(&self, v: u16) -> [u8; 2] {
            if self.swapped { v.swap_bytes() } else { v }.to_ne_bytes()
        }
        pub fn u32(&self, v: u32) -> [u8; 4] {
            if self.swapped { v.swap_bytes() } else { v }.to_ne_bytes()
        }
        pub fn block(&mut self, kind: u32, body: &[u8]) -> &mut Ng {
            let mut b = body.to_vec();
            while b.len() % 4 != 0 {
                b.push(0);
            }
            let total = (b.len() + 12) as u32;
            let (k, t) = (self.u32(kind), self.u32(total));
            self.out.extend(k);
            self.out.extend(t);
            self.out.extend(b);
            self.out.extend(t);
            self
        }
        pub fn shb(&mut self, major: u16, minor: u16) -> &mut Ng {
            let mut b = Vec::new();
            b.extend(self.u32(BYTE_ORDER_MAGIC));
            b.extend(self.u16(major));
            b.extend(self.u16(minor));
            b.extend([0xff; 8]);
            self.block(BT_SHB, &b)
        }
        pub fn opt(&self, code: u16, v: &[u8]) -> Vec<u8> {
            let mut o = Vec::new();
            o.extend(self.u16(code));
            o.extend(self.u16(v.len() as u16));
            o.extend(v);
            while o.len() % 4 != 0 {
                o.push(0);
            }
            o
        }
        pub fn idb(&mut self, linktype: u16, snaplen: u32, opts: &[Vec<u8>]) -> &mut Ng {
            let mut b = Vec::new();
            b.extend(self.u16(linktype));
            b.extend([0, 0]);
            b.extend(self.u32(snaplen));
            for o in opts {
                b.extend(o);
            }
            self.block(BT_IDB, &b)
        }
        pub fn epb(&mut self, iface: u32, ts: u64, caplen: u32, len: u32, data: &[u8]) -> &mut Ng {
            let mut b = Vec::new();
            b.extend(self.u32(iface));
            b.extend(self.u32((ts >> 32) as u32));
            b.extend(self.u32(ts as u32));
            b.extend(self.u32(caplen));
            b.extend(self.u32(len));
            b.extend(data);
            self.block(BT_EPB, &b)
        }
        pub fn bytes(&self) -> Vec<u8> {
            self.out.clone()
        }
    }

    fn open(bytes: Vec<u8>, precision: u32) -> Result<(NgReader, FileInfo, Source)> {
        crate::savefile::testutil::open(bytes, precision)
    }

    fn all(bytes: Vec<u8>, precision: u32) -> Result<Vec<(PacketHeader, Vec<u8>)>> {
        crate::savefile::testutil::all::<NgReader>(bytes, precision)
    }

    fn err(bytes: Vec<u8>) -> String {
        match all(bytes, 0) {
            Err(e) => e.message,
            Ok(p) => panic!("accepted: {p:?}"),
        }
    }

    #[test]
    fn basic_and_swapped() {
        for swapped in [false, true] {
            let mut g = Ng::new(swapped);
            g.shb(1, 0).idb(1, 65535, &[]).epb(0, 1_500_000_250_000, 3, 64, b"abc");
            let (_, info, _) = open(g.bytes(), 0).unwrap();
            assert_eq!((info.linktype, info.snapshot, info.swapped, info.version_major), (1, 65535, swapped, 1));
            let p = all(g.bytes(), 0).unwrap();
            assert_eq!(p, vec![(PacketHeader::new(1_500_000, 250_000, 3, 64), b"abc".to_vec())]);
            assert_eq!(all(g.bytes(), 1).unwrap()[0].0.ts.tv_usec, 250_000_000);
        }
    }

    #[test]
    fn tsresol_and_tsoffset() {
        let mut g = Ng::new(false);
        let ns = g.opt(IF_TSRESOL, &[9]);
        let bin = g.opt(IF_TSRESOL, &[0x80 | 10]);
        let off = g.opt(IF_TSOFFSET, &100u64.to_ne_bytes());
        let end = g.opt(OPT_ENDOFOPT, &[]);
        g.shb(1, 0)
            .idb(1, 0, &[ns, off, end])
            .idb(1, 0, &[bin])
            .epb(0, 7_123_456_789, 0, 0, b"")
            .epb(1, 3 * 1024 + 512, 0, 0, b"");
        let p = all(g.bytes(), 1).unwrap();
        assert_eq!((p[0].0.ts.tv_sec, p[0].0.ts.tv_usec), (107, 123_456_789));
        assert_eq!((p[1].0.ts.tv_sec, p[1].0.ts.tv_usec), (3, 500_000_000));
        let p = all(g.bytes(), 0).unwrap();
        assert_eq!((p[0].0.ts.tv_sec, p[0].0.ts.tv_usec), (107, 123_456));
        assert_eq!((p[1].0.ts.tv_sec, p[1].0.ts.tv_usec), (3, 500_000));
        // Milliseconds scale up.
        let mut g = Ng::new(false);
        let ms = g.opt(IF_TSRESOL, &[3]);
        g.shb(1, 0).idb(1, 0, &[ms]).epb(0, 1234, 0, 0, b"");
        assert_eq!(all(g.bytes(), 0).unwrap()[0].0.ts.tv_usec, 234_000);
    }

    #[test]
    fn sections_simple_and_obsolete_blocks_unknown_blocks() {
        let mut g = Ng::new(true);
        g.shb(1, 0).block(0x0bad, b"unknown").idb(1, 100, &[]);
        let mut spb = Vec::new();
        spb.extend(g.u32(200));
        spb.extend([1u8; 100]);
        g.block(BT_SPB, &spb);
        g.shb(1, 2).idb(1, 100, &[]);
        let mut pb = Vec::new();
        pb.extend(g.u16(0));
        pb.extend(g.u16(0));
        pb.extend(g.u32(0));
        pb.extend(g.u32(5_000_001));
        pb.extend(g.u32(2));
        pb.extend(g.u32(9));
        pb.extend(b"pb");
        g.block(BT_PB, &pb);
        let p = all(g.bytes(), 0).unwrap();
        assert_eq!(p[0].0, PacketHeader::new(0, 0, 100, 200));
        assert_eq!(p[0].1, vec![1u8; 100]);
        assert_eq!(p[1].0, PacketHeader::new(5, 1, 2, 9));
        assert_eq!(p[1].1, b"pb");
    }

    #[test]
    fn refusals() {
        let base = |g: &mut Ng| {
            g.shb(1, 0).idb(1, 100, &[]);
        };
        let mut g = Ng::new(false);
        base(&mut g);
        g.idb(113, 100, &[]);
        assert_eq!(err(g.bytes()), "an interface has a type 113 different from the type of the first interface");
        // The first interface's DLT against the later one's LINKTYPE.
        let mut g = Ng::new(false);
        g.shb(1, 0).idb(101, 0, &[]).idb(101, 0, &[]);
        assert_eq!(err(g.bytes()), "an interface has a type 101 different from the type of the first interface");
        let mut g = Ng::new(false);
        g.shb(1, 0).idb(101, 0, &[]).idb(12, 0, &[]).epb(1, 0, 1, 1, b"E");
        assert_eq!(all(g.bytes(), 0).unwrap().len(), 1);
        let mut g = Ng::new(false);
        base(&mut g);
        g.idb(1, 200, &[]);
        assert_eq!(
            err(g.bytes()),
            "an interface has a snapshot length 200 different from the snapshot length of the first interface"
        );
        let mut g = Ng::new(false);
        base(&mut g);
        g.epb(1, 0, 0, 0, b"");
        assert_eq!(
            err(g.bytes()),
            "a packet arrived on interface 1, but there's no Interface Description Block for that interface"
        );
        // A new section forgets the old interfaces.
        let mut g = Ng::new(false);
        base(&mut g);
        g.shb(1, 0).epb(0, 0, 0, 0, b"");
        assert_eq!(
            err(g.bytes()),
            "a packet arrived on interface 0, but there's no Interface Description Block for that interface"
        );
        let mut g = Ng::new(false);
        base(&mut g);
        g.shb(2, 0);
        assert_eq!(err(g.bytes()), "unknown pcapng savefile major version number 2");
        let mut g = Ng::new(false);
        base(&mut g);
        g.epb(0, 0, 101, 101, &[0; 101]);
        assert_eq!(err(g.bytes()), "invalid packet capture length 101, bigger than snaplen of 100");
        let mut g = Ng::new(false);
        base(&mut g);
        g.epb(0, 0, 50, 50, &[0; 10]);
        assert_eq!(err(g.bytes()), "block of type 6 in pcapng dump file is too short");
        let mut g = Ng::new(false);
        g.shb(1, 0).epb(0, 0, 0, 0, b"");
        assert_eq!(
            all(g.bytes(), 0).unwrap_err().message,
            "the capture file has a packet block before any Interface Description Blocks"
        );
        let mut g = Ng::new(false);
        g.shb(1, 0);
        assert_eq!(all(g.bytes(), 0).unwrap_err().message, "the capture file has no Interface Description Blocks");
        let mut g = Ng::new(false);
        g.shb(1, 1);
        assert_eq!(all(g.bytes(), 0).unwrap_err().message, "unsupported pcapng savefile version 1.1");
        // A second section in the other byte order.
        let mut g = Ng::new(false);
        base(&mut g);
        let mut h = Ng::new(true);
        h.shb(1, 0);
        g.out.extend(h.out);
        assert!(err(g.bytes()).starts_with("pcapng block size "));
    }

    #[test]
    fn bad_lengths() {
        let mut g = Ng::new(false);
        g.shb(1, 0).idb(1, 100, &[]);
        let good = g.bytes();
        let mut b = good.clone();
        b.extend(6u32.to_ne_bytes());
        b.extend(8u32.to_ne_bytes());
        assert_eq!(err(b), "block in pcapng dump file has a length of 8 < 12");
        let mut b = good.clone();
        b.extend(6u32.to_ne_bytes());
        b.extend(14u32.to_ne_bytes());
        assert_eq!(err(b), "block in pcapng dump file has a length of 14 that is not a multiple of 4");
        let mut b = good.clone();
        b.extend(6u32.to_ne_bytes());
        b.extend(0x7fff_fff0u32.to_ne_bytes());
        assert_eq!(err(b), "pcapng block size 2147483632 > maximum 16777216");
        let mut b = good.clone();
        b.extend(6u32.to_ne_bytes());
        b.extend(32u32.to_ne_bytes());
        b.extend([0u8; 10]);
        assert_eq!(err(b), "truncated pcapng dump file; tried to read 24 bytes, only got 10");
        let mut b = good.clone();
        b.extend(6u32.to_ne_bytes());
        assert_eq!(err(b), "truncated pcapng dump file; tried to read 8 bytes, only got 4");
        let mut b = good.clone();
        b.extend(0x0badu32.to_ne_bytes());
        b.extend(12u32.to_ne_bytes());
        b.extend(16u32.to_ne_bytes());
        assert_eq!(err(b), "block total length in header and trailer don't match");
        // SHB length checks at open.
        let mut s = good.clone();
        s[4..8].copy_from_slice(&20u32.to_ne_bytes());
        assert_eq!(
            open(s, 0).unwrap_err().message,
            "Section Header Block in pcapng dump file has invalid length 28 < _20_ < 1048576 (BT_SHB_INSANE_MAX)"
        );
        let mut s = good.clone();
        s[4..8].copy_from_slice(&4000u32.to_ne_bytes());
        assert_eq!(open(s, 0).unwrap_err().message, "truncated pcapng dump file; tried to read 3988 bytes, only got 36");
        assert_eq!(open(good, 9).unwrap_err().message, "unknown time stamp resolution 9");
    }

    #[test]
    fn option_errors() {
        let cases: [(Vec<u8>, &str); 6] = [
            ([vec![0, 0, 4, 0], vec![0; 4]].concat(), "Interface Description Block has opt_endofopt option with length 4 != 0"),
            ([vec![9, 0, 2, 0], vec![0; 4]].concat(), "Interface Description Block has if_tsresol option with length 2 != 1"),
            (vec![9, 0, 1, 0, 20, 0, 0, 0], "Interface Description Block if_tsresol option resolution 10^-20 is too high"),
            (vec![9, 0, 1, 0, 0xc0, 0, 0, 0], "Interface Description Block if_tsresol option resolution 2^-64 is too high"),
            (vec![9, 0, 1, 0, 6, 0, 0, 0, 9, 0, 1, 0, 6, 0, 0, 0], "Interface Description Block has more than one if_tsresol option"),
            (vec![14, 0, 4, 0, 0, 0, 0, 0], "Interface Description Block has if_tsoffset option with length 4 != 8"),
        ];
        for (opts, msg) in cases {
            let mut g = Ng::new(false);
            g.shb(1, 0).idb(1, 100, &[opts]);
            assert_eq!(open(g.bytes(), 0).unwrap_err().message, msg);
        }
        let mut g = Ng::new(false);
        g.shb(1, 0).idb(1, 100, &[vec![2, 0, 40, 0]]);
        assert_eq!(open(g.bytes(), 0).unwrap_err().message, "block of type 1 in pcapng dump file is too short");
    }

    #[test]
    fn not_pcapng() {
        let mut src = Source::memory(vec![1, 2]);
        assert!(NgReader::open(BT_SHB.to_ne_bytes(), &mut src, 0).unwrap().is_none());
        let mut src = Source::memory(vec![0, 0, 0, 0, 1, 2, 3, 4]);
        assert!(NgReader::open(BT_SHB.to_ne_bytes(), &mut src, 0).unwrap().is_none());
    }
}

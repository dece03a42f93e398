//! A packet the kernel has handed to user space, still in ring memory: its
//! header fields, read from the ring when asked for (delivery needs only a
//! few of them per packet), and its bytes, with the two in-place edits
//! delivery needs (prepend a cooked header, insert a VLAN tag), each
//! bounds-checked against the headroom the frame really has.

use std::marker::PhantomData;

use super::{read_u16, read_u32, read_u8};

/// The `sockaddr_ll` the kernel writes after each frame header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkAddr {
    /// Network byte order, as the kernel stores it.
    pub protocol_be: u16,
    pub ifindex: i32,
    pub hatype: u16,
    pub pkttype: u8,
    pub halen: u8,
    pub addr: [u8; 8],
}

/// Per-packet metadata decoded from the frame header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlotMeta {
    /// `tp_status` (TP_STATUS_* flags).
    pub status: u32,
    /// Original length on the wire (`tp_len`).
    pub wire_len: u32,
    pub sec: u32,
    /// Nanoseconds (V1's microseconds are scaled).
    pub nsec: u32,
    pub vlan_tci: u16,
    pub vlan_tpid: u16,
    /// V3 only (with TP_FT_REQ_FILL_RXHASH), else 0.
    pub rxhash: u32,
    pub link: LinkAddr,
}

impl SlotMeta {
    /// TP_STATUS_VLAN_VALID, or a non-zero TCI (kernels that predate the flag).
    pub fn vlan_valid(&self) -> bool {
        vlan_present(self.status, self.vlan_tci)
    }

    /// The VLAN tag the kernel took off, as (TPID, TCI), if any.
    pub fn vlan(&self) -> Option<(u16, u16)> {
        self.vlan_valid().then(|| (self.vlan_tpid_or_default(), self.vlan_tci))
    }

    /// Which clock stamped the packet.
    pub fn ts_source(&self) -> TsSource {
        TsSource::of(self.status)
    }

    /// Nanoseconds since the epoch.
    pub fn ts_ns(&self) -> u64 {
        self.sec as u64 * 1_000_000_000 + self.nsec as u64
    }

    /// The tag's TPID, 0x8100 when the kernel did not say.
    pub fn vlan_tpid_or_default(&self) -> u16 {
        vlan_tpid(self.status, self.vlan_tpid)
    }
}

/// Whether a header carries a VLAN tag the kernel took off:
/// TP_STATUS_VLAN_VALID, or a non-zero TCI (kernels that predate the flag).
#[inline]
fn vlan_present(status: u32, tci: u16) -> bool {
    status & libc::TP_STATUS_VLAN_VALID != 0 || tci != 0
}

/// A tag's TPID: the header's when TP_STATUS_VLAN_TPID_VALID says it is
/// there, else 0x8100.
#[inline]
fn vlan_tpid(status: u32, tpid: u16) -> u16 {
    if status & libc::TP_STATUS_VLAN_TPID_VALID != 0 && tpid != 0 {
        tpid
    } else {
        0x8100
    }
}

/// Where each field of a frame or packet header is, for one TPACKET
/// version (`struct tpacket_hdr`, `tpacket2_hdr`, `tpacket3_hdr`), and where
/// the `sockaddr_ll` after it starts. Delivery reads only the fields it needs
/// for each packet, straight from ring memory.
#[derive(Debug)]
pub struct HeaderFormat {
    pub(super) status: usize,
    /// V1's `tp_status` is an `unsigned long`; the flags are its low 32 bits.
    status64: bool,
    pub(super) len: usize,
    pub(super) snaplen: usize,
    pub(super) mac: usize,
    pub(super) sec: usize,
    pub(super) frac: usize,
    /// V1 stores microseconds.
    pub(super) frac_is_usec: bool,
    /// V2 and V3 carry the VLAN TCI and TPID.
    vlan: Option<(usize, usize)>,
    /// V3 carries the flow hash.
    rxhash: Option<usize>,
    /// V3 chains packets with `tp_next_offset` (0 on transmit).
    pub(super) next: Option<usize>,
    pub(super) sll: usize,
}

impl HeaderFormat {
    pub const V1: HeaderFormat =
        HeaderFormat { status: 0, status64: true, len: 8, snaplen: 12, mac: 16, sec: 20, frac: 24, frac_is_usec: true, vlan: None, rxhash: None, next: None, sll: 32 };
    pub const V2: HeaderFormat = HeaderFormat {
        status: 0,
        status64: false,
        len: 4,
        snaplen: 8,
        mac: 12,
        sec: 16,
        frac: 20,
        frac_is_usec: false,
        vlan: Some((24, 26)),
        rxhash: None,
        next: None,
        sll: 32,
    };
    pub const V3: HeaderFormat = HeaderFormat {
        status: 20,
        status64: false,
        len: 16,
        snaplen: 12,
        mac: 24,
        sec: 4,
        frac: 8,
        frac_is_usec: false,
        vlan: Some((32, 36)),
        rxhash: Some(28),
        next: Some(0),
        sll: 48,
    };

    pub fn of(v: super::Version) -> &'static HeaderFormat {
        match v {
            super::Version::V1 => &HeaderFormat::V1,
            super::Version::V2 => &HeaderFormat::V2,
            super::Version::V3 => &HeaderFormat::V3,
        }
    }

    /// Where the TP_STATUS_* flags are: V1's `unsigned long` keeps them in
    /// its low half.
    const fn status_at(&self) -> usize {
        if self.status64 && cfg!(target_endian = "big") {
            self.status + 4
        } else {
            self.status
        }
    }

    /// The width of the status word, for the atomic handover.
    pub(super) fn status_width(&self) -> super::status::Width {
        if self.status64 {
            super::status::Width::U64
        } else {
            super::status::Width::U32
        }
    }

    /// The end of the `sockaddr_ll`: the lowest byte delivery may write.
    pub(super) const fn sll_end(&self) -> usize {
        self.sll + 20
    }

    /// `tp_snaplen` and `tp_mac`, which bound the packet.
    ///
    /// # Safety
    /// `hdr` must point to a readable header of this format.
    #[inline]
    pub(super) unsafe fn extent(&self, hdr: *const u8) -> (usize, usize) {
        // SAFETY: both fields lie within the header (caller's contract).
        unsafe { (read_u16(hdr, self.mac) as usize, read_u32(hdr, self.snaplen) as usize) }
    }
}

/// Which clock stamped a received packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsSource {
    Software,
    Hardware,
}

impl TsSource {
    /// From a header's `tp_status`: the kernel marks NIC stamps
    /// (TP_STATUS_TS_RAW_HARDWARE, or the old SYS_HARDWARE); anything else
    /// is the host's clock (TP_STATUS_TS_SOFTWARE, or the packet socket's
    /// own fallback when no source was asked for).
    pub fn of(status: u32) -> TsSource {
        if status & (libc::TP_STATUS_TS_RAW_HARDWARE | libc::TP_STATUS_TS_SYS_HARDWARE) != 0 {
            TsSource::Hardware
        } else {
            TsSource::Software
        }
    }
}

/// Where a handed-out packet's bytes are: kept by the ring, so that after a
/// [`Slot`] is dropped the ring can still show the delivered bytes (their
/// final extents, after in-place edits) and header until it takes the next
/// packet.
#[derive(Clone, Copy, Debug)]
pub struct SlotPos {
    /// Start of the frame (V1/V2) or packet header (V3).
    base: *mut u8,
    fmt: &'static HeaderFormat,
    /// Offsets from `base`: the data, and the lowest byte we may write
    /// (the end of the `sockaddr_ll`: everything before it is the header).
    start: usize,
    len: usize,
    floor: usize,
}

impl SlotPos {
    /// # Safety
    /// `base .. base + start + len` must lie in ring memory owned by user
    /// space for as long as the position is used, with a header of format
    /// `fmt` at `base` and `fmt.sll_end() <= floor <= start`.
    #[inline]
    pub(crate) unsafe fn new(base: *mut u8, fmt: &'static HeaderFormat, start: usize, len: usize, floor: usize) -> SlotPos {
        debug_assert!(fmt.sll_end() <= floor && floor <= start);
        SlotPos { base, fmt, start, len, floor }
    }

    /// The bytes at this position.
    ///
    /// # Safety
    /// The frame or block must still be user-owned (not handed back).
    #[inline]
    pub(crate) unsafe fn bytes<'a>(&self) -> &'a [u8] {
        // SAFETY: caller's contract plus the constructor's bounds.
        unsafe { std::slice::from_raw_parts(self.base.add(self.start), self.len) }
    }

    /// The header's metadata, all fields decoded.
    ///
    /// # Safety
    /// As for [`SlotPos::bytes`].
    pub(crate) unsafe fn meta(&self) -> SlotMeta {
        // SAFETY: caller's contract: the header is readable user-owned memory.
        unsafe { decode(self.base, self.fmt) }
    }
}

/// Decode a whole header.
///
/// # Safety
/// `h` must point to a readable header of format `f` and its `sockaddr_ll`.
unsafe fn decode(h: *const u8, f: &HeaderFormat) -> SlotMeta {
    // SAFETY: every offset lies within the header or the sockaddr_ll after
    // it (caller's contract).
    unsafe {
        let frac = read_u32(h, f.frac);
        let (vlan_tci, vlan_tpid) = match f.vlan {
            Some((tci, tpid)) => (read_u16(h, tci), read_u16(h, tpid)),
            None => (0, 0),
        };
        SlotMeta {
            status: read_u32(h, f.status_at()),
            wire_len: read_u32(h, f.len),
            sec: read_u32(h, f.sec),
            nsec: if f.frac_is_usec { frac.wrapping_mul(1000) } else { frac },
            vlan_tci,
            vlan_tpid,
            rxhash: f.rxhash.map_or(0, |o| read_u32(h, o)),
            link: read_link(h.add(f.sll)),
        }
    }
}

/// Decode a `sockaddr_ll`.
///
/// # Safety
/// `p` must point to 20 readable bytes.
unsafe fn read_link(p: *const u8) -> LinkAddr {
    let mut addr = [0u8; 8];
    // SAFETY: 8 bytes at offset 12 are within the 20 the caller guarantees.
    unsafe { std::ptr::copy_nonoverlapping(p.add(12), addr.as_mut_ptr(), 8) };
    // SAFETY: each field lies within the 20 bytes.
    unsafe {
        LinkAddr {
            protocol_be: read_u16(p, 2),
            ifindex: read_u32(p, 4) as i32,
            hatype: read_u16(p, 8),
            pkttype: read_u8(p, 10),
            halen: read_u8(p, 11),
            addr,
        }
    }
}

/// One packet in ring memory, borrowed from the ring until consumed.
#[derive(Debug)]
pub struct Slot<'r> {
    pos: &'r mut SlotPos,
    _ring: PhantomData<&'r mut [u8]>,
}

impl<'r> Slot<'r> {
    /// # Safety
    /// `pos` must describe user-owned ring memory for `'r` (see
    /// [`SlotPos::new`]).
    #[inline]
    pub(crate) unsafe fn new(pos: &'r mut SlotPos) -> Slot<'r> {
        Slot { pos, _ring: PhantomData }
    }

    /// Read a header field.
    #[inline]
    fn u32_at(&self, off: usize) -> u32 {
        // SAFETY: the header is user-owned ring memory for 'r (constructor's
        // contract) and `off` is a field offset of its format.
        unsafe { read_u32(self.pos.base, off) }
    }

    /// `tp_status` (TP_STATUS_* flags).
    #[inline]
    pub fn status(&self) -> u32 {
        self.u32_at(self.pos.fmt.status_at())
    }

    /// Original length on the wire (`tp_len`).
    #[inline]
    pub fn wire_len(&self) -> u32 {
        self.u32_at(self.pos.fmt.len)
    }

    /// Seconds and nanoseconds.
    #[inline]
    pub fn ts(&self) -> (u32, u32) {
        let f = self.pos.fmt;
        let frac = self.u32_at(f.frac);
        (self.u32_at(f.sec), if f.frac_is_usec { frac.wrapping_mul(1000) } else { frac })
    }

    /// The VLAN tag the kernel took off, as (TPID, TCI), if any
    /// (TP_STATUS_VLAN_VALID, or a non-zero TCI on kernels that predate the
    /// flag; the TPID is 0x8100 when the kernel did not say).
    #[inline]
    pub fn vlan(&self) -> Option<(u16, u16)> {
        let (tci_at, tpid_at) = self.pos.fmt.vlan?;
        let status = self.status();
        // SAFETY: as in u32_at.
        let tci = unsafe { read_u16(self.pos.base, tci_at) };
        if !vlan_present(status, tci) {
            return None;
        }
        // SAFETY: as above.
        Some((vlan_tpid(status, unsafe { read_u16(self.pos.base, tpid_at) }), tci))
    }

    /// The flow hash (TPACKET_V3; 0 otherwise).
    #[inline]
    pub fn rxhash(&self) -> u32 {
        self.pos.fmt.rxhash.map_or(0, |o| self.u32_at(o))
    }

    /// From the `sockaddr_ll`: (ifindex, EtherType in host order, packet
    /// type), without decoding the rest of it.
    #[inline]
    pub fn origin(&self) -> (i32, u16, u8) {
        let sll = self.pos.fmt.sll;
        // SAFETY: the sockaddr_ll lies before `floor`, inside the user-owned
        // frame; these fields are within its 20 bytes.
        unsafe {
            (read_u32(self.pos.base, sll + 4) as i32, u16::from_be(read_u16(self.pos.base, sll + 2)), read_u8(self.pos.base, sll + 10))
        }
    }

    /// The `sockaddr_ll` after the header.
    #[inline]
    pub fn link(&self) -> LinkAddr {
        // SAFETY: the sockaddr_ll lies before `floor`, inside the user-owned
        // frame; it is never written by delivery.
        unsafe { read_link(self.pos.base.add(self.pos.fmt.sll)) }
    }

    /// Every header field, decoded.
    pub fn meta(&self) -> SlotMeta {
        // SAFETY: as in u32_at.
        unsafe { self.pos.meta() }
    }

    /// The packet bytes, for as long as the ring stays borrowed (until the
    /// next call that takes a packet or gives one back).
    #[inline]
    pub fn into_data(self) -> &'r [u8] {
        // SAFETY: the constructor's contract: these bytes are in user-owned
        // ring memory for 'r, and the slot's borrow of the ring is moved
        // into the returned slice.
        unsafe { self.pos.bytes() }
    }

    /// The packet bytes (caplen of them).
    pub fn data(&self) -> &[u8] {
        // SAFETY: the constructor's contract: these bytes are in user-owned
        // ring memory for 'r, and `&self` borrows the slot.
        unsafe { self.pos.bytes() }
    }

    pub fn len(&self) -> usize {
        self.pos.len
    }

    pub fn is_empty(&self) -> bool {
        self.pos.len == 0
    }

    /// Bytes free in front of the data.
    pub fn headroom(&self) -> usize {
        self.pos.start - self.pos.floor
    }

    /// Write `hdr` immediately in front of the data, which then starts there.
    /// False (and nothing written) when the frame has no room.
    pub fn prepend(&mut self, hdr: &[u8]) -> bool {
        if hdr.len() > self.headroom() {
            return false;
        }
        let p = &mut *self.pos;
        p.start -= hdr.len();
        p.len += hdr.len();
        // SAFETY: `start >= floor` after the check, so the destination lies in
        // the user-owned part of the frame; `hdr` is ordinary memory that
        // cannot overlap ring memory handed to us.
        unsafe { std::ptr::copy_nonoverlapping(hdr.as_ptr(), p.base.add(p.start), hdr.len()) };
        true
    }

    /// Overwrite data bytes `at .. at + bytes.len()`. False when out of range.
    pub fn overwrite(&mut self, at: usize, bytes: &[u8]) -> bool {
        if at.checked_add(bytes.len()).is_none_or(|end| end > self.pos.len) {
            return false;
        }
        let p = &mut *self.pos;
        // SAFETY: the range lies within the slot's data, in user-owned memory.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p.base.add(p.start + at), bytes.len()) };
        true
    }

    /// Insert `bytes` at offset `at` of the data, moving the first `at` bytes
    /// back into the headroom (libpcap's VLAN re-insertion). False when
    /// `at > len` or there is no room.
    pub fn insert(&mut self, at: usize, bytes: &[u8]) -> bool {
        if at > self.pos.len || bytes.len() > self.headroom() {
            return false;
        }
        let p = &mut *self.pos;
        let new_start = p.start - bytes.len();
        // SAFETY: source and destination lie within [floor, start + len), in
        // user-owned ring memory; `copy` handles the overlap.
        unsafe {
            std::ptr::copy(p.base.add(p.start), p.base.add(new_start), at);
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p.base.add(new_start + at), bytes.len());
        }
        p.start = new_start;
        p.len += bytes.len();
        true
    }
}

/// The packet a dispatch callback is looking at, for code that cannot borrow
/// the ring while the read loop does (the C shell's `ringcap_packet_meta`
/// inside a `pcap_dispatch` callback). One relaxed store per packet.
#[derive(Debug)]
pub struct CurrentPacket {
    hdr: std::sync::atomic::AtomicPtr<u8>,
    fmt: &'static HeaderFormat,
}

impl CurrentPacket {
    pub fn new(v: super::Version) -> CurrentPacket {
        CurrentPacket { hdr: std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()), fmt: HeaderFormat::of(v) }
    }

    #[inline]
    pub fn set(&self, slot: &Slot<'_>) {
        self.hdr.store(slot.pos.base, std::sync::atomic::Ordering::Relaxed);
    }

    #[inline]
    pub fn clear(&self) {
        self.hdr.store(std::ptr::null_mut(), std::sync::atomic::Ordering::Relaxed);
    }

    /// The metadata of the packet being delivered, if one is.
    ///
    /// # Safety
    /// Only on the thread running the read loop, from inside its callback:
    /// the packet's frame or block is user-owned until the callback returns.
    pub unsafe fn meta(&self) -> Option<SlotMeta> {
        let p = self.hdr.load(std::sync::atomic::Ordering::Relaxed);
        // SAFETY: caller's contract: `p` is the header of a user-owned packet.
        (!p.is_null()).then(|| unsafe { decode(p, self.fmt) })
    }
}

/// A packet in ordinary memory laid out like a TPACKET_V3 ring packet: a
/// header (written from a [`SlotMeta`] when a slot is taken), the
/// `sockaddr_ll`, `headroom` free bytes, the data. For code that processes
/// slots without a ring (delivery tests, fuzzing of the delivery path).
pub struct SlotBuf {
    /// u64s keep the header's fields aligned as in a ring.
    buf: Vec<u64>,
    headroom: usize,
    len: usize,
    /// Where the slot taken last is (its edits move it).
    pos: Option<SlotPos>,
}

impl SlotBuf {
    pub fn new(data: &[u8], headroom: usize) -> SlotBuf {
        let start = HeaderFormat::V3.sll_end() + headroom;
        let mut b = SlotBuf { buf: vec![0u64; (start + data.len()).div_ceil(8)], headroom, len: data.len(), pos: None };
        b.bytes_mut()[start..start + data.len()].copy_from_slice(data);
        b
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        let n = self.buf.len() * 8;
        // SAFETY: the Vec<u64> is owned, initialised, and exactly n bytes long.
        unsafe { std::slice::from_raw_parts_mut(self.buf.as_mut_ptr() as *mut u8, n) }
    }

    /// A slot over the buffer's current contents, with `meta` in its header.
    pub fn slot(&mut self, meta: SlotMeta) -> Slot<'_> {
        let f = &HeaderFormat::V3;
        let b = self.bytes_mut();
        let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        put(f.status_at(), &meta.status.to_ne_bytes());
        put(f.len, &meta.wire_len.to_ne_bytes());
        put(f.sec, &meta.sec.to_ne_bytes());
        put(f.frac, &meta.nsec.to_ne_bytes());
        let (tci, tpid) = f.vlan.expect("V3 has VLAN fields");
        put(tci, &meta.vlan_tci.to_ne_bytes());
        put(tpid, &meta.vlan_tpid.to_ne_bytes());
        put(f.rxhash.expect("V3 has rxhash"), &meta.rxhash.to_ne_bytes());
        let l = meta.link;
        put(f.sll + 2, &l.protocol_be.to_ne_bytes());
        put(f.sll + 4, &l.ifindex.to_ne_bytes());
        put(f.sll + 8, &l.hatype.to_ne_bytes());
        put(f.sll + 10, &[l.pkttype, l.halen]);
        put(f.sll + 12, &l.addr);
        let floor = f.sll_end();
        // SAFETY: the heap buffer is owned by self and borrowed mutably for
        // the slot's lifetime; it holds the header, the sockaddr_ll, the
        // headroom and the data, exactly as the position says.
        let pos = unsafe { SlotPos::new(self.buf.as_mut_ptr() as *mut u8, f, floor + self.headroom, self.len, floor) };
        // SAFETY: as above.
        unsafe { Slot::new(self.pos.insert(pos)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepend_and_insert_respect_headroom() {
        let mut buf = SlotBuf::new(b"abcdef", 8);
        let mut s = buf.slot(SlotMeta::default());
        assert_eq!(s.data(), b"abcdef");
        assert!(s.insert(2, b"XY"));
        assert_eq!(s.data(), b"abXYcdef");
        assert!(s.prepend(b"123"));
        assert_eq!(s.data(), b"123abXYcdef");
        assert_eq!(s.headroom(), 3);
        assert!(!s.prepend(b"1234"));
        assert!(!s.insert(100, b"Z"));
        assert_eq!(s.data(), b"123abXYcdef");
        assert_eq!(s.meta(), SlotMeta::default());
    }

    #[test]
    fn formats_match_the_kernel_headers() {
        use std::mem::offset_of;
        let v1 = &HeaderFormat::V1;
        assert_eq!(
            (v1.status, v1.len, v1.snaplen, v1.mac, v1.sec, v1.frac),
            (
                offset_of!(libc::tpacket_hdr, tp_status),
                offset_of!(libc::tpacket_hdr, tp_len),
                offset_of!(libc::tpacket_hdr, tp_snaplen),
                offset_of!(libc::tpacket_hdr, tp_mac),
                offset_of!(libc::tpacket_hdr, tp_sec),
                offset_of!(libc::tpacket_hdr, tp_usec)
            )
        );
        assert_eq!(v1.sll, libc::TPACKET_HDRLEN - std::mem::size_of::<libc::sockaddr_ll>());
        let v2 = &HeaderFormat::V2;
        assert_eq!(
            (v2.status, v2.len, v2.snaplen, v2.mac, v2.sec, v2.frac, v2.vlan),
            (
                offset_of!(libc::tpacket2_hdr, tp_status),
                offset_of!(libc::tpacket2_hdr, tp_len),
                offset_of!(libc::tpacket2_hdr, tp_snaplen),
                offset_of!(libc::tpacket2_hdr, tp_mac),
                offset_of!(libc::tpacket2_hdr, tp_sec),
                offset_of!(libc::tpacket2_hdr, tp_nsec),
                Some((offset_of!(libc::tpacket2_hdr, tp_vlan_tci), offset_of!(libc::tpacket2_hdr, tp_vlan_tpid)))
            )
        );
        assert_eq!(v2.sll, libc::TPACKET2_HDRLEN - std::mem::size_of::<libc::sockaddr_ll>());
        let v3 = &HeaderFormat::V3;
        let hv1 = offset_of!(libc::tpacket3_hdr, hv1);
        assert_eq!(
            (v3.status, v3.len, v3.snaplen, v3.mac, v3.sec, v3.frac, v3.rxhash, v3.vlan),
            (
                offset_of!(libc::tpacket3_hdr, tp_status),
                offset_of!(libc::tpacket3_hdr, tp_len),
                offset_of!(libc::tpacket3_hdr, tp_snaplen),
                offset_of!(libc::tpacket3_hdr, tp_mac),
                offset_of!(libc::tpacket3_hdr, tp_sec),
                offset_of!(libc::tpacket3_hdr, tp_nsec),
                Some(hv1 + offset_of!(libc::tpacket_hdr_variant1, tp_rxhash)),
                Some((hv1 + offset_of!(libc::tpacket_hdr_variant1, tp_vlan_tci), hv1 + offset_of!(libc::tpacket_hdr_variant1, tp_vlan_tpid)))
            )
        );
        assert_eq!(v3.sll, libc::TPACKET3_HDRLEN - std::mem::size_of::<libc::sockaddr_ll>());
        assert_eq!(v3.next, Some(offset_of!(libc::tpacket3_hdr, tp_next_offset)));
        assert_eq!(std::mem::size_of::<std::ffi::c_ulong>(), 8, "V1 status is 64-bit here");
    }

    #[test]
    fn header_fields_read_back_as_written() {
        let meta = SlotMeta {
            status: libc::TP_STATUS_USER | libc::TP_STATUS_VLAN_VALID | libc::TP_STATUS_VLAN_TPID_VALID,
            wire_len: 1514,
            sec: 1_700_000_000,
            nsec: 999_999_999,
            vlan_tci: 0x2064,
            vlan_tpid: 0x88a8,
            rxhash: 0xdead_beef,
            link: LinkAddr { protocol_be: 0x0800u16.to_be(), ifindex: 9, hatype: 1, pkttype: 3, halen: 6, addr: [1, 2, 3, 4, 5, 6, 7, 8] },
        };
        let mut buf = SlotBuf::new(b"xyz", 4);
        let s = buf.slot(meta);
        assert_eq!(s.meta(), meta);
        assert_eq!((s.status(), s.wire_len(), s.ts()), (meta.status, 1514, (1_700_000_000, 999_999_999)));
        assert_eq!(s.vlan(), Some((0x88a8, 0x2064)));
        assert_eq!(s.link(), meta.link);
        // No TPID flag: 802.1Q; no tag at all: None.
        let mut buf = SlotBuf::new(b"xyz", 4);
        assert_eq!(buf.slot(SlotMeta { status: libc::TP_STATUS_VLAN_VALID, vlan_tci: 7, vlan_tpid: 0x88a8, ..meta }).vlan(), Some((0x8100, 7)));
        let mut buf = SlotBuf::new(b"xyz", 4);
        assert_eq!(buf.slot(SlotMeta { status: 0, vlan_tci: 0, ..meta }).vlan(), None);
    }
}

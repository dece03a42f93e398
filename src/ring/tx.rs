//! The TX ring (PACKET_TX_RING) in TPACKET_V1, V2 or V3 frame layout: claim
//! the frame at the cursor when the kernel has made it available, fill it,
//! mark it TP_STATUS_SEND_REQUEST, kick the kernel with one `send()`, then
//! settle what the kernel did with every queued frame.
//!
//! The kernel walks the ring from its own head, which moves only past frames
//! it took (sent, or discarded under PACKET_LOSS). After a kick the queued
//! frames therefore read: taken (SENDING or AVAILABLE) up to the first one
//! the kernel stopped at, which is either TP_STATUS_WRONG_FORMAT (malformed)
//! or still TP_STATUS_SEND_REQUEST (send() failed there: device down, no
//! buffer, would block). [`TxRing::settle`] counts the taken ones;
//! [`TxRing::reclaim`] takes the rest back, so no frame the caller was told
//! had failed goes out with a later kick, and the cursor stays on the
//! kernel's head.
//!
//! V3 TX frames are fixed-size like V1/V2 (the kernel has no block transmit)
//! with `tpacket3_hdr` headers whose `tp_next_offset` must be 0.
//!
//! Linear mode (PACKET_VNET_HDR on the socket): each frame starts with a
//! `virtio_net_hdr` whose `hdr_len` is the whole packet, so the kernel copies
//! the packet into the skb's linear area instead of attaching the ring page
//! as a fragment. Devices that forward (veth, loopback) must copy such
//! fragments into fresh pages anyway, so on them this is one copy instead of
//! a page allocation and a copy per frame.

use std::io;
use std::sync::Arc;

use super::geometry::{self, GeometryError, Limits, RingGeometry, Version};
use super::socket::PacketSocket;
use super::slot::HeaderFormat;
use super::status;
use crate::sys::mmap::Mapping;

/// `sizeof(struct virtio_net_hdr)`.
pub const VNET_HDR_LEN: usize = 10;

/// `sizeof(struct sockaddr_ll)`, which the kernel's `tp_hdrlen` includes but
/// a TX frame does not hold.
const SOCKADDR_LL_LEN: u32 = 20;

const SEND_REQUEST: u64 = libc::TP_STATUS_SEND_REQUEST as u64;
const SENDING: u64 = libc::TP_STATUS_SENDING as u64;
const WRONG_FORMAT: u64 = libc::TP_STATUS_WRONG_FORMAT as u64;
const TS_SOFTWARE: u64 = libc::TP_STATUS_TS_SOFTWARE as u64;
const TS_RAW_HARDWARE: u64 = libc::TP_STATUS_TS_RAW_HARDWARE as u64;


/// Where the kernel looks for packet bytes by default: right after the
/// aligned frame header (`tp_hdrlen - sizeof(struct sockaddr_ll)`).
pub fn default_data_offset(v: Version) -> u32 {
    v.hdrlen() - SOCKADDR_LL_LEN
}

/// How packets are laid out in the frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxLayout {
    /// PACKET_TX_HAS_OFF: the packet (or its virtio header) starts this many
    /// bytes into the frame, written to `tp_mac`. None: the kernel's default.
    pub data_offset: Option<u32>,
    /// PACKET_VNET_HDR is on (linear mode).
    pub vnet: bool,
}

impl TxLayout {
    /// Offset of the first byte the kernel reads (virtio header or packet).
    pub fn offset(&self, v: Version) -> u32 {
        self.data_offset.unwrap_or_else(|| default_data_offset(v))
    }

    /// Bytes in front of the packet: offset plus virtio header.
    pub fn overhead(&self, v: Version) -> u32 {
        self.offset(v) + if self.vnet { VNET_HDR_LEN as u32 } else { 0 }
    }

    /// Check a PACKET_TX_HAS_OFF offset against the kernel's rule (at least
    /// the default offset, and room for a packet after it in the frame).
    pub fn check(&self, v: Version, frame_size: u32) -> Result<(), GeometryError> {
        if let Some(off) = self.data_offset {
            let min = default_data_offset(v);
            if off < min {
                return Err(GeometryError(format!(
                    "TX data offset {off} is inside the {v} frame header (at least {min})"
                )));
            }
        }
        if self.overhead(v) >= frame_size {
            return Err(GeometryError(format!(
                "TX frame size {frame_size} leaves no room for a packet after offset {}",
                self.overhead(v)
            )));
        }
        Ok(())
    }
}

/// The TX ring frame for packets of up to `max_packet` bytes: aligned, and
/// spread so that frames sharing a page use all of it (a 1518-byte packet
/// gets a 2048-byte frame, two per page, instead of 1568 with a hole).
pub fn frame_size_for(v: Version, layout: &TxLayout, max_packet: u32, page: u32) -> u32 {
    let need = geometry::tpacket_align(layout.overhead(v).saturating_add(max_packet));
    if need > page {
        return need;
    }
    let per_page = page / need;
    (page / per_page) & !(geometry::TPACKET_ALIGNMENT - 1)
}

/// A TX ring request: `frame_count` frames (at least) of `frame_size` bytes.
/// Blocks are powers of two from a page up, at most 32 KiB unless one frame
/// needs more (low-order allocations do not fail on a fragmented machine),
/// chosen to waste the least; the frame count is rounded up to whole
/// blocks. `reserve` is the socket's PACKET_RESERVE, which the kernel checks
/// TX frames against too.
pub fn plan(
    v: Version,
    frame_size: u32,
    frame_count: u32,
    reserve: u32,
    limits: &Limits,
) -> Result<RingGeometry, GeometryError> {
    if frame_size == 0 || frame_count == 0 {
        return Err(GeometryError(format!(
            "TX ring: frame size ({frame_size}) and frame count ({frame_count}) must both be non-zero"
        )));
    }
    let page = limits.page_size.max(4096);
    let smallest = frame_size.max(page).checked_next_power_of_two().unwrap_or(u32::MAX);
    let cap = smallest.max(32 << 10).min(limits.max_block().max(page));
    // A block holding every frame is as large as it needs to be.
    let block_size = geometry::least_waste_block(frame_size, smallest, cap, frame_count);
    let per_block = (block_size / frame_size).max(1);
    let blocks = frame_count.div_ceil(per_block);
    let g = RingGeometry {
        version: v,
        block_size,
        block_nr: blocks,
        frame_size,
        frame_nr: per_block.saturating_mul(blocks),
        retire_blk_tov: 0,
        sizeof_priv: 0,
        feature_req_word: 0,
    };
    geometry::validate(&g, reserve, limits)?;
    Ok(g)
}

/// A TX timestamp the kernel wrote into a completed frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxStamp {
    pub sec: u32,
    pub nsec: u32,
    pub source: StampSource,
}

/// Which clock stamped a transmitted frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StampSource {
    /// No timestamp: stamping is off, or the frame is not complete.
    #[default]
    None,
    Software,
    Hardware,
}

/// What the kernel did with the queued frames (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled {
    /// Frames the kernel took, from the front of the queue.
    pub taken: usize,
    /// The kernel marked the next queued frame TP_STATUS_WRONG_FORMAT.
    pub wrong_format: bool,
    /// Frames still queued after the taken ones (to reclaim or kick again).
    pub left: usize,
}

#[derive(Debug)]
pub struct TxRing {
    f: &'static HeaderFormat,
    /// Every frame's address (no division on the per-frame path).
    frames: Vec<*mut u8>,
    frame_size: usize,
    frame_nr: usize,
    layout: TxLayout,
    /// Where the first byte the kernel reads goes (virtio header or packet).
    offset: usize,
    /// The largest packet a frame holds.
    max_packet: usize,
    /// The next frame to fill; after a settle and reclaim, the kernel's head.
    cursor: usize,
    /// Frames filled and marked since the last settle: the `queued` frames
    /// just before the cursor.
    queued: usize,
    /// The mapping the ring lives in, kept alive as long as the ring.
    keep: Option<Arc<Mapping>>,
}

// SAFETY: the ring is plain shared memory kept alive by `keep`; ownership of
// each frame is decided by its status word, not by the thread holding the
// TxRing.
unsafe impl Send for TxRing {}

impl TxRing {
    /// The TX ring `offset` bytes into `map`, laid out by `g`; None when the
    /// mapping is too small for it or the layout does not fit the frames.
    pub fn mapped(map: Arc<Mapping>, offset: usize, g: &RingGeometry, layout: TxLayout) -> Option<TxRing> {
        let end = offset.checked_add(g.size())?;
        if end > map.len() || g.frame_size == 0 || g.block_size < g.frame_size || layout.check(g.version, g.frame_size).is_err() {
            return None;
        }
        // SAFETY: `offset + g.size() <= map.len()`, so the ring laid out by
        // `g` lies inside the mapping, which the ring keeps alive.
        let mut r = unsafe { TxRing::new(map.base().add(offset), g, layout) };
        r.keep = Some(map);
        Some(r)
    }

    /// # Safety
    /// `base` must point to a mapped TX ring laid out by `g` that outlives
    /// the returned ring, and `layout` must pass `layout.check`.
    pub unsafe fn new(base: *mut u8, g: &RingGeometry, layout: TxLayout) -> TxRing {
        let offset = layout.offset(g.version) as usize;
        let vnet = if layout.vnet { VNET_HDR_LEN } else { 0 };
        let per_block = g.frames_per_block() as usize;
        let frames = (0..g.frame_nr as usize)
            .map(|i| {
                let at = (i / per_block) * g.block_size as usize + (i % per_block) * g.frame_size as usize;
                // SAFETY: i < frame_nr, so the frame lies inside the ring
                // (block < block_nr, within * frame_size + frame_size <=
                // block_size), which the caller guarantees is mapped.
                unsafe { base.add(at) }
            })
            .collect();
        TxRing {
            f: HeaderFormat::of(g.version),
            frames,
            frame_size: g.frame_size as usize,
            frame_nr: g.frame_nr as usize,
            layout,
            offset,
            max_packet: (g.frame_size as usize).saturating_sub(offset + vnet),
            cursor: 0,
            queued: 0,
            keep: None,
        }
    }

    pub fn frame_count(&self) -> usize {
        self.frame_nr
    }

    pub fn frame_size(&self) -> usize {
        self.frame_size
    }

    pub fn layout(&self) -> TxLayout {
        self.layout
    }

    /// The largest packet one frame holds.
    pub fn max_packet(&self) -> usize {
        self.max_packet
    }

    /// Frames filled since the last settle.
    pub fn queued(&self) -> usize {
        self.queued
    }

    fn frame(&self, idx: usize) -> *mut u8 {
        self.frames[idx]
    }

    fn next(&self, idx: usize) -> usize {
        if idx + 1 == self.frame_nr {
            0
        } else {
            idx + 1
        }
    }

    fn status(&self, idx: usize) -> u64 {
        // SAFETY: the status word lies in the frame header, aligned to its
        // width (frames are 16-aligned, the word at 0 or 20 is 4- or 8-aligned).
        unsafe { status::load(self.frame(idx).add(self.f.status), self.f.status_width()) }
    }

    fn set_status(&self, idx: usize, v: u64) {
        // SAFETY: as in `status`; callers only store into frames the kernel
        // is not processing (available ones, or ones it left queued or
        // refused, which it touches only inside our own send()).
        unsafe { status::store(self.frame(idx).add(self.f.status), self.f.status_width(), v) }
    }

    /// The frame `n` (at most frame_nr) frames before the cursor.
    fn idx_back(&self, n: usize) -> usize {
        if n <= self.cursor {
            self.cursor - n
        } else {
            self.cursor + self.frame_nr - n
        }
    }

    /// Whether the frame at the cursor is ours to fill (the kernel neither
    /// holds it for sending nor left it marked; timestamp bits may be set).
    pub fn has_room(&self) -> bool {
        self.queued < self.frame_nr && self.status(self.cursor) & (SEND_REQUEST | SENDING | WRONG_FORMAT) == 0
    }

    /// Fill the frame at the cursor with `pkt` and mark it for sending.
    /// `Ok(false)`: the ring is full (the frame is still in flight). A packet
    /// longer than [`TxRing::max_packet`] is refused with its length.
    pub fn push(&mut self, pkt: &[u8]) -> Result<bool, usize> {
        if pkt.len() > self.max_packet {
            return Err(pkt.len());
        }
        if !self.has_room() {
            return Ok(false);
        }
        let f = self.frame(self.cursor);
        let off = self.offset;
        let vnet = if self.layout.vnet { VNET_HDR_LEN } else { 0 };
        let tp_len = (pkt.len() + vnet) as u32;
        // SAFETY: the frame is user-owned (no SEND_REQUEST/SENDING bits,
        // Acquire-loaded in has_room), and every write below stays inside it:
        // header fields within the first 48 bytes, which the frame size
        // (>= tp_hdrlen) covers, and off + vnet + pkt.len() <= frame_size
        // (max_packet). The status word is written last, with Release.
        unsafe {
            if let Some(n) = self.f.next {
                write_u32(f, n, 0);
            }
            write_u32(f, self.f.len, tp_len);
            write_u32(f, self.f.snaplen, tp_len);
            if self.layout.data_offset.is_some() {
                write_u16(f, self.f.mac, off as u16);
            }
            if self.layout.vnet {
                // virtio_net_hdr: flags 0, gso_type NONE, hdr_len = the whole
                // packet (little-endian: the kernel's vio_le() on x86 and
                // every little-endian host), gso_size, csum_start, csum_offset 0.
                let mut h = [0u8; VNET_HDR_LEN];
                h[2..4].copy_from_slice(&(pkt.len() as u16).to_le_bytes());
                std::ptr::copy_nonoverlapping(h.as_ptr(), f.add(off), VNET_HDR_LEN);
            }
            std::ptr::copy_nonoverlapping(pkt.as_ptr(), f.add(off + vnet), pkt.len());
        }
        self.set_status(self.cursor, SEND_REQUEST);
        self.cursor = self.next(self.cursor);
        self.queued += 1;
        Ok(true)
    }

    /// Hand every frame marked for sending to the kernel: one `send()` with
    /// no data and MSG_DONTWAIT, which returns once each frame went to the
    /// device or failed (a blocking one would also wait until every frame
    /// in flight completed, and could not be interrupted by a breakloop).
    /// Returns the bytes of the frames the kernel transmitted (discarded
    /// ones not counted: its `len_sum`). Call `settle` after it.
    pub fn kick(&self, sock: &PacketSocket) -> io::Result<usize> {
        sock.send(&[], libc::MSG_DONTWAIT)
    }

    /// Count the queued frames the kernel took and drop them from the queue.
    pub fn settle(&mut self) -> Settled {
        let mut idx = self.idx_back(self.queued);
        let mut taken = 0;
        let mut wrong_format = false;
        while taken < self.queued {
            let st = self.status(idx);
            if st & (SEND_REQUEST | WRONG_FORMAT) != 0 {
                wrong_format = st & WRONG_FORMAT != 0;
                break;
            }
            taken += 1;
            idx = self.next(idx);
        }
        self.queued -= taken;
        Settled { taken, wrong_format, left: self.queued }
    }

    /// Take back every frame still queued after a settle (they were not
    /// sent); the cursor returns to the first of them, the kernel's head.
    pub fn reclaim(&mut self) {
        let start = self.idx_back(self.queued);
        let mut idx = start;
        for _ in 0..self.queued {
            self.set_status(idx, libc::TP_STATUS_AVAILABLE as u64);
            idx = self.next(idx);
        }
        self.cursor = start;
        self.queued = 0;
    }

    /// The timestamp of the frame filled `back` pushes ago (1: the last
    /// one), once the kernel completed it; `StampSource::None` otherwise.
    pub fn stamp(&self, back: usize) -> TxStamp {
        if back == 0 || back > self.frame_nr {
            return TxStamp::default();
        }
        let idx = self.idx_back(back);
        let st = self.status(idx);
        if st & (SEND_REQUEST | SENDING | WRONG_FORMAT) != 0 {
            return TxStamp::default();
        }
        let source = if st & TS_RAW_HARDWARE != 0 {
            StampSource::Hardware
        } else if st & TS_SOFTWARE != 0 {
            StampSource::Software
        } else {
            return TxStamp::default();
        };
        let f = self.frame(idx);
        // SAFETY: the frame is completed (no SEND_REQUEST/SENDING, Acquire
        // load above), so the kernel wrote its timestamp before the status;
        // both fields lie in the header.
        let (sec, frac) = unsafe { (super::read_u32(f, self.f.sec), super::read_u32(f, self.f.frac)) };
        let nsec = if self.f.frac_is_usec { frac.saturating_mul(1000) } else { frac };
        TxStamp { sec, nsec, source }
    }

    /// Whether the frame filled `back` pushes ago has completed.
    pub fn completed(&self, back: usize) -> bool {
        back == 0 || back > self.frame_nr || self.status(self.idx_back(back)) & (SEND_REQUEST | SENDING) == 0
    }
}

/// # Safety
/// `p + off .. p + off + 4` must be writable user-owned ring memory.
unsafe fn write_u32(p: *mut u8, off: usize, v: u32) {
    // SAFETY: caller's contract; unaligned write tolerates any offset.
    unsafe { std::ptr::write_unaligned(p.add(off) as *mut u32, v) }
}

/// # Safety
/// `p + off .. p + off + 2` must be writable user-owned ring memory.
unsafe fn write_u16(p: *mut u8, off: usize, v: u16) {
    // SAFETY: caller's contract.
    unsafe { std::ptr::write_unaligned(p.add(off) as *mut u16, v) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits { page_size: 4096, max_order: 10 };

    #[test]
    fn default_data_offsets() {
        assert_eq!(default_data_offset(Version::V1), 32);
        assert_eq!(default_data_offset(Version::V2), 32);
        assert_eq!(default_data_offset(Version::V3), 48);
    }

    #[test]
    fn frames_hold_an_ethernet_mtu_and_fill_pages() {
        let lin = TxLayout { data_offset: None, vnet: true };
        for v in [Version::V1, Version::V2, Version::V3] {
            assert_eq!(frame_size_for(v, &lin, 1518, 4096), 2048);
            assert_eq!(frame_size_for(v, &TxLayout::default(), 1518, 4096), 2048);
        }
        assert_eq!(frame_size_for(Version::V2, &TxLayout::default(), 64, 4096), 96, "64 + 32, 42 per page");
        let jumbo = frame_size_for(Version::V3, &lin, 9018, 4096);
        assert_eq!(jumbo, geometry::tpacket_align(48 + 10 + 9018));
    }

    #[test]
    fn plan_rounds_frames_up_to_whole_blocks_with_little_waste() {
        let g = plan(Version::V2, 2048, 256, 4, &L).unwrap();
        assert_eq!((g.block_size, g.block_nr, g.frame_nr), (4096, 128, 256));
        let g = plan(Version::V3, 2048, 3, 4, &L).unwrap();
        assert_eq!((g.block_size, g.block_nr, g.frame_nr), (4096, 2, 4), "3 frames round up to 2 blocks");
        let g = plan(Version::V2, 1552, 100, 4, &L).unwrap();
        assert!(g.frame_nr >= 100);
        assert!((g.block_size % 1552) * 20 < g.block_size, "less than 5 % waste: {g:?}");
        let g = plan(Version::V3, 9088, 16, 4, &L).unwrap();
        assert!(g.block_size <= 32 << 10 && g.frames_per_block() >= 3, "{g:?}");
        assert_eq!(g.retire_blk_tov + g.sizeof_priv + g.feature_req_word, 0, "V3 TX rings have no block features");
        let big = plan(Version::V3, 65_616, 4, 4, &L).unwrap();
        assert_eq!(big.block_size, 128 << 10);
        assert!(plan(Version::V2, 0, 4, 4, &L).unwrap_err().0.contains("non-zero"));
        assert!(plan(Version::V2, 2040 + 4, 4, 4, &L).unwrap_err().0.contains("TPACKET_ALIGNMENT"));
        assert!(plan(Version::V2, 32, 4, 4, &L).unwrap_err().0.contains("frame header"));
    }

    #[test]
    fn layout_offsets_follow_the_kernel_rules() {
        let l = TxLayout { data_offset: Some(64), vnet: false };
        l.check(Version::V2, 2048).unwrap();
        assert_eq!(l.overhead(Version::V2), 64);
        let e = TxLayout { data_offset: Some(16), vnet: false }.check(Version::V2, 2048).unwrap_err();
        assert!(e.0.contains("inside the TPACKET_V2 frame header"), "{e}");
        assert!(TxLayout { data_offset: Some(2048), vnet: false }.check(Version::V2, 2048).is_err());
        assert_eq!(TxLayout { data_offset: Some(64), vnet: true }.overhead(Version::V3), 74);
    }

    /// Drive the state machine on plain memory, playing the kernel's part.
    #[test]
    fn push_settle_reclaim_on_plain_memory() {
        for v in [Version::V1, Version::V2, Version::V3] {
            const FS: usize = 1024;
            let g = RingGeometry {
                version: v,
                block_size: 4096,
                block_nr: 1,
                frame_size: FS as u32,
                frame_nr: 4,
                retire_blk_tov: 0,
                sizeof_priv: 0,
                feature_req_word: 0,
            };
            geometry::validate(&g, 4, &L).unwrap();
            let mut mem = vec![0u64; g.size() / 8];
            let base = mem.as_mut_ptr() as *mut u8;
            for vnet in [false, true] {
                let layout = TxLayout { data_offset: None, vnet };
                // SAFETY: `mem` holds g.size() bytes, 8-aligned, and outlives `r`.
                let mut r = unsafe { TxRing::new(base, &g, layout) };
                let f = HeaderFormat::of(v);
                let st = |i: usize| {
                    // SAFETY: frame i's status word lies inside `mem`.
                    unsafe { status::load(base.add(i * FS + f.status), f.status_width()) }
                };
                let set = |i: usize, s: u64| {
                    // SAFETY: as above.
                    unsafe { status::store(base.add(i * FS + f.status), f.status_width(), s) }
                };
                for i in 0..g.frame_nr as usize {
                    set(i, 0);
                }
                let max = r.max_packet();
                assert_eq!(max, FS - default_data_offset(v) as usize - if vnet { 10 } else { 0 });
                assert_eq!(r.push(&vec![1u8; max + 1]), Err(max + 1));
                let pkt: Vec<u8> = (0..max).map(|i| i as u8).collect();
                assert_eq!(r.push(&pkt), Ok(true));
                assert_eq!(st(0), SEND_REQUEST);
                // SAFETY: frame 0 lies inside `mem`.
                let frame0 = unsafe { std::slice::from_raw_parts(base, FS) };
                let off = default_data_offset(v) as usize;
                let tp_len = u32::from_ne_bytes(frame0[f.len..f.len + 4].try_into().unwrap()) as usize;
                assert_eq!(tp_len, max + if vnet { 10 } else { 0 });
                if vnet {
                    let l = (max as u16).to_le_bytes();
                    assert_eq!(&frame0[off..off + 10], &[0, 0, l[0], l[1], 0, 0, 0, 0, 0, 0]);
                    assert_eq!(&frame0[off + 10..FS], pkt.as_slice());
                } else {
                    assert_eq!(&frame0[off..off + max], pkt.as_slice());
                }
                for _ in 1..4 {
                    assert_eq!(r.push(&[7; 20]), Ok(true));
                }
                assert_eq!(r.push(&[7; 20]), Ok(false), "four frames queued: full");
                // The kernel sends two, refuses the third.
                set(0, SENDING);
                set(1, 0);
                set(2, WRONG_FORMAT);
                assert_eq!(r.settle(), Settled { taken: 2, wrong_format: true, left: 2 });
                r.reclaim();
                assert_eq!((st(2), st(3)), (0, 0));
                assert!(r.has_room(), "cursor back on the refused frame");
                assert_eq!(r.push(&[9; 20]), Ok(true));
                assert_eq!(st(2), SEND_REQUEST);
                // The kernel takes it; frame 0 is still in flight.
                set(2, TS_SOFTWARE);
                assert_eq!(r.settle(), Settled { taken: 1, wrong_format: false, left: 0 });
                assert!(!r.completed(3) && r.completed(1));
                assert_eq!(r.stamp(1).source, StampSource::Software);
                assert_eq!(r.push(&[1; 20]), Ok(true));
                assert_eq!(r.push(&[1; 20]), Ok(false), "frame 0 still sending");
                set(0, 0);
                assert!(r.has_room());
                set(3, 0);
                r.settle();
                for i in 0..4 {
                    set(i, 0);
                }
            }
        }
    }
}

//! TPACKET_V1 / TPACKET_V2 receive ring: fixed-size frames, one packet each,
//! handed over one at a time through each frame's `tp_status`.
//!
//! The frame last handed out stays user-owned until the next call (so a
//! `pcap_next_ex` pointer stays valid), then goes back with a Release store.

use super::geometry::{RingGeometry, Version};
use super::slot::{LinkAddr, Slot, SlotMeta, SlotPos};
use super::status::{self, Width};
use super::{read_u16, read_u32, read_u8};
use crate::error::{Error, Result};

/// Offset of the `sockaddr_ll` in V1 and V2 frames (TPACKET_ALIGN of the
/// 32-byte headers), and its end: nothing before it may be overwritten.
const SLL_OFFSET: usize = 32;
const SLL_END: usize = SLL_OFFSET + 20;

#[derive(Debug)]
pub struct FrameRing {
    base: *mut u8,
    version: Version,
    block_size: usize,
    frame_size: usize,
    frames_per_block: usize,
    frame_nr: usize,
    cursor: usize,
    /// The frame handed out last, to give back on the next call, and where
    /// its bytes are.
    pending: Option<usize>,
    pos: SlotPos,
    /// Frames consumed since activation.
    pub consumed: u64,
    /// The mapping the ring lives in, kept alive as long as the ring.
    pub(super) keep: Option<std::sync::Arc<crate::sys::mmap::Mapping>>,
}

// SAFETY: the ring is plain shared memory kept alive by its owner (the
// capture holds the mapping); ownership of each frame is decided by its
// status word, not by the thread that holds the FrameRing.
unsafe impl Send for FrameRing {}

impl FrameRing {
    /// # Safety
    /// `base` must point to a mapped RX ring laid out by `g` (V1 or V2), which
    /// outlives the FrameRing.
    pub unsafe fn new(base: *mut u8, g: &RingGeometry) -> FrameRing {
        FrameRing {
            base,
            version: g.version,
            block_size: g.block_size as usize,
            frame_size: g.frame_size as usize,
            frames_per_block: g.frames_per_block() as usize,
            frame_nr: g.frame_nr as usize,
            cursor: 0,
            pending: None,
            pos: SlotPos::default(),
            consumed: 0,
            keep: None,
        }
    }

    fn width(&self) -> Width {
        match self.version {
            Version::V1 => Width::U64,
            _ => Width::U32,
        }
    }

    fn frame(&self, idx: usize) -> *mut u8 {
        let block = idx / self.frames_per_block;
        let within = idx % self.frames_per_block;
        // SAFETY: idx < frame_nr, so the frame lies inside the mapped ring
        // (block < block_nr, within * frame_size + frame_size <= block_size).
        unsafe { self.base.add(block * self.block_size + within * self.frame_size) }
    }

    fn status(&self, idx: usize) -> u64 {
        // SAFETY: the status word is at offset 0 of a mapped, 16-aligned frame.
        unsafe { status::load(self.frame(idx), self.width()) }
    }

    /// Give the last handed-out frame back to the kernel.
    pub fn release_pending(&mut self) {
        if let Some(idx) = self.pending.take() {
            // SAFETY: the frame was user-owned (we saw TP_STATUS_USER) and we
            // hold no reference into it any more (slots borrow &mut self).
            unsafe { status::store(self.frame(idx), self.width(), libc::TP_STATUS_KERNEL as u64) };
        }
    }

    /// Whether the next frame is ready, without taking it.
    pub fn ready(&self) -> bool {
        self.status(self.cursor) & libc::TP_STATUS_USER as u64 != 0
    }

    /// Frames that may still hold packets the kernel wrote before now (for
    /// the filter-change rule): every frame except the run of already
    /// returned ones just behind the cursor.
    pub fn possibly_filled(&self) -> usize {
        let mut free = 0;
        let mut idx = self.cursor;
        for _ in 0..self.frame_nr {
            idx = if idx == 0 { self.frame_nr - 1 } else { idx - 1 };
            // The pending frame was already delivered: it counts as free.
            if Some(idx) != self.pending && self.status(idx) != libc::TP_STATUS_KERNEL as u64 {
                break;
            }
            free += 1;
        }
        self.frame_nr - free
    }

    /// The next packet, or `None` when the kernel has not filled the next
    /// frame. A frame whose offsets do not fit is handed back and reported.
    pub fn next(&mut self) -> Result<Option<Slot<'_>>> {
        self.release_pending();
        let idx = self.cursor;
        let st = self.status(idx);
        if st & libc::TP_STATUS_USER as u64 == 0 {
            return Ok(None);
        }
        let f = self.frame(idx);
        // SAFETY: the frame is user-owned (Acquire load above) and the header
        // fields read below lie within its first 32 bytes + sockaddr_ll.
        let (len, snaplen, mac, sec, nsec, tci, tpid) = unsafe {
            match self.version {
                Version::V1 => (
                    read_u32(f, 8),
                    read_u32(f, 12),
                    read_u16(f, 16) as usize,
                    read_u32(f, 20),
                    read_u32(f, 24).wrapping_mul(1000),
                    0,
                    0,
                ),
                _ => (
                    read_u32(f, 4),
                    read_u32(f, 8),
                    read_u16(f, 12) as usize,
                    read_u32(f, 16),
                    read_u32(f, 20),
                    read_u16(f, 24),
                    read_u16(f, 26),
                ),
            }
        };
        // SAFETY: the sockaddr_ll lies at 32..52 of the user-owned frame.
        let link = unsafe { read_link(f.add(SLL_OFFSET)) };
        self.pending = Some(idx);
        self.cursor = (idx + 1) % self.frame_nr;
        self.consumed += 1;
        let snap = snaplen as usize;
        if mac < SLL_END || mac.checked_add(snap).is_none_or(|end| end > self.frame_size) {
            return Err(Error::msg(format!(
                "corrupted frame on kernel ring mac offset {mac} + caplen {snaplen} > frame len {}",
                self.frame_size
            )));
        }
        let meta = SlotMeta { status: st as u32, wire_len: len, sec, nsec, vlan_tci: tci, vlan_tpid: tpid, rxhash: 0, link };
        // SAFETY: SLL_END <= mac and mac + snap <= frame_size were checked;
        // the frame stays user-owned until release_pending, which needs
        // &mut self, so not while the slot borrows the ring.
        self.pos = unsafe { SlotPos::new(f, mac, snap, SLL_END) };
        // SAFETY: as above.
        Ok(Some(unsafe { Slot::new(&mut self.pos, meta) }))
    }

    /// The bytes of the packet handed out last, while it is still ours.
    pub fn current(&self) -> &[u8] {
        match self.pending {
            // SAFETY: the pending frame is user-owned until release_pending,
            // which needs &mut self.
            Some(_) => unsafe { self.pos.bytes() },
            None => &[],
        }
    }
}

/// Decode a `sockaddr_ll`.
///
/// # Safety
/// `p` must point to 20 readable bytes of user-owned ring memory.
pub(super) unsafe fn read_link(p: *const u8) -> LinkAddr {
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

//! TPACKET_V1 / TPACKET_V2 receive ring: fixed-size frames, one packet each,
//! handed over one at a time through each frame's `tp_status`.
//!
//! The frame last handed out stays user-owned until the next call (so a
//! `pcap_next_ex` pointer stays valid), then goes back with a Release store;
//! a batch keeps its frames until it is released.

use super::geometry::RingGeometry;
use super::held::Handed;
use super::slot::{HeaderFormat, Slot, SlotPos};
use super::status::{self, Width};
use crate::error::{Error, Result};

/// The end of the `sockaddr_ll` in V1 and V2 frames (it follows the
/// 32-byte headers): nothing before it may be overwritten.
const SLL_END: usize = HeaderFormat::V2.sll_end();

#[derive(Debug)]
pub struct FrameRing {
    base: *mut u8,
    block_size: usize,
    frame_size: usize,
    frames_per_block: usize,
    frame_nr: usize,
    cursor: usize,
    format: &'static HeaderFormat,
    /// The frame handed out last (given back on the next call) and what a
    /// batch keeps (frames handed back when it is released).
    pub(super) handed: Handed,
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
            block_size: g.block_size as usize,
            frame_size: g.frame_size as usize,
            frames_per_block: g.frames_per_block() as usize,
            frame_nr: g.frame_nr as usize,
            cursor: 0,
            format: HeaderFormat::of(g.version),
            handed: Handed::default(),
            consumed: 0,
            keep: None,
        }
    }

    fn width(&self) -> Width {
        self.format.status_width()
    }

    fn frame(&self, idx: usize) -> *mut u8 {
        let block = idx / self.frames_per_block;
        let within = idx % self.frames_per_block;
        // SAFETY: idx < frame_nr, so the frame lies inside the mapped ring
        // (block < block_nr, within * frame_size + frame_size <= block_size).
        unsafe { self.base.add(block * self.block_size + within * self.frame_size) }
    }

    fn status(&self, idx: usize) -> u64 {
        self.status_at(self.frame(idx))
    }

    /// The status word of frame `f` (a pointer from `frame`).
    fn status_at(&self, f: *mut u8) -> u64 {
        // SAFETY: the status word is at offset 0 of a mapped, 16-aligned frame.
        unsafe { status::load(f, self.width()) }
    }

    pub(super) fn hand_back(&mut self, idx: usize) {
        // SAFETY: the frame was user-owned (we saw TP_STATUS_USER) and we
        // hold no reference into it any more (slots borrow &mut self).
        unsafe { status::store(self.frame(idx), self.width(), libc::TP_STATUS_KERNEL as u64) };
    }

    /// Give the last handed-out frame back to the kernel (or, holding, keep
    /// it for the batch).
    pub fn release_pending(&mut self) {
        if let Some(idx) = self.handed.release() {
            self.hand_back(idx);
        }
    }

    /// Whether the next frame is ready, without taking it.
    pub fn ready(&self) -> bool {
        self.status(self.cursor) & libc::TP_STATUS_USER as u64 != 0 && !self.handed.held.blocks(self.cursor)
    }

    /// Frames that may still hold packets the kernel wrote before now (for
    /// the filter-change rule): every frame except the run of already
    /// returned ones just behind the cursor.
    pub fn possibly_filled(&self) -> usize {
        self.handed.possibly_filled(self.cursor, self.frame_nr, |idx| self.status(idx) == libc::TP_STATUS_KERNEL as u64)
    }

    /// The next packet, or `None` when the kernel has not filled the next
    /// frame. A frame whose offsets do not fit is handed back and reported.
    pub fn take(&mut self) -> Result<Option<Slot<'_>>> {
        self.release_pending();
        let idx = self.cursor;
        // Located once: finding a frame costs a division.
        let f = self.frame(idx);
        if self.status_at(f) & libc::TP_STATUS_USER as u64 == 0 || self.handed.held.blocks(idx) {
            return Ok(None);
        }
        // SAFETY: the frame is user-owned (Acquire load above) and its
        // header lies within its first 32 bytes.
        let (mac, snap) = unsafe { self.format.extent(f) };
        self.handed.pending = Some(idx);
        self.cursor = (idx + 1) % self.frame_nr;
        self.consumed += 1;
        if mac < SLL_END || mac.checked_add(snap).is_none_or(|end| end > self.frame_size) {
            return Err(Error::msg(format!(
                "corrupted frame on kernel ring mac offset {mac} + caplen {snap} > frame len {}",
                self.frame_size
            )));
        }
        // SAFETY: SLL_END <= mac and mac + snap <= frame_size were checked;
        // the frame stays user-owned until release_pending (which releases
        // `handed` first) and that needs &mut self, so not while the slot
        // borrows the ring.
        Ok(Some(unsafe { self.handed.show(SlotPos::new(f, self.format, mac, snap, SLL_END)) }))
    }
}

//! The ring engine: geometry, the RX rings (V1/V2 frames, V3 blocks), the TX
//! ring, and `PacketSocket`, the AF_PACKET socket that owns their mapping.
//!
//! Ring memory is shared with the kernel. Status words are touched only
//! through `status` (Acquire load, Release store); packet bytes only while
//! their frame or block is user-owned, through `Slot`s that borrow the ring;
//! every offset the kernel supplies is bounds-checked before use.
#![allow(unsafe_code)]

pub mod blocks;
pub mod frames;
pub mod geometry;
pub mod held;
pub mod slot;
pub mod socket;
pub mod status;
pub mod tx;

pub use blocks::BlockRing;
pub use frames::FrameRing;
pub use geometry::{Limits, RingGeometry, Version};
pub use slot::{CurrentPacket, HeaderFormat, LinkAddr, Slot, SlotBuf, SlotMeta, SlotPos, TsSource};
pub use socket::PacketSocket;
pub use tx::TxRing;

use crate::error::Result;

/// A receive ring of either shape.
#[derive(Debug)]
pub enum RxRing {
    Frames(FrameRing),
    Blocks(BlockRing),
}

impl RxRing {
    /// The RX ring at the start of `map`, laid out by `g`; None when the
    /// mapping is too small for `g`. The ring keeps the mapping alive.
    pub fn mapped(map: std::sync::Arc<crate::sys::mmap::Mapping>, g: &RingGeometry) -> Option<RxRing> {
        if g.size() > map.len() || g.frame_size == 0 || g.block_size == 0 {
            return None;
        }
        // SAFETY: the mapping holds at least g.size() bytes laid out by `g`
        // (the kernel accepted `g` for it), and the ring keeps it alive.
        let mut r = unsafe { RxRing::new(map.base(), g) };
        match &mut r {
            RxRing::Frames(f) => f.keep = Some(map),
            RxRing::Blocks(b) => b.keep = Some(map),
        }
        Some(r)
    }

    /// # Safety
    /// `base` must point to a mapped RX ring laid out by `g` that outlives
    /// the returned ring.
    pub unsafe fn new(base: *mut u8, g: &RingGeometry) -> RxRing {
        match g.version {
            // SAFETY: forwarded caller contract.
            Version::V3 => RxRing::Blocks(unsafe { BlockRing::new(base, g) }),
            // SAFETY: forwarded caller contract.
            _ => RxRing::Frames(unsafe { FrameRing::new(base, g) }),
        }
    }

    #[inline(always)]
    pub fn take(&mut self) -> Result<Option<Slot<'_>>> {
        match self {
            RxRing::Frames(r) => r.take(),
            RxRing::Blocks(r) => r.take(),
        }
    }

    /// What the ring has handed out: the same bookkeeping for both shapes.
    #[inline]
    fn handed(&self) -> &held::Handed {
        match self {
            RxRing::Frames(r) => &r.handed,
            RxRing::Blocks(r) => &r.handed,
        }
    }

    fn handed_mut(&mut self) -> &mut held::Handed {
        match self {
            RxRing::Frames(r) => &mut r.handed,
            RxRing::Blocks(r) => &mut r.handed,
        }
    }

    /// The bytes of the packet handed out last (after its in-place edits),
    /// while it is still user-owned; empty otherwise.
    #[inline]
    pub fn current(&self) -> &[u8] {
        self.handed().current()
    }

    /// Metadata of the packet handed out last, while it is still user-owned.
    pub fn current_meta(&self) -> Option<SlotMeta> {
        self.handed().current_meta()
    }

    fn hand_back(&mut self, idx: usize) {
        match self {
            RxRing::Frames(r) => r.hand_back(idx),
            RxRing::Blocks(r) => r.hand_back(idx),
        }
    }

    /// Start a batch: packets handed out from now on stay in the ring, and
    /// the frames/blocks holding them user-owned, until `release_held`.
    pub fn hold(&mut self) {
        self.release_pending();
        self.handed_mut().held.on = true;
    }

    /// Keep the packet handed out last in the batch.
    pub fn keep_current(&mut self) {
        self.handed_mut().keep_current();
    }

    /// How many packets the batch kept.
    pub fn held_len(&self) -> usize {
        self.handed().held.len()
    }

    /// Kept packet `i` (`i < held_len()`): its bytes, after delivery's
    /// edits, and its header. Valid until `release_held`, which needs
    /// `&mut self`.
    pub fn held_packet(&self, i: usize) -> (&[u8], SlotMeta) {
        // SAFETY: held frames/blocks go back to the kernel only in
        // release_held (&mut self); the block being walked stays
        // user-owned while it is walked.
        unsafe { self.handed().held.packet(i) }
    }

    /// End a batch: everything it kept goes back to the kernel.
    #[inline]
    pub fn release_held(&mut self) {
        if self.handed().held.on {
            self.release_held_units();
        }
    }

    #[cold]
    #[inline(never)]
    fn release_held_units(&mut self) {
        self.release_pending();
        let units = std::mem::take(&mut self.handed_mut().held.units);
        for &idx in &units {
            self.hand_back(idx);
        }
        let held = &mut self.handed_mut().held;
        held.units = units;
        held.clear();
    }

    pub fn ready(&self) -> bool {
        match self {
            RxRing::Frames(r) => r.ready(),
            RxRing::Blocks(r) => r.ready(),
        }
    }

    pub fn release_pending(&mut self) {
        match self {
            RxRing::Frames(r) => r.release_pending(),
            RxRing::Blocks(r) => r.release_pending(),
        }
    }

    /// Frames (V1/V2) or blocks (V3) that may hold packets written before now.
    pub fn possibly_filled(&self) -> usize {
        match self {
            RxRing::Frames(r) => r.possibly_filled(),
            RxRing::Blocks(r) => r.possibly_filled(),
        }
    }

    /// (frames or blocks handed back, packets delivered) since activation.
    pub fn consumed(&self) -> (u64, u64) {
        match self {
            RxRing::Frames(r) => (r.consumed, r.consumed),
            RxRing::Blocks(r) => (r.blocks_consumed, r.packets_consumed),
        }
    }
}

/// Read a u32 from ring memory.
///
/// # Safety
/// `p + off .. p + off + 4` must be readable user-owned ring memory.
#[inline]
pub(crate) unsafe fn read_u32(p: *const u8, off: usize) -> u32 {
    // SAFETY: caller's contract; unaligned read tolerates any offset.
    unsafe { std::ptr::read_unaligned(p.add(off) as *const u32) }
}

/// Read a u16 from ring memory.
///
/// # Safety
/// `p + off .. p + off + 2` must be readable user-owned ring memory.
#[inline]
pub(crate) unsafe fn read_u16(p: *const u8, off: usize) -> u16 {
    // SAFETY: caller's contract.
    unsafe { std::ptr::read_unaligned(p.add(off) as *const u16) }
}

/// Read a byte from ring memory.
///
/// # Safety
/// `p + off` must be readable user-owned ring memory.
#[inline]
pub(crate) unsafe fn read_u8(p: *const u8, off: usize) -> u8 {
    // SAFETY: caller's contract.
    unsafe { *p.add(off) }
}

#[cfg(test)]
mod tests;

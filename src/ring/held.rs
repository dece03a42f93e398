//! What a batch keeps in the ring: the packets it handed out (where their
//! bytes and headers are, after delivery's in-place edits) and the frames
//! (V1/V2) or blocks (V3) that hold them, which go back to the kernel
//! together when the batch is released instead of one by one as reading
//! moves on.

use super::slot::{SlotMeta, SlotPos};

#[derive(Debug, Default)]
pub struct Held {
    /// Whether the ring is holding: finished frames/blocks are kept here
    /// instead of handed back.
    pub(super) on: bool,
    /// Frame or block indexes to hand back when the batch is released.
    pub(super) units: Vec<usize>,
    /// The packets the batch kept.
    packets: Vec<SlotPos>,
}

impl Held {
    /// Whether reading has come round the ring to the oldest unit the batch
    /// holds (still user-owned, but already read): it must stop there.
    #[inline]
    pub(super) fn blocks(&self, idx: usize) -> bool {
        self.on && self.units.first() == Some(&idx)
    }

    pub(super) fn keep(&mut self, pos: SlotPos) {
        self.packets.push(pos);
    }

    pub(super) fn clear(&mut self) {
        self.on = false;
        self.units.clear();
        self.packets.clear();
    }

    pub fn len(&self) -> usize {
        self.packets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// The bytes and header of kept packet `i`.
    ///
    /// # Safety
    /// The frames/blocks in `units` (and the one being walked) must still be
    /// user-owned: the ring hands them back only in `release_held`, which
    /// takes `&mut` of the ring that owns this `Held`.
    pub(super) unsafe fn packet(&self, i: usize) -> (&[u8], SlotMeta) {
        let p = &self.packets[i];
        // SAFETY: caller's contract.
        unsafe { (p.bytes(), p.meta()) }
    }
}

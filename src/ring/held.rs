//! What an RX ring has handed to user space: the packet handed out last
//! ([`Handed`]) and what a batch keeps ([`Held`]): the packets it handed out
//! (where their bytes and headers are, after delivery's in-place edits) and
//! the frames (V1/V2) or blocks (V3) that hold them, which go back to the
//! kernel together when the batch is released instead of one by one as
//! reading moves on.

use super::slot::{Slot, SlotMeta, SlotPos};

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

/// What a ring has handed to user space and not yet taken back: the packet
/// handed out last (its bytes stay visible to the caller until the next
/// call), the frame (V1/V2) or block (V3) to give back once they are not,
/// and what a batch keeps. The same for both RX ring shapes; only how a
/// unit is handed back differs.
#[derive(Debug, Default)]
pub struct Handed {
    /// Where the packet handed out last is. Some only while its frame or
    /// block is user-owned (see [`Handed::show`]).
    last: Option<SlotPos>,
    /// A finished frame or block, to give back on the next call.
    pub(super) pending: Option<usize>,
    pub(super) held: Held,
}

impl Handed {
    /// Make `pos` the packet handed out last and lend it as a slot (whose
    /// in-place edits update `pos`, so `current` shows the delivered bytes).
    ///
    /// # Safety
    /// `pos` must describe user-owned ring memory (see [`SlotPos::new`])
    /// until [`Handed::release`] or [`Handed::forget_last`]: the ring hands
    /// its unit back only after one of them.
    #[inline]
    pub(super) unsafe fn show(&mut self, pos: SlotPos) -> Slot<'_> {
        // SAFETY: caller's contract; the slot borrows `self`, so the ring,
        // which cannot hand anything back meanwhile.
        unsafe { Slot::new(self.last.insert(pos)) }
    }

    /// The packet handed out last is no longer visible to the caller.
    #[inline]
    pub(super) fn forget_last(&mut self) {
        self.last = None;
    }

    /// End the last hand-out: the finished unit to hand back now, if any
    /// (during a batch it is kept instead).
    #[inline]
    #[must_use]
    pub(super) fn release(&mut self) -> Option<usize> {
        self.last = None;
        let idx = self.pending.take()?;
        self.hold_or_return(idx)
    }

    /// A finished unit: kept when a batch is on, else returned to be
    /// handed back.
    #[inline]
    #[must_use]
    pub(super) fn hold_or_return(&mut self, idx: usize) -> Option<usize> {
        if self.held.on {
            self.held.units.push(idx);
            None
        } else {
            Some(idx)
        }
    }

    /// The bytes of the packet handed out last (after its in-place edits),
    /// while it is still user-owned; empty otherwise.
    #[inline]
    pub(super) fn current(&self) -> &[u8] {
        match &self.last {
            // SAFETY: `last` is Some only while its unit is user-owned
            // (show's contract), and it is cleared through &mut self.
            Some(p) => unsafe { p.bytes() },
            None => &[],
        }
    }

    /// Metadata of the packet handed out last, while it is still user-owned.
    pub(super) fn current_meta(&self) -> Option<SlotMeta> {
        // SAFETY: as in current().
        self.last.as_ref().map(|p| unsafe { p.meta() })
    }

    /// Keep the packet handed out last in the batch.
    pub(super) fn keep_current(&mut self) {
        if let Some(p) = self.last {
            self.held.keep(p);
        }
    }

    /// How many of a ring's `n` units may still hold packets the kernel
    /// wrote before now (for the filter-change rule): all but the run just
    /// behind `cursor` that is `returned` to the kernel or already
    /// delivered (the pending unit).
    pub(super) fn possibly_filled(&self, cursor: usize, n: usize, returned: impl Fn(usize) -> bool) -> usize {
        let mut free = 0;
        let mut idx = cursor;
        for _ in 0..n {
            idx = if idx == 0 { n - 1 } else { idx - 1 };
            if Some(idx) != self.pending && !returned(idx) {
                break;
            }
            free += 1;
        }
        n - free
    }
}

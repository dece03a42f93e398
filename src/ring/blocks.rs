//! TPACKET_V3 receive ring: blocks of variable-size packets, handed over a
//! block at a time through `block_status`.
//!
//! The cursor is resumable: a read may stop in the middle of a block and the
//! next read continues there. A block goes back to the kernel only when its
//! last packet has been delivered and the caller can no longer see it (on
//! the next call, or when a batch/dispatch ends).
//!
//! Every kernel-supplied offset is checked before use: `offset_to_first_pkt`,
//! `num_pkts`, each `tp_next_offset`, `tp_mac` and `tp_snaplen` must keep the
//! packet inside its block; a block that breaks the rules is handed back and
//! reported, never walked.

use super::geometry::RingGeometry;
use super::held::Handed;
use super::slot::{HeaderFormat, Slot, SlotPos};
use super::status::{self, Width};
use super::read_u32;
use crate::error::{Error, Result};

/// Offsets in `struct tpacket_block_desc` (hdr.bh1 starts at 8).
const BLOCK_STATUS: usize = 8;
const NUM_PKTS: usize = 12;
const OFFSET_TO_FIRST_PKT: usize = 16;
/// Size of the block descriptor.
const BLOCK_DESC_LEN: usize = 48;
const FORMAT: HeaderFormat = HeaderFormat::V3;
/// `struct tpacket3_hdr` is 48 bytes; the `sockaddr_ll` follows at 48.
const SLL_END: usize = FORMAT.sll_end();
const NEXT_OFFSET: usize = match FORMAT.next {
    Some(at) => at,
    None => 0,
};
/// How many packets ahead of the one being read its header and first data
/// line are prefetched. The kernel wrote them on another CPU, so each line's
/// first touch is a cross-core miss; packets lie one after another in a
/// block, so prefetching where a packet a few ahead will be (if sizes stay
/// alike) hides those misses for two cheap instructions a packet
/// (measured: bench/capture.sh).
const PREFETCH_PACKETS: usize = 4;
/// Bytes prefetched when a block is entered: its first few packets.
const PREFETCH_AT_ENTRY: usize = 512;
const CACHE_LINE: usize = 64;

#[derive(Clone, Copy, Debug)]
struct Walk {
    offset: usize,
    left: u32,
}

#[derive(Debug)]
pub struct BlockRing {
    base: *mut u8,
    block_size: usize,
    block_nr: usize,
    cur: usize,
    walk: Option<Walk>,
    /// The packet handed out last, the block whose packets were all
    /// delivered (given back on the next call), and what a batch keeps
    /// (blocks handed back when it is released).
    pub(super) handed: Handed,
    /// Blocks handed back since activation.
    pub blocks_consumed: u64,
    /// Packets delivered from blocks since activation.
    pub packets_consumed: u64,
    /// The mapping the ring lives in, kept alive as long as the ring.
    pub(super) keep: Option<std::sync::Arc<crate::sys::mmap::Mapping>>,
}

// SAFETY: as for FrameRing: shared memory owned by the capture, ownership of
// each block decided by its status word.
unsafe impl Send for BlockRing {}

impl BlockRing {
    /// # Safety
    /// `base` must point to a mapped V3 RX ring laid out by `g`, which
    /// outlives the BlockRing.
    pub unsafe fn new(base: *mut u8, g: &RingGeometry) -> BlockRing {
        BlockRing {
            base,
            block_size: g.block_size as usize,
            block_nr: g.block_nr as usize,
            cur: 0,
            walk: None,
            handed: Handed::default(),
            blocks_consumed: 0,
            packets_consumed: 0,
            keep: None,
        }
    }

    fn block(&self, idx: usize) -> *mut u8 {
        // SAFETY: idx < block_nr, so the block lies inside the mapping.
        unsafe { self.base.add(idx * self.block_size) }
    }

    fn status(&self, idx: usize) -> u32 {
        // SAFETY: block_status is an aligned u32 at offset 8 of a mapped block.
        unsafe { status::load(self.block(idx).add(BLOCK_STATUS), Width::U32) as u32 }
    }

    pub(super) fn hand_back(&mut self, idx: usize) {
        // SAFETY: the block is user-owned (we saw TP_STATUS_USER) and no slot
        // borrows it (slots borrow &mut self).
        unsafe { status::store(self.block(idx).add(BLOCK_STATUS), Width::U32, libc::TP_STATUS_KERNEL as u64) };
        self.blocks_consumed += 1;
    }

    /// Give back (or, holding, keep for the batch) a block whose packets
    /// have all been delivered.
    pub fn release_pending(&mut self) {
        if let Some(idx) = self.handed.release() {
            self.hand_back(idx);
        }
    }

    /// Whether a packet is ready without waiting.
    pub fn ready(&self) -> bool {
        self.walk.is_some() || (self.status(self.cur) & libc::TP_STATUS_USER != 0 && !self.handed.held.blocks(self.cur))
    }

    /// Blocks that may still hold packets the kernel wrote before now: all
    /// but the run of returned blocks behind the current one.
    pub fn possibly_filled(&self) -> usize {
        self.handed.possibly_filled(self.cur, self.block_nr, |idx| self.status(idx) == libc::TP_STATUS_KERNEL)
    }

    fn advance_block(&mut self) {
        self.walk = None;
        self.cur = (self.cur + 1) % self.block_nr;
    }

    /// A block with impossible offsets: give it back (after the batch, if
    /// one holds packets of it), move on, report. Cold: out of the
    /// per-packet path of `take`.
    #[cold]
    #[inline(never)]
    fn corrupt(&mut self, what: String) -> Error {
        self.handed.forget_last();
        let idx = self.cur;
        if let Some(idx) = self.handed.hold_or_return(idx) {
            self.hand_back(idx);
        }
        self.advance_block();
        Error::msg(format!("corrupted block {idx} on kernel ring: {what}"))
    }

    /// Find the next block with packets and start walking it; `None` when
    /// no block is ready. Empty blocks (a timeout retired them with nothing
    /// in) are skipped; at most one lap of the ring.
    #[cold]
    #[inline(never)]
    fn enter_block(&mut self) -> Result<Option<Walk>> {
        for _ in 0..self.block_nr {
            if self.status(self.cur) & libc::TP_STATUS_USER == 0 || self.handed.held.blocks(self.cur) {
                return Ok(None);
            }
            let b = self.block(self.cur);
            // SAFETY: the block is user-owned (Acquire load above); both
            // fields lie in its descriptor.
            let (num, first) = unsafe { (read_u32(b, NUM_PKTS), read_u32(b, OFFSET_TO_FIRST_PKT) as usize) };
            if num == 0 {
                let idx = self.cur;
                self.hand_back(idx);
                self.advance_block();
                continue;
            }
            if first < BLOCK_DESC_LEN || first.saturating_add(SLL_END) > self.block_size {
                return Err(self.corrupt(format!("first packet at offset {first} of a {} byte block", self.block_size)));
            }
            if num as usize > (self.block_size - first) / (SLL_END.next_multiple_of(16)) + 1 {
                return Err(self.corrupt(format!("{num} packets cannot fit in a {} byte block", self.block_size)));
            }
            // The first packets' lines, which the per-packet prefetch (a few
            // packets ahead) does not cover.
            for line in (first..(first + PREFETCH_AT_ENTRY).min(self.block_size)).step_by(CACHE_LINE) {
                crate::sys::prefetch_line(b.wrapping_add(line));
            }
            return Ok(Some(Walk { offset: first, left: num }));
        }
        Ok(None)
    }

    /// The next packet, or `None` when no block is ready.
    #[inline(always)]
    pub fn take(&mut self) -> Result<Option<Slot<'_>>> {
        self.release_pending();
        let mut walk = match self.walk {
            Some(w) => w,
            None => match self.enter_block()? {
                Some(w) => w,
                None => return Ok(None),
            },
        };
        let block = self.block(self.cur);
        let off = walk.offset;
        let room = self.block_size - off; // bytes from this packet's header to the block end
        // SAFETY: off + SLL_END <= block_size (checked for the first packet,
        // and for each next one below), inside the user-owned block.
        let p = unsafe { block.add(off) };
        // SAFETY: the 48-byte header lies within `room`.
        let (mac, snap) = unsafe { FORMAT.extent(p) };
        if mac < SLL_END || mac.checked_add(snap).is_none_or(|end| end > room) {
            return Err(self.corrupt(format!("packet at {off}: mac offset {mac} + caplen {snap} > {room} bytes left")));
        }
        walk.left -= 1;
        if walk.left > 0 {
            // SAFETY: tp_next_offset lies within the header.
            let next = unsafe { read_u32(p, NEXT_OFFSET) } as usize;
            if next < SLL_END || next.checked_add(SLL_END).is_none_or(|end| end > room) {
                return Err(self.corrupt(format!("packet at {off}: next offset {next} leaves the block")));
            }
            walk.offset = off + next;
            self.walk = Some(walk);
            // Where the packet PREFETCH_PACKETS ahead will be if packets keep
            // this size: its header line and the line its data starts in.
            let guess = off + next * PREFETCH_PACKETS;
            if guess + 2 * CACHE_LINE <= self.block_size {
                crate::sys::prefetch_line(block.wrapping_add(guess));
                crate::sys::prefetch_line(block.wrapping_add(guess + CACHE_LINE));
            }
        } else {
            // Last packet: the block goes back once this packet is no longer
            // visible to the caller.
            self.walk = None;
            self.handed.pending = Some(self.cur);
            self.cur = (self.cur + 1) % self.block_nr;
        }
        self.packets_consumed += 1;
        // SAFETY: SLL_END <= mac and mac + snap <= room were checked; the
        // block stays user-owned until hand_back, which needs &mut self and
        // comes after `handed` is released (release_pending, corrupt).
        Ok(Some(unsafe { self.handed.show(SlotPos::new(p, &FORMAT, mac, snap, SLL_END)) }))
    }
}

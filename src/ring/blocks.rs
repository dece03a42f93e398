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

use super::frames::read_link;
use super::geometry::RingGeometry;
use super::slot::{Slot, SlotMeta, SlotPos};
use super::status::{self, Width};
use super::{read_u16, read_u32};
use crate::error::{Error, Result};

/// Offsets in `struct tpacket_block_desc` (hdr.bh1 starts at 8).
const BLOCK_STATUS: usize = 8;
const NUM_PKTS: usize = 12;
const OFFSET_TO_FIRST_PKT: usize = 16;
/// Size of the block descriptor.
const BLOCK_DESC_LEN: usize = 48;
/// `struct tpacket3_hdr` is 48 bytes; the `sockaddr_ll` follows at 48.
const PKT_HDR_LEN: usize = 48;
const SLL_END: usize = PKT_HDR_LEN + 20;

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
    /// A block whose packets were all delivered, to give back next call.
    pending: Option<usize>,
    /// Where the packet handed out last is, and whether it is still ours.
    pos: SlotPos,
    pos_valid: bool,
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
            pending: None,
            pos: SlotPos::default(),
            pos_valid: false,
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

    fn hand_back(&mut self, idx: usize) {
        // SAFETY: the block is user-owned (we saw TP_STATUS_USER) and no slot
        // borrows it (slots borrow &mut self).
        unsafe { status::store(self.block(idx).add(BLOCK_STATUS), Width::U32, libc::TP_STATUS_KERNEL as u64) };
        self.blocks_consumed += 1;
    }

    /// Give back a block whose packets have all been delivered.
    pub fn release_pending(&mut self) {
        self.pos_valid = false;
        if let Some(idx) = self.pending.take() {
            self.hand_back(idx);
        }
    }

    /// The bytes of the packet handed out last, while they are still ours.
    pub fn current(&self) -> &[u8] {
        if self.pos_valid {
            // SAFETY: its block is user-owned: either still being walked or
            // pending, and both are only given back through &mut self.
            unsafe { self.pos.bytes() }
        } else {
            &[]
        }
    }

    /// Whether a packet is ready without waiting.
    pub fn ready(&self) -> bool {
        self.walk.is_some() || self.status(self.cur) & libc::TP_STATUS_USER != 0
    }

    /// Blocks that may still hold packets the kernel wrote before now: all
    /// but the run of returned blocks behind the current one.
    pub fn possibly_filled(&self) -> usize {
        let mut free = 0;
        let mut idx = self.cur;
        for _ in 0..self.block_nr {
            idx = if idx == 0 { self.block_nr - 1 } else { idx - 1 };
            if Some(idx) != self.pending && self.status(idx) != libc::TP_STATUS_KERNEL {
                break;
            }
            free += 1;
        }
        self.block_nr - free
    }

    fn advance_block(&mut self) {
        self.walk = None;
        self.cur = (self.cur + 1) % self.block_nr;
    }

    /// A block with impossible offsets: give it back, move on, report.
    fn corrupt(&mut self, what: String) -> Error {
        self.pos_valid = false;
        let idx = self.cur;
        self.hand_back(idx);
        self.advance_block();
        Error::msg(format!("corrupted block {idx} on kernel ring: {what}"))
    }

    /// The next packet, or `None` when no block is ready.
    pub fn next(&mut self) -> Result<Option<Slot<'_>>> {
        self.release_pending();
        // Empty blocks (a timeout retired them with nothing in) are skipped;
        // at most one lap of the ring.
        let mut walk = match self.walk {
            Some(w) => w,
            None => {
                let mut found = None;
                for _ in 0..self.block_nr {
                    if self.status(self.cur) & libc::TP_STATUS_USER == 0 {
                        return Ok(None);
                    }
                    let b = self.block(self.cur);
                    // SAFETY: the block is user-owned (Acquire load above);
                    // both fields lie in its descriptor.
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
                    found = Some(Walk { offset: first, left: num });
                    break;
                }
                match found {
                    Some(w) => w,
                    None => return Ok(None),
                }
            }
        };
        let block = self.block(self.cur);
        let off = walk.offset;
        let room = self.block_size - off; // bytes from this packet's header to the block end
        // SAFETY: off + SLL_END <= block_size (checked for the first packet,
        // and for each next one below), inside the user-owned block.
        let p = unsafe { block.add(off) };
        // SAFETY: the 48-byte header and the sockaddr_ll lie within `room`.
        let (next, sec, nsec, snaplen, len, st, mac, rxhash, tci, tpid, link) = unsafe {
            (
                read_u32(p, 0) as usize,
                read_u32(p, 4),
                read_u32(p, 8),
                read_u32(p, 12),
                read_u32(p, 16),
                read_u32(p, 20),
                read_u16(p, 24) as usize,
                read_u32(p, 28),
                read_u32(p, 32) as u16,
                read_u16(p, 36),
                read_link(p.add(PKT_HDR_LEN)),
            )
        };
        let snap = snaplen as usize;
        if mac < SLL_END || mac.checked_add(snap).is_none_or(|end| end > room) {
            return Err(self.corrupt(format!("packet at {off}: mac offset {mac} + caplen {snaplen} > {room} bytes left")));
        }
        walk.left -= 1;
        if walk.left > 0 {
            if next < SLL_END || next.checked_add(SLL_END).is_none_or(|end| end > room) {
                return Err(self.corrupt(format!("packet at {off}: next offset {next} leaves the block")));
            }
            walk.offset = off + next;
            self.walk = Some(walk);
        } else {
            // Last packet: the block goes back once this packet is no longer
            // visible to the caller.
            self.pending = Some(self.cur);
            self.advance_block();
        }
        self.packets_consumed += 1;
        let meta = SlotMeta { status: st, wire_len: len, sec, nsec, vlan_tci: tci, vlan_tpid: tpid, rxhash, link };
        // SAFETY: SLL_END <= mac and mac + snap <= room were checked; the
        // block stays user-owned until hand_back, which needs &mut self.
        self.pos = unsafe { SlotPos::new(p, mac, snap, SLL_END) };
        self.pos_valid = true;
        // SAFETY: as above.
        Ok(Some(unsafe { Slot::new(&mut self.pos, meta) }))
    }
}

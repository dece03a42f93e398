//! A packet the kernel has handed to user space, still in ring memory: its
//! decoded header (copied out once) and its bytes, with the two in-place
//! edits delivery needs (prepend a cooked header, insert a VLAN tag), each
//! bounds-checked against the headroom the frame really has.

use std::marker::PhantomData;

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
        self.status & libc::TP_STATUS_VLAN_VALID != 0 || self.vlan_tci != 0
    }

    /// The tag's TPID, 0x8100 when the kernel did not say.
    pub fn vlan_tpid_or_default(&self) -> u16 {
        if self.status & libc::TP_STATUS_VLAN_TPID_VALID != 0 && self.vlan_tpid != 0 {
            self.vlan_tpid
        } else {
            0x8100
        }
    }
}

/// Where a handed-out packet's bytes are: kept by the ring, so that after a
/// [`Slot`] is dropped the ring can still show the delivered bytes (their
/// final extents, after in-place edits) until it takes the next packet.
#[derive(Clone, Copy, Debug)]
pub struct SlotPos {
    /// Start of the frame (V1/V2) or packet header (V3).
    base: *mut u8,
    /// Offsets from `base`: the data, and the lowest byte we may write
    /// (the end of the `sockaddr_ll`: everything before it is the header).
    start: usize,
    len: usize,
    floor: usize,
}

impl Default for SlotPos {
    fn default() -> Self {
        SlotPos { base: std::ptr::null_mut(), start: 0, len: 0, floor: 0 }
    }
}

impl SlotPos {
    /// # Safety
    /// `base + floor ..= base + start + len` must lie in ring memory owned by
    /// user space for as long as the position is used, with `floor <= start`.
    pub(crate) unsafe fn new(base: *mut u8, start: usize, len: usize, floor: usize) -> SlotPos {
        debug_assert!(floor <= start);
        SlotPos { base, start, len, floor }
    }

    /// The bytes at this position.
    ///
    /// # Safety
    /// The frame or block must still be user-owned (not handed back).
    pub(crate) unsafe fn bytes<'a>(&self) -> &'a [u8] {
        if self.base.is_null() {
            return &[];
        }
        // SAFETY: caller's contract plus the constructor's bounds.
        unsafe { std::slice::from_raw_parts(self.base.add(self.start), self.len) }
    }
}

/// One packet in ring memory, borrowed from the ring until consumed.
#[derive(Debug)]
pub struct Slot<'r> {
    pos: &'r mut SlotPos,
    pub meta: SlotMeta,
    _ring: PhantomData<&'r mut [u8]>,
}

impl<'r> Slot<'r> {
    /// # Safety
    /// `pos` must describe user-owned ring memory for `'r` (see
    /// [`SlotPos::new`]).
    pub(crate) unsafe fn new(pos: &'r mut SlotPos, meta: SlotMeta) -> Slot<'r> {
        Slot { pos, meta, _ring: PhantomData }
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

/// A packet in ordinary memory with `headroom` free bytes in front, laid
/// out like a ring frame: for code that processes slots without a ring
/// (delivery tests, fuzzing of the delivery path).
pub struct SlotBuf {
    buf: Vec<u8>,
    headroom: usize,
    pos: SlotPos,
}

impl SlotBuf {
    pub fn new(data: &[u8], headroom: usize) -> SlotBuf {
        let mut buf = vec![0u8; headroom + data.len()];
        buf[headroom..].copy_from_slice(data);
        SlotBuf { buf, headroom, pos: SlotPos::default() }
    }

    /// A slot over the buffer's current contents.
    pub fn slot(&mut self, meta: SlotMeta) -> Slot<'_> {
        let len = self.buf.len() - self.headroom;
        // SAFETY: the heap buffer is owned by self and borrowed mutably for
        // the slot's lifetime; 0..headroom + len is exactly the buffer.
        self.pos = unsafe { SlotPos::new(self.buf.as_mut_ptr(), self.headroom, len, 0) };
        // SAFETY: as above.
        unsafe { Slot::new(&mut self.pos, meta) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepend_and_insert_respect_headroom() {
        let mut buf = [0u8; 64];
        buf[20..26].copy_from_slice(b"abcdef");
        // SAFETY: `buf` outlives the position and is ordinary memory.
        let mut pos = unsafe { SlotPos::new(buf.as_mut_ptr(), 20, 6, 12) };
        // SAFETY: as above.
        let mut s = unsafe { Slot::new(&mut pos, SlotMeta::default()) };
        assert_eq!(s.data(), b"abcdef");
        assert!(s.insert(2, b"XY"));
        assert_eq!(s.data(), b"abXYcdef");
        assert!(s.prepend(b"123"));
        assert_eq!(s.data(), b"123abXYcdef");
        assert_eq!(s.headroom(), 3);
        assert!(!s.prepend(b"1234"));
        assert!(!s.insert(100, b"Z"));
        assert_eq!(s.data(), b"123abXYcdef");
    }
}

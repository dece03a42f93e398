//! Per-packet delivery from a ring slot to the caller, with libpcap's rules:
//! cooked (SLL/SLL2) header synthesis, userland filtering of packets that
//! were in the ring before a filter change, direction, VLAN tag re-insertion
//! from ring metadata, snapshot trimming, timestamp precision. Packets are
//! edited in place in the ring and never copied.

use crate::bpf::interp::{AuxData, Compiled};
use crate::dlt::DLT_LINUX_SLL2;
use crate::error::{Error, Result};
use crate::packet::{PacketHeader, Precision};
use crate::ring::{Slot, SlotMeta};

pub const SLL_HDR_LEN: usize = 16;
pub const SLL2_HDR_LEN: usize = 20;
const PACKET_OUTGOING: u8 = 4;

/// `pcap_setdirection`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    InOut,
    In,
    Out,
}

impl Direction {
    pub fn from_c(d: i32) -> Option<Direction> {
        match d {
            0 => Some(Direction::InOut),
            1 => Some(Direction::In),
            2 => Some(Direction::Out),
            _ => None,
        }
    }
}

/// A filter applied in userland to packets the kernel queued before it (or
/// to every packet when the kernel refused the program).
#[derive(Debug, Default)]
pub struct UserlandFilter {
    pub program: Option<Compiled>,
    /// Filter in userland while fewer than this many frames/blocks have been
    /// handed back (the ones that may hold packets the old filter passed).
    pub until_consumed: u64,
}

/// Everything delivery needs, apart from the ring.
#[derive(Debug)]
pub struct Delivery {
    pub linktype: i32,
    pub cooked: bool,
    pub snapshot: u32,
    pub precision: Precision,
    direction: Direction,
    pub lo_ifindex: i32,
    pub vlan_offset: Option<usize>,
    userland: UserlandFilter,
    /// Whether packets may be ones the direction rules drop even when every
    /// direction is wanted (outgoing on `lo`, outgoing CAN frames): true for
    /// `any`, `lo` and CAN devices. Otherwise, and with nothing else to do
    /// per packet, delivery never reads the `sockaddr_ll`.
    pub link_rules: bool,
    /// Packets rejected in userland (filter or direction).
    pub rejected: u64,
    /// Whether packets need nothing but their header read (see `deliver`);
    /// kept current by the setters.
    plain: bool,
}

impl Delivery {
    #[allow(clippy::too_many_arguments)]
    pub fn new(linktype: i32, cooked: bool, snapshot: u32, precision: Precision, lo_ifindex: i32, vlan_offset: Option<usize>, link_rules: bool) -> Delivery {
        let mut d = Delivery {
            linktype,
            cooked,
            snapshot,
            precision,
            direction: Direction::InOut,
            lo_ifindex,
            vlan_offset,
            userland: UserlandFilter::default(),
            link_rules,
            rejected: 0,
            plain: false,
        };
        d.settle();
        d
    }

    fn settle(&mut self) {
        self.plain = !self.cooked && !self.link_rules && self.direction == Direction::InOut && self.userland.program.is_none();
    }

    /// `pcap_setdirection`.
    pub fn set_direction(&mut self, dir: Direction) {
        self.direction = dir;
        self.settle();
    }

    /// Filter in userland with `program` (None: stop) while fewer than
    /// `until_consumed` frames/blocks have been handed back.
    pub fn set_userland(&mut self, program: Option<Compiled>, until_consumed: u64) {
        self.userland = UserlandFilter { program, until_consumed };
        self.settle();
    }

    /// Whether a userland filter is on (the caller then tracks the ring's
    /// consumption for `deliver`).
    pub fn filters_in_userland(&self) -> bool {
        self.userland.program.is_some()
    }

    /// Prepare one packet for the caller; `None` when it is filtered out.
    /// `consumed` is the ring's count of frames/blocks handed back so far.
    #[inline]
    pub fn deliver(&mut self, slot: &mut Slot<'_>, consumed: u64) -> Result<Option<PacketHeader>> {
        // The common case reads four header fields and edits nothing: a raw
        // capture of every direction, no userland filter, no VLAN tag.
        if self.plain && slot.vlan().is_none() {
            let (sec, nsec) = slot.ts();
            let caplen = (slot.len() as u32).min(self.snapshot);
            return Ok(Some(PacketHeader::new(sec as i64, self.precision.from_nanos(nsec), caplen, slot.wire_len())));
        }
        self.deliver_edited(slot, consumed)
    }

    /// Everything else: cooked headers, userland filtering, direction, VLAN
    /// tag re-insertion.
    fn deliver_edited(&mut self, slot: &mut Slot<'_>, consumed: u64) -> Result<Option<PacketHeader>> {
        let m = slot.meta();
        let tp_snaplen = slot.len() as u32;
        let mut extra = 0u32;
        if self.cooked {
            // Room for the larger of the two headers; only `n` bytes are used.
            let mut h = [0u8; SLL2_HDR_LEN];
            let n = if self.linktype == DLT_LINUX_SLL2 {
                h[0..2].copy_from_slice(&m.link.protocol_be.to_ne_bytes());
                h[4..8].copy_from_slice(&(m.link.ifindex as u32).to_be_bytes());
                h[8..10].copy_from_slice(&m.link.hatype.to_be_bytes());
                h[10] = m.link.pkttype;
                h[11] = m.link.halen;
                h[12..20].copy_from_slice(&m.link.addr);
                SLL2_HDR_LEN
            } else {
                h[0..2].copy_from_slice(&(m.link.pkttype as u16).to_be_bytes());
                h[2..4].copy_from_slice(&m.link.hatype.to_be_bytes());
                h[4..6].copy_from_slice(&(m.link.halen as u16).to_be_bytes());
                h[6..14].copy_from_slice(&m.link.addr);
                h[14..16].copy_from_slice(&m.link.protocol_be.to_ne_bytes());
                SLL_HDR_LEN
            };
            if !slot.prepend(&h[..n]) {
                return Err(Error::msg("cooked-mode frame doesn't have room for sll header"));
            }
            extra = n as u32;
        }
        if let Some(prog) = &self.userland.program {
            if consumed < self.userland.until_consumed {
                let aux = AuxData { vlan_tag_present: m.vlan_valid(), vlan_tag: m.vlan_tci & 0x0fff, pkttype: Some(m.link.pkttype) };
                if prog.run(slot.data(), m.wire_len, Some(&aux)) == 0 {
                    self.rejected += 1;
                    return Ok(None);
                }
            } else {
                self.set_userland(None, 0);
            }
        }
        if !self.direction_ok(&m) {
            self.rejected += 1;
            return Ok(None);
        }
        let mut caplen = tp_snaplen + extra;
        // tp_len is the kernel's word: never trusted not to overflow.
        let mut len = m.wire_len.saturating_add(extra);
        if m.vlan_valid() {
            let tag = |tpid: u16, tci: u16| {
                let mut t = [0u8; 4];
                t[0..2].copy_from_slice(&tpid.to_be_bytes());
                t[2..4].copy_from_slice(&tci.to_be_bytes());
                t
            };
            let inserted = match self.vlan_offset {
                Some(off) if tp_snaplen as usize >= off => {
                    slot.insert(off, &tag(m.vlan_tpid_or_default(), m.vlan_tci))
                }
                // The kernel already cut the packet (snapshot) before the
                // tag's place: the tag is beyond the captured bytes, but it
                // still counts in the length, as when libpcap inserts it and
                // then trims.
                Some(off) if m.wire_len as usize >= off => {
                    len = len.saturating_add(4);
                    false
                }
                // DLT_LINUX_SLL2 keeps its protocol field first: it becomes the
                // TPID and the TCI plus the original protocol follow the header
                // (libpcap 1.10.3 drops the tag here: its issue #1105).
                None if self.cooked && self.linktype == DLT_LINUX_SLL2 => {
                    let rest = tag(m.vlan_tci, u16::from_be(m.link.protocol_be));
                    slot.insert(SLL2_HDR_LEN, &rest) && slot.overwrite(0, &m.vlan_tpid_or_default().to_be_bytes())
                }
                _ => false,
            };
            if inserted {
                caplen += 4;
                len = len.saturating_add(4);
            }
        }
        caplen = caplen.min(self.snapshot);
        Ok(Some(PacketHeader::new(m.sec as i64, self.precision.from_nanos(m.nsec), caplen, len)))
    }

    fn direction_ok(&self, m: &SlotMeta) -> bool {
        if m.link.pkttype == PACKET_OUTGOING {
            // Outgoing packets on lo are seen again as incoming: drop them.
            if m.link.ifindex == self.lo_ifindex {
                return false;
            }
            if m.link.hatype == libc::ARPHRD_CAN && self.direction != Direction::Out {
                return false;
            }
            self.direction != Direction::In
        } else {
            self.direction != Direction::Out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dlt::DLT_LINUX_SLL;
    use crate::ring::{LinkAddr, SlotBuf};

    fn delivery(linktype: i32, cooked: bool) -> Delivery {
        Delivery::new(linktype, cooked, 262144, Precision::Micro, 1, crate::capture::linktype::vlan_offset(linktype), true)
    }

    fn run(d: &mut Delivery, pkt: &[u8], meta: SlotMeta) -> Option<(PacketHeader, Vec<u8>)> {
        let mut buf = SlotBuf::new(pkt, 60);
        let mut slot = buf.slot(meta);
        let h = d.deliver(&mut slot, 0).unwrap()?;
        Some((h, slot.data()[..h.caplen as usize].to_vec()))
    }

    fn meta(pkttype: u8) -> SlotMeta {
        SlotMeta {
            wire_len: 60,
            sec: 5,
            nsec: 123_456_789,
            link: LinkAddr { protocol_be: 0x0800u16.to_be(), ifindex: 7, hatype: 1, pkttype, halen: 6, addr: [1, 2, 3, 4, 5, 6, 0, 0] },
            ..Default::default()
        }
    }

    #[test]
    fn ethernet_vlan_tag_is_reinserted_after_the_macs() {
        let mut d = delivery(crate::dlt::DLT_EN10MB, false);
        let frame: Vec<u8> = (0u8..20).collect();
        let mut m = meta(0);
        m.status = libc::TP_STATUS_VLAN_VALID;
        m.vlan_tci = 0x2064;
        m.wire_len = 20;
        let (h, data) = run(&mut d, &frame, m).unwrap();
        assert_eq!((h.caplen, h.len), (24, 24));
        assert_eq!(&data[..12], &frame[..12]);
        assert_eq!(&data[12..16], &[0x81, 0x00, 0x20, 0x64]);
        assert_eq!(&data[16..], &frame[12..]);
        assert_eq!((h.ts.tv_sec, h.ts.tv_usec), (5, 123_456));
    }

    #[test]
    fn cooked_headers_match_libpcaps_layout() {
        let mut d = delivery(DLT_LINUX_SLL, true);
        let (h, data) = run(&mut d, &[0x45, 0, 0, 20], meta(4)).unwrap();
        assert_eq!((h.caplen, h.len), (20, 76));
        assert_eq!(&data[..16], &[0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00]);
        let mut d = delivery(DLT_LINUX_SLL2, true);
        let (h, data) = run(&mut d, &[0x45, 0, 0, 20], meta(0)).unwrap();
        assert_eq!(h.caplen, 24);
        assert_eq!(&data[..20], &[0x08, 0x00, 0, 0, 0, 0, 0, 7, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
    }

    #[test]
    fn sll2_vlan_keeps_the_tag() {
        let mut d = delivery(DLT_LINUX_SLL2, true);
        let mut m = meta(0);
        m.status = libc::TP_STATUS_VLAN_VALID;
        m.vlan_tci = 5;
        let (h, data) = run(&mut d, &[0x45, 0], m).unwrap();
        assert_eq!(h.caplen, 26);
        assert_eq!(&data[0..2], &[0x81, 0x00]);
        assert_eq!(&data[20..26], &[0x00, 0x05, 0x08, 0x00, 0x45, 0]);
    }

    #[test]
    fn direction_and_loopback_rules() {
        let mut d = delivery(crate::dlt::DLT_EN10MB, false);
        assert!(run(&mut d, &[0; 14], meta(4)).is_some());
        d.set_direction(Direction::In);
        assert!(run(&mut d, &[0; 14], meta(4)).is_none());
        assert!(run(&mut d, &[0; 14], meta(0)).is_some());
        d.set_direction(Direction::Out);
        assert!(run(&mut d, &[0; 14], meta(0)).is_none());
        let mut lo = meta(4);
        lo.link.ifindex = 1;
        assert!(run(&mut d, &[0; 14], lo).is_none());
        assert_eq!(d.rejected, 3);
    }

    #[test]
    fn the_plain_path_delivers_what_the_edited_path_does() {
        let frame: Vec<u8> = (0u8..40).collect();
        for (status, tci) in [(0, 0), (libc::TP_STATUS_VLAN_VALID, 0x0064), (0, 0x0005)] {
            for snapshot in [262144, 30, 10] {
                let m = SlotMeta { status, vlan_tci: tci, wire_len: 40, ..meta(0) };
                let mut plain = Delivery::new(crate::dlt::DLT_EN10MB, false, snapshot, Precision::Micro, 1, Some(12), false);
                assert!(plain.plain);
                let mut edited = delivery(crate::dlt::DLT_EN10MB, false);
                edited.snapshot = snapshot;
                assert_eq!(run(&mut plain, &frame, m), run(&mut edited, &frame, m), "status {status:#x} tci {tci} snapshot {snapshot}");
            }
        }
    }

    /// Found by the `ring` fuzz target: a hostile tp_len near u32::MAX
    /// plus a cooked header and a re-inserted VLAN tag overflowed the wire
    /// length (a panic with overflow checks, a wrapped length without).
    #[test]
    fn a_hostile_wire_length_saturates() {
        for (linktype, cooked) in [(crate::dlt::DLT_EN10MB, false), (DLT_LINUX_SLL, true), (DLT_LINUX_SLL2, true)] {
            let mut d = delivery(linktype, cooked);
            let mut m = meta(0);
            m.status = libc::TP_STATUS_VLAN_VALID;
            m.vlan_tci = 7;
            m.wire_len = u32::MAX - 1;
            let (h, _) = run(&mut d, &[0x45; 20], m).unwrap();
            assert_eq!(h.len, u32::MAX, "linktype {linktype}");
            assert!(h.caplen <= 20 + 20 + 4, "linktype {linktype}: caplen {}", h.caplen);
        }
    }

    #[test]
    fn snapshot_trims_and_nanoseconds_pass_through() {
        let mut d = delivery(crate::dlt::DLT_EN10MB, false);
        d.snapshot = 10;
        d.precision = Precision::Nano;
        let (h, data) = run(&mut d, &[9; 30], meta(0)).unwrap();
        assert_eq!((h.caplen, h.len, data.len()), (10, 60, 10));
        assert_eq!(h.ts.tv_usec, 123_456_789);
    }
}

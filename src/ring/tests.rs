//! Ring walking over synthetic ring memory: well-formed blocks and frames,
//! and hostile offsets that must be reported, never followed.

use super::geometry::{RingGeometry, Version};
use super::*;

/// 8-aligned fake ring memory.
struct Mem(Vec<u64>);

impl Mem {
    fn new(bytes: usize) -> Mem {
        Mem(vec![0; bytes.div_ceil(8)])
    }
    fn bytes(&mut self) -> &mut [u8] {
        let n = self.0.len() * 8;
        // SAFETY: reinterpreting an owned Vec<u64> as bytes of the same length.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr() as *mut u8, n) }
    }
    fn put32(&mut self, off: usize, v: u32) {
        self.bytes()[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    }
    fn put16(&mut self, off: usize, v: u16) {
        self.bytes()[off..off + 2].copy_from_slice(&v.to_ne_bytes());
    }
    fn get32(&mut self, off: usize) -> u32 {
        u32::from_ne_bytes(self.bytes()[off..off + 4].try_into().unwrap())
    }
}

const BS: usize = 4096;

fn v3() -> RingGeometry {
    RingGeometry {
        version: Version::V3,
        block_size: BS as u32,
        block_nr: 2,
        frame_size: 2048,
        frame_nr: 4,
        retire_blk_tov: 0,
        sizeof_priv: 0,
        feature_req_word: 0,
    }
}

/// Write a V3 packet header at `off` in block `b`: data at mac, `data` bytes.
fn v3_packet(m: &mut Mem, b: usize, off: usize, next: u32, mac: u16, data: &[u8]) {
    let p = b * BS + off;
    m.put32(p, next);
    m.put32(p + 4, 100); // sec
    m.put32(p + 8, 5000); // nsec
    m.put32(p + 12, data.len() as u32);
    m.put32(p + 16, data.len() as u32 + 10);
    m.put32(p + 20, libc::TP_STATUS_USER);
    m.put16(p + 24, mac);
    m.put32(p + 28, 0xabcd);
    m.bytes()[p + mac as usize..p + mac as usize + data.len()].copy_from_slice(data);
}

fn v3_block(m: &mut Mem, b: usize, num: u32, first: u32) {
    m.put32(b * BS + 12, num);
    m.put32(b * BS + 16, first);
    m.put32(b * BS + 8, libc::TP_STATUS_USER);
}

#[test]
fn v3_walks_packets_and_hands_blocks_back_after_the_last() {
    let mut m = Mem::new(2 * BS);
    v3_block(&mut m, 0, 2, 48);
    v3_packet(&mut m, 0, 48, 160, 100, b"first");
    v3_packet(&mut m, 0, 208, 0, 100, b"second!");
    let base = m.bytes().as_mut_ptr();
    // SAFETY: `m` outlives the ring and is laid out as `v3()` says.
    let mut r = unsafe { RxRing::new(base, &v3()) };
    {
        let s = r.take().unwrap().unwrap();
        assert_eq!(s.data(), b"first");
        assert_eq!(s.meta().wire_len, 15);
        assert_eq!(s.meta().rxhash, 0xabcd);
        assert_eq!((s.meta().sec, s.meta().nsec), (100, 5000));
    }
    assert_eq!(r.current(), b"first");
    assert_eq!(r.take().unwrap().unwrap().data(), b"second!");
    assert_eq!(r.current(), b"second!");
    // The block is still ours until the next call.
    assert_eq!(m.get32(8), libc::TP_STATUS_USER);
    assert!(r.take().unwrap().is_none());
    assert_eq!(m.get32(8), libc::TP_STATUS_KERNEL);
    assert_eq!(r.consumed(), (1, 2));
}

#[test]
fn v3_empty_blocks_are_skipped() {
    let mut m = Mem::new(2 * BS);
    v3_block(&mut m, 0, 0, 48);
    v3_block(&mut m, 1, 1, 48);
    v3_packet(&mut m, 1, 48, 0, 100, b"x");
    let base = m.bytes().as_mut_ptr();
    // SAFETY: as above.
    let mut r = unsafe { RxRing::new(base, &v3()) };
    assert_eq!(r.take().unwrap().unwrap().data(), b"x");
    assert_eq!(m.get32(8), libc::TP_STATUS_KERNEL);
}

#[test]
fn v3_hostile_offsets_are_reported_and_the_block_returned() {
    // (num_pkts, offset_to_first_pkt, next_offset, mac, snaplen) cases.
    let cases: &[(u32, u32, u32, u16, usize, &str)] = &[
        (1, 8, 0, 100, 4, "first packet at offset 8"),
        (1, 4090, 0, 100, 4, "first packet at offset 4090"),
        (100_000, 48, 0, 100, 4, "cannot fit"),
        (2, 48, 9000, 100, 4, "next offset 9000"),
        (2, 48, 4, 100, 4, "next offset 4"),
        (1, 48, 0, 10, 4, "mac offset 10"),
        (1, 48, 0, 100, 5000, "caplen"),
    ];
    for &(num, first, next, mac, snap, what) in cases {
        let mut m = Mem::new(2 * BS);
        if first >= 48 && (first as usize) + 80 <= BS {
            let data = vec![7u8; snap.min(BS - first as usize - mac as usize)];
            v3_packet(&mut m, 0, first as usize, next, mac, &data);
            m.put32(first as usize + 12, snap as u32);
        }
        v3_block(&mut m, 0, num, first);
        let base = m.bytes().as_mut_ptr();
        // SAFETY: as above.
        let mut r = unsafe { RxRing::new(base, &v3()) };
        if next != 0 {
            // The first packet is fine; the bad link shows when walking on.
            let e = r.take().err().map(|e| e.message).unwrap_or_default();
            assert!(e.contains(what), "{what}: {e}");
        } else {
            let e = r.take().unwrap_err().message;
            assert!(e.contains(what), "{what}: {e}");
        }
        assert_eq!(m.get32(8), libc::TP_STATUS_KERNEL, "{what}: block handed back");
        assert!(r.take().unwrap().is_none());
    }
}

#[test]
fn v2_frames_go_back_one_call_later() {
    let g = RingGeometry {
        version: Version::V2,
        block_size: BS as u32,
        block_nr: 1,
        frame_size: 2048,
        frame_nr: 2,
        retire_blk_tov: 0,
        sizeof_priv: 0,
        feature_req_word: 0,
    };
    let mut m = Mem::new(BS);
    for (i, data) in [&b"one"[..], &b"two"[..]].iter().enumerate() {
        let f = i * 2048;
        m.put32(f + 4, 60); // tp_len
        m.put32(f + 8, data.len() as u32);
        m.put16(f + 12, 80); // tp_mac
        m.put32(f + 16, 7);
        m.put32(f + 20, 8);
        m.put16(f + 24, 0x0064); // vlan tci
        m.put32(f, libc::TP_STATUS_USER | libc::TP_STATUS_VLAN_VALID);
        m.bytes()[f + 80..f + 80 + data.len()].copy_from_slice(data);
        m.bytes()[f + 32 + 10] = 4; // sll_pkttype = outgoing
    }
    let base = m.bytes().as_mut_ptr();
    // SAFETY: as above.
    let mut r = unsafe { RxRing::new(base, &g) };
    {
        let s = r.take().unwrap().unwrap();
        assert_eq!(s.data(), b"one");
        assert!(s.meta().vlan_valid());
        assert_eq!(s.meta().vlan_tci, 100);
        assert_eq!(s.meta().vlan_tpid_or_default(), 0x8100);
        assert_eq!(s.meta().link.pkttype, 4);
    }
    assert_eq!(m.get32(0), libc::TP_STATUS_USER | libc::TP_STATUS_VLAN_VALID);
    assert_eq!(r.take().unwrap().unwrap().data(), b"two");
    assert_eq!(m.get32(0), libc::TP_STATUS_KERNEL);
    assert!(r.take().unwrap().is_none());
    assert_eq!(m.get32(2048), libc::TP_STATUS_KERNEL);
    // A frame whose mac + caplen overruns the frame.
    m.put32(8, 4000);
    m.put32(0, libc::TP_STATUS_USER);
    let e = r.take().unwrap_err().message;
    assert!(e.contains("corrupted frame"), "{e}");
    assert!(r.take().unwrap().is_none());
    assert_eq!(m.get32(0), libc::TP_STATUS_KERNEL);
}

#[test]
fn v3_batch_keeps_blocks_until_released() {
    let mut m = Mem::new(2 * BS);
    v3_block(&mut m, 0, 2, 48);
    v3_packet(&mut m, 0, 48, 160, 100, b"first");
    v3_packet(&mut m, 0, 208, 0, 100, b"second!");
    v3_block(&mut m, 1, 1, 48);
    v3_packet(&mut m, 1, 48, 0, 100, b"third");
    let base = m.bytes().as_mut_ptr();
    // SAFETY: `m` outlives the ring and is laid out as `v3()` says.
    let mut r = unsafe { RxRing::new(base, &v3()) };
    r.hold();
    while let Some(_s) = r.take().unwrap() {
        r.keep_current();
    }
    assert_eq!(r.held_len(), 3);
    // The batch holds the whole ring: reading stops at its oldest block.
    assert!(!r.ready());
    // Both blocks are still ours: the batch can see every packet.
    assert_eq!((m.get32(8), m.get32(BS + 8)), (libc::TP_STATUS_USER, libc::TP_STATUS_USER));
    let got: Vec<(Vec<u8>, u32)> = (0..3).map(|i| r.held_packet(i)).map(|(d, meta)| (d.to_vec(), meta.wire_len)).collect();
    assert_eq!(got, vec![(b"first".to_vec(), 15), (b"second!".to_vec(), 17), (b"third".to_vec(), 15)]);
    r.release_held();
    assert_eq!(r.held_len(), 0);
    assert_eq!((m.get32(8), m.get32(BS + 8)), (libc::TP_STATUS_KERNEL, libc::TP_STATUS_KERNEL));
    assert_eq!(r.consumed(), (2, 3));
    // Outside a batch blocks go back as reading moves on again.
    v3_block(&mut m, 0, 1, 48);
    v3_packet(&mut m, 0, 48, 0, 100, b"fourth");
    assert_eq!(r.take().unwrap().unwrap().data(), b"fourth");
    assert!(r.take().unwrap().is_none());
    assert_eq!(m.get32(8), libc::TP_STATUS_KERNEL);
}

#[test]
fn v3_a_corrupt_block_with_kept_packets_waits_for_the_batch() {
    let mut m = Mem::new(2 * BS);
    v3_block(&mut m, 0, 3, 48);
    v3_packet(&mut m, 0, 48, 160, 100, b"kept");
    v3_packet(&mut m, 0, 208, 9000, 100, b"bad link");
    let base = m.bytes().as_mut_ptr();
    // SAFETY: as above.
    let mut r = unsafe { RxRing::new(base, &v3()) };
    r.hold();
    assert!(r.take().unwrap().is_some());
    r.keep_current();
    assert!(r.take().unwrap_err().message.contains("next offset 9000"));
    // The kept packet still points into block 0: not handed back yet.
    assert_eq!(m.get32(8), libc::TP_STATUS_USER);
    assert_eq!(r.held_packet(0).0, b"kept");
    r.release_held();
    assert_eq!(m.get32(8), libc::TP_STATUS_KERNEL);
}

#[test]
fn v2_batch_keeps_frames_until_released() {
    let g = RingGeometry {
        version: Version::V2,
        block_size: BS as u32,
        block_nr: 1,
        frame_size: 1024,
        frame_nr: 4,
        retire_blk_tov: 0,
        sizeof_priv: 0,
        feature_req_word: 0,
    };
    let mut m = Mem::new(BS);
    for i in 0..3 {
        let f = i * 1024;
        m.put32(f + 4, 60);
        m.put32(f + 8, 1);
        m.put16(f + 12, 80);
        m.bytes()[f + 80] = i as u8;
        m.put32(f, libc::TP_STATUS_USER);
    }
    let base = m.bytes().as_mut_ptr();
    // SAFETY: as above.
    let mut r = unsafe { RxRing::new(base, &g) };
    assert_eq!(r.take().unwrap().unwrap().data(), [0]);
    // Holding starts after the packet read before: that one goes back.
    r.hold();
    assert_eq!(m.get32(0), libc::TP_STATUS_KERNEL);
    while r.take().unwrap().is_some() {
        r.keep_current();
    }
    assert_eq!((r.held_len(), r.held_packet(0).0, r.held_packet(1).0), (2, &[1u8][..], &[2u8][..]));
    assert_eq!((m.get32(1024), m.get32(2048)), (libc::TP_STATUS_USER, libc::TP_STATUS_USER));
    r.release_held();
    assert_eq!((m.get32(1024), m.get32(2048)), (libc::TP_STATUS_KERNEL, libc::TP_STATUS_KERNEL));
}

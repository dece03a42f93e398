// The TPACKET ring walkers' fuzz check, shared by fuzz/fuzz_targets/ring.rs
// and tests/ring_fuzz.rs (which replays the kept corpus and mutations of it).
//
// The kernel is the adversary here: the input is the ring memory itself
// (two 4 KiB blocks: V3 block descriptors and packet headers, or V1/V2
// frames), status words included, so every `tp_next_offset`,
// `offset_to_first_pkt`, `num_pkts`, `tp_mac` and `tp_snaplen` is hostile.
// The first byte chooses the TPACKET version, batch holding, and how
// delivery edits packets in place (cooked SLL/SLL2 headers, VLAN tag
// re-insertion, snapshot). Nothing may panic, loop, or touch a byte outside
// the ring: every packet handed out, before and after delivery's edits, and
// every packet a batch keeps, must lie inside the ring memory.

use ringcap::capture::deliver::Delivery;
use ringcap::capture::linktype::vlan_offset;
use ringcap::dlt::{DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2};
use ringcap::packet::Precision;
use ringcap::ring::geometry::{RingGeometry, Version};
use ringcap::ring::RxRing;

const RING_BLOCK: usize = 4096;
const RING_BLOCKS: usize = 2;

fn inside(mem: &[u64], bytes: &[u8]) -> bool {
    let start = mem.as_ptr() as usize;
    let end = start + mem.len() * 8;
    let (p, n) = (bytes.as_ptr() as usize, bytes.len());
    n == 0 || (p >= start && p.checked_add(n).is_some_and(|e| e <= end))
}

fn check_ring(data: &[u8]) {
    let Some((&ctl, fill)) = data.split_first() else { return };
    let version = [Version::V1, Version::V2, Version::V3][(ctl % 3) as usize];
    let hold = ctl & 4 != 0;
    let cooked = ctl & 8 != 0;
    let linktype = match (cooked, ctl & 16 != 0) {
        (false, _) => DLT_EN10MB,
        (true, false) => DLT_LINUX_SLL,
        (true, true) => DLT_LINUX_SLL2,
    };
    let snapshot = [262144, 60, 14, 1][((ctl >> 5) & 3) as usize];
    let link_rules = ctl & 128 != 0;

    let mut mem = vec![0u64; RING_BLOCKS * RING_BLOCK / 8];
    for (i, chunk) in fill.chunks(8).take(mem.len()).enumerate() {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        mem[i] = u64::from_ne_bytes(w);
    }
    let v3 = version == Version::V3;
    let g = RingGeometry {
        version,
        block_size: RING_BLOCK as u32,
        block_nr: RING_BLOCKS as u32,
        frame_size: if v3 { 2048 } else { 1024 },
        frame_nr: if v3 { 4 } else { 8 },
        retire_blk_tov: 0,
        sizeof_priv: 0,
        feature_req_word: 0,
    };
    // SAFETY: `mem` is 8-aligned, RING_BLOCKS * RING_BLOCK bytes laid out
    // by `g`, and outlives the ring (dropped at the end of this function).
    let mut ring = unsafe { RxRing::new(mem.as_mut_ptr() as *mut u8, &g) };
    let mut d = Delivery::new(linktype, cooked, snapshot, Precision::Nano, 1, vlan_offset(linktype), link_rules);
    if hold {
        ring.hold();
    }
    // Every unit can be handed out at most once per lap; 64 takes is more
    // than the ring holds, so a walker that loops shows up as a hang.
    for _ in 0..64 {
        let consumed = ring.consumed().0;
        match ring.take() {
            Ok(Some(mut slot)) => {
                let len = slot.data().len();
                assert!(inside(&mem, slot.data()), "a packet outside the ring");
                let m = slot.meta();
                let _ = (slot.status(), slot.ts(), slot.vlan(), slot.rxhash(), slot.origin(), m.ts_source());
                if let Ok(Some(h)) = d.deliver(&mut slot, consumed) {
                    assert!(h.caplen as usize <= slot.data().len(), "caplen beyond the delivered bytes");
                    assert!(slot.data().len() <= len + 24, "delivery grew a packet by more than a header and a tag");
                }
                assert!(inside(&mem, slot.data()), "delivery moved a packet outside the ring");
                if hold {
                    ring.keep_current();
                }
            }
            Ok(None) => break,
            Err(e) => assert!(!e.message.is_empty()),
        }
        assert!(inside(&mem, ring.current()));
    }
    for i in 0..ring.held_len() {
        let (bytes, _) = ring.held_packet(i);
        assert!(inside(&mem, bytes), "a kept packet outside the ring");
    }
    ring.release_held();
    ring.release_pending();
    let _ = ring.possibly_filled();
    drop(ring);
}

// The BPF validator and interpreter's fuzz check, shared by the fuzz target
// and by tests/filter_fuzz.rs (which replays the kept corpus through it).
//
// Arbitrary programs and packets: no panic, no hang, whether or not the
// program validates; and the three ways of running a program (straight,
// compiled, through the kind cache) give the same verdict.
//
// Input: byte 0 = number of instructions, byte 1 = aux flags (bit 0: VLAN
// tag present, bit 1: pass aux data, bit 4: packet type known, bits 5-7:
// the packet type), bytes 2..4 = VLAN tag, bytes 4..8 =
// wire length, then the instructions (8 bytes each, `struct bpf_insn` in
// little-endian) and the packet.

use ringcap::bpf::{self, image, AuxData, Compiled, Insn, KindCache};

static CACHE: KindCache = KindCache::new();

pub fn check_bpf_interp(data: &[u8]) {
    if data.len() < 8 {
        return;
    }
    let n = (data[0] as usize).min((data.len() - 8) / 8);
    let flags = data[1];
    let aux = AuxData {
        vlan_tag_present: flags & 1 != 0,
        vlan_tag: u16::from_le_bytes([data[2], data[3]]),
        pkttype: (flags & 0x10 != 0).then_some(flags >> 5),
    };
    let aux = (flags & 2 != 0).then_some(&aux);
    let wirelen = u32::from_le_bytes([data[4], data[5], data[6], data[7]]);
    let (insns, pkt) = data[8..].split_at(n * 8);
    let prog: Vec<Insn> = insns
        .chunks_exact(8)
        .map(|c| Insn { code: u16::from_le_bytes([c[0], c[1]]), jt: c[2], jf: c[3], k: u32::from_le_bytes([c[4], c[5], c[6], c[7]]) })
        .collect();

    let _ = bpf::validate(&prog);
    let verdict = bpf::filter_with_aux(&prog, pkt, wirelen, aux);
    assert_eq!(Compiled::new(&prog).run(pkt, wirelen, aux), verdict);
    // One address for every input: the cache must notice each new program.
    assert_eq!(CACHE.run(1, prog.as_slice(), pkt, wirelen, aux), verdict);
    let _ = image::dump(&prog, (flags >> 2) as i32 % 4);
}

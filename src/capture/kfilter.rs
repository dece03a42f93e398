//! Preparing a compiled filter for the kernel. Programs are compiled against
//! the link-layer header the caller sees; on cooked sockets that header
//! (DLT_LINUX_SLL / SLL2) is synthesised in user space, so loads from it are
//! rewritten to the kernel's ancillary loads (protocol, packet type,
//! interface index) and later offsets are shifted, as libpcap does.

use crate::bpf::insn::*;
use crate::dlt::DLT_LINUX_SLL2;

const SLL_HDR_LEN: u32 = 16;
const SLL2_HDR_LEN: u32 = 20;

/// The program to attach to a cooked socket, or None when a load reads a
/// part of the cooked header the kernel cannot provide (the filter then runs
/// in user space).
pub fn for_cooked(prog: &[Insn], linktype: i32) -> Option<Vec<Insn>> {
    let mut out = prog.to_vec();
    for i in &mut out {
        let cls = class(i.code);
        let m = mode(i.code);
        if (cls == BPF_LD || cls == BPF_LDX) && matches!(m, BPF_ABS | BPF_IND | BPF_MSH) {
            i.k = fix_offset(i.k, linktype)?;
        }
    }
    Some(out)
}

fn fix_offset(k: u32, linktype: i32) -> Option<u32> {
    if k >= SKF_AD_OFF {
        return Some(k);
    }
    let (hdr, map): (u32, &[(u32, u32)]) = if linktype == DLT_LINUX_SLL2 {
        (SLL2_HDR_LEN, &[(0, SKF_AD_PROTOCOL), (4, SKF_AD_IFINDEX), (10, SKF_AD_PKTTYPE)])
    } else {
        (SLL_HDR_LEN, &[(0, SKF_AD_PKTTYPE), (14, SKF_AD_PROTOCOL)])
    };
    if k >= hdr {
        return Some(k - hdr);
    }
    if let Some(&(_, ad)) = map.iter().find(|&&(off, _)| off == k) {
        return Some(SKF_AD_OFF + ad);
    }
    // A negative offset (k as i32 < 0) is left for the kernel to reject at
    // run time; any other header field has no kernel equivalent.
    ((k as i32) <= 0).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dlt::DLT_LINUX_SLL;

    #[test]
    fn cooked_offsets_become_ancillary_loads() {
        let prog = [
            Insn::stmt(BPF_LD | BPF_H | BPF_ABS, 14),
            Insn::stmt(BPF_LD | BPF_B | BPF_ABS, 0),
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 16 + 12),
            Insn::stmt(BPF_LDX | BPF_B | BPF_MSH, 16),
            Insn::stmt(BPF_RET | BPF_K, 262144),
        ];
        let out = for_cooked(&prog, DLT_LINUX_SLL).unwrap();
        assert_eq!(out[0].k, SKF_AD_OFF + SKF_AD_PROTOCOL);
        assert_eq!(out[1].k, SKF_AD_OFF + SKF_AD_PKTTYPE);
        assert_eq!(out[2].k, 12);
        assert_eq!(out[3].k, 0);
        assert_eq!(out[4], prog[4]);
        let sll2 = for_cooked(&[Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 4)], DLT_LINUX_SLL2).unwrap();
        assert_eq!(sll2[0].k, SKF_AD_OFF + SKF_AD_IFINDEX);
        // The link-layer address has no ancillary load: filter in user space.
        assert!(for_cooked(&[Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 6)], DLT_LINUX_SLL).is_none());
    }
}

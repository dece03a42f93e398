//! The classic BPF validator with libpcap 1.10.3's userland rules
//! (`pcap_validate_filter`, exported as `bpf_validate`).
//!
//! What it checks, and what it deliberately does not:
//! - the program is not empty and ends in a `ret`;
//! - every instruction's class and, for loads, ALU and jumps, its mode or
//!   operation is known (`BPF_CLASS`, `BPF_MODE`, `BPF_OP` are masks: bits
//!   outside them, such as a load's size or a code above 0xff, are ignored,
//!   exactly as libpcap ignores them);
//! - scratch-memory indices are below `BPF_MEMWORDS`;
//! - no division or modulus by the constant 0;
//! - jump targets lie inside the program, computed in 32-bit unsigned
//!   arithmetic as libpcap does (so a `ja` whose offset wraps around to an
//!   earlier instruction is accepted: libpcap allows backward jumps in
//!   userland for `ip6 protochain`).
//!
//! Unlike the kernel's checker, userland libpcap enforces no length limit
//! (`BPF_MAXINSNS` applies only when the kernel validates) and does not check
//! that scratch memory is written before it is read; neither does this.

use super::insn::*;

/// libpcap's verdict on `prog`: `true` when `bpf_validate` returns 1.
pub fn validate(prog: &[Insn]) -> bool {
    // libpcap takes the length as an `int` and compares in `u_int`; a slice
    // longer than that cannot come from C, so saturating is only for totality.
    let len = u32::try_from(prog.len()).unwrap_or(u32::MAX);
    let Some(last) = prog.last() else { return false };
    prog.iter().enumerate().all(|(i, p)| insn_ok(p, i as u32, len)) && class(last.code) == BPF_RET
}

/// One instruction at index `i` of a program of `len` instructions.
fn insn_ok(p: &Insn, i: u32, len: u32) -> bool {
    let mem_ok = (p.k as usize) < BPF_MEMWORDS;
    match class(p.code) {
        BPF_LD | BPF_LDX => match mode(p.code) {
            BPF_IMM | BPF_ABS | BPF_IND | BPF_MSH | BPF_LEN => true,
            BPF_MEM => mem_ok,
            _ => false,
        },
        BPF_ST | BPF_STX => mem_ok,
        BPF_ALU => match op(p.code) {
            BPF_ADD | BPF_SUB | BPF_MUL | BPF_OR | BPF_AND | BPF_XOR | BPF_LSH | BPF_RSH | BPF_NEG => true,
            BPF_DIV | BPF_MOD => !(src(p.code) == BPF_K && p.k == 0),
            _ => false,
        },
        BPF_JMP => {
            let from = i.wrapping_add(1);
            match op(p.code) {
                BPF_JA => from.wrapping_add(p.k) < len,
                BPF_JEQ | BPF_JGT | BPF_JGE | BPF_JSET => from + (p.jt as u32) < len && from + (p.jf as u32) < len,
                _ => false,
            }
        }
        // BPF_RET and BPF_MISC: any variant passes, as in libpcap.
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ret(k: u32) -> Insn {
        Insn::stmt(BPF_RET | BPF_K, k)
    }

    #[test]
    fn empty_and_unterminated_programs_are_rejected() {
        assert!(!validate(&[]));
        assert!(!validate(&[Insn::stmt(BPF_LD | BPF_IMM, 1)]));
        assert!(validate(&[ret(0)]));
        assert!(validate(&[Insn::stmt(BPF_LD | BPF_IMM, 1), Insn::stmt(BPF_RET | BPF_A, 0)]));
    }

    #[test]
    fn ret_and_misc_accept_any_variant() {
        // Class bits decide; libpcap's interpreter would abort on some of these,
        // but its validator passes them.
        for code in [BPF_RET | 0x08, BPF_RET | 0x18, BPF_RET | 0xf0, 0x106] {
            assert!(validate(&[ret(0), Insn::stmt(code, 7)]), "{code:#x}");
        }
        for code in [BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA, BPF_MISC | 0x40, 0xff] {
            assert!(validate(&[Insn::stmt(code, 0), ret(0)]), "{code:#x}");
        }
    }

    #[test]
    fn load_modes() {
        for m in [BPF_IMM, BPF_ABS, BPF_IND, BPF_LEN, BPF_MSH] {
            for class in [BPF_LD, BPF_LDX] {
                for size in [BPF_W, BPF_H, BPF_B, 0x18] {
                    let i = Insn::stmt(class | m | size, 0xdead_beef);
                    assert!(validate(&[i, ret(0)]), "{:#x}", i.code);
                }
            }
        }
        for bad in [0xc0, 0xe0] {
            assert!(!validate(&[Insn::stmt(BPF_LD | bad, 0), ret(0)]));
            assert!(!validate(&[Insn::stmt(BPF_LDX | bad, 0), ret(0)]));
        }
    }

    #[test]
    fn memory_indices() {
        for code in [BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX, BPF_ST | 0x60, BPF_STX | 0xf8] {
            assert!(validate(&[Insn::stmt(code, 15), ret(0)]), "{code:#x}");
            assert!(!validate(&[Insn::stmt(code, 16), ret(0)]), "{code:#x}");
            assert!(!validate(&[Insn::stmt(code, u32::MAX), ret(0)]), "{code:#x}");
        }
    }

    #[test]
    fn alu_ops_and_constant_division() {
        for o in [BPF_ADD, BPF_SUB, BPF_MUL, BPF_OR, BPF_AND, BPF_XOR, BPF_LSH, BPF_RSH, BPF_NEG] {
            assert!(validate(&[Insn::stmt(BPF_ALU | o | BPF_K, 0), ret(0)]));
            assert!(validate(&[Insn::stmt(BPF_ALU | o | BPF_X, 0), ret(0)]));
        }
        for o in [BPF_DIV, BPF_MOD] {
            assert!(!validate(&[Insn::stmt(BPF_ALU | o | BPF_K, 0), ret(0)]));
            assert!(validate(&[Insn::stmt(BPF_ALU | o | BPF_K, 3), ret(0)]));
            // Division by X is checked at run time.
            assert!(validate(&[Insn::stmt(BPF_ALU | o | BPF_X, 0), ret(0)]));
        }
        for o in [0xb0, 0xc0, 0xd0, 0xe0, 0xf0] {
            assert!(!validate(&[Insn::stmt(BPF_ALU | o, 1), ret(0)]));
        }
    }

    #[test]
    fn jump_targets() {
        let p = |j: Insn| [j, ret(0), ret(1)];
        assert!(validate(&p(Insn::stmt(BPF_JMP | BPF_JA, 1))));
        assert!(!validate(&p(Insn::stmt(BPF_JMP | BPF_JA, 2))));
        assert!(validate(&p(Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0))));
        assert!(!validate(&p(Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0))));
        assert!(!validate(&p(Insn::jump(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 2))));
        // A wrapping `ja` lands inside the program: accepted (a backward jump).
        let back = [ret(0), Insn::stmt(BPF_JMP | BPF_JA, u32::MAX - 1), ret(1)];
        assert!(validate(&back));
        // ... and one landing before the start wraps to a huge index: rejected.
        let before = [ret(0), Insn::stmt(BPF_JMP | BPF_JA, u32::MAX - 2), ret(1)];
        assert!(!validate(&before));
        for o in [0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xf0] {
            assert!(!validate(&p(Insn::jump(BPF_JMP | o, 0, 0, 0))));
        }
        // The X bit is ignored for `ja`, as in libpcap.
        assert!(validate(&p(Insn::stmt(BPF_JMP | BPF_JA | BPF_X, 0))));
    }

    #[test]
    fn no_length_limit_in_userland() {
        let mut prog = vec![Insn::stmt(BPF_LD | BPF_IMM, 0); BPF_MAXINSNS + 10];
        prog.push(ret(1));
        assert!(validate(&prog));
    }
}

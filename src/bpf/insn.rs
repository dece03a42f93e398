//! Classic BPF instructions: the `struct bpf_insn` layout (identical to the
//! kernel's `struct sock_filter`), opcode fields and the Linux ancillary-data
//! offsets (`SKF_AD_*`) that libpcap's code generator emits.

/// One instruction; `repr(C)` and laid out exactly like `struct bpf_insn`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

impl Insn {
    /// `BPF_STMT(code, k)`.
    pub const fn stmt(code: u16, k: u32) -> Insn {
        Insn { code, jt: 0, jf: 0, k }
    }
    /// `BPF_JUMP(code, k, jt, jf)`.
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        Insn { code, jt, jf, k }
    }
}

/// A compiled program, in execution order.
pub type Program = Vec<Insn>;

// Instruction classes.
pub const BPF_LD: u16 = 0x00;
pub const BPF_LDX: u16 = 0x01;
pub const BPF_ST: u16 = 0x02;
pub const BPF_STX: u16 = 0x03;
pub const BPF_ALU: u16 = 0x04;
pub const BPF_JMP: u16 = 0x05;
pub const BPF_RET: u16 = 0x06;
pub const BPF_MISC: u16 = 0x07;

// ld/ldx sizes.
pub const BPF_W: u16 = 0x00;
pub const BPF_H: u16 = 0x08;
pub const BPF_B: u16 = 0x10;

// ld/ldx modes.
pub const BPF_IMM: u16 = 0x00;
pub const BPF_ABS: u16 = 0x20;
pub const BPF_IND: u16 = 0x40;
pub const BPF_MEM: u16 = 0x60;
pub const BPF_LEN: u16 = 0x80;
pub const BPF_MSH: u16 = 0xa0;

// alu/jmp operations.
pub const BPF_ADD: u16 = 0x00;
pub const BPF_SUB: u16 = 0x10;
pub const BPF_MUL: u16 = 0x20;
pub const BPF_DIV: u16 = 0x30;
pub const BPF_OR: u16 = 0x40;
pub const BPF_AND: u16 = 0x50;
pub const BPF_LSH: u16 = 0x60;
pub const BPF_RSH: u16 = 0x70;
pub const BPF_NEG: u16 = 0x80;
pub const BPF_MOD: u16 = 0x90;
pub const BPF_XOR: u16 = 0xa0;

pub const BPF_JA: u16 = 0x00;
pub const BPF_JEQ: u16 = 0x10;
pub const BPF_JGT: u16 = 0x20;
pub const BPF_JGE: u16 = 0x30;
pub const BPF_JSET: u16 = 0x40;

// Operand source.
pub const BPF_K: u16 = 0x00;
pub const BPF_X: u16 = 0x08;

// ret source.
pub const BPF_A: u16 = 0x10;

// misc.
pub const BPF_TAX: u16 = 0x00;
pub const BPF_TXA: u16 = 0x80;

/// Scratch memory words.
pub const BPF_MEMWORDS: usize = 16;

/// Longest program libpcap's validator accepts (`BPF_MAXINSNS`).
pub const BPF_MAXINSNS: usize = 4096;

pub const fn class(code: u16) -> u16 {
    code & 0x07
}
pub const fn size(code: u16) -> u16 {
    code & 0x18
}
pub const fn mode(code: u16) -> u16 {
    code & 0xe0
}
pub const fn op(code: u16) -> u16 {
    code & 0xf0
}
pub const fn src(code: u16) -> u16 {
    code & 0x08
}
pub const fn rval(code: u16) -> u16 {
    code & 0x18
}
pub const fn miscop(code: u16) -> u16 {
    code & 0xf8
}

/// Complete opcodes of the instructions libpcap's interpreter runs, usable
/// as `match` patterns.
pub mod opcode {
    use super::*;
    pub const RET_K: u16 = BPF_RET | BPF_K;
    pub const RET_A: u16 = BPF_RET | BPF_A;
    pub const LD_W_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;
    pub const LD_H_ABS: u16 = BPF_LD | BPF_H | BPF_ABS;
    pub const LD_B_ABS: u16 = BPF_LD | BPF_B | BPF_ABS;
    pub const LD_W_LEN: u16 = BPF_LD | BPF_W | BPF_LEN;
    pub const LDX_W_LEN: u16 = BPF_LDX | BPF_W | BPF_LEN;
    pub const LD_W_IND: u16 = BPF_LD | BPF_W | BPF_IND;
    pub const LD_H_IND: u16 = BPF_LD | BPF_H | BPF_IND;
    pub const LD_B_IND: u16 = BPF_LD | BPF_B | BPF_IND;
    pub const LDX_MSH_B: u16 = BPF_LDX | BPF_MSH | BPF_B;
    pub const LD_IMM: u16 = BPF_LD | BPF_IMM;
    pub const LDX_IMM: u16 = BPF_LDX | BPF_IMM;
    pub const LD_MEM: u16 = BPF_LD | BPF_MEM;
    pub const LDX_MEM: u16 = BPF_LDX | BPF_MEM;
    pub const ST: u16 = BPF_ST;
    pub const STX: u16 = BPF_STX;
    pub const JA: u16 = BPF_JMP | BPF_JA;
    pub const JGT_K: u16 = BPF_JMP | BPF_JGT | BPF_K;
    pub const JGE_K: u16 = BPF_JMP | BPF_JGE | BPF_K;
    pub const JEQ_K: u16 = BPF_JMP | BPF_JEQ | BPF_K;
    pub const JSET_K: u16 = BPF_JMP | BPF_JSET | BPF_K;
    pub const JGT_X: u16 = BPF_JMP | BPF_JGT | BPF_X;
    pub const JGE_X: u16 = BPF_JMP | BPF_JGE | BPF_X;
    pub const JEQ_X: u16 = BPF_JMP | BPF_JEQ | BPF_X;
    pub const JSET_X: u16 = BPF_JMP | BPF_JSET | BPF_X;
    pub const ADD_K: u16 = BPF_ALU | BPF_ADD | BPF_K;
    pub const SUB_K: u16 = BPF_ALU | BPF_SUB | BPF_K;
    pub const MUL_K: u16 = BPF_ALU | BPF_MUL | BPF_K;
    pub const DIV_K: u16 = BPF_ALU | BPF_DIV | BPF_K;
    pub const MOD_K: u16 = BPF_ALU | BPF_MOD | BPF_K;
    pub const AND_K: u16 = BPF_ALU | BPF_AND | BPF_K;
    pub const OR_K: u16 = BPF_ALU | BPF_OR | BPF_K;
    pub const XOR_K: u16 = BPF_ALU | BPF_XOR | BPF_K;
    pub const LSH_K: u16 = BPF_ALU | BPF_LSH | BPF_K;
    pub const RSH_K: u16 = BPF_ALU | BPF_RSH | BPF_K;
    pub const ADD_X: u16 = BPF_ALU | BPF_ADD | BPF_X;
    pub const SUB_X: u16 = BPF_ALU | BPF_SUB | BPF_X;
    pub const MUL_X: u16 = BPF_ALU | BPF_MUL | BPF_X;
    pub const DIV_X: u16 = BPF_ALU | BPF_DIV | BPF_X;
    pub const MOD_X: u16 = BPF_ALU | BPF_MOD | BPF_X;
    pub const AND_X: u16 = BPF_ALU | BPF_AND | BPF_X;
    pub const OR_X: u16 = BPF_ALU | BPF_OR | BPF_X;
    pub const XOR_X: u16 = BPF_ALU | BPF_XOR | BPF_X;
    pub const LSH_X: u16 = BPF_ALU | BPF_LSH | BPF_X;
    pub const RSH_X: u16 = BPF_ALU | BPF_RSH | BPF_X;
    pub const NEG: u16 = BPF_ALU | BPF_NEG;
    pub const TAX: u16 = BPF_MISC | BPF_TAX;
    pub const TXA: u16 = BPF_MISC | BPF_TXA;
}

/// Linux ancillary loads: `ld [SKF_AD_OFF + SKF_AD_x]` reads skb metadata.
pub const SKF_AD_OFF: u32 = (-0x1000i32) as u32;
pub const SKF_AD_PROTOCOL: u32 = 0;
pub const SKF_AD_PKTTYPE: u32 = 4;
pub const SKF_AD_IFINDEX: u32 = 8;
pub const SKF_AD_NLATTR: u32 = 12;
pub const SKF_AD_NLATTR_NEST: u32 = 16;
pub const SKF_AD_MARK: u32 = 20;
pub const SKF_AD_QUEUE: u32 = 24;
pub const SKF_AD_HATYPE: u32 = 28;
pub const SKF_AD_RXHASH: u32 = 32;
pub const SKF_AD_CPU: u32 = 36;
pub const SKF_AD_ALU_XOR_X: u32 = 40;
pub const SKF_AD_VLAN_TAG: u32 = 44;
pub const SKF_AD_VLAN_TAG_PRESENT: u32 = 48;
pub const SKF_AD_PAY_OFFSET: u32 = 52;
pub const SKF_AD_RANDOM: u32 = 56;
pub const SKF_AD_VLAN_TPID: u32 = 60;
pub const SKF_AD_MAX: u32 = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_sock_filter() {
        assert_eq!(std::mem::size_of::<Insn>(), std::mem::size_of::<libc::sock_filter>());
        assert_eq!(std::mem::size_of::<Insn>(), 8);
        assert_eq!(SKF_AD_OFF, libc::SKF_AD_OFF as u32);
        assert_eq!(SKF_AD_VLAN_TAG_PRESENT, libc::SKF_AD_VLAN_TAG_PRESENT as u32);
    }
}

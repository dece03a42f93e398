//! Program listings, byte for byte as libpcap 1.10.3 prints them:
//! [`image`] is `bpf_image` (one instruction, the lines of `tcpdump -d`) and
//! [`dump`] is `bpf_dump` (`-d`, `-dd`, `-ddd`).
//!
//! libpcap formats with `printf` conversions on C types; the quirks kept here
//! come from that: `k` printed with `%d` shows as a signed 32-bit number, a
//! `ja` target is `n + 1 + k` in 32-bit arithmetic, and an unknown code shows
//! as `unimp 0x<code>` (with jump targets when its class is a jump).

use std::fmt::Write;

use super::insn::*;

/// libpcap's symbolic names for the Linux ancillary offsets in absolute loads.
fn ancillary_name(k: u32) -> Option<&'static str> {
    Some(match k.wrapping_sub(SKF_AD_OFF) {
        SKF_AD_PROTOCOL => "proto",
        SKF_AD_PKTTYPE => "type",
        SKF_AD_IFINDEX => "ifidx",
        SKF_AD_NLATTR => "nla",
        SKF_AD_NLATTR_NEST => "nlan",
        SKF_AD_MARK => "mark",
        SKF_AD_QUEUE => "queue",
        SKF_AD_HATYPE => "hatype",
        SKF_AD_RXHASH => "rxhash",
        SKF_AD_CPU => "cpu",
        SKF_AD_ALU_XOR_X => "xor_x",
        SKF_AD_VLAN_TAG => "vlan_tci",
        SKF_AD_VLAN_TAG_PRESENT => "vlanp",
        SKF_AD_PAY_OFFSET => "poff",
        SKF_AD_RANDOM => "random",
        SKF_AD_VLAN_TPID => "vlan_tpid",
        _ => return None,
    })
}

fn abs_operand(k: u32) -> String {
    match ancillary_name(k) {
        Some(name) => format!("[{name}]"),
        None => format!("[{}]", k as i32),
    }
}

/// The mnemonic and operand of one instruction.
fn op_and_operand(p: &Insn, n: i32) -> (&'static str, String) {
    let k = p.k;
    let sk = k as i32;
    let s = |o: &'static str, operand: String| (o, operand);
    let bare = |o: &'static str, operand: &str| (o, operand.to_string());
    match p.code {
        c if c == BPF_RET | BPF_K => s("ret", format!("#{sk}")),
        c if c == BPF_RET | BPF_A => bare("ret", ""),
        c if c == BPF_LD | BPF_W | BPF_ABS => s("ld", abs_operand(k)),
        c if c == BPF_LD | BPF_H | BPF_ABS => s("ldh", abs_operand(k)),
        c if c == BPF_LD | BPF_B | BPF_ABS => s("ldb", abs_operand(k)),
        c if c == BPF_LD | BPF_W | BPF_LEN => bare("ld", "#pktlen"),
        c if c == BPF_LD | BPF_W | BPF_IND => s("ld", format!("[x + {sk}]")),
        c if c == BPF_LD | BPF_H | BPF_IND => s("ldh", format!("[x + {sk}]")),
        c if c == BPF_LD | BPF_B | BPF_IND => s("ldb", format!("[x + {sk}]")),
        c if c == BPF_LD | BPF_IMM => s("ld", format!("#0x{k:x}")),
        c if c == BPF_LDX | BPF_IMM => s("ldx", format!("#0x{k:x}")),
        c if c == BPF_LDX | BPF_MSH | BPF_B => s("ldxb", format!("4*([{sk}]&0xf)")),
        c if c == BPF_LD | BPF_MEM => s("ld", format!("M[{sk}]")),
        c if c == BPF_LDX | BPF_MEM => s("ldx", format!("M[{sk}]")),
        BPF_ST => s("st", format!("M[{sk}]")),
        BPF_STX => s("stx", format!("M[{sk}]")),
        c if c == BPF_JMP | BPF_JA => s("ja", format!("{}", n.wrapping_add(1).wrapping_add(sk))),
        c if c == BPF_JMP | BPF_JGT | BPF_K => s("jgt", format!("#0x{k:x}")),
        c if c == BPF_JMP | BPF_JGE | BPF_K => s("jge", format!("#0x{k:x}")),
        c if c == BPF_JMP | BPF_JEQ | BPF_K => s("jeq", format!("#0x{k:x}")),
        c if c == BPF_JMP | BPF_JSET | BPF_K => s("jset", format!("#0x{k:x}")),
        c if c == BPF_JMP | BPF_JGT | BPF_X => bare("jgt", "x"),
        c if c == BPF_JMP | BPF_JGE | BPF_X => bare("jge", "x"),
        c if c == BPF_JMP | BPF_JEQ | BPF_X => bare("jeq", "x"),
        c if c == BPF_JMP | BPF_JSET | BPF_X => bare("jset", "x"),
        c if c == BPF_ALU | BPF_ADD | BPF_X => bare("add", "x"),
        c if c == BPF_ALU | BPF_SUB | BPF_X => bare("sub", "x"),
        c if c == BPF_ALU | BPF_MUL | BPF_X => bare("mul", "x"),
        c if c == BPF_ALU | BPF_DIV | BPF_X => bare("div", "x"),
        c if c == BPF_ALU | BPF_MOD | BPF_X => bare("mod", "x"),
        c if c == BPF_ALU | BPF_AND | BPF_X => bare("and", "x"),
        c if c == BPF_ALU | BPF_OR | BPF_X => bare("or", "x"),
        c if c == BPF_ALU | BPF_XOR | BPF_X => bare("xor", "x"),
        c if c == BPF_ALU | BPF_LSH | BPF_X => bare("lsh", "x"),
        c if c == BPF_ALU | BPF_RSH | BPF_X => bare("rsh", "x"),
        c if c == BPF_ALU | BPF_ADD | BPF_K => s("add", format!("#{sk}")),
        c if c == BPF_ALU | BPF_SUB | BPF_K => s("sub", format!("#{sk}")),
        c if c == BPF_ALU | BPF_MUL | BPF_K => s("mul", format!("#{sk}")),
        c if c == BPF_ALU | BPF_DIV | BPF_K => s("div", format!("#{sk}")),
        c if c == BPF_ALU | BPF_MOD | BPF_K => s("mod", format!("#{sk}")),
        c if c == BPF_ALU | BPF_AND | BPF_K => s("and", format!("#0x{k:x}")),
        c if c == BPF_ALU | BPF_OR | BPF_K => s("or", format!("#0x{k:x}")),
        c if c == BPF_ALU | BPF_XOR | BPF_K => s("xor", format!("#0x{k:x}")),
        c if c == BPF_ALU | BPF_LSH | BPF_K => s("lsh", format!("#{sk}")),
        c if c == BPF_ALU | BPF_RSH | BPF_K => s("rsh", format!("#{sk}")),
        c if c == BPF_ALU | BPF_NEG => bare("neg", ""),
        c if c == BPF_MISC | BPF_TAX => bare("tax", ""),
        c if c == BPF_MISC | BPF_TXA => bare("txa", ""),
        c => s("unimp", format!("0x{c:x}")),
    }
}

/// `bpf_image(insn, n)`: instruction `insn` listed as number `n`. `n` is
/// libpcap's `int`: it is taken modulo 2^32 and printed signed, so a C
/// caller's negative `n`, passed through `as usize`, prints as libpcap does.
pub fn image(insn: &Insn, n: usize) -> String {
    let n = n as i32;
    let (mnemonic, operand) = op_and_operand(insn, n);
    if class(insn.code) == BPF_JMP && op(insn.code) != BPF_JA {
        let jt = n.wrapping_add(1).wrapping_add(insn.jt as i32);
        let jf = n.wrapping_add(1).wrapping_add(insn.jf as i32);
        format!("({n:03}) {mnemonic:<8} {operand:<16} jt {jt}\tjf {jf}")
    } else {
        format!("({n:03}) {mnemonic:<8} {operand}")
    }
}

/// `bpf_dump(prog, option)`: option 0 or 1 lists the instructions (`-d`),
/// 2 prints them as C initialisers (`-dd`), more than 2 as decimal numbers
/// after the count (`-ddd`).
pub fn dump(prog: &[Insn], option: i32) -> String {
    let mut out = String::new();
    if option > 2 {
        let _ = writeln!(out, "{}", prog.len() as i32);
        for i in prog {
            let _ = writeln!(out, "{} {} {} {}", i.code, i.jt, i.jf, i.k);
        }
    } else if option > 1 {
        for i in prog {
            let _ = writeln!(out, "{{ 0x{:x}, {}, {}, 0x{:08x} }},", i.code, i.jt, i.jf, i.k);
        }
    } else {
        for (n, i) in prog.iter().enumerate() {
            out.push_str(&image(i, n));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tcpdump -d 'tcp port 80 or udp port 53'` lines, checked character by character.
    #[test]
    fn images_of_common_instructions() {
        let cases: &[(Insn, usize, &str)] = &[
            (Insn::stmt(BPF_LD | BPF_H | BPF_ABS, 12), 0, "(000) ldh      [12]"),
            (Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 11), 1, "(001) jeq      #0x86dd          jt 2\tjf 13"),
            (Insn::jump(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 14, 0), 17, "(017) jset     #0x1fff          jt 32\tjf 18"),
            (Insn::stmt(BPF_LDX | BPF_MSH | BPF_B, 14), 18, "(018) ldxb     4*([14]&0xf)"),
            (Insn::stmt(BPF_LD | BPF_H | BPF_IND, 14), 19, "(019) ldh      [x + 14]"),
            (Insn::stmt(BPF_RET | BPF_K, 262144), 31, "(031) ret      #262144"),
            (Insn::stmt(BPF_RET | BPF_A, 0), 5, "(005) ret      "),
            (Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0), 1, "(001) ld       #pktlen"),
            (Insn::stmt(BPF_MISC | BPF_TAX, 0), 1000, "(1000) tax      "),
        ];
        for (i, n, want) in cases {
            assert_eq!(image(i, *n), *want);
        }
    }

    #[test]
    fn signed_and_wrapping_fields() {
        assert_eq!(image(&Insn::stmt(BPF_RET | BPF_K, u32::MAX), 0), "(000) ret      #-1");
        assert_eq!(image(&Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 0x8000_0000), 2), "(002) ld       [-2147483648]");
        assert_eq!(image(&Insn::stmt(BPF_JMP | BPF_JA, u32::MAX), 4), "(004) ja       4");
        assert_eq!(image(&Insn::stmt(BPF_JMP | BPF_JA, 3), usize::MAX), "(-01) ja       3");
        assert_eq!(image(&Insn::stmt(BPF_ALU | BPF_AND | BPF_K, u32::MAX), 0), "(000) and      #0xffffffff");
    }

    #[test]
    fn ancillary_offsets_are_named_in_absolute_loads_only() {
        let vlan = SKF_AD_OFF + SKF_AD_VLAN_TAG;
        assert_eq!(image(&Insn::stmt(BPF_LD | BPF_B | BPF_ABS, vlan), 0), "(000) ldb      [vlan_tci]");
        assert_eq!(image(&Insn::stmt(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF), 0), "(000) ldh      [proto]");
        // A gap in the table and the end of it print as numbers.
        assert_eq!(image(&Insn::stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + 1), 0), "(000) ld       [-4095]");
        assert_eq!(image(&Insn::stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_MAX), 0), "(000) ld       [-4032]");
        assert_eq!(image(&Insn::stmt(BPF_LD | BPF_W | BPF_IND, vlan), 0), "(000) ld       [x + -4052]");
    }

    #[test]
    fn unknown_codes() {
        assert_eq!(image(&Insn::stmt(0x0e, 0), 3), "(003) unimp    0xe");
        // An unknown jump still prints its targets; an unknown `ja` variant does not.
        assert_eq!(image(&Insn::jump(0x55, 0, 1, 2), 3), "(003) unimp    0x55             jt 5\tjf 6");
        assert_eq!(image(&Insn::jump(0x0d, 0, 1, 2), 3), "(003) unimp    0xd");
        assert_eq!(image(&Insn::jump(0x115, 9, 1, 2), 0), "(000) unimp    0x115            jt 2\tjf 3");
    }

    #[test]
    fn dumps() {
        let prog = [Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 0, 1), Insn::stmt(BPF_RET | BPF_K, u32::MAX)];
        assert_eq!(dump(&prog, 0), "(000) jeq      #0x800           jt 1\tjf 2\n(001) ret      #-1\n");
        assert_eq!(dump(&prog, 1), dump(&prog, -5));
        assert_eq!(dump(&prog, 2), "{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0xffffffff },\n");
        assert_eq!(dump(&prog, 3), "2\n21 0 1 2048\n6 0 0 4294967295\n");
        assert_eq!(dump(&prog, 7), dump(&prog, 3));
        assert_eq!(dump(&[], 3), "0\n");
        assert_eq!(dump(&[], 0), "");
    }
}

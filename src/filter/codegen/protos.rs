//! Protocol primitives: `tcp`, `ip6`, `icmp`, `isis` ... as bare words,
//! `proto N` / `ip proto \name`, and `protochain` (a loop over IPv6
//! extension headers and AH).

use super::hosts::proto_name;
use super::linktype::{ISO10589_ISIS, ISO8473_CLNP, ISO9542_ESIS};
use super::{ethertype as et, llcsap, GResult, Gen, OffRel};
use crate::bpf::insn::*;
use crate::filter::ast::{proto, Q_DEFAULT};
use crate::filter::ir::{jmp, BlockId, StmtId};
use crate::filter::layout::*;
use crate::filter::names::{self, PROTO_UNDEF};

const IPPROTO_ICMP: u32 = 1;
const IPPROTO_IGMP: u32 = 2;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_IGRP: u32 = 9;
const IPPROTO_UDP: u32 = 17;
const IPPROTO_ROUTING: u32 = 43;
const IPPROTO_FRAGMENT: u32 = 44;
const IPPROTO_ESP: u32 = 50;
const IPPROTO_AH: u32 = 51;
const IPPROTO_ICMPV6: u32 = 58;
const IPPROTO_NONE: u32 = 59;
const IPPROTO_DSTOPTS: u32 = 60;
const IPPROTO_HOPOPTS: u32 = 0;
const IPPROTO_PIM: u32 = 103;
const IPPROTO_VRRP: u32 = 112;
const IPPROTO_SCTP: u32 = 132;

const ISIS_L1_LAN_IIH: u32 = 15;
const ISIS_L2_LAN_IIH: u32 = 16;
const ISIS_PTP_IIH: u32 = 17;
const ISIS_L1_LSP: u32 = 18;
const ISIS_L2_LSP: u32 = 20;
const ISIS_L1_CSNP: u32 = 24;
const ISIS_L2_CSNP: u32 = 25;
const ISIS_L1_PSNP: u32 = 26;
const ISIS_L2_PSNP: u32 = 27;

impl Gen {
    /// The protocol number for `proto \name` (or -1 when the qualifier
    /// takes no names).
    pub(super) fn lookup_proto(&mut self, name: &str, p: u8) -> GResult<i32> {
        Ok(match p {
            Q_DEFAULT | proto::IP | proto::IPV6 => {
                let v = names::nametoproto(name);
                if v == PROTO_UNDEF {
                    return Err(format!("unknown ip proto '{name}'"));
                }
                v
            }
            proto::LINK => {
                let mut v = names::nametoeproto(name);
                if v == PROTO_UNDEF {
                    v = names::nametollc(name);
                    if v == PROTO_UNDEF {
                        return Err(format!("unknown ether proto '{name}'"));
                    }
                }
                v
            }
            proto::ISO => match name {
                "esis" => ISO9542_ESIS as i32,
                "isis" => ISO10589_ISIS as i32,
                "clnp" => ISO8473_CLNP as i32,
                _ => return Err(format!("unknown osi proto '{name}'")),
            },
            _ => PROTO_UNDEF,
        })
    }

    /// Packets of protocol `p` whose next-protocol field is `v`.
    pub(super) fn proto(&mut self, v: u32, p: u8, d: u8) -> GResult<BlockId> {
        if d != Q_DEFAULT {
            return Err("direction applied to 'proto'".into());
        }
        match p {
            Q_DEFAULT => {
                let b0 = self.proto(v, proto::IP, d)?;
                let b1 = self.proto(v, proto::IPV6, d)?;
                self.or(b0, b1);
                Ok(b1)
            }
            proto::LINK => self.linktype(v),
            proto::IP => {
                let b0 = self.linktype(et::IP)?;
                let b1 = self.cmp(OffRel::LinkPl, 9, BPF_B, v)?;
                self.and(b0, b1);
                Ok(b1)
            }
            proto::IPV6 => {
                let b0 = self.linktype(et::IPV6)?;
                // Also behind a fragment header.
                let b2 = self.cmp(OffRel::LinkPl, 6, BPF_B, IPPROTO_FRAGMENT)?;
                let b1 = self.cmp(OffRel::LinkPl, 40, BPF_B, v)?;
                self.and(b2, b1);
                let b2 = self.cmp(OffRel::LinkPl, 6, BPF_B, v)?;
                self.or(b2, b1);
                self.and(b0, b1);
                Ok(b1)
            }
            proto::ISO => match self.linktype {
                DLT_FRELAY => self.cmp(OffRel::LinkHdr, 2, BPF_H, (0x03 << 8) | v),
                DLT_C_HDLC | DLT_HDLC => {
                    let b0 = self.linktype((llcsap::ISONS << 8) | llcsap::ISONS)?;
                    let b1 = self.cmp(OffRel::LinkPlNoSnap, 1, BPF_B, v)?;
                    self.and(b0, b1);
                    Ok(b1)
                }
                _ => {
                    let b0 = self.linktype(llcsap::ISONS)?;
                    let b1 = self.cmp(OffRel::LinkPlNoSnap, 0, BPF_B, v)?;
                    self.and(b0, b1);
                    Ok(b1)
                }
            },
            proto::ISIS => {
                let b0 = self.proto(ISO10589_ISIS, proto::ISO, Q_DEFAULT)?;
                let b1 = self.cmp(OffRel::LinkPlNoSnap, 4, BPF_B, v)?;
                self.and(b0, b1);
                Ok(b1)
            }
            proto::ARP | proto::RARP | proto::LAT | proto::SCA | proto::MOPRC | proto::MOPDL => Err(format!(
                "{} does not encapsulate another protocol",
                match p {
                    proto::ARP => "arp",
                    proto::RARP => "rarp",
                    proto::LAT => "LAT",
                    proto::SCA => "SCA",
                    proto::MOPRC => "MOPRC",
                    _ => "MOPDL",
                }
            )),
            proto::ATALK => Err("AppleTalk encapsulation is not specifiable".into()),
            proto::DECNET => Err("DECNET encapsulation is not specifiable".into()),
            proto::CLNP => Err("'clnp proto' is not supported".into()),
            _ => Err(format!("'{} proto' is bogus", proto_name(p))),
        }
    }

    /// `b0 || b1 || ...` of IS-IS PDU types.
    fn isis_any(&mut self, pdus: &[u32]) -> GResult<BlockId> {
        let b0 = self.proto(pdus[0], proto::ISIS, Q_DEFAULT)?;
        let b1 = self.proto(pdus[1], proto::ISIS, Q_DEFAULT)?;
        self.or(b0, b1);
        for &t in &pdus[2..] {
            let b0 = self.proto(t, proto::ISIS, Q_DEFAULT)?;
            self.or(b0, b1);
        }
        Ok(b1)
    }

    /// A protocol keyword used on its own (`tcp`, `ip6`, `l1`, ...).
    pub(crate) fn proto_abbrev(&mut self, p: u8) -> GResult<BlockId> {
        match p {
            proto::SCTP => self.proto(IPPROTO_SCTP, Q_DEFAULT, Q_DEFAULT),
            proto::TCP => self.proto(IPPROTO_TCP, Q_DEFAULT, Q_DEFAULT),
            proto::UDP => self.proto(IPPROTO_UDP, Q_DEFAULT, Q_DEFAULT),
            proto::ICMP => self.proto(IPPROTO_ICMP, proto::IP, Q_DEFAULT),
            proto::IGMP => self.proto(IPPROTO_IGMP, proto::IP, Q_DEFAULT),
            proto::IGRP => self.proto(IPPROTO_IGRP, proto::IP, Q_DEFAULT),
            proto::PIM => self.proto(IPPROTO_PIM, Q_DEFAULT, Q_DEFAULT),
            proto::VRRP | proto::CARP => self.proto(IPPROTO_VRRP, proto::IP, Q_DEFAULT),
            proto::IP => self.linktype(et::IP),
            proto::ARP => self.linktype(et::ARP),
            proto::RARP => self.linktype(et::REVARP),
            proto::LINK => Err("link layer applied in wrong context".into()),
            proto::ATALK => self.linktype(et::ATALK),
            proto::AARP => self.linktype(et::AARP),
            proto::DECNET => self.linktype(et::DN),
            proto::SCA => self.linktype(et::SCA),
            proto::LAT => self.linktype(et::LAT),
            proto::MOPDL => self.linktype(et::MOPDL),
            proto::MOPRC => self.linktype(et::MOPRC),
            proto::IPV6 => self.linktype(et::IPV6),
            proto::ICMPV6 => self.proto(IPPROTO_ICMPV6, proto::IPV6, Q_DEFAULT),
            proto::AH => self.proto(IPPROTO_AH, Q_DEFAULT, Q_DEFAULT),
            proto::ESP => self.proto(IPPROTO_ESP, Q_DEFAULT, Q_DEFAULT),
            proto::ISO => self.linktype(llcsap::ISONS),
            proto::ESIS => self.proto(ISO9542_ESIS, proto::ISO, Q_DEFAULT),
            proto::ISIS => self.proto(ISO10589_ISIS, proto::ISO, Q_DEFAULT),
            proto::ISIS_L1 => {
                self.isis_any(&[ISIS_L1_LAN_IIH, ISIS_PTP_IIH, ISIS_L1_LSP, ISIS_L1_CSNP, ISIS_L1_PSNP])
            }
            proto::ISIS_L2 => {
                self.isis_any(&[ISIS_L2_LAN_IIH, ISIS_PTP_IIH, ISIS_L2_LSP, ISIS_L2_CSNP, ISIS_L2_PSNP])
            }
            proto::ISIS_IIH => self.isis_any(&[ISIS_L1_LAN_IIH, ISIS_L2_LAN_IIH, ISIS_PTP_IIH]),
            proto::ISIS_LSP => self.isis_any(&[ISIS_L1_LSP, ISIS_L2_LSP]),
            proto::ISIS_SNP => self.isis_any(&[ISIS_L1_CSNP, ISIS_L2_CSNP, ISIS_L1_PSNP, ISIS_L2_PSNP]),
            proto::ISIS_CSNP => self.isis_any(&[ISIS_L1_CSNP, ISIS_L2_CSNP]),
            proto::ISIS_PSNP => self.isis_any(&[ISIS_L1_PSNP, ISIS_L2_PSNP]),
            proto::CLNP => self.proto(ISO8473_CLNP, proto::ISO, Q_DEFAULT),
            proto::STP => self.linktype(llcsap::STP_8021D),
            proto::IPX => self.linktype(llcsap::IPX),
            proto::NETBEUI => self.linktype(llcsap::NETBEUI),
            _ => Err("'radio' is not a valid protocol type".into()),
        }
    }

    /// `protochain v`: follow IPv6 extension headers and AH (with a
    /// backward jump, so the program is never optimized).
    pub(super) fn protochain(&mut self, v: u32, p: u8) -> GResult<BlockId> {
        // libpcap allocates this before looking at the qualifier, and never
        // frees it on the `Q_DEFAULT` path; the register numbering of
        // everything after depends on that.
        let reg2 = self.alloc_reg()?;
        match p {
            proto::IP | proto::IPV6 => {}
            Q_DEFAULT => {
                let b0 = self.protochain(v, proto::IP)?;
                let b = self.protochain(v, proto::IPV6)?;
                self.or(b0, b);
                return Ok(b);
            }
            _ => return Err("bad protocol applied for 'protochain'".into()),
        }
        if self.off_linkpl.is_variable {
            return Err("'protochain' not supported with variable length headers".into());
        }
        self.no_optimize = true;
        let base = self.off_linkpl.constant_part.wrapping_add(self.off_nl);
        let mut s: Vec<StmtId> = Vec::with_capacity(48);
        let b0 = if p == proto::IP {
            let b0 = self.linktype(et::IP)?;
            self.pc_add(&mut s, BPF_LD | BPF_ABS | BPF_B, base.wrapping_add(9));
            self.pc_add(&mut s, BPF_LDX | BPF_MSH | BPF_B, base);
            b0
        } else {
            let b0 = self.linktype(et::IPV6)?;
            self.pc_add(&mut s, BPF_LD | BPF_ABS | BPF_B, base.wrapping_add(6));
            self.pc_add(&mut s, BPF_LDX | BPF_IMM, 40);
            b0
        };
        let jeq = jmp(BPF_JEQ) as u16;
        // again: if (A == v) goto end; if (A == NONE) goto end;
        let again = self.pc_add(&mut s, jeq, v);
        let fix5 = again;
        let fix2 = self.pc_add(&mut s, jeq, IPPROTO_NONE);
        self.ir.sm(s[fix5]).jf = Some(s[fix2]);
        let mut fix3 = None;
        if p == proto::IPV6 {
            // Extension headers: A = next header, X += (len + 1) * 8.
            let v6start = self.pc_add(&mut s, jeq, IPPROTO_HOPOPTS);
            self.ir.sm(s[fix2]).jf = Some(s[v6start]);
            let mut prev = v6start;
            for t in [IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT] {
                let i = self.pc_add(&mut s, jeq, t);
                self.ir.sm(s[prev]).jf = Some(s[i]);
                prev = i;
            }
            let v6end = prev;
            fix3 = Some(v6end);
            let v6advance = self.pc_add(&mut s, BPF_LD | BPF_IND | BPF_B, base);
            self.pc_add(&mut s, BPF_ST, reg2 as u32);
            self.pc_add(&mut s, BPF_LD | BPF_IND | BPF_B, base.wrapping_add(1));
            self.pc_add(&mut s, BPF_ALU | BPF_ADD | BPF_K, 1);
            self.pc_add(&mut s, BPF_ALU | BPF_MUL | BPF_K, 8);
            self.pc_add(&mut s, BPF_ALU | BPF_ADD | BPF_X, 0);
            self.pc_add(&mut s, BPF_MISC | BPF_TAX, 0);
            self.pc_add(&mut s, BPF_LD | BPF_MEM, reg2 as u32);
            let i = s.len();
            let ja = self.pc_add(&mut s, BPF_JMP | BPF_JA, (again as i64 - i as i64 - 1) as u32);
            self.ir.sm(s[ja - 1]).jf = Some(s[ja]);
            for j in v6start..=v6end {
                self.ir.sm(s[j]).jt = Some(s[v6advance]);
            }
        } else {
            let nop = self.pc_add(&mut s, BPF_ALU | BPF_ADD | BPF_K, 0);
            self.ir.sm(s[fix2]).jf = Some(s[nop]);
        }
        // ahcheck: AH is followed by A = next header, X += (len + 2) * 4.
        let ahcheck = self.pc_add(&mut s, jeq, IPPROTO_AH);
        if let Some(f3) = fix3 {
            self.ir.sm(s[f3]).jf = Some(s[ahcheck]);
        }
        let fix4 = ahcheck;
        let txa = self.pc_add(&mut s, BPF_MISC | BPF_TXA, 0);
        self.ir.sm(s[txa - 1]).jt = Some(s[txa]);
        self.pc_add(&mut s, BPF_LD | BPF_IND | BPF_B, base);
        self.pc_add(&mut s, BPF_ST, reg2 as u32);
        let txa2 = self.pc_add(&mut s, BPF_MISC | BPF_TXA, 0);
        self.ir.sm(s[txa2 - 1]).jt = Some(s[txa2]);
        self.pc_add(&mut s, BPF_ALU | BPF_ADD | BPF_K, 1);
        self.pc_add(&mut s, BPF_MISC | BPF_TAX, 0);
        self.pc_add(&mut s, BPF_LD | BPF_IND | BPF_B, base);
        self.pc_add(&mut s, BPF_ALU | BPF_ADD | BPF_K, 2);
        self.pc_add(&mut s, BPF_ALU | BPF_MUL | BPF_K, 4);
        self.pc_add(&mut s, BPF_MISC | BPF_TAX, 0);
        self.pc_add(&mut s, BPF_LD | BPF_MEM, reg2 as u32);
        let i = s.len();
        self.pc_add(&mut s, BPF_JMP | BPF_JA, (again as i64 - i as i64 - 1) as u32);
        // end: nop
        let end = self.pc_add(&mut s, BPF_ALU | BPF_ADD | BPF_K, 0);
        self.ir.sm(s[fix2]).jt = Some(s[end]);
        self.ir.sm(s[fix4]).jf = Some(s[end]);
        self.ir.sm(s[fix5]).jt = Some(s[end]);
        for w in s.windows(2) {
            self.ir.sm(w[0]).next = Some(w[1]);
        }
        let b = self.ir.block_with(jmp(BPF_JEQ), v, s[0]);
        self.free_reg(reg2);
        self.and(b0, b);
        Ok(b)
    }

    fn pc_add(&mut self, s: &mut Vec<StmtId>, code: u16, k: u32) -> usize {
        s.push(self.stmt(code, k));
        s.len() - 1
    }
}

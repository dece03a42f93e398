//! Arithmetic expressions (`proto[expr:size]`, `len`, constants, `+ - * /
//! % & | ^ << >>`, unary minus), relations between them, and the
//! length/byte shorthands (`less`, `greater`, `byte`).

use super::{GResult, Gen, OffRel};
use crate::bpf::insn::*;
use crate::filter::ast::{proto, Arth, ArthId};
use crate::filter::ir::{jmp, BlockId, StmtId};
use crate::filter::layout::*;

impl Gen {
    fn new_arth(&mut self, a: Arth) -> ArthId {
        self.arths.push(a);
        (self.arths.len() - 1) as ArthId
    }

    fn xfer_to_x(&mut self, a: ArthId) -> StmtId {
        let r = self.arth(a).regno as u32;
        self.stmt(BPF_LDX | BPF_MEM, r)
    }

    fn xfer_to_a(&mut self, a: ArthId) -> StmtId {
        let r = self.arth(a).regno as u32;
        self.stmt(BPF_LD | BPF_MEM, r)
    }

    /// X := the variable part of `off` plus the index value of `inst` (or
    /// just the index when the offset is constant).
    fn index_into_x(&mut self, off: super::Off, inst: ArthId) -> GResult<StmtId> {
        Ok(match self.abs_offset_varpart(off)? {
            Some(s) => {
                let a = self.xfer_to_a(inst);
                self.ir.sappend(s, a);
                self.push(s, BPF_ALU | BPF_ADD | BPF_X, 0);
                self.push(s, BPF_MISC | BPF_TAX, 0);
                s
            }
            None => self.xfer_to_x(inst),
        })
    }

    /// `proto[inst : size]`.
    pub fn gen_load(&mut self, p: u8, inst: ArthId, size: u32) -> GResult<ArthId> {
        let regno = self.alloc_reg()?;
        self.free_reg(self.arth(inst).regno);
        let size_code = match size {
            1 => BPF_B,
            2 => BPF_H,
            4 => BPF_W,
            _ => return Err("data size must be 1, 2, or 4".into()),
        };
        let inst_s = self.arth(inst).s;
        let nl_base = self.off_linkpl.constant_part.wrapping_add(self.off_nl);
        match p {
            proto::RADIO => {
                if self.linktype != DLT_IEEE802_11_RADIO_AVS
                    && self.linktype != DLT_IEEE802_11_RADIO
                    && self.linktype != DLT_PRISM_HEADER
                {
                    return Err("radio information not present in capture".into());
                }
                let s = self.xfer_to_x(inst);
                self.push(s, BPF_LD | BPF_IND | size_code, 0);
                self.ir.sappend(inst_s, s);
            }
            proto::LINK => {
                let s = self.index_into_x(super::Off::LinkHdr, inst)?;
                let k = self.off_linkhdr.constant_part;
                self.push(s, BPF_LD | BPF_IND | size_code, k);
                self.ir.sappend(inst_s, s);
            }
            proto::IP | proto::ARP | proto::RARP | proto::ATALK | proto::DECNET | proto::SCA | proto::LAT
            | proto::MOPRC | proto::MOPDL | proto::IPV6 => {
                let s = self.index_into_x(super::Off::LinkPl, inst)?;
                self.push(s, BPF_LD | BPF_IND | size_code, nl_base);
                self.ir.sappend(inst_s, s);
                let b = self.proto_abbrev(p)?;
                if let Some(ib) = self.arth(inst).b {
                    self.and(ib, b);
                }
                self.arth_mut(inst).b = Some(b);
            }
            proto::SCTP | proto::TCP | proto::UDP | proto::ICMP | proto::IGMP | proto::IGRP | proto::PIM
            | proto::VRRP | proto::CARP => {
                let s = self.loadx_iphdrlen()?;
                let a = self.xfer_to_a(inst);
                self.ir.sappend(s, a);
                self.push(s, BPF_ALU | BPF_ADD | BPF_X, 0);
                self.push(s, BPF_MISC | BPF_TAX, 0);
                self.push(s, BPF_LD | BPF_IND | size_code, nl_base);
                self.ir.sappend(inst_s, s);
                // Only on IPv4 first fragments of that protocol.
                let pb = self.proto_abbrev(p)?;
                let b = self.ipfrag()?;
                self.and(pb, b);
                if let Some(ib) = self.arth(inst).b {
                    self.and(ib, b);
                }
                let ip = self.proto_abbrev(proto::IP)?;
                self.and(ip, b);
                self.arth_mut(inst).b = Some(b);
            }
            proto::ICMPV6 => {
                let b = self.proto_abbrev(proto::IPV6)?;
                if let Some(ib) = self.arth(inst).b {
                    self.and(ib, b);
                }
                self.arth_mut(inst).b = Some(b);
                let b = self.cmp(OffRel::LinkPl, 6, BPF_B, 58)?;
                if let Some(ib) = self.arth(inst).b {
                    self.and(ib, b);
                }
                self.arth_mut(inst).b = Some(b);
                let s = self.index_into_x(super::Off::LinkPl, inst)?;
                self.push(s, BPF_LD | BPF_IND | size_code, nl_base.wrapping_add(40));
                self.ir.sappend(inst_s, s);
            }
            _ => return Err("unsupported index operation".into()),
        }
        self.arth_mut(inst).regno = regno;
        self.push(inst_s, BPF_ST, regno as u32);
        Ok(inst)
    }

    /// `a0 code a1` (`>`, `>=`, `=`; `reversed` for `<=`, `<`, `!=`).
    pub fn gen_relation(&mut self, code: u16, a0: ArthId, a1: ArthId, reversed: bool) -> GResult<BlockId> {
        let s0 = self.xfer_to_x(a1);
        let s1 = self.xfer_to_a(a0);
        let b = if code == BPF_JEQ {
            let b = self.ir.new_block(jmp(code), 0);
            self.push(s1, BPF_ALU | BPF_SUB | BPF_X, 0);
            b
        } else {
            self.ir.new_block((BPF_JMP | code | BPF_X) as i32, 0)
        };
        if reversed {
            self.not(b);
        }
        let (x0, x1) = (self.arth(a0), self.arth(a1));
        self.ir.sappend(s0, s1);
        self.ir.sappend(x1.s, s0);
        self.ir.sappend(x0.s, x1.s);
        self.ir.bm(b).stmts = Some(x0.s);
        self.free_reg(x0.regno);
        self.free_reg(x1.regno);
        let tmp = match (x0.b, x1.b) {
            (Some(b0), Some(b1)) => {
                self.and(b0, b1);
                Some(b1)
            }
            (Some(b0), None) => Some(b0),
            (None, b1) => b1,
        };
        if let Some(tmp) = tmp {
            self.and(tmp, b);
        }
        Ok(b)
    }

    /// `len`.
    pub fn gen_loadlen(&mut self) -> GResult<ArthId> {
        let regno = self.alloc_reg()?;
        let s = self.ir.slist(&[(BPF_LD | BPF_LEN, 0), (BPF_ST, regno as u32)]);
        Ok(self.new_arth(Arth { b: None, s, regno }))
    }

    /// A constant.
    pub fn gen_loadi(&mut self, val: u32) -> GResult<ArthId> {
        let regno = self.alloc_reg()?;
        let s = self.ir.slist(&[(BPF_LD | BPF_IMM, val), (BPF_ST, regno as u32)]);
        Ok(self.new_arth(Arth { b: None, s, regno }))
    }

    /// `-a`.
    pub fn gen_neg(&mut self, a: ArthId) -> GResult<ArthId> {
        let x = self.arth(a);
        let s = self.xfer_to_a(a);
        self.ir.sappend(x.s, s);
        self.push(x.s, BPF_ALU | BPF_NEG, 0);
        self.push(x.s, BPF_ST, x.regno as u32);
        Ok(a)
    }

    /// `a0 op a1`; the result reuses `a0` (and keeps only its protocol
    /// checks, as libpcap does).
    pub fn gen_arth(&mut self, code: u16, a0: ArthId, a1: ArthId) -> GResult<ArthId> {
        let first = *self.ir.s(self.arth(a1).s);
        let is_const = first.code == (BPF_LD | BPF_IMM) as i32;
        if code == BPF_DIV && is_const && first.k == 0 {
            return Err("division by zero".into());
        } else if code == BPF_MOD && is_const && first.k == 0 {
            return Err("modulus by zero".into());
        } else if (code == BPF_LSH || code == BPF_RSH) && is_const && first.k > 31 {
            return Err("shift by more than 31 bits".into());
        }
        let s0 = self.xfer_to_x(a1);
        let s1 = self.xfer_to_a(a0);
        self.push(s1, BPF_ALU | BPF_X | code, 0);
        let (x0, x1) = (self.arth(a0), self.arth(a1));
        self.ir.sappend(s0, s1);
        self.ir.sappend(x1.s, s0);
        self.ir.sappend(x0.s, x1.s);
        self.free_reg(x0.regno);
        self.free_reg(x1.regno);
        let r = self.alloc_reg()?;
        self.arth_mut(a0).regno = r;
        self.push(x0.s, BPF_ST, r as u32);
        Ok(a0)
    }

    fn gen_len(&mut self, jmp_op: u16, n: u32) -> BlockId {
        let s = self.stmt(BPF_LD | BPF_LEN, 0);
        self.ir.block_with(jmp(jmp_op), n, s)
    }

    /// `greater n`: len >= n.
    pub fn gen_greater(&mut self, n: u32) -> BlockId {
        self.gen_len(BPF_JGE, n)
    }

    /// `less n`: len <= n.
    pub fn gen_less(&mut self, n: u32) -> BlockId {
        let b = self.gen_len(BPF_JGT, n);
        self.not(b);
        b
    }

    /// `byte idx op val`, relative to the link-layer header. (For `&` and
    /// `|` libpcap tests the accumulator without loading the byte; so do we.)
    pub fn gen_byteop(&mut self, op: u8, idx: u32, val: u32) -> GResult<BlockId> {
        let alu = match op {
            b'=' => return self.cmp(OffRel::LinkHdr, idx, BPF_B, val),
            b'<' => return self.cmp_lt(OffRel::LinkHdr, idx, BPF_B, val),
            b'>' => return self.cmp_gt(OffRel::LinkHdr, idx, BPF_B, val),
            b'|' => BPF_ALU | BPF_OR | BPF_K,
            _ => BPF_ALU | BPF_AND | BPF_K,
        };
        let s = self.stmt(alu, val);
        let b = self.ir.block_with(jmp(BPF_JEQ), 0, s);
        self.not(b);
        Ok(b)
    }
}

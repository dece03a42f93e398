//! Encapsulations that move the generator's header offsets for everything
//! after them: `vlan` (in-packet tags, or the Linux VLAN metadata), `mpls`,
//! `pppoed`/`pppoes`, and `geneve`.

use super::{ethertype as et, GResult, Gen, Off, OffRel};
use crate::bpf::insn::*;
use crate::filter::ir::{jmp, BlockId, StmtId};
use crate::filter::layout::*;

const GENEVE_PORT: u32 = 6081;
const PPP_MPLS_UCAST: u32 = 0x0281;

impl Gen {
    /// Make `linktype` the current link layer, nested at `off` (libpcap's
    /// PUSH_LINKHDR: the previous one is remembered).
    fn push_linkhdr(&mut self, linktype: i32, off: AbsOffset) {
        self.prevlinktype = self.linktype;
        self.off_prevlinkhdr = self.off_linkhdr;
        self.linktype = linktype;
        self.off_linkhdr = off;
        self.is_geneve = false;
    }

    fn vlan_tpid_test(&mut self) -> GResult<BlockId> {
        let b0 = self.linktype(et::VLAN_8021Q)?;
        let b1 = self.linktype(et::VLAN_8021AD)?;
        self.or(b0, b1);
        let b0 = b1;
        let b1 = self.linktype(et::VLAN_8021QINQ)?;
        self.or(b0, b1);
        Ok(b1)
    }

    fn vlan_vid_test(&mut self, vlan_num: u32) -> GResult<BlockId> {
        if vlan_num > 0x0fff {
            return Err(format!("VLAN tag {vlan_num} greater than maximum {}", 0x0fff));
        }
        self.mcmp(OffRel::LinkPl, 0, BPF_H, vlan_num, 0x0fff)
    }

    /// Tags in the packet data: step the offsets over one tag.
    fn vlan_no_bpf_extensions(&mut self, vlan_num: u32, has_tag: bool) -> GResult<BlockId> {
        let mut b0 = self.vlan_tpid_test()?;
        if has_tag {
            let b1 = self.vlan_vid_test(vlan_num)?;
            self.and(b0, b1);
            b0 = b1;
        }
        self.off_linkpl.constant_part = self.off_linkpl.constant_part.wrapping_add(4);
        self.off_linktype.constant_part = self.off_linktype.constant_part.wrapping_add(4);
        Ok(b0)
    }

    /// Statements adding `v` to the run-time part of offset `o`.
    fn vlan_vloffset_add(&mut self, o: Off, v: u32, list: &mut Vec<(u16, u32)>) -> GResult<()> {
        self.off_mut(o).is_variable = true;
        if self.off(o).reg == -1 {
            let r = self.alloc_reg()?;
            self.off_mut(o).reg = r;
        }
        let reg = self.off(o).reg as u32;
        list.extend([(BPF_LD | BPF_MEM, reg), (BPF_ALU | BPF_ADD | BPF_K, v), (BPF_ST, reg)]);
        Ok(())
    }

    /// The Linux kernel may have stripped the outer tag into metadata; when
    /// it has not, the tag is in the packet and the offsets move at run time.
    fn vlan_bpf_extensions(&mut self, vlan_num: u32, has_tag: bool) -> GResult<BlockId> {
        let s = self.stmt(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF.wrapping_add(SKF_AD_VLAN_TAG_PRESENT));
        let b0 = self.ir.block_with(jmp(BPF_JEQ), 1, s);
        let b_tpid = self.vlan_tpid_test()?;
        let b_vid = if has_tag { Some(self.vlan_vid_test(vlan_num)?) } else { None };

        // Patch the TPID test to advance the offsets first.
        self.is_vlan_vloffset = true;
        let mut adds = Vec::new();
        self.vlan_vloffset_add(Off::LinkPl, 4, &mut adds)?;
        self.vlan_vloffset_add(Off::LinkType, 4, &mut adds)?;
        let patch = self.ir.slist(&adds);
        let head = self.ir.b(b_tpid).head;
        if let Some(old) = self.ir.b(head).stmts {
            self.ir.sappend(patch, old);
        }
        self.ir.bm(head).stmts = Some(patch);
        self.or(b0, b_tpid);
        let mut b0 = b_tpid;

        if let Some(b_vid) = b_vid {
            // Take the TCI from the metadata when present, else from the packet.
            let old = self.ir.b(b_vid).stmts;
            let s = self.stmt(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF.wrapping_add(SKF_AD_VLAN_TAG_PRESENT));
            let sjeq = self.push(s, jmp(BPF_JEQ) as u16, 1);
            self.ir.sm(sjeq).jf = old;
            let s2 = self.push(s, BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF.wrapping_add(SKF_AD_VLAN_TAG));
            self.ir.sm(sjeq).jt = Some(s2);
            let cnt = self.list_len(old);
            self.push(s, jmp(BPF_JA) as u16, cnt.wrapping_sub(1));
            if let Some(old) = old {
                self.ir.sappend(s, old);
            }
            self.ir.bm(b_vid).stmts = Some(s);
            self.and(b0, b_vid);
            b0 = b_vid;
        }
        Ok(b0)
    }

    fn list_len(&self, mut s: Option<StmtId>) -> u32 {
        let mut n = 0;
        while let Some(x) = s {
            n += 1;
            s = self.ir.s(x).next;
        }
        n
    }

    /// `vlan [id]`.
    pub fn gen_vlan(&mut self, vlan_num: u32, has_tag: bool) -> GResult<BlockId> {
        if self.label_stack_depth > 0 {
            return Err("no VLAN match after MPLS".into());
        }
        let b0 = match self.linktype {
            DLT_EN10MB | DLT_NETANALYZER | DLT_NETANALYZER_TRANSPARENT => {
                let outermost = self.vlan_stack_depth == 0
                    && !self.off_linkhdr.is_variable
                    && self.off_linkhdr.constant_part == self.off_outermostlinkhdr.constant_part;
                if outermost && self.vlan_ancillary {
                    self.vlan_bpf_extensions(vlan_num, has_tag)?
                } else {
                    self.vlan_no_bpf_extensions(vlan_num, has_tag)?
                }
            }
            DLT_IEEE802_11 | DLT_PRISM_HEADER | DLT_IEEE802_11_RADIO_AVS | DLT_IEEE802_11_RADIO => {
                self.vlan_no_bpf_extensions(vlan_num, has_tag)?
            }
            _ => return Err(format!("no VLAN support for {}", description_or_dlt(self.linktype))),
        };
        self.vlan_stack_depth += 1;
        Ok(b0)
    }

    /// `mpls [label]`.
    pub fn gen_mpls(&mut self, label: u32, has_label: bool) -> GResult<BlockId> {
        let mut b0 = if self.label_stack_depth > 0 {
            // Inside a label stack: bottom-of-stack bit of the previous label clear.
            self.mcmp(OffRel::PrevMplsHdr, 2, BPF_B, 0, 0x01)?
        } else {
            match self.linktype {
                DLT_C_HDLC | DLT_HDLC | DLT_EN10MB | DLT_NETANALYZER | DLT_NETANALYZER_TRANSPARENT => {
                    self.linktype(et::MPLS)?
                }
                DLT_PPP => self.linktype(PPP_MPLS_UCAST)?,
                _ => return Err(format!("no MPLS support for {}", description_or_dlt(self.linktype))),
            }
        };
        if has_label {
            if label > 0xfffff {
                return Err(format!("MPLS label {label} greater than maximum {}", 0xfffff));
            }
            let b1 = self.mcmp(OffRel::LinkPl, 0, BPF_W, label << 12, 0xffff_f000)?;
            self.and(b0, b1);
            b0 = b1;
        }
        self.off_nl_nosnap = self.off_nl_nosnap.wrapping_add(4);
        self.off_nl = self.off_nl.wrapping_add(4);
        self.label_stack_depth += 1;
        Ok(b0)
    }

    /// `pppoed`.
    pub fn gen_pppoed(&mut self) -> GResult<BlockId> {
        self.linktype(et::PPPOED)
    }

    /// `pppoes [session]`: later tests look inside the PPP payload.
    pub fn gen_pppoes(&mut self, sess: u32, has_sess: bool) -> GResult<BlockId> {
        let mut b0 = self.linktype(et::PPPOES)?;
        if has_sess {
            if sess > 0xffff {
                return Err(format!("PPPoE session number {sess} greater than maximum {}", 0xffff));
            }
            let b1 = self.mcmp(OffRel::LinkPl, 0, BPF_W, sess, 0x0000_ffff)?;
            self.and(b0, b1);
            b0 = b1;
        }
        let pl = self.off_linkpl;
        let ppp = AbsOffset {
            is_variable: pl.is_variable,
            constant_part: pl.constant_part.wrapping_add(self.off_nl).wrapping_add(6),
            reg: pl.reg,
        };
        self.push_linkhdr(DLT_PPP, ppp);
        self.off_linktype = self.off_linkhdr;
        self.off_linkpl.constant_part = self.off_linkhdr.constant_part.wrapping_add(2);
        self.off_nl = 0;
        self.off_nl_nosnap = 0;
        Ok(b0)
    }

    /// UDP to the Geneve port, version 0, optionally the VNI.
    fn geneve_check(&mut self, v6: bool, vni: u32, has_vni: bool) -> GResult<BlockId> {
        let (mut b0, rel) = if v6 {
            (self.port6(GENEVE_PORT, libc::IPPROTO_UDP, crate::filter::ast::dir::DST)?, OffRel::TranIpv6)
        } else {
            (self.port(GENEVE_PORT, libc::IPPROTO_UDP, crate::filter::ast::dir::DST)?, OffRel::TranIpv4)
        };
        let b1 = self.mcmp(rel, 8, BPF_B, 0, 0xc0)?;
        self.and(b0, b1);
        b0 = b1;
        if has_vni {
            if vni > 0xff_ffff {
                return Err(format!("Geneve VNI {vni} greater than maximum {}", 0xff_ffff));
            }
            let b1 = self.mcmp(rel, 12, BPF_W, vni << 8, 0xffff_ff00)?;
            self.and(b0, b1);
            b0 = b1;
        }
        Ok(b0)
    }

    /// Geneve over IPv4, leaving the IP header length in A.
    fn geneve4(&mut self, vni: u32, has_vni: bool) -> GResult<BlockId> {
        let b0 = self.geneve_check(false, vni, has_vni)?;
        let s = self.loadx_iphdrlen()?;
        self.push(s, BPF_MISC | BPF_TXA, 0);
        let b1 = self.ir.block_with((BPF_JMP | BPF_JEQ | BPF_X) as i32, 0, s);
        self.and(b0, b1);
        Ok(b1)
    }

    /// Geneve over IPv6, leaving the IP header length in A.
    fn geneve6(&mut self, vni: u32, has_vni: bool) -> GResult<BlockId> {
        let b0 = self.geneve_check(true, vni, has_vni)?;
        let s = match self.abs_offset_varpart(Off::LinkPl)? {
            Some(s) => {
                self.push(s, BPF_LD | BPF_IMM, 40);
                self.push(s, BPF_ALU | BPF_ADD | BPF_X, 0);
                s
            }
            None => self.stmt(BPF_LD | BPF_IMM, 40),
        };
        self.push(s, BPF_MISC | BPF_TAX, 0);
        let b1 = self.ir.block_with((BPF_JMP | BPF_JEQ | BPF_X) as i32, 0, s);
        self.and(b0, b1);
        Ok(b1)
    }

    /// Compute the inner offsets (link type, inner MAC header, payload)
    /// from the Geneve header into registers.
    fn geneve_offsets(&mut self) -> GResult<StmtId> {
        let base = self.off_linkpl.constant_part.wrapping_add(self.off_nl).wrapping_add(8);
        let s = self.stmt(BPF_ALU | BPF_ADD | BPF_K, base);
        self.push(s, BPF_MISC | BPF_TAX, 0);
        self.push(s, BPF_ALU | BPF_ADD | BPF_K, 2);
        let r = self.alloc_reg()?;
        self.off_linktype = AbsOffset { is_variable: true, constant_part: 0, reg: r };
        self.push(s, BPF_ST, r as u32);
        self.push(s, BPF_LD | BPF_IND | BPF_B, 0);
        self.push(s, BPF_ALU | BPF_AND | BPF_K, 0x3f);
        self.push(s, BPF_ALU | BPF_MUL | BPF_K, 4);
        self.push(s, BPF_ALU | BPF_ADD | BPF_K, 8);
        self.push(s, BPF_ALU | BPF_ADD | BPF_X, 0);
        self.prevlinktype = self.linktype;
        self.off_prevlinkhdr = self.off_linkhdr;
        self.linktype = DLT_EN10MB;
        let hr = self.alloc_reg()?;
        self.off_linkhdr = AbsOffset { is_variable: true, constant_part: 0, reg: hr };
        self.is_geneve = false;
        self.push(s, BPF_ST, hr as u32);
        self.no_optimize = true;
        self.push(s, BPF_LD | BPF_IND | BPF_H, 2);
        self.push(s, BPF_LDX | BPF_MEM, hr as u32);
        let s_proto = self.push(s, jmp(BPF_JEQ) as u16, et::TEB);
        let txa = self.push(s, BPF_MISC | BPF_TXA, 0);
        self.ir.sm(s_proto).jt = Some(txa);
        self.push(s, BPF_ALU | BPF_ADD | BPF_K, 12);
        self.push(s, BPF_ST, r as u32);
        self.push(s, BPF_ALU | BPF_ADD | BPF_K, 2);
        self.push(s, BPF_MISC | BPF_TAX, 0);
        let pr = self.alloc_reg()?;
        self.off_linkpl = AbsOffset { is_variable: true, constant_part: 0, reg: pr };
        let stx = self.push(s, BPF_STX, pr as u32);
        self.ir.sm(s_proto).jf = Some(stx);
        self.off_nl = 0;
        Ok(s)
    }

    /// `geneve [vni]`: later tests look inside the encapsulated frame.
    pub fn gen_geneve(&mut self, vni: u32, has_vni: bool) -> GResult<BlockId> {
        let b0 = self.geneve4(vni, has_vni)?;
        let b1 = self.geneve6(vni, has_vni)?;
        self.or(b0, b1);
        let b0 = b1;
        let s = self.geneve_offsets()?;
        let b1 = self.gen_true();
        if let Some(t) = self.ir.b(b1).stmts {
            self.ir.sappend(s, t);
        }
        self.ir.bm(b1).stmts = Some(s);
        self.and(b0, b1);
        self.is_geneve = true;
        Ok(b1)
    }

    /// Inside Geneve, a link-layer header exists only when its offset
    /// differs from the payload's.
    pub(super) fn geneve_ll_check(&mut self) -> GResult<BlockId> {
        let hr = self.off_linkhdr.reg as u32;
        let pr = self.off_linkpl.reg as u32;
        let s = self.ir.slist(&[(BPF_LD | BPF_MEM, hr), (BPF_LDX | BPF_MEM, pr)]);
        let b0 = self.ir.block_with((BPF_JMP | BPF_JEQ | BPF_X) as i32, 0, s);
        self.not(b0);
        Ok(b0)
    }
}

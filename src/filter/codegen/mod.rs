//! The code generator: turns parsed primitives into IR blocks, for the
//! link type of the handle, exactly as libpcap 1.10.3's `gencode.c` does
//! (same block shapes, same scratch-register allocation, same errors), so
//! that the optimizer sees libpcap's input and the result matches it.
//!
//! This file holds the generator state (link-layer offsets, which change as
//! `vlan`, `mpls`, `pppoes`, `geneve` are seen), scratch registers, loads
//! relative to each header, comparisons and the final assembly of the
//! program. The primitives live in the sibling modules.

mod arith;
mod encap;
mod hosts;
mod linktype;
mod ports;
mod protos;
mod special;

use super::ast::{Arth, ArthId};
use super::ir::{jmp, BlockId, Ir, StmtId};
use super::layout::{self, AbsOffset, *};
use crate::bpf::insn::*;

/// Errors that abort code generation (libpcap's `bpf_error`).
pub type GResult<T> = Result<T, String>;

/// What a load offset is relative to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffRel {
    Packet,
    LinkHdr,
    PrevLinkHdr,
    Llc,
    PrevMplsHdr,
    LinkType,
    LinkPl,
    LinkPlNoSnap,
    TranIpv4,
    TranIpv6,
}

/// One of the generator's absolute offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Off {
    LinkHdr,
    PrevLinkHdr,
    LinkPl,
    LinkType,
}

/// Where the handle's packets come from: libpcap generates different code
/// for a few primitives when it reads a savefile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// A live capture or a dead handle (`pcap_open_dead`).
    #[default]
    Capture,
    /// A savefile; `swapped` when its byte order is not the host's.
    Savefile { swapped: bool },
}

pub const ETHERMTU: u32 = 1500;

pub mod ethertype {
    pub const IP: u32 = 0x0800;
    pub const ARP: u32 = 0x0806;
    pub const NS: u32 = 0x0600;
    pub const MOPDL: u32 = 0x6001;
    pub const MOPRC: u32 = 0x6002;
    pub const DN: u32 = 0x6003;
    pub const LAT: u32 = 0x6004;
    pub const SCA: u32 = 0x6007;
    pub const TEB: u32 = 0x6558;
    pub const REVARP: u32 = 0x8035;
    pub const ATALK: u32 = 0x809b;
    pub const AARP: u32 = 0x80f3;
    pub const VLAN_8021Q: u32 = 0x8100;
    pub const IPX: u32 = 0x8137;
    pub const IPV6: u32 = 0x86dd;
    pub const MPLS: u32 = 0x8847;
    pub const PPPOED: u32 = 0x8863;
    pub const PPPOES: u32 = 0x8864;
    pub const VLAN_8021AD: u32 = 0x88a8;
    pub const LOOPBACK: u32 = 0x9000;
    pub const VLAN_8021QINQ: u32 = 0x9100;
}

pub mod llcsap {
    pub const IP: u32 = 0x06;
    pub const ISONS: u32 = 0xfe;
    pub const NETBEUI: u32 = 0xf0;
    pub const IPX: u32 = 0xe0;
    pub const SNAP: u32 = 0xaa;
    pub const STP_8021D: u32 = 0x42;
}

/// Byte-swap a 32-bit value (libpcap's SWAPLONG).
pub const fn swaplong(y: u32) -> u32 {
    y.swap_bytes()
}

/// The code generator's state for one compilation.
pub struct Gen {
    pub ir: Ir,
    pub arths: Vec<Arth>,
    pub root: Option<BlockId>,
    /// Set by generators whose statements contain jumps; the optimizer must
    /// not run on such a program.
    pub no_optimize: bool,

    snaplen: u32,
    netmask: u32,
    origin: Origin,
    vlan_ancillary: bool,

    linktype: i32,
    prevlinktype: i32,
    outermostlinktype: i32,
    off_linkhdr: AbsOffset,
    off_prevlinkhdr: AbsOffset,
    off_outermostlinkhdr: AbsOffset,
    off_linkpl: AbsOffset,
    off_linktype: AbsOffset,
    off_nl: u32,
    off_nl_nosnap: u32,
    is_atm: bool,
    is_geneve: bool,
    is_vlan_vloffset: bool,
    off_vpi: u32,
    off_vci: u32,
    off_proto: u32,
    off_payload: u32,
    off_li: u32,
    off_li_hsl: u32,
    off_sio: u32,
    off_opc: u32,
    off_dpc: u32,
    off_sls: u32,
    label_stack_depth: u32,
    vlan_stack_depth: u32,

    regused: [bool; BPF_MEMWORDS],
    curreg: usize,
}

impl Gen {
    /// Set up for `linktype`; fails with libpcap's message for an unknown DLT.
    pub fn new(linktype: i32, snaplen: u32, netmask: u32, origin: Origin, vlan_ancillary: bool) -> GResult<Gen> {
        let l = layout::for_linktype(linktype)?;
        Ok(Gen {
            ir: Ir::default(),
            arths: Vec::new(),
            root: None,
            no_optimize: false,
            snaplen,
            netmask,
            origin,
            vlan_ancillary,
            linktype,
            prevlinktype: linktype,
            outermostlinktype: linktype,
            off_linkhdr: l.off_linkhdr,
            off_prevlinkhdr: l.off_linkhdr,
            off_outermostlinkhdr: l.off_linkhdr,
            off_linkpl: l.off_linkpl,
            off_linktype: l.off_linktype,
            off_nl: l.off_nl,
            off_nl_nosnap: l.off_nl_nosnap,
            is_atm: l.is_atm,
            is_geneve: false,
            is_vlan_vloffset: false,
            off_vpi: l.off_vpi,
            off_vci: l.off_vci,
            off_proto: l.off_proto,
            off_payload: l.off_payload,
            off_li: l.off_li,
            off_li_hsl: l.off_li_hsl,
            off_sio: l.off_sio,
            off_opc: l.off_opc,
            off_dpc: l.off_dpc,
            off_sls: l.off_sls,
            label_stack_depth: 0,
            vlan_stack_depth: 0,
            regused: [false; BPF_MEMWORDS],
            curreg: 0,
        })
    }

    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }

    fn is_savefile(&self) -> bool {
        matches!(self.origin, Origin::Savefile { .. })
    }

    fn off(&self, o: Off) -> AbsOffset {
        match o {
            Off::LinkHdr => self.off_linkhdr,
            Off::PrevLinkHdr => self.off_prevlinkhdr,
            Off::LinkPl => self.off_linkpl,
            Off::LinkType => self.off_linktype,
        }
    }

    fn off_mut(&mut self, o: Off) -> &mut AbsOffset {
        match o {
            Off::LinkHdr => &mut self.off_linkhdr,
            Off::PrevLinkHdr => &mut self.off_prevlinkhdr,
            Off::LinkPl => &mut self.off_linkpl,
            Off::LinkType => &mut self.off_linktype,
        }
    }

    // ---- statements and blocks --------------------------------------

    fn stmt(&mut self, code: u16, k: u32) -> StmtId {
        self.ir.new_stmt(code as i32, k)
    }

    /// Append a new statement to list `s`; returns the new statement.
    fn push(&mut self, s: StmtId, code: u16, k: u32) -> StmtId {
        let n = self.stmt(code, k);
        self.ir.sappend(s, n);
        n
    }

    pub fn gen_retblk(&mut self, v: u32) -> BlockId {
        self.ir.new_block((BPF_RET | BPF_K) as i32, v)
    }

    fn and(&mut self, b0: BlockId, b1: BlockId) {
        self.ir.gen_and(b0, b1)
    }

    fn or(&mut self, b0: BlockId, b1: BlockId) {
        self.ir.gen_or(b0, b1)
    }

    fn not(&mut self, b: BlockId) {
        self.ir.gen_not(b)
    }

    pub fn arth(&self, a: ArthId) -> Arth {
        self.arths[a as usize]
    }

    fn arth_mut(&mut self, a: ArthId) -> &mut Arth {
        &mut self.arths[a as usize]
    }

    // ---- scratch registers -------------------------------------------

    fn alloc_reg(&mut self) -> GResult<i32> {
        for _ in 0..BPF_MEMWORDS {
            if self.regused[self.curreg] {
                self.curreg = (self.curreg + 1) % BPF_MEMWORDS;
            } else {
                self.regused[self.curreg] = true;
                return Ok(self.curreg as i32);
            }
        }
        Err("too many registers needed to evaluate expression".into())
    }

    fn free_reg(&mut self, n: i32) {
        if (0..BPF_MEMWORDS as i32).contains(&n) {
            self.regused[n as usize] = false;
        }
    }

    // ---- loads ---------------------------------------------------------

    /// Code putting the variable part of an offset into X (allocating its
    /// register on first use), or `None` for a constant offset.
    fn abs_offset_varpart(&mut self, o: Off) -> GResult<Option<StmtId>> {
        if !self.off(o).is_variable {
            return Ok(None);
        }
        if self.off(o).reg == -1 {
            let r = self.alloc_reg()?;
            self.off_mut(o).reg = r;
        }
        let reg = self.off(o).reg as u32;
        Ok(Some(self.stmt(BPF_LDX | BPF_MEM, reg)))
    }

    fn load_absoffsetrel(&mut self, o: Off, offset: u32, size: u16) -> GResult<StmtId> {
        let k = self.off(o).constant_part.wrapping_add(offset);
        Ok(match self.abs_offset_varpart(o)? {
            Some(s) => {
                self.push(s, BPF_LD | BPF_IND | size, k);
                s
            }
            None => self.stmt(BPF_LD | BPF_ABS | size, k),
        })
    }

    /// Load `size` bytes at `offset` relative to the header `offrel`.
    fn load_a(&mut self, offrel: OffRel, offset: u32, size: u16) -> GResult<StmtId> {
        let nl = self.off_nl;
        match offrel {
            OffRel::Packet => Ok(self.stmt(BPF_LD | BPF_ABS | size, offset)),
            OffRel::LinkHdr => self.load_absoffsetrel(Off::LinkHdr, offset, size),
            OffRel::PrevLinkHdr => self.load_absoffsetrel(Off::PrevLinkHdr, offset, size),
            OffRel::Llc => self.load_absoffsetrel(Off::LinkPl, offset, size),
            OffRel::PrevMplsHdr => {
                self.load_absoffsetrel(Off::LinkPl, nl.wrapping_sub(4).wrapping_add(offset), size)
            }
            OffRel::LinkPl => self.load_absoffsetrel(Off::LinkPl, nl.wrapping_add(offset), size),
            OffRel::LinkPlNoSnap => {
                self.load_absoffsetrel(Off::LinkPl, self.off_nl_nosnap.wrapping_add(offset), size)
            }
            OffRel::LinkType => self.load_absoffsetrel(Off::LinkType, offset, size),
            OffRel::TranIpv4 => {
                let s = self.loadx_iphdrlen()?;
                let k = self.off_linkpl.constant_part.wrapping_add(nl).wrapping_add(offset);
                self.push(s, BPF_LD | BPF_IND | size, k);
                Ok(s)
            }
            OffRel::TranIpv6 => {
                self.load_absoffsetrel(Off::LinkPl, nl.wrapping_add(40).wrapping_add(offset), size)
            }
        }
    }

    /// X := length of the IPv4 header (plus the variable part of the
    /// link-layer payload offset).
    fn loadx_iphdrlen(&mut self) -> GResult<StmtId> {
        let k = self.off_linkpl.constant_part.wrapping_add(self.off_nl);
        Ok(match self.abs_offset_varpart(Off::LinkPl)? {
            Some(s) => {
                self.push(s, BPF_LD | BPF_IND | BPF_B, k);
                self.push(s, BPF_ALU | BPF_AND | BPF_K, 0xf);
                self.push(s, BPF_ALU | BPF_LSH | BPF_K, 2);
                self.push(s, BPF_ALU | BPF_ADD | BPF_X, 0);
                self.push(s, BPF_MISC | BPF_TAX, 0);
                s
            }
            None => self.stmt(BPF_LDX | BPF_MSH | BPF_B, k),
        })
    }

    // ---- comparisons ---------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn ncmp(
        &mut self,
        offrel: OffRel,
        offset: u32,
        size: u16,
        mask: u32,
        jtype: u16,
        reverse: bool,
        v: u32,
    ) -> GResult<BlockId> {
        let s = self.load_a(offrel, offset, size)?;
        if mask != 0xffff_ffff {
            self.push(s, BPF_ALU | BPF_AND | BPF_K, mask);
        }
        let b = self.ir.block_with(jmp(jtype), v, s);
        if reverse && (jtype == BPF_JGT || jtype == BPF_JGE) {
            self.not(b);
        }
        Ok(b)
    }

    fn cmp(&mut self, offrel: OffRel, offset: u32, size: u16, v: u32) -> GResult<BlockId> {
        self.ncmp(offrel, offset, size, 0xffff_ffff, BPF_JEQ, false, v)
    }

    fn cmp_gt(&mut self, offrel: OffRel, offset: u32, size: u16, v: u32) -> GResult<BlockId> {
        self.ncmp(offrel, offset, size, 0xffff_ffff, BPF_JGT, false, v)
    }

    fn cmp_ge(&mut self, offrel: OffRel, offset: u32, size: u16, v: u32) -> GResult<BlockId> {
        self.ncmp(offrel, offset, size, 0xffff_ffff, BPF_JGE, false, v)
    }

    fn cmp_lt(&mut self, offrel: OffRel, offset: u32, size: u16, v: u32) -> GResult<BlockId> {
        self.ncmp(offrel, offset, size, 0xffff_ffff, BPF_JGE, true, v)
    }

    fn cmp_le(&mut self, offrel: OffRel, offset: u32, size: u16, v: u32) -> GResult<BlockId> {
        self.ncmp(offrel, offset, size, 0xffff_ffff, BPF_JGT, true, v)
    }

    fn mcmp(&mut self, offrel: OffRel, offset: u32, size: u16, v: u32, mask: u32) -> GResult<BlockId> {
        self.ncmp(offrel, offset, size, mask, BPF_JEQ, false, v)
    }

    /// Compare `v.len()` bytes at `offset` with `v`, words first from the end.
    fn bcmp(&mut self, offrel: OffRel, offset: u32, v: &[u8]) -> GResult<BlockId> {
        let mut size = v.len();
        let mut b: Option<BlockId> = None;
        let mut chain = |g: &mut Gen, tmp: BlockId| {
            if let Some(prev) = b {
                g.and(prev, tmp);
            }
            b = Some(tmp);
        };
        while size >= 4 {
            let p = &v[size - 4..size];
            let w = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
            let tmp = self.cmp(offrel, offset + size as u32 - 4, BPF_W, w)?;
            chain(self, tmp);
            size -= 4;
        }
        while size >= 2 {
            let p = &v[size - 2..size];
            let h = u16::from_be_bytes([p[0], p[1]]) as u32;
            let tmp = self.cmp(offrel, offset + size as u32 - 2, BPF_H, h)?;
            chain(self, tmp);
            size -= 2;
        }
        if size > 0 {
            let tmp = self.cmp(offrel, offset, BPF_B, v[0] as u32)?;
            chain(self, tmp);
        }
        Ok(b.expect("bcmp of at least one byte"))
    }

    /// A test of a JSET on the byte at `offset` relative to `offrel`.
    fn jset_byte(&mut self, offrel: OffRel, offset: u32, bits: u32) -> GResult<BlockId> {
        let s = self.load_a(offrel, offset, BPF_B)?;
        Ok(self.ir.block_with(jmp(BPF_JSET), bits, s))
    }

    fn uncond(&mut self, rsense: bool) -> BlockId {
        let s = self.stmt(BPF_LD | BPF_IMM, !rsense as u32);
        self.ir.block_with(jmp(BPF_JEQ), 0, s)
    }

    fn gen_true(&mut self) -> BlockId {
        self.uncond(true)
    }

    fn gen_false(&mut self) -> BlockId {
        self.uncond(false)
    }

    // ---- finishing -----------------------------------------------------

    /// Attach the accept/reject returns to the complete expression `p`, with
    /// the variable-offset prologue and the PPI link-type check.
    pub fn finish_parse(&mut self, p: BlockId) -> GResult<()> {
        let head = self.ir.b(p).head;
        self.insert_compute_vloffsets(head)?;
        if let Some(ppi) = self.ppi_dlt_check() {
            self.and(ppi, p);
        }
        let accept = self.gen_retblk(self.snaplen);
        self.ir.backpatch(Some(p), accept);
        self.not(p);
        let reject = self.gen_retblk(0);
        self.ir.backpatch(Some(p), reject);
        self.root = Some(self.ir.b(p).head);
        Ok(())
    }

    fn ppi_dlt_check(&mut self) -> Option<BlockId> {
        if self.linktype != DLT_PPI {
            return None;
        }
        let s = self.stmt(BPF_LD | BPF_W | BPF_ABS, 4);
        Some(self.ir.block_with(jmp(BPF_JEQ), swaplong(DLT_IEEE802_11 as u32), s))
    }

    /// Prepend to block `b` the code that computes variable header lengths
    /// into their registers.
    fn insert_compute_vloffsets(&mut self, b: BlockId) -> GResult<()> {
        if self.off_linkpl.reg != -1 && self.off_linkhdr.is_variable && self.off_linkhdr.reg == -1 {
            self.off_linkhdr.reg = self.alloc_reg()?;
        }
        let mut s = match self.outermostlinktype {
            DLT_PRISM_HEADER => self.load_prism_llprefixlen(),
            DLT_IEEE802_11_RADIO_AVS => self.load_avs_llprefixlen(),
            DLT_IEEE802_11_RADIO | DLT_PPI => self.load_radiotap_llprefixlen(),
            _ => None,
        };
        match self.outermostlinktype {
            DLT_IEEE802_11 | DLT_PRISM_HEADER | DLT_IEEE802_11_RADIO_AVS | DLT_IEEE802_11_RADIO | DLT_PPI => {
                let next = self.ir.b(b).stmts;
                s = self.load_802_11_header_len(s, next);
            }
            DLT_PFLOG => s = self.load_pflog_llprefixlen(),
            _ => {}
        }
        if s.is_none() && self.is_vlan_vloffset {
            if self.off_linkpl.reg == -1 {
                self.off_linkpl.reg = self.alloc_reg()?;
            }
            if self.off_linktype.reg == -1 {
                self.off_linktype.reg = self.alloc_reg()?;
            }
            let (pl, lt) = (self.off_linkpl.reg as u32, self.off_linktype.reg as u32);
            s = Some(self.ir.slist(&[(BPF_LD | BPF_W | BPF_IMM, 0), (BPF_ST, pl), (BPF_ST, lt)]));
        }
        if let Some(s) = s {
            if let Some(old) = self.ir.b(b).stmts {
                self.ir.sappend(s, old);
            }
            self.ir.bm(b).stmts = Some(s);
        }
        Ok(())
    }

    fn load_pflog_llprefixlen(&mut self) -> Option<StmtId> {
        if self.off_linkpl.reg == -1 {
            return None;
        }
        let reg = self.off_linkpl.reg as u32;
        Some(self.ir.slist(&[
            (BPF_LD | BPF_B | BPF_ABS, 0),
            (BPF_ALU | BPF_ADD | BPF_K, 3),
            (BPF_ALU | BPF_AND | BPF_K, 0xffff_fffc),
            (BPF_ST, reg),
            (BPF_MISC | BPF_TAX, 0),
        ]))
    }

    /// Prism or AVS header (some drivers say Prism and send AVS).
    fn load_prism_llprefixlen(&mut self) -> Option<StmtId> {
        self.no_optimize = true;
        if self.off_linkhdr.reg == -1 {
            return None;
        }
        let reg = self.off_linkhdr.reg as u32;
        let s1 = self.stmt(BPF_LD | BPF_W | BPF_ABS, 0);
        self.push(s1, BPF_ALU | BPF_AND | BPF_K, 0xffff_f000);
        let sjeq_avs = self.push(s1, jmp(BPF_JEQ) as u16, 0x8021_1000);
        let avs_len = self.push(s1, BPF_LD | BPF_W | BPF_ABS, 4);
        self.ir.sm(sjeq_avs).jt = Some(avs_len);
        let sjcommon = self.push(s1, jmp(BPF_JA) as u16, 1);
        let prism_len = self.push(s1, BPF_LD | BPF_W | BPF_IMM, 144);
        self.ir.sm(sjeq_avs).jf = Some(prism_len);
        let st = self.push(s1, BPF_ST, reg);
        self.ir.sm(sjcommon).jf = Some(st);
        self.push(s1, BPF_MISC | BPF_TAX, 0);
        Some(s1)
    }

    fn load_avs_llprefixlen(&mut self) -> Option<StmtId> {
        if self.off_linkhdr.reg == -1 {
            return None;
        }
        let reg = self.off_linkhdr.reg as u32;
        Some(self.ir.slist(&[(BPF_LD | BPF_W | BPF_ABS, 4), (BPF_ST, reg), (BPF_MISC | BPF_TAX, 0)]))
    }

    /// Radiotap and PPI: little-endian 16-bit length at offset 2.
    fn load_radiotap_llprefixlen(&mut self) -> Option<StmtId> {
        if self.off_linkhdr.reg == -1 {
            return None;
        }
        let reg = self.off_linkhdr.reg as u32;
        Some(self.ir.slist(&[
            (BPF_LD | BPF_B | BPF_ABS, 3),
            (BPF_ALU | BPF_LSH | BPF_K, 8),
            (BPF_MISC | BPF_TAX, 0),
            (BPF_LD | BPF_B | BPF_ABS, 2),
            (BPF_ALU | BPF_OR | BPF_X, 0),
            (BPF_ST, reg),
            (BPF_MISC | BPF_TAX, 0),
        ]))
    }

    /// The 802.11 MAC header length (24, +2 for QoS data frames, rounded up
    /// for Atheros radiotap padding) into the payload-offset register.
    /// `snext` is the first statement after this prologue.
    fn load_802_11_header_len(&mut self, s: Option<StmtId>, snext: Option<StmtId>) -> Option<StmtId> {
        if self.off_linkpl.reg == -1 {
            return s;
        }
        self.no_optimize = true;
        let reg = self.off_linkpl.reg as u32;
        let s = match s {
            Some(s) => s,
            None => self.stmt(BPF_LDX | BPF_IMM, self.off_outermostlinkhdr.constant_part),
        };
        self.push(s, BPF_MISC | BPF_TXA, 0);
        self.push(s, BPF_ALU | BPF_ADD | BPF_K, 24);
        self.push(s, BPF_ST, reg);
        self.push(s, BPF_LD | BPF_IND | BPF_B, 0);
        let data1 = self.push(s, jmp(BPF_JSET) as u16, 0x08);
        let data2 = self.push(s, jmp(BPF_JSET) as u16, 0x04);
        self.ir.sm(data1).jt = Some(data2);
        self.ir.sm(data1).jf = snext;
        self.ir.sm(data2).jt = snext;
        let qos = self.push(s, jmp(BPF_JSET) as u16, 0x80);
        self.ir.sm(data2).jf = Some(qos);
        let ld = self.push(s, BPF_LD | BPF_MEM, reg);
        self.ir.sm(qos).jt = Some(ld);
        self.push(s, BPF_ALU | BPF_ADD | BPF_K, 2);
        self.push(s, BPF_ST, reg);
        if self.linktype == DLT_IEEE802_11_RADIO {
            let ld_present = self.push(s, BPF_LD | BPF_ABS | BPF_W, 4);
            self.ir.sm(qos).jf = Some(ld_present);
            let flags = self.push(s, jmp(BPF_JSET) as u16, swaplong(0x0000_0002));
            self.ir.sm(flags).jf = snext;
            let ext = self.push(s, jmp(BPF_JSET) as u16, swaplong(0x8000_0000));
            self.ir.sm(flags).jt = Some(ext);
            self.ir.sm(ext).jt = snext;
            let tsft = self.push(s, jmp(BPF_JSET) as u16, swaplong(0x0000_0001));
            self.ir.sm(ext).jf = Some(tsft);
            let ld16 = self.push(s, BPF_LD | BPF_ABS | BPF_B, 16);
            self.ir.sm(tsft).jt = Some(ld16);
            let tsft_pad = self.push(s, jmp(BPF_JSET) as u16, 0x20);
            let ld8 = self.push(s, BPF_LD | BPF_ABS | BPF_B, 8);
            self.ir.sm(tsft).jf = Some(ld8);
            let notsft_pad = self.push(s, jmp(BPF_JSET) as u16, 0x20);
            let roundup = self.push(s, BPF_LD | BPF_MEM, reg);
            self.push(s, BPF_ALU | BPF_ADD | BPF_K, 3);
            self.push(s, BPF_ALU | BPF_AND | BPF_K, !3u32);
            self.push(s, BPF_ST, reg);
            for j in [tsft_pad, notsft_pad] {
                self.ir.sm(j).jt = Some(roundup);
                self.ir.sm(j).jf = snext;
            }
        } else {
            self.ir.sm(qos).jf = snext;
        }
        Some(s)
    }
}

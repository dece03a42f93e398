//! The remaining primitives: `broadcast`/`multicast`, `ifindex`,
//! `inbound`/`outbound`, pflog fields, 802.11 `type`/`subtype`/`dir`,
//! `llc`, and the ATM and SS7 (MTP2/MTP3) keywords.

use super::{ethertype as et, GResult, Gen, OffRel};
use crate::bpf::insn::*;
use crate::filter::ast::{atm, dir, mtp, proto, Q_DEFAULT};
use crate::filter::ir::BlockId;
use crate::filter::layout::*;

const PACKET_OUTGOING: u32 = 4;
const LINUX_SLL_OUTGOING: u32 = 4;
const PT_LANE: u32 = 0x01;
const PT_LLC: u32 = 0x02;
const PF_IN: u32 = 1;
const PF_OUT: u32 = 2;
const PFLOG_IFNAMSIZ: usize = 16;
const PFLOG_RULESET_NAME_SIZE: usize = 16;

fn is_juniper(linktype: i32) -> bool {
    matches!(
        linktype,
        DLT_JUNIPER_MFR
            | DLT_JUNIPER_MLFR
            | DLT_JUNIPER_MLPPP
            | DLT_JUNIPER_ATM1
            | DLT_JUNIPER_ATM2
            | DLT_JUNIPER_PPPOE
            | DLT_JUNIPER_PPPOE_ATM
            | DLT_JUNIPER_GGSN
            | DLT_JUNIPER_ES
            | DLT_JUNIPER_MONITOR
            | DLT_JUNIPER_SERVICES
            | DLT_JUNIPER_ETHER
            | DLT_JUNIPER_PPP
            | DLT_JUNIPER_FRELAY
            | DLT_JUNIPER_CHDLC
            | DLT_JUNIPER_VP
            | DLT_JUNIPER_ST
            | DLT_JUNIPER_ISM
            | DLT_JUNIPER_VS
            | DLT_JUNIPER_SRX_E2E
            | DLT_JUNIPER_FIBRECHANNEL
            | DLT_JUNIPER_ATM_CEMIC
    )
}

fn is_80211_no_ppi(linktype: i32) -> bool {
    matches!(linktype, DLT_IEEE802_11 | DLT_PRISM_HEADER | DLT_IEEE802_11_RADIO_AVS | DLT_IEEE802_11_RADIO)
}

impl Gen {
    /// `[ether|ip] broadcast`.
    pub fn gen_broadcast(&mut self, p: u8) -> GResult<BlockId> {
        const EBROADCAST: [u8; 6] = [0xff; 6];
        match p {
            Q_DEFAULT | proto::LINK => {
                if matches!(self.linktype, DLT_ARCNET | DLT_ARCNET_LINUX) {
                    return self.ahostop(&[0], dir::DST);
                }
                match self.mac_layout() {
                    Some(l) => self.mac_host(l, &EBROADCAST, dir::DST),
                    None => Err("not a broadcast link".into()),
                }
            }
            proto::IP => {
                if self.netmask == 0xffff_ffff {
                    return Err("netmask not known, so 'ip broadcast' not supported".into());
                }
                let b0 = self.linktype(et::IP)?;
                let hostmask = !self.netmask;
                let b1 = self.mcmp(OffRel::LinkPl, 16, BPF_W, 0, hostmask)?;
                // All host bits set.
                let b2 = self.mcmp(OffRel::LinkPl, 16, BPF_W, hostmask, hostmask)?;
                self.or(b1, b2);
                self.and(b0, b2);
                Ok(b2)
            }
            _ => Err("only link-layer/IP broadcast filters supported".into()),
        }
    }

    /// The group bit of the MAC address at `offset` in the link header.
    fn mac_multicast(&mut self, offset: u32) -> GResult<BlockId> {
        self.jset_byte(OffRel::LinkHdr, offset, 1)
    }

    /// `[ether|ip|ip6] multicast`.
    pub fn gen_multicast(&mut self, p: u8) -> GResult<BlockId> {
        const ERR: &str = "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/\
                           ATM LANE/Fibre Channel";
        match p {
            Q_DEFAULT | proto::LINK => match self.linktype {
                DLT_ARCNET | DLT_ARCNET_LINUX => self.ahostop(&[0], dir::DST),
                DLT_EN10MB | DLT_NETANALYZER | DLT_NETANALYZER_TRANSPARENT => {
                    let b1 = self.prevlinkhdr_check()?;
                    let b0 = self.mac_multicast(0)?;
                    if let Some(b1) = b1 {
                        self.and(b1, b0);
                    }
                    Ok(b0)
                }
                DLT_FDDI => self.mac_multicast(1),
                DLT_IEEE802 => self.mac_multicast(2),
                DLT_IEEE802_11 | DLT_PRISM_HEADER | DLT_IEEE802_11_RADIO_AVS | DLT_IEEE802_11_RADIO | DLT_PPI => {
                    self.wlan_addr_test(dir::DST, &mut |g, off| g.mac_multicast(off))
                }
                DLT_IP_OVER_FC => self.mac_multicast(2),
                _ => Err(ERR.into()),
            },
            proto::IP => {
                let b0 = self.linktype(et::IP)?;
                let b1 = self.cmp_ge(OffRel::LinkPl, 16, BPF_B, 224)?;
                self.and(b0, b1);
                Ok(b1)
            }
            proto::IPV6 => {
                let b0 = self.linktype(et::IPV6)?;
                let b1 = self.cmp(OffRel::LinkPl, 24, BPF_B, 255)?;
                self.and(b0, b1);
                Ok(b1)
            }
            _ => Err(ERR.into()),
        }
    }

    /// `ifindex n`: the SLL2 header field, else the Linux packet metadata.
    pub fn gen_ifindex(&mut self, ifindex: u32) -> GResult<BlockId> {
        if self.linktype == DLT_LINUX_SLL2 {
            return self.cmp(OffRel::LinkHdr, 4, BPF_W, ifindex);
        }
        if self.is_savefile() {
            return Err(format!(
                "ifindex not supported on {} when reading savefiles",
                description_or_dlt(self.linktype)
            ));
        }
        self.cmp(OffRel::LinkHdr, SKF_AD_OFF.wrapping_add(SKF_AD_IFINDEX), BPF_W, ifindex)
    }

    /// `inbound` (`outbound` = true).
    pub fn gen_inbound(&mut self, outbound: bool) -> GResult<BlockId> {
        let d = outbound as u32;
        match self.linktype {
            DLT_SLIP => {
                let z = self.gen_loadi(0)?;
                let a0 = self.gen_load(proto::LINK, z, 1)?;
                let a1 = self.gen_loadi(0)?;
                self.gen_relation(BPF_JEQ, a0, a1, outbound)
            }
            DLT_IPNET => self.cmp(OffRel::LinkHdr, 2, BPF_H, if outbound { 1 } else { 2 }),
            DLT_LINUX_SLL | DLT_LINUX_SLL2 => {
                let (off, size) = if self.linktype == DLT_LINUX_SLL { (0, BPF_H) } else { (10, BPF_B) };
                let b0 = self.cmp(OffRel::LinkHdr, off, size, LINUX_SLL_OUTGOING)?;
                if !outbound {
                    self.not(b0);
                }
                Ok(b0)
            }
            DLT_PFLOG => self.cmp(OffRel::LinkHdr, 60, BPF_B, if outbound { PF_OUT } else { PF_IN }),
            DLT_PPP_PPPD => self.cmp(OffRel::LinkHdr, 0, BPF_B, d),
            lt if is_juniper(lt) => self.mcmp(OffRel::LinkHdr, 3, BPF_B, 1 - d, 0x01),
            _ => {
                if self.is_savefile() {
                    return Err(format!(
                        "inbound/outbound not supported on {} when reading savefiles",
                        description_or_dlt(self.linktype)
                    ));
                }
                let b0 = self.cmp(OffRel::LinkHdr, SKF_AD_OFF.wrapping_add(SKF_AD_PKTTYPE), BPF_H, PACKET_OUTGOING)?;
                if !outbound {
                    self.not(b0);
                }
                Ok(b0)
            }
        }
    }

    fn require_pflog(&self, what: &str) -> GResult<()> {
        if self.linktype != DLT_PFLOG {
            return Err(format!("{what} supported only on PF linktype"));
        }
        Ok(())
    }

    /// `on <ifname>` (pflog).
    pub fn gen_pf_ifname(&mut self, ifname: &str) -> GResult<BlockId> {
        self.require_pflog("ifname")?;
        if ifname.len() >= PFLOG_IFNAMSIZ {
            return Err(format!("ifname interface names can only be {} characters", PFLOG_IFNAMSIZ - 1));
        }
        self.bcmp(OffRel::LinkHdr, 4, ifname.as_bytes())
    }

    /// `ruleset <name>` (pflog).
    pub fn gen_pf_ruleset(&mut self, ruleset: &str) -> GResult<BlockId> {
        self.require_pflog("ruleset")?;
        if ruleset.len() >= PFLOG_RULESET_NAME_SIZE {
            return Err(format!("ruleset names can only be {} characters", PFLOG_RULESET_NAME_SIZE - 1));
        }
        self.bcmp(OffRel::LinkHdr, 20, ruleset.as_bytes())
    }

    /// `rnr`, `srnr`, `reason`, `action` (pflog header fields).
    pub fn gen_pf_field(&mut self, what: &str, v: u32) -> GResult<BlockId> {
        self.require_pflog(what)?;
        let (off, size) = match what {
            "rnr" => (36, BPF_W),
            "srnr" => (40, BPF_W),
            "reason" => (3, BPF_B),
            _ => (2, BPF_B),
        };
        self.cmp(OffRel::LinkHdr, off, size, v)
    }

    /// 802.11 `type`/`subtype`.
    pub fn gen_p80211_type(&mut self, ty: u32, mask: u32) -> GResult<BlockId> {
        if !is_80211_no_ppi(self.linktype) {
            return Err("802.11 link-layer types supported only on 802.11".into());
        }
        self.mcmp(OffRel::LinkHdr, 0, BPF_B, ty, mask)
    }

    /// 802.11 `dir`.
    pub fn gen_p80211_fcdir(&mut self, fcdir: u32) -> GResult<BlockId> {
        if !is_80211_no_ppi(self.linktype) {
            return Err("frame direction supported only with 802.11 headers".into());
        }
        self.mcmp(OffRel::LinkHdr, 1, BPF_B, fcdir, 0x03)
    }

    fn llc_internal(&mut self) -> GResult<BlockId> {
        match self.linktype {
            DLT_EN10MB => {
                let b0 = self.cmp_gt(OffRel::LinkType, 0, BPF_H, super::ETHERMTU)?;
                self.not(b0);
                let b1 = self.cmp(OffRel::Llc, 0, BPF_H, 0xffff)?;
                self.not(b1);
                self.and(b0, b1);
                Ok(b1)
            }
            DLT_SUNATM => self.atmtype_llc(),
            DLT_IEEE802 | DLT_FDDI | DLT_ATM_RFC1483 => Ok(self.gen_true()),
            DLT_IEEE802_11 | DLT_PRISM_HEADER | DLT_IEEE802_11_RADIO | DLT_IEEE802_11_RADIO_AVS | DLT_PPI => {
                self.check_802_11_data_frame()
            }
            _ => Err(format!("'llc' not supported for {}", description_or_dlt(self.linktype))),
        }
    }

    /// `llc`.
    pub fn gen_llc(&mut self) -> GResult<BlockId> {
        self.llc_internal()
    }

    /// `llc i`.
    pub fn gen_llc_i(&mut self) -> GResult<BlockId> {
        let b0 = self.llc_internal()?;
        let b1 = self.jset_byte(OffRel::Llc, 2, 0x01)?;
        self.not(b1);
        self.and(b0, b1);
        Ok(b1)
    }

    /// `llc s`, `llc u` and their subtypes: the control byte under `mask`.
    pub fn gen_llc_control(&mut self, value: u32, mask: u32) -> GResult<BlockId> {
        let b0 = self.llc_internal()?;
        let b1 = self.mcmp(OffRel::Llc, 2, BPF_B, value, mask)?;
        self.and(b0, b1);
        Ok(b1)
    }

    pub(super) fn atmfield_code_internal(&mut self, field: i32, jvalue: u32, jtype: u16, reverse: bool) -> GResult<BlockId> {
        let all = 0xffff_ffff;
        match field {
            atm::VPI => {
                if !self.is_atm {
                    return Err("'vpi' supported only on raw ATM".into());
                }
                self.ncmp(OffRel::LinkHdr, self.off_vpi, BPF_B, all, jtype, reverse, jvalue)
            }
            atm::VCI => {
                if !self.is_atm {
                    return Err("'vci' supported only on raw ATM".into());
                }
                self.ncmp(OffRel::LinkHdr, self.off_vci, BPF_H, all, jtype, reverse, jvalue)
            }
            atm::PROTOTYPE => self.ncmp(OffRel::LinkHdr, self.off_proto, BPF_B, 0x0f, jtype, reverse, jvalue),
            atm::MSGTYPE => {
                let off = self.off_payload.wrapping_add(5);
                self.ncmp(OffRel::LinkHdr, off, BPF_B, all, jtype, reverse, jvalue)
            }
            _ => {
                if !self.is_atm {
                    return Err("'callref' supported only on raw ATM".into());
                }
                self.ncmp(OffRel::LinkHdr, self.off_proto, BPF_B, all, jtype, reverse, jvalue)
            }
        }
    }

    /// `vpi`/`vci` relations.
    pub fn gen_atmfield_code(&mut self, field: i32, jvalue: u32, jtype: u16, reverse: bool) -> GResult<BlockId> {
        self.atmfield_code_internal(field, jvalue, jtype, reverse)
    }

    /// vpi == `vpi` && vci == `vci`.
    fn atm_vc(&mut self, vpi: u32, vci: u32) -> GResult<BlockId> {
        let b0 = self.atmfield_code_internal(atm::VPI, vpi, BPF_JEQ, false)?;
        let b1 = self.atmfield_code_internal(atm::VCI, vci, BPF_JEQ, false)?;
        self.and(b0, b1);
        Ok(b1)
    }

    fn atmtype_llc(&mut self) -> GResult<BlockId> {
        let b0 = self.atmfield_code_internal(atm::PROTOTYPE, PT_LLC, BPF_JEQ, false)?;
        self.linktype = self.prevlinktype;
        Ok(b0)
    }

    fn require_atm(&self, what: &str) -> GResult<()> {
        if !self.is_atm {
            return Err(format!("'{what}' supported only on raw ATM"));
        }
        Ok(())
    }

    /// `lane`, `metac`, `bcc`, `oamf4ec`, `oamf4sc`, `sc`, `ilmic`.
    pub fn gen_atmtype_abbrev(&mut self, ty: i32) -> GResult<BlockId> {
        match ty {
            atm::METAC => {
                self.require_atm("metac")?;
                self.atm_vc(0, 1)
            }
            atm::BCC => {
                self.require_atm("bcc")?;
                self.atm_vc(0, 2)
            }
            atm::OAMF4SC => {
                self.require_atm("oam4sc")?;
                self.atm_vc(0, 3)
            }
            atm::OAMF4EC => {
                self.require_atm("oam4ec")?;
                self.atm_vc(0, 4)
            }
            atm::SC => {
                self.require_atm("sc")?;
                self.atm_vc(0, 5)
            }
            atm::ILMIC => {
                self.require_atm("ilmic")?;
                self.atm_vc(0, 16)
            }
            atm::LANE => {
                self.require_atm("lane")?;
                let b1 = self.atmfield_code_internal(atm::PROTOTYPE, PT_LANE, BPF_JEQ, false)?;
                // Everything after looks at LANE-encapsulated Ethernet.
                let hdr = AbsOffset::fixed(self.off_payload.wrapping_add(2));
                self.prevlinktype = self.linktype;
                self.off_prevlinkhdr = self.off_linkhdr;
                self.linktype = DLT_EN10MB;
                self.off_linkhdr = hdr;
                self.is_geneve = false;
                self.off_linktype.constant_part = hdr.constant_part.wrapping_add(12);
                self.off_linkpl.constant_part = hdr.constant_part.wrapping_add(14);
                self.off_nl = 0;
                self.off_nl_nosnap = 3;
                Ok(b1)
            }
            _ => {
                self.require_atm("llc")?;
                self.atmtype_llc()
            }
        }
    }

    fn msg_type(&mut self, t: u32) -> GResult<BlockId> {
        self.atmfield_code_internal(atm::MSGTYPE, t, BPF_JEQ, false)
    }

    /// `oam`, `oamf4`, `connectmsg`, `metaconnect`.
    pub fn gen_atmmulti_abbrev(&mut self, ty: i32) -> GResult<BlockId> {
        const SETUP: u32 = 0x05;
        const CALL_PROCEED: u32 = 0x02;
        const CONNECT: u32 = 0x07;
        const CONNECT_ACK: u32 = 0x0f;
        const RELEASE: u32 = 0x4d;
        const RELEASE_DONE: u32 = 0x5a;
        match ty {
            atm::OAM | atm::OAMF4 => {
                self.require_atm(if ty == atm::OAM { "oam" } else { "oamf4" })?;
                let b0 = self.atmfield_code_internal(atm::VCI, 3, BPF_JEQ, false)?;
                let b1 = self.atmfield_code_internal(atm::VCI, 4, BPF_JEQ, false)?;
                self.or(b0, b1);
                let b0 = self.atmfield_code_internal(atm::VPI, 0, BPF_JEQ, false)?;
                self.and(b0, b1);
                Ok(b1)
            }
            _ => {
                let connect = ty == atm::CONNECTMSG;
                self.require_atm(if connect { "connectmsg" } else { "metaconnect" })?;
                let msgs: &[u32] = if connect {
                    &[SETUP, CALL_PROCEED, CONNECT, CONNECT_ACK, RELEASE, RELEASE_DONE]
                } else {
                    &[SETUP, CALL_PROCEED, CONNECT, RELEASE, RELEASE_DONE]
                };
                let b0 = self.msg_type(msgs[0])?;
                let b1 = self.msg_type(msgs[1])?;
                self.or(b0, b1);
                for &m in &msgs[2..] {
                    let b0 = self.msg_type(m)?;
                    self.or(b0, b1);
                }
                let b0 = if connect { self.atm_vc(0, 5)? } else { self.atm_vc(0, 1)? };
                self.and(b0, b1);
                Ok(b1)
            }
        }
    }

    /// `fisu`, `lssu`, `msu` and their high-speed-link variants.
    pub fn gen_mtp2type_abbrev(&mut self, ty: i32) -> GResult<BlockId> {
        let name = match ty {
            mtp::FISU => "'fisu' supported only on MTP2",
            mtp::LSSU => "'lssu' supported only on MTP2",
            mtp::MSU => "'msu' supported only on MTP2",
            mtp::HFISU => "'hfisu' supported only on MTP2_HSL",
            mtp::HLSSU => "'hlssu' supported only on MTP2_HSL",
            _ => "'hmsu' supported only on MTP2_HSL",
        };
        if !matches!(self.linktype, DLT_MTP2 | DLT_ERF | DLT_MTP2_WITH_PHDR) {
            return Err(name.into());
        }
        let (li, li_hsl) = (self.off_li, self.off_li_hsl);
        let p = OffRel::Packet;
        match ty {
            mtp::FISU => self.ncmp(p, li, BPF_B, 0x3f, BPF_JEQ, false, 0),
            mtp::LSSU => {
                let b0 = self.ncmp(p, li, BPF_B, 0x3f, BPF_JGT, true, 2)?;
                let b1 = self.ncmp(p, li, BPF_B, 0x3f, BPF_JGT, false, 0)?;
                self.and(b1, b0);
                Ok(b0)
            }
            mtp::MSU => self.ncmp(p, li, BPF_B, 0x3f, BPF_JGT, false, 2),
            mtp::HFISU => self.ncmp(p, li_hsl, BPF_H, 0xff80, BPF_JEQ, false, 0),
            mtp::HLSSU => {
                let b0 = self.ncmp(p, li_hsl, BPF_H, 0xff80, BPF_JGT, true, 0x0100)?;
                let b1 = self.ncmp(p, li_hsl, BPF_H, 0xff80, BPF_JGT, false, 0)?;
                self.and(b1, b0);
                Ok(b0)
            }
            _ => self.ncmp(p, li_hsl, BPF_H, 0xff80, BPF_JGT, false, 0x0100),
        }
    }

    /// `sio`, `opc`, `dpc`, `sls` (and `h...` for high-speed links).
    pub fn gen_mtp3field_code(&mut self, field: i32, jvalue: u32, jtype: u16, reverse: bool) -> GResult<BlockId> {
        let hsl = matches!(field, mtp::HSIO | mtp::HOPC | mtp::HDPC | mtp::HSLS);
        let extra = if hsl { 3u32 } else { 0 };
        let p = OffRel::Packet;
        match field {
            mtp::SIO | mtp::HSIO => {
                if self.off_sio == OFFSET_NOT_SET {
                    return Err("'sio' supported only on SS7".into());
                }
                if jvalue > 255 {
                    return Err(format!("sio value {jvalue} too big; max value = 255"));
                }
                let off = self.off_sio.wrapping_add(extra);
                self.ncmp(p, off, BPF_B, 0xffff_ffff, jtype, reverse, jvalue)
            }
            mtp::OPC | mtp::HOPC => {
                if self.off_opc == OFFSET_NOT_SET {
                    return Err("'opc' supported only on SS7".into());
                }
                if jvalue > 16383 {
                    return Err(format!("opc value {jvalue} too big; max value = 16383"));
                }
                let v = ((jvalue & 0x3c00) >> 10) + ((jvalue & 0x03fc) << 6) + ((jvalue & 0x3) << 22);
                let off = self.off_opc.wrapping_add(extra);
                self.ncmp(p, off, BPF_W, 0x00c0_ff0f, jtype, reverse, v)
            }
            mtp::DPC | mtp::HDPC => {
                if self.off_dpc == OFFSET_NOT_SET {
                    return Err("'dpc' supported only on SS7".into());
                }
                if jvalue > 16383 {
                    return Err(format!("dpc value {jvalue} too big; max value = 16383"));
                }
                let v = ((jvalue & 0xff) << 24) + ((jvalue & 0x3f00) << 8);
                let off = self.off_dpc.wrapping_add(extra);
                self.ncmp(p, off, BPF_W, 0xff3f_0000, jtype, reverse, v)
            }
            _ => {
                if self.off_sls == OFFSET_NOT_SET {
                    return Err("'sls' supported only on SS7".into());
                }
                if jvalue > 15 {
                    return Err(format!("sls value {jvalue} too big; max value = 15"));
                }
                let off = self.off_sls.wrapping_add(extra);
                self.ncmp(p, off, BPF_B, 0xf0, jtype, reverse, jvalue << 4)
            }
        }
    }
}

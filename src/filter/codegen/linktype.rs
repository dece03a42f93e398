//! Link-layer protocol tests: "is this packet protocol X" for each link
//! type (Ethernet type/length field, 802.2 LLC and SNAP, cooked headers,
//! BSD loopback AF values, PPP protocol numbers, MPLS bottom of stack, ...).

use super::{ethertype as et, llcsap, GResult, Gen, OffRel, Origin, ETHERMTU};
use crate::bpf::insn::*;
use crate::filter::ir::BlockId;
use crate::filter::layout::*;

const LINUX_SLL_P_802_3: u32 = 0x0001;
const LINUX_SLL_P_802_2: u32 = 0x0004;

const PPP_IP: u32 = 0x0021;
const PPP_OSI: u32 = 0x0023;
const PPP_NS: u32 = 0x0025;
const PPP_DECNET: u32 = 0x0027;
const PPP_APPLE: u32 = 0x0029;
const PPP_IPX: u32 = 0x002b;
const PPP_VJC: u32 = 0x002d;
const PPP_VJNC: u32 = 0x002f;
const PPP_BRPDU: u32 = 0x0031;
const PPP_IPV6: u32 = 0x0057;

const ARCTYPE_IP_OLD: u32 = 240;
const ARCTYPE_ARP_OLD: u32 = 241;
const ARCTYPE_IP: u32 = 212;
const ARCTYPE_ARP: u32 = 213;
const ARCTYPE_REVARP: u32 = 214;
const ARCTYPE_ATALK: u32 = 221;
const ARCTYPE_INET6: u32 = 0xc4;

const IPH_AF_INET: u32 = 2;
const IPH_AF_INET6: u32 = 26;

pub const ISO8473_CLNP: u32 = 0x81;
pub const ISO9542_ESIS: u32 = 0x82;
pub const ISO10589_ISIS: u32 = 0x83;

/// AF_INET6 on the BSDs, FreeBSD and Darwin (for DLT_NULL savefiles).
const BSD_AFNUM_INET6: [u32; 3] = [24, 28, 30];

impl Gen {
    /// Ethernet: an Ethernet type (> 1500) or an 802.2 SAP (<= 1500).
    fn ether_linktype(&mut self, ll_proto: u32) -> GResult<BlockId> {
        match ll_proto {
            llcsap::ISONS | llcsap::IP | llcsap::NETBEUI => {
                let b0 = self.cmp_gt(OffRel::LinkType, 0, BPF_H, ETHERMTU)?;
                self.not(b0);
                let b1 = self.cmp(OffRel::Llc, 0, BPF_H, (ll_proto << 8) | ll_proto)?;
                self.and(b0, b1);
                Ok(b1)
            }
            llcsap::IPX => {
                let b0 = self.cmp(OffRel::Llc, 0, BPF_B, llcsap::IPX)?;
                let b1 = self.cmp(OffRel::Llc, 0, BPF_H, 0xffff)?;
                self.or(b0, b1);
                let b0 = self.snap(0x000000, et::IPX)?;
                self.or(b0, b1);
                let b0 = self.cmp_gt(OffRel::LinkType, 0, BPF_H, ETHERMTU)?;
                self.not(b0);
                self.and(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, et::IPX)?;
                self.or(b0, b1);
                Ok(b1)
            }
            et::ATALK | et::AARP => {
                let b0 = self.cmp_gt(OffRel::LinkType, 0, BPF_H, ETHERMTU)?;
                self.not(b0);
                let b1 = if ll_proto == et::ATALK {
                    self.snap(0x080007, et::ATALK)?
                } else {
                    self.snap(0x000000, et::AARP)?
                };
                self.and(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, ll_proto)?;
                self.or(b0, b1);
                Ok(b1)
            }
            _ if ll_proto <= ETHERMTU => {
                let b0 = self.cmp_gt(OffRel::LinkType, 0, BPF_H, ETHERMTU)?;
                self.not(b0);
                let b1 = self.cmp(OffRel::LinkType, 2, BPF_B, ll_proto)?;
                self.and(b0, b1);
                Ok(b1)
            }
            _ => self.cmp(OffRel::LinkType, 0, BPF_H, ll_proto),
        }
    }

    /// DLT_NULL/DLT_ENC carry the AF in host order, DLT_LOOP in network order.
    fn loopback_linktype(&mut self, mut ll_proto: u32) -> GResult<BlockId> {
        if self.linktype == DLT_NULL || self.linktype == DLT_ENC {
            if let Origin::Savefile { swapped: true } = self.origin {
                ll_proto = super::swaplong(ll_proto);
            }
            ll_proto = ll_proto.to_be();
        }
        self.cmp(OffRel::LinkHdr, 0, BPF_W, ll_proto)
    }

    fn ipnet_linktype(&mut self, ll_proto: u32) -> GResult<BlockId> {
        match ll_proto {
            et::IP => self.cmp(OffRel::LinkType, 0, BPF_B, IPH_AF_INET),
            et::IPV6 => self.cmp(OffRel::LinkType, 0, BPF_B, IPH_AF_INET6),
            _ => Ok(self.gen_false()),
        }
    }

    fn linux_sll_linktype(&mut self, ll_proto: u32) -> GResult<BlockId> {
        match ll_proto {
            llcsap::ISONS | llcsap::IP | llcsap::NETBEUI => {
                let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, LINUX_SLL_P_802_2)?;
                let b1 = self.cmp(OffRel::Llc, 0, BPF_H, (ll_proto << 8) | ll_proto)?;
                self.and(b0, b1);
                Ok(b1)
            }
            llcsap::IPX => {
                let b0 = self.cmp(OffRel::Llc, 0, BPF_B, llcsap::IPX)?;
                let b1 = self.snap(0x000000, et::IPX)?;
                self.or(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, LINUX_SLL_P_802_2)?;
                self.and(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, LINUX_SLL_P_802_3)?;
                self.or(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, et::IPX)?;
                self.or(b0, b1);
                Ok(b1)
            }
            et::ATALK | et::AARP => {
                let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, LINUX_SLL_P_802_2)?;
                let b1 = if ll_proto == et::ATALK {
                    self.snap(0x080007, et::ATALK)?
                } else {
                    self.snap(0x000000, et::AARP)?
                };
                self.and(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, ll_proto)?;
                self.or(b0, b1);
                Ok(b1)
            }
            _ if ll_proto <= ETHERMTU => {
                let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, LINUX_SLL_P_802_2)?;
                let pl = self.off_linkpl.constant_part;
                let b1 = self.cmp(OffRel::LinkHdr, pl, BPF_B, ll_proto)?;
                self.and(b0, b1);
                Ok(b1)
            }
            _ => self.cmp(OffRel::LinkType, 0, BPF_H, ll_proto),
        }
    }

    /// Tests needed for a link-layer header nested in another protocol.
    pub(super) fn prevlinkhdr_check(&mut self) -> GResult<Option<BlockId>> {
        if self.is_geneve {
            return self.geneve_ll_check().map(Some);
        }
        if self.prevlinktype == DLT_SUNATM {
            let b0 = self.cmp(OffRel::PrevLinkHdr, SUNATM_PKT_BEGIN_POS, BPF_H, 0xff00)?;
            self.not(b0);
            return Ok(Some(b0));
        }
        Ok(None)
    }

    /// SNAP with the given OUI and protocol, checking the whole LLC header.
    pub(super) fn snap(&mut self, orgcode: u32, ptype: u32) -> GResult<BlockId> {
        let block = [
            llcsap::SNAP as u8,
            llcsap::SNAP as u8,
            0x03,
            (orgcode >> 16) as u8,
            (orgcode >> 8) as u8,
            orgcode as u8,
            (ptype >> 8) as u8,
            ptype as u8,
        ];
        self.bcmp(OffRel::Llc, 0, &block)
    }

    /// For link types that always use 802.2 LLC.
    pub(super) fn llc_linktype(&mut self, ll_proto: u32) -> GResult<BlockId> {
        match ll_proto {
            llcsap::IP | llcsap::ISONS | llcsap::NETBEUI => {
                self.cmp(OffRel::Llc, 0, BPF_H, (ll_proto << 8) | ll_proto)
            }
            llcsap::IPX => self.cmp(OffRel::Llc, 0, BPF_B, llcsap::IPX),
            et::ATALK => self.snap(0x080007, et::ATALK),
            _ if ll_proto <= ETHERMTU => self.cmp(OffRel::Llc, 0, BPF_B, ll_proto),
            _ => self.cmp(OffRel::Llc, 6, BPF_H, ll_proto),
        }
    }

    /// IPv4 or IPv6 inside MPLS: bottom-of-stack bit and IP version.
    fn mpls_linktype(&mut self, ll_proto: u32) -> GResult<BlockId> {
        let version = match ll_proto {
            et::IP => 0x40,
            et::IPV6 => 0x60,
            _ => return Err("unsupported protocol over mpls".into()),
        };
        let b0 = self.mcmp(OffRel::LinkPl, (-2i32) as u32, BPF_B, 0x01, 0x01)?;
        let b1 = self.mcmp(OffRel::LinkPl, 0, BPF_B, version, 0xf0)?;
        self.and(b0, b1);
        Ok(b1)
    }

    /// A data frame: frame-control type bit 0x08 set, 0x04 clear.
    pub(super) fn check_802_11_data_frame(&mut self) -> GResult<BlockId> {
        let b0 = self.jset_byte(OffRel::LinkHdr, 0, 0x08)?;
        let b1 = self.jset_byte(OffRel::LinkHdr, 0, 0x04)?;
        self.not(b1);
        self.and(b1, b0);
        Ok(b0)
    }

    /// "The packet is protocol `ll_proto`" (an Ethernet type, or an LLC SAP
    /// when <= 1500) on the current link type.
    pub(super) fn linktype(&mut self, ll_proto: u32) -> GResult<BlockId> {
        if self.label_stack_depth > 0 {
            return self.mpls_linktype(ll_proto);
        }
        match self.linktype {
            DLT_EN10MB | DLT_NETANALYZER | DLT_NETANALYZER_TRANSPARENT => {
                let b0 = if !self.is_geneve { self.prevlinkhdr_check()? } else { None };
                let b1 = self.ether_linktype(ll_proto)?;
                if let Some(b0) = b0 {
                    self.and(b0, b1);
                }
                Ok(b1)
            }
            DLT_C_HDLC | DLT_HDLC => {
                let p = if ll_proto == llcsap::ISONS { (ll_proto << 8) | llcsap::ISONS } else { ll_proto };
                self.cmp(OffRel::LinkType, 0, BPF_H, p)
            }
            DLT_IEEE802_11 | DLT_PRISM_HEADER | DLT_IEEE802_11_RADIO_AVS | DLT_IEEE802_11_RADIO | DLT_PPI => {
                let b0 = self.check_802_11_data_frame()?;
                let b1 = self.llc_linktype(ll_proto)?;
                self.and(b0, b1);
                Ok(b1)
            }
            DLT_FDDI | DLT_IEEE802 | DLT_ATM_RFC1483 | DLT_ATM_CLIP | DLT_IP_OVER_FC => {
                self.llc_linktype(ll_proto)
            }
            DLT_SUNATM => {
                let b0 = self.atmfield_code_internal(crate::filter::ast::atm::PROTOTYPE, 0x02, BPF_JEQ, false)?;
                let b1 = self.llc_linktype(ll_proto)?;
                self.and(b0, b1);
                Ok(b1)
            }
            DLT_LINUX_SLL => self.linux_sll_linktype(ll_proto),
            DLT_SLIP | DLT_SLIP_BSDOS | DLT_RAW => match ll_proto {
                et::IP => self.mcmp(OffRel::LinkHdr, 0, BPF_B, 0x40, 0xf0),
                et::IPV6 => self.mcmp(OffRel::LinkHdr, 0, BPF_B, 0x60, 0xf0),
                _ => Ok(self.gen_false()),
            },
            DLT_IPV4 => Ok(if ll_proto == et::IP { self.gen_true() } else { self.gen_false() }),
            DLT_IPV6 => Ok(if ll_proto == et::IPV6 { self.gen_true() } else { self.gen_false() }),
            DLT_PPP | DLT_PPP_PPPD | DLT_PPP_SERIAL | DLT_PPP_ETHER => {
                self.cmp(OffRel::LinkType, 0, BPF_H, ethertype_to_ppptype(ll_proto))
            }
            DLT_PPP_BSDOS => {
                if ll_proto == et::IP {
                    let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, PPP_IP)?;
                    let b1 = self.cmp(OffRel::LinkType, 0, BPF_H, PPP_VJC)?;
                    self.or(b0, b1);
                    let b0 = self.cmp(OffRel::LinkType, 0, BPF_H, PPP_VJNC)?;
                    self.or(b1, b0);
                    Ok(b0)
                } else {
                    self.cmp(OffRel::LinkType, 0, BPF_H, ethertype_to_ppptype(ll_proto))
                }
            }
            DLT_NULL | DLT_LOOP | DLT_ENC => match ll_proto {
                et::IP => self.loopback_linktype(libc::AF_INET as u32),
                et::IPV6 => {
                    if self.is_savefile() {
                        let b0 = self.loopback_linktype(BSD_AFNUM_INET6[0])?;
                        let b1 = self.loopback_linktype(BSD_AFNUM_INET6[1])?;
                        self.or(b0, b1);
                        let b0 = self.loopback_linktype(BSD_AFNUM_INET6[2])?;
                        self.or(b0, b1);
                        Ok(b1)
                    } else {
                        self.loopback_linktype(libc::AF_INET6 as u32)
                    }
                }
                _ => Ok(self.gen_false()),
            },
            DLT_PFLOG => match ll_proto {
                et::IP => self.cmp(OffRel::LinkHdr, 1, BPF_B, libc::AF_INET as u32),
                et::IPV6 => self.cmp(OffRel::LinkHdr, 1, BPF_B, libc::AF_INET6 as u32),
                _ => Ok(self.gen_false()),
            },
            DLT_ARCNET | DLT_ARCNET_LINUX => match ll_proto {
                et::IPV6 => self.cmp(OffRel::LinkType, 0, BPF_B, ARCTYPE_INET6),
                et::IP | et::ARP => {
                    let (new, old) =
                        if ll_proto == et::IP { (ARCTYPE_IP, ARCTYPE_IP_OLD) } else { (ARCTYPE_ARP, ARCTYPE_ARP_OLD) };
                    let b0 = self.cmp(OffRel::LinkType, 0, BPF_B, new)?;
                    let b1 = self.cmp(OffRel::LinkType, 0, BPF_B, old)?;
                    self.or(b0, b1);
                    Ok(b1)
                }
                et::REVARP => self.cmp(OffRel::LinkType, 0, BPF_B, ARCTYPE_REVARP),
                et::ATALK => self.cmp(OffRel::LinkType, 0, BPF_B, ARCTYPE_ATALK),
                _ => Ok(self.gen_false()),
            },
            DLT_LTALK => Ok(if ll_proto == et::ATALK { self.gen_true() } else { self.gen_false() }),
            DLT_FRELAY => match ll_proto {
                et::IP => self.cmp(OffRel::LinkHdr, 2, BPF_H, (0x03 << 8) | 0xcc),
                et::IPV6 => self.cmp(OffRel::LinkHdr, 2, BPF_H, (0x03 << 8) | 0x8e),
                llcsap::ISONS => {
                    let b0 = self.cmp(OffRel::LinkHdr, 2, BPF_H, (0x03 << 8) | ISO8473_CLNP)?;
                    let b1 = self.cmp(OffRel::LinkHdr, 2, BPF_H, (0x03 << 8) | ISO9542_ESIS)?;
                    let b2 = self.cmp(OffRel::LinkHdr, 2, BPF_H, (0x03 << 8) | ISO10589_ISIS)?;
                    self.or(b1, b2);
                    self.or(b0, b2);
                    Ok(b2)
                }
                _ => Ok(self.gen_false()),
            },
            DLT_MFR => Err("Multi-link Frame Relay link-layer type filtering not implemented".into()),
            DLT_JUNIPER_MFR | DLT_JUNIPER_MLFR | DLT_JUNIPER_MLPPP | DLT_JUNIPER_ATM1 | DLT_JUNIPER_ATM2
            | DLT_JUNIPER_PPPOE | DLT_JUNIPER_PPPOE_ATM | DLT_JUNIPER_GGSN | DLT_JUNIPER_ES
            | DLT_JUNIPER_MONITOR | DLT_JUNIPER_SERVICES | DLT_JUNIPER_ETHER | DLT_JUNIPER_PPP
            | DLT_JUNIPER_FRELAY | DLT_JUNIPER_CHDLC | DLT_JUNIPER_VP | DLT_JUNIPER_ST | DLT_JUNIPER_ISM
            | DLT_JUNIPER_VS | DLT_JUNIPER_SRX_E2E | DLT_JUNIPER_FIBRECHANNEL | DLT_JUNIPER_ATM_CEMIC => {
                self.mcmp(OffRel::LinkHdr, 0, BPF_W, 0x4d47_4300, 0xffff_ff00)
            }
            DLT_BACNET_MS_TP => self.mcmp(OffRel::LinkHdr, 0, BPF_W, 0x55ff_0000, 0xffff_0000),
            DLT_IPNET => self.ipnet_linktype(ll_proto),
            other => match not_implemented(other) {
                Some(what) => Err(format!("{what} link-layer type filtering not implemented")),
                None if self.off_linktype.constant_part != OFFSET_NOT_SET => {
                    self.cmp(OffRel::LinkType, 0, BPF_H, ll_proto)
                }
                None => Err(format!(
                    "{} link-layer type filtering not implemented",
                    description_or_dlt(self.linktype)
                )),
            },
        }
    }
}

/// Link types libpcap refuses protocol tests on, with its name for them.
fn not_implemented(linktype: i32) -> Option<&'static str> {
    Some(match linktype {
        DLT_LINUX_IRDA => "IrDA",
        DLT_DOCSIS => "DOCSIS",
        DLT_MTP2 | DLT_MTP2_WITH_PHDR => "MTP2",
        DLT_ERF => "ERF",
        DLT_PFSYNC => "PFSYNC",
        DLT_LINUX_LAPD => "LAPD",
        DLT_USB_FREEBSD | DLT_USB_LINUX | DLT_USB_LINUX_MMAPPED | DLT_USBPCAP => "USB",
        DLT_BLUETOOTH_HCI_H4 | DLT_BLUETOOTH_HCI_H4_WITH_PHDR => "Bluetooth",
        DLT_CAN20B | DLT_CAN_SOCKETCAN => "CAN",
        DLT_IEEE802_15_4 | DLT_IEEE802_15_4_LINUX | DLT_IEEE802_15_4_NONASK_PHY | DLT_IEEE802_15_4_NOFCS
        | DLT_IEEE802_15_4_TAP => "IEEE 802.15.4",
        DLT_IEEE802_16_MAC_CPS_RADIO => "IEEE 802.16",
        DLT_SITA => "SITA",
        DLT_RAIF1 => "RAIF1",
        DLT_IPMB_KONTRON | DLT_IPMB_LINUX => "IPMB",
        DLT_AX25_KISS => "AX.25",
        DLT_NFLOG => "NFLOG",
        _ => return None,
    })
}

fn ethertype_to_ppptype(ll_proto: u32) -> u32 {
    match ll_proto {
        et::IP => PPP_IP,
        et::IPV6 => PPP_IPV6,
        et::DN => PPP_DECNET,
        et::ATALK => PPP_APPLE,
        et::NS => PPP_NS,
        llcsap::ISONS => PPP_OSI,
        llcsap::STP_8021D => PPP_BRPDU,
        llcsap::IPX => PPP_IPX,
        other => other,
    }
}

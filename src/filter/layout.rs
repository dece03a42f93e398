//! Per-link-type packet layout: where the link-layer header, its type field
//! and its payload start for each DLT, as libpcap's code generator assumes
//! them, and the DLT values (Linux numbering) the generator distinguishes.

pub use crate::dlt::{
    DLT_ARCNET, DLT_ARCNET_LINUX, DLT_ATM_CLIP, DLT_ATM_RFC1483, DLT_CAN_SOCKETCAN, DLT_C_HDLC, DLT_EN10MB,
    DLT_FDDI, DLT_FRELAY, DLT_IEEE802, DLT_IEEE802_11, DLT_IEEE802_11_RADIO, DLT_IEEE802_11_RADIO_AVS, DLT_IPV4,
    DLT_IPV6, DLT_LINUX_IRDA, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_LOOP, DLT_NULL, DLT_PFSYNC, DLT_PPI, DLT_PPP,
    DLT_PPP_BSDOS, DLT_PPP_ETHER, DLT_PPP_SERIAL, DLT_PRISM_HEADER, DLT_RAW, DLT_SLIP, DLT_SLIP_BSDOS,
};

pub const DLT_SYMANTEC_FIREWALL: i32 = 99;
pub const DLT_ENC: i32 = 109;
pub const DLT_HDLC: i32 = 112;
pub const DLT_LTALK: i32 = 114;
pub const DLT_PFLOG: i32 = 117;
pub const DLT_IP_OVER_FC: i32 = 122;
pub const DLT_SUNATM: i32 = 123;
pub const DLT_JUNIPER_MLPPP: i32 = 130;
pub const DLT_JUNIPER_MLFR: i32 = 131;
pub const DLT_JUNIPER_ES: i32 = 132;
pub const DLT_JUNIPER_GGSN: i32 = 133;
pub const DLT_JUNIPER_MFR: i32 = 134;
pub const DLT_JUNIPER_ATM2: i32 = 135;
pub const DLT_JUNIPER_SERVICES: i32 = 136;
pub const DLT_JUNIPER_ATM1: i32 = 137;
pub const DLT_APPLE_IP_OVER_IEEE1394: i32 = 138;
pub const DLT_MTP2_WITH_PHDR: i32 = 139;
pub const DLT_MTP2: i32 = 140;
pub const DLT_DOCSIS: i32 = 143;
pub const DLT_JUNIPER_MONITOR: i32 = 164;
pub const DLT_BACNET_MS_TP: i32 = 165;
pub const DLT_PPP_PPPD: i32 = 166;
pub const DLT_JUNIPER_PPPOE: i32 = 167;
pub const DLT_JUNIPER_PPPOE_ATM: i32 = 168;
pub const DLT_LINUX_LAPD: i32 = 177;
pub const DLT_JUNIPER_ETHER: i32 = 178;
pub const DLT_JUNIPER_PPP: i32 = 179;
pub const DLT_JUNIPER_FRELAY: i32 = 180;
pub const DLT_JUNIPER_CHDLC: i32 = 181;
pub const DLT_MFR: i32 = 182;
pub const DLT_JUNIPER_VP: i32 = 183;
pub const DLT_USB_FREEBSD: i32 = 186;
pub const DLT_BLUETOOTH_HCI_H4: i32 = 187;
pub const DLT_USB_LINUX: i32 = 189;
pub const DLT_CAN20B: i32 = 190;
pub const DLT_IEEE802_15_4_LINUX: i32 = 191;
pub const DLT_IEEE802_16_MAC_CPS_RADIO: i32 = 193;
pub const DLT_JUNIPER_ISM: i32 = 194;
pub const DLT_IEEE802_15_4: i32 = 195;
pub const DLT_SITA: i32 = 196;
pub const DLT_ERF: i32 = 197;
pub const DLT_RAIF1: i32 = 198;
pub const DLT_IPMB_KONTRON: i32 = 199;
pub const DLT_JUNIPER_ST: i32 = 200;
pub const DLT_BLUETOOTH_HCI_H4_WITH_PHDR: i32 = 201;
pub const DLT_AX25_KISS: i32 = 202;
pub const DLT_IPMB_LINUX: i32 = 209;
pub const DLT_IEEE802_15_4_NONASK_PHY: i32 = 215;
pub const DLT_USB_LINUX_MMAPPED: i32 = 220;
pub const DLT_IPNET: i32 = 226;
pub const DLT_IEEE802_15_4_NOFCS: i32 = 230;
pub const DLT_JUNIPER_VS: i32 = 232;
pub const DLT_JUNIPER_SRX_E2E: i32 = 233;
pub const DLT_JUNIPER_FIBRECHANNEL: i32 = 234;
pub const DLT_JUNIPER_ATM_CEMIC: i32 = 238;
pub const DLT_NFLOG: i32 = 239;
pub const DLT_NETANALYZER: i32 = 240;
pub const DLT_NETANALYZER_TRANSPARENT: i32 = 241;
pub const DLT_USBPCAP: i32 = 249;
pub const DLT_IEEE802_15_4_TAP: i32 = 283;
pub const DLT_MATCHING_MIN: i32 = 104;
pub const DLT_MATCHING_MAX: i32 = 289;

/// "Not present" for offsets.
pub const OFFSET_NOT_SET: u32 = 0xffff_ffff;

/// An offset from the start of the packet: a constant part plus, when
/// `is_variable`, a run-time part kept in scratch register `reg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbsOffset {
    pub is_variable: bool,
    pub constant_part: u32,
    pub reg: i32,
}

impl AbsOffset {
    pub const fn fixed(constant_part: u32) -> AbsOffset {
        AbsOffset { is_variable: false, constant_part, reg: -1 }
    }
}

/// Offsets of SunATM pseudo-header fields.
pub const SUNATM_VPI_POS: u32 = 1;
pub const SUNATM_VCI_POS: u32 = 2;
pub const SUNATM_PROTO_POS: u32 = 0;
pub const SUNATM_PKT_BEGIN_POS: u32 = 4;

/// The layout of a link type at the start of a compilation.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub off_linkhdr: AbsOffset,
    pub off_linkpl: AbsOffset,
    pub off_linktype: AbsOffset,
    pub off_nl: u32,
    pub off_nl_nosnap: u32,
    pub is_atm: bool,
    pub off_vpi: u32,
    pub off_vci: u32,
    pub off_proto: u32,
    pub off_payload: u32,
    pub off_li: u32,
    pub off_li_hsl: u32,
    pub off_sio: u32,
    pub off_opc: u32,
    pub off_dpc: u32,
    pub off_sls: u32,
}

/// libpcap's layout for `linktype`, or its error for a DLT it does not know.
pub fn for_linktype(linktype: i32) -> Result<Layout, String> {
    const NS: u32 = OFFSET_NOT_SET;
    let mut l = Layout {
        off_linkhdr: AbsOffset::fixed(0),
        off_linkpl: AbsOffset::fixed(0),
        off_linktype: AbsOffset::fixed(0),
        off_nl: 0,
        off_nl_nosnap: 0,
        is_atm: false,
        off_vpi: NS,
        off_vci: NS,
        off_proto: NS,
        off_payload: NS,
        off_li: NS,
        off_li_hsl: NS,
        off_sio: NS,
        off_opc: NS,
        off_dpc: NS,
        off_sls: NS,
    };
    // (linktype offset, payload offset, off_nl, off_nl_nosnap)
    let mut set = |lt: u32, pl: u32, nl: u32, nosnap: u32| {
        l.off_linktype.constant_part = lt;
        l.off_linkpl.constant_part = pl;
        l.off_nl = nl;
        l.off_nl_nosnap = nosnap;
    };
    match linktype {
        DLT_ARCNET => set(2, 6, 0, 0),
        DLT_ARCNET_LINUX => set(4, 8, 0, 0),
        DLT_EN10MB => set(12, 14, 0, 3),
        DLT_SLIP => set(NS, 16, 0, 0),
        DLT_SLIP_BSDOS => set(NS, 24, 0, 0),
        DLT_NULL | DLT_LOOP => set(0, 4, 0, 0),
        DLT_ENC => set(0, 12, 0, 0),
        DLT_PPP | DLT_PPP_PPPD | DLT_C_HDLC | DLT_HDLC | DLT_PPP_SERIAL => set(2, 4, 0, 0),
        DLT_PPP_ETHER => set(6, 8, 0, 0),
        DLT_PPP_BSDOS => set(5, 24, 0, 0),
        DLT_FDDI => set(13, 13, 8, 3),
        DLT_IEEE802 => set(14, 14, 8, 3),
        DLT_PRISM_HEADER | DLT_IEEE802_11_RADIO_AVS | DLT_IEEE802_11_RADIO | DLT_IEEE802_11 | DLT_PPI => {
            set(24, 0, 8, 3);
            l.off_linkpl.is_variable = true;
            l.off_linkhdr.is_variable = linktype != DLT_IEEE802_11;
        }
        DLT_ATM_RFC1483 | DLT_ATM_CLIP => set(0, 0, 8, 3),
        DLT_SUNATM => {
            set(SUNATM_PKT_BEGIN_POS, SUNATM_PKT_BEGIN_POS, 8, 3);
            l.is_atm = true;
            l.off_vpi = SUNATM_VPI_POS;
            l.off_vci = SUNATM_VCI_POS;
            l.off_proto = SUNATM_PROTO_POS;
            l.off_payload = SUNATM_PKT_BEGIN_POS;
        }
        DLT_RAW | DLT_IPV4 | DLT_IPV6 => set(NS, 0, 0, 0),
        DLT_LINUX_SLL => set(14, 16, 0, 0),
        DLT_LINUX_SLL2 => set(0, 20, 0, 0),
        DLT_LTALK => set(NS, 0, 0, 0),
        DLT_IP_OVER_FC => set(16, 16, 8, 3),
        DLT_FRELAY => set(NS, 0, 0, 0),
        DLT_MFR => set(NS, 0, 4, 0),
        DLT_APPLE_IP_OVER_IEEE1394 => set(16, 18, 0, 0),
        DLT_SYMANTEC_FIREWALL => set(6, 44, 0, 0),
        DLT_PFLOG => {
            set(0, 0, 0, 0);
            l.off_linkpl.is_variable = true;
        }
        DLT_JUNIPER_MFR | DLT_JUNIPER_MLFR | DLT_JUNIPER_MLPPP | DLT_JUNIPER_PPP | DLT_JUNIPER_CHDLC
        | DLT_JUNIPER_FRELAY => set(4, 4, 0, NS),
        DLT_JUNIPER_ATM1 => set(4, 4, 0, 10),
        DLT_JUNIPER_ATM2 => set(8, 8, 0, 10),
        DLT_JUNIPER_PPPOE | DLT_JUNIPER_ETHER => set(16, 14, 18, 21),
        DLT_JUNIPER_PPPOE_ATM => set(4, 6, 0, NS),
        DLT_JUNIPER_GGSN => set(6, 12, 0, NS),
        DLT_JUNIPER_ES => set(6, NS, NS, NS),
        DLT_JUNIPER_MONITOR => set(12, 12, 0, NS),
        DLT_BACNET_MS_TP => set(NS, NS, NS, NS),
        DLT_JUNIPER_SERVICES => set(12, NS, NS, NS),
        DLT_JUNIPER_VP | DLT_JUNIPER_ST => set(18, NS, NS, NS),
        DLT_JUNIPER_ISM => set(8, NS, NS, NS),
        DLT_JUNIPER_VS | DLT_JUNIPER_SRX_E2E | DLT_JUNIPER_FIBRECHANNEL | DLT_JUNIPER_ATM_CEMIC => {
            set(8, NS, NS, NS)
        }
        DLT_MTP2 | DLT_MTP2_WITH_PHDR | DLT_ERF => {
            set(NS, NS, NS, NS);
            let base = match linktype {
                DLT_MTP2 => 0,
                DLT_MTP2_WITH_PHDR => 4,
                _ => 20,
            };
            l.off_li = base + 2;
            l.off_li_hsl = base + 4;
            l.off_sio = base + 3;
            l.off_opc = base + 4;
            l.off_dpc = base + 4;
            l.off_sls = base + 7;
        }
        DLT_PFSYNC => set(NS, 4, 0, 0),
        DLT_AX25_KISS => set(NS, NS, NS, NS),
        DLT_IPNET => set(1, 24, 0, NS),
        DLT_NETANALYZER | DLT_NETANALYZER_TRANSPARENT => {
            let hdr = if linktype == DLT_NETANALYZER { 4 } else { 12 };
            set(hdr + 12, hdr + 14, 0, 3);
            l.off_linkhdr.constant_part = hdr;
        }
        _ if (DLT_MATCHING_MIN..=DLT_MATCHING_MAX).contains(&linktype) => set(NS, NS, NS, NS),
        _ => {
            return Err(format!(
                "unknown data link type {linktype} (min {DLT_MATCHING_MIN}, max {DLT_MATCHING_MAX})"
            ))
        }
    }
    Ok(l)
}

/// libpcap's `pcap_datalink_val_to_description_or_dlt`, for error texts.
pub fn description_or_dlt(linktype: i32) -> String {
    match crate::dlt::description(linktype) {
        Some(d) => d.to_string(),
        None => format!("DLT {linktype}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_and_cooked_layouts() {
        let e = for_linktype(DLT_EN10MB).unwrap();
        assert_eq!((e.off_linktype.constant_part, e.off_linkpl.constant_part, e.off_nl_nosnap), (12, 14, 3));
        let s = for_linktype(DLT_LINUX_SLL2).unwrap();
        assert_eq!((s.off_linktype.constant_part, s.off_linkpl.constant_part), (0, 20));
        let r = for_linktype(DLT_IEEE802_11_RADIO).unwrap();
        assert!(r.off_linkhdr.is_variable && r.off_linkpl.is_variable);
        assert!(!for_linktype(DLT_IEEE802_11).unwrap().off_linkhdr.is_variable);
    }

    #[test]
    fn unknown_dlt_has_libpcaps_error() {
        assert_eq!(for_linktype(5).unwrap_err(), "unknown data link type 5 (min 104, max 289)");
        assert_eq!(for_linktype(300).unwrap_err(), "unknown data link type 300 (min 104, max 289)");
    }
}

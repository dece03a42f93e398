//! Link-layer type of a device: the ARPHRD_* hardware type the kernel reports
//! mapped to the DLT_* libpcap reports for it, and whether the capture must
//! fall back to a cooked (SOCK_DGRAM, DLT_LINUX_SLL) socket.

use crate::dlt::*;

/// How a device is captured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkLayout {
    /// SOCK_RAW with this DLT, and the DLTs `pcap_set_datalink` may choose.
    Raw { dlt: i32, dlt_list: Vec<i32> },
    /// SOCK_DGRAM with a synthesised DLT_LINUX_SLL / SLL2 header.
    Cooked,
}

const DLT_DOCSIS: i32 = 143;
const DLT_EN3MB: i32 = 2;
const DLT_AX25_KISS: i32 = 202;
const DLT_PRONET: i32 = 4;
const DLT_CHAOS: i32 = 5;
const DLT_IEEE802_15_4_NOFCS: i32 = 230;
const DLT_VSOCK: i32 = 271;
const DLT_LTALK: i32 = 114;
const DLT_IP_OVER_FC: i32 = 122;
const DLT_FC_2: i32 = 224;
const DLT_FC_2_WITH_FRAME_DELIMS: i32 = 225;
const DLT_LINUX_LAPD: i32 = 177;

/// libpcap's ARPHRD -> DLT mapping for Linux (map_arphrd_to_dlt), for
/// devices other than "any". `wireless` is whether /sys/class/net/IF/wireless
/// exists (Wi-Fi devices do not offer DLT_DOCSIS).
pub fn for_arphrd(arphrd: u16, device: &str, wireless: bool) -> LinkLayout {
    let raw = |dlt: i32| LinkLayout::Raw { dlt, dlt_list: Vec::new() };
    match arphrd {
        libc::ARPHRD_ETHER => {
            if device.starts_with("rmnet") {
                raw(DLT_RAW)
            } else if device.starts_with("isdn") || device.starts_with("isdY") {
                LinkLayout::Cooked
            } else if wireless {
                raw(DLT_EN10MB)
            } else {
                LinkLayout::Raw { dlt: DLT_EN10MB, dlt_list: vec![DLT_EN10MB, DLT_DOCSIS] }
            }
        }
        libc::ARPHRD_METRICOM | libc::ARPHRD_LOOPBACK => raw(DLT_EN10MB),
        libc::ARPHRD_EETHER => raw(DLT_EN3MB),
        libc::ARPHRD_AX25 => raw(DLT_AX25_KISS),
        libc::ARPHRD_PRONET => raw(DLT_PRONET),
        libc::ARPHRD_CHAOS => raw(DLT_CHAOS),
        libc::ARPHRD_CAN => raw(DLT_CAN_SOCKETCAN),
        libc::ARPHRD_IEEE802_TR | libc::ARPHRD_IEEE802 => raw(DLT_IEEE802),
        libc::ARPHRD_ARCNET => raw(DLT_ARCNET_LINUX),
        libc::ARPHRD_FDDI => raw(DLT_FDDI),
        libc::ARPHRD_ATM | libc::ARPHRD_PPP => LinkLayout::Cooked,
        libc::ARPHRD_IEEE80211 => raw(DLT_IEEE802_11),
        libc::ARPHRD_IEEE80211_PRISM => raw(DLT_PRISM_HEADER),
        libc::ARPHRD_IEEE80211_RADIOTAP => raw(DLT_IEEE802_11_RADIO),
        libc::ARPHRD_CISCO => raw(DLT_C_HDLC),
        libc::ARPHRD_TUNNEL
        | libc::ARPHRD_SIT
        | libc::ARPHRD_CSLIP
        | libc::ARPHRD_SLIP6
        | libc::ARPHRD_CSLIP6
        | libc::ARPHRD_ADAPT
        | libc::ARPHRD_SLIP
        | libc::ARPHRD_RAWHDLC
        | libc::ARPHRD_DLCI
        | libc::ARPHRD_NONE => raw(DLT_RAW),
        libc::ARPHRD_FRAD => raw(DLT_FRELAY),
        libc::ARPHRD_LOCALTLK => raw(DLT_LTALK),
        18 => raw(DLT_IP_OVER_FC),
        libc::ARPHRD_FCPP | libc::ARPHRD_FCAL | libc::ARPHRD_FCPL | libc::ARPHRD_FCFABRIC => {
            LinkLayout::Raw { dlt: DLT_FC_2, dlt_list: vec![DLT_FC_2, DLT_FC_2_WITH_FRAME_DELIMS, DLT_IP_OVER_FC] }
        }
        libc::ARPHRD_IRDA => LinkLayout::Cooked,
        8445 => raw(DLT_LINUX_LAPD), // ARPHRD_LAPD
        libc::ARPHRD_IEEE802154 => raw(DLT_IEEE802_15_4_NOFCS),
        824 => raw(DLT_NETLINK), // ARPHRD_NETLINK
        826 => raw(DLT_VSOCK), // ARPHRD_VSOCKMON
        _ => LinkLayout::Cooked,
    }
}

/// The byte offset at which a VLAN tag is re-inserted for a DLT (the
/// type/length field), or None where libpcap does not re-insert.
pub fn vlan_offset(dlt: i32) -> Option<usize> {
    match dlt {
        DLT_EN10MB => Some(12),
        DLT_LINUX_SLL => Some(14),
        _ => None,
    }
}

/// The DLTs of a cooked capture.
pub const COOKED_DLTS: [i32; 2] = [DLT_LINUX_SLL, DLT_LINUX_SLL2];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_offers_docsis_like_libpcap() {
        assert_eq!(
            for_arphrd(libc::ARPHRD_ETHER, "veth0", false),
            LinkLayout::Raw { dlt: DLT_EN10MB, dlt_list: vec![1, 143] }
        );
        assert_eq!(for_arphrd(libc::ARPHRD_ETHER, "wlan0", true), LinkLayout::Raw { dlt: 1, dlt_list: vec![] });
        assert_eq!(for_arphrd(libc::ARPHRD_LOOPBACK, "lo", false), LinkLayout::Raw { dlt: 1, dlt_list: vec![] });
        assert_eq!(for_arphrd(libc::ARPHRD_NONE, "tun0", false), LinkLayout::Raw { dlt: DLT_RAW, dlt_list: vec![] });
        assert_eq!(for_arphrd(libc::ARPHRD_PPP, "ppp0", false), LinkLayout::Cooked);
        assert_eq!(for_arphrd(778, "gre0", false), LinkLayout::Cooked);
        assert_eq!(vlan_offset(DLT_LINUX_SLL), Some(14));
        assert_eq!(vlan_offset(DLT_LINUX_SLL2), None);
    }
}

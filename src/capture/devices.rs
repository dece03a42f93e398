//! Device discovery: `pcap_findalldevs` (interfaces, their flags and
//! addresses, libpcap's ordering, the `any` pseudo-device), `pcap_lookupdev`
//! and `pcap_lookupnet`.

use std::os::fd::AsFd;

use crate::error::{Error, Result};
use crate::sys::{ifaddrs, netdev, socket};

pub const PCAP_IF_LOOPBACK: u32 = 0x1;
pub const PCAP_IF_UP: u32 = 0x2;
pub const PCAP_IF_RUNNING: u32 = 0x4;
pub const PCAP_IF_WIRELESS: u32 = 0x8;
pub const PCAP_IF_CONNECTION_STATUS: u32 = 0x30;
pub const PCAP_IF_CONNECTION_STATUS_CONNECTED: u32 = 0x10;
pub const PCAP_IF_CONNECTION_STATUS_DISCONNECTED: u32 = 0x20;
pub const PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE: u32 = 0x30;

pub const ANY_DESCRIPTION: &str = "Pseudo-device that captures on all interfaces";

/// One address of a device: raw `struct sockaddr_*` bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DevAddr {
    pub addr: Option<Vec<u8>>,
    pub netmask: Option<Vec<u8>>,
    pub broadaddr: Option<Vec<u8>>,
    pub dstaddr: Option<Vec<u8>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    pub description: Option<String>,
    pub flags: u32,
    pub addresses: Vec<DevAddr>,
}

/// libpcap's ordering key: running, up, connected, non-loopback devices
/// first; `any` after real interfaces.
fn figure_of_merit(d: &Device) -> u32 {
    let mut n = 0;
    if d.flags & PCAP_IF_RUNNING == 0 {
        n |= 0x8000_0000;
    }
    if d.flags & PCAP_IF_UP == 0 {
        n |= 0x4000_0000;
    }
    if d.flags & PCAP_IF_WIRELESS == 0
        && d.flags & PCAP_IF_CONNECTION_STATUS == PCAP_IF_CONNECTION_STATUS_DISCONNECTED
    {
        n |= 0x2000_0000;
    }
    if d.flags & PCAP_IF_LOOPBACK != 0 {
        n |= 0x1000_0000;
    }
    if d.name == "any" {
        n |= 0x0800_0000;
    }
    n
}

/// Insert keeping libpcap's order: after every device whose merit is not
/// worse (so equal devices keep discovery order).
fn insert_ordered(list: &mut Vec<Device>, d: Device) {
    let m = figure_of_merit(&d);
    let pos = list.iter().position(|x| m < figure_of_merit(x)).unwrap_or(list.len());
    list.insert(pos, d);
}

fn is_wifi(name: &str) -> bool {
    std::path::Path::new(&format!("/sys/class/net/{name}/wireless")).exists()
}

/// Wireless and connection-status flags (libpcap's get_if_flags for Linux).
fn extra_flags(name: &str, flags: u32) -> Result<u32> {
    // Loopback devices are neither wireless nor connected/disconnected.
    if flags & PCAP_IF_LOOPBACK != 0 {
        return Ok(PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE);
    }
    let mut extra = 0;
    if is_wifi(name) {
        extra |= PCAP_IF_WIRELESS;
    } else if let Ok(t) = std::fs::read_to_string(format!("/sys/class/net/{name}/type")) {
        match t.trim().parse::<u16>() {
            Ok(libc::ARPHRD_LOOPBACK) => return Ok(0),
            Ok(libc::ARPHRD_IRDA | libc::ARPHRD_IEEE80211 | libc::ARPHRD_IEEE80211_PRISM | libc::ARPHRD_IEEE80211_RADIOTAP)
            | Ok(libc::ARPHRD_IEEE802154 | 805 | 825) => extra |= PCAP_IF_WIRELESS,
            _ => {}
        }
    }
    let fd = socket::ioctl_socket()
        .map_err(|e| Error::os(format!("Can't create socket to get ethtool information for {name}"), &e))?;
    match netdev::ethtool_value(fd.as_fd(), name, netdev::ETHTOOL_GLINK) {
        Ok(0) => extra |= PCAP_IF_CONNECTION_STATUS_DISCONNECTED,
        Ok(_) => extra |= PCAP_IF_CONNECTION_STATUS_CONNECTED,
        Err(e) => match e.raw_os_error() {
            Some(libc::EOPNOTSUPP) | Some(libc::EINVAL) => extra |= PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE,
            Some(libc::ENODEV) => {}
            _ => return Err(Error::os(format!("{name}: SIOCETHTOOL(ETHTOOL_GLINK) ioctl failed"), &e)),
        },
    }
    Ok(extra)
}

/// `pcap_findalldevs`: every interface getifaddrs reports (with all its
/// addresses, AF_PACKET ones included, as libpcap lists them), then `any`.
pub fn find_all() -> Result<Vec<Device>> {
    let entries = ifaddrs::getifaddrs().map_err(|e| Error::os("getifaddrs", &e))?;
    let mut list: Vec<Device> = Vec::new();
    for e in entries {
        // Alias names ("eth0:1") are not capturable devices of their own.
        if let Some((_, suffix)) = e.name.split_once(':') {
            if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
        }
        if !list.iter().any(|d| d.name == e.name) {
            let mut flags = 0;
            if e.flags & libc::IFF_LOOPBACK as u32 != 0 {
                flags |= PCAP_IF_LOOPBACK;
            }
            if e.flags & libc::IFF_UP as u32 != 0 {
                flags |= PCAP_IF_UP;
            }
            if e.flags & libc::IFF_RUNNING as u32 != 0 {
                flags |= PCAP_IF_RUNNING;
            }
            flags |= extra_flags(&e.name, flags)?;
            insert_ordered(&mut list, Device { name: e.name.clone(), description: None, flags, addresses: Vec::new() });
        }
        if e.addr.is_some() {
            if let Some(d) = list.iter_mut().find(|d| d.name == e.name) {
                d.addresses.push(DevAddr { addr: e.addr, netmask: e.netmask, broadaddr: e.broadaddr, dstaddr: e.dstaddr });
            }
        }
    }
    insert_ordered(
        &mut list,
        Device {
            name: "any".into(),
            description: Some(ANY_DESCRIPTION.into()),
            flags: PCAP_IF_UP | PCAP_IF_RUNNING | PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE,
            addresses: Vec::new(),
        },
    );
    Ok(list)
}

/// `pcap_lookupdev`: the first device, unless it is a loopback.
pub fn lookup_dev() -> Result<String> {
    let all = find_all()?;
    match all.first() {
        Some(d) if d.flags & PCAP_IF_LOOPBACK == 0 => Ok(d.name.clone()),
        _ => Err(Error::msg("no suitable device found")),
    }
}

/// `pcap_lookupnet`: (network, netmask), both in network byte order as
/// stored, with libpcap's classful default mask when the interface has none.
pub fn lookup_net(device: &str) -> Result<(u32, u32)> {
    if device == "any" {
        return Ok((0, 0));
    }
    let fd = socket::ioctl_socket().map_err(|e| Error::os("socket", &e))?;
    let net = netdev::ipv4_addr(fd.as_fd(), device).map_err(|e| match e.raw_os_error() {
        Some(libc::EADDRNOTAVAIL) => Error::msg(format!("{device}: no IPv4 address assigned")),
        _ => Error::os(format!("SIOCGIFADDR: {device}"), &e),
    })?;
    let mut mask = netdev::ipv4_netmask(fd.as_fd(), device).map_err(|e| Error::os(format!("SIOCGIFNETMASK: {device}"), &e))?;
    if mask == 0 {
        // libpcap applies the classful tests to the stored (network order)
        // value; keep its behaviour.
        mask = if net & 0x8000_0000 == 0 {
            0xff00_0000
        } else if net & 0xc000_0000 == 0x8000_0000 {
            0xffff_0000
        } else if net & 0xe000_0000 == 0xc000_0000 {
            0xffff_ff00
        } else {
            return Err(Error::msg(format!("inet class for 0x{net:x} unknown")));
        };
    }
    Ok((net & mask, mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(name: &str, flags: u32) -> Device {
        Device { name: name.into(), flags, ..Default::default() }
    }

    #[test]
    fn ordering_follows_libpcaps_merit() {
        let mut l = Vec::new();
        insert_ordered(&mut l, dev("lo", PCAP_IF_LOOPBACK | PCAP_IF_UP | PCAP_IF_RUNNING));
        insert_ordered(&mut l, dev("down0", 0));
        insert_ordered(&mut l, dev("eth0", PCAP_IF_UP | PCAP_IF_RUNNING | PCAP_IF_CONNECTION_STATUS_CONNECTED));
        insert_ordered(&mut l, dev("any", PCAP_IF_UP | PCAP_IF_RUNNING | PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE));
        insert_ordered(&mut l, dev("eth1", PCAP_IF_UP | PCAP_IF_RUNNING | PCAP_IF_CONNECTION_STATUS_CONNECTED));
        let names: Vec<_> = l.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["eth0", "eth1", "any", "lo", "down0"]);
    }

    #[test]
    fn find_all_lists_any_and_lo() {
        let all = find_all().unwrap();
        let any = all.iter().find(|d| d.name == "any").unwrap();
        assert_eq!(any.description.as_deref(), Some(ANY_DESCRIPTION));
        assert!(all.iter().any(|d| d.name == "lo" && d.flags & PCAP_IF_LOOPBACK != 0));
    }
}

//! Timestamp types a device offers (`pcap_list_tstamp_types`), from
//! ETHTOOL_GET_TS_INFO, with libpcap's rules.

use std::os::fd::AsFd;

use crate::error::{Error, Result};
use crate::sys::{netdev, socket};

pub const PCAP_TSTAMP_HOST: i32 = 0;
pub const PCAP_TSTAMP_ADAPTER: i32 = 3;
pub const PCAP_TSTAMP_ADAPTER_UNSYNCED: i32 = 4;

pub const SOF_TIMESTAMPING_SOFTWARE: u32 = 1 << 4;
pub const SOF_TIMESTAMPING_SYS_HARDWARE: u32 = 1 << 5;
pub const SOF_TIMESTAMPING_RAW_HARDWARE: u32 = 1 << 6;
const HWTSTAMP_FILTER_ALL: u32 = 1;

/// (SOF_TIMESTAMPING_* capability, PCAP_TSTAMP_* type), in libpcap's order.
const MAP: [(u32, i32); 3] = [
    (SOF_TIMESTAMPING_SOFTWARE, PCAP_TSTAMP_HOST),
    (SOF_TIMESTAMPING_SYS_HARDWARE, PCAP_TSTAMP_ADAPTER),
    (SOF_TIMESTAMPING_RAW_HARDWARE, PCAP_TSTAMP_ADAPTER_UNSYNCED),
];

/// The types a device supports. Empty means "only the default host
/// timestamps" (what libpcap reports for devices that cannot timestamp all
/// received packets in hardware, veth among them).
pub fn device_types(device: &str) -> Result<Vec<i32>> {
    if device == "any" {
        return Ok(Vec::new());
    }
    let fd = socket::ioctl_socket().map_err(|e| Error::os("socket for SIOCETHTOOL(ETHTOOL_GET_TS_INFO)", &e))?;
    match netdev::ts_info(fd.as_fd(), device) {
        Ok(info) => Ok(types_from_caps(info.so_timestamping, info.rx_filters)),
        Err(e) => match e.raw_os_error() {
            Some(libc::EOPNOTSUPP) | Some(libc::EINVAL) => Ok(MAP.iter().map(|m| m.1).collect()),
            Some(libc::ENODEV) => Ok(Vec::new()),
            _ => Err(Error::os(format!("{device}: SIOCETHTOOL(ETHTOOL_GET_TS_INFO) ioctl failed"), &e)),
        },
    }
}

/// Pure part of [`device_types`].
pub fn types_from_caps(so_timestamping: u32, rx_filters: u32) -> Vec<i32> {
    if rx_filters & (1 << HWTSTAMP_FILTER_ALL) == 0 {
        return Vec::new();
    }
    MAP.iter().filter(|m| so_timestamping & m.0 != 0).map(|m| m.1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_map_like_libpcap() {
        assert!(types_from_caps(0xff, 0).is_empty());
        assert_eq!(types_from_caps(SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RAW_HARDWARE, 2), vec![0, 4]);
    }
}

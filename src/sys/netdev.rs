//! Network interface queries and settings by name: index, hardware type,
//! flags, MTU, IPv4 address and mask, ethtool (offloads, timestamping
//! capabilities) and hardware timestamping (SIOCSHWTSTAMP).

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// `SIOCETHTOOL` and the ethtool commands used here (`<linux/ethtool.h>`,
/// `<linux/sockios.h>`), which the libc crate does not carry.
const SIOCETHTOOL: libc::c_ulong = 0x8946;
pub const ETHTOOL_GLINK: u32 = 0x0000_000a;
pub const ETHTOOL_GTSO: u32 = 0x0000_001e;
pub const ETHTOOL_GUFO: u32 = 0x0000_0021;
pub const ETHTOOL_GGSO: u32 = 0x0000_0023;
pub const ETHTOOL_GFLAGS: u32 = 0x0000_0025;
pub const ETHTOOL_GGRO: u32 = 0x0000_002b;
const ETHTOOL_GET_TS_INFO: u32 = 0x0000_0041;
/// `ETH_FLAG_LRO` in the ETHTOOL_GFLAGS word.
pub const ETH_FLAG_LRO: u32 = 1 << 15;

#[repr(C)]
#[derive(Default)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

/// `struct ethtool_ts_info`.
#[repr(C)]
#[derive(Default, Clone, Copy, Debug)]
pub struct EthtoolTsInfo {
    pub cmd: u32,
    pub so_timestamping: u32,
    pub phc_index: i32,
    pub tx_types: u32,
    pub tx_reserved: [u32; 3],
    pub rx_filters: u32,
    pub rx_reserved: [u32; 3],
}

/// Interface names are limited to IFNAMSIZ - 1 bytes, like the ioctls.
pub fn name_fits(name: &str) -> bool {
    name.len() < libc::IFNAMSIZ && !name.as_bytes().contains(&0)
}

fn ifreq(name: &str) -> io::Result<libc::ifreq> {
    if !name_fits(name) {
        return Err(io::Error::from_raw_os_error(libc::ENODEV));
    }
    // SAFETY: ifreq is plain data; all-zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    Ok(ifr)
}

fn ioctl(fd: BorrowedFd<'_>, req: libc::c_ulong, ifr: &mut libc::ifreq) -> io::Result<()> {
    // SAFETY: `ifr` is a live ifreq; the requests used here read/write only
    // within it (or within the buffer its ifru_data points to, which the
    // caller keeps alive for the call).
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), req as _, ifr as *mut libc::ifreq) };
    super::cvt(rc).map(drop)
}

/// SIOCGIFINDEX.
pub fn ifindex(fd: BorrowedFd<'_>, name: &str) -> io::Result<i32> {
    let mut ifr = ifreq(name)?;
    ioctl(fd, libc::SIOCGIFINDEX, &mut ifr)?;
    // SAFETY: SIOCGIFINDEX filled the ifindex member of the union.
    Ok(unsafe { ifr.ifr_ifru.ifru_ifindex })
}

/// The ARPHRD_* hardware type (SIOCGIFHWADDR's sa_family) and address.
pub fn hwaddr(fd: BorrowedFd<'_>, name: &str) -> io::Result<(u16, [u8; 6])> {
    let mut ifr = ifreq(name)?;
    ioctl(fd, libc::SIOCGIFHWADDR, &mut ifr)?;
    // SAFETY: SIOCGIFHWADDR filled the hwaddr member of the union.
    let sa = unsafe { ifr.ifr_ifru.ifru_hwaddr };
    let mut mac = [0u8; 6];
    for (d, s) in mac.iter_mut().zip(sa.sa_data.iter()) {
        *d = *s as u8;
    }
    Ok((sa.sa_family, mac))
}

/// SIOCGIFFLAGS (IFF_UP, IFF_RUNNING, IFF_LOOPBACK, ...).
pub fn flags(fd: BorrowedFd<'_>, name: &str) -> io::Result<u32> {
    let mut ifr = ifreq(name)?;
    ioctl(fd, libc::SIOCGIFFLAGS, &mut ifr)?;
    // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
    Ok(unsafe { ifr.ifr_ifru.ifru_flags } as u16 as u32)
}

/// SIOCGIFMTU.
pub fn mtu(fd: BorrowedFd<'_>, name: &str) -> io::Result<u32> {
    let mut ifr = ifreq(name)?;
    ioctl(fd, libc::SIOCGIFMTU, &mut ifr)?;
    // SAFETY: SIOCGIFMTU filled the mtu member of the union.
    Ok(unsafe { ifr.ifr_ifru.ifru_mtu }.max(0) as u32)
}

fn ipv4_ioctl(fd: BorrowedFd<'_>, name: &str, req: libc::c_ulong) -> io::Result<u32> {
    let mut ifr = ifreq(name)?;
    // The kernel wants the family set for SIOCGIFADDR (libpcap does the same).
    ifr.ifr_ifru.ifru_addr.sa_family = libc::AF_INET as u16;
    ioctl(fd, req, &mut ifr)?;
    // SAFETY: the ioctl filled a sockaddr_in in the address member; sockaddr
    // and sockaddr_in have the same size and sin_addr sits at bytes 4..8.
    let sa = unsafe { ifr.ifr_ifru.ifru_addr };
    let b = [sa.sa_data[2] as u8, sa.sa_data[3] as u8, sa.sa_data[4] as u8, sa.sa_data[5] as u8];
    Ok(u32::from_ne_bytes(b))
}

/// The interface's IPv4 address, in network byte order as stored (SIOCGIFADDR).
pub fn ipv4_addr(fd: BorrowedFd<'_>, name: &str) -> io::Result<u32> {
    ipv4_ioctl(fd, name, libc::SIOCGIFADDR)
}

/// The interface's IPv4 netmask, network byte order as stored (SIOCGIFNETMASK).
pub fn ipv4_netmask(fd: BorrowedFd<'_>, name: &str) -> io::Result<u32> {
    ipv4_ioctl(fd, name, libc::SIOCGIFNETMASK)
}

/// An ethtool "get value" command (ETHTOOL_GTSO, GGSO, GFLAGS, GLINK, ...).
pub fn ethtool_value(fd: BorrowedFd<'_>, name: &str, cmd: u32) -> io::Result<u32> {
    let mut ifr = ifreq(name)?;
    let mut v = EthtoolValue { cmd, data: 0 };
    ifr.ifr_ifru.ifru_data = &mut v as *mut EthtoolValue as *mut libc::c_char;
    ioctl(fd, SIOCETHTOOL, &mut ifr)?;
    Ok(v.data)
}

/// ETHTOOL_GET_TS_INFO: what timestamping the device can do.
pub fn ts_info(fd: BorrowedFd<'_>, name: &str) -> io::Result<EthtoolTsInfo> {
    let mut ifr = ifreq(name)?;
    let mut info = EthtoolTsInfo { cmd: ETHTOOL_GET_TS_INFO, ..Default::default() };
    ifr.ifr_ifru.ifru_data = &mut info as *mut EthtoolTsInfo as *mut libc::c_char;
    ioctl(fd, SIOCETHTOOL, &mut ifr)?;
    Ok(info)
}

/// SIOCSHWTSTAMP: switch the device's hardware timestamping on.
pub fn set_hwtstamp(fd: BorrowedFd<'_>, name: &str, tx_on: bool, rx_all: bool) -> io::Result<()> {
    let mut ifr = ifreq(name)?;
    const HWTSTAMP_TX_ON: i32 = 1;
    const HWTSTAMP_FILTER_ALL: i32 = 1;
    let mut cfg = libc::hwtstamp_config {
        flags: 0,
        tx_type: if tx_on { HWTSTAMP_TX_ON } else { 0 },
        rx_filter: if rx_all { HWTSTAMP_FILTER_ALL } else { 0 },
    };
    ifr.ifr_ifru.ifru_data = &mut cfg as *mut libc::hwtstamp_config as *mut libc::c_char;
    ioctl(fd, libc::SIOCSHWTSTAMP, &mut ifr)
}

/// `if_indextoname`.
pub fn index_to_name(ifindex: i32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` is IF_NAMESIZE bytes, as if_indextoname requires.
    let p = unsafe { libc::if_indextoname(ifindex as u32, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success `buf` holds a NUL-terminated name.
    Some(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned())
}

/// `if_nametoindex` (0 when there is no such interface).
pub fn name_to_index(name: &str) -> u32 {
    let Ok(c) = std::ffi::CString::new(name) else { return 0 };
    // SAFETY: `c` is a valid NUL-terminated string.
    unsafe { libc::if_nametoindex(c.as_ptr()) }
}

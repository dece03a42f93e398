//! `getifaddrs(3)`, copied into owned values so nothing of libc's list
//! outlives the call.

use std::ffi::CStr;
use std::io;

/// One entry of the interface address list. Socket addresses are kept as the
/// raw bytes of the `struct sockaddr_*` (sized by family, as libpcap sizes
/// them), because the C API hands them out as `struct sockaddr *`.
#[derive(Clone, Debug, Default)]
pub struct IfAddr {
    pub name: String,
    pub flags: u32,
    pub addr: Option<Vec<u8>>,
    pub netmask: Option<Vec<u8>>,
    pub broadaddr: Option<Vec<u8>>,
    pub dstaddr: Option<Vec<u8>>,
}

fn sockaddr_len(family: i32) -> usize {
    match family {
        libc::AF_INET => std::mem::size_of::<libc::sockaddr_in>(),
        libc::AF_INET6 => std::mem::size_of::<libc::sockaddr_in6>(),
        libc::AF_PACKET => std::mem::size_of::<libc::sockaddr_ll>(),
        _ => std::mem::size_of::<libc::sockaddr>(),
    }
}

/// Copy a sockaddr of the family's size. `family_from` gives the family to
/// size by (a netmask is sized like its address).
///
/// # Safety
/// `sa` must be NULL or point to a socket address of at least the size its
/// (or `family_from`'s) family implies, as getifaddrs guarantees.
unsafe fn copy_sa(sa: *const libc::sockaddr, family_from: *const libc::sockaddr) -> Option<Vec<u8>> {
    if sa.is_null() || family_from.is_null() {
        return None;
    }
    // SAFETY: both are non-null sockaddrs from getifaddrs (caller's contract).
    let len = sockaddr_len(unsafe { (*family_from).sa_family } as i32);
    // SAFETY: the entry is at least `len` bytes long (caller's contract).
    Some(unsafe { std::slice::from_raw_parts(sa as *const u8, len) }.to_vec())
}

/// All interface addresses, in getifaddrs order.
pub fn getifaddrs() -> io::Result<Vec<IfAddr>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `head` is a valid out-pointer; the result is checked.
    super::cvt(unsafe { libc::getifaddrs(&mut head) })?;
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*cur };
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }.to_string_lossy().into_owned();
        let flags = ifa.ifa_flags;
        // SAFETY: the pointers come from getifaddrs, which sizes entries by family.
        let (addr, netmask) = unsafe { (copy_sa(ifa.ifa_addr, ifa.ifa_addr), copy_sa(ifa.ifa_netmask, ifa.ifa_addr)) };
        let broadaddr = if flags & libc::IFF_BROADCAST as u32 != 0 {
            // SAFETY: as above; on Linux ifa_ifu holds the broadcast address.
            unsafe { copy_sa(ifa.ifa_ifu, ifa.ifa_ifu) }
        } else {
            None
        };
        let dstaddr = if flags & libc::IFF_POINTOPOINT as u32 != 0 {
            // SAFETY: as above; for point-to-point links ifa_ifu is the peer.
            unsafe { copy_sa(ifa.ifa_ifu, ifa.ifa_ifu) }
        } else {
            None
        };
        out.push(IfAddr { name, flags, addr, netmask, broadaddr, dstaddr });
        cur = ifa.ifa_next;
    }
    // SAFETY: `head` came from getifaddrs and is freed exactly once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}

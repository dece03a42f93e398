//! The system name databases (NSS): hosts and services through
//! `getaddrinfo`, networks, protocols, ethers, and the legacy
//! `gethostbyname`. Safe wrappers; results are copied out or owned.

use std::ffi::{c_char, c_int, CStr};
use std::io;
use std::ptr;

extern "C" {
    fn getprotobyname_r(
        name: *const c_char,
        result_buf: *mut libc::protoent,
        buf: *mut c_char,
        buflen: libc::size_t,
        result: *mut *mut libc::protoent,
    ) -> c_int;
    fn ether_hostton(hostname: *const c_char, addr: *mut [u8; 6]) -> c_int;
    fn gethostbyname(name: *const c_char) -> *mut libc::hostent;
}

/// One address of a `getaddrinfo` result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockAddr {
    /// Address in network byte order, port in host order.
    V4 { addr: [u8; 4], port: u16 },
    V6 { addr: [u8; 16], port: u16 },
    Other,
}

/// An owned `struct addrinfo` list, freed with `freeaddrinfo` on drop.
pub struct AddrInfo {
    head: *mut libc::addrinfo,
}

impl AddrInfo {
    /// The addresses, in the order the resolver returned them.
    pub fn addrs(&self) -> Vec<SockAddr> {
        let mut out = Vec::new();
        let mut p = self.head;
        while !p.is_null() {
            // SAFETY: `p` is a node of the list getaddrinfo returned, alive
            // until freeaddrinfo in drop.
            let ai = unsafe { &*p };
            out.push(if ai.ai_addr.is_null() {
                SockAddr::Other
            } else {
                // SAFETY: ai_addr points to a sockaddr of ai_addrlen bytes whose
                // family says which struct it is.
                unsafe {
                    match (*ai.ai_addr).sa_family as c_int {
                        libc::AF_INET => {
                            let sin = &*(ai.ai_addr as *const libc::sockaddr_in);
                            SockAddr::V4 { addr: sin.sin_addr.s_addr.to_ne_bytes(), port: u16::from_be(sin.sin_port) }
                        }
                        libc::AF_INET6 => {
                            let sin6 = &*(ai.ai_addr as *const libc::sockaddr_in6);
                            SockAddr::V6 { addr: sin6.sin6_addr.s6_addr, port: u16::from_be(sin6.sin6_port) }
                        }
                        _ => SockAddr::Other,
                    }
                }
            });
            p = ai.ai_next;
        }
        out
    }

    /// Hand the list to a C caller, who frees it with `freeaddrinfo`.
    pub fn into_raw(self) -> *mut libc::addrinfo {
        let p = self.head;
        std::mem::forget(self);
        p
    }
}

impl Drop for AddrInfo {
    fn drop(&mut self) {
        if !self.head.is_null() {
            // SAFETY: the list came from getaddrinfo and is freed once.
            unsafe { libc::freeaddrinfo(self.head) };
        }
    }
}

// SAFETY: the list is exclusively owned and not tied to a thread.
unsafe impl Send for AddrInfo {}

/// `getaddrinfo(node, service, {family, socktype, protocol})`; the error is
/// the `EAI_*` code.
pub fn getaddrinfo(
    node: Option<&CStr>,
    service: Option<&CStr>,
    family: c_int,
    socktype: c_int,
    protocol: c_int,
    flags: c_int,
) -> Result<AddrInfo, c_int> {
    // SAFETY: an all-zero addrinfo is a valid "no hints" value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_protocol = protocol;
    hints.ai_flags = flags;
    let mut res: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: node/service are NUL-terminated or NULL, hints and res are valid.
    let rc = unsafe {
        libc::getaddrinfo(
            node.map_or(ptr::null(), CStr::as_ptr),
            service.map_or(ptr::null(), CStr::as_ptr),
            &hints,
            &mut res,
        )
    };
    if rc != 0 {
        return Err(rc);
    }
    Ok(AddrInfo { head: res })
}

/// `getnetbyname_r`: the network number (host byte order), or `None`.
pub fn getnetbyname(name: &CStr) -> Option<u32> {
    let mut buf = [0 as c_char; 1024];
    // SAFETY: zeroed netent is a valid output buffer.
    let mut result_buf: libc::netent = unsafe { std::mem::zeroed() };
    let mut np: *mut libc::netent = ptr::null_mut();
    let mut h_errno: c_int = 0;
    // SAFETY: every pointer refers to a live local of the right size.
    let err = unsafe {
        libc::getnetbyname_r(name.as_ptr(), &mut result_buf, buf.as_mut_ptr(), buf.len(), &mut np, &mut h_errno)
    };
    if err != 0 || np.is_null() {
        return None;
    }
    // SAFETY: on success np points to result_buf.
    Some(unsafe { (*np).n_net })
}

/// `getprotobyname_r`: an error when the lookup itself failed (the errno
/// it returned, e.g. ERANGE), `Ok(None)` when the name is unknown.
pub fn getprotobyname(name: &CStr) -> io::Result<Option<i32>> {
    let mut buf = [0 as c_char; 1024];
    // SAFETY: zeroed protoent is a valid output buffer.
    let mut result_buf: libc::protoent = unsafe { std::mem::zeroed() };
    let mut p: *mut libc::protoent = ptr::null_mut();
    // SAFETY: every pointer refers to a live local of the right size.
    let err = unsafe { getprotobyname_r(name.as_ptr(), &mut result_buf, buf.as_mut_ptr(), buf.len(), &mut p) };
    if err != 0 {
        return Err(io::Error::from_raw_os_error(err));
    }
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: on success p points to result_buf.
    Ok(Some(unsafe { (*p).p_proto }))
}

/// `ether_hostton` (the ethers database).
pub fn ether_host(name: &CStr) -> Option<[u8; 6]> {
    let mut a = [0u8; 6];
    // SAFETY: name is NUL-terminated; `a` is a 6-byte struct ether_addr.
    let rc = unsafe { ether_hostton(name.as_ptr(), &mut a) };
    (rc == 0).then_some(a)
}

/// `gethostbyname`: a pointer into the resolver's static storage (NULL when
/// unknown), valid until the next call on this thread; for the legacy
/// `pcap_nametoaddr`, which must return that storage.
pub fn gethostbyname_raw(name: &CStr) -> *mut libc::hostent {
    // SAFETY: name is NUL-terminated.
    unsafe { gethostbyname(name.as_ptr()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_service_resolves() {
        let ai = getaddrinfo(None, Some(c"80"), libc::AF_UNSPEC, libc::SOCK_STREAM, libc::IPPROTO_TCP, 0).unwrap();
        assert!(ai.addrs().iter().all(|a| matches!(a, SockAddr::V4 { port: 80, .. } | SockAddr::V6 { port: 80, .. })));
    }

    #[test]
    fn protocols_come_from_etc_protocols() {
        assert_eq!(getprotobyname(c"tcp").unwrap(), Some(6));
        assert_eq!(getprotobyname(c"no-such-protocol").unwrap(), None);
    }
}

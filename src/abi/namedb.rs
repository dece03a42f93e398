//! The name database of `<pcap/namedb.h>` and the `eproto_db` data symbol.
//!
//! Ownership, as in libpcap: `pcap_ether_aton` and `pcap_ether_hostton`
//! return 6 bytes from `malloc` (the caller frees them);
//! `pcap_nametoaddrinfo` returns a `getaddrinfo` list (free it with
//! `freeaddrinfo`); `pcap_nametoaddr` returns the resolver's static host
//! entry (valid until the next lookup on this thread, addresses converted
//! to host byte order in place); `pcap_next_etherent` returns a per-thread
//! static entry overwritten by the next call.

use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int};

use super::cstr::borrow;
use crate::filter::names::{self, PortRange, PROTO_UNDEF};
use crate::sys::netdb;

/// `struct eproto` (nametoaddr.c).
#[repr(C)]
pub struct eproto {
    pub s: *const c_char,
    pub p: u16,
}

/// libpcap's `eproto_db`: the Ethernet-type names `ether proto \name`
/// knows, ending with `{NULL, 0}`. Writable data, as libpcap exports it.
#[no_mangle]
pub static mut eproto_db: [eproto; 13] = [
    eproto { s: c"aarp".as_ptr(), p: 0x80f3 },
    eproto { s: c"arp".as_ptr(), p: 0x0806 },
    eproto { s: c"atalk".as_ptr(), p: 0x809b },
    eproto { s: c"decnet".as_ptr(), p: 0x6003 },
    eproto { s: c"ip".as_ptr(), p: 0x0800 },
    eproto { s: c"ip6".as_ptr(), p: 0x86dd },
    eproto { s: c"lat".as_ptr(), p: 0x6004 },
    eproto { s: c"loopback".as_ptr(), p: 0x9000 },
    eproto { s: c"mopdl".as_ptr(), p: 0x6001 },
    eproto { s: c"moprc".as_ptr(), p: 0x6002 },
    eproto { s: c"rarp".as_ptr(), p: 0x8035 },
    eproto { s: c"sca".as_ptr(), p: 0x6007 },
    eproto { s: std::ptr::null(), p: 0 },
];

/// `struct pcap_etherent`.
#[repr(C)]
pub struct pcap_etherent {
    pub addr: [u8; 6],
    pub name: [c_char; 122],
}

thread_local! {
    static ETHERENT: UnsafeCell<pcap_etherent> = const { UnsafeCell::new(pcap_etherent { addr: [0; 6], name: [0; 122] }) };
}

/// Six bytes in a `malloc`ed buffer, or NULL.
fn malloc_mac(a: &[u8]) -> *mut u8 {
    // SAFETY: malloc has no preconditions; the result is checked.
    let p = unsafe { libc::malloc(6) } as *mut u8;
    if !p.is_null() {
        // SAFETY: p has 6 writable bytes; a has at least 6.
        unsafe { std::ptr::copy_nonoverlapping(a.as_ptr(), p, 6) };
    }
    p
}

/// Run `f` on a C string argument, or return `none` for NULL.
///
/// # Safety
/// `s` must be NULL or NUL-terminated.
unsafe fn with_name<T>(s: *const c_char, none: T, f: impl FnOnce(&str) -> T) -> T {
    // SAFETY: caller's contract.
    match unsafe { borrow(s) } {
        Some(n) => f(&n),
        None => none,
    }
}

/// `pcap_nametoaddr` (deprecated in libpcap: not thread-safe): the host's
/// IPv4 addresses, host byte order, NULL-terminated; NULL if unknown.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoaddr(name: *const c_char) -> *mut *mut u32 {
    ffi!(std::ptr::null_mut(), {
        if name.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: NUL-terminated (caller's contract).
        let c = unsafe { std::ffi::CStr::from_ptr(name) };
        let hp = netdb::gethostbyname_raw(c);
        if hp.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: gethostbyname returned a valid hostent whose h_addr_list
        // is a NULL-terminated array of 4-byte addresses.
        unsafe {
            let list = (*hp).h_addr_list as *mut *mut u32;
            let mut i = 0;
            while !(*list.add(i)).is_null() {
                let a = *list.add(i);
                a.write_unaligned(u32::from_be(a.read_unaligned()));
                i += 1;
            }
            list
        }
    })
}

/// `pcap_nametoaddrinfo`: the resolver's list for a host name (free with
/// `freeaddrinfo`), or NULL.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoaddrinfo(name: *const c_char) -> *mut libc::addrinfo {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: caller's contract.
        unsafe {
            with_name(name, std::ptr::null_mut(), |n| {
                names::nametoaddrinfo_raw(n).map_or(std::ptr::null_mut(), netdb::AddrInfo::into_raw)
            })
        }
    })
}

/// `pcap_nametonetaddr`: a network name (host byte order), 0 if unknown.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametonetaddr(name: *const c_char) -> u32 {
    // SAFETY: caller's contract.
    ffi!(0, { unsafe { with_name(name, 0, names::nametonetaddr) } })
}

/// `pcap_nametoport`: 1 and the port and protocol (`IPPROTO_TCP`,
/// `IPPROTO_UDP`, or `PROTO_UNDEF` for both), or 0 if unknown.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoport(name: *const c_char, port: *mut c_int, proto: *mut c_int) -> c_int {
    ffi!(0, {
        // SAFETY: caller's contract.
        let r = unsafe { with_name(name, None, names::nametoport) };
        match r {
            Some((p, pr)) => {
                // SAFETY: NULL or writable ints (caller's contract).
                unsafe {
                    if !port.is_null() {
                        *port = p;
                    }
                    if !proto.is_null() {
                        *proto = pr;
                    }
                }
                1
            }
            None => 0,
        }
    })
}

/// `pcap_nametoportrange`: `a-b` with numbers or service names; 1 or 0.
/// As in libpcap, a range whose second name is unknown returns 0 with the
/// first name's port and protocol already stored in `port1` and `proto`.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoportrange(
    name: *const c_char,
    port1: *mut c_int,
    port2: *mut c_int,
    proto: *mut c_int,
) -> c_int {
    ffi!(0, {
        // SAFETY: caller's contract.
        let r = unsafe { with_name(name, PortRange::NotFound, names::nametoportrange) };
        let (stores, ok): (&[(*mut c_int, c_int)], c_int) = match r {
            PortRange::Found(a, b, pr) => (&[(port1, a), (port2, b), (proto, pr)], 1),
            PortRange::FirstOnly(a, pr) => (&[(port1, a), (proto, pr)], 0),
            PortRange::NotFound => (&[], 0),
        };
        for &(dst, v) in stores {
            if !dst.is_null() {
                // SAFETY: NULL or a writable int (caller's contract).
                unsafe { *dst = v };
            }
        }
        ok
    })
}

/// `pcap_nametoproto`: an IP protocol number, or `PROTO_UNDEF`.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoproto(s: *const c_char) -> c_int {
    // SAFETY: caller's contract.
    ffi!(PROTO_UNDEF, { unsafe { with_name(s, PROTO_UNDEF, names::nametoproto) } })
}

/// `pcap_nametoeproto`: an Ethernet type from `eproto_db`, or `PROTO_UNDEF`.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametoeproto(s: *const c_char) -> c_int {
    // SAFETY: caller's contract.
    ffi!(PROTO_UNDEF, { unsafe { with_name(s, PROTO_UNDEF, names::nametoeproto) } })
}

/// `pcap_nametollc`: an LLC SAP (`iso`, `stp`, `ipx`, `netbeui`), or
/// `PROTO_UNDEF`.
#[no_mangle]
pub unsafe extern "C" fn pcap_nametollc(s: *const c_char) -> c_int {
    // SAFETY: caller's contract.
    ffi!(PROTO_UNDEF, { unsafe { with_name(s, PROTO_UNDEF, names::nametollc) } })
}

/// `pcap_ether_aton`: a MAC address text to 6 `malloc`ed bytes (no
/// validation, as in libpcap); NULL for a NULL argument.
#[no_mangle]
pub unsafe extern "C" fn pcap_ether_aton(s: *const c_char) -> *mut u8 {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: caller's contract.
        unsafe { with_name(s, std::ptr::null_mut(), |t| malloc_mac(&names::ether_aton(t))) }
    })
}

/// `pcap_ether_hostton`: a name from the ethers database to 6 `malloc`ed
/// bytes, or NULL.
#[no_mangle]
pub unsafe extern "C" fn pcap_ether_hostton(name: *const c_char) -> *mut u8 {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: caller's contract.
        unsafe {
            with_name(name, std::ptr::null_mut(), |n| match names::ether_hostton(n) {
                Some(a) => malloc_mac(&a),
                None => std::ptr::null_mut(),
            })
        }
    })
}

/// `pcap_next_etherent`: the next entry of an ethers-format file, or NULL
/// at its end. The entry is static per thread.
#[no_mangle]
pub unsafe extern "C" fn pcap_next_etherent(fp: *mut libc::FILE) -> *mut pcap_etherent {
    ffi!(std::ptr::null_mut(), {
        if fp.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: fp is an open stdio stream (caller's contract).
        let getc = || unsafe { libc::fgetc(fp) };
        let Some(e) = names::next_etherent(getc) else { return std::ptr::null_mut() };
        ETHERENT.with(|cell| {
            let p = cell.get();
            // SAFETY: per-thread storage; the previous pointer handed out is
            // documented to be overwritten by this call.
            unsafe {
                (*p).addr = e.addr;
                (*p).name = [0; 122];
                for (d, &b) in (*p).name.iter_mut().zip(e.name.iter()) {
                    *d = b as c_char;
                }
            }
            p
        })
    })
}

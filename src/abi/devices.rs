//! Device discovery exports: `pcap_findalldevs`, `pcap_freealldevs`,
//! `pcap_lookupdev`, `pcap_lookupnet`.
//!
//! Ownership: `pcap_findalldevs` returns a list whose nodes, strings and
//! socket addresses are each `malloc`ed; the caller frees the whole list
//! with `pcap_freealldevs`.

use std::ffi::{c_char, c_int};

use super::cstr::{borrow, malloc_cstring, write_errbuf, StaticText};
use super::types::{pcap_addr, pcap_if};
use crate::capture::devices;
use crate::error::code;

/// A `malloc`ed copy of socket address bytes (NULL for none or on ENOMEM).
fn malloc_sockaddr(b: &Option<Vec<u8>>) -> *mut libc::sockaddr {
    let Some(b) = b else { return std::ptr::null_mut() };
    // SAFETY: malloc has no preconditions; checked for NULL.
    let p = unsafe { libc::malloc(b.len().max(std::mem::size_of::<libc::sockaddr>())) } as *mut u8;
    if !p.is_null() {
        // SAFETY: `p` has at least b.len() bytes.
        unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), p, b.len()) };
    }
    p as *mut libc::sockaddr
}

/// Allocate one node with libc's allocator; NULL on ENOMEM.
fn malloc_node<T>(v: T) -> *mut T {
    // SAFETY: malloc has no preconditions; the node is initialised with a
    // write before anyone sees it.
    let p = unsafe { libc::malloc(std::mem::size_of::<T>()) } as *mut T;
    if !p.is_null() {
        // SAFETY: `p` is fresh, properly sized and aligned (malloc).
        unsafe { p.write(v) };
    }
    p
}

/// Free a list built by `pcap_findalldevs`.
///
/// # Safety
/// `list` must be NULL or a list from `pcap_findalldevs`, not freed yet.
unsafe fn free_list(mut list: *mut pcap_if) {
    while !list.is_null() {
        // SAFETY: every node, string and address of the list came from
        // malloc in pcap_findalldevs and is freed exactly once here.
        unsafe {
            let d = &*list;
            let mut a = d.addresses;
            while !a.is_null() {
                let next = (*a).next;
                libc::free((*a).addr as *mut libc::c_void);
                libc::free((*a).netmask as *mut libc::c_void);
                libc::free((*a).broadaddr as *mut libc::c_void);
                libc::free((*a).dstaddr as *mut libc::c_void);
                libc::free(a as *mut libc::c_void);
                a = next;
            }
            libc::free(d.name as *mut libc::c_void);
            libc::free(d.description as *mut libc::c_void);
            let next = d.next;
            libc::free(list as *mut libc::c_void);
            list = next;
        }
    }
}

/// `pcap_findalldevs(&list, errbuf)`: every capturable interface and `any`,
/// in libpcap's order. 0 with `*alldevsp` set (the caller frees it with
/// `pcap_freealldevs`), or -1 with `errbuf` set.
#[no_mangle]
pub unsafe extern "C" fn pcap_findalldevs(alldevsp: *mut *mut pcap_if, errbuf: *mut c_char) -> c_int {
    ffi!(code::ERROR, {
        if alldevsp.is_null() {
            // SAFETY: caller's errbuf contract.
            unsafe { write_errbuf(errbuf, "pcap_findalldevs: the list pointer is NULL") };
            return code::ERROR;
        }
        let devs = match devices::find_all() {
            Ok(d) => d,
            Err(e) => {
                // SAFETY: caller's errbuf contract.
                unsafe { write_errbuf(errbuf, e.text()) };
                return code::ERROR;
            }
        };
        let mut head: *mut pcap_if = std::ptr::null_mut();
        let mut tail: *mut pcap_if = std::ptr::null_mut();
        for d in devs {
            let node = malloc_node(pcap_if {
                next: std::ptr::null_mut(),
                name: malloc_cstring(&d.name),
                description: d.description.as_deref().map_or(std::ptr::null_mut(), malloc_cstring),
                addresses: std::ptr::null_mut(),
                flags: d.flags,
            });
            if node.is_null() {
                // SAFETY: `head` is a list we built and have not handed out.
                unsafe { free_list(head) };
                // SAFETY: caller's errbuf contract.
                unsafe { write_errbuf(errbuf, "malloc: Cannot allocate memory") };
                return code::ERROR;
            }
            let mut atail: *mut pcap_addr = std::ptr::null_mut();
            for a in &d.addresses {
                let an = malloc_node(pcap_addr {
                    next: std::ptr::null_mut(),
                    addr: malloc_sockaddr(&a.addr),
                    netmask: malloc_sockaddr(&a.netmask),
                    broadaddr: malloc_sockaddr(&a.broadaddr),
                    dstaddr: malloc_sockaddr(&a.dstaddr),
                });
                if an.is_null() {
                    continue;
                }
                // SAFETY: `node`/`atail` are nodes we allocated above.
                unsafe {
                    if atail.is_null() {
                        (*node).addresses = an;
                    } else {
                        (*atail).next = an;
                    }
                }
                atail = an;
            }
            if tail.is_null() {
                head = node;
            } else {
                // SAFETY: `tail` is the last node we allocated.
                unsafe { (*tail).next = node };
            }
            tail = node;
        }
        // SAFETY: checked non-null above.
        unsafe { *alldevsp = head };
        0
    })
}

/// `pcap_freealldevs`: free a list from `pcap_findalldevs` (NULL is fine).
#[no_mangle]
pub unsafe extern "C" fn pcap_freealldevs(alldevs: *mut pcap_if) {
    // SAFETY: caller passes a list from pcap_findalldevs or NULL.
    ffi!((), { unsafe { free_list(alldevs) } })
}

thread_local! {
    static LOOKUPDEV: StaticText<{ libc::IF_NAMESIZE + 1 }> = const { StaticText::new() };
}

/// `pcap_lookupdev(errbuf)` (deprecated): the first non-loopback device, in
/// a static buffer; NULL with `errbuf` set when there is none or after
/// `pcap_init` (libpcap refuses it then).
#[no_mangle]
pub unsafe extern "C" fn pcap_lookupdev(errbuf: *mut c_char) -> *mut c_char {
    ffi!(std::ptr::null_mut(), {
        if super::live::new_api() {
            // SAFETY: caller's errbuf contract.
            unsafe {
                write_errbuf(errbuf, "pcap_lookupdev() is deprecated and is not supported in programs calling pcap_init()")
            };
            return std::ptr::null_mut();
        }
        match devices::lookup_dev() {
            Ok(name) => LOOKUPDEV.with(|b| b.set(&name)) as *mut c_char,
            Err(e) => {
                // SAFETY: caller's errbuf contract.
                unsafe { write_errbuf(errbuf, e.text()) };
                std::ptr::null_mut()
            }
        }
    })
}

/// `pcap_lookupnet(device, &net, &mask, errbuf)`: the device's IPv4 network
/// and netmask (network byte order); 0/0 for `any`. 0, or -1 with `errbuf`.
#[no_mangle]
pub unsafe extern "C" fn pcap_lookupnet(device: *const c_char, netp: *mut u32, maskp: *mut u32, errbuf: *mut c_char) -> c_int {
    ffi!(code::ERROR, {
        if netp.is_null() || maskp.is_null() {
            // SAFETY: caller's errbuf contract.
            unsafe { write_errbuf(errbuf, "pcap_lookupnet: NULL network or mask pointer") };
            return code::ERROR;
        }
        // SAFETY: caller passes a NUL-terminated string or NULL.
        let dev = unsafe { borrow(device) }.map_or_else(|| "any".to_string(), |d| d.into_owned());
        match devices::lookup_net(&dev) {
            Ok((net, mask)) => {
                // SAFETY: both pointers were checked non-null.
                unsafe {
                    *netp = net;
                    *maskp = mask;
                }
                0
            }
            Err(e) => {
                // SAFETY: caller's errbuf contract.
                unsafe { write_errbuf(errbuf, e.text()) };
                code::ERROR
            }
        }
    })
}

//! Properties every handle has: error text, link type(s), snapshot length,
//! descriptors, buffer size, timestamp precision and types; and the handles
//! that have nothing else (`pcap_open_dead`).

use std::ffi::{c_char, c_int, c_uint};
use std::sync::Arc;

use super::cstr::{borrow, write_stderr};
use super::handle::{pcap_t, Engine, Info};
use crate::error::{code, Error};
use crate::packet::{Breaker, Precision};

/// `pcap_geterr`: the handle's last error text; the buffer belongs to the
/// handle and stays valid until `pcap_close`.
#[no_mangle]
pub extern "C" fn pcap_geterr(p: *mut pcap_t) -> *mut c_char {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        match unsafe { pcap_t::from_ptr(p) } {
            Some(h) => h.errbuf_ptr(),
            None => std::ptr::null_mut(),
        }
    })
}

/// `pcap_perror(p, prefix)`: print "prefix: error" to stderr (through stdio).
#[no_mangle]
pub unsafe extern "C" fn pcap_perror(p: *mut pcap_t, prefix: *const c_char) {
    ffi!((), {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return };
        // SAFETY: caller passes a NUL-terminated string or NULL.
        let prefix = unsafe { borrow(prefix) }.unwrap_or_default();
        write_stderr(&format!("{prefix}: {}\n", h.errmsg()));
    })
}

/// Read a fact that needs an activated handle (PCAP_ERROR_NOT_ACTIVATED
/// otherwise, as libpcap returns it: without touching the error buffer).
pub(crate) fn activated_fact(p: *mut pcap_t, f: impl FnOnce(&Info) -> c_int) -> c_int {
    // SAFETY: `p` is NULL or a handle pointer from this library.
    let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
    let i = h.info();
    if i.activated {
        f(&i)
    } else {
        code::NOT_ACTIVATED
    }
}

/// `pcap_datalink`: the DLT, or PCAP_ERROR_NOT_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_datalink(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, { activated_fact(p, |i| i.linktype) })
}

/// `pcap_datalink_ext`: the extension bits of the link type (FCS length
/// and the like, from a savefile's header; 0 for live captures).
#[no_mangle]
pub extern "C" fn pcap_datalink_ext(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, { activated_fact(p, |i| i.linktype_ext as c_int) })
}

/// `pcap_snapshot`: the snapshot length, or PCAP_ERROR_NOT_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_snapshot(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, { activated_fact(p, |i| i.snapshot) })
}

/// `pcap_bufsize`: the largest packet the capture buffer can hold at once,
/// or PCAP_ERROR_NOT_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_bufsize(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, { activated_fact(p, |i| i.bufsize) })
}

/// `pcap_fileno`: the capture socket (or the file's descriptor), -1 before
/// activation.
#[no_mangle]
pub extern "C" fn pcap_fileno(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        unsafe { pcap_t::from_ptr(p) }.map_or(code::ERROR, |h| h.info().fd)
    })
}

/// `pcap_get_selectable_fd`: a descriptor to select/poll on before reading
/// (the capture socket), -1 where there is none.
#[no_mangle]
pub extern "C" fn pcap_get_selectable_fd(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        unsafe { pcap_t::from_ptr(p) }.map_or(code::ERROR, |h| h.info().selectable_fd)
    })
}

/// The 1 ms select timeout libpcap asks for while a device is down.
static NETDOWN_TIMEOUT: libc::timeval = libc::timeval { tv_sec: 0, tv_usec: 1000 };

/// `pcap_get_required_select_timeout`: NULL normally; a static 1 ms timeout
/// while the capture device is down (select alone would not notice it
/// coming back, or going away). Answers from inside a callback too.
#[no_mangle]
pub extern "C" fn pcap_get_required_select_timeout(p: *mut pcap_t) -> *const libc::timeval {
    ffi!(std::ptr::null(), {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return std::ptr::null() };
        match h.live_shared() {
            Some(s) if s.netdown() => &NETDOWN_TIMEOUT,
            _ => std::ptr::null(),
        }
    })
}

/// `pcap_get_tstamp_precision`: PCAP_TSTAMP_PRECISION_MICRO or _NANO.
#[no_mangle]
pub extern "C" fn pcap_get_tstamp_precision(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        match h.engine("pcap_get_tstamp_precision") {
            Ok(g) => match &*g {
                Engine::Inactive(o) => o.precision.to_c(),
                _ => h.info().precision.to_c(),
            },
            Err(_) => h.info().precision.to_c(),
        }
    })
}

/// Copy a list of ints into a `malloc`ed array for the caller (freed with
/// `pcap_free_datalinks` / `pcap_free_tstamp_types`, i.e. `free`).
fn malloc_ints(h: &pcap_t, v: &[c_int], out: *mut *mut c_int) -> c_int {
    // SAFETY: malloc has no preconditions; checked for NULL below.
    let p = unsafe { libc::malloc(std::mem::size_of::<c_int>() * v.len().max(1)) } as *mut c_int;
    if p.is_null() {
        return h.fail(&Error::os("malloc", &std::io::Error::from_raw_os_error(libc::ENOMEM)));
    }
    // SAFETY: `p` has room for v.len() ints; `out` was checked non-null.
    unsafe {
        std::ptr::copy_nonoverlapping(v.as_ptr(), p, v.len());
        *out = p;
    }
    v.len() as c_int
}

/// `pcap_list_datalinks(p, &list)`: the DLTs the device can deliver; the
/// caller frees the array with `pcap_free_datalinks`. Returns the count,
/// PCAP_ERROR_NOT_ACTIVATED or PCAP_ERROR.
#[no_mangle]
pub unsafe extern "C" fn pcap_list_datalinks(p: *mut pcap_t, dlt_buffer: *mut *mut c_int) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if !h.info().activated {
            return code::NOT_ACTIVATED;
        }
        if dlt_buffer.is_null() {
            return h.fail(&Error::msg("pcap_list_datalinks: the list pointer is NULL"));
        }
        let list = match h.engine("pcap_list_datalinks") {
            Ok(g) => match &*g {
                Engine::Live(c) => c.datalinks(),
                _ => vec![h.info().linktype],
            },
            Err(_) => vec![h.info().linktype],
        };
        malloc_ints(h, &list, dlt_buffer)
    })
}

/// `pcap_free_datalinks`: free a list from `pcap_list_datalinks`.
#[no_mangle]
pub unsafe extern "C" fn pcap_free_datalinks(dlt_list: *mut c_int) {
    // SAFETY: the list came from malloc (or is NULL).
    ffi!((), { unsafe { libc::free(dlt_list as *mut libc::c_void) } })
}

/// `pcap_set_datalink(p, dlt)`: choose one of the device's DLTs (for `any`:
/// DLT_LINUX_SLL or DLT_LINUX_SLL2). 0, or -1 with the handle's error set.
#[no_mangle]
pub extern "C" fn pcap_set_datalink(p: *mut pcap_t, dlt: c_int) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        let unsupported = || {
            let msg = match crate::dlt::name(dlt) {
                Some(n) if dlt >= 0 => format!("{n} is not one of the DLTs supported by this device"),
                _ => format!("DLT {dlt} is not one of the DLTs supported by this device"),
            };
            h.fail(&Error::msg(msg))
        };
        let mut g = match h.engine("pcap_set_datalink") {
            Ok(g) => g,
            Err(e) => return h.fail(&e),
        };
        let mut info = h.info();
        match &mut *g {
            Engine::Live(c) if dlt >= 0 && c.supports_datalink(dlt) => {
                if !c.is_relabel_only(dlt) && !c.dlt_list().is_empty() {
                    c.set_datalink(dlt);
                }
                info.linktype = dlt;
                h.set_info(info);
                0
            }
            _ if dlt >= 0 && dlt == info.linktype => 0,
            _ => unsupported(),
        }
    })
}

/// `pcap_list_tstamp_types(p, &list)`: the timestamp types the device
/// offers (just PCAP_TSTAMP_HOST when it offers no choice); the caller frees
/// the array with `pcap_free_tstamp_types`. Returns the count or PCAP_ERROR.
#[no_mangle]
pub unsafe extern "C" fn pcap_list_tstamp_types(p: *mut pcap_t, tstamp_typesp: *mut *mut c_int) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if tstamp_typesp.is_null() {
            return h.fail(&Error::msg("pcap_list_tstamp_types: the list pointer is NULL"));
        }
        let types = match h.engine("pcap_list_tstamp_types") {
            Ok(g) => match &*g {
                Engine::Inactive(o) => o.tstamp_types.clone(),
                _ => Vec::new(),
            },
            Err(e) => return h.fail(&e),
        };
        let list = if types.is_empty() { vec![crate::capture::tstamp::PCAP_TSTAMP_HOST] } else { types };
        malloc_ints(h, &list, tstamp_typesp)
    })
}

/// `pcap_free_tstamp_types`: free a list from `pcap_list_tstamp_types`.
#[no_mangle]
pub unsafe extern "C" fn pcap_free_tstamp_types(tstamp_type_list: *mut c_int) {
    // SAFETY: the list came from malloc (or is NULL).
    ffi!((), { unsafe { libc::free(tstamp_type_list as *mut libc::c_void) } })
}

/// `pcap_open_dead(linktype, snaplen)`: a handle for compiling filters and
/// writing savefiles without a device. Freed with `pcap_close`.
#[no_mangle]
pub extern "C" fn pcap_open_dead(linktype: c_int, snaplen: c_int) -> *mut pcap_t {
    ffi!(std::ptr::null_mut(), { open_dead(linktype, snaplen, 0) })
}

/// `pcap_open_dead_with_tstamp_precision`: as `pcap_open_dead`, with µs (0)
/// or ns (1) timestamps (anything else means µs).
#[no_mangle]
pub extern "C" fn pcap_open_dead_with_tstamp_precision(linktype: c_int, snaplen: c_int, precision: c_uint) -> *mut pcap_t {
    ffi!(std::ptr::null_mut(), { open_dead(linktype, snaplen, precision) })
}

fn open_dead(linktype: c_int, snaplen: c_int, precision: c_uint) -> *mut pcap_t {
    let precision = Precision::from_c(precision as i32).unwrap_or(Precision::Micro);
    // libpcap zero-fills a dead handle, so its descriptors read as 0.
    let info = Info { activated: true, linktype, snapshot: snaplen, precision, fd: 0, selectable_fd: 0, ..Info::default() };
    pcap_t::alloc(Engine::Dead, info, Arc::new(Breaker::new()))
}

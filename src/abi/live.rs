//! Live handles: `pcap_init`, `pcap_create`, the `pcap_set_*` options,
//! `pcap_activate`, `pcap_open_live`, `pcap_close`, and what only a live
//! capture can do after activation (non-blocking mode, direction, link-type
//! choice, statistics), plus `ringcap_set_tpacket_version`.
//!
//! Return conventions are libpcap's: 0 or a positive warning on success, a
//! negative `PCAP_ERROR*` code with the handle's error buffer set on failure.

use std::ffi::{c_char, c_int, c_uint};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use super::cstr::{borrow, write_errbuf};
use super::handle::{already_activated, not_activated, pcap_t, Engine, Info};
use super::types::pcap_stat;
use crate::capture::{self, Direction, Options};
use crate::error::{code, status_to_str, Error};
use crate::packet::{Breaker, Precision};
use crate::ring::Version;

/// 0: pcap_init not called; 1: local encoding; 2: UTF-8.
static INIT: AtomicU8 = AtomicU8::new(0);

/// Whether `pcap_init` was called (libpcap's "new API" mode).
pub(crate) fn new_api() -> bool {
    INIT.load(Ordering::Relaxed) != 0
}

/// `pcap_init(opts, errbuf)`: PCAP_CHAR_ENC_LOCAL (0) or PCAP_CHAR_ENC_UTF_8
/// (1). Returns 0, or PCAP_ERROR with `errbuf` set.
#[no_mangle]
pub unsafe extern "C" fn pcap_init(opts: c_uint, errbuf: *mut c_char) -> c_int {
    ffi!(code::ERROR, {
        let want = match opts {
            0 => 1,
            1 => 2,
            _ => {
                // SAFETY: caller passes PCAP_ERRBUF_SIZE bytes or NULL.
                unsafe { write_errbuf(errbuf, "Unknown options specified") };
                return code::ERROR;
            }
        };
        match INIT.compare_exchange(0, want, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => 0,
            Err(cur) if cur == want || want == 1 && cur == 1 => 0,
            Err(cur) if want == 1 && cur == 2 || want == 2 && cur == 1 => {
                // SAFETY: as above.
                unsafe { write_errbuf(errbuf, "Multiple pcap_init calls with different character encodings") };
                code::ERROR
            }
            Err(_) => 0,
        }
    })
}

/// `pcap_create(device, errbuf)`: a new, inactive handle for `device` (NULL
/// means "any"). The caller owns the handle and frees it with `pcap_close`.
/// NULL with `errbuf` set on failure.
#[no_mangle]
pub unsafe extern "C" fn pcap_create(device: *const c_char, errbuf: *mut c_char) -> *mut pcap_t {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: caller passes a NUL-terminated string or NULL.
        let dev = unsafe { borrow(device) }.map_or_else(|| "any".to_string(), |d| d.into_owned());
        let mut opts = Options::new(&dev);
        match capture::tstamp::device_types(&dev) {
            Ok(t) => opts.tstamp_types = t,
            Err(e) => {
                // SAFETY: caller's errbuf contract.
                unsafe { write_errbuf(errbuf, e.text()) };
                return std::ptr::null_mut();
            }
        }
        // Without an eventfd, breakloop still works between packets; it just
        // cannot interrupt a blocked poll (libpcap degrades the same way).
        let breaker = Breaker::with_doorbell().unwrap_or_default();
        let info = Info { precision: Precision::Micro, ..Info::default() };
        pcap_t::alloc(Engine::Inactive(Box::new(opts)), info, Arc::new(breaker))
    })
}

/// Run `f` on the options of an inactive handle; PCAP_ERROR_ACTIVATED (with
/// libpcap's message) once activated.
fn with_options(p: *mut pcap_t, what: &str, f: impl FnOnce(&mut Options) -> c_int) -> c_int {
    // SAFETY: `p` is NULL or a handle pointer from this library.
    let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
    let mut g = match h.engine(what) {
        Ok(g) => g,
        Err(e) => return h.fail(&e),
    };
    match &mut *g {
        Engine::Inactive(o) => f(o),
        _ => h.fail(&already_activated()),
    }
}

/// `pcap_set_snaplen`: 0 or PCAP_ERROR_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_set_snaplen(p: *mut pcap_t, snaplen: c_int) -> c_int {
    ffi!(code::ERROR, {
        with_options(p, "pcap_set_snaplen", |o| {
            o.snaplen = snaplen;
            0
        })
    })
}

/// `pcap_set_promisc`: 0 or PCAP_ERROR_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_set_promisc(p: *mut pcap_t, promisc: c_int) -> c_int {
    ffi!(code::ERROR, {
        with_options(p, "pcap_set_promisc", |o| {
            o.promisc = promisc != 0;
            0
        })
    })
}

/// `pcap_set_rfmon`: 0 or PCAP_ERROR_ACTIVATED (activation then fails with
/// PCAP_ERROR_RFMON_NOTSUP: ringcap does not drive monitor mode).
#[no_mangle]
pub extern "C" fn pcap_set_rfmon(p: *mut pcap_t, rfmon: c_int) -> c_int {
    ffi!(code::ERROR, {
        with_options(p, "pcap_set_rfmon", |o| {
            o.rfmon = rfmon != 0;
            0
        })
    })
}

/// `pcap_can_set_rfmon`: 0 (monitor mode is not available through
/// ringcap), or PCAP_ERROR for a dead or savefile handle.
#[no_mangle]
pub extern "C" fn pcap_can_set_rfmon(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        let g = match h.engine("pcap_can_set_rfmon") {
            Ok(g) => g,
            Err(e) => return h.fail(&e),
        };
        match &*g {
            Engine::Dead => h.fail(&Error::msg("Rfmon mode doesn't apply on a pcap_open_dead pcap_t")),
            _ => 0,
        }
    })
}

/// `pcap_set_timeout` (milliseconds): 0 or PCAP_ERROR_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_set_timeout(p: *mut pcap_t, timeout_ms: c_int) -> c_int {
    ffi!(code::ERROR, {
        with_options(p, "pcap_set_timeout", |o| {
            o.timeout_ms = timeout_ms;
            0
        })
    })
}

/// `pcap_set_buffer_size` (bytes; <= 0 is ignored, as in libpcap).
#[no_mangle]
pub extern "C" fn pcap_set_buffer_size(p: *mut pcap_t, buffer_size: c_int) -> c_int {
    ffi!(code::ERROR, {
        with_options(p, "pcap_set_buffer_size", |o| {
            if buffer_size > 0 {
                o.buffer_size = buffer_size;
            }
            0
        })
    })
}

/// `pcap_set_immediate_mode`: 0 or PCAP_ERROR_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_set_immediate_mode(p: *mut pcap_t, immediate: c_int) -> c_int {
    ffi!(code::ERROR, {
        with_options(p, "pcap_set_immediate_mode", |o| {
            o.immediate = immediate != 0;
            0
        })
    })
}

/// `pcap_set_protocol_linux`: the protocol (host byte order) the socket is
/// bound to; 0 means all.
#[no_mangle]
pub extern "C" fn pcap_set_protocol_linux(p: *mut pcap_t, protocol: c_int) -> c_int {
    ffi!(code::ERROR, {
        with_options(p, "pcap_set_protocol_linux", |o| {
            o.protocol = protocol as u16;
            0
        })
    })
}

/// `pcap_set_tstamp_type`: 0, PCAP_WARNING_TSTAMP_TYPE_NOTSUP for a type the
/// device does not offer, or PCAP_ERROR_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_set_tstamp_type(p: *mut pcap_t, tstamp_type: c_int) -> c_int {
    ffi!(code::ERROR, {
        with_options(p, "pcap_set_tstamp_type", |o| {
            let ok = if o.tstamp_types.is_empty() {
                tstamp_type == capture::tstamp::PCAP_TSTAMP_HOST
            } else {
                o.tstamp_types.contains(&tstamp_type)
            };
            if tstamp_type >= 0 && ok {
                o.tstamp_type = Some(tstamp_type);
                0
            } else {
                code::WARNING_TSTAMP_TYPE_NOTSUP
            }
        })
    })
}

/// `pcap_set_tstamp_precision`: micro (0) or nano (1); 0,
/// PCAP_ERROR_TSTAMP_PRECISION_NOTSUP or PCAP_ERROR_ACTIVATED.
#[no_mangle]
pub extern "C" fn pcap_set_tstamp_precision(p: *mut pcap_t, precision: c_int) -> c_int {
    ffi!(code::ERROR, {
        with_options(p, "pcap_set_tstamp_precision", |o| match Precision::from_c(precision) {
            Some(pr) => {
                o.precision = pr;
                0
            }
            None => code::TSTAMP_PRECISION_NOTSUP,
        })
    })
}

/// `ringcap_set_tpacket_version(p, version)`: TPACKET_V1, V2 or V3 (1, 2, 3)
/// for the receive ring and the TX ring (the kernel has one version per
/// socket), before activation. Returns 0, PCAP_ERROR (with the handle's
/// error set) for another number, or PCAP_ERROR_ACTIVATED. V3 (the
/// default) packs packets into blocks and carries the flow hash; V1 frames
/// have no VLAN fields, so a tag the kernel took off a received frame is
/// lost (V2 and V3 give it back, re-inserted as libpcap does).
#[no_mangle]
pub extern "C" fn ringcap_set_tpacket_version(p: *mut pcap_t, version: c_int) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let h = unsafe { pcap_t::from_ptr(p) };
        with_options(p, "ringcap_set_tpacket_version", |o| match Version::from_number(version) {
            Some(v) => {
                o.tpacket_version = Some(v);
                0
            }
            None => {
                if let Some(h) = h {
                    h.set_errmsg(&format!("ringcap_set_tpacket_version: {version} is not 1, 2 or 3"));
                }
                code::ERROR
            }
        })
    })
}

/// `pcap_activate`: 0, a positive warning (message in `pcap_geterr`), or a
/// negative error; on failure the handle stays inactive and may be retried
/// or closed.
#[no_mangle]
pub extern "C" fn pcap_activate(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        let mut g = match h.engine("pcap_activate") {
            Ok(g) => g,
            Err(e) => return h.fail(&e),
        };
        let opts = match &*g {
            Engine::Inactive(o) => (**o).clone(),
            _ => return h.fail(&already_activated()),
        };
        let precision = opts.precision;
        match capture::activate(opts, h.breaker().clone()) {
            Ok(a) => {
                let c = a.capture;
                let fd = c.fd();
                let geometry = c.geometry();
                let info = Info {
                    activated: true,
                    linktype: c.linktype(),
                    snapshot: c.snapshot() as i32,
                    precision,
                    vlan_ancillary: c.vlan_ancillary(),
                    fd,
                    selectable_fd: fd,
                    // What libpcap reports: its V3 "frame" (the largest
                    // packet, 262144), or the V1/V2 frame size.
                    bufsize: match geometry.version {
                        Version::V3 => crate::MAXIMUM_SNAPLEN as i32,
                        _ => geometry.frame_size as i32,
                    },
                    ..Info::default()
                };
                let shared = c.shared().clone();
                h.install(&mut g, Engine::Live(Box::new(c)), info, Some(shared));
                match a.warning {
                    Some(w) => {
                        h.set_errmsg(w.text());
                        w.code
                    }
                    None => 0,
                }
            }
            Err(e) => h.fail(&e),
        }
    })
}

/// `pcap_open_live(device, snaplen, promisc, to_ms, errbuf)`: create, set and
/// activate in one call. NULL with `errbuf` set (libpcap's wording) on
/// failure; warnings are not errors.
#[no_mangle]
pub unsafe extern "C" fn pcap_open_live(
    device: *const c_char,
    snaplen: c_int,
    promisc: c_int,
    to_ms: c_int,
    errbuf: *mut c_char,
) -> *mut pcap_t {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: caller passes a NUL-terminated string or NULL.
        let dev = unsafe { borrow(device) }.map_or_else(|| "any".to_string(), |d| d.into_owned());
        // SAFETY: forwarded caller contracts.
        let p = unsafe { pcap_create(device, errbuf) };
        if p.is_null() {
            return p;
        }
        pcap_set_snaplen(p, snaplen);
        pcap_set_promisc(p, promisc);
        pcap_set_timeout(p, to_ms);
        let status = pcap_activate(p);
        if status >= 0 {
            return p;
        }
        // SAFETY: `p` was just created and is live.
        let h = unsafe { pcap_t::from_ptr(p) };
        let detail = h.map(|h| h.errmsg()).unwrap_or_default();
        let msg = match status {
            code::ERROR => format!("{dev}: {}", truncate(&detail, 250)),
            code::NO_SUCH_DEVICE | code::PERM_DENIED | code::PROMISC_PERM_DENIED if !detail.is_empty() => {
                format!("{dev}: {} ({})", status_to_str(status), truncate(&detail, 247))
            }
            _ => format!("{dev}: {}", status_to_str(status)),
        };
        // SAFETY: caller's errbuf contract.
        unsafe { write_errbuf(errbuf, &msg) };
        // SAFETY: `p` is ours and unused from here on.
        unsafe { pcap_t::close(p) };
        std::ptr::null_mut()
    })
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `pcap_close`: release the handle and everything it owns (socket, ring,
/// promiscuous membership). NULL and already-closed handles are ignored.
/// Called from inside a callback on the same handle, the read is stopped
/// and the handle freed when the read returns.
#[no_mangle]
pub unsafe extern "C" fn pcap_close(p: *mut pcap_t) {
    ffi!((), {
        // SAFETY: `p` is NULL or a handle pointer; close checks the registry.
        unsafe { pcap_t::close(p) }
    })
}

/// Run `f` on an activated live capture; the failures libpcap reports for
/// other handle kinds come from `other`.
pub(crate) fn with_live(
    p: *mut pcap_t,
    what: &str,
    f: impl FnOnce(&pcap_t, &mut crate::capture::LiveCapture) -> c_int,
    other: impl FnOnce(&Engine) -> Error,
) -> c_int {
    // SAFETY: `p` is NULL or a handle pointer from this library.
    let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
    let mut g = match h.engine(what) {
        Ok(g) => g,
        Err(e) => return h.fail(&e),
    };
    match &mut *g {
        Engine::Live(c) => f(h, c),
        e => h.fail(&other(e)),
    }
}

/// `pcap_setnonblock(p, nonblock, errbuf)`: 0, or -1 with `errbuf` set.
/// Before activation the mode is remembered and applied by `pcap_activate`.
#[no_mangle]
pub unsafe extern "C" fn pcap_setnonblock(p: *mut pcap_t, nonblock: c_int, errbuf: *mut c_char) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        let r = match h.engine("pcap_setnonblock") {
            Err(e) => Err(e),
            Ok(mut g) => match &mut *g {
                Engine::Inactive(o) => {
                    o.nonblock = nonblock != 0;
                    Ok(())
                }
                Engine::Live(c) => c.set_nonblock(nonblock != 0),
                Engine::Dead => Err(dead_nonblock()),
                Engine::Offline(_) => Err(Error::msg("Savefiles cannot be put into non-blocking mode")),
            },
        };
        match r {
            Ok(()) => 0,
            Err(e) => {
                h.fail(&e);
                // SAFETY: caller's errbuf contract.
                unsafe { write_errbuf(errbuf, e.text()) };
                -1
            }
        }
    })
}

/// `pcap_getnonblock(p, errbuf)`: 1, 0, or -1 with `errbuf` set
/// (PCAP_ERROR_NOT_ACTIVATED before activation).
#[no_mangle]
pub unsafe extern "C" fn pcap_getnonblock(p: *mut pcap_t, errbuf: *mut c_char) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        let r = match h.engine("pcap_getnonblock") {
            Err(e) => Err(e),
            Ok(g) => match &*g {
                Engine::Inactive(_) => Err(not_activated()),
                Engine::Live(c) => Ok(c.nonblock() as c_int),
                Engine::Dead => Err(dead_nonblock()),
                Engine::Offline(_) => Ok(0),
            },
        };
        match r {
            Ok(v) => v,
            Err(e) => {
                let c = h.fail(&e);
                if c == -1 {
                    // SAFETY: caller's errbuf contract.
                    unsafe { write_errbuf(errbuf, e.text()) };
                }
                c
            }
        }
    })
}

/// `pcap_setdirection`: 0, or -1 with the handle's error set
/// (PCAP_ERROR_NOT_ACTIVATED before activation).
#[no_mangle]
pub extern "C" fn pcap_setdirection(p: *mut pcap_t, d: c_int) -> c_int {
    ffi!(code::ERROR, {
        with_live(
            p,
            "pcap_setdirection",
            |h, c| match Direction::from_c(d) {
                None => h.fail(&Error::msg("Invalid direction")),
                Some(dir) => {
                    c.set_direction(dir);
                    0
                }
            },
            |e| match e {
                Engine::Inactive(_) => not_activated(),
                Engine::Offline(_) => Error::msg("Setting direction is not supported on savefiles"),
                _ => Error::msg("The packet direction cannot be set on a pcap_open_dead pcap_t"),
            },
        )
    })
}

fn dead_nonblock() -> Error {
    Error::msg("A pcap_open_dead pcap_t does not have a non-blocking mode setting")
}

/// `pcap_stats`: fills `ps` with packets received (passed the kernel
/// filter, drops included), dropped for lack of ring space, and dropped by
/// the interface (promiscuous captures); 0, or -1 with the handle's error
/// set. Safe from a signal handler or a callback during a read.
#[no_mangle]
pub unsafe extern "C" fn pcap_stats(p: *mut pcap_t, ps: *mut pcap_stat) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if ps.is_null() {
            return h.fail(&Error::msg("pcap_stats: the pcap_stat pointer is NULL"));
        }
        let r = match h.live_shared() {
            Some(l) => l.pcap_stats(),
            None if !h.info().activated => Err(not_activated()),
            None => match h.engine("pcap_stats") {
                Ok(g) if matches!(&*g, Engine::Offline(_)) => Err(Error::msg("Statistics aren't available from savefiles")),
                _ => Err(Error::msg("Statistics aren't available from a pcap_open_dead pcap_t")),
            },
        };
        match r {
            Ok(s) => {
                // SAFETY: `ps` is non-null and points to a caller's pcap_stat.
                unsafe { *ps = pcap_stat { ps_recv: s.recv, ps_drop: s.drop, ps_ifdrop: s.ifdrop } };
                0
            }
            Err(e) => h.fail(&e),
        }
    })
}

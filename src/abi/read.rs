//! Reading packets from any handle: `pcap_dispatch`, `pcap_loop`,
//! `pcap_next`, `pcap_next_ex`, `pcap_breakloop`.
//!
//! Pointer lifetimes: the header and data handed to a callback are valid
//! during the callback; `pcap_next`/`pcap_next_ex` data (which points into
//! the ring or the mapped file: no copy) and `pcap_next_ex`'s header are
//! valid until the next read or `pcap_close` on the handle.

use std::ffi::c_int;

use super::handle::{not_activated, pcap_t, Engine};
use super::types::{pcap_handler, pcap_pkthdr};
use crate::error::{code, Error, Result};
use crate::packet::{Next, PacketHeader, PacketSource};

/// Borrow the handle's packet source and run `f` on it; map the result to
/// libpcap's return convention (a honoured breakloop is -2 without touching
/// the error buffer). A `pcap_close` from inside a callback takes effect
/// here, after the read.
fn with_source(p: *mut pcap_t, what: &str, f: impl FnOnce(&mut dyn PacketSource, &pcap_t) -> Result<c_int>) -> c_int {
    // SAFETY: `p` is NULL or a handle pointer from this library.
    let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
    let (r, close) = {
        let mut g = match h.engine(what) {
            Ok(g) => g,
            Err(e) => return h.fail(&e),
        };
        let r = match &mut *g {
            Engine::Live(c) => f(&mut **c, h),
            Engine::Offline(o) => f(&mut **o, h),
            Engine::Inactive(_) => Err(not_activated()),
            Engine::Dead => Err(Error::msg("Packets aren't available from a pcap_open_dead pcap_t")),
        };
        (r, g.close_requested())
    };
    if close {
        // SAFETY: the guard is gone and nothing refers to the handle any more.
        unsafe { pcap_t::close(p) };
        drop(r);
        return code::BREAK;
    }
    match r {
        Ok(n) => n,
        Err(e) if e.code == code::BREAK => code::BREAK,
        Err(e) => h.fail(&e),
    }
}

/// Report a bad argument on the handle (when there is one) and return -1.
fn bad_argument(p: *mut pcap_t, msg: &str) -> c_int {
    // SAFETY: `p` is NULL or a handle pointer from this library.
    match unsafe { pcap_t::from_ptr(p) } {
        Some(h) => h.fail(&Error::msg(msg)),
        None => code::ERROR,
    }
}

/// Adapt a C callback to the core's per-packet closure; while it runs, the
/// handle knows what it was shown (`ringcap_packet_meta`).
fn c_callback<'h>(
    h: &'h pcap_t,
    cb: unsafe extern "C" fn(*mut u8, *const pcap_pkthdr, *const u8),
    user: *mut u8,
) -> impl FnMut(&PacketHeader, &[u8]) + 'h {
    move |hdr: &PacketHeader, data: &[u8]| {
        h.in_callback.set((hdr, data.as_ptr()));
        // SAFETY: the caller promised a valid pcap_handler; header and data
        // are valid for the duration of the call.
        unsafe { cb(user, hdr, data.as_ptr()) };
        h.in_callback.set((std::ptr::null(), std::ptr::null()));
    }
}

/// `pcap_dispatch(p, cnt, callback, user)`: process up to `cnt` packets
/// (`cnt <= 0`: all that are ready); returns how many, 0 on a timeout (or, for
/// a file, at its end), -1 on error, -2 after `pcap_breakloop`.
#[no_mangle]
pub extern "C" fn pcap_dispatch(p: *mut pcap_t, cnt: c_int, callback: pcap_handler, user: *mut u8) -> c_int {
    ffi!(code::ERROR, {
        let Some(cb) = callback else { return bad_argument(p, "pcap_dispatch: the callback is NULL") };
        with_source(p, "pcap_dispatch", |src, h| src.dispatch(cnt, &mut c_callback(h, cb, user)))
    })
}

/// `pcap_loop(p, cnt, callback, user)`: process packets until `cnt` have
/// been processed (forever when `cnt <= 0`), an error, `pcap_breakloop`, or
/// the end of a file; returns 0, -1 or -2.
#[no_mangle]
pub extern "C" fn pcap_loop(p: *mut pcap_t, cnt: c_int, callback: pcap_handler, user: *mut u8) -> c_int {
    ffi!(code::ERROR, {
        let Some(cb) = callback else { return bad_argument(p, "pcap_loop: the callback is NULL") };
        with_source(p, "pcap_loop", |src, h| src.run_loop(cnt, &mut c_callback(h, cb, user)))
    })
}

/// `pcap_next_ex(p, &hdr, &data)`: 1 with a packet, 0 on a live timeout,
/// -2 at the end of a file or after `pcap_breakloop`, -1 on error. The
/// header and data stay valid until the next read on the handle.
#[no_mangle]
pub unsafe extern "C" fn pcap_next_ex(p: *mut pcap_t, pkt_header: *mut *mut pcap_pkthdr, pkt_data: *mut *const u8) -> c_int {
    ffi!(code::ERROR, {
        if pkt_header.is_null() || pkt_data.is_null() {
            return bad_argument(p, "pcap_next_ex: NULL header or data pointer");
        }
        // A live capture with a packet ready: straight from the ring.
        // SAFETY: `p` is NULL or a handle pointer from this library.
        if let Some(h) = unsafe { pcap_t::from_ptr(p) } {
            if let Ok(mut g) = h.engine("pcap_next_ex") {
                if let Engine::Live(c) = &mut *g {
                    match c.next_ready() {
                        Some(Ok((hdr, data))) => {
                            // SAFETY: the out pointers were checked non-null.
                            unsafe { hand_out(h, hdr, data, pkt_header, pkt_data) };
                            return 1;
                        }
                        Some(Err(e)) => {
                            drop(g);
                            return h.fail(&e);
                        }
                        None => {}
                    }
                }
            }
        }
        with_source(p, "pcap_next_ex", |src, h| match src.next_packet()? {
            Next::Packet(hdr, data) => {
                // SAFETY: the out pointers were checked non-null.
                unsafe { hand_out(h, hdr, data, pkt_header, pkt_data) };
                Ok(1)
            }
            Next::Timeout => Ok(0),
            Next::Eof => Ok(code::BREAK),
        })
    })
}

/// `pcap_next_ex`'s answer: the header in the handle's own storage (valid
/// until the next read; `ringcap_packet_meta` reads it too), the data where
/// it is.
///
/// # Safety
/// `pkt_header` and `pkt_data` must be non-null and point to caller memory.
unsafe fn hand_out(h: &pcap_t, hdr: PacketHeader, data: &[u8], pkt_header: *mut *mut pcap_pkthdr, pkt_data: *mut *const u8) {
    // SAFETY: next_hdr is this handle's own storage, not borrowed by
    // anyone; the out pointers are the caller's contract.
    unsafe {
        *h.next_hdr.get() = hdr;
        *pkt_header = h.next_hdr.get();
        *pkt_data = data.as_ptr();
    }
}

/// `pcap_next(p, &hdr)`: the next packet's data with `*hdr` filled, or NULL
/// (timeout, end of file, error — `pcap_geterr` tells which for errors).
#[no_mangle]
pub unsafe extern "C" fn pcap_next(p: *mut pcap_t, h: *mut pcap_pkthdr) -> *const u8 {
    ffi!(std::ptr::null(), {
        if h.is_null() {
            bad_argument(p, "pcap_next: the header pointer is NULL");
            return std::ptr::null();
        }
        let mut out: *const u8 = std::ptr::null();
        with_source(p, "pcap_next", |src, handle| {
            if let Next::Packet(hdr, data) = src.next_packet()? {
                // SAFETY: `h` is non-null and points to the caller's header;
                // next_hdr is the handle's own storage (ringcap_packet_meta
                // reads it).
                unsafe {
                    *h = hdr;
                    *handle.next_hdr.get() = hdr;
                }
                out = data.as_ptr();
            }
            Ok(0)
        });
        out
    })
}

/// `pcap_breakloop(p)`: make the current or next read on `p` return -2.
/// Async-signal-safe and callable from any thread: an atomic store and one
/// write to the handle's eventfd, which wakes a read blocked in poll.
#[no_mangle]
pub extern "C" fn pcap_breakloop(p: *mut pcap_t) {
    ffi!((), {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        if let Some(h) = unsafe { pcap_t::from_ptr(p) } {
            h.breaker().request();
        }
    })
}

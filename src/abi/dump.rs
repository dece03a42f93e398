//! Writing savefiles: the `pcap_dumper_t` handle and `pcap_dump*`, plus
//! `ringcap_dump_open_ng` (pcapng, which libpcap cannot write).
//!
//! Ownership: every opener returns a `pcap_dumper_t *` that
//! `pcap_dump_close` frees (closing its stream with `fclose`, the standard
//! output included, as libpcap does); nothing else frees it. The stream
//! `pcap_dump_file` returns belongs to the dumper. `pcap_dump` has the
//! `pcap_handler` signature so it can be passed to `pcap_loop` with the
//! dumper as `user`, as tcpdump does.
//!
//! A pcapng dumper (`ringcap_dump_open_ng`) works with every `pcap_dump*`
//! call except `pcap_dump_open_append` (which opens classic pcap only):
//! `pcap_dump` writes Enhanced Packet Blocks, `pcap_dump_flush`,
//! `pcap_dump_ftell*`, `pcap_dump_file` and `pcap_dump_close` behave as for
//! a classic dumper.

use std::collections::HashSet;
use std::ffi::{c_char, c_int, c_long, CStr};

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use super::handle::pcap_t;
use super::types::pcap_pkthdr;
use crate::error::Result;
use crate::savefile::dumper::{Dumper, Target};
use crate::sys::stdio::CFile;

const ALIVE: u32 = 0x7264_6d70; // "rdmp"
const CLOSED: u32 = 0xdead_d0d0;

/// Every open dumper's address, so that closing twice (or closing what was
/// never a dumper) is ignored instead of freeing twice.
static DUMPERS: Lazy<Mutex<HashSet<usize>>> = Lazy::new(|| Mutex::new(HashSet::new()));

/// The C `pcap_dumper_t`: opaque to C.
pub struct pcap_dumper_t {
    magic: u32,
    dumper: Dumper,
}

/// Borrow a dumper from C (`None` for NULL or a closed dumper's memory).
///
/// # Safety
/// `d` must be NULL or a pointer returned by an opener of this module.
unsafe fn dumper<'a>(d: *mut pcap_dumper_t) -> Option<&'a mut Dumper> {
    if d.is_null() {
        return None;
    }
    // SAFETY: caller's contract; the mark catches most use after close.
    let s = unsafe { &mut *d };
    (s.magic == ALIVE).then_some(&mut s.dumper)
}

/// Open through `f` with the handle's facts; errors go to the handle's
/// error buffer (`pcap_geterr`), as libpcap's do.
fn open(p: *mut pcap_t, f: impl FnOnce(&Target) -> Result<Dumper>) -> *mut pcap_dumper_t {
    // SAFETY: `p` is NULL or a handle pointer from this library.
    let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return std::ptr::null_mut() };
    let i = h.info();
    let t = Target {
        activated: i.activated,
        linktype: i.linktype,
        linktype_ext: i.linktype_ext,
        snapshot: i.snapshot,
        precision: i.precision,
    };
    match f(&t) {
        Ok(dumper) => {
            let d = Box::into_raw(Box::new(pcap_dumper_t { magic: ALIVE, dumper }));
            DUMPERS.lock().insert(d as usize);
            d
        }
        Err(e) => {
            h.fail(&e);
            std::ptr::null_mut()
        }
    }
}

/// A caller's file name as bytes (None for NULL).
///
/// # Safety
/// `s` must be NULL or a NUL-terminated string.
unsafe fn name<'a>(s: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: caller's contract.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_bytes())
}

/// `pcap_dump_open(p, fname)`: create (truncate) a pcap file for the
/// handle's link type, snapshot length and timestamp precision (`"-"`: the
/// standard output). NULL with `pcap_geterr(p)` set on failure.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_open(p: *mut pcap_t, fname: *const c_char) -> *mut pcap_dumper_t {
    // SAFETY: the caller passes a NUL-terminated name or NULL.
    ffi!(std::ptr::null_mut(), { open(p, |t| Dumper::open(t, unsafe { name(fname) })) })
}

/// `pcap_dump_open_append(p, fname)`: append to a pcap file written with the
/// same byte order, precision, link type and snapshot length, or start one
/// if it is empty or missing.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_open_append(p: *mut pcap_t, fname: *const c_char) -> *mut pcap_dumper_t {
    // SAFETY: the caller passes a NUL-terminated name or NULL.
    ffi!(std::ptr::null_mut(), { open(p, |t| Dumper::open_append(t, unsafe { name(fname) })) })
}

/// `pcap_dump_fopen(p, fp)`: write a pcap file to the caller's stream, which
/// then belongs to the dumper. If writing the header fails the stream is
/// closed (unless it is `stdout`), as libpcap does.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_fopen(p: *mut pcap_t, fp: *mut libc::FILE) -> *mut pcap_dumper_t {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: the caller passes an open stream (or NULL), which the
        // dumper takes over.
        match unsafe { CFile::from_raw(fp, true) } {
            Some(file) => open(p, |t| Dumper::fopen(t, file)),
            None => open(p, |_| Err(crate::Error::msg("stream: NULL FILE * pointer"))),
        }
    })
}

/// `ringcap_dump_open_ng(p, path)`: create (truncate) a pcapng file (`"-"`:
/// the standard output): a Section Header Block and an Interface
/// Description Block for the handle's link type and snapshot length with
/// nanosecond resolution, then one Enhanced Packet Block per `pcap_dump`.
/// Each packet is recorded on the interface of the link type `p` has when
/// it is dumped: after `pcap_set_datalink` on a live handle, the next
/// `pcap_dump` adds an interface for the new type (one per link type). The
/// dumper may outlive `p`; it then keeps `p`'s last link type.
///
/// pcapng allows interfaces of different types, but libpcap 1.10 (hence
/// tcpdump) reads such a file only up to the second link type's interface,
/// where it stops with "an interface has a type N different from the type
/// of the first interface"; ringcap's reader follows libpcap there.
///
/// Use it with `pcap_dump`, `pcap_dump_flush`, `pcap_dump_ftell*`,
/// `pcap_dump_file` and `pcap_dump_close`. NULL with `pcap_geterr(p)` set on
/// failure.
#[no_mangle]
pub unsafe extern "C" fn ringcap_dump_open_ng(p: *mut pcap_t, path: *const c_char) -> *mut pcap_dumper_t {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return std::ptr::null_mut() };
        let linktype = h.linktype_now();
        // SAFETY: the caller passes a NUL-terminated name or NULL.
        open(p, |t| Dumper::open_ng(t, unsafe { name(path) }, linktype))
    })
}

/// `pcap_dump(user, h, sp)`: write one packet (`h->caplen` bytes at `sp`) to
/// the dumper passed as `user`. Nothing is written once the stream has had
/// an error (`pcap_dump_flush` or `ferror` tell).
#[no_mangle]
pub unsafe extern "C" fn pcap_dump(user: *mut u8, h: *const pcap_pkthdr, sp: *const u8) {
    ffi!((), {
        // SAFETY: `user` is the dumper the caller registered (or NULL).
        let Some(d) = (unsafe { dumper(user as *mut pcap_dumper_t) }) else { return };
        if h.is_null() {
            return;
        }
        // SAFETY: `h` is non-null and points to the caller's header.
        let hdr = unsafe { &*h };
        let data: &[u8] = if hdr.caplen == 0 {
            &[]
        } else if sp.is_null() {
            return;
        } else {
            // SAFETY: the caller promises `caplen` readable bytes at `sp`.
            unsafe { std::slice::from_raw_parts(sp, hdr.caplen as usize) }
        };
        d.dump(hdr, data);
    })
}

/// `pcap_dump_flush(d)`: `fflush` the stream; 0, or -1 on error.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_flush(d: *mut pcap_dumper_t) -> c_int {
    ffi!(-1, {
        // SAFETY: a dumper pointer from this module or NULL.
        match unsafe { dumper(d) } {
            Some(d) => d.flush().map_or(-1, |()| 0),
            None => -1,
        }
    })
}

/// `pcap_dump_ftell(d)`: the stream's position (`ftell`), -1 on error.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_ftell(d: *mut pcap_dumper_t) -> c_long {
    // SAFETY: a dumper pointer from this module or NULL.
    ffi!(-1, { unsafe { dumper(d) }.map_or(-1, |d| d.tell()) })
}

/// `pcap_dump_ftell64(d)`: the stream's position as 64 bits (`ftello`).
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_ftell64(d: *mut pcap_dumper_t) -> i64 {
    // SAFETY: a dumper pointer from this module or NULL.
    ffi!(-1, { unsafe { dumper(d) }.map_or(-1, |d| d.tell64()) })
}

/// `pcap_dump_file(d)`: the dumper's stream (owned by the dumper).
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_file(d: *mut pcap_dumper_t) -> *mut libc::FILE {
    // SAFETY: a dumper pointer from this module or NULL.
    ffi!(std::ptr::null_mut(), { unsafe { dumper(d) }.map_or(std::ptr::null_mut(), |d| d.file().as_ptr()) })
}

/// `pcap_dump_close(d)`: close the stream (`fclose`) and free the dumper.
/// NULL, closed and unknown pointers are ignored.
#[no_mangle]
pub unsafe extern "C" fn pcap_dump_close(d: *mut pcap_dumper_t) {
    ffi!((), {
        if d.is_null() || !DUMPERS.lock().remove(&(d as usize)) {
            return;
        }
        // SAFETY: registered, hence a live allocation from Box::into_raw in
        // `open`, now unregistered so freed exactly once; the mark is left
        // for `pcap_dump` to see until the memory is reused.
        let pcap_dumper_t { dumper, .. } = unsafe {
            (*d).magic = CLOSED;
            *Box::from_raw(d)
        };
        let _ = dumper.close();
    })
}

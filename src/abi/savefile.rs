//! Opening savefiles for reading and the facts they carry:
//! `pcap_open_offline*`, `pcap_fopen_offline*`, `pcap_file`,
//! `pcap_is_swapped`, `pcap_major_version`, `pcap_minor_version`.
//! (`pcap_datalink`, `pcap_snapshot` and the read calls work on a savefile
//! handle as on any other.)
//!
//! Ownership: the openers return a handle freed by `pcap_close`, which also
//! closes the file (`fclose`, except for the standard input, as libpcap
//! does). A stream passed to `pcap_fopen_offline*` belongs to the handle on
//! success and stays the caller's on failure. `pcap_file`'s stream belongs
//! to the handle.

use std::ffi::{c_char, c_int, c_uint, CStr};

use super::cstr::write_errbuf;
use super::handle::{pcap_t, Engine, Info};
use super::props::activated_fact;
use crate::error::{code, Error, Result};
use crate::savefile::{Offline, Source};
use crate::sys::stdio::{stdin_ptr, CFile};

/// Wrap an opened savefile in a handle.
fn handle(mut off: Offline) -> *mut pcap_t {
    let fi = off.info();
    let info = Info {
        activated: true,
        linktype: fi.linktype,
        linktype_ext: fi.linktype_ext,
        snapshot: fi.snapshot,
        precision: fi.precision,
        fd: -1,
        selectable_fd: off.fileno(),
        bufsize: fi.snapshot.min(2048),
        swapped: fi.swapped,
        version_major: fi.version_major as i32,
        version_minor: fi.version_minor as i32,
        ..Info::default()
    };
    let breaker = off.breaker().clone();
    pcap_t::alloc(Engine::Offline(Box::new(off)), info, breaker)
}

/// Report an opening failure through the caller's errbuf.
fn failed(errbuf: *mut c_char, e: &Error) -> *mut pcap_t {
    // SAFETY: the caller's errbuf contract (PCAP_ERRBUF_SIZE bytes or NULL).
    unsafe { write_errbuf(errbuf, e.text()) };
    std::ptr::null_mut()
}

fn open_named(fname: Option<&[u8]>, precision: c_uint) -> Result<Offline> {
    let Some(name) = fname else {
        return Err(Error::msg("A null pointer was supplied as the file name"));
    };
    let src = if name == b"-" {
        let f = CFile::stdin().ok_or_else(|| Error::msg("The standard input is not open"))?;
        Source::stream(Box::new(f))
    } else {
        let f = CFile::open(name, "rb").map_err(|e| Error::os(String::from_utf8_lossy(name), &e))?;
        Source::file(f)
    };
    Offline::open(src, precision)
}

/// `pcap_open_offline_with_tstamp_precision(fname, precision, errbuf)`:
/// open a pcap or pcapng file (`"-"`: the standard input) delivering
/// timestamps in µs (0) or ns (1). A regular file is mapped and read without
/// copying; anything else is read through stdio. NULL with `errbuf` set on
/// failure.
#[no_mangle]
pub unsafe extern "C" fn pcap_open_offline_with_tstamp_precision(
    fname: *const c_char,
    precision: c_uint,
    errbuf: *mut c_char,
) -> *mut pcap_t {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: the caller passes a NUL-terminated string or NULL.
        let name = (!fname.is_null()).then(|| unsafe { CStr::from_ptr(fname) }.to_bytes());
        match open_named(name, precision) {
            Ok(o) => handle(o),
            Err(e) => failed(errbuf, &e),
        }
    })
}

/// `pcap_open_offline(fname, errbuf)`: as above, microsecond timestamps.
#[no_mangle]
pub unsafe extern "C" fn pcap_open_offline(fname: *const c_char, errbuf: *mut c_char) -> *mut pcap_t {
    // SAFETY: same contract as the callee.
    ffi!(std::ptr::null_mut(), { unsafe { pcap_open_offline_with_tstamp_precision(fname, 0, errbuf) } })
}

/// `pcap_fopen_offline_with_tstamp_precision(fp, precision, errbuf)`: read a
/// savefile from the caller's stream, through stdio (whatever the stream has
/// buffered is read first). On success the handle owns `fp` and closes it
/// (unless it is `stdin`); on failure it stays the caller's, open.
#[no_mangle]
pub unsafe extern "C" fn pcap_fopen_offline_with_tstamp_precision(
    fp: *mut libc::FILE,
    precision: c_uint,
    errbuf: *mut c_char,
) -> *mut pcap_t {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: the caller passes an open stream or NULL; not closed by us
        // unless the open succeeds.
        let Some(file) = (unsafe { CFile::from_raw(fp, false) }) else {
            return failed(errbuf, &Error::msg("Null FILE * pointer provided to savefile open routine"));
        };
        match Offline::open(Source::stream(Box::new(file)), precision) {
            Ok(mut o) => {
                if let Some(f) = o.stdio() {
                    f.set_owned(fp != stdin_ptr());
                }
                handle(o)
            }
            Err(e) => failed(errbuf, &e),
        }
    })
}

/// `pcap_fopen_offline(fp, errbuf)`: as above, microsecond timestamps.
#[no_mangle]
pub unsafe extern "C" fn pcap_fopen_offline(fp: *mut libc::FILE, errbuf: *mut c_char) -> *mut pcap_t {
    // SAFETY: same contract as the callee.
    ffi!(std::ptr::null_mut(), { unsafe { pcap_fopen_offline_with_tstamp_precision(fp, 0, errbuf) } })
}

/// `pcap_file(p)`: the stream a savefile handle reads (owned by the handle),
/// NULL for other handles. A mapped file is switched to stdio reading at
/// the current record, so the stream's position is where libpcap's would be
/// and moving it (`fseek`) moves the reading. Called from inside a read
/// callback on the same handle it returns NULL.
#[no_mangle]
pub extern "C" fn pcap_file(p: *mut pcap_t) -> *mut libc::FILE {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return std::ptr::null_mut() };
        let Ok(mut g) = h.engine("pcap_file") else { return std::ptr::null_mut() };
        match &mut *g {
            Engine::Offline(o) => o.stdio().map_or(std::ptr::null_mut(), |f| f.as_ptr()),
            _ => std::ptr::null_mut(),
        }
    })
}

/// `pcap_is_swapped(p)`: 1 when the savefile is in the other byte order, 0
/// otherwise (and for live handles); PCAP_ERROR_NOT_ACTIVATED before
/// activation.
#[no_mangle]
pub extern "C" fn pcap_is_swapped(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, { activated_fact(p, |i| i.swapped as c_int) })
}

/// `pcap_major_version(p)`: the savefile's major version (2 for pcap, 1 for
/// pcapng; 0 for live handles); PCAP_ERROR_NOT_ACTIVATED before activation.
#[no_mangle]
pub extern "C" fn pcap_major_version(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, { activated_fact(p, |i| i.version_major) })
}

/// `pcap_minor_version(p)`: the savefile's minor version.
#[no_mangle]
pub extern "C" fn pcap_minor_version(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, { activated_fact(p, |i| i.version_minor) })
}

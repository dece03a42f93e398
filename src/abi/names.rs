//! Name tables and fixed strings: DLT and timestamp-type names, status and
//! errno strings, the library version.
//!
//! Ownership: every pointer returned here is owned by ringcap and valid for
//! the life of the process, except `pcap_strerror`/`pcap_statustostr` for
//! unknown codes and `pcap_datalink_val_to_description_or_dlt` for unknown
//! DLTs, which use a per-thread buffer overwritten by the next such call (as
//! libpcap's static buffers are).

use std::ffi::{c_char, c_int, CString};

use once_cell::sync::Lazy;

use super::cstr::{borrow, StaticText};
use crate::dlt;
use crate::error::known_status_str;

/// NUL-terminated copies of the DLT table, built once.
static DLT_C: Lazy<Vec<(i32, CString, CString)>> = Lazy::new(|| {
    dlt::DLT_TABLE
        .iter()
        .map(|&(v, n, d)| (v, CString::new(n).unwrap_or_default(), CString::new(d).unwrap_or_default()))
        .collect()
});

/// (name, description, value) of the timestamp types, as libpcap lists them.
pub const TSTAMP_TYPES: &[(&str, &str, i32)] = &[
    ("host", "Host", 0),
    ("host_lowprec", "Host, low precision", 1),
    ("host_hiprec", "Host, high precision", 2),
    ("adapter", "Adapter", 3),
    ("adapter_unsynced", "Adapter, not synced with system time", 4),
    ("host_hiprec_unsynced", "Host, high precision, not synced with system time", 5),
];

static TSTAMP_C: Lazy<Vec<(CString, CString, i32)>> = Lazy::new(|| {
    TSTAMP_TYPES
        .iter()
        .map(|&(n, d, v)| (CString::new(n).unwrap_or_default(), CString::new(d).unwrap_or_default(), v))
        .collect()
});

static STATUS_C: Lazy<Vec<(i32, CString)>> = Lazy::new(|| {
    (-12..=3)
        .filter_map(|c| known_status_str(c).map(|s| (c, CString::new(s).unwrap_or_default())))
        .collect()
});

thread_local! {
    static SCRATCH: StaticText<64> = const { StaticText::new() };
    static ERRNO_TEXT: StaticText<256> = const { StaticText::new() };
}

/// libpcap's `pcap_version[]` data symbol: the version string of the
/// libpcap release whose ABI ringcap implements.
#[no_mangle]
pub static pcap_version: [u8; 7] = *b"1.10.3\0";

static LIB_VERSION: Lazy<CString> = Lazy::new(|| {
    CString::new(format!("libpcap version 1.10.3 (with TPACKET_V3) (ringcap {})", crate::VERSION)).unwrap_or_default()
});

/// `pcap_lib_version`: "libpcap version 1.10.3 (with TPACKET_V3)" followed by
/// ringcap's own version. Tools parse the leading "libpcap version X.Y.Z".
/// The string is static.
#[no_mangle]
pub extern "C" fn pcap_lib_version() -> *const c_char {
    ffi!(std::ptr::null(), { LIB_VERSION.as_ptr() })
}

/// `pcap_statustostr`: libpcap's text for a status code, or "Unknown error: N"
/// in a per-thread buffer.
#[no_mangle]
pub extern "C" fn pcap_statustostr(status: c_int) -> *const c_char {
    ffi!(std::ptr::null(), {
        match STATUS_C.iter().find(|(c, _)| *c == status) {
            Some((_, s)) => s.as_ptr(),
            None => SCRATCH.with(|b| b.set(&format!("Unknown error: {status}"))),
        }
    })
}

/// `pcap_strerror`: `strerror(errnum)`, in a per-thread buffer.
#[no_mangle]
pub extern "C" fn pcap_strerror(errnum: c_int) -> *const c_char {
    ffi!(std::ptr::null(), { ERRNO_TEXT.with(|b| b.set(&crate::sys::strerror(errnum))) })
}

/// `pcap_datalink_name_to_val`: case-insensitive name (without "DLT_"), or -1.
#[no_mangle]
pub unsafe extern "C" fn pcap_datalink_name_to_val(name: *const c_char) -> c_int {
    ffi!(-1, {
        // SAFETY: caller passes a NUL-terminated string or NULL.
        match unsafe { borrow(name) } {
            Some(n) => dlt::from_name(&n).unwrap_or(-1),
            None => -1,
        }
    })
}

/// `pcap_datalink_val_to_name`: static name, or NULL for an unknown DLT.
#[no_mangle]
pub extern "C" fn pcap_datalink_val_to_name(dlt: c_int) -> *const c_char {
    ffi!(std::ptr::null(), {
        DLT_C.iter().find(|r| r.0 == dlt).map_or(std::ptr::null(), |r| r.1.as_ptr())
    })
}

/// `pcap_datalink_val_to_description`: static description, or NULL.
#[no_mangle]
pub extern "C" fn pcap_datalink_val_to_description(dlt: c_int) -> *const c_char {
    ffi!(std::ptr::null(), {
        DLT_C.iter().find(|r| r.0 == dlt).map_or(std::ptr::null(), |r| r.2.as_ptr())
    })
}

/// `pcap_datalink_val_to_description_or_dlt`: the description, or "DLT N" in
/// a per-thread buffer.
#[no_mangle]
pub extern "C" fn pcap_datalink_val_to_description_or_dlt(dlt: c_int) -> *const c_char {
    ffi!(std::ptr::null(), {
        match DLT_C.iter().find(|r| r.0 == dlt) {
            Some(r) => r.2.as_ptr(),
            None => SCRATCH.with(|b| b.set(&format!("DLT {dlt}"))),
        }
    })
}

/// `pcap_tstamp_type_name_to_val`: the type, or PCAP_ERROR for an unknown name.
#[no_mangle]
pub unsafe extern "C" fn pcap_tstamp_type_name_to_val(name: *const c_char) -> c_int {
    ffi!(crate::error::code::ERROR, {
        // SAFETY: caller passes a NUL-terminated string or NULL.
        let Some(n) = (unsafe { borrow(name) }) else { return crate::error::code::ERROR };
        TSTAMP_TYPES.iter().find(|t| t.0.eq_ignore_ascii_case(&n)).map_or(crate::error::code::ERROR, |t| t.2)
    })
}

/// `pcap_tstamp_type_val_to_name`: static name, or NULL.
#[no_mangle]
pub extern "C" fn pcap_tstamp_type_val_to_name(tstamp_type: c_int) -> *const c_char {
    ffi!(std::ptr::null(), {
        TSTAMP_C.iter().find(|t| t.2 == tstamp_type).map_or(std::ptr::null(), |t| t.0.as_ptr())
    })
}

/// `pcap_tstamp_type_val_to_description`: static description, or NULL.
#[no_mangle]
pub extern "C" fn pcap_tstamp_type_val_to_description(tstamp_type: c_int) -> *const c_char {
    ffi!(std::ptr::null(), {
        TSTAMP_C.iter().find(|t| t.2 == tstamp_type).map_or(std::ptr::null(), |t| t.1.as_ptr())
    })
}

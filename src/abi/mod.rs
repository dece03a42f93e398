//! The C ABI: the only `#[no_mangle] extern "C"` code in ringcap.
//!
//! Every export is a plain function whose body is one [`ffi!`] block: it
//! checks pointers, converts arguments, calls the safe core, maps the result
//! to libpcap's return convention, and turns a panic into the export's
//! documented failure value, so no panic ever unwinds into C.
//!
//! One file per area: `handle` (the `pcap_t` shell), `live` (create/activate/
//! options/read), `devices`, `names` (DLT and timestamp-type tables, status
//! strings), `fanout` (PACKET_FANOUT groups), and the areas the other modules
//! add.
#![allow(unsafe_code)]
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

/// Run an export's body; a panic becomes `$fail` instead of unwinding into C.
#[allow(unused_macros)]
macro_rules! ffi {
    ($fail:expr, $body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => $fail,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use ffi;

pub mod batch;
pub mod bpf;
pub mod cstr;
pub mod devices;
pub mod dump;
pub mod fanout;
pub mod filter;
pub mod geometry;
pub mod handle;
pub mod inject;
pub mod live;
pub mod names;
pub mod namedb;
pub mod props;
pub mod read;
pub mod savefile;
pub mod types;

//! Classic pcap reading: any bytes, through both sources and precisions.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../common/savefile.rs");

fuzz_target!(|data: &[u8]| {
    check_savefile(data);
});

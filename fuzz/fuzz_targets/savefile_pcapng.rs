//! pcapng reading: any bytes after a Section Header Block's type, so every
//! input reaches the pcapng reader; through both sources and precisions.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../common/savefile.rs");

fuzz_target!(|data: &[u8]| {
    let mut file = 0x0a0d_0d0au32.to_ne_bytes().to_vec();
    file.extend_from_slice(data);
    check_savefile(&file);
});

//! TPACKET ring walking with hostile ring memory (V1/V2 frames, V3 blocks)
//! and delivery's in-place edits.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../common/ring.rs");

fuzz_target!(|data: &[u8]| {
    check_ring(data);
});

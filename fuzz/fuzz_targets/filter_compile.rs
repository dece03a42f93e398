//! The filter compiler on arbitrary text, link types and flags; what it
//! produces validated and run (see fuzz/common/filter_compile.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../common/filter_compile.rs");

static ISOLATED: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    // libFuzzer calls from one thread: the first input moves it.
    ISOLATED.call_once(private_network);
    check_filter_compile(data);
});

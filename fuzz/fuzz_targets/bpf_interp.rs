//! The BPF validator and interpreter on arbitrary programs and packets (see
//! fuzz/common/bpf_interp.rs for the input layout and what is checked).
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../common/bpf_interp.rs");

fuzz_target!(|data: &[u8]| {
    check_bpf_interp(data);
});

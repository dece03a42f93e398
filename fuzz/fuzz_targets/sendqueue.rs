//! The WinPcap/Npcap send-queue walk: any bytes as a queue buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../common/sendqueue.rs");

fuzz_target!(|data: &[u8]| {
    check_sendqueue(data);
});

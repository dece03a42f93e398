//! ABI identity with the system libpcap: the same C program, built against
//! the system <pcap/pcap.h> and against ringcap's headers, prints identical
//! struct sizes, field offsets and constant values (every DLT_* included).

mod common;

use common::{build_c, run, Against};

#[test]
fn layouts_and_constants_match_the_system_header() {
    let out = |a: Against| {
        let exe = build_c("layout", a, &[]);
        let o = run(&exe, &[], a);
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    };
    let (sys, ours) = (out(Against::System), out(Against::Ringcap));
    assert!(sys.lines().count() > 300, "the program printed the whole ABI");
    for (a, b) in sys.lines().zip(ours.lines()) {
        assert_eq!(a, b);
    }
    assert_eq!(sys, ours);
}

//! `ringcap_set_tpacket_version` through the C ABI: V1, V2 and V3 rings each
//! deliver every frame; bad versions and late calls fail as documented.

mod common;

use common::netns::{frame, with_veth, Sender};
use common::{build_c, start_until_ready, Against};

#[test]
fn every_version_captures_through_the_c_abi() {
    let exe = build_c("tpacket_version", Against::Ringcap, &[]);
    for version in ["1", "2", "3"] {
        let exe = exe.clone();
        let out = with_veth(move |v| {
            let started = start_until_ready(&exe, &[v.a.as_str(), version, "10"], Against::Ringcap);
            let tx = Sender::new(v.b_index);
            for i in 0..10 {
                tx.send(&frame(v.a_mac, v.b_mac, i, 100));
            }
            started.finish().0
        })
        .expect("namespaces");
        assert_eq!(
            out,
            format!(
                "set(0) = -1 [ringcap_set_tpacket_version: 0 is not 1, 2 or 3]\nset(4) = -1\nset({version}) = 0\n\
                 activate = 0\nset after activate = -4\nset(NULL) = -1\ncaptured 10\n"
            )
        );
    }
}

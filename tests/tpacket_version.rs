//! `ringcap_set_tpacket_version` through the C ABI: V1, V2 and V3 rings each
//! deliver every frame; bad versions and late calls fail as documented.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use common::netns::{frame, with_veth, Sender};
use common::{build_c, Against};

#[test]
fn every_version_captures_through_the_c_abi() {
    let exe = build_c("tpacket_version", Against::Ringcap, &[]);
    for version in ["1", "2", "3"] {
        let exe = exe.clone();
        let out = with_veth(move |v| {
            let mut child = Command::new(&exe).args([v.a.as_str(), version, "10"]).stdout(Stdio::piped()).spawn().unwrap();
            let mut out = BufReader::new(child.stdout.take().unwrap());
            let mut text = String::new();
            loop {
                let mut line = String::new();
                assert!(out.read_line(&mut line).unwrap() > 0, "{text}");
                text.push_str(&line);
                if line == "READY\n" {
                    break;
                }
            }
            let tx = Sender::new(v.b_index);
            for i in 0..10 {
                tx.send(&frame(v.a_mac, v.b_mac, i, 100));
            }
            out.read_to_string(&mut text).unwrap();
            assert!(child.wait().unwrap().success());
            text
        })
        .expect("namespaces");
        assert_eq!(
            out,
            format!(
                "set(0) = -1 [ringcap_set_tpacket_version: 0 is not 1, 2 or 3]\nset(4) = -1\nset({version}) = 0\n\
                 activate = 0\nset after activate = -4\nset(NULL) = -1\nREADY\ncaptured 10\n"
            )
        );
    }
}

//! Device discovery and library set-up compared with the system libpcap:
//! pcap_findalldevs (names, flags, descriptions, every address), lookupnet,
//! lookupdev, pcap_init, pcap_perror, pcap_set_protocol_linux,
//! pcap_get_required_select_timeout and the pcap_version data symbol.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use common::netns::{frame, ip, with_veth, Sender};
use common::{build_c, lib_dir, Against};

fn run(against: Against) -> (String, String) {
    let exe = build_c("devices", against, &[]);
    let lib = lib_dir();
    with_veth(move |v| {
        ip(&["addr", "add", "10.77.1.1/24", "dev", &v.a]);
        ip(&["addr", "add", "10.77.9.9/32", "peer", "10.77.9.10", "dev", &v.b]);
        let mut cmd = Command::new(&exe);
        cmd.args([&v.a, &v.b]).stdout(Stdio::piped()).stderr(Stdio::piped());
        if against == Against::Ringcap {
            cmd.env("LD_LIBRARY_PATH", &lib);
        }
        let mut child = cmd.spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut text = String::new();
        loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "ended early: {text}");
            text.push_str(&line);
            if line == "READY\n" {
                break;
            }
        }
        let tx = Sender::new(v.b_index);
        for i in 0..3 {
            tx.send(&frame(v.a_mac, v.b_mac, i, 64));
            let mut arp = frame(v.a_mac, v.b_mac, i, 64);
            arp[12..14].copy_from_slice(&[0x08, 0x06]);
            tx.send(&arp);
        }
        out.read_to_string(&mut text).unwrap();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert!(child.wait().unwrap().success());
        (text, err)
    })
    .expect("namespaces")
}

#[test]
fn devices_and_setup_match_libpcap() {
    let (sys, sys_err) = run(Against::System);
    let (ours, our_err) = run(Against::Ringcap);
    assert!(sys.contains("dev rca flags=0x"), "{sys}");
    assert!(sys.contains("protocol filter: arp=2 other=0"), "{sys}");
    let diff: Vec<String> =
        sys.lines().zip(ours.lines()).filter(|(a, b)| a != b).map(|(a, b)| format!("libpcap: {a}\nringcap: {b}")).collect();
    assert!(diff.is_empty(), "{}", diff.join("\n"));
    assert_eq!(ours.lines().count(), sys.lines().count());
    assert_eq!(our_err, sys_err);
}

//! The VLAN metadata path: on a live Linux handle libpcap compiles `vlan`
//! with the kernel's SKF_AD_VLAN_TAG_PRESENT/SKF_AD_VLAN_TAG loads (the tag
//! may have been stripped into metadata). Compare what the system libpcap
//! generates on a live veth in a private namespace with ringcap's compiler
//! (`linux_vlan_ancillary`), and with ringcap's own `pcap_compile` on a live
//! handle of the same interface.

mod common;
mod filter_support;

use std::io::Write;
use std::process::{Command, Stdio};

use common::Against;
use filter_support::Outcome;
use ringcap::filter::{compile, CompileOptions};

const EXPRS: &[&str] = &[
    "vlan",
    "vlan 100",
    "vlan and vlan",
    "vlan 100 and vlan 200",
    "vlan and ip",
    "vlan 10 and tcp port 80",
    "not vlan",
    "vlan or arp",
    "ip or vlan",
    "vlan and vlan and ip6",
    "vlan 4095 and host 10.0.0.1",
    "vlan and mpls and ip",
    "vlan and pppoes and ip",
    "ether host 00:11:22:33:44:55 and vlan",
    "tcp port 80",
];

fn run_live(exe: &std::path::Path, dev: &str, against: Against) -> Vec<String> {
    let mut cmd = Command::new(exe);
    cmd.arg(dev).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if against == Against::Ringcap {
        cmd.env("LD_LIBRARY_PATH", common::lib_dir());
    }
    let mut child = cmd.spawn().expect("start filter_live");
    let input: String = EXPRS.iter().map(|e| format!("{e}\n")).collect();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "filter_live ({against:?}): {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn vlan_metadata_code_matches_live_libpcap() {
    let system = common::build_c("filter_live", Against::System, &[]);
    let ringcap_exe = common::build_c("filter_live", Against::Ringcap, &[]);
    let res = common::netns::with_veth(move |v| {
        (run_live(&system, &v.a, Against::System), run_live(&ringcap_exe, &v.a, Against::Ringcap))
    });
    let Some((sys_lines, ring_lines)) = res else { return };
    assert_eq!(sys_lines[0], "DLT\t1\t262144");
    assert_eq!(ring_lines[0], sys_lines[0]);
    let mut compared = 0;
    for (i, e) in EXPRS.iter().enumerate() {
        for (j, optimize) in [false, true].into_iter().enumerate() {
            let k = 1 + 2 * i + j;
            let theirs = Outcome::parse(&sys_lines[k]);
            let opts = CompileOptions { linktype: 1, snaplen: 262144, optimize, netmask: 0, linux_vlan_ancillary: true };
            let ours = Outcome::of(&compile(e, &opts));
            assert_eq!(ours, theirs, "{e} optimize={optimize}: ringcap compiler vs live libpcap");
            assert_eq!(Outcome::parse(&ring_lines[k]), theirs, "{e} optimize={optimize}: ringcap pcap_compile on a live handle");
            compared += 1;
        }
    }
    // The metadata path really is taken: `vlan` loads SKF_AD_VLAN_TAG_PRESENT.
    let Outcome::Program { text, .. } = Outcome::parse(&sys_lines[1]) else { panic!("vlan compiled") };
    assert!(text.contains(&format!("48 0 0 {}", 0xffff_f030u32)), "vlan uses the VLAN metadata: {text}");
    let dead = CompileOptions { linktype: 1, snaplen: 262144, optimize: false, netmask: 0, linux_vlan_ancillary: false };
    assert_ne!(Outcome::of(&compile("vlan", &dead)), Outcome::parse(&sys_lines[1]));
    println!("filter_live_vlan: {compared} live-handle compiles identical (system libpcap, ringcap compiler, ringcap pcap_compile)");
}

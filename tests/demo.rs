//! The demo (examples/demo.c, built by `make demo` as scripts/demo.sh builds
//! it) on the veth pair of the test's own namespace, as scripts/demo.sh runs
//! it: one second of 64-byte and of 1500-byte frames. It must say
//! "demo OK", and its summary must add up: every frame sent is captured or
//! counted as dropped, every captured byte is what was sent (cut to the
//! demo's 128-byte snapshot length), and the savefile holds the first
//! packets, which the system's tcpdump reads too.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;

use common::netns::with_veth;
use common::{lib_dir, root};

fn demo() -> PathBuf {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        lib_dir();
        let st = Command::new("make").args(["-s", "demo"]).current_dir(root()).status().expect("run make demo");
        assert!(st.success(), "make demo failed");
    });
    root().join("target/demo/demo")
}

/// The numbers of the summary line that starts with `label`.
fn numbers(summary: &str, label: &str) -> Vec<u64> {
    let line = summary.lines().find(|l| l.trim_start().starts_with(label)).unwrap_or_else(|| panic!("no {label:?} in {summary}"));
    line.split(|c: char| !c.is_ascii_digit() && c != '.')
        .filter_map(|w| w.trim_matches('.').parse::<u64>().ok())
        .collect()
}

fn run_demo(size: u32) {
    let exe = demo();
    let save = root().join(format!("target/demo/test-{size}.pcap"));
    let _ = std::fs::remove_file(&save);
    let s = save.clone();
    let Some(out) = with_veth(move |v| {
        Command::new(&exe).args([&v.a, &v.b, "1", &size.to_string(), s.to_str().unwrap()]).output().expect("run the demo")
    }) else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{size}: {text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.trim_end().ends_with("demo OK"), "{text}");
    let summary = &text[text.find("\nsummary\n").expect("a summary")..];
    let sent = numbers(summary, "sent")[0];
    let captured = numbers(summary, "captured");
    let (packets, out_of_order, not_as_sent) = (captured[0], captured[1], captured[2]);
    let kernel = numbers(summary, "kernel counted");
    let (received, ring_drops) = (kernel[0], kernel[1]);
    let if_drops = numbers(summary, "interfaces")[0];
    let accounted = numbers(summary, "accounted");
    let savefile = numbers(summary, "savefile");
    let (wrote, back, good) = (savefile[savefile.len() - 3], savefile[savefile.len() - 2], savefile[savefile.len() - 1]);
    assert!(sent > 1000, "{size}: {summary}");
    assert!(packets > 0 && out_of_order == 0 && not_as_sent == 0, "{size}: {summary}");
    assert_eq!(packets + ring_drops + if_drops, sent, "{size}: {summary}");
    assert_eq!(accounted, [packets + ring_drops + if_drops, sent], "{size}: {summary}");
    assert!(received >= packets, "{size}: {summary}");
    assert_eq!(wrote, packets.min(10_000), "{size}: {summary}");
    assert_eq!((back, good), (wrote, wrote), "{size}: {summary}");
    // The savefile as libpcap (tcpdump) reads it: as many packets, each of
    // the frame's length, cut to 128 bytes.
    let o = Command::new("tcpdump").args(["-n", "-r", save.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let listing = String::from_utf8_lossy(&o.stdout);
    let want = format!("ethertype Unknown (0x88b5), length {size}");
    assert_eq!(listing.lines().filter(|l| l.contains(&want)).count() as u64, wrote, "{listing}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("snapshot length 128"));
}

#[test]
fn demo_with_64_byte_frames() {
    run_demo(64);
}

#[test]
fn demo_with_1500_byte_frames() {
    run_demo(1500);
}

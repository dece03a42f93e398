//! ringcap's sending extensions through the C ABI (c-tests/inject_ext.c):
//! `ringcap_inject_batch`, the WinPcap/Npcap send queue, and the TX options
//! on every kind of handle; the output must be exactly as expected and the
//! peer must receive every frame the program counted as sent, in order and
//! byte-exact, and no other.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::netns::{frame_seq, with_veth};
use common::{build_c, lib_dir, Against};
use ringcap::capture::{self, Options};
use ringcap::packet::{Breaker, PacketSource};

/// What inject_ext.c prints (stale error texts included: `pcap_geterr`
/// keeps the last error, as in libpcap). The 1024 x 100 ring is 25 blocks of
/// four frames; the lossy batch's 10-byte frame is discarded by the kernel,
/// so it is not counted as sent and has no timestamp; every frame sent has
/// a software stamp (hardware mode too: veth has no NIC clock); a 4096-byte
/// queue holds 33 records of 24 + 100.
const EXPECTED: &str = r#"ringcap_set_tx_ring(in, 2048, 0) = -1 [ringcap_set_tx_ring: frame size 2048 and frame count 0 must both be non-zero (or both 0 for no TX ring)]
ringcap_set_tx_ring(in, 1024, 100) = 0 [ringcap_set_tx_ring: frame size 2048 and frame count 0 must both be non-zero (or both 0 for no TX ring)]
ringcap_set_qdisc_bypass(in, 1) = 0 [ringcap_set_tx_ring: frame size 2048 and frame count 0 must both be non-zero (or both 0 for no TX ring)]
ringcap_set_tx_timestamps(in, 7) = -1 [ringcap_set_tx_timestamps: unknown mode 7]
ringcap_set_tx_timestamps(in, RINGCAP_TX_TSTAMP_SOFTWARE) = 0 [ringcap_set_tx_timestamps: unknown mode 7]
ringcap_set_tx_data_offset(in, 64) = 0 [ringcap_set_tx_timestamps: unknown mode 7]
ringcap_set_tx_loss(in, 1) = 0 [ringcap_set_tx_timestamps: unknown mode 7]
ringcap_set_tx_linear(in, 0) = 0 [ringcap_set_tx_timestamps: unknown mode 7]
ringcap_get_tx_ring(in, &fs, &fc) = -3 [This handle hasn't been activated yet]
ringcap_inject_batch(in, frames, 1) = -3 [This handle hasn't been activated yet]
ringcap_get_tx_timestamps(in, NULL, 0) = -3 [This handle hasn't been activated yet]
ringcap_get_tx_ring(in, &fs, &fc) = 0 [This handle hasn't been activated yet]
tx ring 1024 x 100
ringcap_set_tx_ring(in, 2048, 16) = -4 [ringcap_set_tx_ring: the kernel takes this option only before the TX ring exists; call it before pcap_activate]
ringcap_set_tx_data_offset(in, 0) = -4 [ringcap_set_tx_data_offset: the kernel takes this option only before the TX ring exists; call it before pcap_activate]
ringcap_set_tx_loss(in, 0) = -4 [ringcap_set_tx_loss: the kernel takes this option only before the TX ring exists; call it before pcap_activate]
ringcap_set_tx_linear(in, 1) = -4 [ringcap_set_tx_linear: the kernel takes this option only before the TX ring exists; call it before pcap_activate]
ringcap_inject_batch(in, frames, 4) = 3 [the kernel discarded frame 1 (10 bytes) as malformed (PACKET_LOSS); not sent]
skip 1
stamps = 3, software, on the wall clock, in order: 3
ringcap_set_tx_timestamps(in, RINGCAP_TX_TSTAMP_HARDWARE) = 0 [the kernel discarded frame 1 (10 bytes) as malformed (PACKET_LOSS); not sent]
ringcap_inject_batch(in, frames, 2) = 2 [the kernel discarded frame 1 (10 bytes) as malformed (PACKET_LOSS); not sent]
hardware mode: stamps = 2, sources 1 1
ringcap_set_tx_timestamps(in, RINGCAP_TX_TSTAMP_OFF) = 0 [the kernel discarded frame 1 (10 bytes) as malformed (PACKET_LOSS); not sent]
ringcap_inject_batch(in, frames, 2) = 2 [the kernel discarded frame 1 (10 bytes) as malformed (PACKET_LOSS); not sent]
ringcap_get_tx_timestamps(in, ts, 8) = 0 [the kernel discarded frame 1 (10 bytes) as malformed (PACKET_LOSS); not sent]
ringcap_set_qdisc_bypass(in, 0) = 0 [the kernel discarded frame 1 (10 bytes) as malformed (PACKET_LOSS); not sent]
ringcap_set_qdisc_bypass(dead, 1) = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_set_tx_ring(dead, 2048, 16) = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_inject_batch(dead, frames, 1) = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_get_tx_ring(dead, NULL, NULL) = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
NULL handle: -1 -1 -1 0
ringcap_get_tx_ring(p, &fs, &fc) = 0 []
default tx ring 2048 x 128
ringcap_inject_batch(p, frames, 0) = 0 []
ringcap_inject_batch(p, NULL, 3) = -1 [ringcap_inject_batch: frames is NULL (count 3)]
ringcap_inject_batch(p, frames, -1) = -1 [ringcap_inject_batch: count -1 is negative]
ringcap_inject_batch(p, frames, 500) = 500 [ringcap_inject_batch: count -1 is negative]
ringcap_inject_batch(p, frames, 5) = 3 [frame 3 has no bytes]
ringcap_inject_batch(p, frames, 5) = -1 [ringcap_inject_batch: frame 0 has a NULL data pointer]
ringcap_inject_batch(p, frames, 3) = 1 [send: Message too long: frame 1 is 1600 bytes, more than rcb's MTU 1500 + 14-byte link header]
queue maxlen=4096 len=0 buffer=set
queued 33 records, len=4092, next queue = -1
queue(NULL) = -1 -1
transmit = 4092 of 4092 []
sync transmit = 4092 of 4092, paced: yes
truncated queue: transmit = 104 of 198 [pcap_sendqueue_transmit: malformed send queue: a caplen of 80 past the end of the queue at byte 104]
malformed queue: transmit = 0 [pcap_sendqueue_transmit: malformed send queue (len 1001 of maxlen 1000)]
empty queue: transmit = 0
zero-size queue: maxlen=0 queue=-1
ringcap_inject_batch(any, frames, 1) = -1 [Sending packets isn't supported on the "any" device]
ringcap_get_tx_ring(any, &fs, &fc) = 0 [Sending packets isn't supported on the "any" device]
any tx ring 0 x 0
ringcap_set_qdisc_bypass(any, 1) = -1 [Sending packets isn't supported on the "any" device]
done, 579 frames
"#;

/// The frame inject_ext.c sends with sequence number `seq` (and `len` bytes).
fn expected_frame(seq: u32, len: usize) -> Vec<u8> {
    common::netns::frame([2, 0, 0, 0, 0, 0x0a], [2, 0, 0, 0, 0, 0x0b], seq, len)
}

#[test]
fn sending_extensions() {
    let exe = build_c("inject_ext", Against::Ringcap, &[]);
    let lib = lib_dir();
    with_veth(move |v| {
        let mut o = Options::new(&v.a);
        o.timeout_ms = 20;
        o.buffer_size = 16 << 20;
        let mut rx = capture::activate(o, Arc::new(Breaker::with_doorbell().unwrap())).unwrap().capture;
        let out = Command::new(&exe).arg(&v.b).env("LD_LIBRARY_PATH", &lib).output().expect("run inject_ext");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "inject_ext failed:\n{text}{}", String::from_utf8_lossy(&out.stderr));
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline {
            rx.dispatch(-1, &mut |_, d| {
                if frame_seq(d).is_some() {
                    got.push(d.to_vec());
                }
            })
            .unwrap();
        }
        let diff: Vec<String> = EXPECTED
            .lines()
            .zip(text.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("want: {a}\n got: {b}"))
            .collect();
        assert!(diff.is_empty() && EXPECTED.lines().count() == text.lines().count(), "{}\n{text}", diff.join("\n"));
        let n: u32 = text.lines().last().unwrap().strip_prefix("done, ").unwrap().strip_suffix(" frames").unwrap().parse().unwrap();
        let skips: Vec<u32> = text.lines().filter_map(|l| l.strip_prefix("skip ")).map(|s| s.parse().unwrap()).collect();
        let want: Vec<u32> = (0..n).filter(|s| !skips.contains(s)).collect();
        let seqs: Vec<u32> = got.iter().map(|d| frame_seq(d).unwrap()).collect();
        assert_eq!(seqs, want, "frames at the peer");
        for d in &got {
            let s = frame_seq(d).unwrap();
            assert_eq!(d, &expected_frame(s, d.len()), "bytes of frame {s}");
        }
        text
    });
}

//! pcap_breakloop from a thread, a signal handler and a callback; non-blocking
//! reads; re-entrant calls from callbacks; pcap_close from a callback — each
//! compared with the system libpcap where libpcap defines the behaviour.

mod common;

use common::netns::{frame, with_veth, Sender};
use common::{build_c, start_until_ready, Against};

fn run(against: Against, mode: &'static str, frames: usize) -> String {
    let exe = build_c("breakloop", against, &["-pthread"]);
    with_veth(move |v| {
        let started = start_until_ready(&exe, &[v.a.as_str(), mode], against);
        let tx = Sender::new(v.b_index);
        for i in 0..frames {
            tx.send(&frame(v.a_mac, v.b_mac, i as u32, 100));
        }
        started.finish().0
    })
    .expect("namespaces")
}

fn same(mode: &'static str, frames: usize, expect: &str) {
    let ours = run(Against::Ringcap, mode, frames);
    let sys = run(Against::System, mode, frames);
    assert_eq!(ours, sys, "{mode}: ringcap vs libpcap");
    assert!(ours.contains(expect), "{mode}: {ours}");
}

#[test]
fn breakloop_from_another_thread() {
    same("thread", 0, "loop=-2 count=0 prompt=1");
}

#[test]
fn breakloop_from_a_signal_handler() {
    same("signal", 0, "loop=-2 count=0 prompt=1");
}

#[test]
fn breakloop_from_a_callback() {
    same("callback", 40, "loop=-2 count=3");
}

#[test]
fn nonblocking_reads_return_at_once() {
    same("nonblock", 0, "dispatch=0 next_ex=0 prompt=1");
}

#[test]
fn calls_from_inside_a_callback() {
    same("reenter", 5, "loop=0 count=2");
}

#[test]
fn close_from_a_callback_stops_the_loop_safely() {
    // libpcap frees the handle under its own loop here (use after free);
    // ringcap ends the loop with -2 after that callback and frees afterwards.
    let out = run(Against::Ringcap, "close", 10);
    assert_eq!(out, "loop=-2 count=1\n");
}

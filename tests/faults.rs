//! Faults and misuse: no privilege, resource limits (huge buffers and
//! rings, RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_NOFILE), descriptor exhaustion
//! and leaks over thousands of handles, and misuse of the C ABI (NULL
//! handles and buffers, closed handles, double frees, bad programs, wrong
//! states, the extensions on every kind of handle).

mod common;

use std::process::Command;
use std::time::Duration;

use common::child::Driven;
use common::netns::{frame, with_veth, Sender};
use common::{build_c, lib_dir, run, Against};

#[test]
fn misuse_gets_documented_failures_not_crashes() {
    let exe = build_c("misuse", Against::Ringcap, &[]);
    let out = with_veth(move |_| run(&exe, &[], Against::Ringcap)).expect("namespaces");
    assert!(out.status.success(), "{:?}", out);
    let text = String::from_utf8(out.stdout).unwrap();
    let expected = "\
activate(NULL) = -1
set_snaplen(NULL) = -1
dispatch(NULL) = -1
loop(NULL) = -1
next_ex(NULL) = -1
next(NULL) = (nil)
stats(NULL) = -1
datalink(NULL) = -1
geterr(NULL) = (nil)
setfilter(NULL) = -1
compile(NULL) = -1
fileno(NULL) = -1
list_datalinks(NULL) = -1
getnonblock(NULL) = -1
findalldevs(NULL list) = -1 [pcap_findalldevs: the list pointer is NULL]
stats(p, NULL) = -1 [pcap_stats: the pcap_stat pointer is NULL]
next_ex(p, NULL, NULL) = -1 [pcap_next_ex: NULL header or data pointer]
dispatch(p, NULL callback) = -1 [pcap_dispatch: the callback is NULL]
setfilter(p, NULL) = -1 [setfilter: No filter specified]
compile(p, NULL) = -1 [pcap_compile: NULL struct bpf_program pointer]
list_datalinks(p, NULL) = -1 [pcap_list_datalinks: the list pointer is NULL]
after two freecodes: bf_len=0 bf_insns=(nil)
setfilter(bogus) = -1 [BPF program is not valid]
setfilter(no ret) = -1 [BPF program is not valid]
datalink(inactive) = -3
compile(inactive) = -1 [not-yet-activated pcap_t passed to pcap_compile]
set_promisc(active) = -4
survived
";
    let (generic, extensions) = text.split_at(text.find("ringcap_").unwrap_or(text.len()));
    let extensions = extensions.strip_suffix("survived\n").unwrap_or(extensions);
    assert_eq!(format!("{generic}survived\n"), expected);
    assert_eq!(extensions, EXTENSIONS_MISUSED);
}

/// Every ringcap_* extension on handles that are NULL (always -1 or NULL),
/// not activated (the setters' proper use: 0; the rest
/// PCAP_ERROR_NOT_ACTIVATED; the batch/ring/statistics calls leave the error
/// buffer alone, as libpcap's pcap_datalink does, as their documentation
/// says), dead and savefiles (the setters that need an inactive handle:
/// PCAP_ERROR_ACTIVATED as libpcap's pcap_set_* answer; the rest -1 with a
/// message; pcapng dumpers work, as pcap_dump_open does). What
/// c-tests/misuse.c prints after its libpcap-API part.
const EXTENSIONS_MISUSED: &str = "\
ringcap_next_batch(h, out, 4, 0) on NULL = -1 []
ringcap_release(h) on NULL = -1 []
ringcap_packet_meta(h) on NULL = NULL []
ringcap_dump_open_ng(h, path) on NULL = NULL []
ringcap_get_ring_info(h, &info) on NULL = -1 []
ringcap_stats_ex(h, &st) on NULL = -1 []
ringcap_inject_batch(h, &fr, 1) on NULL = -1 []
ringcap_get_tx_ring(h, &fsz, &fcnt) on NULL = -1 []
ringcap_get_tx_timestamps(h, ts, 2) on NULL = -1 []
ringcap_set_tpacket_version(h, 3) on NULL = -1 []
ringcap_set_ring_geometry(h, &g) on NULL = -1 []
ringcap_set_qdisc_bypass(h, 1) on NULL = -1 []
ringcap_set_tx_ring(h, 2048, 64) on NULL = -1 []
ringcap_set_tx_data_offset(h, 64) on NULL = -1 []
ringcap_set_tx_loss(h, 1) on NULL = -1 []
ringcap_set_tx_linear(h, 1) on NULL = -1 []
ringcap_set_tx_timestamps(h, RINGCAP_TX_TSTAMP_SOFTWARE) on NULL = -1 []
ringcap_next_batch(h, out, 4, 0) on inactive = -3 [This handle hasn't been activated yet]
ringcap_release(h) on inactive = -3 [This handle hasn't been activated yet]
ringcap_packet_meta(h) on inactive = NULL [This handle hasn't been activated yet]
ringcap_dump_open_ng(h, path) on inactive = NULL [/dev/null: not-yet-activated pcap_t passed to ringcap_dump_open_ng]
ringcap_get_ring_info(h, &info) on inactive = -3 [This handle hasn't been activated yet]
ringcap_stats_ex(h, &st) on inactive = -3 [This handle hasn't been activated yet]
ringcap_inject_batch(h, &fr, 1) on inactive = -3 [This handle hasn't been activated yet]
ringcap_get_tx_ring(h, &fsz, &fcnt) on inactive = -3 [This handle hasn't been activated yet]
ringcap_get_tx_timestamps(h, ts, 2) on inactive = -3 [This handle hasn't been activated yet]
ringcap_set_tpacket_version(h, 3) on inactive = 0 []
ringcap_set_ring_geometry(h, &g) on inactive = 0 []
ringcap_set_qdisc_bypass(h, 1) on inactive = 0 []
ringcap_set_tx_ring(h, 2048, 64) on inactive = 0 []
ringcap_set_tx_data_offset(h, 64) on inactive = 0 []
ringcap_set_tx_loss(h, 1) on inactive = 0 []
ringcap_set_tx_linear(h, 1) on inactive = 0 []
ringcap_set_tx_timestamps(h, RINGCAP_TX_TSTAMP_SOFTWARE) on inactive = 0 []
ringcap_next_batch(h, out, 4, 0) on dead = -1 [ringcap_next_batch: not a live capture]
ringcap_release(h) on dead = -1 [ringcap_release: not a live capture]
ringcap_packet_meta(h) on dead = NULL [ringcap_packet_meta: not a live capture]
ringcap_dump_open_ng(h, path) on dead = dumper []
ringcap_get_ring_info(h, &info) on dead = -1 [ringcap_get_ring_info: not a live capture]
ringcap_stats_ex(h, &st) on dead = -1 [ringcap_stats_ex: not a live capture]
ringcap_inject_batch(h, &fr, 1) on dead = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_get_tx_ring(h, &fsz, &fcnt) on dead = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_get_tx_timestamps(h, ts, 2) on dead = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_set_tpacket_version(h, 3) on dead = -4 [can't perform  operation on activated capture]
ringcap_set_ring_geometry(h, &g) on dead = -4 [can't perform  operation on activated capture]
ringcap_set_qdisc_bypass(h, 1) on dead = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_set_tx_ring(h, 2048, 64) on dead = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_set_tx_data_offset(h, 64) on dead = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_set_tx_loss(h, 1) on dead = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_set_tx_linear(h, 1) on dead = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_set_tx_timestamps(h, RINGCAP_TX_TSTAMP_SOFTWARE) on dead = -1 [Packets can't be sent on a pcap_open_dead pcap_t]
ringcap_next_batch(h, out, 4, 0) on offline = -1 [ringcap_next_batch: not a live capture]
ringcap_release(h) on offline = -1 [ringcap_release: not a live capture]
ringcap_packet_meta(h) on offline = NULL [ringcap_packet_meta: not a live capture]
ringcap_dump_open_ng(h, path) on offline = dumper []
ringcap_get_ring_info(h, &info) on offline = -1 [ringcap_get_ring_info: not a live capture]
ringcap_stats_ex(h, &st) on offline = -1 [ringcap_stats_ex: not a live capture]
ringcap_inject_batch(h, &fr, 1) on offline = -1 [Sending packets isn't supported on savefiles]
ringcap_get_tx_ring(h, &fsz, &fcnt) on offline = -1 [Sending packets isn't supported on savefiles]
ringcap_get_tx_timestamps(h, ts, 2) on offline = -1 [Sending packets isn't supported on savefiles]
ringcap_set_tpacket_version(h, 3) on offline = -4 [can't perform  operation on activated capture]
ringcap_set_ring_geometry(h, &g) on offline = -4 [can't perform  operation on activated capture]
ringcap_set_qdisc_bypass(h, 1) on offline = -1 [Sending packets isn't supported on savefiles]
ringcap_set_tx_ring(h, 2048, 64) on offline = -1 [Sending packets isn't supported on savefiles]
ringcap_set_tx_data_offset(h, 64) on offline = -1 [Sending packets isn't supported on savefiles]
ringcap_set_tx_loss(h, 1) on offline = -1 [Sending packets isn't supported on savefiles]
ringcap_set_tx_linear(h, 1) on offline = -1 [Sending packets isn't supported on savefiles]
ringcap_set_tx_timestamps(h, RINGCAP_TX_TSTAMP_SOFTWARE) on offline = -1 [Sending packets isn't supported on savefiles]
";

/// Run a program with CAP_NET_RAW (and CAP_NET_ADMIN) removed from its
/// bounding set, so it runs as root without the right to open packet sockets.
fn without_net_raw(exe: std::path::PathBuf, dev: &str, against: Against) -> String {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--bounding-set=-net_raw,-net_admin", "--inh-caps=-all"]).arg(&exe).arg(dev);
    if against == Against::Ringcap {
        cmd.env("LD_LIBRARY_PATH", lib_dir());
    }
    let out = cmd.output().expect("setpriv (util-linux)");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn no_privilege_matches_libpcap() {
    let sys_exe = build_c("noperm", Against::System, &[]);
    let our_exe = build_c("noperm", Against::Ringcap, &[]);
    let (sys, ours) = with_veth(move |v| {
        (without_net_raw(sys_exe, &v.a, Against::System), without_net_raw(our_exe, &v.a, Against::Ringcap))
    })
    .expect("namespaces");
    assert!(sys.contains("activate = -8"), "libpcap refused with PERM_DENIED:\n{sys}");
    assert_eq!(ours, sys);
}

#[test]
fn thousands_of_handles_leak_nothing_and_fd_exhaustion_is_an_error() {
    let exe = build_c("leaks", Against::Ringcap, &["-pthread"]);
    // Valgrind runs one thread at a time, so the kernel's grace periods at
    // each ring setup and close no longer overlap: fewer handles there.
    let valgrind = std::env::var("RINGCAP_CHECK").as_deref() == Ok("valgrind");
    let handles = if valgrind { "200" } else { "2000" };
    let out = with_veth(move |v| run(&exe, &[&v.a, handles], Against::Ringcap)).expect("namespaces");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&format!("fds unchanged, maps unchanged after {handles} handles")), "{text}");
    // Either step may be the one to run out: pcap_create (its ethtool socket,
    // as in libpcap) or pcap_activate (the packet socket). Valgrind keeps
    // descriptors of its own and does not let the program's limit bite.
    if !valgrind {
        assert!(text.contains("out of descriptors after some handles: ") && text.contains("Too many open files]"), "{text}");
    }
    assert!(text.contains("after closing them: activate = 0"), "{text}");
}

/// Run c-tests/bad_program.c (in `mode`, if given) against one library;
/// its output and exit status.
fn bad_program(against: Against, mode: Option<&'static str>) -> std::process::Output {
    let exe = build_c("bad_program", against, &[]);
    let scratch = std::env::temp_dir().join(format!("ringcap-bad-program-{}-{}.pcap", against.tag(), std::process::id()));
    let out = with_veth(move |v| {
        let mut args = vec![v.a.as_str(), scratch.to_str().unwrap()];
        args.extend(mode);
        let out = run(&exe, &args, against);
        let _ = std::fs::remove_file(&scratch);
        out
    })
    .expect("namespaces");
    out
}

/// Bad `struct bpf_program` values: ringcap answers each exactly as libpcap
/// does (refused with "BPF program is not valid", or accepted as the
/// shorter program bf_len describes), on live and savefile handles.
#[test]
fn bad_programs_are_refused_as_libpcap_refuses_them() {
    let sys = bad_program(Against::System, None);
    let ours = bad_program(Against::Ringcap, None);
    assert!(sys.status.success(), "{sys:?}");
    assert!(ours.status.success(), "{ours:?}");
    let (sys, ours) = (String::from_utf8(sys.stdout).unwrap(), String::from_utf8(ours.stdout).unwrap());
    assert!(sys.contains("bf_len 1 ending in a ret: live=0 [] file=0 [] offline_filter=0\n"), "{sys}");
    assert!(sys.contains("the whole 'udp': live=0 [] file=0 [] offline_filter=0\n"), "{sys}");
    assert!(sys.contains("after two pcap_freecode: bf_len=0 bf_insns=NULL\n"), "{sys}");
    assert!(sys.contains("unknown opcode: live=0 [] file=0 []\n"), "{sys}");
    assert_eq!(sys.matches("[BPF program is not valid]").count(), 2 * 8, "{sys}");
    assert_eq!(ours, sys);
}

/// A bad program that makes libpcap die of `signal` in `mode` of
/// c-tests/bad_program.c; ringcap must print `expected` instead.
fn crashes_libpcap_not_ringcap(mode: &'static str, signal: i32, expected: &str) {
    use std::os::unix::process::ExitStatusExt;
    let sys = bad_program(Against::System, Some(mode));
    assert_eq!(sys.status.signal(), Some(signal), "libpcap: {sys:?}");
    let ours = bad_program(Against::Ringcap, Some(mode));
    assert!(ours.status.success(), "{ours:?}");
    assert_eq!(String::from_utf8(ours.stdout).unwrap(), expected);
}

/// A program whose bf_insns is NULL with a bf_len: libpcap's validator reads
/// through the NULL pointer and the process dies of SIGSEGV; ringcap
/// refuses it (pcap_setfilter -1 with libpcap's message, bpf_validate 0).
#[test]
fn null_instructions_crash_libpcap_and_are_refused_by_ringcap() {
    crashes_libpcap_not_ringcap(
        "null",
        libc::SIGSEGV,
        "NULL bf_insns, bf_len 5: live=-1 [BPF program is not valid] file=-1 [BPF program is not valid]\nbpf_validate(NULL, 5) = 0\n",
    );
}

/// A program with an unknown BPF_MISC opcode passes libpcap's validator (and
/// ringcap's, which matches it); run with pcap_offline_filter, libpcap's
/// interpreter calls abort(); ringcap's rejects the packet (0).
#[test]
fn unknown_opcode_aborts_libpcap_and_is_rejected_by_ringcap() {
    crashes_libpcap_not_ringcap("badop", libc::SIGABRT, "unknown opcode: live=0 [] file=0 [] offline_filter=0\n");
}

/// Run c-tests/limits.c in `mode` against one library on a fresh veth
/// pair; the harness sends three test frames once it is READY (modes that
/// capture read them back). Its whole output.
fn limits(against: Against, mode: &'static str) -> String {
    let exe = build_c("limits", against, &[]);
    // The same path for both libraries: it appears in their messages.
    let scratch = std::env::temp_dir().join(format!("ringcap-limits-{mode}-{}.pcap", std::process::id()));
    let out = with_veth(move |v| {
        let mut d = Driven::spawn(&exe, &[&v.a, mode, scratch.to_str().unwrap()], against);
        if mode != "huge" {
            // A 2 GiB ring takes the kernel a while to allocate and clear.
            d.expect_line(Duration::from_secs(60), "READY");
            let tx = Sender::new(v.b_index);
            for i in 0..3 {
                tx.send(&frame(v.a_mac, v.b_mac, i, 100));
            }
        }
        let out = d.finish(Duration::from_secs(60)).0;
        let _ = std::fs::remove_file(&scratch);
        out
    })
    .expect("namespaces");
    out
}

/// Both libraries' outputs for `mode` (ringcap's '#' lines kept apart),
/// checked equal; returns (libpcap's output, ringcap's '#' lines).
fn limits_compared(mode: &'static str) -> (String, String) {
    let sys = limits(Against::System, mode);
    let ours = limits(Against::Ringcap, mode);
    let (ours, figures): (Vec<&str>, Vec<&str>) = ours.lines().partition(|l| !l.starts_with('#'));
    assert_eq!(ours.join("\n") + "\n", sys, "{mode}: ringcap vs libpcap");
    (sys, figures.join("\n"))
}

fn sanitizer() -> Option<String> {
    std::env::var("RINGCAP_CHECK").ok()
}

/// pcap_set_buffer_size(INT_MAX): this kernel allocates the whole ~2 GiB
/// ring (it has no limit below the machine's memory, and the ENOMEM shrink
/// does not come into play), for libpcap and ringcap alike, and capture
/// works. (The two run one after the other: 2 GiB of kernel memory each.)
#[test]
fn a_2_gib_buffer_is_allocated_whole() {
    let (sys, figures) = limits_compared("bigbuf");
    assert_eq!(sys, "activate = 0 []\nREADY\ncaptured 3\n");
    let ring: u64 = figures.strip_prefix("# ring of ").and_then(|s| s.strip_suffix(" bytes")).unwrap().parse().unwrap();
    assert!(ring >= i32::MAX as u64 - (4 << 20) && ring < (i32::MAX as u64) + (4 << 20), "ringcap's ring: {ring} bytes");
}

/// RLIMIT_MEMLOCK 0: packet rings are not locked memory (the kernel maps
/// its own pages), so activation and capture work for both libraries.
#[test]
fn memlock_limit_zero_does_not_matter() {
    let (sys, _) = limits_compared("memlock");
    assert_eq!(sys, "setrlimit(RLIMIT_MEMLOCK, 0) = 0\nactivate = 0 []\nREADY\ncaptured 3\n");
}

/// RLIMIT_AS too small for the ring: the kernel builds it (its memory is
/// not the process's), mapping it fails; both libraries report it with the
/// same code and message. Not under the sanitizers: AddressSanitizer
/// reserves terabytes of address space and valgrind keeps its own.
#[test]
fn address_space_limit_fails_the_mapping_with_libpcap_message() {
    if sanitizer().is_some() {
        return;
    }
    let (sys, _) = limits_compared("as");
    assert_eq!(sys, "setrlimit(RLIMIT_AS) = 0\nREADY\nactivate = -1 [can't mmap rx ring: Cannot allocate memory]\n");
}

/// RLIMIT_NOFILE exhausted: pcap_open_offline, pcap_dump_open and
/// pcap_create fail with libpcap's messages (and nothing crashes); once the
/// limit goes up, all of them work and capture does. Not under valgrind,
/// which keeps descriptors of its own and does not let the limit bite.
#[test]
fn descriptor_exhaustion_fails_savefile_calls_with_libpcap_messages() {
    if sanitizer().as_deref() == Some("valgrind") {
        return;
    }
    let (sys, _) = limits_compared("nofile");
    assert!(sys.contains("open_offline = NULL [") && sys.contains(": Too many open files]\ndump_open = NULL ["), "{sys}");
    assert!(sys.ends_with("open_offline after = handle []\ndump_open after = dumper []\nactivate = 0 []\nREADY\ncaptured 3\n"), "{sys}");
}

/// Explicit ring geometries the kernel cannot have are refused with the
/// constraint named, before the kernel is asked: more blocks than its block
/// vector holds, and a 2 TiB ring, which the kernel would try to allocate
/// block by block until the machine ran out of memory.
#[test]
fn impossible_explicit_rings_are_refused_up_front() {
    let out = limits(Against::Ringcap, "huge");
    let memory = ringcap::sys::physical_memory();
    assert_eq!(
        out,
        format!(
            "set(4 MiB x 2^20) = -1 [ringcap_set_ring_geometry: ring geometry: 1048576 blocks exceed the kernel's block vector limit of 524288]\n\
             set(4 MiB x 2^19) = -1 [ringcap_set_ring_geometry: ring geometry: a ring of 2199023255552 bytes does not fit in this machine's {memory} bytes of memory]\n"
        )
    );
}

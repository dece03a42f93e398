//! PACKET_FANOUT groups through the core API on veth pairs in private
//! namespaces: a group of three handles receives every frame sent exactly
//! once in total, for every mode (HASH keeps each flow on one member, LB
//! spreads evenly, CPU follows the sending CPU, QM keeps one queue on one
//! member, ROLLOVER and HASH|ROLLOVER move on when a member's ring is full
//! without a drop, CBPF and EBPF go where the program says); UNIQUEID
//! assigns an id a second handle joins; IGNORE_OUTGOING; and every refusal
//! with its exact message.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::netns::{udp_frame, udp_frame_fields as parse, with_veth, Sender, Veth};
use ringcap::bpf::insn::{BPF_A, BPF_ABS, BPF_B, BPF_K, BPF_LD, BPF_RET};
use ringcap::bpf::Insn;
use ringcap::capture::fanout::{FanoutSpec, Flags, Mode, Program};
use ringcap::capture::{self, LiveCapture, Options};
use ringcap::packet::{Breaker, PacketSource};
use ringcap::ring::Version;

const N: u32 = 3000;
const FLOWS: u32 = 64;

fn try_open(dev: &str, f: impl FnOnce(&mut Options)) -> ringcap::Result<LiveCapture> {
    let mut o = Options::new(dev);
    o.timeout_ms = 20;
    o.buffer_size = 8 << 20;
    f(&mut o);
    capture::activate(o, Arc::new(Breaker::with_doorbell().unwrap())).map(|a| a.capture)
}

fn spec(mode: Mode, id: u16, flags: Flags) -> FanoutSpec {
    FanoutSpec::new(mode, id, flags).unwrap()
}

/// `n` handles on `dev`, each joined to `s` at activation.
fn group(dev: &str, s: &FanoutSpec, n: usize) -> Vec<LiveCapture> {
    (0..n).map(|_| try_open(dev, |o| o.fanout = Some(s.clone())).expect("activate a member")).collect()
}

/// Send frames `first..first + n` of FLOWS flows, tagged by `tag(seq)`.
fn send(v: &Veth, first: u32, n: u32, tag: impl Fn(u32) -> u8) {
    let tx = Sender::new(v.b_index);
    for seq in first..first + n {
        tx.send_retry(&udp_frame(v, seq, seq % FLOWS, tag(seq)));
    }
}

/// What each member captured (test frames only), reading them in turn
/// until `want` arrived in total or 10 s passed, then 200 ms more so that
/// a duplicate would show.
fn collect(members: &mut [LiveCapture], want: usize) -> Vec<Vec<(u32, u32, u8)>> {
    let mut got = vec![Vec::new(); members.len()];
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut linger = None;
    loop {
        for (i, m) in members.iter_mut().enumerate() {
            m.dispatch(-1, &mut |_, d| got[i].extend(parse(d))).expect("dispatch");
        }
        let total: usize = got.iter().map(Vec::len).sum();
        let now = Instant::now();
        if total >= want && linger.is_none() {
            linger = Some(now + Duration::from_millis(200));
        }
        if linger.is_some_and(|l| now >= l) || now >= deadline {
            return got;
        }
    }
}

/// Every sequence number in `range` exactly once over all members.
fn assert_exactly_once(got: &[Vec<(u32, u32, u8)>], range: std::ops::Range<u32>, what: &str) {
    let total: usize = got.iter().map(Vec::len).sum();
    let counts: Vec<usize> = got.iter().map(Vec::len).collect();
    assert_eq!(total, range.len(), "{what}: frames captured in total (per member {counts:?})");
    let seqs: BTreeSet<u32> = got.iter().flatten().map(|f| f.0).collect();
    assert_eq!(seqs.len(), total, "{what}: no frame twice");
    assert_eq!(seqs, range.collect::<BTreeSet<u32>>(), "{what}: the frames sent");
}

fn drops(members: &[LiveCapture]) -> u32 {
    members.iter().map(|m| m.shared().pcap_stats().unwrap().drop).sum()
}

/// A group of three where `mode` delivers every frame exactly once; the
/// per-member frames are returned for mode-specific checks.
fn three_members(mode: Mode, flags: Flags) -> Vec<Vec<(u32, u32, u8)>> {
    with_veth(move |v| {
        let mut m = group(&v.a, &spec(mode, 7, flags), 3);
        send(v, 0, N, |_| 0);
        let got = collect(&mut m, N as usize);
        assert_exactly_once(&got, 0..N, mode.name());
        assert_eq!(drops(&m), 0, "{mode}: kernel drops");
        got
    })
    .expect("namespaces")
}

#[test]
fn hash_keeps_each_flow_on_one_member() {
    let got = three_members(Mode::Hash, Flags::NONE);
    let mut owner: BTreeMap<u32, BTreeSet<usize>> = BTreeMap::new();
    for (i, frames) in got.iter().enumerate() {
        for f in frames {
            owner.entry(f.1).or_default().insert(i);
        }
    }
    assert_eq!(owner.len(), FLOWS as usize);
    for (flow, members) in &owner {
        assert_eq!(members.len(), 1, "flow {flow} went to members {members:?}");
    }
    assert!(got.iter().all(|g| !g.is_empty()), "64 flows hash onto every member: {:?}", got.iter().map(Vec::len).collect::<Vec<_>>());
}

#[test]
fn lb_spreads_evenly() {
    let got = three_members(Mode::Lb, Flags::NONE);
    for (i, g) in got.iter().enumerate() {
        let share = g.len() as i64 - (N / 3) as i64;
        assert!(share.abs() <= (N / 100) as i64, "member {i} got {} of {N}", g.len());
    }
}

#[test]
fn rnd_and_qm_deliver_exactly_once() {
    let got = three_members(Mode::Rnd, Flags::NONE);
    assert!(got.iter().all(|g| !g.is_empty()), "random spreads over all members");
    // One sender, one queue: one member gets everything.
    let got = three_members(Mode::Qm, Flags::DEFRAG);
    assert_eq!(got.iter().filter(|g| !g.is_empty()).count(), 1, "{:?}", got.iter().map(Vec::len).collect::<Vec<_>>());
}

/// The CPUs this thread may run on.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: passes the set's exact size.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    assert_eq!(rc, 0, "sched_getaffinity");
    // SAFETY: reads the set filled above.
    (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) }).collect()
}

fn pin_to(cpu: usize) {
    // SAFETY: as in allowed_cpus.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` < CPU_SETSIZE.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: passes the set's exact size; pins the calling thread only.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    assert_eq!(rc, 0, "sched_setaffinity({cpu})");
}

/// With veth, the receive path runs on the sending CPU: frames sent from
/// CPU c go to member c mod 3.
#[test]
fn cpu_mode_follows_the_sending_cpu() {
    with_veth(|v| {
        let cpus = allowed_cpus();
        let mut m = group(&v.a, &spec(Mode::Cpu, 8, Flags::NONE), 3);
        let per = 500;
        for (k, &cpu) in cpus.iter().take(3).enumerate() {
            pin_to(cpu);
            send(v, k as u32 * per, per, |_| cpu as u8);
        }
        let sent = cpus.len().min(3) as u32 * per;
        let got = collect(&mut m, sent as usize);
        assert_exactly_once(&got, 0..sent, "cpu");
        for (i, g) in got.iter().enumerate() {
            for f in g {
                assert_eq!(f.2 as usize % 3, i, "frame {} sent on CPU {} went to member {i}", f.0, f.2);
            }
        }
    })
    .expect("namespaces");
}

/// Member 0 has a small ring and reads nothing while the frames arrive;
/// the kernel moves what does not fit on to the other members, and nothing
/// is dropped.
fn rollover_case(mode: Mode, flags: Flags, small: impl FnOnce(&mut Options) + Send + 'static) {
    with_veth(move |v| {
        let s = spec(mode, 9, flags);
        let mut m = vec![try_open(&v.a, |o| {
            o.fanout = Some(s.clone());
            small(o);
        })
        .unwrap()];
        m.extend(group(&v.a, &s, 2));
        send(v, 0, N, |_| 0);
        let got = collect(&mut m, N as usize);
        let what = format!("{mode} flags {flags}");
        assert_exactly_once(&got, 0..N, &what);
        let counts: Vec<usize> = got.iter().map(Vec::len).collect();
        assert!(counts[0] > 0 && counts[0] < N as usize / 3, "{what}: the small member filled up and no more: {counts:?}");
        assert_eq!(drops(&m), 0, "{what}: kernel drops ({counts:?})");
        let moved = m[0].shared().sock.rollover_stats().expect("PACKET_ROLLOVER_STATS");
        if mode == Mode::Rollover {
            // Rollover mode counts every pick it makes on the first member.
            assert_eq!(moved.moved, N as u64, "{what}: {moved:?}");
        } else {
            // The flag counts the packets moved away from their member.
            assert!(moved.moved > 0 && moved.moved < N as u64, "{what}: {moved:?} ({counts:?})");
        }
        assert_eq!(moved.failed, 0, "{what}: every move found room");
    })
    .expect("namespaces");
}

#[test]
fn rollover_moves_on_when_a_ring_is_full() {
    // 8 blocks of 4 KiB: about 150 of these frames.
    rollover_case(Mode::Rollover, Flags::NONE, |o| {
        o.ring.block_size = 4096;
        o.ring.block_nr = 8;
    });
}

#[test]
fn hash_with_rollover_flag_moves_on_when_a_ring_is_full() {
    // The flag keeps a packet on its member while the current block or
    // frame is free; in a V3 ring a block with too little space left would
    // drop the packet that does not fit, so the small member uses a V2
    // frame ring, where "free" means "fits".
    rollover_case(Mode::Hash, Flags::ROLLOVER, |o| {
        o.tpacket_version = Some(Version::V2);
        o.ring.block_size = 4096;
        o.ring.block_nr = 16;
    });
}

/// `ld [k]; ret a`: the member is the byte at `k` (from the network
/// header: the kernel runs fanout programs before it pushes the link-layer
/// header back).
fn byte_picker(k: u32) -> Vec<Insn> {
    vec![Insn::stmt(BPF_LD | BPF_B | BPF_ABS, k), Insn::stmt(BPF_RET | BPF_A, 0)]
}

#[test]
fn cbpf_picks_the_member_the_program_chooses() {
    with_veth(|v| {
        let s = spec(Mode::Cbpf, 10, Flags::NONE).with_program(Program::Cbpf(byte_picker(40))).unwrap();
        // The first member sets the program at activation; the others join
        // without one (it is the group's).
        let mut m = vec![try_open(&v.a, |o| o.fanout = Some(s)).unwrap()];
        m.extend(group(&v.a, &spec(Mode::Cbpf, 10, Flags::NONE), 2));
        send(v, 0, N, |seq| (seq % 7) as u8);
        let got = collect(&mut m, N as usize);
        assert_exactly_once(&got, 0..N, "cbpf");
        for (i, g) in got.iter().enumerate() {
            assert!(g.iter().all(|f| f.2 as usize % 3 == i), "member {i} got only frames tagged {i} mod 3");
        }
        // A new program from another member changes the choice for all.
        let ret2 = vec![Insn::stmt(BPF_RET | BPF_K, 2)];
        m[1].shared().set_fanout_program(&Program::Cbpf(ret2)).unwrap();
        send(v, N, 300, |_| 0);
        let got = collect(&mut m, 300);
        assert_exactly_once(&got, N..N + 300, "cbpf after a new program");
        assert_eq!(got[2].len(), 300);
    })
    .expect("namespaces");
}

/// bpf(BPF_PROG_LOAD) of a socket filter `r0 = ret; exit`.
fn load_ebpf_returning(ret: i32) -> std::io::Result<OwnedFd> {
    let mut insns = [0u8; 16];
    insns[0] = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K, dst r0
    insns[4..8].copy_from_slice(&ret.to_le_bytes());
    insns[8] = 0x95; // BPF_JMP | BPF_EXIT
    let license = b"GPL\0";
    // union bpf_attr, BPF_PROG_LOAD: prog_type, insn_cnt, insns, license.
    let mut attr = [0u8; 128];
    attr[0..4].copy_from_slice(&1u32.to_ne_bytes()); // BPF_PROG_TYPE_SOCKET_FILTER
    attr[4..8].copy_from_slice(&2u32.to_ne_bytes());
    attr[8..16].copy_from_slice(&(insns.as_ptr() as u64).to_ne_bytes());
    attr[16..24].copy_from_slice(&(license.as_ptr() as u64).to_ne_bytes());
    // SAFETY: `attr` is a bpf_attr of its full size whose pointers refer to
    // live buffers for the duration of the call.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, 5 /* BPF_PROG_LOAD */, attr.as_ptr(), attr.len()) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a new descriptor the kernel just gave us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Whether this is root of the initial user namespace (not the fake root
/// of `unshare -Ur`, whose uid 0 maps to another uid outside).
fn real_root() -> bool {
    let map = std::fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
    let first: Vec<&str> = map.split_whitespace().take(2).collect();
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    euid == 0 && first == ["0", "0"]
}

#[test]
fn ebpf_picks_the_member_the_program_chooses() {
    with_veth(|v| {
        let prog = match load_ebpf_returning(1) {
            Ok(p) => p,
            Err(e) => {
                // Only an unprivileged run (unshare -Urn) may lack bpf();
                // CI runs as root, where it must work.
                assert!(std::env::var_os("CI").is_none() && !real_root(), "bpf(BPF_PROG_LOAD) failed as root: {e}");
                assert!(matches!(e.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES)), "bpf() refused with {e}");
                eprintln!("SKIP ebpf: bpf(BPF_PROG_LOAD) refused without privileges: {e}");
                return;
            }
        };
        let s = spec(Mode::Ebpf, 11, Flags::NONE);
        let mut m = group(&v.a, &s, 3);
        m[0].shared().set_fanout_program(&Program::Ebpf(Arc::new(prog))).unwrap();
        send(v, 0, N, |_| 0);
        let got = collect(&mut m, N as usize);
        assert_exactly_once(&got, 0..N, "ebpf");
        assert_eq!(got[1].len(), N as usize, "every frame goes to member 1");
        // A descriptor that is not a BPF program, and a program given to a
        // member of another mode.
        let not_bpf = Program::Ebpf(Arc::new(std::fs::File::open("/dev/null").unwrap().into()));
        let e = m[2].shared().set_fanout_program(&not_bpf).unwrap_err();
        assert_eq!(e.message, "can't set the program of fanout group 11: the descriptor is not a BPF_PROG_TYPE_SOCKET_FILTER program: Invalid argument");
    })
    .expect("namespaces");
}

#[test]
fn uniqueid_assigns_an_id_another_handle_joins() {
    with_veth(|v| {
        let first = try_open(&v.a, |o| o.fanout = Some(spec(Mode::Lb, 0, Flags::UNIQUEID))).unwrap();
        let g = first.shared().fanout.group().expect("in a group");
        assert_eq!(g.mode, Mode::Lb);
        assert_eq!(g.flags, Flags::NONE, "uniqueid only asked for the id");
        assert_eq!(first.shared().sock.fanout().unwrap() & 0xffff, g.id as u32, "the kernel's id");
        // Joined after activation, with the id and without the flag.
        let second = try_open(&v.a, |_| {}).unwrap();
        assert_eq!(second.join_fanout(&spec(Mode::Lb, g.id, Flags::NONE)).unwrap(), g.id);
        // Another uniqueid group gets another id.
        let other = try_open(&v.a, |o| o.fanout = Some(spec(Mode::Lb, 0, Flags::UNIQUEID))).unwrap();
        assert_ne!(other.shared().fanout.group_id().unwrap(), g.id);
        drop(other);
        let mut m = vec![first, second];
        send(v, 0, 1000, |_| 0);
        let got = collect(&mut m, 1000);
        assert_exactly_once(&got, 0..1000, "uniqueid group");
        assert_eq!((got[0].len(), got[1].len()), (500, 500), "round robin over the two");
    })
    .expect("namespaces");
}

/// Frames sent from the capturing device reach a group only without
/// IGNORE_OUTGOING; frames arriving reach both.
#[test]
fn ignore_outgoing_leaves_out_what_the_host_sends() {
    with_veth(|v| {
        let mut ignoring = group(&v.b, &spec(Mode::Hash, 12, Flags::IGNORE_OUTGOING), 1);
        let mut seeing = group(&v.b, &spec(Mode::Hash, 13, Flags::NONE), 1);
        send(v, 0, 200, |_| 0); // out of rcb
        let rx = Sender::new(v.a_index);
        for seq in 200..300 {
            rx.send_retry(&udp_frame(v, seq, seq % FLOWS, 0)); // into rcb
        }
        let seen = collect(&mut seeing, 300);
        assert_exactly_once(&seen, 0..300, "without the flag");
        let ignored = collect(&mut ignoring, 100);
        assert_exactly_once(&ignored, 200..300, "with IGNORE_OUTGOING");
    })
    .expect("namespaces");
}

#[test]
fn refusals_name_what_differs() {
    with_veth(|v| {
        let a = try_open(&v.a, |o| o.fanout = Some(spec(Mode::Hash, 77, Flags::NONE))).unwrap();
        let b = try_open(&v.a, |o| o.fanout = Some(spec(Mode::Hash, 77, Flags::NONE))).unwrap();
        let err = |dev: &str, s: FanoutSpec, f: fn(&mut Options)| {
            try_open(dev, |o| {
                o.fanout = Some(s);
                f(o);
            })
            .unwrap_err()
            .message
        };
        assert_eq!(
            err(&v.a, spec(Mode::Lb, 77, Flags::NONE), |_| {}),
            "fanout group 77 exists with mode hash; this handle asked for lb: Invalid argument"
        );
        assert_eq!(
            err(&v.a, spec(Mode::Hash, 77, Flags::DEFRAG), |_| {}),
            "fanout group 77 exists with flags none; this handle asked for defrag: Invalid argument"
        );
        assert_eq!(
            err(&v.b, spec(Mode::Hash, 77, Flags::NONE), |_| {}),
            "fanout group 77 is on device rca; this handle captures on rcb: Invalid argument"
        );
        assert_eq!(
            err(&v.a, spec(Mode::Hash, 77, Flags::NONE), |o| o.protocol = 0x0800),
            "fanout group 77 captures all protocols; this handle captures protocol 0x0800: Invalid argument"
        );
        let e = a.join_fanout(&spec(Mode::Hash, 78, Flags::NONE)).unwrap_err();
        assert_eq!(
            e.message,
            "this handle is already in fanout group 77 (mode hash, flags none); a socket joins one group and stays in it until it closes: Operation already in progress"
        );
        assert_eq!(e.code, ringcap::error::code::ERROR);
        let e = a.shared().set_fanout_program(&Program::Cbpf(byte_picker(0))).unwrap_err();
        assert_eq!(e.message, "fanout group 77 has mode hash; a CBPF program applies to mode cbpf only");
        let lone = try_open(&v.a, |_| {}).unwrap();
        let e = lone.shared().set_fanout_program(&Program::Cbpf(byte_picker(0))).unwrap_err();
        assert_eq!(e.message, "this handle is in no fanout group; a CBPF program needs a cbpf group joined first");
        assert_eq!(lone.shared().fanout.group_id().unwrap_err().message, "this handle is in no fanout group");
        let e = FanoutSpec::new(Mode::Hash, 5, Flags::UNIQUEID).unwrap_err();
        assert_eq!(e.message, "fanout flag uniqueid asks the kernel to assign the group id, so the group id must be 0, not 5");

        // The group outlives one member, and goes with the last.
        drop(a);
        assert!(err(&v.a, spec(Mode::Lb, 77, Flags::NONE), |_| {}).starts_with("fanout group 77 exists with mode hash"));
        drop(b);
        let c = try_open(&v.a, |o| o.fanout = Some(spec(Mode::Lb, 77, Flags::NONE))).expect("group 77 is gone: a new one");
        assert_eq!(c.shared().fanout.group_id().unwrap(), 77);

        // A group made outside this process's handles: the possibilities.
        let raw = ringcap::ring::PacketSocket::open(ringcap::sys::socket::PacketKind::Raw).unwrap();
        raw.bind(v.a_index, (libc::ETH_P_ALL as u16).to_be()).unwrap();
        raw.join_fanout(spec(Mode::Rnd, 99, Flags::NONE).arg()).unwrap();
        assert_eq!(
            err(&v.a, spec(Mode::Hash, 99, Flags::NONE), |_| {}),
            "fanout group 99 exists in this network namespace, made outside this process's ringcap handles, and refuses this handle \
             (mode hash, flags none, device rca, all protocols): its mode or flags differ, it is on another device, or it captures another protocol: Invalid argument"
        );
    })
    .expect("namespaces");
}

/// Group ids are per network namespace: the same id in two namespaces is
/// two groups, and the record of one does not explain the other.
#[test]
fn groups_are_per_namespace() {
    let id = with_veth(|v| {
        let m = try_open(&v.a, |o| o.fanout = Some(spec(Mode::Hash, 500, Flags::NONE))).unwrap();
        // Another namespace, while this member lives.
        let other = with_veth(|v| {
            let c = try_open(&v.a, |o| o.fanout = Some(spec(Mode::Lb, 500, Flags::NONE))).expect("group 500 of another namespace");
            c.shared().fanout.group_id().unwrap()
        });
        drop(m);
        other
    });
    assert_eq!(id.flatten(), Some(500));
}

/// The kernel takes 256 members per group (joined with the plain integer
/// argument); the next is refused as "full".
#[test]
fn a_full_group_is_refused() {
    with_veth(|v| {
        let s = spec(Mode::Lb, 5, Flags::NONE);
        let members: Vec<_> = (0..256)
            .map(|_| {
                let raw = ringcap::ring::PacketSocket::open(ringcap::sys::socket::PacketKind::Raw).unwrap();
                raw.bind(v.a_index, (libc::ETH_P_ALL as u16).to_be()).unwrap();
                raw.join_fanout(s.arg()).expect("join one of 256");
                raw
            })
            .collect();
        let e = try_open(&v.a, |o| o.fanout = Some(s)).unwrap_err();
        assert_eq!(e.message, "can't join fanout group 5: the group is full (the kernel's limit is 256 members): No space left on device");
        drop(members);
    })
    .expect("namespaces");
}

//! A private network namespace with a veth pair per test, and a raw sender
//! of known frames. Every test that touches the kernel runs its body inside
//! `with_veth`, on a thread of its own that is the only member of the
//! namespace; when it ends, the namespace and its interfaces disappear.

use std::os::fd::{AsFd, OwnedFd};
use std::process::Command;

use ringcap::sys::{netdev, ns, socket};

/// The pair: capture on `a`, send from `b` (frames sent on `b` arrive on `a`).
#[derive(Clone, Debug)]
pub struct Veth {
    pub a: String,
    pub b: String,
    pub a_index: i32,
    pub b_index: i32,
    pub a_mac: [u8; 6],
    pub b_mac: [u8; 6],
}

/// Run `ip` with arguments in the current thread's namespace.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip (iproute2)");
    assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Whether this machine lets us create namespaces (root, or fake root in a
/// user namespace). Without it a kernel test may only skip when CI is unset.
fn namespaces_available() -> bool {
    std::thread::spawn(|| ns::unshare_net().is_ok()).join().unwrap_or(false)
}

/// Run `f` in a fresh network namespace holding a veth pair (both ends up).
/// Returns None, after saying why on stderr, only where namespaces cannot be
/// created at all and `CI` is not set.
pub fn with_veth<R: Send + 'static>(f: impl FnOnce(&Veth) -> R + Send + 'static) -> Option<R> {
    with_veth_opts(&[], f)
}

/// As `with_veth`, with extra `ip link set` arguments for both ends (e.g.
/// `["mtu", "9000"]`).
pub fn with_veth_opts<R: Send + 'static>(link_args: &[&str], f: impl FnOnce(&Veth) -> R + Send + 'static) -> Option<R> {
    if !namespaces_available() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but network namespaces are unavailable: run the suite as root or under `unshare -Urn`");
        eprintln!("SKIP: cannot create a network namespace (run as root or under `unshare -Urn`)");
        return None;
    }
    let args: Vec<String> = link_args.iter().map(|s| s.to_string()).collect();
    let h = std::thread::spawn(move || {
        ns::unshare_net().expect("unshare(CLONE_NEWNET)");
        ip(&["link", "add", "rca", "type", "veth", "peer", "name", "rcb"]);
        // Fixed addresses, so runs against different libraries see the same bytes.
        ip(&["link", "set", "rca", "address", "02:00:00:00:00:0a"]);
        ip(&["link", "set", "rcb", "address", "02:00:00:00:00:0b"]);
        // Quiet the links before they come up: no IPv6 autoconfiguration
        // chatter in captures, so counts are exact.
        for dev in ["rca", "rcb"] {
            let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{dev}/disable_ipv6"), "1");
        }
        for dev in ["rca", "rcb"] {
            let mut a = vec!["link", "set", dev];
            a.extend(args.iter().map(|s| s.as_str()));
            a.push("up");
            ip(&a);
        }
        ip(&["link", "set", "lo", "up"]);
        let ctl = socket::ioctl_socket().unwrap();
        let idx = |n: &str| netdev::ifindex(ctl.as_fd(), n).unwrap();
        let mac = |n: &str| netdev::hwaddr(ctl.as_fd(), n).unwrap().1;
        let v = Veth { a: "rca".into(), b: "rcb".into(), a_index: idx("rca"), b_index: idx("rcb"), a_mac: mac("rca"), b_mac: mac("rcb") };
        f(&v)
    });
    Some(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
}

/// A raw AF_PACKET sender bound to one interface.
pub struct Sender {
    fd: OwnedFd,
}

impl Sender {
    pub fn new(ifindex: i32) -> Sender {
        let fd = socket::packet_socket(socket::PacketKind::Raw, 0).expect("packet socket");
        socket::bind_packet(fd.as_fd(), ifindex, 0).expect("bind sender");
        Sender { fd }
    }

    pub fn send(&self, frame: &[u8]) {
        let n = socket::send(self.fd.as_fd(), frame, 0).expect("send frame");
        assert_eq!(n, frame.len());
    }

    /// Send, reporting the kernel's refusal instead of failing the test.
    pub fn try_send(&self, frame: &[u8]) -> std::io::Result<usize> {
        socket::send(self.fd.as_fd(), frame, 0)
    }

    /// Send, retrying briefly while the device queue is full (ENOBUFS).
    pub fn send_retry(&self, frame: &[u8]) {
        for _ in 0..1000 {
            match socket::send(self.fd.as_fd(), frame, 0) {
                Ok(_) => return,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => std::thread::yield_now(),
                Err(e) => panic!("send: {e}"),
            }
        }
        panic!("device queue stayed full");
    }
}

/// EtherType of ringcap's test frames (IEEE local experimental).
pub const TEST_ETHERTYPE: u16 = 0x88b5;

/// Marker bytes after the sequence number, so C programs can pick test
/// frames out of any encapsulation.
pub const MARKER: &[u8; 4] = b"RCAP";

/// A test frame: dst, src, EtherType 0x88b5, the 4-byte sequence number,
/// "RCAP", then a payload pattern derived from the number; `len` bytes in
/// total (at least 22).
pub fn frame(dst: [u8; 6], src: [u8; 6], seq: u32, len: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(len);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&TEST_ETHERTYPE.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(MARKER);
    while f.len() < len {
        f.push((seq as usize + f.len()) as u8);
    }
    f
}

/// The sequence number of a test frame, if it is one.
pub fn frame_seq(f: &[u8]) -> Option<u32> {
    (f.len() >= 18 && f[12..14] == TEST_ETHERTYPE.to_be_bytes()).then(|| u32::from_be_bytes(f[14..18].try_into().unwrap()))
}

/// A VLAN-tagged test frame (802.1Q TPID 0x8100 or 802.1ad 0x88a8).
pub fn vlan_frame(dst: [u8; 6], src: [u8; 6], tpid: u16, tci: u16, seq: u32, len: usize) -> Vec<u8> {
    let inner = frame(dst, src, seq, len - 4);
    let mut f = inner[..12].to_vec();
    f.extend_from_slice(&tpid.to_be_bytes());
    f.extend_from_slice(&tci.to_be_bytes());
    f.extend_from_slice(&inner[12..]);
    f
}

/// An Ethernet/IPv4/UDP frame of flow `flow` (source address and port
/// vary with it) carrying "RCAP", the sequence number, the flow and a tag
/// byte (UDP payload offset 12: frame offset 54, IP-header offset 40).
pub fn udp_frame(v: &Veth, seq: u32, flow: u32, tag: u8) -> Vec<u8> {
    let payload_len = 13 + (seq % 40) as usize;
    let mut f = Vec::new();
    f.extend_from_slice(&v.a_mac);
    f.extend_from_slice(&v.b_mac);
    f.extend_from_slice(&[0x08, 0x00]);
    let total = (20 + 8 + payload_len) as u16;
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 1, (flow >> 8) as u8, flow as u8, 10, 2, 0, 1];
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[4..6].copy_from_slice(&(seq as u16).to_be_bytes());
    let sum = ip.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]]) as u32).sum::<u32>();
    let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&(10000 + flow as u16).to_be_bytes());
    f.extend_from_slice(&9u16.to_be_bytes());
    f.extend_from_slice(&((8 + payload_len) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(b"RCAP");
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&flow.to_be_bytes());
    f.push(tag);
    f.resize(14 + total as usize, 0xa5);
    f
}

/// (sequence number, flow, tag) of a frame built by `udp_frame`.
pub fn udp_frame_fields(d: &[u8]) -> Option<(u32, u32, u8)> {
    (d.len() >= 55 && d[12..14] == [0x08, 0x00] && d[23] == 17 && &d[42..46] == b"RCAP")
        .then(|| (u32::from_be_bytes(d[46..50].try_into().unwrap()), u32::from_be_bytes(d[50..54].try_into().unwrap()), d[54]))
}

/// A second network namespace, held by a thread of its own that runs what
/// it is sent: a test moves the `b` end of its pair into it, so that traffic
/// between the ends crosses the veth instead of the local stack, and can
/// end it (the thread exits; the namespace goes once no socket or process
/// holds it, taking the veth pair with it).
pub struct PeerNs {
    jobs: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
    thread: std::thread::JoinHandle<()>,
    tid: String,
}

impl PeerNs {
    pub fn start() -> PeerNs {
        let (jobs, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            ns::unshare_net().expect("unshare(CLONE_NEWNET)");
            let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
            tid_tx.send(link.file_name().unwrap().to_string_lossy().into_owned()).unwrap();
            for job in rx {
                job();
            }
        });
        PeerNs { jobs, thread, tid: tid_rx.recv().expect("peer namespace thread") }
    }

    /// Run `f` in the peer namespace and return what it returns.
    pub fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        let (tx, rx) = std::sync::mpsc::channel();
        self.jobs.send(Box::new(move || tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))).unwrap())).unwrap();
        rx.recv().unwrap().unwrap_or_else(|e| std::panic::resume_unwind(e))
    }

    /// Move `dev` (an interface of the caller's namespace) into the peer
    /// namespace and bring it up there; returns its index there.
    pub fn adopt(&self, dev: &str) -> i32 {
        ip(&["link", "set", dev, "netns", &self.tid]);
        let dev = dev.to_string();
        self.run(move || {
            let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{dev}/disable_ipv6"), "1");
            ip(&["link", "set", &dev, "up"]);
            wait_running(&dev);
            let ctl = socket::ioctl_socket().unwrap();
            netdev::ifindex(ctl.as_fd(), &dev).unwrap()
        })
    }

    /// End the thread (and with it the namespace, once nothing else holds it).
    pub fn end(self) {
        drop(self.jobs);
        self.thread.join().unwrap();
    }
}

/// Wait until the kernel's link watcher has handled a veth end's carrier
/// coming on (after it or its peer was set up): until then its queue is the
/// no-op qdisc, which drops frames while send() reports success. The
/// watcher sets IFF_RUNNING just before it puts the real queue back; a
/// short margin covers the rest.
pub fn wait_running(dev: &str) {
    let ctl = socket::ioctl_socket().unwrap();
    for _ in 0..1000 {
        if netdev::flags(ctl.as_fd(), dev).is_ok_and(|f| f & libc::IFF_RUNNING as u32 != 0) {
            std::thread::sleep(std::time::Duration::from_millis(20));
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("{dev} did not come up");
}

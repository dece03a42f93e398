//! The packet corpus of the filter differential tests: frames of every
//! protocol the filter language tests, in every encapsulation it knows
//! (VLAN stacks, MPLS, PPPoE, Geneve, LLC/SNAP), IPv4 fragments and
//! options, IPv6 extension headers, and short and truncated captures,
//! wrapped for each link type (Ethernet, cooked v1/v2, raw IP, BSD
//! loopback, 802.11 bare and behind radiotap, Prism, AVS and PPI headers).

/// One captured packet.
#[derive(Clone, Debug)]
pub struct Packet {
    pub data: Vec<u8>,
    pub wirelen: u32,
}

const MAC_A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const MAC_B: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0b];
const MAC_BCAST: [u8; 6] = [0xff; 6];
const MAC_MCAST: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];

fn be16(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

/// A network-layer packet and the Ethernet type that carries it.
#[derive(Clone)]
struct Net {
    ethertype: u16,
    bytes: Vec<u8>,
}

fn ip4(proto: u8, src: [u8; 4], dst: [u8; 4], frag: u16, opts: usize, payload: &[u8]) -> Vec<u8> {
    let ihl = 5 + opts / 4;
    let total = ihl * 4 + payload.len();
    let mut h = vec![(0x40 | ihl) as u8, 0x10];
    h.extend(be16(total as u16));
    h.extend([0x12, 0x34]);
    h.extend(be16(frag));
    h.extend([64, proto, 0, 0]);
    h.extend(src);
    h.extend(dst);
    h.extend(std::iter::repeat_n(1u8, opts)); // NOP options
    h.extend(payload);
    h
}

fn ip6(next: u8, src: [u8; 16], dst: [u8; 16], payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend(be16(payload.len() as u16));
    h.extend([next, 64]);
    h.extend(src);
    h.extend(dst);
    h.extend(payload);
    h
}

/// An IPv6 extension header (8 bytes) followed by `rest`.
fn ext6(next: u8, rest: &[u8]) -> Vec<u8> {
    let mut h = vec![next, 0, 1, 4, 0, 0, 0, 0];
    h.extend(rest);
    h
}

fn tcp(sport: u16, dport: u16, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend(be16(sport));
    h.extend(be16(dport));
    h.extend([0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0x20, 0, 0, 0, 0, 0]);
    h.extend(data);
    h
}

fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend(be16(sport));
    h.extend(be16(dport));
    h.extend(be16(8 + data.len() as u16));
    h.extend([0, 0]);
    h.extend(data);
    h
}

fn sctp(sport: u16, dport: u16) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend(be16(sport));
    h.extend(be16(dport));
    h.extend([0; 8]);
    h
}

fn icmp(t: u8, c: u8) -> Vec<u8> {
    vec![t, c, 0, 0, 0, 1, 0, 1, b'p', b'i', b'n', b'g']
}

const V4A: [u8; 4] = [10, 0, 0, 1];
const V4B: [u8; 4] = [10, 0, 0, 2];
const V4C: [u8; 4] = [192, 168, 1, 10];
const V4D: [u8; 4] = [172, 16, 5, 4];
const V4LO: [u8; 4] = [127, 0, 0, 1];
const V4BC: [u8; 4] = [10, 0, 0, 255];
const V4MC: [u8; 4] = [224, 0, 0, 1];

fn v6(last: &[u8], prefix: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..prefix.len()].copy_from_slice(prefix);
    a[16 - last.len()..].copy_from_slice(last);
    a
}

fn v6_addrs() -> Vec<[u8; 16]> {
    vec![
        v6(&[1], &[0x20, 0x01, 0x0d, 0xb8]), // 2001:db8::1
        v6(&[2], &[0x20, 0x01, 0x0d, 0xb8]), // 2001:db8::2
        v6(&[1], &[]),                       // ::1
        v6(&[1], &[0xfe, 0x80]),             // fe80::1
        v6(&[1], &[0xff, 0x02]),             // ff02::1
        v6(&[0xff, 0xff, 10, 0, 0, 1], &[]), // ::ffff:10.0.0.1
    ]
}

/// Transport payloads by IP protocol, with ports and types people test.
fn transports() -> Vec<(u8, Vec<u8>)> {
    let mut t = Vec::new();
    for (s, d, f) in [(1234, 80, 0x02), (80, 1234, 0x12), (443, 5000, 0x10), (22, 1022, 0x18), (1000, 2000, 0x04), (999, 2001, 0x01), (20, 21, 0x29), (65535, 1, 0xc0)] {
        t.push((6, tcp(s, d, f, b"GET / HTTP/1.0\r\n")));
    }
    for (s, d) in [(5353, 53), (53, 5353), (123, 123), (68, 67), (1500, 6000), (4000, 6081)] {
        t.push((17, udp(s, d, b"\x12\x34payload")));
    }
    t.push((132, sctp(9, 80)));
    t.push((132, sctp(1000, 9)));
    for (ty, c) in [(8, 0), (0, 0), (3, 1), (11, 0), (5, 1), (13, 0)] {
        t.push((1, icmp(ty, c)));
    }
    t.push((2, vec![0x11, 0x64, 0, 0, 224, 0, 0, 1]));
    t.push((103, vec![0x20, 0, 0, 0, 0, 1, 0, 0]));
    t.push((112, vec![0x21, 1, 100, 1, 0, 1, 0, 0, 10, 0, 0, 254]));
    t.push((9, vec![1, 2, 3, 4]));
    t.push((47, vec![0, 0, 0x08, 0]));
    // AH then TCP, ESP.
    let mut ah = vec![6, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    ah.extend(tcp(1234, 80, 0x02, b""));
    t.push((51, ah));
    t.push((50, vec![0, 0, 0, 1, 0, 0, 0, 1, 0xde, 0xad]));
    t
}

/// The network-layer packets of the corpus.
fn nets() -> Vec<Net> {
    let mut n = Vec::new();
    let addrs4 = [(V4A, V4B), (V4B, V4A), (V4C, V4D), (V4D, V4LO), (V4A, V4BC), (V4C, V4MC), (V4LO, V4LO)];
    for (i, (p, pl)) in transports().into_iter().enumerate() {
        let (s, d) = addrs4[i % addrs4.len()];
        n.push(Net { ethertype: 0x0800, bytes: ip4(p, s, d, 0, 0, &pl) });
    }
    // Fragments, options, odd addresses.
    let t = tcp(1234, 80, 0x02, b"x");
    n.push(Net { ethertype: 0x0800, bytes: ip4(6, V4A, V4B, 0x2000, 0, &t) }); // first fragment
    n.push(Net { ethertype: 0x0800, bytes: ip4(6, V4A, V4B, 0x0064, 0, &t) }); // later fragment
    n.push(Net { ethertype: 0x0800, bytes: ip4(17, V4A, V4B, 0x2010, 0, &udp(53, 53, b"")) });
    n.push(Net { ethertype: 0x0800, bytes: ip4(6, V4B, V4A, 0x4000, 8, &tcp(80, 1234, 0x12, b"")) }); // DF, options
    n.push(Net { ethertype: 0x0800, bytes: ip4(17, V4C, [255, 255, 255, 255], 0, 4, &udp(68, 67, b"")) });
    n.push(Net { ethertype: 0x0800, bytes: ip4(6, [10, 1, 2, 3], [10, 200, 0, 1], 0, 0, &tcp(8080, 80, 0x10, b"")) });
    let addrs6 = v6_addrs();
    for (i, (p, pl)) in transports().into_iter().enumerate() {
        let p = if p == 1 { 58 } else { p };
        let pl = if p == 58 { icmp([128, 129, 135, 136, 1, 3][i % 6], 0) } else { pl };
        let (s, d) = (addrs6[i % addrs6.len()], addrs6[(i + 1) % addrs6.len()]);
        n.push(Net { ethertype: 0x86dd, bytes: ip6(p, s, d, &pl) });
    }
    // IPv6 extension header chains.
    let (s, d) = (addrs6[0], addrs6[1]);
    let t6 = tcp(1234, 80, 0x02, b"");
    let u6 = udp(5353, 53, b"q");
    n.push(Net { ethertype: 0x86dd, bytes: ip6(0, s, d, &ext6(6, &t6)) }); // hop-by-hop, tcp
    n.push(Net { ethertype: 0x86dd, bytes: ip6(43, s, d, &ext6(17, &u6)) }); // routing, udp
    n.push(Net { ethertype: 0x86dd, bytes: ip6(44, s, d, &ext6(6, &t6)) }); // fragment, tcp
    n.push(Net { ethertype: 0x86dd, bytes: ip6(60, s, d, &ext6(58, &icmp(128, 0))) }); // dstopts, icmp6
    n.push(Net { ethertype: 0x86dd, bytes: ip6(0, s, d, &ext6(60, &ext6(44, &ext6(17, &u6)))) });
    n.push(Net { ethertype: 0x86dd, bytes: ip6(51, s, d, &{
        let mut ah = vec![6, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        ah.extend(&t6);
        ah
    }) });
    n.push(Net { ethertype: 0x86dd, bytes: ip6(59, s, d, &[]) }); // no next header
    n.push(Net { ethertype: 0x86dd, bytes: ip6(44, s, d, &ext6(58, &icmp(135, 0))) });
    // ARP / RARP.
    for (ty, op, sip, tip) in [(0x0806u16, 1u16, V4A, V4B), (0x0806, 2, V4B, V4A), (0x8035, 3, V4C, V4D), (0x0806, 1, V4LO, V4C)] {
        let mut a = vec![0, 1, 8, 0, 6, 4];
        a.extend(be16(op));
        a.extend(MAC_A);
        a.extend(sip);
        a.extend([0; 6]);
        a.extend(tip);
        n.push(Net { ethertype: ty, bytes: a });
    }
    // Other Ethernet types.
    n.push(Net { ethertype: 0x6003, bytes: vec![0x10, 0x00, 0x81, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }); // DECnet
    n.push(Net { ethertype: 0x6003, bytes: vec![0x0c, 0x00, 0x0a, 0x04, 0x01, 0x00, 0x02, 0x04, 0, 0, 0, 0] });
    n.push(Net { ethertype: 0x809b, bytes: vec![0; 20] }); // AppleTalk
    n.push(Net { ethertype: 0x80f3, bytes: vec![0; 28] }); // AARP
    n.push(Net { ethertype: 0x6004, bytes: vec![1; 20] }); // LAT
    n.push(Net { ethertype: 0x6007, bytes: vec![1; 20] }); // SCA
    n.push(Net { ethertype: 0x6001, bytes: vec![1; 20] }); // MOP DL
    n.push(Net { ethertype: 0x6002, bytes: vec![1; 20] }); // MOP RC
    n.push(Net { ethertype: 0x8137, bytes: vec![0xff, 0xff, 0, 30, 0, 0, 0, 0] }); // IPX (Ethernet II)
    n.push(Net { ethertype: 0x88cc, bytes: vec![0x02, 0x07, 0x04, 0, 0x11, 0x22, 0x33, 0x44, 0x55] }); // LLDP
    n.push(Net { ethertype: 0x9000, bytes: vec![0; 20] }); // loopback
    // DECnet short data header (pad 0), from 1.1 to 1.2: addresses are
    // little-endian 16-bit words, area << 10 | node.
    n.push(Net { ethertype: 0x6003, bytes: vec![0x0c, 0x00, 0x02, 0x02, 0x04, 0x01, 0x04, 0x00, 0, 0, 0, 0] });
    // From a host to itself (`src and dst host`).
    n.push(Net { ethertype: 0x0800, bytes: ip4(17, V4A, V4A, 0, 0, &udp(1000, 1000, b"self")) });
    // A segment with data (total length 260).
    n.push(Net { ethertype: 0x0800, bytes: ip4(6, V4B, V4A, 0x4000, 0, &tcp(80, 1234, 0x18, &[0x41; 220])) });
    n
}

/// 802.2 payloads (for the LLC side of Ethernet and 802.11): (llc bytes).
fn llc_frames() -> Vec<Vec<u8>> {
    vec![
        vec![0x42, 0x42, 0x03, 0, 0, 0, 0, 0, 0x80, 0], // STP
        vec![0xfe, 0xfe, 0x03, 0x81, 0x0a, 0x01, 0, 0, 0, 0], // CLNP
        vec![0xfe, 0xfe, 0x03, 0x82, 0x0a, 0x01, 0, 0, 0, 0], // ES-IS
        vec![0xfe, 0xfe, 0x03, 0x83, 0x1b, 0x01, 0, 0x0f, 1, 0, 0, 0], // IS-IS L1 LAN IIH
        vec![0xfe, 0xfe, 0x03, 0x83, 0x1b, 0x01, 0, 0x14, 1, 0, 0, 0], // IS-IS L2 LSP
        vec![0xfe, 0xfe, 0x03, 0x83, 0x1b, 0x01, 0, 0x1a, 1, 0, 0, 0], // IS-IS L1 PSNP
        vec![0xf0, 0xf0, 0x03, 0, 0, 0, 0, 0],                     // NetBEUI
        vec![0xe0, 0xe0, 0x03, 0xff, 0xff, 0, 0x1e, 0],             // IPX 802.2
        vec![0xff, 0xff, 0, 0x1e, 0, 0, 0, 0],                     // IPX 802.3 raw
        vec![0x06, 0x06, 0x03, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], // IP over 802.2
        vec![0xaa, 0xaa, 0x03, 0, 0, 0, 0x81, 0x37, 0xff, 0xff, 0, 0], // SNAP IPX
        vec![0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b, 0, 0, 0, 0], // SNAP AppleTalk
        vec![0xaa, 0xaa, 0x03, 0, 0, 0, 0x80, 0xf3, 0, 0, 0, 0],    // SNAP AARP
        vec![0x42, 0x42, 0x01, 0, 0],                               // LLC S (RR)
        vec![0x42, 0x42, 0x05, 0x00, 0],                            // LLC S (RNR)
        vec![0x42, 0x42, 0x09, 0x00, 0],                            // LLC S (REJ)
        vec![0x42, 0x42, 0xaf, 0x00, 0],                            // LLC U (XID)
        vec![0x42, 0x42, 0x63, 0x00, 0],                            // LLC U (UA)
        vec![0x42, 0x42, 0x02, 0x02, 0],                            // LLC I (N(S) 1, N(R) 1)
    ]
}

fn eth(dst: [u8; 6], src: [u8; 6], ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(dst);
    f.extend(src);
    f.extend(be16(ty));
    f.extend(payload);
    f
}

/// An Ethernet header carrying 802.2 (length field).
fn eth8023(dst: [u8; 6], src: [u8; 6], llc: &[u8]) -> Vec<u8> {
    eth(dst, src, llc.len() as u16, llc)
}

/// Insert a VLAN tag after the MAC addresses.
fn vlan(frame: &[u8], tpid: u16, vid: u16) -> Vec<u8> {
    let mut f = frame[..12].to_vec();
    f.extend(be16(tpid));
    f.extend(be16(vid | 0x2000));
    f.extend(&frame[12..]);
    f
}

fn mpls(labels: &[u32], inner: &Net) -> Vec<u8> {
    let mut p = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        let bos = (i + 1 == labels.len()) as u32;
        p.extend(((l << 12) | (bos << 8) | 64).to_be_bytes());
    }
    p.extend(&inner.bytes);
    eth(MAC_B, MAC_A, 0x8847, &p)
}

fn pppoe_session(sess: u16, inner: &Net) -> Vec<u8> {
    let proto: u16 = if inner.ethertype == 0x86dd { 0x0057 } else { 0x0021 };
    let mut p = vec![0x11, 0x00];
    p.extend(be16(sess));
    p.extend(be16(inner.bytes.len() as u16 + 2));
    p.extend(be16(proto));
    p.extend(&inner.bytes);
    eth(MAC_B, MAC_A, 0x8864, &p)
}

fn geneve(vni: u32, proto: u16, inner: &[u8], v6_outer: bool) -> Vec<u8> {
    let mut g = vec![0x00, 0x00];
    g.extend(be16(proto));
    g.extend((vni << 8).to_be_bytes());
    g.extend(inner);
    let u = udp(40000, 6081, &g);
    let (ty, ip) = if v6_outer {
        let a = v6_addrs();
        (0x86dd, ip6(17, a[0], a[1], &u))
    } else {
        (0x0800, ip4(17, V4C, V4D, 0, 0, &u))
    };
    eth(MAC_B, MAC_A, ty, &ip)
}

/// Ethernet frames: every network packet plain, plus encapsulations.
pub fn ethernet_frames() -> Vec<Vec<u8>> {
    let nets = nets();
    let macs = [(MAC_B, MAC_A), (MAC_A, MAC_B), (MAC_BCAST, MAC_A), (MAC_MCAST, MAC_B)];
    let mut f = Vec::new();
    for (i, n) in nets.iter().enumerate() {
        let (d, s) = macs[i % macs.len()];
        f.push(eth(d, s, n.ethertype, &n.bytes));
    }
    for (i, l) in llc_frames().iter().enumerate() {
        let (d, s) = macs[i % macs.len()];
        f.push(eth8023(d, s, l));
    }
    let pick = |k: usize| &nets[k % nets.len()];
    for k in 0..12 {
        let n = pick(k * 5);
        let plain = eth(MAC_B, MAC_A, n.ethertype, &n.bytes);
        f.push(vlan(&plain, 0x8100, 100));
        f.push(vlan(&plain, 0x8100, 200 + k as u16));
        f.push(vlan(&vlan(&plain, 0x8100, 200), 0x88a8, 100));
        f.push(vlan(&vlan(&plain, 0x8100, 100), 0x9100, 300));
        f.push(mpls(&[100], n));
        f.push(mpls(&[100, 200], n));
        f.push(pppoe_session(0x1234, n));
        f.push(pppoe_session(7, n));
    }
    f.push(eth(MAC_BCAST, MAC_A, 0x8863, &[0x11, 0x09, 0, 0, 0, 4, 1, 1, 0, 0])); // PADI
    for (k, vni) in [5u32, 10, 7].iter().enumerate() {
        let n = pick(k * 3);
        let inner = eth(MAC_A, MAC_B, n.ethertype, &n.bytes);
        f.push(geneve(*vni, 0x6558, &inner, false));
        f.push(geneve(*vni, 0x6558, &inner, true));
        f.push(geneve(*vni, n.ethertype, &n.bytes, false));
        f.push(geneve(*vni, 0x6558, &eth(MAC_BCAST, MAC_B, 0x8100, &vlan(&inner, 0x8100, 100)[14..]), false));
    }
    f
}

fn cooked_v1(pkttype: u16, proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend(be16(pkttype));
    h.extend(be16(1));
    h.extend(be16(6));
    h.extend(MAC_A);
    h.extend([0, 0]);
    h.extend(be16(proto));
    h.extend(payload);
    h
}

fn cooked_v2(pkttype: u8, ifindex: u32, proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend(be16(proto));
    h.extend([0, 0]);
    h.extend(ifindex.to_be_bytes());
    h.extend(be16(1));
    h.push(pkttype);
    h.push(6);
    h.extend(MAC_A);
    h.extend([0, 0]);
    h.extend(payload);
    h
}

/// An 802.11 frame: `fc0` (type/subtype), `fc1` (DS bits), then LLC/SNAP
/// payload for data frames.
fn wlan(fc0: u8, fc1: u8, body: &[u8]) -> Vec<u8> {
    let mut h = vec![fc0, fc1, 0, 0];
    h.extend(MAC_A);
    h.extend(MAC_B);
    h.extend(MAC_BCAST);
    h.extend([0x10, 0]);
    if fc1 & 3 == 3 {
        h.extend(MAC_A); // addr4
    }
    if fc0 & 0x8c == 0x88 {
        h.extend([0, 0]); // QoS control
    }
    h.extend(body);
    h
}

fn snap(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xaa, 0xaa, 0x03, 0, 0, 0];
    s.extend(be16(ty));
    s.extend(payload);
    s
}

/// 802.11 frames: data frames (all DS combinations, QoS) with IP/ARP/LLC,
/// management and control frames.
pub fn wlan_frames() -> Vec<Vec<u8>> {
    let nets = nets();
    let mut f = Vec::new();
    for (i, n) in nets.iter().enumerate().step_by(3) {
        let fc1 = (i % 4) as u8;
        let fc0 = if i % 2 == 0 { 0x08 } else { 0x88 };
        f.push(wlan(fc0, fc1, &snap(n.ethertype, &n.bytes)));
    }
    for l in llc_frames() {
        f.push(wlan(0x08, 0, &l));
    }
    for fc0 in [0x80u8, 0x40, 0x00, 0xb0, 0xc0, 0xb4, 0xc4, 0xd4, 0xa4, 0x48, 0xc8] {
        f.push(wlan(fc0, 0, &[0u8; 12]));
    }
    f
}

/// A radiotap header: flags present (with DATAPAD), TSFT present, or
/// neither.
fn radiotap(kind: u8, frame: &[u8]) -> Vec<u8> {
    let (present, fields): (u32, Vec<u8>) = match kind {
        0 => (0, vec![]),
        1 => (0x2, vec![0x20]),          // flags: DATAPAD
        2 => (0x3, { let mut v = vec![0; 8]; v.push(0x10); v }), // TSFT + flags (FCS only)
        _ => (0x3, { let mut v = vec![0; 8]; v.push(0x20); v }), // TSFT + DATAPAD
    };
    let len = 8 + fields.len();
    let mut h = vec![0, 0];
    h.extend((len as u16).to_le_bytes());
    h.extend(present.to_le_bytes());
    h.extend(fields);
    let mut frame = frame.to_vec();
    if kind == 1 || kind == 3 {
        // Pad the MAC header to a multiple of 4 (QoS data: 26 -> 28).
        if frame.len() > 26 && frame[0] & 0x8c == 0x88 {
            frame.splice(26..26, [0u8, 0]);
        }
    }
    h.extend(frame);
    h
}

fn prism(frame: &[u8]) -> Vec<u8> {
    let mut h = vec![0x44, 0, 0, 0];
    h.extend(144u32.to_le_bytes());
    h.resize(144, 0);
    h.extend(frame);
    h
}

fn avs(frame: &[u8]) -> Vec<u8> {
    let mut h = 0x8021_1001u32.to_be_bytes().to_vec();
    h.extend(64u32.to_be_bytes());
    h.resize(64, 0);
    h.extend(frame);
    h
}

fn ppi(dlt: u32, frame: &[u8]) -> Vec<u8> {
    let mut h = vec![0, 0];
    h.extend(8u16.to_le_bytes());
    h.extend(dlt.to_le_bytes());
    h.extend(frame);
    h
}

/// The frames of one link type.
pub fn frames(dlt: i32) -> Vec<Vec<u8>> {
    let nets = nets();
    match dlt {
        1 => ethernet_frames(),
        113 | 276 => {
            let mut f = Vec::new();
            for (i, n) in nets.iter().enumerate() {
                let pkttype = [0u16, 1, 2, 3, 4][i % 5];
                f.push(if dlt == 113 {
                    cooked_v1(pkttype, n.ethertype, &n.bytes)
                } else {
                    cooked_v2(pkttype as u8, 1 + (i % 3 != 0) as u32, n.ethertype, &n.bytes)
                });
            }
            for (i, l) in llc_frames().iter().enumerate() {
                let proto = if i == 8 { 0x0001 } else { 0x0004 };
                f.push(if dlt == 113 { cooked_v1(4, proto, l) } else { cooked_v2(0, 2, proto, l) });
            }
            let eth_in = ethernet_frames();
            for e in eth_in.iter().skip(60).step_by(7) {
                let ty = u16::from_be_bytes([e[12], e[13]]);
                f.push(if dlt == 113 { cooked_v1(0, ty, &e[14..]) } else { cooked_v2(0, 2, ty, &e[14..]) });
            }
            f
        }
        12 | 228 | 229 => nets.iter().filter(|n| n.ethertype == 0x0800 || n.ethertype == 0x86dd).map(|n| n.bytes.clone()).chain([vec![0x50u8; 20], vec![0x45]]).collect(),
        0 | 108 => {
            let mut f = Vec::new();
            for n in &nets {
                let afs: &[u32] = match n.ethertype {
                    0x0800 => &[2],
                    0x86dd => &[10, 24, 28, 30],
                    _ => &[7],
                };
                for &af in afs {
                    let mut h = if dlt == 0 { af.to_le_bytes().to_vec() } else { af.to_be_bytes().to_vec() };
                    h.extend(&n.bytes);
                    f.push(h);
                }
            }
            f
        }
        105 => wlan_frames(),
        127 => wlan_frames().iter().enumerate().map(|(i, w)| radiotap((i % 4) as u8, w)).collect(),
        119 => wlan_frames().iter().enumerate().map(|(i, w)| if i % 3 == 0 { avs(w) } else { prism(w) }).collect(),
        163 => wlan_frames().iter().map(|w| avs(w)).collect(),
        192 => wlan_frames().iter().enumerate().map(|(i, w)| ppi(if i % 5 == 0 { 1 } else { 105 }, w)).collect(),
        _ => Vec::new(),
    }
}

/// The packets of one link type: each frame whole, and a few truncated
/// captures (caplen < wirelen) and runts.
pub fn packets(dlt: i32) -> Vec<Packet> {
    let mut out = Vec::new();
    for (i, f) in frames(dlt).into_iter().enumerate() {
        let wirelen = f.len() as u32;
        out.push(Packet { data: f.clone(), wirelen });
        if i % 4 == 0 {
            for cut in [1usize, 13, 20, 34, 38, 54] {
                if cut < f.len() {
                    out.push(Packet { data: f[..cut].to_vec(), wirelen });
                }
            }
        }
    }
    out.push(Packet { data: Vec::new(), wirelen: 0 });
    out.push(Packet { data: vec![0xff; 3], wirelen: 3 });
    out
}

/// The packet file format the oracle reads: u32 caplen, u32 wirelen (little
/// endian), bytes.
pub fn encode(pkts: &[Packet]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pkts {
        out.extend((p.data.len() as u32).to_le_bytes());
        out.extend(p.wirelen.to_le_bytes());
        out.extend(&p.data);
    }
    out
}

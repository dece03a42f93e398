//! A corpus of savefiles the savefile tests generate: classic pcap in both
//! byte orders and precisions over several link types, pcapng with several
//! sections and interfaces (timestamp resolutions, offsets, every packet
//! block kind), the pseudo-headers libpcap rewrites in swapped files, and
//! malformed files of every kind the readers must refuse.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Once;

/// A deterministic byte generator (no dependency, same corpus every run).
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }
    pub fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn csum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// An IPv4 packet (UDP or TCP) with `payload` bytes, checksummed.
pub fn ipv4(r: &mut Lcg, tcp: bool, payload: usize) -> Vec<u8> {
    let l4 = if tcp { 20 } else { 8 };
    let total = 20 + l4 + payload;
    let mut p = vec![0x45, 0, (total >> 8) as u8, total as u8, 0x12, 0x34, 0x40, 0, 64, if tcp { 6 } else { 17 }, 0, 0];
    p.extend([10, 0, (r.next() % 4) as u8, 1, 10, 0, 0, (r.next() % 250) as u8 + 2]);
    let c = csum(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    let (sport, dport) = (1024 + (r.next() % 5000) as u16, [53u16, 80, 443, 123][r.next() as usize % 4]);
    p.extend(sport.to_be_bytes());
    p.extend(dport.to_be_bytes());
    if tcp {
        p.extend(r.next().to_be_bytes());
        p.extend(r.next().to_be_bytes());
        p.extend([0x50, 0x18, 0x20, 0x00, 0, 0, 0, 0]);
    } else {
        p.extend(((8 + payload) as u16).to_be_bytes());
        p.extend([0, 0]);
    }
    p.extend(r.bytes(payload));
    p
}

pub fn ethernet(r: &mut Lcg, payload: usize) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    let tcp = r.next() % 2 == 0;
    f.extend(ipv4(r, tcp, payload));
    f
}

/// A packet for a link type (Ethernet, cooked v1/v2, raw IP, BSD loopback).
pub fn frame(r: &mut Lcg, dlt: i32, payload: usize) -> Vec<u8> {
    let tcp = r.next() % 2 == 0;
    let ip = ipv4(r, tcp, payload);
    match dlt {
        1 => ethernet(r, payload),
        113 => [&[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00][..], &ip].concat(),
        276 => [&[0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0][..], &ip].concat(),
        12 => ip,
        0 => [&2u32.to_ne_bytes()[..], &ip].concat(),
        _ => r.bytes(payload + 20),
    }
}

/// Write integers in a chosen byte order.
#[derive(Clone, Copy)]
pub struct Order(pub bool);

impl Order {
    pub fn u16(self, v: u16) -> [u8; 2] {
        if self.0 { v.to_be_bytes() } else { v.to_le_bytes() }
    }
    pub fn u32(self, v: u32) -> [u8; 4] {
        if self.0 { v.to_be_bytes() } else { v.to_le_bytes() }
    }
    pub fn u64(self, v: u64) -> [u8; 8] {
        if self.0 { v.to_be_bytes() } else { v.to_le_bytes() }
    }
}

/// A classic pcap file.
pub struct Pcap {
    pub o: Order,
    pub out: Vec<u8>,
}

impl Pcap {
    pub fn new(big_endian: bool, magic: u32, version: (u16, u16), snaplen: u32, linktype: u32) -> Pcap {
        let o = Order(big_endian);
        let mut out = Vec::new();
        out.extend(o.u32(magic));
        out.extend(o.u16(version.0));
        out.extend(o.u16(version.1));
        out.extend(o.u32(0));
        out.extend(o.u32(0));
        out.extend(o.u32(snaplen));
        out.extend(o.u32(linktype));
        Pcap { o, out }
    }
    pub fn rec(&mut self, sec: u32, frac: u32, caplen: u32, len: u32, data: &[u8]) -> &mut Pcap {
        for v in [sec, frac, caplen, len] {
            self.out.extend(self.o.u32(v));
        }
        self.out.extend(data);
        self
    }
}

/// A pcapng file.
pub struct Ng {
    pub o: Order,
    pub out: Vec<u8>,
}

impl Ng {
    pub fn new(big_endian: bool) -> Ng {
        Ng { o: Order(big_endian), out: Vec::new() }
    }
    pub fn block(&mut self, kind: u32, body: &[u8]) -> &mut Ng {
        let mut b = body.to_vec();
        b.resize(b.len().next_multiple_of(4), 0);
        let total = (b.len() + 12) as u32;
        self.out.extend(self.o.u32(kind));
        self.out.extend(self.o.u32(total));
        self.out.extend(b);
        self.out.extend(self.o.u32(total));
        self
    }
    pub fn opt(&self, code: u16, v: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(self.o.u16(code));
        b.extend(self.o.u16(v.len() as u16));
        b.extend(v);
        b.resize(b.len().next_multiple_of(4), 0);
        b
    }
    pub fn shb(&mut self, major: u16, minor: u16) -> &mut Ng {
        let mut b = Vec::new();
        b.extend(self.o.u32(0x1a2b_3c4d));
        b.extend(self.o.u16(major));
        b.extend(self.o.u16(minor));
        b.extend(self.o.u64(u64::MAX));
        b.extend(self.opt(4, b"ringcap tests"));
        b.extend(self.opt(0, b""));
        self.block(0x0a0d_0d0a, &b)
    }
    pub fn idb(&mut self, linktype: u16, snaplen: u32, opts: &[Vec<u8>]) -> &mut Ng {
        let mut b = Vec::new();
        b.extend(self.o.u16(linktype));
        b.extend([0, 0]);
        b.extend(self.o.u32(snaplen));
        for o in opts {
            b.extend(o);
        }
        self.block(1, &b)
    }
    pub fn epb(&mut self, iface: u32, ts: u64, caplen: u32, len: u32, data: &[u8], opts: &[Vec<u8>]) -> &mut Ng {
        let mut b = Vec::new();
        for v in [iface, (ts >> 32) as u32, ts as u32, caplen, len] {
            b.extend(self.o.u32(v));
        }
        b.extend(data);
        b.resize(b.len().next_multiple_of(4), 0);
        for o in opts {
            b.extend(o);
        }
        self.block(6, &b)
    }
    pub fn spb(&mut self, len: u32, data: &[u8]) -> &mut Ng {
        let mut b = self.o.u32(len).to_vec();
        b.extend(data);
        self.block(3, &b)
    }
    pub fn pb(&mut self, iface: u16, ts: u64, caplen: u32, len: u32, data: &[u8]) -> &mut Ng {
        let mut b = Vec::new();
        b.extend(self.o.u16(iface));
        b.extend(self.o.u16(0));
        for v in [(ts >> 32) as u32, ts as u32, caplen, len] {
            b.extend(self.o.u32(v));
        }
        b.extend(data);
        self.block(2, &b)
    }
}

const US: u32 = 0xa1b2_c3d4;
const NS: u32 = 0xa1b2_3c4d;
const KUZ: u32 = 0xa1b2_cd34;

/// Well-formed files: (name, bytes).
pub fn good_files() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    let mut r = Lcg::new(7);
    for (dlt, lt) in [(1, 1u32), (113, 113), (276, 276), (12, 101), (0, 0)] {
        for be in [false, true] {
            for (magic, tag) in [(US, "us"), (NS, "ns")] {
                let snaplen = if dlt == 113 { 96 } else { 262_144 };
                let mut f = Pcap::new(be, magic, (2, 4), snaplen, lt);
                let mut sec = 1_600_000_000 + r.next() % 1000;
                for i in 0..12 {
                    let n = (r.next() % 300) as usize + i;
                    let p = frame(&mut r, dlt, n);
                    let cap = p.len().min(snaplen as usize);
                    let frac = if magic == NS { r.next() % 1_000_000_000 } else { r.next() % 1_000_000 };
                    sec += r.next() % 3;
                    f.rec(sec, frac, cap as u32, p.len() as u32, &p[..cap]);
                }
                v.push((format!("pcap-{}-{}-{tag}.pcap", dlt, if be { "be" } else { "le" }), f.out));
            }
        }
    }
    // Old versions: caplen and len swapped (2.2), maybe swapped (2.3).
    let mut f = Pcap::new(false, US, (2, 2), 1000, 1);
    let p = ethernet(&mut r, 40);
    f.rec(10, 1, p.len() as u32 + 8, p.len() as u32, &p);
    v.push(("pcap-v2.2.pcap".into(), f.out));
    let mut f = Pcap::new(true, US, (2, 3), 1000, 1);
    let p = ethernet(&mut r, 40);
    f.rec(10, 1, p.len() as u32 + 8, p.len() as u32, &p).rec(11, 2, p.len() as u32, p.len() as u32 + 8, &p);
    v.push(("pcap-v2.3.pcap".into(), f.out));
    // Kuznetzov's format: 8 more bytes per record header.
    let mut f = Pcap::new(false, KUZ, (2, 4), 200, 1);
    for i in 0..3u32 {
        let p = ethernet(&mut r, 30 + i as usize);
        // The patched header's index, protocol, packet type and padding.
        f.rec(20 + i, 5, p.len() as u32, p.len() as u32, &[1, 0, 0, 0, 0x08, 0x00, 0, 0]);
        f.out.extend(&p);
    }
    v.push(("pcap-kuznetzov.pcap".into(), f.out));
    // Records longer than the file's snaplen (cut to it), extension bits.
    let mut f = Pcap::new(false, US, (2, 4), 64, 1 | 0x0400_0000);
    for i in 0..4u32 {
        let p = ethernet(&mut r, 100);
        f.rec(30 + i, i, p.len() as u32, p.len() as u32, &p);
    }
    v.push(("pcap-over-snaplen-fcs.pcap".into(), f.out));
    // An empty capture.
    v.push(("pcap-empty.pcap".into(), Pcap::new(false, US, (2, 4), 65535, 1).out));
    // Swapped pseudo-headers libpcap rewrites: SocketCAN over cooked, NFLOG,
    // Linux USB (memory-mapped).
    for be in [false, true] {
        let o = Order(be);
        let mut f = Pcap::new(be, US, (2, 4), 1000, 113);
        let mut can = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x0c];
        can.extend(o.u32(0x123));
        can.extend([8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        f.rec(1, 2, can.len() as u32, can.len() as u32, &can);
        v.push((format!("pcap-sll-can-{}.pcap", if be { "be" } else { "le" }), f.out));
        let mut f = Pcap::new(be, US, (2, 4), 1000, 239);
        let mut nf = vec![2, 0, 0, 0];
        nf.extend(o.u16(8));
        nf.extend(o.u16(1));
        nf.extend([0x08, 0x00, 3, 0]);
        nf.extend(o.u16(24));
        nf.extend(o.u16(9));
        nf.extend(&ipv4(&mut r, false, 0)[..20]);
        f.rec(1, 2, nf.len() as u32, nf.len() as u32, &nf);
        v.push((format!("pcap-nflog-{}.pcap", if be { "be" } else { "le" }), f.out));
        let mut f = Pcap::new(be, US, (2, 4), 1000, 220);
        let mut usb = Vec::new();
        usb.extend(o.u64(0xffff_8800_1234_5678));
        usb.extend([b'C', 0, 0x81, 3]);
        usb.extend(o.u16(1));
        usb.extend([0, 0]);
        usb.extend(o.u64(1_600_000_000));
        usb.extend(o.u32(123));
        usb.extend(o.u32(0));
        usb.extend(o.u32(1000)); // urb_len
        usb.extend(o.u32(32)); // data_len
        usb.extend(o.u32(0));
        usb.extend(o.u32(2));
        usb.extend(o.u32(1));
        usb.extend(o.u32(0));
        usb.extend(o.u32(0));
        usb.extend(o.u32(2)); // ndesc
        for (off, len) in [(0u32, 16u32), (500, 16)] {
            usb.extend(o.u32(0));
            usb.extend(o.u32(off));
            usb.extend(o.u32(len));
            usb.extend([0; 4]);
        }
        usb.extend([0xab; 32]);
        let wire = 64 + 32 + 1000;
        f.rec(1, 2, usb.len() as u32, wire, &usb);
        v.push((format!("pcap-usb-mmapped-{}.pcap", if be { "be" } else { "le" }), f.out));
    }
    // pcapng: sections, interfaces with resolutions and offsets, EPB/SPB/PB,
    // options, unknown blocks; in both byte orders.
    for be in [false, true] {
        let mut g = Ng::new(be);
        let ns = g.opt(9, &[9]);
        let ms = g.opt(9, &[3]);
        let bin = g.opt(9, &[0x80 | 20]);
        let off = g.opt(14, &g.o.u64(1000));
        let name = g.opt(2, b"eth0");
        let end = g.opt(0, b"");
        let comment = g.opt(1, b"a packet comment");
        g.shb(1, 0);
        g.idb(1, 65535, &[name, ns.clone(), end.clone()]);
        g.idb(1, 65535, &[ms, off]);
        g.idb(1, 65535, &[bin]);
        g.block(0x0000_0bad, b"an unknown block is skipped");
        g.block(5, &[0; 12]); // an Interface Statistics Block
        for i in 0..9u32 {
            let n = (r.next() % 200) as usize;
            let p = ethernet(&mut r, n);
            let t = match i % 3 {
                0 => 1_700_000_000_123_456_789u64 + i as u64 * 1_000_000_007,
                1 => 1_700_000_000_123u64 + i as u64,
                _ => (1_700_000_000u64 << 20) + 777_777 + i as u64,
            };
            let opts = if i == 4 { vec![comment.clone(), end.clone()] } else { vec![] };
            g.epb(i % 3, t, p.len() as u32, p.len() as u32 + i, &p, &opts);
        }
        let p = ethernet(&mut r, 50);
        g.spb(p.len() as u32, &p);
        g.shb(1, 2);
        g.idb(1, 65535, &[ns]);
        for i in 0..3u64 {
            let p = ethernet(&mut r, 80);
            g.pb(0, 1_700_000_100_000_000_000 + i, p.len() as u32, p.len() as u32, &p);
            g.epb(0, 1_700_000_200_000_000_000 + i, p.len() as u32 - 10, p.len() as u32, &p[..p.len() - 10], &[]);
        }
        v.push((format!("ng-multi-{}.pcapng", if be { "be" } else { "le" }), g.out));
    }
    // pcapng over other link types, default resolution.
    for (lt, dlt) in [(113u16, 113), (101, 12)] {
        let mut g = Ng::new(false);
        g.shb(1, 0).idb(lt, 0, &[]);
        for i in 0..5u64 {
            let p = frame(&mut r, dlt, 60);
            g.epb(0, 1_650_000_000_000_000 + i * 12345, p.len() as u32, p.len() as u32, &p, &[]);
        }
        v.push((format!("ng-lt{lt}.pcapng"), g.out));
    }
    // A swapped SocketCAN frame in pcapng.
    let mut g = Ng::new(true);
    let mut can = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x0d];
    can.extend(g.o.u32(0x456));
    can.extend([8, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9]);
    g.shb(1, 0).idb(113, 0, &[]).epb(0, 5, can.len() as u32, can.len() as u32, &can, &[]);
    v.push(("ng-sll-can-be.pcapng".into(), g.out));
    // A LINKTYPE_RAW interface, then one whose LINKTYPE is DLT_RAW's number
    // (12): libpcap compares the first's DLT with the second's LINKTYPE and
    // accepts it (bad-ng-two-raw-interfaces is the converse).
    let mut g = Ng::new(false);
    g.shb(1, 0).idb(101, 0, &[]).idb(12, 0, &[]);
    for i in 0..4u32 {
        let p = frame(&mut r, 12, 30);
        g.epb(i % 2, 1_650_000_000_000_000 + i as u64, p.len() as u32, p.len() as u32, &p, &[]);
    }
    v.push(("ng-lt101-then-12.pcapng".into(), g.out));
    v
}

/// Malformed files: (name, bytes). Both libraries must refuse each the same
/// way (or, where ringcap deliberately differs, the test says so).
pub fn bad_files() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    let mut r = Lcg::new(11);
    let good = {
        let mut f = Pcap::new(false, US, (2, 4), 65535, 1);
        for i in 0..3u32 {
            let p = ethernet(&mut r, 50);
            f.rec(100 + i, i, p.len() as u32, p.len() as u32, &p);
        }
        f.out
    };
    v.push(("bad-empty".into(), vec![]));
    v.push(("bad-magic-short".into(), good[..3].to_vec()));
    v.push(("bad-header-short".into(), good[..17].to_vec()));
    v.push(("bad-unknown-format".into(), b"this is not a capture file at all, just text\n".to_vec()));
    v.push(("bad-record-header-short".into(), good[..24 + 9].to_vec()));
    v.push(("bad-record-data-short".into(), good[..good.len() - 5].to_vec()));
    let mut f = good.clone();
    f[4..6].copy_from_slice(&1u16.to_le_bytes());
    v.push(("bad-archaic".into(), f));
    let mut f = good.clone();
    f[6..8].copy_from_slice(&7u16.to_le_bytes());
    v.push(("bad-version".into(), f));
    let big = vec![0u8; 300_000];
    let mut f = Pcap::new(false, US, (2, 4), 65535, 1);
    f.rec(1, 1, 300_000, 300_000, &big);
    v.push(("bad-caplen-over-snaplen".into(), f.out));
    let mut f = Pcap::new(true, NS, (2, 4), 0, 1);
    f.rec(1, 1, 300_000, 300_000, &big);
    v.push(("bad-caplen-over-max".into(), f.out));
    let mut f = Pcap::new(false, US, (2, 4), 10, 1);
    f.rec(1, 1, 100, 100, &big[..50]);
    v.push(("bad-over-snaplen-truncated".into(), f.out));
    // pcapng.
    let base = |be: bool| {
        let mut g = Ng::new(be);
        g.shb(1, 0).idb(1, 1500, &[]);
        g
    };
    let p = ethernet(&mut r, 40);
    let mut g = base(false);
    g.epb(0, 1, p.len() as u32, p.len() as u32, &p, &[]);
    let good_ng = g.out.clone();
    v.push(("bad-ng-ends-inside-block".into(), good_ng[..good_ng.len() - 7].to_vec()));
    v.push(("bad-ng-ends-inside-header".into(), good_ng[..good_ng.len() - p.len() - 30].to_vec()));
    let mut f = base(false).out;
    f.extend(6u32.to_le_bytes());
    f.extend(8u32.to_le_bytes());
    v.push(("bad-ng-block-too-short".into(), f));
    let mut f = base(true).out;
    f.extend(6u32.to_be_bytes());
    f.extend(30u32.to_be_bytes());
    f.extend([0u8; 22]);
    v.push(("bad-ng-length-not-multiple-of-4".into(), f));
    let mut f = base(false).out;
    f.extend(6u32.to_le_bytes());
    f.extend(0x4000_0000u32.to_le_bytes());
    f.extend([0u8; 64]);
    v.push(("bad-ng-huge-block".into(), f));
    let mut f = base(false).out;
    f.extend(0xbadu32.to_le_bytes());
    f.extend(16u32.to_le_bytes());
    f.extend([0u8; 4]);
    f.extend(20u32.to_le_bytes());
    v.push(("bad-ng-trailer-mismatch".into(), f));
    let mut g = Ng::new(false);
    g.shb(1, 0).epb(0, 1, 4, 4, b"abcd", &[]);
    v.push(("bad-ng-epb-before-idb".into(), g.out));
    let mut g = base(false);
    g.epb(3, 1, 4, 4, b"abcd", &[]);
    v.push(("bad-ng-epb-unknown-interface".into(), g.out));
    let mut g = base(false);
    g.shb(1, 0).epb(0, 1, 4, 4, b"abcd", &[]);
    v.push(("bad-ng-epb-in-idb-less-section".into(), g.out));
    let mut g = base(false);
    g.shb(2, 0);
    v.push(("bad-ng-unknown-major-later".into(), g.out));
    let mut g = Ng::new(true);
    g.shb(2, 0).idb(1, 0, &[]);
    v.push(("bad-ng-unknown-major-first".into(), g.out));
    let mut g = Ng::new(false);
    g.shb(1, 0);
    v.push(("bad-ng-no-idb".into(), g.out));
    let mut g = base(false);
    g.idb(113, 1500, &[]);
    v.push(("bad-ng-different-linktypes".into(), g.out));
    let mut g = base(false);
    g.idb(1, 9000, &[]);
    v.push(("bad-ng-different-snaplens".into(), g.out));
    let mut g = base(false);
    g.epb(0, 1, 2000, 2000, &[0; 2000], &[]);
    v.push(("bad-ng-caplen-over-snaplen".into(), g.out));
    let mut g = base(false);
    g.epb(0, 1, 100, 100, &[0; 20], &[]);
    v.push(("bad-ng-epb-data-short".into(), g.out));
    let mut g = Ng::new(false);
    let o = g.opt(9, &[30]);
    g.shb(1, 0).idb(1, 100, &[o]);
    v.push(("bad-ng-tsresol-too-high".into(), g.out));
    let mut g = Ng::new(false);
    let (a, b) = (g.opt(14, &[0; 8]), g.opt(14, &[0; 8]));
    g.shb(1, 0).idb(1, 100, &[a, b]);
    v.push(("bad-ng-two-tsoffsets".into(), g.out));
    let mut f = base(false).out;
    f[4..8].copy_from_slice(&2_000_000u32.to_le_bytes());
    v.push(("bad-ng-shb-insane".into(), f));
    let mut f = base(false).out;
    f[4..8].copy_from_slice(&4096u32.to_le_bytes());
    v.push(("bad-ng-shb-truncated".into(), f));
    let mut g = base(false);
    let mut h = Ng::new(true);
    h.shb(1, 0);
    g.out.extend(h.out);
    v.push(("bad-ng-section-other-order".into(), g.out));
    // libpcap compares the first interface's DLT with a later interface's
    // raw LINKTYPE: two LINKTYPE_RAW (101, DLT_RAW 12) interfaces differ,
    // in one section or in two (ng-lt101-then-12 is the converse).
    let mut g = Ng::new(false);
    g.shb(1, 0).idb(101, 0, &[]).epb(0, 1, 4, 4, b"\x45\0\0\x04", &[]).idb(101, 0, &[]).epb(1, 2, 4, 4, b"\x45\0\0\x04", &[]);
    v.push(("bad-ng-two-raw-interfaces".into(), g.out));
    let mut g = Ng::new(false);
    g.shb(1, 0).idb(101, 0, &[]).epb(0, 1, 4, 4, b"\x45\0\0\x04", &[]).shb(1, 0).idb(101, 0, &[]);
    v.push(("bad-ng-raw-in-a-new-section".into(), g.out));
    // Option errors, in the first IDB (in a later one libpcap 1.10 itself
    // divides by zero on some of them).
    let g = Ng::new(false);
    let bad_options: [(&str, Vec<u8>); 6] = [
        ("endofopt-length", [g.o.u16(0).to_vec(), g.o.u16(4).to_vec(), vec![0; 4]].concat()),
        ("tsresol-length", [g.o.u16(9).to_vec(), g.o.u16(2).to_vec(), vec![6, 0, 0, 0]].concat()),
        ("tsoffset-length", [g.o.u16(14).to_vec(), g.o.u16(4).to_vec(), vec![0; 4]].concat()),
        ("tsresol-2-to-the-64", g.opt(9, &[0x80 | 64])),
        ("two-tsresols", [g.opt(9, &[6]), g.opt(9, &[9])].concat()),
        ("option-past-the-block", [g.o.u16(2).to_vec(), g.o.u16(40).to_vec()].concat()),
    ];
    for (name, opts) in bad_options {
        let mut g = Ng::new(false);
        g.shb(1, 0).idb(1, 1500, &[opts]);
        v.push((format!("bad-ng-idb-{name}"), g.out));
    }
    // A pcap record over the link type's maximum, below the file's snaplen.
    let mut f = Pcap::new(false, US, (2, 4), 400_000, 1);
    f.rec(1, 1, 300_000, 300_000, &big);
    v.push(("bad-caplen-over-max-under-snaplen".into(), f.out));
    let mut g = Ng::new(false);
    g.shb(1, 1).idb(1, 0, &[]);
    v.push(("bad-ng-version-1.1".into(), g.out));
    let mut g = base(false);
    g.epb(0, 1, 4, 4, b"abcd", &[]);
    let mut shb = Vec::new();
    shb.extend(g.o.u32(0x1234_5678));
    shb.extend(g.o.u16(1));
    shb.extend(g.o.u16(0));
    shb.extend(g.o.u64(u64::MAX));
    g.block(0x0a0d_0d0a, &shb);
    v.push(("bad-ng-later-shb-byte-order-magic".into(), g.out));
    // Blocks shorter than their fixed part.
    let mut g = base(false);
    g.block(6, &[0; 12]);
    v.push(("bad-ng-epb-too-short".into(), g.out));
    let mut g = base(false);
    g.block(3, &[]);
    v.push(("bad-ng-spb-too-short".into(), g.out));
    let mut g = Ng::new(false);
    let one = g.o.u16(1);
    g.shb(1, 0).block(1, &one);
    v.push(("bad-ng-idb-too-short".into(), g.out));
    let mut g = base(false);
    g.block(1, &one);
    v.push(("bad-ng-later-idb-too-short".into(), g.out));
    // A packet over 256 KiB in a file whose snaplen is unset (262144).
    let mut g = Ng::new(false);
    g.shb(1, 0).idb(1, 0, &[]).epb(0, 1, 300_000, 300_000, &big, &[]);
    v.push(("bad-ng-caplen-over-256k".into(), g.out));
    v
}

/// Write the corpus under `target/savefile-corpus/` once per test process;
/// returns the directory.
pub fn dir() -> PathBuf {
    static WRITE: Once = Once::new();
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/savefile-corpus");
    WRITE.call_once(|| {
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        for (n, b) in good_files().into_iter().chain(bad_files()) {
            std::fs::write(d.join(n), b).unwrap();
        }
    });
    d
}

pub fn path(name: &str) -> PathBuf {
    dir().join(name)
}

pub fn names(good: bool) -> Vec<String> {
    let files = if good { good_files() } else { bad_files() };
    files.into_iter().map(|(n, _)| n).collect()
}

// The filter compiler's fuzz check, shared by the fuzz target and by
// tests/filter_fuzz.rs (which replays the kept corpus through it).
//
// Input: byte 0 picks the link type from LINKTYPES, byte 1 holds flags
// (bit 0: optimize, bit 1: netmask unknown, bit 2: a savefile's rules,
// bit 3: Linux VLAN ancillary loads), the rest is the expression (UTF-8,
// invalid sequences replaced). Compiling may fail with an error, never
// panic or hang; a program it produces must pass libpcap's validator and
// run over a few packets the same way through every front end of the
// interpreter. Host names resolve through the system's databases: the
// caller runs the check in a private network namespace (see
// `private_network`), so that no lookup leaves the machine.

use ringcap::bpf::{self, AuxData, Compiled};
use ringcap::filter::{compile_for, CompileOptions, Origin, NETMASK_UNKNOWN};

/// The link types the compiler is checked on: the ones Linux captures and
/// files carry, and a few with unusual layouts (variable-length headers,
/// ATM, MTP, no link-type field).
pub const LINKTYPES: &[i32] = &[
    1,   // EN10MB
    113, // LINUX_SLL
    276, // LINUX_SLL2
    12,  // RAW
    228, // IPV4
    229, // IPV6
    0,   // NULL
    108, // LOOP
    105, // IEEE802_11
    127, // IEEE802_11_RADIO
    119, // PRISM_HEADER
    163, // IEEE802_11_RADIO_AVS
    192, // PPI
    9,   // PPP
    10,  // FDDI
    6,   // IEEE802
    7,   // ARCNET
    11,  // ATM_RFC1483
    123, // SUNATM
    140, // MTP2
    117, // PFLOG
    107, // FRELAY
    50,  // PPP_SERIAL
    104, // C_HDLC
    178, // JUNIPER_ETHER
    147, // USER0 (no link layer known to the compiler)
];

/// A few packets: Ethernet + IPv4 + TCP port 80, Ethernet + 802.1Q + IPv6
/// + UDP port 53, a short frame, and nothing at all.
fn packets() -> [Vec<u8>; 4] {
    let mut tcp = vec![0xff; 6];
    tcp.extend([0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    tcp.extend([0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    tcp.extend([0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    let mut udp6 = vec![0x33, 0x33, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x81, 0x00, 0x00, 0x64, 0x86, 0xdd];
    udp6.extend([0x60, 0, 0, 0, 0, 8, 17, 64]);
    udp6.extend([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    udp6.extend([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    udp6.extend([0x14, 0xe9, 0, 53, 0, 8, 0, 0]);
    [tcp, udp6, vec![0x45, 0, 0, 20, 0, 0], Vec::new()]
}

/// Move the calling thread into a new, empty network namespace, where a
/// name that is not in /etc/hosts fails at once, without a DNS query.
pub fn private_network() {
    ringcap::sys::ns::unshare_net()
        .expect("unshare(CLONE_NEWNET): the filter compiler resolves names, run as root or under `unshare -rn`");
}

pub fn check_filter_compile(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let linktype = LINKTYPES[data[0] as usize % LINKTYPES.len()];
    let flags = data[1];
    let expr = String::from_utf8_lossy(&data[2..]);
    let opts = CompileOptions {
        linktype,
        snaplen: 262_144,
        optimize: flags & 1 != 0,
        netmask: if flags & 2 != 0 { NETMASK_UNKNOWN } else { 0xffff_ff00 },
        linux_vlan_ancillary: flags & 8 != 0,
    };
    let origin = if flags & 4 != 0 { Origin::Savefile { swapped: flags & 16 != 0 } } else { Origin::Capture };
    let Ok(prog) = compile_for(&expr, &opts, origin) else { return };
    assert!(bpf::validate(&prog), "{expr:?} on DLT {linktype}: the compiled program fails bpf_validate");
    let compiled = Compiled::new(&prog);
    let aux = AuxData { vlan_tag_present: true, vlan_tag: 100, pkttype: Some(4) };
    for pkt in packets() {
        for aux in [None, Some(&aux)] {
            let verdict = bpf::filter_with_aux(&prog, &pkt, pkt.len() as u32 + 4, aux);
            assert_eq!(compiled.run(&pkt, pkt.len() as u32 + 4, aux), verdict, "{expr:?}: front ends disagree");
        }
    }
}

//! The name database of `<pcap/namedb.h>`: host, network, service,
//! protocol and ethers lookups through the system databases, libpcap's
//! static Ethernet-type and LLC tables, and its address parsers, with
//! libpcap's exact results (including its quirks) so that filters resolve
//! names the way libpcap does.

use std::ffi::CString;

use crate::sys::netdb::{self, SockAddr};

/// A protocol number that could not be resolved.
pub const PROTO_UNDEF: i32 = -1;

/// libpcap's `eproto_db`: names accepted by `ether proto \name`.
pub const EPROTO_DB: &[(&str, u16)] = &[
    ("aarp", 0x80f3),
    ("arp", 0x0806),
    ("atalk", 0x809b),
    ("decnet", 0x6003),
    ("ip", 0x0800),
    ("ip6", 0x86dd),
    ("lat", 0x6004),
    ("loopback", 0x9000),
    ("mopdl", 0x6001),
    ("moprc", 0x6002),
    ("rarp", 0x8035),
    ("sca", 0x6007),
];

/// LLC SAP names for `ether proto \name`.
const LLC_DB: &[(&str, u16)] = &[("iso", 0xfe), ("stp", 0x42), ("ipx", 0xe0), ("netbeui", 0xf0)];

/// A host address from the resolver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostAddr {
    /// Host byte order.
    V4(u32),
    V6([u8; 16]),
}

fn cstr(s: &str) -> Option<CString> {
    CString::new(s).ok()
}

/// The resolver's list for a host name (`pcap_nametoaddrinfo`), raw.
pub fn nametoaddrinfo_raw(name: &str) -> Option<netdb::AddrInfo> {
    let c = cstr(name)?;
    netdb::getaddrinfo(Some(&c), None, libc::AF_UNSPEC, libc::SOCK_STREAM, libc::IPPROTO_TCP, 0).ok()
}

/// The IPv4 and IPv6 addresses of a host name, in resolver order.
pub fn nametoaddrinfo(name: &str) -> Option<Vec<HostAddr>> {
    let ai = nametoaddrinfo_raw(name)?;
    Some(
        ai.addrs()
            .into_iter()
            .filter_map(|a| match a {
                SockAddr::V4 { addr, .. } => Some(HostAddr::V4(u32::from_be_bytes(addr))),
                SockAddr::V6 { addr, .. } => Some(HostAddr::V6(addr)),
                SockAddr::Other => None,
            })
            .collect(),
    )
}

/// A network name from the networks database (host order), 0 if unknown.
pub fn nametonetaddr(name: &str) -> u32 {
    cstr(name).and_then(|c| netdb::getnetbyname(&c)).unwrap_or(0)
}

/// The first port `getaddrinfo` gives for a service name over one protocol:
/// `Ok(None)` when unknown, `Err` for a resolver failure.
fn service_port(name: &CString, socktype: i32, protocol: i32) -> Result<Option<i32>, ()> {
    match netdb::getaddrinfo(None, Some(name), libc::AF_UNSPEC, socktype, protocol, 0) {
        Ok(ai) => Ok(ai.addrs().into_iter().find_map(|a| match a {
            SockAddr::V4 { port, .. } | SockAddr::V6 { port, .. } => Some(port as i32),
            SockAddr::Other => None,
        })),
        Err(e) if e == libc::EAI_NONAME || e == libc::EAI_SERVICE => Ok(None),
        Err(_) => Err(()),
    }
}

/// A service name to (port, protocol); the protocol is `PROTO_UNDEF` when
/// TCP and UDP agree on the port.
pub fn nametoport(name: &str) -> Option<(i32, i32)> {
    let c = cstr(name)?;
    let tcp = service_port(&c, libc::SOCK_STREAM, libc::IPPROTO_TCP).ok()?;
    let udp = service_port(&c, libc::SOCK_DGRAM, libc::IPPROTO_UDP).ok()?;
    match (tcp, udp) {
        (Some(t), Some(u)) if t == u => Some((t, PROTO_UNDEF)),
        (Some(t), _) => Some((t, libc::IPPROTO_TCP)),
        (None, Some(u)) => Some((u, libc::IPPROTO_UDP)),
        (None, None) => None,
    }
}

/// `sscanf`'s `%d`: optional space and sign, then decimal digits; the value
/// as glibc stores it (through `long`, then truncated to `int`).
fn scan_int(s: &[u8]) -> Option<(i32, usize)> {
    let mut i = 0;
    while i < s.len() && (s[i] == b' ' || (b'\t'..=b'\r').contains(&s[i])) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: i128 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = (v * 10 + (s[i] - b'0') as i128).min(1 << 70);
        i += 1;
    }
    if i == start {
        return None;
    }
    if neg {
        v = -v;
    }
    let long = v.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    Some((long as i32, i))
}

/// What a port range lookup found: the range, or, when only the name
/// before the dash resolved, that name's port and protocol (libpcap has
/// stored those in the caller's `port1` and `proto` when it gives up on the
/// second name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortRange {
    /// (port1, port2, protocol).
    Found(i32, i32, i32),
    /// (port1, protocol) of the first name; the range is unknown.
    FirstOnly(i32, i32),
    NotFound,
}

impl PortRange {
    /// The range, if both ends resolved.
    pub fn found(self) -> Option<(i32, i32, i32)> {
        match self {
            PortRange::Found(a, b, p) => Some((a, b, p)),
            _ => None,
        }
    }
}

/// `a-b` with numbers or service names.
pub fn nametoportrange(name: &str) -> PortRange {
    let b = name.as_bytes();
    if let Some((p1, n)) = scan_int(b) {
        if b.get(n) == Some(&b'-') {
            if let Some((p2, _)) = scan_int(&b[n + 1..]) {
                return PortRange::Found(p1, p2, PROTO_UNDEF);
            }
        }
    }
    let Some(dash) = name.find('-') else { return PortRange::NotFound };
    let Some((port1, proto1)) = nametoport(&name[..dash]) else { return PortRange::NotFound };
    let Some((port2, proto2)) = nametoport(&name[dash + 1..]) else { return PortRange::FirstOnly(port1, proto1) };
    let proto = if proto1 != proto2 { PROTO_UNDEF } else { proto2 };
    PortRange::Found(port1, port2, proto)
}

/// An IP protocol name (`/etc/protocols`); `PROTO_UNDEF` when unknown and,
/// as in libpcap, 0 when the lookup fails.
pub fn nametoproto(name: &str) -> i32 {
    let Some(c) = cstr(name) else { return PROTO_UNDEF };
    match netdb::getprotobyname(&c) {
        Err(_) => 0,
        Ok(Some(p)) => p,
        Ok(None) => PROTO_UNDEF,
    }
}

/// An Ethernet type from [`EPROTO_DB`].
pub fn nametoeproto(name: &str) -> i32 {
    EPROTO_DB.iter().find(|e| e.0 == name).map_or(PROTO_UNDEF, |e| e.1 as i32)
}

/// An LLC SAP name.
pub fn nametollc(name: &str) -> i32 {
    LLC_DB.iter().find(|e| e.0 == name).map_or(PROTO_UNDEF, |e| e.1 as i32)
}

fn xdtoi(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c.wrapping_sub(b'A').wrapping_add(10),
    }
}

/// libpcap's MAC address parser: hex digit pairs with optional `:`, `.` or
/// `-` separators. No validation (the scanner has already matched a MAC
/// address); the result has at least 6 bytes.
pub fn ether_aton(s: &str) -> Vec<u8> {
    let s = s.as_bytes();
    let mut out = Vec::with_capacity(6);
    let mut i = 0;
    while i < s.len() {
        if matches!(s[i], b':' | b'.' | b'-') {
            i += 1;
        }
        let mut d = xdtoi(s.get(i).copied().unwrap_or(0));
        i += 1;
        if i < s.len() && s[i].is_ascii_hexdigit() {
            d = (d << 4) | xdtoi(s[i]);
            i += 1;
        }
        out.push(d);
    }
    if out.len() < 6 {
        out.resize(6, 0);
    }
    out
}

/// A host name in the ethers database.
pub fn ether_hostton(name: &str) -> Option<[u8; 6]> {
    // libpcap copies the name into a 1024-byte buffer first.
    let mut n = name.as_bytes();
    if n.len() > 1023 {
        n = &n[..1023];
    }
    let c = CString::new(n).ok()?;
    netdb::ether_host(&c)
}

/// A dotted IPv4 address with 1 to 4 parts: (bits given, value).
pub fn atoin(s: &str) -> Option<(u32, u32)> {
    let s = s.as_bytes();
    let mut addr: u32 = 0;
    let mut len = 0u32;
    let mut i = 0;
    loop {
        let mut n: u32 = 0;
        while i < s.len() && s[i] != b'.' {
            if n > 25 {
                return None;
            }
            n = n.wrapping_mul(10).wrapping_add((s[i] as i32 - b'0' as i32) as u32);
            i += 1;
        }
        if n > 255 {
            return None;
        }
        addr = (addr << 8) | (n & 0xff);
        len += 8;
        if i >= s.len() {
            return Some((len, addr));
        }
        i += 1;
    }
}

/// A DECnet address `area.node`.
pub fn atodn(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    let (area, n) = scan_int(b)?;
    if b.get(n) != Some(&b'.') {
        return None;
    }
    let (node, _) = scan_int(&b[n + 1..])?;
    Some((((area as u32) << 10) & 0o176000) | (node as u32 & 0o1777))
}

/// One `/etc/ethers` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtherEnt {
    pub addr: [u8; 6],
    /// At most 121 bytes.
    pub name: Vec<u8>,
}

/// Parse the next entry of an ethers file read byte by byte through
/// `getc` (which returns -1 at end of file), as `pcap_next_etherent` does.
pub fn next_etherent(mut getc: impl FnMut() -> i32) -> Option<EtherEnt> {
    const EOF: i32 = -1;
    let is_x = |c: i32| (0..256).contains(&c) && (c as u8).is_ascii_hexdigit();
    let skip_space = |g: &mut dyn FnMut() -> i32| loop {
        let c = g();
        if c != b' ' as i32 && c != b'\t' as i32 && c != b'\r' as i32 {
            return c;
        }
    };
    let skip_line = |g: &mut dyn FnMut() -> i32| loop {
        let c = g();
        if c == b'\n' as i32 || c == EOF {
            return c;
        }
    };
    // Zeroed once per call, as libpcap zeroes its entry: bytes a skipped
    // line wrote stay in the address of a later entry written only in part.
    let mut e = EtherEnt { addr: [0; 6], name: Vec::new() };
    loop {
        let mut c = skip_space(&mut getc);
        if c == EOF {
            return None;
        }
        if c == b'\n' as i32 {
            continue;
        }
        if !is_x(c) {
            if skip_line(&mut getc) == EOF {
                return None;
            }
            continue;
        }
        for i in 0..6 {
            let mut d = xdtoi(c as u8);
            c = getc();
            if c == EOF {
                return None;
            }
            if is_x(c) {
                d = (d << 4) | xdtoi(c as u8);
                c = getc();
                if c == EOF {
                    return None;
                }
            }
            e.addr[i] = d;
            if c != b':' as i32 {
                break;
            }
            c = getc();
            if c == EOF {
                return None;
            }
        }
        let ws = |c: i32| c == b' ' as i32 || c == b'\t' as i32 || c == b'\r' as i32 || c == b'\n' as i32;
        if !ws(c) {
            if skip_line(&mut getc) == EOF {
                return None;
            }
            continue;
        }
        c = skip_space(&mut getc);
        if c == EOF {
            return None;
        }
        if c == b'\n' as i32 {
            continue;
        }
        if c == b'#' as i32 {
            if skip_line(&mut getc) == EOF {
                return None;
            }
            continue;
        }
        let mut room = 121;
        loop {
            e.name.push(c as u8);
            c = getc();
            if c == EOF {
                return None;
            }
            room -= 1;
            if ws(c) || room == 0 {
                break;
            }
        }
        if c != b'\n' as i32 {
            skip_line(&mut getc);
        }
        return Some(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoin_counts_parts() {
        assert_eq!(atoin("10"), Some((8, 10)));
        assert_eq!(atoin("10.1"), Some((16, 0x0a01)));
        assert_eq!(atoin("1.2.3.4"), Some((32, 0x01020304)));
        assert_eq!(atoin("256.1"), None);
        assert_eq!(atoin("999.1.1.1"), None);
    }

    #[test]
    fn ether_aton_accepts_all_separators() {
        assert_eq!(ether_aton("00:11:22:33:44:55"), vec![0, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(ether_aton("0011.2233.4455"), vec![0, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(ether_aton("a-b-c-d-e-f"), vec![0xa, 0xb, 0xc, 0xd, 0xe, 0xf]);
        assert_eq!(ether_aton("001122334455"), vec![0, 0x11, 0x22, 0x33, 0x44, 0x55]);
    }

    #[test]
    fn portranges_and_names() {
        assert_eq!(nametoportrange("20-21"), PortRange::Found(20, 21, PROTO_UNDEF));
        assert_eq!(nametoportrange("1--2"), PortRange::Found(1, -2, PROTO_UNDEF));
        assert_eq!(nametoportrange("20 -21"), PortRange::NotFound);
        // Debian's /etc/services: ssh and http are TCP only, ntp UDP only,
        // domain both.
        assert_eq!(nametoport("ssh"), Some((22, libc::IPPROTO_TCP)));
        assert_eq!(nametoport("ntp"), Some((123, libc::IPPROTO_UDP)));
        assert_eq!(nametoport("domain"), Some((53, PROTO_UNDEF)));
        assert_eq!(nametoportrange("ssh-ntp"), PortRange::Found(22, 123, PROTO_UNDEF));
        assert_eq!(nametoportrange("http-no-such"), PortRange::FirstOnly(80, libc::IPPROTO_TCP));
        assert_eq!(nametoportrange("no-such"), PortRange::NotFound);
        assert_eq!(nametoport("no-such-service-x"), None);
        assert_eq!(nametoeproto("ip6"), 0x86dd);
        assert_eq!(nametollc("stp"), 0x42);
        assert_eq!(nametoproto("udp"), 17);
        assert_eq!(nametoproto("nonexistent-proto"), PROTO_UNDEF);
    }

    #[test]
    fn etherent_parser() {
        let text = b"# comment\n\n00:11:22:33:44:55 alpha # x\nzz bad\n0:1:2:3:4:5\tbeta\n";
        let mut pos = 0;
        let mut getc = || {
            let c = text.get(pos).map_or(-1, |&b| b as i32);
            pos += 1;
            c
        };
        let e = next_etherent(&mut getc).unwrap();
        assert_eq!(e, EtherEnt { addr: [0, 0x11, 0x22, 0x33, 0x44, 0x55], name: b"alpha".to_vec() });
        let e = next_etherent(&mut getc).unwrap();
        assert_eq!(e, EtherEnt { addr: [0, 1, 2, 3, 4, 5], name: b"beta".to_vec() });
        assert_eq!(next_etherent(&mut getc), None);
    }

    #[test]
    fn etherent_keeps_bytes_of_a_skipped_line() {
        let text = b"01:02:03:04:05-x\n0a:0b partial\n";
        let mut pos = 0;
        let getc = || {
            let c = text.get(pos).map_or(-1, |&b| b as i32);
            pos += 1;
            c
        };
        let e = next_etherent(getc).unwrap();
        assert_eq!(e, EtherEnt { addr: [0x0a, 0x0b, 3, 4, 5, 0], name: b"partial".to_vec() });
    }

    #[test]
    fn decnet_addresses() {
        assert_eq!(atodn("1.2"), Some((1 << 10) | 2));
        assert_eq!(atodn("0x1.2"), None);
    }
}

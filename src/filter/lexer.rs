//! The scanner: splits a filter expression into tokens the way libpcap's
//! flex scanner does — longest match, earlier rule on a tie — including its
//! numeric forms (decimal, `0x` hex, leading-0 octal), dotted addresses,
//! MAC addresses in all their spellings, IPv6 literals, named constants
//! (`tcp-syn`, `icmp-echo`, ...) and backslash-quoted names.

use std::ffi::CString;
use std::rc::Rc;

use once_cell::sync::Lazy;

use super::grammar::T;
use crate::sys::netdb;

/// A scanned token and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A token without a value.
    Plain(T),
    Num(u32),
    /// ID, EID, AID, HID, HID6 with their text; `None` when the scanner
    /// rejected the text (the error is already recorded).
    Text(T, Option<Rc<str>>),
}

impl Tok {
    pub fn kind(&self) -> T {
        match self {
            Tok::Plain(t) | Tok::Text(t, _) => *t,
            Tok::Num(_) => T::NUM,
        }
    }
}

const KEYWORDS: &[(&str, T)] = &[
    ("dst", T::DST),
    ("src", T::SRC),
    ("link", T::LINK),
    ("ether", T::LINK),
    ("ppp", T::LINK),
    ("slip", T::LINK),
    ("fddi", T::LINK),
    ("tr", T::LINK),
    ("wlan", T::LINK),
    ("arp", T::ARP),
    ("rarp", T::RARP),
    ("ip", T::IP),
    ("sctp", T::SCTP),
    ("tcp", T::TCP),
    ("udp", T::UDP),
    ("icmp", T::ICMP),
    ("igmp", T::IGMP),
    ("igrp", T::IGRP),
    ("pim", T::PIM),
    ("vrrp", T::VRRP),
    ("carp", T::CARP),
    ("radio", T::RADIO),
    ("ip6", T::IPV6),
    ("icmp6", T::ICMPV6),
    ("ah", T::AH),
    ("esp", T::ESP),
    ("atalk", T::ATALK),
    ("aarp", T::AARP),
    ("decnet", T::DECNET),
    ("lat", T::LAT),
    ("sca", T::SCA),
    ("moprc", T::MOPRC),
    ("mopdl", T::MOPDL),
    ("iso", T::ISO),
    ("esis", T::ESIS),
    ("es-is", T::ESIS),
    ("isis", T::ISIS),
    ("is-is", T::ISIS),
    ("l1", T::L1),
    ("l2", T::L2),
    ("iih", T::IIH),
    ("lsp", T::LSP),
    ("snp", T::SNP),
    ("csnp", T::CSNP),
    ("psnp", T::PSNP),
    ("clnp", T::CLNP),
    ("stp", T::STP),
    ("ipx", T::IPX),
    ("netbeui", T::NETBEUI),
    ("host", T::HOST),
    ("net", T::NET),
    ("mask", T::NETMASK),
    ("port", T::PORT),
    ("portrange", T::PORTRANGE),
    ("proto", T::PROTO),
    ("protochain", T::PROTOCHAIN),
    ("gateway", T::GATEWAY),
    ("type", T::TYPE),
    ("subtype", T::SUBTYPE),
    ("direction", T::DIR),
    ("dir", T::DIR),
    ("address1", T::ADDR1),
    ("addr1", T::ADDR1),
    ("address2", T::ADDR2),
    ("addr2", T::ADDR2),
    ("address3", T::ADDR3),
    ("addr3", T::ADDR3),
    ("address4", T::ADDR4),
    ("addr4", T::ADDR4),
    ("ra", T::RA),
    ("ta", T::TA),
    ("less", T::LESS),
    ("greater", T::GREATER),
    ("byte", T::CBYTE),
    ("broadcast", T::TK_BROADCAST),
    ("multicast", T::TK_MULTICAST),
    ("and", T::AND),
    ("&&", T::AND),
    ("or", T::OR),
    ("||", T::OR),
    ("not", T::BANG),
    ("len", T::LEN),
    ("length", T::LEN),
    ("inbound", T::INBOUND),
    ("outbound", T::OUTBOUND),
    ("ifindex", T::IFINDEX),
    ("vlan", T::VLAN),
    ("mpls", T::MPLS),
    ("pppoed", T::PPPOED),
    ("pppoes", T::PPPOES),
    ("geneve", T::GENEVE),
    ("lane", T::LANE),
    ("llc", T::LLC),
    ("metac", T::METAC),
    ("bcc", T::BCC),
    ("oam", T::OAM),
    ("oamf4", T::OAMF4),
    ("oamf4ec", T::OAMF4EC),
    ("oamf4sc", T::OAMF4SC),
    ("sc", T::SC),
    ("ilmic", T::ILMIC),
    ("vpi", T::VPI),
    ("vci", T::VCI),
    ("connectmsg", T::CONNECTMSG),
    ("metaconnect", T::METACONNECT),
    ("on", T::PF_IFNAME),
    ("ifname", T::PF_IFNAME),
    ("rset", T::PF_RSET),
    ("ruleset", T::PF_RSET),
    ("rnr", T::PF_RNR),
    ("rulenum", T::PF_RNR),
    ("srnr", T::PF_SRNR),
    ("subrulenum", T::PF_SRNR),
    ("reason", T::PF_REASON),
    ("action", T::PF_ACTION),
    ("fisu", T::FISU),
    ("lssu", T::LSSU),
    ("lsu", T::LSSU),
    ("msu", T::MSU),
    ("hfisu", T::HFISU),
    ("hlssu", T::HLSSU),
    ("hmsu", T::HMSU),
    ("sio", T::SIO),
    ("opc", T::OPC),
    ("dpc", T::DPC),
    ("sls", T::SLS),
    ("hsio", T::HSIO),
    ("hopc", T::HOPC),
    ("hdpc", T::HDPC),
    ("hsls", T::HSLS),
];

/// A keyword's bytes and token.
type Keyword = (&'static [u8], T);

/// [`KEYWORDS`] by first byte: trying every keyword at every token was a
/// tenth of compile time. (Their order does not matter: no two are equal,
/// so no two match the same length.)
static KEYWORDS_BY_FIRST_BYTE: Lazy<Vec<Vec<Keyword>>> = Lazy::new(|| {
    let mut by = vec![Vec::new(); 256];
    for &(kw, t) in KEYWORDS {
        by[kw.as_bytes()[0] as usize].push((kw.as_bytes(), t));
    }
    by
});

/// Names that scan as numbers.
const NAMED_NUMBERS: &[(&str, u32)] = &[
    ("icmptype", 0),
    ("icmpcode", 1),
    ("icmp-echoreply", 0),
    ("icmp-unreach", 3),
    ("icmp-sourcequench", 4),
    ("icmp-redirect", 5),
    ("icmp-echo", 8),
    ("icmp-routeradvert", 9),
    ("icmp-routersolicit", 10),
    ("icmp-timxceed", 11),
    ("icmp-paramprob", 12),
    ("icmp-tstamp", 13),
    ("icmp-tstampreply", 14),
    ("icmp-ireq", 15),
    ("icmp-ireqreply", 16),
    ("icmp-maskreq", 17),
    ("icmp-maskreply", 18),
    ("icmp6type", 0),
    ("icmp6code", 1),
    ("icmp6-destinationunreach", 1),
    ("icmp6-packettoobig", 2),
    ("icmp6-timeexceeded", 3),
    ("icmp6-parameterproblem", 4),
    ("icmp6-echo", 128),
    ("icmp6-echoreply", 129),
    ("icmp6-multicastlistenerquery", 130),
    ("icmp6-multicastlistenerreportv1", 131),
    ("icmp6-multicastlistenerdone", 132),
    ("icmp6-routersolicit", 133),
    ("icmp6-routeradvert", 134),
    ("icmp6-neighborsolicit", 135),
    ("icmp6-neighboradvert", 136),
    ("icmp6-redirect", 137),
    ("icmp6-routerrenum", 138),
    ("icmp6-nodeinformationquery", 139),
    ("icmp6-nodeinformationresponse", 140),
    ("icmp6-ineighbordiscoverysolicit", 141),
    ("icmp6-ineighbordiscoveryadvert", 142),
    ("icmp6-multicastlistenerreportv2", 143),
    ("icmp6-homeagentdiscoveryrequest", 144),
    ("icmp6-homeagentdiscoveryreply", 145),
    ("icmp6-mobileprefixsolicit", 146),
    ("icmp6-mobileprefixadvert", 147),
    ("icmp6-certpathsolicit", 148),
    ("icmp6-certpathadvert", 149),
    ("icmp6-multicastrouteradvert", 151),
    ("icmp6-multicastroutersolicit", 152),
    ("icmp6-multicastrouterterm", 153),
    ("tcpflags", 13),
    ("tcp-fin", 0x01),
    ("tcp-syn", 0x02),
    ("tcp-rst", 0x04),
    ("tcp-push", 0x08),
    ("tcp-ack", 0x10),
    ("tcp-urg", 0x20),
    ("tcp-ece", 0x40),
    ("tcp-cwr", 0x80),
];

fn hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

/// Length of the run of bytes satisfying `f` at `i`.
fn run(s: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    s[i.min(s.len())..].iter().take_while(|&&c| f(c)).count()
}

/// End positions of `{N}` at `i`: decimal digits, or `0x`/`0X` and hex.
fn n_ends(s: &[u8], i: usize) -> [Option<usize>; 2] {
    let dec = run(s, i, |c| c.is_ascii_digit());
    let dec = (dec > 0).then_some(i + dec);
    let hx = if s.get(i) == Some(&b'0') && matches!(s.get(i + 1), Some(b'x' | b'X')) {
        let h = run(s, i + 2, hex);
        (h > 0).then_some(i + 2 + h)
    } else {
        None
    };
    [dec, hx]
}

/// Longest `{N}(\.{N}){parts-1}` ending.
fn dotted(s: &[u8], i: usize, parts: usize) -> Option<usize> {
    let mut best = None;
    for e in n_ends(s, i).into_iter().flatten() {
        if parts == 1 {
            best = best.max(Some(e));
        } else if s.get(e) == Some(&b'.') {
            best = best.max(dotted(s, e + 1, parts - 1));
        }
    }
    best
}

/// `{B}`: one or two hex digits, as long as possible.
fn b_end(s: &[u8], i: usize) -> Option<usize> {
    let h = run(s, i, hex).min(2);
    (h > 0).then_some(i + h)
}

/// MAC address forms: `B:B:B:B:B:B`, `B-B-...`, `B.B....`, `B2.B2.B2`, `B2B2B2`.
fn mac_len(s: &[u8], i: usize) -> Option<usize> {
    let mut best = None;
    for sep in [b':', b'-', b'.'] {
        let mut p = i;
        let mut ok = true;
        for g in 0..6 {
            // A one-digit B followed by another hex digit cannot be
            // followed by the separator; only the maximal B can.
            match b_end(s, p) {
                Some(e) => p = e,
                None => {
                    ok = false;
                    break;
                }
            }
            if g < 5 {
                if s.get(p) != Some(&sep) {
                    ok = false;
                    break;
                }
                p += 1;
            }
        }
        if ok {
            best = best.max(Some(p));
        }
    }
    let four = |p: usize| run(s, p, hex) >= 4;
    if four(i) && s.get(i + 4) == Some(&b'.') && four(i + 5) && s.get(i + 9) == Some(&b'.') && four(i + 10) {
        best = best.max(Some(i + 14));
    }
    if run(s, i, hex) >= 12 {
        best = best.max(Some(i + 12));
    }
    best
}

/// `{B}:+({B}:+)+`, the "bogus ethernet address" pattern.
fn bogus_mac_len(s: &[u8], i: usize) -> Option<usize> {
    let group = |p: usize| -> Option<usize> {
        let e = b_end(s, p)?;
        let c = run(s, e, |c| c == b':');
        (c > 0).then_some(e + c)
    };
    let mut p = group(i)?;
    let mut best = None;
    while let Some(e) = group(p) {
        best = Some(e);
        p = e;
    }
    best
}

/// `{W}`: one to four hex digits followed by `next` (or anything, with the
/// longest such prefix, when `next` is `None` at the end of the pattern).
fn w_end(s: &[u8], i: usize, next: Option<u8>) -> Option<usize> {
    let h = run(s, i, hex);
    match next {
        Some(c) => ((1..=4).contains(&h) && s.get(i + h) == Some(&c)).then_some(i + h),
        None => (h > 0).then_some(i + h.min(4)),
    }
}

/// One IPv6 literal shape: `before` groups, then `::` (if `dc`), then
/// `after` groups, then an IPv4 tail (if `v4`).
fn v6_shape(s: &[u8], i: usize, before: usize, dc: bool, after: usize, v4: bool) -> Option<usize> {
    let mut p = i;
    // Groups before the "::" (or all groups when there is none).
    for g in 0..before {
        let last = g + 1 == before;
        let next = if !last || dc || v4 { Some(b':') } else { None };
        p = w_end(s, p, next)?;
        if !last || (!dc && v4) {
            p += 1; // ':'
        }
    }
    if dc {
        if s.get(p) != Some(&b':') || s.get(p + 1) != Some(&b':') {
            return None;
        }
        p += 2;
        for g in 0..after {
            let last = g + 1 == after;
            let next = if !last || v4 { Some(b':') } else { None };
            p = w_end(s, p, next)?;
            if !last || v4 {
                p += 1;
            }
        }
    }
    if v4 {
        p = dotted(s, p, 4)?;
    }
    Some(p)
}

/// Longest `{V6}` match.
fn v6_len(s: &[u8], i: usize) -> Option<usize> {
    let mut best = v6_shape(s, i, 8, false, 0, false);
    best = best.max(v6_shape(s, i, 6, false, 0, true));
    for total in 0..=7 {
        for before in 0..=total {
            best = best.max(v6_shape(s, i, before, true, total - before, false));
            if total <= 5 {
                best = best.max(v6_shape(s, i, before, true, total - before, true));
            }
        }
    }
    best
}

/// `[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?`
fn id_len(s: &[u8], i: usize) -> Option<usize> {
    if !s.get(i)?.is_ascii_alphanumeric() {
        return None;
    }
    let span = run(s, i + 1, |c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.');
    let tail = s[i + 1..i + 1 + span].iter().rposition(|&c| c != b'-' && c != b'_');
    Some(i + 1 + tail.map_or(0, |t| t + 1))
}

/// What the scanner's rule list matched.
enum Rule {
    Keyword(T),
    Space,
    Char(T),
    Aid,
    Mac,
    Num,
    Hid,
    Hid6,
    BogusMac,
    Named(u32),
    Id,
    QuotedId,
    Other,
}

/// The scanner over one expression.
pub struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// Scan `expr` up to its first NUL (C strings end there).
    pub fn new(expr: &'a str) -> Lexer<'a> {
        let b = expr.as_bytes();
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        Lexer { s: &b[..end], pos: 0 }
    }

    /// The next token. Scanner errors (`number ... overflows`, `bogus
    /// ...`) are reported through `set_error`, as libpcap's scanner does.
    pub fn next(&mut self, set_error: &mut dyn FnMut(String)) -> Tok {
        loop {
            if self.pos >= self.s.len() {
                return Tok::Plain(T::END);
            }
            let (rule, len) = self.longest();
            let text = &self.s[self.pos..self.pos + len];
            let start = self.pos;
            self.pos += len;
            let text_str = || Rc::<str>::from(String::from_utf8_lossy(text).as_ref());
            return match rule {
                Rule::Space => continue,
                Rule::Keyword(t) | Rule::Char(t) => Tok::Plain(t),
                Rule::Aid => Tok::Text(T::AID, Some(text_str())),
                Rule::Mac => Tok::Text(T::EID, Some(text_str())),
                Rule::Num => match stou(text) {
                    Ok(n) => Tok::Num(n),
                    Err(e) => {
                        set_error(e);
                        Tok::Plain(T::LEX_ERROR)
                    }
                },
                Rule::Hid => Tok::Text(T::HID, Some(text_str())),
                Rule::Hid6 => {
                    let ok = CString::new(text).ok().is_some_and(|c| {
                        netdb::getaddrinfo(Some(&c), None, libc::AF_INET6, 0, 0, libc::AI_NUMERICHOST).is_ok()
                    });
                    if ok {
                        Tok::Text(T::HID6, Some(text_str()))
                    } else {
                        set_error(format!("bogus IPv6 address {}", text_str()));
                        Tok::Text(T::HID6, None)
                    }
                }
                Rule::BogusMac => {
                    set_error(format!("bogus ethernet address {}", text_str()));
                    Tok::Text(T::EID, None)
                }
                Rule::Named(v) => Tok::Num(v),
                Rule::Id => Tok::Text(T::ID, Some(text_str())),
                Rule::QuotedId => {
                    let t = &self.s[start + 1..self.pos];
                    Tok::Text(T::ID, Some(Rc::from(String::from_utf8_lossy(t).as_ref())))
                }
                Rule::Other => Tok::Plain(T::LEX_ERROR),
            };
        }
    }

    /// The rule with the longest match at the current position (the
    /// earliest rule on a tie).
    fn longest(&self) -> (Rule, usize) {
        let (s, i) = (self.s, self.pos);
        let mut best: (Rule, usize) = (Rule::Other, 1);
        let consider = |r: Rule, end: Option<usize>, best: &mut (Rule, usize)| {
            if let Some(e) = end {
                if e - i > best.1 || (e - i == best.1 && matches!(best.0, Rule::Other)) {
                    *best = (r, e - i);
                }
            }
        };
        let rest = &s[i..];
        let c = s[i];
        for &(kw, t) in &KEYWORDS_BY_FIRST_BYTE[c as usize] {
            if rest.starts_with(kw) {
                consider(Rule::Keyword(t), Some(i + kw.len()), &mut best);
            }
        }
        if matches!(c, b' ' | b'\r' | b'\n' | b'\t') {
            consider(Rule::Space, Some(i + 1), &mut best);
        }
        if let Some(t) = single_char(c) {
            consider(Rule::Char(t), Some(i + 1), &mut best);
        }
        for (op, t) in [(">=", T::GEQ), ("<=", T::LEQ), ("!=", T::NEQ), ("==", T::EQ), ("<<", T::LSH), (">>", T::RSH)] {
            if rest.starts_with(op.as_bytes()) {
                consider(Rule::Char(t), Some(i + 2), &mut best);
            }
        }
        if c == b'$' {
            consider(Rule::Aid, b_end(s, i + 1), &mut best);
        }
        if hex(c) {
            consider(Rule::Mac, mac_len(s, i), &mut best);
        }
        if c.is_ascii_digit() {
            let [d, h] = n_ends(s, i);
            consider(Rule::Num, d.max(h), &mut best);
            consider(Rule::Hid, (2..=4).filter_map(|n| dotted(s, i, n)).max(), &mut best);
        }
        if hex(c) || c == b':' {
            // Only scan for IPv6 when a ':' is close enough to matter.
            let reach = run(s, i, |c| hex(c) || c == b':' || c == b'.' || c == b'x' || c == b'X');
            if s[i..i + reach].contains(&b':') {
                consider(Rule::Hid6, v6_len(s, i), &mut best);
            }
        }
        if hex(c) {
            consider(Rule::BogusMac, bogus_mac_len(s, i), &mut best);
        }
        if c == b'i' || c == b't' {
            for &(n, v) in NAMED_NUMBERS {
                if rest.starts_with(n.as_bytes()) {
                    consider(Rule::Named(v), Some(i + n.len()), &mut best);
                }
            }
        }
        consider(Rule::Id, id_len(s, i), &mut best);
        if c == b'\\' {
            let n = run(s, i + 1, |c| !matches!(c, b' ' | b'!' | b'(' | b')' | b'\n' | b'\t'));
            if n > 0 {
                consider(Rule::QuotedId, Some(i + 1 + n), &mut best);
            }
        }
        best
    }
}

fn single_char(c: u8) -> Option<T> {
    Some(match c {
        b'+' => T::PLUS,
        b'-' => T::MINUS,
        b'*' => T::STAR,
        b'/' => T::SLASH,
        b'%' => T::PERCENT,
        b':' => T::COLON,
        b'[' => T::LBRACK,
        b']' => T::RBRACK,
        b'!' => T::BANG,
        b'<' => T::LT,
        b'>' => T::GT,
        b'(' => T::LPAREN,
        b')' => T::RPAREN,
        b'&' => T::AMP,
        b'|' => T::PIPE,
        b'^' => T::CARET,
        b'=' => T::EQ,
        _ => return None,
    })
}

/// libpcap's number conversion: `0x` hex, leading-0 octal, else decimal,
/// refusing anything over 32 bits.
fn stou(text: &[u8]) -> Result<u32, String> {
    let shown = String::from_utf8_lossy(text);
    let overflow = || format!("number {shown} overflows 32 bits");
    let mut n: u32 = 0;
    if text[0] == b'0' && matches!(text.get(1), Some(b'x' | b'X')) {
        for &c in &text[2..] {
            if n > 0x0fff_ffff {
                return Err(overflow());
            }
            n = (n << 4) + (c as char).to_digit(16).unwrap_or(0);
        }
    } else if text[0] == b'0' {
        for &c in &text[1..] {
            if !(b'0'..=b'7').contains(&c) {
                return Err(format!("number {shown} contains non-octal digit"));
            }
            if n > 0o3777777777 {
                return Err(overflow());
            }
            n = (n << 3) + (c - b'0') as u32;
        }
    } else {
        for &c in text {
            let d = (c - b'0') as u32;
            if n > u32::MAX / 10 || (n == u32::MAX / 10 && d > u32::MAX % 10) {
                return Err(overflow());
            }
            n = n * 10 + d;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let mut l = Lexer::new(s);
        let mut out = Vec::new();
        let mut errs = Vec::new();
        loop {
            let t = l.next(&mut |e| errs.push(e));
            if t == Tok::Plain(T::END) {
                return out;
            }
            out.push(t);
        }
    }

    fn text(t: T, s: &str) -> Tok {
        Tok::Text(t, Some(Rc::from(s)))
    }

    #[test]
    fn keywords_names_and_numbers() {
        assert_eq!(toks("tcp port 80"), vec![Tok::Plain(T::TCP), Tok::Plain(T::PORT), Tok::Num(80)]);
        assert_eq!(toks("tcp-syn"), vec![Tok::Num(2)]);
        assert_eq!(toks("hostname"), vec![text(T::ID, "hostname")]);
        assert_eq!(toks("0x1f 017 10"), vec![Tok::Num(31), Tok::Num(15), Tok::Num(10)]);
        assert_eq!(toks("\\tcp"), vec![text(T::ID, "tcp")]);
        assert_eq!(toks("a.b-c_"), vec![text(T::ID, "a.b-c"), Tok::Plain(T::LEX_ERROR)]);
    }

    #[test]
    fn addresses() {
        assert_eq!(toks("10.1.2.3"), vec![text(T::HID, "10.1.2.3")]);
        assert_eq!(toks("1.2.3.4.5"), vec![text(T::ID, "1.2.3.4.5")]);
        assert_eq!(toks("00:11:22:33:44:55"), vec![text(T::EID, "00:11:22:33:44:55")]);
        assert_eq!(toks("001122334455"), vec![text(T::EID, "001122334455")]);
        assert_eq!(toks("fe80::1"), vec![text(T::HID6, "fe80::1")]);
        assert_eq!(toks("::ffff:1.2.3.4"), vec![text(T::HID6, "::ffff:1.2.3.4")]);
        assert_eq!(toks("::"), vec![text(T::HID6, "::")]);
        assert_eq!(toks("$1f"), vec![text(T::AID, "$1f")]);
    }

    #[test]
    fn scanner_errors() {
        let mut errs = Vec::new();
        let mut l = Lexer::new("99999999999 1:2:3:4:5:6:7 08");
        let t = l.next(&mut |e| errs.push(e));
        assert_eq!(t, Tok::Plain(T::LEX_ERROR));
        let t = l.next(&mut |e| errs.push(e));
        assert_eq!(t, Tok::Text(T::EID, None));
        l.next(&mut |e| errs.push(e)); // "7"
        let t = l.next(&mut |e| errs.push(e));
        assert_eq!(t, Tok::Plain(T::LEX_ERROR));
        assert_eq!(
            errs,
            vec![
                "number 99999999999 overflows 32 bits",
                "bogus ethernet address 1:2:3:4:5:6:",
                "number 08 contains non-octal digit"
            ]
        );
    }
}

//! The LR parser driver: runs the [`grammar`](super::grammar) tables over
//! the scanner's tokens like a bison-generated parser (reading a lookahead
//! only when a state needs one), and performs each rule's semantic action —
//! handing primitives to the code generator — at the moment libpcap's parser
//! would, so that name lookups happen in the same order and the first error
//! reported is libpcap's.

use std::rc::Rc;

use super::ast::{atm, mtp, Qual, SemVal, Q_DEFAULT};
use super::ast::addr as qa;
use super::codegen::Gen;
use super::grammar::{Act, Action, TABLES};
use super::lexer::{Lexer, Tok};
use crate::bpf::insn::BPF_JEQ;

/// libpcap's error buffer discipline: the scanner and the grammar only set
/// a message when none is set yet; the code generator always overwrites.
struct ErrBuf {
    msg: Option<String>,
}

impl ErrBuf {
    fn set(&mut self, m: String) {
        if self.msg.is_none() {
            self.msg = Some(m);
        }
    }
}

/// Why a reduction stopped the parse.
enum Abort {
    /// `bpf_error` from the code generator: this message wins.
    Gen(String),
    /// YYABORT after a message was (or should have been) set.
    Quiet,
}

impl From<String> for Abort {
    fn from(m: String) -> Abort {
        Abort::Gen(m)
    }
}

type AResult<T> = Result<T, Abort>;

const IEEE80211_TYPES: &[(i32, &str)] =
    &[(0x08, "data"), (0x00, "mgt"), (0x00, "management"), (0x04, "ctl"), (0x04, "control")];
const MGT_SUBTYPES: &[(i32, &str)] = &[
    (0x00, "assocreq"),
    (0x00, "assoc-req"),
    (0x10, "assocresp"),
    (0x10, "assoc-resp"),
    (0x20, "reassocreq"),
    (0x20, "reassoc-req"),
    (0x30, "reassocresp"),
    (0x30, "reassoc-resp"),
    (0x40, "probereq"),
    (0x40, "probe-req"),
    (0x50, "proberesp"),
    (0x50, "probe-resp"),
    (0x80, "beacon"),
    (0x90, "atim"),
    (0xa0, "disassoc"),
    (0xa0, "disassociation"),
    (0xb0, "auth"),
    (0xb0, "authentication"),
    (0xc0, "deauth"),
    (0xc0, "deauthentication"),
];
const CTL_SUBTYPES: &[(i32, &str)] =
    &[(0xa0, "ps-poll"), (0xb0, "rts"), (0xc0, "cts"), (0xd0, "ack"), (0xe0, "cf-end"), (0xf0, "cf-end-ack")];
const DATA_SUBTYPES: &[(i32, &str)] = &[
    (0x00, "data"),
    (0x10, "data-cf-ack"),
    (0x20, "data-cf-poll"),
    (0x30, "data-cf-ack-poll"),
    (0x40, "null"),
    (0x50, "cf-ack"),
    (0x60, "cf-poll"),
    (0x70, "cf-ack-poll"),
    (0x80, "qos-data"),
    (0x90, "qos-data-cf-ack"),
    (0xa0, "qos-data-cf-poll"),
    (0xb0, "qos-data-cf-ack-poll"),
    (0xc0, "qos"),
    (0xe0, "qos-cf-poll"),
    (0xf0, "qos-cf-ack-poll"),
];
/// (frame type, its subtype names), in libpcap's search order.
const TYPE_SUBTYPES: &[(i32, &[(i32, &str)])] = &[(0x00, MGT_SUBTYPES), (0x04, CTL_SUBTYPES), (0x08, DATA_SUBTYPES)];
const LLC_S_SUBTYPES: &[(i32, &str)] = &[(0x01, "rr"), (0x05, "rnr"), (0x09, "rej")];
const LLC_U_SUBTYPES: &[(i32, &str)] = &[
    (0x03, "ui"),
    (0x63, "ua"),
    (0x43, "disc"),
    (0x0f, "dm"),
    (0x6f, "sabme"),
    (0xe3, "test"),
    (0xaf, "xid"),
    (0x87, "frmr"),
];
const PF_REASONS: &[(i32, &str)] = &[
    (0, "match"),
    (1, "bad-offset"),
    (2, "fragment"),
    (3, "short"),
    (4, "normalize"),
    (5, "memory"),
    (6, "bad-timestamp"),
    (7, "congestion"),
    (8, "ip-option"),
    (9, "proto-cksum"),
    (10, "state-mismatch"),
    (11, "state-insert"),
    (12, "state-limit"),
    (13, "src-limit"),
    (14, "synproxy"),
];
const PF_ACTIONS: &[(i32, &str)] = &[
    (0, "pass"),
    (0, "accept"),
    (1, "drop"),
    (1, "block"),
    (2, "scrub"),
    (3, "noscrub"),
    (4, "nat"),
    (5, "nonat"),
    (6, "binat"),
    (7, "nobinat"),
    (8, "rdr"),
    (9, "nordr"),
    (10, "synproxy-drop"),
];
const LLC_RNR: u32 = 0x05;
const LLC_S_CMD_MASK: u32 = 0x0f;
const LLC_U_CMD_MASK: u32 = 0xef;

/// Case-insensitive table lookup (libpcap's `str2tok`).
fn str2tok(s: &str, toks: &[(i32, &str)]) -> Option<i32> {
    toks.iter().find(|t| t.1.eq_ignore_ascii_case(s)).map(|t| t.0)
}

/// The deepest parser stack libpcap's bison parser grows (`YYMAXDEPTH`):
/// an expression nested deeper fails with "memory exhausted" when a push
/// fills it. The limit also bounds the recursion of the later passes over
/// the nested values.
const MAX_DEPTH: usize = 10_000;

/// Parse `expr` and generate its code into `g`; on failure, the message
/// libpcap would leave in its error buffer.
pub fn parse(expr: &str, g: &mut Gen) -> Result<(), String> {
    let tables = &*TABLES;
    let mut lexer = Lexer::new(expr);
    let mut err = ErrBuf { msg: None };
    let mut stack: Vec<(u16, SemVal)> = vec![(0, SemVal::default())];
    let mut la: Option<Tok> = None;
    let syntax = "can't parse filter expression: syntax error".to_string();
    loop {
        // Checked after every push (shift or goto), before anything else,
        // as bison does.
        if stack.len() >= MAX_DEPTH {
            err.set("can't parse filter expression: memory exhausted".into());
            return Err(err.msg.unwrap_or_default());
        }
        let state = stack.last().expect("parser stack never empty").0;
        if state == tables.final_state {
            return Ok(());
        }
        let act = if tables.needs_no_lookahead(state) {
            None
        } else {
            let tok = la.get_or_insert_with(|| lexer.next(&mut |m| err.set(m)));
            tables.action(state, tok.kind() as u16)
        };
        let rule = match act {
            Some(Action::Shift(next)) => {
                let v = token_value(la.take().expect("shift with a lookahead"));
                stack.push((next, v));
                continue;
            }
            Some(Action::Reduce(r)) => r,
            Some(Action::Error) => {
                err.set(syntax);
                return Err(err.msg.unwrap_or_default());
            }
            None => match tables.default[state as usize] {
                Some(r) => r,
                None => {
                    err.set(syntax);
                    return Err(err.msg.unwrap_or_default());
                }
            },
        };
        let r = &tables.rules[rule as usize];
        let n = r.len as usize;
        let base = stack.len() - n;
        let value = match reduce(r.act, &stack, base, g, &mut err) {
            Ok(v) => v,
            Err(Abort::Gen(m)) => return Err(m),
            Err(Abort::Quiet) => return Err(err.msg.unwrap_or_default()),
        };
        stack.truncate(base);
        let below = stack.last().expect("parser stack never empty").0;
        stack.push((tables.goto(below, r.lhs), value));
    }
}

fn token_value(t: Tok) -> SemVal {
    match t {
        Tok::Num(h) => SemVal { h, ..SemVal::default() },
        Tok::Text(_, s) => SemVal { s, ..SemVal::default() },
        Tok::Plain(_) => SemVal::default(),
    }
}

/// The text of a token value, or YYABORT when the scanner rejected it.
fn text(v: &SemVal) -> AResult<Rc<str>> {
    v.s.clone().ok_or(Abort::Quiet)
}

fn blk(v: &SemVal) -> AResult<super::ir::BlockId> {
    v.b.ok_or(Abort::Quiet)
}

fn arth(v: &SemVal) -> AResult<super::ast::ArthId> {
    v.a.ok_or(Abort::Quiet)
}

/// Perform rule action `act` over the symbols `stack[base..]`.
fn reduce(act: Act, stack: &[(u16, SemVal)], base: usize, g: &mut Gen, err: &mut ErrBuf) -> AResult<SemVal> {
    let d = |i: usize| &stack[base + i - 1].1; // $i
    let dollar0 = || stack[base - 1].1.clone(); // $<blk>0
    let q0 = || stack[base - 1].1.q;
    let mut v = if base < stack.len() { stack[base].1.clone() } else { SemVal::default() };
    let mut set_err = |m: String| -> Abort {
        err.set(m);
        Abort::Quiet
    };
    match act {
        Act::Default => {}
        Act::FinishParse => g.finish_parse(blk(d(2))?)?,
        Act::NullQual => v.q = Qual::ERR,
        Act::AndBlk | Act::OrBlk => {
            let (b1, b3) = (blk(d(1))?, blk(d(3))?);
            if act == Act::AndBlk {
                g.ir.gen_and(b1, b3)
            } else {
                g.ir.gen_or(b1, b3)
            }
            v = d(3).clone();
        }
        Act::Dollar0 => v = dollar0(),
        Act::IdPnum => {
            v.q = q0();
            v.b = Some(g.gen_ncode(None, d(1).h, v.q)?);
        }
        Act::Copy2 => v = d(2).clone(),
        Act::NidId => {
            let s = text(d(1))?;
            v.q = q0();
            v.b = Some(g.gen_scode(&s, v.q)?);
        }
        Act::NidHidMask => {
            let s = text(d(1))?;
            v.q = q0();
            v.b = Some(g.gen_mcode(&s, None, d(3).h, v.q)?);
        }
        Act::NidHidNetmask => {
            let s = text(d(1))?;
            let m = text(d(3))?;
            v.q = q0();
            v.b = Some(g.gen_mcode(&s, Some(&m), 0, v.q)?);
        }
        Act::NidHid => {
            let s = text(d(1))?;
            v.q = q0();
            let bad = match v.q.addr {
                qa::PORT => Some("port"),
                qa::PORTRANGE => Some("portrange"),
                qa::PROTO => Some("proto"),
                qa::PROTOCHAIN => Some("protochain"),
                _ => None,
            };
            if let Some(w) = bad {
                return Err(set_err(format!("'{w}' modifier applied to ip host")));
            }
            v.b = Some(g.gen_ncode(Some(&s), 0, v.q)?);
        }
        Act::NidHid6Mask | Act::NidHid6 => {
            let s = text(d(1))?;
            v.q = q0();
            let len = if act == Act::NidHid6 { 128 } else { d(3).h };
            v.b = Some(g.gen_mcode6(&s, len, v.q)?);
        }
        Act::NidEid => {
            let s = text(d(1))?;
            v.q = q0();
            v.b = Some(g.gen_ecode(&s, v.q)?);
        }
        Act::NidAid => {
            let s = text(d(1))?;
            v.q = q0();
            v.b = Some(g.gen_acode(&s, v.q)?);
        }
        Act::Not2 => {
            g.ir.gen_not(blk(d(2))?);
            v = d(2).clone();
        }
        Act::Head3 => v.q = Qual { proto: d(1).i as u8, dir: d(2).i as u8, addr: d(3).i as u8 },
        Act::HeadPD => v.q = Qual { proto: d(1).i as u8, dir: d(2).i as u8, addr: Q_DEFAULT },
        Act::HeadPA => v.q = Qual { proto: d(1).i as u8, dir: Q_DEFAULT, addr: d(2).i as u8 },
        Act::HeadProto => v.q = Qual { proto: d(1).i as u8, dir: Q_DEFAULT, addr: qa::PROTO },
        Act::HeadProtochain => v.q = Qual { proto: d(1).i as u8, dir: Q_DEFAULT, addr: qa::PROTOCHAIN },
        Act::RtermParen => {
            v.b = d(2).b;
            v.q = d(1).q;
        }
        Act::ProtoAbbrev => {
            v.b = Some(g.proto_abbrev(d(1).i as u8)?);
            v.q = Qual::ERR;
        }
        Act::Relation(rev) => {
            v.b = Some(g.gen_relation(d(2).i as u16, arth(d(1))?, arth(d(3))?, rev)?);
            v.q = Qual::ERR;
        }
        Act::Other => {
            v.b = d(1).b;
            v.q = Qual::ERR;
        }
        Act::AtmTypeAbbrev => {
            v.b = Some(g.gen_atmtype_abbrev(d(1).i)?);
            v.q = Qual::ERR;
        }
        Act::AtmMultiAbbrev => {
            v.b = Some(g.gen_atmmulti_abbrev(d(1).i)?);
            v.q = Qual::ERR;
        }
        Act::TakeB2 => {
            v.b = d(2).b;
            v.q = Qual::ERR;
        }
        Act::Mtp2Abbrev => {
            v.b = Some(g.gen_mtp2type_abbrev(d(1).i)?);
            v.q = Qual::ERR;
        }
        Act::SetI(x) => v.i = x,
        Act::SetAtmField(x) => v.atmfieldtype = x,
        Act::SetMtp3Field(x) => v.mtp3fieldtype = x,
        Act::Broadcast => v.b = Some(g.gen_broadcast(d(1).i as u8)?),
        Act::Multicast => v.b = Some(g.gen_multicast(d(1).i as u8)?),
        Act::Less => v.b = Some(g.gen_less(d(2).h)),
        Act::Greater => v.b = Some(g.gen_greater(d(2).h)),
        Act::Byte => v.b = Some(g.gen_byteop(d(3).i as u8, d(2).h, d(4).h)?),
        Act::Inbound(out) => v.b = Some(g.gen_inbound(out)?),
        Act::Ifindex => v.b = Some(g.gen_ifindex(d(2).h)?),
        Act::Vlan(has) => v.b = Some(g.gen_vlan(if has { d(2).h } else { 0 }, has)?),
        Act::Mpls(has) => v.b = Some(g.gen_mpls(if has { d(2).h } else { 0 }, has)?),
        Act::Pppoed => v.b = Some(g.gen_pppoed()?),
        Act::Pppoes(has) => v.b = Some(g.gen_pppoes(if has { d(2).h } else { 0 }, has)?),
        Act::Geneve(has) => v.b = Some(g.gen_geneve(if has { d(2).h } else { 0 }, has)?),
        Act::Second => v = d(2).clone(),
        Act::PfIfname => v.b = Some(g.gen_pf_ifname(&text(d(2))?)?),
        Act::PfRset => v.b = Some(g.gen_pf_ruleset(&text(d(2))?)?),
        Act::PfRnr => v.b = Some(g.gen_pf_field("rnr", d(2).h)?),
        Act::PfSrnr => v.b = Some(g.gen_pf_field("srnr", d(2).h)?),
        Act::PfReason => v.b = Some(g.gen_pf_field("reason", d(2).i as u32)?),
        Act::PfAction => v.b = Some(g.gen_pf_field("action", d(2).i as u32)?),
        Act::TypeSubtype => v.b = Some(g.gen_p80211_type((d(2).i | d(4).i) as u32, 0x0c | 0xf0)?),
        Act::TypeOnly => v.b = Some(g.gen_p80211_type(d(2).i as u32, 0x0c)?),
        Act::SubtypeOnly => v.b = Some(g.gen_p80211_type(d(2).i as u32, 0x0c | 0xf0)?),
        Act::DirOnly => v.b = Some(g.gen_p80211_fcdir(d(2).i as u32)?),
        Act::TypeNum => {
            let n = d(1).h;
            if n & !0x0c != 0 {
                return Err(set_err(format!("invalid 802.11 type value 0x{n:02x}")));
            }
            v.i = n as i32;
        }
        Act::TypeId => {
            let s = text(d(1))?;
            match str2tok(&s, IEEE80211_TYPES) {
                Some(t) => v.i = t,
                None => return Err(set_err(format!("unknown 802.11 type name \"{s}\""))),
            }
        }
        Act::SubtypeNum => {
            let n = d(1).h;
            if n & !0xf0 != 0 {
                return Err(set_err(format!("invalid 802.11 subtype value 0x{n:02x}")));
            }
            v.i = n as i32;
        }
        Act::SubtypeId => {
            let s = text(d(1))?;
            // $<i>-1: the type given before SUBTYPE.
            let ty = stack[base - 2].1.i;
            let Some(&(_, toks)) = TYPE_SUBTYPES.iter().find(|t| t.0 == ty) else {
                return Err(set_err("unknown 802.11 type".into()));
            };
            match str2tok(&s, toks) {
                Some(t) => v.i = t,
                None => return Err(set_err(format!("unknown 802.11 subtype name \"{s}\""))),
            }
        }
        Act::TypeSubtypeId => {
            let s = text(d(1))?;
            match TYPE_SUBTYPES.iter().find_map(|&(ty, toks)| str2tok(&s, toks).map(|st| st | ty)) {
                Some(t) => v.i = t,
                None => return Err(set_err("unknown 802.11 type name".into())),
            }
        }
        Act::Llc => v.b = Some(g.gen_llc()?),
        Act::LlcId => {
            let s = text(d(2))?;
            v.b = Some(if s.eq_ignore_ascii_case("i") {
                g.gen_llc_i()?
            } else if s.eq_ignore_ascii_case("s") {
                g.gen_llc_control(1, 0x03)?
            } else if s.eq_ignore_ascii_case("u") {
                g.gen_llc_control(3, 0x03)?
            } else if let Some(st) = str2tok(&s, LLC_S_SUBTYPES) {
                g.gen_llc_control(st as u32, LLC_S_CMD_MASK)?
            } else if let Some(st) = str2tok(&s, LLC_U_SUBTYPES) {
                g.gen_llc_control(st as u32, LLC_U_CMD_MASK)?
            } else {
                return Err(set_err(format!("unknown LLC type name \"{s}\"")));
            });
        }
        Act::LlcRnr => v.b = Some(g.gen_llc_control(LLC_RNR, LLC_S_CMD_MASK)?),
        Act::DirNum => v.i = d(1).h as i32,
        Act::DirId => {
            let s = text(d(1))?;
            v.i = match str2tok(&s, &[(0, "nods"), (1, "tods"), (2, "fromds"), (3, "dstods")]) {
                Some(x) => x,
                None => return Err(set_err("unknown 802.11 direction".into())),
            };
        }
        Act::ReasonNum => v.i = d(1).h as i32,
        Act::ReasonId => {
            let s = text(d(1))?;
            v.i = match str2tok(&s, PF_REASONS) {
                Some(x) => x,
                None => return Err(set_err(format!("unknown PF reason \"{s}\""))),
            };
        }
        Act::ActionId => {
            let s = text(d(1))?;
            v.i = match str2tok(&s, PF_ACTIONS) {
                Some(x) => x,
                None => return Err(set_err(format!("unknown PF action \"{s}\""))),
            };
        }
        Act::Loadi => v.a = Some(g.gen_loadi(d(1).h)?),
        Act::Load1 => v.a = Some(g.gen_load(d(1).i as u8, arth(d(3))?, 1)?),
        Act::LoadSize => v.a = Some(g.gen_load(d(1).i as u8, arth(d(3))?, d(5).h)?),
        Act::Arith(code) => v.a = Some(g.gen_arth(code, arth(d(1))?, arth(d(3))?)?),
        Act::Neg => v.a = Some(g.gen_neg(arth(d(2))?)?),
        Act::LoadLen => v.a = Some(g.gen_loadlen()?),
        Act::AtmRelop(rev) => {
            let field = stack[base - 1].1.atmfieldtype;
            v.b = Some(g.gen_atmfield_code(field, d(2).h, d(1).i as u16, rev)?);
        }
        Act::AtmFieldValue => {
            v.atmfieldtype = stack[base - 1].1.atmfieldtype;
            if v.atmfieldtype == atm::VPI || v.atmfieldtype == atm::VCI {
                v.b = Some(g.gen_atmfield_code(v.atmfieldtype, d(1).h, BPF_JEQ, false)?);
            }
        }
        Act::Mtp3Relop(rev) => {
            let field = stack[base - 1].1.mtp3fieldtype;
            v.b = Some(g.gen_mtp3field_code(field, d(2).h, d(1).i as u16, rev)?);
        }
        Act::Mtp3FieldValue => {
            v.mtp3fieldtype = stack[base - 1].1.mtp3fieldtype;
            if (mtp::SIO..=mtp::HSLS).contains(&v.mtp3fieldtype) {
                v.b = Some(g.gen_mtp3field_code(v.mtp3fieldtype, d(1).h, BPF_JEQ, false)?);
            }
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use crate::bpf::Program;
    use crate::filter::{compile, CompileOptions};

    fn compiled(e: &str) -> Result<Program, String> {
        let o = CompileOptions { linktype: 1, snaplen: 65535, optimize: true, netmask: 0xffff_ff00, linux_vlan_ancillary: false };
        compile(e, &o).map_err(|e| e.message)
    }

    fn same(a: &str, b: &str) {
        assert_eq!(compiled(a), compiled(b), "{a:?} and {b:?}");
    }

    fn differ(a: &str, b: &str) {
        assert_ne!(compiled(a), compiled(b), "{a:?} and {b:?}");
    }

    #[test]
    fn and_or_have_one_precedence_and_group_left() {
        same("tcp or udp and port 53", "(tcp or udp) and port 53");
        differ("tcp or udp and port 53", "tcp or (udp and port 53)");
        same("port 53 and tcp or udp", "(port 53 and tcp) or udp");
        same("tcp && port 80 || udp", "(tcp and port 80) or udp");
    }

    #[test]
    fn not_binds_to_the_next_primitive() {
        same("not tcp and udp", "(not tcp) and udp");
        differ("not tcp and udp", "not (tcp and udp)");
        same("! ! tcp", "tcp");
    }

    #[test]
    fn arithmetic_precedence() {
        // A constant comparison that is false rejects everything.
        let holds = |e: &str| match compiled(e) {
            Ok(_) => true,
            Err(m) if m == "expression rejects all packets" => false,
            Err(m) => panic!("{e}: {m}"),
        };
        assert!(holds("2 + 3 * 4 = 14"));
        assert!(!holds("2 + 3 * 4 = 20"));
        assert!(holds("1 << 2 + 1 = 8"));
        assert!(holds("6 & 3 | 8 = 10"));
        assert!(holds("1 | 2 & 3 = 3"));
        assert!(holds("1 ^ 3 & 1 = 0"));
        assert!(holds("10 - 4 - 3 = 3"));
        assert!(holds("64 / 4 / 2 = 8"));
        assert!(holds("-2 * 3 = -6"));
        assert!(holds("- -1 = 1"));
    }

    #[test]
    fn abbreviations_repeat_the_qualifiers() {
        same("host 10.0.0.1 or 10.0.0.2", "host 10.0.0.1 or host 10.0.0.2");
        same("tcp port 80 or 443", "tcp port 80 or tcp port 443");
        same("port 53 and not 5353", "port 53 and not port 5353");
        same("src net 10.0.0.0/8 and 192.168.0.0/16", "src net 10.0.0.0/8 and src net 192.168.0.0/16");
        same("ip proto 6 or 17", "ip proto 6 or ip proto 17");
    }

    #[test]
    fn the_first_error_is_reported() {
        // (Texts as libpcap 1.10.3 gives them.) The code generator's error
        // at a reduction wins over a syntax error further on.
        assert_eq!(compiled("port 99999 and foo bar"), Err("illegal port number 99999 > 65535".into()));
        assert_eq!(compiled("tcp and"), Err("can't parse filter expression: syntax error".into()));
        assert_eq!(compiled("ip[0] = 1 or 2"), Err("syntax error in filter expression".into()));
        assert_eq!(compiled("port 80 and 10.0.0.1"), Err("'port' modifier applied to ip host".into()));
    }

    #[test]
    fn nesting_stops_where_libpcap_s_stack_does() {
        // Measured with libpcap 1.10.3: 9,995 parentheses parse, 9,996 do not.
        let nested = |n: usize| format!("{}tcp{}", "(".repeat(n), ")".repeat(n));
        assert!(compiled(&nested(9_995)).is_ok());
        assert_eq!(compiled(&nested(9_996)), Err("can't parse filter expression: memory exhausted".into()));
    }
}

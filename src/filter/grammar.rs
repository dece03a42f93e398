//! The filter grammar and its LALR(1) parse tables.
//!
//! The language is defined by libpcap's yacc grammar, which is ambiguous in
//! places (38 shift/reduce conflicts, settled by yacc's rules) and relies on
//! yacc's parse order for *when* each semantic action — and therefore each
//! name lookup and each error — happens. To accept exactly the same inputs,
//! choose the same parse for ambiguous ones and fail at the same point with
//! the same message, ringcap states the grammar here and builds the same
//! kind of tables bison builds: LALR(1) lookaheads, precedence and
//! associativity resolution, shift over reduce for what remains, the most
//! common reduction as each state's default, and no lookahead read in
//! states that only reduce. The tables are built once per process.

use once_cell::sync::Lazy;

/// Terminal symbols, in declaration order.
macro_rules! terminals {
    ($($id:ident = $name:literal),* $(,)?) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u16)]
        pub enum T { $($id),* }
        pub const TERMINAL_NAMES: &[&str] = &[$($name),*];
    };
}

terminals! {
    END = "$end", ERROR = "error",
    DST = "DST", SRC = "SRC", HOST = "HOST", GATEWAY = "GATEWAY",
    NET = "NET", NETMASK = "NETMASK", PORT = "PORT", PORTRANGE = "PORTRANGE", LESS = "LESS",
    GREATER = "GREATER", PROTO = "PROTO", PROTOCHAIN = "PROTOCHAIN", CBYTE = "CBYTE",
    ARP = "ARP", RARP = "RARP", IP = "IP", SCTP = "SCTP", TCP = "TCP", UDP = "UDP", ICMP = "ICMP",
    IGMP = "IGMP", IGRP = "IGRP", PIM = "PIM", VRRP = "VRRP", CARP = "CARP",
    ATALK = "ATALK", AARP = "AARP", DECNET = "DECNET", LAT = "LAT", SCA = "SCA", MOPRC = "MOPRC",
    MOPDL = "MOPDL", TK_BROADCAST = "TK_BROADCAST", TK_MULTICAST = "TK_MULTICAST",
    NUM = "NUM", INBOUND = "INBOUND", OUTBOUND = "OUTBOUND", IFINDEX = "IFINDEX",
    PF_IFNAME = "PF_IFNAME", PF_RSET = "PF_RSET", PF_RNR = "PF_RNR", PF_SRNR = "PF_SRNR",
    PF_REASON = "PF_REASON", PF_ACTION = "PF_ACTION",
    TYPE = "TYPE", SUBTYPE = "SUBTYPE", DIR = "DIR", ADDR1 = "ADDR1", ADDR2 = "ADDR2",
    ADDR3 = "ADDR3", ADDR4 = "ADDR4", RA = "RA", TA = "TA",
    LINK = "LINK", GEQ = "GEQ", LEQ = "LEQ", NEQ = "NEQ",
    ID = "ID", EID = "EID", HID = "HID", HID6 = "HID6", AID = "AID",
    LSH = "LSH", RSH = "RSH", LEN = "LEN",
    IPV6 = "IPV6", ICMPV6 = "ICMPV6", AH = "AH", ESP = "ESP",
    VLAN = "VLAN", MPLS = "MPLS", PPPOED = "PPPOED", PPPOES = "PPPOES", GENEVE = "GENEVE",
    ISO = "ISO", ESIS = "ESIS", CLNP = "CLNP", ISIS = "ISIS", L1 = "L1", L2 = "L2", IIH = "IIH",
    LSP = "LSP", SNP = "SNP", CSNP = "CSNP", PSNP = "PSNP", STP = "STP", IPX = "IPX",
    NETBEUI = "NETBEUI", LANE = "LANE", LLC = "LLC", METAC = "METAC", BCC = "BCC", SC = "SC",
    ILMIC = "ILMIC", OAMF4EC = "OAMF4EC", OAMF4SC = "OAMF4SC", OAM = "OAM", OAMF4 = "OAMF4",
    CONNECTMSG = "CONNECTMSG", METACONNECT = "METACONNECT", VPI = "VPI", VCI = "VCI",
    RADIO = "RADIO", FISU = "FISU", LSSU = "LSSU", MSU = "MSU", HFISU = "HFISU", HLSSU = "HLSSU",
    HMSU = "HMSU", SIO = "SIO", OPC = "OPC", DPC = "DPC", SLS = "SLS", HSIO = "HSIO", HOPC = "HOPC",
    HDPC = "HDPC", HSLS = "HSLS", LEX_ERROR = "LEX_ERROR",
    OR = "OR", AND = "AND", BANG = "'!'", PIPE = "'|'", AMP = "'&'", PLUS = "'+'", MINUS = "'-'",
    STAR = "'*'", SLASH = "'/'", UMINUS = "UMINUS",
    LPAREN = "'('", RPAREN = "')'", LBRACK = "'['", RBRACK = "']'", COLON = "':'",
    PERCENT = "'%'", CARET = "'^'", GT = "'>'", LT = "'<'", EQ = "'='",
}

pub const N_TERMINALS: usize = TERMINAL_NAMES.len();

/// What a rule does when it is reduced (the semantic actions of libpcap's
/// grammar, named).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// `$$ = $1` (yacc's default).
    Default,
    FinishParse,
    NullQual,
    AndBlk,
    OrBlk,
    /// `$$ = $<blk>0`.
    Dollar0,
    IdPnum,
    Copy2,
    NidId,
    NidHidMask,
    NidHidNetmask,
    NidHid,
    NidHid6Mask,
    NidHid6,
    NidEid,
    NidAid,
    Not2,
    Head3,
    HeadPD,
    HeadPA,
    HeadProto,
    HeadProtochain,
    RtermParen,
    ProtoAbbrev,
    Relation(bool),
    Other,
    AtmTypeAbbrev,
    AtmMultiAbbrev,
    TakeB2,
    Mtp2Abbrev,
    /// `$$ = constant` (an int semantic value).
    SetI(i32),
    SetAtmField(i32),
    SetMtp3Field(i32),
    Broadcast,
    Multicast,
    Less,
    Greater,
    Byte,
    Inbound(bool),
    Ifindex,
    Vlan(bool),
    Mpls(bool),
    Pppoed,
    Pppoes(bool),
    Geneve(bool),
    Second,
    PfIfname,
    PfRset,
    PfRnr,
    PfSrnr,
    PfReason,
    PfAction,
    TypeSubtype,
    TypeOnly,
    SubtypeOnly,
    DirOnly,
    TypeNum,
    TypeId,
    SubtypeNum,
    SubtypeId,
    TypeSubtypeId,
    Llc,
    LlcId,
    LlcRnr,
    DirNum,
    DirId,
    ReasonNum,
    ReasonId,
    ActionId,
    Loadi,
    Load1,
    LoadSize,
    Arith(u16),
    Neg,
    LoadLen,
    AtmRelop(bool),
    AtmFieldValue,
    Mtp3Relop(bool),
    Mtp3FieldValue,
}

/// One rule: `lhs: rhs` with its action and `%prec` override.
struct RuleDef {
    lhs: &'static str,
    rhs: &'static [&'static str],
    act: Act,
    prec: Option<&'static str>,
}

const fn r(lhs: &'static str, rhs: &'static [&'static str], act: Act) -> RuleDef {
    RuleDef { lhs, rhs, act, prec: None }
}

use crate::bpf::insn::{BPF_ADD, BPF_AND, BPF_DIV, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_LSH, BPF_MOD, BPF_MUL, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR};
use crate::filter::ast::{addr as qa, atm, dir as qd, mtp, proto as qp};

/// libpcap's grammar, rule for rule, in file order (the order decides
/// reduce/reduce ties and default reductions).
static RULES: &[RuleDef] = &[
    r("prog", &["null", "expr"], Act::FinishParse),
    r("prog", &["null"], Act::Default),
    r("null", &[], Act::NullQual),
    r("expr", &["term"], Act::Default),
    r("expr", &["expr", "and", "term"], Act::AndBlk),
    r("expr", &["expr", "and", "id"], Act::AndBlk),
    r("expr", &["expr", "or", "term"], Act::OrBlk),
    r("expr", &["expr", "or", "id"], Act::OrBlk),
    r("and", &["AND"], Act::Dollar0),
    r("or", &["OR"], Act::Dollar0),
    r("id", &["nid"], Act::Default),
    r("id", &["pnum"], Act::IdPnum),
    r("id", &["paren", "pid", "')'"], Act::Copy2),
    r("nid", &["ID"], Act::NidId),
    r("nid", &["HID", "'/'", "NUM"], Act::NidHidMask),
    r("nid", &["HID", "NETMASK", "HID"], Act::NidHidNetmask),
    r("nid", &["HID"], Act::NidHid),
    r("nid", &["HID6", "'/'", "NUM"], Act::NidHid6Mask),
    r("nid", &["HID6"], Act::NidHid6),
    r("nid", &["EID"], Act::NidEid),
    r("nid", &["AID"], Act::NidAid),
    r("nid", &["not", "id"], Act::Not2),
    r("not", &["'!'"], Act::Dollar0),
    r("paren", &["'('"], Act::Dollar0),
    r("pid", &["nid"], Act::Default),
    r("pid", &["qid", "and", "id"], Act::AndBlk),
    r("pid", &["qid", "or", "id"], Act::OrBlk),
    r("qid", &["pnum"], Act::IdPnum),
    r("qid", &["pid"], Act::Default),
    r("term", &["rterm"], Act::Default),
    r("term", &["not", "term"], Act::Not2),
    r("head", &["pqual", "dqual", "aqual"], Act::Head3),
    r("head", &["pqual", "dqual"], Act::HeadPD),
    r("head", &["pqual", "aqual"], Act::HeadPA),
    r("head", &["pqual", "PROTO"], Act::HeadProto),
    r("head", &["pqual", "PROTOCHAIN"], Act::HeadProtochain),
    r("head", &["pqual", "ndaqual"], Act::HeadPA),
    r("rterm", &["head", "id"], Act::Copy2),
    r("rterm", &["paren", "expr", "')'"], Act::RtermParen),
    r("rterm", &["pname"], Act::ProtoAbbrev),
    r("rterm", &["arth", "relop", "arth"], Act::Relation(false)),
    r("rterm", &["arth", "irelop", "arth"], Act::Relation(true)),
    r("rterm", &["other"], Act::Other),
    r("rterm", &["atmtype"], Act::AtmTypeAbbrev),
    r("rterm", &["atmmultitype"], Act::AtmMultiAbbrev),
    r("rterm", &["atmfield", "atmvalue"], Act::TakeB2),
    r("rterm", &["mtp2type"], Act::Mtp2Abbrev),
    r("rterm", &["mtp3field", "mtp3value"], Act::TakeB2),
    r("pqual", &["pname"], Act::Default),
    r("pqual", &[], Act::SetI(0)),
    r("dqual", &["SRC"], Act::SetI(qd::SRC as i32)),
    r("dqual", &["DST"], Act::SetI(qd::DST as i32)),
    r("dqual", &["SRC", "OR", "DST"], Act::SetI(qd::OR as i32)),
    r("dqual", &["DST", "OR", "SRC"], Act::SetI(qd::OR as i32)),
    r("dqual", &["SRC", "AND", "DST"], Act::SetI(qd::AND as i32)),
    r("dqual", &["DST", "AND", "SRC"], Act::SetI(qd::AND as i32)),
    r("dqual", &["ADDR1"], Act::SetI(qd::ADDR1 as i32)),
    r("dqual", &["ADDR2"], Act::SetI(qd::ADDR2 as i32)),
    r("dqual", &["ADDR3"], Act::SetI(qd::ADDR3 as i32)),
    r("dqual", &["ADDR4"], Act::SetI(qd::ADDR4 as i32)),
    r("dqual", &["RA"], Act::SetI(qd::RA as i32)),
    r("dqual", &["TA"], Act::SetI(qd::TA as i32)),
    r("aqual", &["HOST"], Act::SetI(qa::HOST as i32)),
    r("aqual", &["NET"], Act::SetI(qa::NET as i32)),
    r("aqual", &["PORT"], Act::SetI(qa::PORT as i32)),
    r("aqual", &["PORTRANGE"], Act::SetI(qa::PORTRANGE as i32)),
    r("ndaqual", &["GATEWAY"], Act::SetI(qa::GATEWAY as i32)),
    r("pname", &["LINK"], Act::SetI(qp::LINK as i32)),
    r("pname", &["IP"], Act::SetI(qp::IP as i32)),
    r("pname", &["ARP"], Act::SetI(qp::ARP as i32)),
    r("pname", &["RARP"], Act::SetI(qp::RARP as i32)),
    r("pname", &["SCTP"], Act::SetI(qp::SCTP as i32)),
    r("pname", &["TCP"], Act::SetI(qp::TCP as i32)),
    r("pname", &["UDP"], Act::SetI(qp::UDP as i32)),
    r("pname", &["ICMP"], Act::SetI(qp::ICMP as i32)),
    r("pname", &["IGMP"], Act::SetI(qp::IGMP as i32)),
    r("pname", &["IGRP"], Act::SetI(qp::IGRP as i32)),
    r("pname", &["PIM"], Act::SetI(qp::PIM as i32)),
    r("pname", &["VRRP"], Act::SetI(qp::VRRP as i32)),
    r("pname", &["CARP"], Act::SetI(qp::CARP as i32)),
    r("pname", &["ATALK"], Act::SetI(qp::ATALK as i32)),
    r("pname", &["AARP"], Act::SetI(qp::AARP as i32)),
    r("pname", &["DECNET"], Act::SetI(qp::DECNET as i32)),
    r("pname", &["LAT"], Act::SetI(qp::LAT as i32)),
    r("pname", &["SCA"], Act::SetI(qp::SCA as i32)),
    r("pname", &["MOPDL"], Act::SetI(qp::MOPDL as i32)),
    r("pname", &["MOPRC"], Act::SetI(qp::MOPRC as i32)),
    r("pname", &["IPV6"], Act::SetI(qp::IPV6 as i32)),
    r("pname", &["ICMPV6"], Act::SetI(qp::ICMPV6 as i32)),
    r("pname", &["AH"], Act::SetI(qp::AH as i32)),
    r("pname", &["ESP"], Act::SetI(qp::ESP as i32)),
    r("pname", &["ISO"], Act::SetI(qp::ISO as i32)),
    r("pname", &["ESIS"], Act::SetI(qp::ESIS as i32)),
    r("pname", &["ISIS"], Act::SetI(qp::ISIS as i32)),
    r("pname", &["L1"], Act::SetI(qp::ISIS_L1 as i32)),
    r("pname", &["L2"], Act::SetI(qp::ISIS_L2 as i32)),
    r("pname", &["IIH"], Act::SetI(qp::ISIS_IIH as i32)),
    r("pname", &["LSP"], Act::SetI(qp::ISIS_LSP as i32)),
    r("pname", &["SNP"], Act::SetI(qp::ISIS_SNP as i32)),
    r("pname", &["PSNP"], Act::SetI(qp::ISIS_PSNP as i32)),
    r("pname", &["CSNP"], Act::SetI(qp::ISIS_CSNP as i32)),
    r("pname", &["CLNP"], Act::SetI(qp::CLNP as i32)),
    r("pname", &["STP"], Act::SetI(qp::STP as i32)),
    r("pname", &["IPX"], Act::SetI(qp::IPX as i32)),
    r("pname", &["NETBEUI"], Act::SetI(qp::NETBEUI as i32)),
    r("pname", &["RADIO"], Act::SetI(qp::RADIO as i32)),
    r("other", &["pqual", "TK_BROADCAST"], Act::Broadcast),
    r("other", &["pqual", "TK_MULTICAST"], Act::Multicast),
    r("other", &["LESS", "NUM"], Act::Less),
    r("other", &["GREATER", "NUM"], Act::Greater),
    r("other", &["CBYTE", "NUM", "byteop", "NUM"], Act::Byte),
    r("other", &["INBOUND"], Act::Inbound(false)),
    r("other", &["OUTBOUND"], Act::Inbound(true)),
    r("other", &["IFINDEX", "NUM"], Act::Ifindex),
    r("other", &["VLAN", "pnum"], Act::Vlan(true)),
    r("other", &["VLAN"], Act::Vlan(false)),
    r("other", &["MPLS", "pnum"], Act::Mpls(true)),
    r("other", &["MPLS"], Act::Mpls(false)),
    r("other", &["PPPOED"], Act::Pppoed),
    r("other", &["PPPOES", "pnum"], Act::Pppoes(true)),
    r("other", &["PPPOES"], Act::Pppoes(false)),
    r("other", &["GENEVE", "pnum"], Act::Geneve(true)),
    r("other", &["GENEVE"], Act::Geneve(false)),
    r("other", &["pfvar"], Act::Default),
    r("other", &["pqual", "p80211"], Act::Second),
    r("other", &["pllc"], Act::Default),
    r("pfvar", &["PF_IFNAME", "ID"], Act::PfIfname),
    r("pfvar", &["PF_RSET", "ID"], Act::PfRset),
    r("pfvar", &["PF_RNR", "NUM"], Act::PfRnr),
    r("pfvar", &["PF_SRNR", "NUM"], Act::PfSrnr),
    r("pfvar", &["PF_REASON", "reason"], Act::PfReason),
    r("pfvar", &["PF_ACTION", "action"], Act::PfAction),
    r("p80211", &["TYPE", "type", "SUBTYPE", "subtype"], Act::TypeSubtype),
    r("p80211", &["TYPE", "type"], Act::TypeOnly),
    r("p80211", &["SUBTYPE", "type_subtype"], Act::SubtypeOnly),
    r("p80211", &["DIR", "dir"], Act::DirOnly),
    r("type", &["NUM"], Act::TypeNum),
    r("type", &["ID"], Act::TypeId),
    r("subtype", &["NUM"], Act::SubtypeNum),
    r("subtype", &["ID"], Act::SubtypeId),
    r("type_subtype", &["ID"], Act::TypeSubtypeId),
    r("pllc", &["LLC"], Act::Llc),
    r("pllc", &["LLC", "ID"], Act::LlcId),
    r("pllc", &["LLC", "PF_RNR"], Act::LlcRnr),
    r("dir", &["NUM"], Act::DirNum),
    r("dir", &["ID"], Act::DirId),
    r("reason", &["NUM"], Act::ReasonNum),
    r("reason", &["ID"], Act::ReasonId),
    r("action", &["ID"], Act::ActionId),
    r("relop", &["'>'"], Act::SetI(BPF_JGT as i32)),
    r("relop", &["GEQ"], Act::SetI(BPF_JGE as i32)),
    r("relop", &["'='"], Act::SetI(BPF_JEQ as i32)),
    r("irelop", &["LEQ"], Act::SetI(BPF_JGT as i32)),
    r("irelop", &["'<'"], Act::SetI(BPF_JGE as i32)),
    r("irelop", &["NEQ"], Act::SetI(BPF_JEQ as i32)),
    r("arth", &["pnum"], Act::Loadi),
    r("arth", &["narth"], Act::Default),
    r("narth", &["pname", "'['", "arth", "']'"], Act::Load1),
    r("narth", &["pname", "'['", "arth", "':'", "NUM", "']'"], Act::LoadSize),
    r("narth", &["arth", "'+'", "arth"], Act::Arith(BPF_ADD)),
    r("narth", &["arth", "'-'", "arth"], Act::Arith(BPF_SUB)),
    r("narth", &["arth", "'*'", "arth"], Act::Arith(BPF_MUL)),
    r("narth", &["arth", "'/'", "arth"], Act::Arith(BPF_DIV)),
    r("narth", &["arth", "'%'", "arth"], Act::Arith(BPF_MOD)),
    r("narth", &["arth", "'&'", "arth"], Act::Arith(BPF_AND)),
    r("narth", &["arth", "'|'", "arth"], Act::Arith(BPF_OR)),
    r("narth", &["arth", "'^'", "arth"], Act::Arith(BPF_XOR)),
    r("narth", &["arth", "LSH", "arth"], Act::Arith(BPF_LSH)),
    r("narth", &["arth", "RSH", "arth"], Act::Arith(BPF_RSH)),
    RuleDef { lhs: "narth", rhs: &["'-'", "arth"], act: Act::Neg, prec: Some("UMINUS") },
    r("narth", &["paren", "narth", "')'"], Act::Copy2),
    r("narth", &["LEN"], Act::LoadLen),
    r("byteop", &["'&'"], Act::SetI(b'&' as i32)),
    r("byteop", &["'|'"], Act::SetI(b'|' as i32)),
    r("byteop", &["'<'"], Act::SetI(b'<' as i32)),
    r("byteop", &["'>'"], Act::SetI(b'>' as i32)),
    r("byteop", &["'='"], Act::SetI(b'=' as i32)),
    r("pnum", &["NUM"], Act::Default),
    r("pnum", &["paren", "pnum", "')'"], Act::Copy2),
    r("atmtype", &["LANE"], Act::SetI(atm::LANE)),
    r("atmtype", &["METAC"], Act::SetI(atm::METAC)),
    r("atmtype", &["BCC"], Act::SetI(atm::BCC)),
    r("atmtype", &["OAMF4EC"], Act::SetI(atm::OAMF4EC)),
    r("atmtype", &["OAMF4SC"], Act::SetI(atm::OAMF4SC)),
    r("atmtype", &["SC"], Act::SetI(atm::SC)),
    r("atmtype", &["ILMIC"], Act::SetI(atm::ILMIC)),
    r("atmmultitype", &["OAM"], Act::SetI(atm::OAM)),
    r("atmmultitype", &["OAMF4"], Act::SetI(atm::OAMF4)),
    r("atmmultitype", &["CONNECTMSG"], Act::SetI(atm::CONNECTMSG)),
    r("atmmultitype", &["METACONNECT"], Act::SetI(atm::METACONNECT)),
    r("atmfield", &["VPI"], Act::SetAtmField(atm::VPI)),
    r("atmfield", &["VCI"], Act::SetAtmField(atm::VCI)),
    r("atmvalue", &["atmfieldvalue"], Act::Default),
    r("atmvalue", &["relop", "NUM"], Act::AtmRelop(false)),
    r("atmvalue", &["irelop", "NUM"], Act::AtmRelop(true)),
    r("atmvalue", &["paren", "atmlistvalue", "')'"], Act::TakeB2),
    r("atmfieldvalue", &["NUM"], Act::AtmFieldValue),
    r("atmlistvalue", &["atmfieldvalue"], Act::Default),
    r("atmlistvalue", &["atmlistvalue", "or", "atmfieldvalue"], Act::OrBlk),
    r("mtp2type", &["FISU"], Act::SetI(mtp::FISU)),
    r("mtp2type", &["LSSU"], Act::SetI(mtp::LSSU)),
    r("mtp2type", &["MSU"], Act::SetI(mtp::MSU)),
    r("mtp2type", &["HFISU"], Act::SetI(mtp::HFISU)),
    r("mtp2type", &["HLSSU"], Act::SetI(mtp::HLSSU)),
    r("mtp2type", &["HMSU"], Act::SetI(mtp::HMSU)),
    r("mtp3field", &["SIO"], Act::SetMtp3Field(mtp::SIO)),
    r("mtp3field", &["OPC"], Act::SetMtp3Field(mtp::OPC)),
    r("mtp3field", &["DPC"], Act::SetMtp3Field(mtp::DPC)),
    r("mtp3field", &["SLS"], Act::SetMtp3Field(mtp::SLS)),
    r("mtp3field", &["HSIO"], Act::SetMtp3Field(mtp::HSIO)),
    r("mtp3field", &["HOPC"], Act::SetMtp3Field(mtp::HOPC)),
    r("mtp3field", &["HDPC"], Act::SetMtp3Field(mtp::HDPC)),
    r("mtp3field", &["HSLS"], Act::SetMtp3Field(mtp::HSLS)),
    r("mtp3value", &["mtp3fieldvalue"], Act::Default),
    r("mtp3value", &["relop", "NUM"], Act::Mtp3Relop(false)),
    r("mtp3value", &["irelop", "NUM"], Act::Mtp3Relop(true)),
    r("mtp3value", &["paren", "mtp3listvalue", "')'"], Act::TakeB2),
    r("mtp3fieldvalue", &["NUM"], Act::Mtp3FieldValue),
    r("mtp3listvalue", &["mtp3fieldvalue"], Act::Default),
    r("mtp3listvalue", &["mtp3listvalue", "or", "mtp3fieldvalue"], Act::OrBlk),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Assoc {
    Left,
    Nonassoc,
}

/// `%left OR AND`, `%nonassoc '!'`, ... lowest first.
const PRECEDENCE: &[(Assoc, &[&str])] = &[
    (Assoc::Left, &["OR", "AND"]),
    (Assoc::Nonassoc, &["'!'"]),
    (Assoc::Left, &["'|'"]),
    (Assoc::Left, &["'&'"]),
    (Assoc::Left, &["LSH", "RSH"]),
    (Assoc::Left, &["'+'", "'-'"]),
    (Assoc::Left, &["'*'", "'/'"]),
    (Assoc::Nonassoc, &["UMINUS"]),
];

/// A set of terminals (plus one spare bit for LALR propagation).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct TSet([u64; 3]);

impl TSet {
    fn insert(&mut self, t: usize) -> bool {
        let (w, b) = (t / 64, 1u64 << (t % 64));
        let new = self.0[w] & b == 0;
        self.0[w] |= b;
        new
    }
    fn contains(&self, t: usize) -> bool {
        self.0[t / 64] & (1u64 << (t % 64)) != 0
    }
    fn remove(&mut self, t: usize) {
        self.0[t / 64] &= !(1u64 << (t % 64));
    }
    fn union(&mut self, o: &TSet) -> bool {
        let mut changed = false;
        for i in 0..3 {
            let n = self.0[i] | o.0[i];
            changed |= n != self.0[i];
            self.0[i] = n;
        }
        changed
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..192).filter(move |&t| self.contains(t))
    }
}

/// The propagation marker of the LALR construction.
const HASH: usize = 191;

/// A parse action for (state, terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Shift(u16),
    Reduce(u16),
    /// An explicit error (a %nonassoc conflict).
    Error,
}

/// A rule as the parser needs it.
pub struct Rule {
    pub lhs: u16,
    pub len: u16,
    pub act: Act,
}

/// The parse tables.
pub struct Tables {
    pub rules: Vec<Rule>,
    /// Per state: explicit actions by terminal.
    actions: Vec<Vec<(u16, Action)>>,
    /// Per state: the default reduction.
    pub default: Vec<Option<u16>>,
    /// Per state: goto on nonterminals (nonterminal id, state).
    gotos: Vec<Vec<(u16, u16)>>,
    pub final_state: u16,
    pub sr_conflicts: usize,
    pub rr_conflicts: usize,
}

impl Tables {
    /// The explicit action for `t` in `state`; `None` means "use the
    /// default".
    pub fn action(&self, state: u16, t: u16) -> Option<Action> {
        self.actions[state as usize].iter().find(|a| a.0 == t).map(|a| a.1)
    }

    /// True when `state` decides without a lookahead token.
    pub fn needs_no_lookahead(&self, state: u16) -> bool {
        self.actions[state as usize].is_empty()
    }

    pub fn goto(&self, state: u16, nt: u16) -> u16 {
        self.gotos[state as usize].iter().find(|g| g.0 == nt).map(|g| g.1).expect("goto defined by construction")
    }
}

pub static TABLES: Lazy<Tables> = Lazy::new(build);

/// A rule: left-hand symbol, right-hand symbols, action, precedence.
type GrammarRule = (usize, Vec<usize>, Act, Option<(usize, Assoc)>);

/// Symbols: terminals `0..N_TERMINALS`, then nonterminals.
struct Grammar {
    /// rules[0] is `$accept: prog $end`.
    rules: Vec<GrammarRule>,
    n_symbols: usize,
    nullable: Vec<bool>,
    first: Vec<TSet>,
    by_lhs: Vec<Vec<usize>>,
    term_prec: Vec<Option<(usize, Assoc)>>,
}

fn build_grammar() -> Grammar {
    let mut nonterms: Vec<&str> = vec!["$accept"];
    for d in RULES {
        if !nonterms.contains(&d.lhs) {
            nonterms.push(d.lhs);
        }
    }
    let sym = |name: &str| -> usize {
        if let Some(t) = TERMINAL_NAMES.iter().position(|n| *n == name) {
            t
        } else {
            N_TERMINALS + nonterms.iter().position(|n| *n == name).unwrap_or_else(|| panic!("symbol {name}"))
        }
    };
    let mut term_prec = vec![None; N_TERMINALS];
    for (level, (assoc, toks)) in PRECEDENCE.iter().enumerate() {
        for t in *toks {
            term_prec[sym(t)] = Some((level + 1, *assoc));
        }
    }
    let mut rules = vec![(N_TERMINALS, vec![sym("prog"), T::END as usize], Act::Default, None)];
    for d in RULES {
        let rhs: Vec<usize> = d.rhs.iter().map(|s| sym(s)).collect();
        // yacc: the precedence of the last token of the rule, or %prec.
        let prec = match d.prec {
            Some(p) => term_prec[sym(p)],
            None => rhs.iter().rev().find(|&&s| s < N_TERMINALS).and_then(|&s| term_prec[s]),
        };
        rules.push((sym(d.lhs), rhs, d.act, prec));
    }
    let n_symbols = N_TERMINALS + nonterms.len();
    let mut by_lhs = vec![Vec::new(); n_symbols];
    for (i, r) in rules.iter().enumerate() {
        by_lhs[r.0].push(i);
    }
    let mut nullable = vec![false; n_symbols];
    let mut first = vec![TSet::default(); n_symbols];
    for (t, f) in first.iter_mut().enumerate().take(N_TERMINALS) {
        f.insert(t);
    }
    loop {
        let mut changed = false;
        for r in &rules {
            if !nullable[r.0] && r.1.iter().all(|&s| nullable[s]) {
                nullable[r.0] = true;
                changed = true;
            }
            for &s in &r.1 {
                let f = first[s];
                changed |= first[r.0].union(&f);
                if !nullable[s] {
                    break;
                }
            }
        }
        if !changed {
            break;
        }
    }
    Grammar { rules, n_symbols, nullable, first, by_lhs, term_prec }
}

impl Grammar {
    /// FIRST of `syms` followed by `la`.
    fn first_seq(&self, syms: &[usize], la: &TSet) -> TSet {
        let mut out = TSet::default();
        for &s in syms {
            out.union(&self.first[s]);
            if !self.nullable[s] {
                return out;
            }
        }
        out.union(la);
        out
    }

    /// LR(0) closure of kernel items.
    fn closure0(&self, kernel: &[(usize, usize)]) -> Vec<(usize, usize)> {
        let mut items: Vec<(usize, usize)> = kernel.to_vec();
        let mut seen = vec![false; self.n_symbols];
        let mut i = 0;
        while i < items.len() {
            let (r, d) = items[i];
            if let Some(&s) = self.rules[r].1.get(d) {
                if s >= N_TERMINALS && !seen[s] {
                    seen[s] = true;
                    for &rr in &self.by_lhs[s] {
                        items.push((rr, 0));
                    }
                }
            }
            i += 1;
        }
        items
    }

    /// LR(1) closure: items with lookahead sets.
    fn closure1(&self, kernel: &[((usize, usize), TSet)]) -> Vec<((usize, usize), TSet)> {
        let mut items: Vec<((usize, usize), TSet)> = kernel.to_vec();
        loop {
            let mut changed = false;
            let mut i = 0;
            while i < items.len() {
                let ((r, d), la) = items[i];
                if let Some(&s) = self.rules[r].1.get(d) {
                    if s >= N_TERMINALS {
                        let f = self.first_seq(&self.rules[r].1[d + 1..], &la);
                        for &rr in &self.by_lhs[s] {
                            match items.iter_mut().find(|it| it.0 == (rr, 0)) {
                                Some(it) => changed |= it.1.union(&f),
                                None => {
                                    items.push(((rr, 0), f));
                                    changed = true;
                                }
                            }
                        }
                    }
                }
                i += 1;
            }
            if !changed {
                return items;
            }
        }
    }
}

fn build() -> Tables {
    let g = build_grammar();
    // LR(0) states.
    let mut kernels: Vec<Vec<(usize, usize)>> = vec![vec![(0, 0)]];
    let mut trans: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut i = 0;
    while i < kernels.len() {
        let items = g.closure0(&kernels[i]);
        let mut by_sym: Vec<(usize, Vec<(usize, usize)>)> = Vec::new();
        for &(r, d) in &items {
            if let Some(&s) = g.rules[r].1.get(d) {
                match by_sym.iter_mut().find(|e| e.0 == s) {
                    Some(e) => e.1.push((r, d + 1)),
                    None => by_sym.push((s, vec![(r, d + 1)])),
                }
            }
        }
        let mut t = Vec::new();
        for (s, mut k) in by_sym {
            k.sort_unstable();
            let target = match kernels.iter().position(|x| *x == k) {
                Some(p) => p,
                None => {
                    kernels.push(k);
                    kernels.len() - 1
                }
            };
            t.push((s, target));
        }
        trans.push(t);
        i += 1;
    }
    let n_states = kernels.len();

    // LALR(1) lookaheads of kernel items by spontaneous generation and
    // propagation.
    let mut la: Vec<Vec<TSet>> = kernels.iter().map(|k| vec![TSet::default(); k.len()]).collect();
    let mut prop: Vec<Vec<Vec<(usize, usize)>>> = kernels.iter().map(|k| vec![Vec::new(); k.len()]).collect();
    for st in 0..n_states {
        for ki in 0..kernels[st].len() {
            let mut hash = TSet::default();
            hash.insert(HASH);
            for ((r, d), l) in g.closure1(&[(kernels[st][ki], hash)]) {
                let Some(&x) = g.rules[r].1.get(d) else { continue };
                let target = trans[st].iter().find(|t| t.0 == x).expect("transition").1;
                let tk = kernels[target].iter().position(|&it| it == (r, d + 1)).expect("kernel item");
                for t in l.iter() {
                    if t == HASH {
                        prop[st][ki].push((target, tk));
                    } else {
                        la[target][tk].insert(t);
                    }
                }
            }
        }
    }
    loop {
        let mut changed = false;
        for st in 0..n_states {
            for ki in 0..kernels[st].len() {
                let src = la[st][ki];
                for &(t, tk) in &prop[st][ki] {
                    changed |= la[t][tk].union(&src);
                }
            }
        }
        if !changed {
            break;
        }
    }

    // Actions.
    let mut tables = Tables {
        rules: g.rules.iter().map(|r| Rule { lhs: r.0 as u16, len: r.1.len() as u16, act: r.2 }).collect(),
        actions: Vec::with_capacity(n_states),
        default: Vec::with_capacity(n_states),
        gotos: Vec::with_capacity(n_states),
        final_state: 0,
        sr_conflicts: 0,
        rr_conflicts: 0,
    };
    for st in 0..n_states {
        let kernel: Vec<((usize, usize), TSet)> =
            kernels[st].iter().copied().zip(la[st].iter().copied()).collect();
        // Reductions (in rule order) with their lookaheads.
        let mut reds: Vec<(usize, TSet)> = Vec::new();
        for ((r, d), l) in g.closure1(&kernel) {
            if d == g.rules[r].1.len() && r != 0 {
                reds.push((r, l));
            }
        }
        reds.sort_by_key(|x| x.0);
        let mut shifts: Vec<(usize, usize)> =
            trans[st].iter().filter(|t| t.0 < N_TERMINALS).copied().collect();
        let gotos: Vec<(u16, u16)> =
            trans[st].iter().filter(|t| t.0 >= N_TERMINALS).map(|t| (t.0 as u16, t.1 as u16)).collect();
        let consistent = reds.len() <= 1 && (reds.is_empty() || shifts.is_empty());
        let mut errors: Vec<usize> = Vec::new();
        if !consistent {
            // Precedence resolution of shift/reduce conflicts.
            let mut shift_set = TSet::default();
            for &(t, _) in &shifts {
                shift_set.insert(t);
            }
            for red in reds.iter_mut() {
                let Some((rprec, _)) = g.rules[red.0].3 else { continue };
                for t in 0..N_TERMINALS {
                    if !(red.1.contains(t) && shift_set.contains(t)) {
                        continue;
                    }
                    let Some((tprec, assoc)) = g.term_prec[t] else { continue };
                    if tprec < rprec {
                        shifts.retain(|s| s.0 != t);
                        shift_set.remove(t);
                    } else if tprec > rprec {
                        red.1.remove(t);
                    } else {
                        match assoc {
                            Assoc::Left => {
                                shifts.retain(|s| s.0 != t);
                                shift_set.remove(t);
                            }
                            Assoc::Nonassoc => {
                                shifts.retain(|s| s.0 != t);
                                shift_set.remove(t);
                                red.1.remove(t);
                                errors.push(t);
                            }
                        }
                    }
                }
            }
            // Count what is left (yacc: shift wins, then the first rule).
            for t in 0..N_TERMINALS {
                let n_red = reds.iter().filter(|r| r.1.contains(t)).count();
                if shift_set.contains(t) && n_red > 0 {
                    tables.sr_conflicts += 1;
                }
                if n_red > 1 {
                    tables.rr_conflicts += n_red - 1;
                }
            }
        }
        let mut row: Vec<Option<Action>> = vec![None; N_TERMINALS];
        let mut default = None;
        if consistent {
            default = reds.first().map(|r| r.0 as u16);
        } else {
            for red in reds.iter().rev() {
                for t in red.1.iter() {
                    if t < N_TERMINALS {
                        row[t] = Some(Action::Reduce(red.0 as u16));
                    }
                }
            }
        }
        for &(t, target) in &shifts {
            row[t] = Some(Action::Shift(target as u16));
        }
        for &t in &errors {
            row[t] = Some(Action::Error);
        }
        if !consistent {
            let mut max = 0;
            for red in &reds {
                let count = row.iter().filter(|a| **a == Some(Action::Reduce(red.0 as u16))).count();
                if count > max {
                    max = count;
                    default = Some(red.0 as u16);
                }
            }
            if let Some(d) = default {
                for a in row.iter_mut() {
                    if *a == Some(Action::Reduce(d)) {
                        *a = None;
                    }
                }
            } else {
                for a in row.iter_mut() {
                    if *a == Some(Action::Error) {
                        *a = None;
                    }
                }
            }
        }
        tables.actions.push(row.iter().enumerate().filter_map(|(t, a)| a.map(|a| (t as u16, a))).collect());
        tables.default.push(default);
        tables.gotos.push(gotos);
    }
    // The state after `$accept: prog $end`.
    let after_prog = trans[0].iter().find(|t| t.0 == g.rules[0].1[0]).expect("goto prog").1;
    tables.final_state = trans[after_prog].iter().find(|t| t.0 == T::END as usize).expect("shift $end").1 as u16;
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_are_the_ones_libpcap_expects() {
        // grammar.y: %expect 38 (shift/reduce), no reduce/reduce.
        let t = &*TABLES;
        assert_eq!(t.rr_conflicts, 0);
        assert_eq!(t.sr_conflicts, 38);
    }
}

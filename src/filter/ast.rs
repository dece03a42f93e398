//! The values the parser hands to the code generator: qualifier triples
//! (`src tcp port` = proto tcp, dir src, addr port), arithmetic operands,
//! and the per-rule semantic value the grammar threads through abbreviated
//! forms like `host a or b`.

use super::ir::{BlockId, StmtId};

/// Address qualifiers.
pub mod addr {
    pub const HOST: u8 = 1;
    pub const NET: u8 = 2;
    pub const PORT: u8 = 3;
    pub const GATEWAY: u8 = 4;
    pub const PROTO: u8 = 5;
    pub const PROTOCHAIN: u8 = 6;
    pub const PORTRANGE: u8 = 7;
}

/// Protocol qualifiers.
pub mod proto {
    pub const LINK: u8 = 1;
    pub const IP: u8 = 2;
    pub const ARP: u8 = 3;
    pub const RARP: u8 = 4;
    pub const SCTP: u8 = 5;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 7;
    pub const ICMP: u8 = 8;
    pub const IGMP: u8 = 9;
    pub const IGRP: u8 = 10;
    pub const ATALK: u8 = 11;
    pub const DECNET: u8 = 12;
    pub const LAT: u8 = 13;
    pub const SCA: u8 = 14;
    pub const MOPRC: u8 = 15;
    pub const MOPDL: u8 = 16;
    pub const IPV6: u8 = 17;
    pub const ICMPV6: u8 = 18;
    pub const AH: u8 = 19;
    pub const ESP: u8 = 20;
    pub const PIM: u8 = 21;
    pub const VRRP: u8 = 22;
    pub const AARP: u8 = 23;
    pub const ISO: u8 = 24;
    pub const ESIS: u8 = 25;
    pub const ISIS: u8 = 26;
    pub const CLNP: u8 = 27;
    pub const STP: u8 = 28;
    pub const IPX: u8 = 29;
    pub const NETBEUI: u8 = 30;
    pub const ISIS_L1: u8 = 31;
    pub const ISIS_L2: u8 = 32;
    pub const ISIS_IIH: u8 = 33;
    pub const ISIS_SNP: u8 = 34;
    pub const ISIS_CSNP: u8 = 35;
    pub const ISIS_PSNP: u8 = 36;
    pub const ISIS_LSP: u8 = 37;
    pub const RADIO: u8 = 38;
    pub const CARP: u8 = 39;
}

/// Direction qualifiers.
pub mod dir {
    pub const SRC: u8 = 1;
    pub const DST: u8 = 2;
    pub const OR: u8 = 3;
    pub const AND: u8 = 4;
    pub const ADDR1: u8 = 5;
    pub const ADDR2: u8 = 6;
    pub const ADDR3: u8 = 7;
    pub const ADDR4: u8 = 8;
    pub const RA: u8 = 9;
    pub const TA: u8 = 10;
}

/// No qualifier given.
pub const Q_DEFAULT: u8 = 0;
/// No qualifier applies (after a parenthesised or non-address term).
pub const Q_UNDEF: u8 = 255;

/// ATM and SS7 keywords (`lane`, `vpi`, `fisu`, `sio`, ...).
pub mod atm {
    pub const METAC: i32 = 22;
    pub const BCC: i32 = 23;
    pub const OAMF4SC: i32 = 24;
    pub const OAMF4EC: i32 = 25;
    pub const SC: i32 = 26;
    pub const ILMIC: i32 = 27;
    pub const OAM: i32 = 28;
    pub const OAMF4: i32 = 29;
    pub const LANE: i32 = 30;
    pub const LLC: i32 = 31;
    pub const SETUP: i32 = 41;
    pub const CALLPROCEED: i32 = 42;
    pub const CONNECT: i32 = 43;
    pub const CONNECTACK: i32 = 44;
    pub const RELEASE: i32 = 45;
    pub const RELEASE_DONE: i32 = 46;
    pub const VPI: i32 = 51;
    pub const VCI: i32 = 52;
    pub const PROTOTYPE: i32 = 53;
    pub const MSGTYPE: i32 = 54;
    pub const CALLREFTYPE: i32 = 55;
    pub const CONNECTMSG: i32 = 70;
    pub const METACONNECT: i32 = 71;
}

pub mod mtp {
    pub const FISU: i32 = 22;
    pub const LSSU: i32 = 23;
    pub const MSU: i32 = 24;
    pub const HFISU: i32 = 25;
    pub const HLSSU: i32 = 26;
    pub const HMSU: i32 = 27;
    pub const SIO: i32 = 1;
    pub const OPC: i32 = 2;
    pub const DPC: i32 = 3;
    pub const SLS: i32 = 4;
    pub const HSIO: i32 = 5;
    pub const HOPC: i32 = 6;
    pub const HDPC: i32 = 7;
    pub const HSLS: i32 = 8;
}

/// A qualifier triple.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Qual {
    pub addr: u8,
    pub proto: u8,
    pub dir: u8,
}

impl Qual {
    pub const ERR: Qual = Qual { addr: Q_UNDEF, proto: Q_UNDEF, dir: Q_UNDEF };
}

/// An arithmetic operand under construction: statements that leave its value
/// in scratch register `regno`, guarded by the protocol checks in `b`.
#[derive(Clone, Copy, Debug)]
pub struct Arth {
    pub b: Option<BlockId>,
    pub s: StmtId,
    pub regno: i32,
}

/// Index of an [`Arth`] in the code generator's operand table.
pub type ArthId = u32;

/// The semantic value of one grammar symbol. libpcap keeps these in a C
/// union; rules that read the value *below* their first symbol (`$<blk>0`)
/// rely on every field being carried along when a value is copied, which a
/// plain struct does.
#[derive(Clone, Debug, Default)]
pub struct SemVal {
    pub q: Qual,
    pub atmfieldtype: i32,
    pub mtp3fieldtype: i32,
    pub b: Option<BlockId>,
    /// Small integers: qualifiers, opcodes, 802.11 types.
    pub i: i32,
    /// Numbers.
    pub h: u32,
    /// Identifier and address texts; `None` for a token the scanner rejected.
    pub s: Option<std::rc::Rc<str>>,
    pub a: Option<ArthId>,
}

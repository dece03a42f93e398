//! Address primitives: `host`, `net`, `ether host`, 802.11 addresses,
//! DECnet, ARCnet, and the entry points for identifiers, numbers, masks and
//! MAC addresses in address position (`gen_scode`, `gen_ncode`, ...).

use super::{ethertype as et, GResult, Gen, OffRel};
use crate::bpf::insn::*;
use crate::filter::ast::{addr, dir, proto, Qual, Q_DEFAULT, Q_UNDEF};
use crate::filter::ir::BlockId;
use crate::filter::layout::*;
use crate::filter::names::{self, HostAddr, PROTO_UNDEF};

/// Protocol qualifier names as error messages spell them.
pub(super) fn proto_name(p: u8) -> &'static str {
    const NAMES: [&str; 40] = [
        "", "link", "ip", "arp", "rarp", "sctp", "tcp", "udp", "icmp", "igmp", "igrp", "atalk", "decnet", "lat",
        "sca", "moprc", "mopdl", "ip6", "icmp6", "ah", "esp", "pim", "vrrp", "aarp", "iso", "esis", "isis", "clnp",
        "stp", "ipx", "netbeui", "l1", "l2", "iih", "snp", "csnp", "psnp", "lsp", "radio", "carp",
    ];
    NAMES.get(p as usize).copied().unwrap_or("")
}

/// libpcap's complaint about an 802.11-only direction qualifier.
pub(super) enum DirMisuse {
    /// "... are not valid qualifiers for X" / "... is not a valid qualifier for X"
    NotValidFor(&'static str),
    /// "... are only supported on X" / "... is only supported on X"
    OnlyOn(&'static str),
}

pub(super) fn dir_error(d: u8, how: DirMisuse) -> String {
    let who = match d {
        dir::ADDR1 => "'addr1' and 'address1'",
        dir::ADDR2 => "'addr2' and 'address2'",
        dir::ADDR3 => "'addr3' and 'address3'",
        dir::ADDR4 => "'addr4' and 'address4'",
        dir::RA => "'ra'",
        _ => "'ta'",
    };
    let plural = (dir::ADDR1..=dir::ADDR4).contains(&d);
    match (how, plural) {
        (DirMisuse::NotValidFor(x), true) => format!("{who} are not valid qualifiers for {x}"),
        (DirMisuse::NotValidFor(x), false) => format!("{who} is not a valid qualifier for {x}"),
        (DirMisuse::OnlyOn(x), true) => format!("{who} are only supported on {x}"),
        (DirMisuse::OnlyOn(x), false) => format!("{who} is only supported on {x}"),
    }
}

const NOT_MAC: DirMisuse = DirMisuse::NotValidFor("addresses other than 802.11 MAC addresses");

/// How a MAC-address test is laid out on a link type.
#[derive(Clone, Copy)]
pub(super) enum MacLayout {
    Ether,
    Fddi,
    TokenRing,
    Wlan,
    IpFc,
}

impl Gen {
    /// The MAC layout of the current link type, if it has MAC addresses.
    pub(super) fn mac_layout(&self) -> Option<MacLayout> {
        Some(match self.linktype {
            DLT_EN10MB | DLT_NETANALYZER | DLT_NETANALYZER_TRANSPARENT => MacLayout::Ether,
            DLT_FDDI => MacLayout::Fddi,
            DLT_IEEE802 => MacLayout::TokenRing,
            DLT_IEEE802_11 | DLT_PRISM_HEADER | DLT_IEEE802_11_RADIO_AVS | DLT_IEEE802_11_RADIO | DLT_PPI => {
                MacLayout::Wlan
            }
            DLT_IP_OVER_FC => MacLayout::IpFc,
            _ => return None,
        })
    }

    /// Test a MAC address in direction `d` on a link layout (with the
    /// encapsulation check Ethernet needs).
    pub(super) fn mac_host(&mut self, layout: MacLayout, eaddr: &[u8], d: u8) -> GResult<BlockId> {
        match layout {
            MacLayout::Ether => {
                let tmp = self.prevlinkhdr_check()?;
                let b = self.ehostop(eaddr, d)?;
                if let Some(tmp) = tmp {
                    self.and(tmp, b);
                }
                Ok(b)
            }
            MacLayout::Fddi => self.simple_mac_hostop(eaddr, d, 7, 1, "802.11"),
            MacLayout::TokenRing => self.simple_mac_hostop(eaddr, d, 8, 2, "802.11"),
            MacLayout::Wlan => self.wlanhostop(eaddr, d),
            MacLayout::IpFc => self.simple_mac_hostop(eaddr, d, 10, 2, "802.11"),
        }
    }

    /// A MAC address at fixed source/destination offsets of the link header.
    fn simple_mac_hostop(&mut self, eaddr: &[u8], d: u8, src: u32, dst: u32, only: &'static str) -> GResult<BlockId> {
        match d {
            dir::SRC => self.bcmp(OffRel::LinkHdr, src, &eaddr[..6]),
            dir::DST => self.bcmp(OffRel::LinkHdr, dst, &eaddr[..6]),
            dir::AND | Q_DEFAULT | dir::OR => {
                let b0 = self.simple_mac_hostop(eaddr, dir::SRC, src, dst, only)?;
                let b1 = self.simple_mac_hostop(eaddr, dir::DST, src, dst, only)?;
                if d == dir::AND {
                    self.and(b0, b1)
                } else {
                    self.or(b0, b1)
                }
                Ok(b1)
            }
            _ => Err(dir_error(d, DirMisuse::OnlyOn(only))),
        }
    }

    pub(super) fn ehostop(&mut self, eaddr: &[u8], d: u8) -> GResult<BlockId> {
        self.simple_mac_hostop(eaddr, d, 6, 0, "802.11 with 802.11 headers")
    }

    /// ARCnet: one-byte addresses, source first.
    pub(super) fn ahostop(&mut self, eaddr: &[u8], d: u8) -> GResult<BlockId> {
        match d {
            dir::SRC => self.bcmp(OffRel::LinkHdr, 0, &eaddr[..1]),
            dir::DST => self.bcmp(OffRel::LinkHdr, 1, &eaddr[..1]),
            dir::AND | Q_DEFAULT | dir::OR => {
                let b0 = self.ahostop(eaddr, dir::SRC)?;
                let b1 = self.ahostop(eaddr, dir::DST)?;
                if d == dir::AND {
                    self.and(b0, b1)
                } else {
                    self.or(b0, b1)
                }
                Ok(b1)
            }
            _ => Err(dir_error(d, DirMisuse::OnlyOn("802.11"))),
        }
    }

    /// "(link[b] & bits)" as a block, negated if `negate`.
    fn wlan_bit(&mut self, byte: u32, bits: u32, negate: bool) -> GResult<BlockId> {
        let b = self.jset_byte(OffRel::LinkHdr, byte, bits)?;
        if negate {
            self.not(b);
        }
        Ok(b)
    }

    /// 802.11: SA/DA positions depend on frame type and the DS bits.
    pub(super) fn wlanhostop(&mut self, eaddr: &[u8], d: u8) -> GResult<BlockId> {
        let e = &eaddr[..6];
        match d {
            dir::SRC | dir::DST => self.wlan_addr_test(d, &mut |g, off| g.bcmp(OffRel::LinkHdr, off, e)),
            dir::AND | Q_DEFAULT | dir::OR => {
                let b0 = self.wlanhostop(eaddr, dir::SRC)?;
                let b1 = self.wlanhostop(eaddr, dir::DST)?;
                if d == dir::AND {
                    self.and(b0, b1)
                } else {
                    self.or(b0, b1)
                }
                Ok(b1)
            }
            dir::ADDR1 => self.bcmp(OffRel::LinkHdr, 4, e),
            dir::ADDR2 => {
                let b2 = self.not_cts_ack()?;
                let b1 = self.bcmp(OffRel::LinkHdr, 10, e)?;
                self.and(b2, b1);
                Ok(b1)
            }
            dir::ADDR3 => {
                let b0 = self.mcmp(OffRel::LinkHdr, 0, BPF_B, 0x04, 0x0c)?;
                self.not(b0);
                let b1 = self.bcmp(OffRel::LinkHdr, 16, e)?;
                self.and(b0, b1);
                Ok(b1)
            }
            dir::ADDR4 => {
                let b0 = self.mcmp(OffRel::LinkHdr, 1, BPF_B, 0x03, 0x03)?;
                let b1 = self.bcmp(OffRel::LinkHdr, 24, e)?;
                self.and(b0, b1);
                Ok(b1)
            }
            dir::RA => {
                let b1 = self.wlan_bit(0, 0x08, false)?;
                let b0 = self.bcmp(OffRel::LinkHdr, 4, e)?;
                self.and(b1, b0);
                Ok(b0)
            }
            _ => {
                // TA
                let b2 = self.not_cts_ack()?;
                let b1 = self.wlan_bit(0, 0x08, false)?;
                self.and(b1, b2);
                let b1 = self.bcmp(OffRel::LinkHdr, 10, e)?;
                self.and(b2, b1);
                Ok(b1)
            }
        }
    }

    /// The source (`d` = SRC) or destination address of a data or
    /// management frame passes `test(offset)`; the offset depends on the
    /// frame type and, for data frames, on the DS bits.
    pub(super) fn wlan_addr_test(
        &mut self,
        d: u8,
        test: &mut dyn FnMut(&mut Gen, u32) -> GResult<BlockId>,
    ) -> GResult<BlockId> {
        let (to_ds_set, to_ds_clear) = if d == dir::SRC { (24, 16) } else { (16, 4) };
        let b1 = self.wlan_bit(1, 0x01, false)?;
        let b0 = test(self, to_ds_set)?;
        self.and(b1, b0);
        let b2 = self.wlan_bit(1, 0x01, true)?;
        let b1 = test(self, to_ds_clear)?;
        self.and(b2, b1);
        self.or(b1, b0);
        if d == dir::SRC {
            let b1 = self.wlan_bit(1, 0x02, false)?;
            self.and(b1, b0);
            let b2 = self.wlan_bit(1, 0x02, true)?;
            let b1 = test(self, 10)?;
            self.and(b2, b1);
            self.or(b1, b0);
        }
        // Data frames.
        let b1 = self.wlan_bit(0, 0x08, false)?;
        self.and(b1, b0);
        // Management frames.
        let b2 = self.wlan_bit(0, 0x08, true)?;
        let b1 = test(self, if d == dir::SRC { 10 } else { 4 })?;
        self.and(b2, b1);
        self.or(b1, b0);
        // Not control frames.
        let b1 = self.wlan_bit(0, 0x04, true)?;
        self.and(b1, b0);
        Ok(b0)
    }

    /// Not a control frame, or a control frame other than CTS and ACK.
    fn not_cts_ack(&mut self) -> GResult<BlockId> {
        let b0 = self.mcmp(OffRel::LinkHdr, 0, BPF_B, 0x04, 0x0c)?;
        self.not(b0);
        let b1 = self.mcmp(OffRel::LinkHdr, 0, BPF_B, 0xc0, 0xf0)?;
        self.not(b1);
        let b2 = self.mcmp(OffRel::LinkHdr, 0, BPF_B, 0xd0, 0xf0)?;
        self.not(b2);
        self.and(b1, b2);
        self.or(b0, b2);
        Ok(b2)
    }

    /// DECnet data packets with 0 or 1 pad bytes, long or short header.
    fn dnhostop(&mut self, a: u32, d: u8) -> GResult<BlockId> {
        let (offset_sh, offset_lh) = match d {
            dir::DST => (1, 7),
            dir::SRC => (3, 15),
            dir::AND | Q_DEFAULT | dir::OR => {
                let b0 = self.dnhostop(a, dir::SRC)?;
                let b1 = self.dnhostop(a, dir::DST)?;
                if d == dir::AND {
                    self.and(b0, b1)
                } else {
                    self.or(b0, b1)
                }
                return Ok(b1);
            }
            _ => return Err(dir_error(d, NOT_MAC)),
        };
        let ntohs = |x: u16| u16::from_be(x) as u32;
        let addr = ntohs(a as u16);
        let b0 = self.linktype(et::DN)?;
        let tmp = self.mcmp(OffRel::LinkPl, 2, BPF_H, ntohs(0x0681), ntohs(0x07ff))?;
        let b1 = self.cmp(OffRel::LinkPl, 2 + 1 + offset_lh, BPF_H, addr)?;
        self.and(tmp, b1);
        let tmp = self.mcmp(OffRel::LinkPl, 2, BPF_B, 0x06, 0x7)?;
        let b2 = self.cmp(OffRel::LinkPl, 2 + offset_lh, BPF_H, addr)?;
        self.and(tmp, b2);
        self.or(b2, b1);
        let tmp = self.mcmp(OffRel::LinkPl, 2, BPF_H, ntohs(0x0281), ntohs(0x07ff))?;
        let b2 = self.cmp(OffRel::LinkPl, 2 + 1 + offset_sh, BPF_H, addr)?;
        self.and(tmp, b2);
        self.or(b2, b1);
        let tmp = self.mcmp(OffRel::LinkPl, 2, BPF_B, 0x02, 0x7)?;
        let b2 = self.cmp(OffRel::LinkPl, 2 + offset_sh, BPF_H, addr)?;
        self.and(tmp, b2);
        self.or(b2, b1);
        self.and(b0, b1);
        Ok(b1)
    }

    #[allow(clippy::too_many_arguments)]
    fn hostop(&mut self, a: u32, mask: u32, d: u8, ll_proto: u32, src_off: u32, dst_off: u32) -> GResult<BlockId> {
        let offset = match d {
            dir::SRC => src_off,
            dir::DST => dst_off,
            dir::AND | Q_DEFAULT | dir::OR => {
                let b0 = self.hostop(a, mask, dir::SRC, ll_proto, src_off, dst_off)?;
                let b1 = self.hostop(a, mask, dir::DST, ll_proto, src_off, dst_off)?;
                if d == dir::AND {
                    self.and(b0, b1)
                } else {
                    self.or(b0, b1)
                }
                return Ok(b1);
            }
            _ => return Err(dir_error(d, NOT_MAC)),
        };
        let b0 = self.linktype(ll_proto)?;
        let b1 = self.mcmp(OffRel::LinkPl, offset, BPF_W, a, mask)?;
        self.and(b0, b1);
        Ok(b1)
    }

    fn hostop6(&mut self, a: &[u8; 16], m: &[u8; 16], d: u8, src_off: u32, dst_off: u32) -> GResult<BlockId> {
        let offset = match d {
            dir::SRC => src_off,
            dir::DST => dst_off,
            dir::AND | Q_DEFAULT | dir::OR => {
                let b0 = self.hostop6(a, m, dir::SRC, src_off, dst_off)?;
                let b1 = self.hostop6(a, m, dir::DST, src_off, dst_off)?;
                if d == dir::AND {
                    self.and(b0, b1)
                } else {
                    self.or(b0, b1)
                }
                return Ok(b1);
            }
            _ => return Err(dir_error(d, NOT_MAC)),
        };
        let word = |v: &[u8; 16], i: usize| u32::from_be_bytes([v[4 * i], v[4 * i + 1], v[4 * i + 2], v[4 * i + 3]]);
        let b1 = self.mcmp(OffRel::LinkPl, offset + 12, BPF_W, word(a, 3), word(m, 3))?;
        for i in (0..3).rev() {
            let b0 = self.mcmp(OffRel::LinkPl, offset + 4 * i as u32, BPF_W, word(a, i), word(m, i))?;
            self.and(b0, b1);
        }
        let b0 = self.linktype(et::IPV6)?;
        self.and(b0, b1);
        Ok(b1)
    }

    /// An IPv4 host or network.
    fn host(&mut self, a: u32, mask: u32, p: u8, d: u8, ty: u8) -> GResult<BlockId> {
        let typestr = if ty == addr::NET { "net" } else { "host" };
        match p {
            Q_DEFAULT => {
                let mut b0 = self.host(a, mask, proto::IP, d, ty)?;
                if self.label_stack_depth == 0 {
                    let b1 = self.host(a, mask, proto::ARP, d, ty)?;
                    self.or(b0, b1);
                    b0 = self.host(a, mask, proto::RARP, d, ty)?;
                    self.or(b1, b0);
                }
                Ok(b0)
            }
            proto::LINK => Err(format!("link-layer modifier applied to {typestr}")),
            proto::IP => self.hostop(a, mask, d, et::IP, 12, 16),
            proto::RARP => self.hostop(a, mask, d, et::REVARP, 14, 24),
            proto::ARP => self.hostop(a, mask, d, et::ARP, 14, 24),
            proto::DECNET => self.dnhostop(a, d),
            proto::IPV6 => Err("'ip6' modifier applied to ip host".into()),
            proto::ATALK => Err("AppleTalk host filtering not implemented".into()),
            proto::LAT => Err("LAT host filtering not implemented".into()),
            proto::SCA => Err("SCA host filtering not implemented".into()),
            proto::MOPRC => Err("MOPRC host filtering not implemented".into()),
            proto::MOPDL => Err("MOPDL host filtering not implemented".into()),
            proto::AARP => Err("AARP host filtering not implemented".into()),
            proto::ISO => Err("ISO host filtering not implemented".into()),
            proto::IPX => Err("IPX host filtering not implemented".into()),
            _ => Err(format!("'{}' modifier applied to {typestr}", proto_name(p))),
        }
    }

    /// An IPv6 host or network.
    fn host6(&mut self, a: &[u8; 16], m: &[u8; 16], p: u8, d: u8, ty: u8) -> GResult<BlockId> {
        let typestr = if ty == addr::NET { "net" } else { "host" };
        match p {
            Q_DEFAULT | proto::IPV6 => self.hostop6(a, m, d, 8, 24),
            proto::LINK => Err(format!("link-layer modifier applied to ip6 {typestr}")),
            proto::ATALK => Err(format!("AppleTalk modifier applied to ip6 {typestr}")),
            _ => Err(format!("'{}' modifier applied to ip6 {typestr}", proto_name(p))),
        }
    }

    /// An identifier in address position: host, network, port, service or
    /// protocol name.
    pub fn gen_scode(&mut self, name: &str, q: Qual) -> GResult<BlockId> {
        let (p, d) = (q.proto, q.dir);
        match q.addr {
            addr::NET => {
                let mut a = names::nametonetaddr(name);
                if a == 0 {
                    return Err(format!("unknown network '{name}'"));
                }
                let mut mask = 0xffff_ffffu32;
                while a != 0 && (a & 0xff00_0000) == 0 {
                    a <<= 8;
                    mask <<= 8;
                }
                self.host(a, mask, p, d, q.addr)
            }
            Q_DEFAULT | addr::HOST => {
                if p == proto::LINK {
                    let (layout, what) = match self.mac_layout() {
                        Some(l @ MacLayout::Ether) => (l, "ether"),
                        Some(l @ MacLayout::Fddi) => (l, "FDDI"),
                        Some(l @ MacLayout::TokenRing) => (l, "token ring"),
                        Some(l @ MacLayout::Wlan) => (l, "802.11"),
                        Some(l @ MacLayout::IpFc) => (l, "Fibre Channel"),
                        None => {
                            return Err("only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports \
                                        link-level host name"
                                .into())
                        }
                    };
                    let Some(e) = names::ether_hostton(name) else {
                        return Err(format!("unknown {what} host '{name}'"));
                    };
                    return self.mac_host(layout, &e, d);
                }
                if p == proto::DECNET {
                    return Err(format!("decnet name support not included, '{name}' cannot be translated\n"));
                }
                let Some(addrs) = names::nametoaddrinfo(name) else {
                    return Err(format!("unknown host '{name}'"));
                };
                let (mut tproto, mut tproto6) = (p, p);
                if self.off_linktype.constant_part == OFFSET_NOT_SET && tproto == Q_DEFAULT {
                    tproto = proto::IP;
                    tproto6 = proto::IPV6;
                }
                let mut b: Option<BlockId> = None;
                for a in addrs {
                    let tmp = match a {
                        HostAddr::V4(v4) => {
                            if tproto == proto::IPV6 {
                                continue;
                            }
                            self.host(v4, 0xffff_ffff, tproto, d, q.addr)?
                        }
                        HostAddr::V6(v6) => {
                            if tproto6 == proto::IP {
                                continue;
                            }
                            self.host6(&v6, &[0xff; 16], tproto6, d, q.addr)?
                        }
                    };
                    if let Some(prev) = b {
                        self.or(prev, tmp);
                    }
                    b = Some(tmp);
                }
                b.ok_or_else(|| {
                    let fam = if p == Q_DEFAULT { "" } else { " for specified address family" };
                    format!("unknown host '{name}'{fam}")
                })
            }
            addr::PORT => {
                self.check_port_qual(p, "port")?;
                let Some((port, real)) = names::nametoport(name) else {
                    return Err(format!("unknown port '{name}'"));
                };
                let real = port_proto_conflict(p, real, &format!("port '{name}'"))?;
                check_port_number(port)?;
                let b = self.port(port as u32, real, d)?;
                let b6 = self.port6(port as u32, real, d)?;
                self.or(b6, b);
                Ok(b)
            }
            addr::PORTRANGE => {
                self.check_port_qual(p, "portrange")?;
                let Some((p1, p2, real)) = names::nametoportrange(name).found() else {
                    return Err(format!("unknown port in range '{name}'"));
                };
                let real = port_proto_conflict(p, real, &format!("port in range '{name}'"))?;
                check_port_number(p1)?;
                check_port_number(p2)?;
                let b = self.portrange(p1 as u32, p2 as u32, real, d)?;
                let b6 = self.portrange6(p1 as u32, p2 as u32, real, d)?;
                self.or(b6, b);
                Ok(b)
            }
            addr::GATEWAY => Err("'gateway' not supported in this configuration".into()),
            addr::PROTO => {
                let real = self.lookup_proto(name, p)?;
                if real >= 0 {
                    self.proto(real as u32, p, d)
                } else {
                    Err(format!("unknown protocol: {name}"))
                }
            }
            addr::PROTOCHAIN => {
                let real = self.lookup_proto(name, p)?;
                if real >= 0 {
                    self.protochain(real as u32, p)
                } else {
                    Err(format!("unknown protocol: {name}"))
                }
            }
            _ => Err(syntax_error()),
        }
    }

    fn check_port_qual(&self, p: u8, what: &str) -> GResult<()> {
        if p != Q_DEFAULT && p != proto::UDP && p != proto::TCP && p != proto::SCTP {
            return Err(format!("illegal qualifier of '{what}'"));
        }
        Ok(())
    }

    /// `a.b.c.d/len` or `a.b.c.d mask m.m.m.m`.
    pub fn gen_mcode(&mut self, s1: &str, s2: Option<&str>, masklen: u32, q: Qual) -> GResult<BlockId> {
        let Some((nlen, mut n)) = names::atoin(s1) else {
            return Err(format!("invalid IPv4 address '{s1}'"));
        };
        n = shl(n, 32 - nlen);
        let m = if let Some(s2) = s2 {
            let Some((mlen, m)) = names::atoin(s2) else {
                return Err(format!("invalid IPv4 address '{s2}'"));
            };
            let m = shl(m, 32 - mlen);
            if n & !m != 0 {
                return Err(format!("non-network bits set in \"{s1} mask {s2}\""));
            }
            m
        } else {
            if masklen > 32 {
                return Err("mask length must be <= 32".into());
            }
            let m = if masklen == 0 { 0 } else { 0xffff_ffffu32 << (32 - masklen) };
            if n & !m != 0 {
                return Err(format!("non-network bits set in \"{s1}/{}\"", masklen as i32));
            }
            m
        };
        if q.addr == addr::NET {
            self.host(n, m, q.proto, q.dir, q.addr)
        } else {
            Err("Mask syntax for networks only".into())
        }
    }

    /// A number or dotted-quad in address position (`s` is the text of a
    /// dotted address, `None` for a plain number `v`).
    pub fn gen_ncode(&mut self, s: Option<&str>, mut v: u32, q: Qual) -> GResult<BlockId> {
        let (p, d) = (q.proto, q.dir);
        let vlen = match s {
            None => 32,
            Some(s) if q.proto == proto::DECNET => match names::atodn(s) {
                Some(a) => {
                    v = a;
                    32
                }
                None => return Err(format!("malformed decnet address '{s}'")),
            },
            Some(s) => match names::atoin(s) {
                Some((len, a)) => {
                    v = a;
                    len
                }
                None => return Err(format!("invalid IPv4 address '{s}'")),
            },
        };
        match q.addr {
            Q_DEFAULT | addr::HOST | addr::NET => {
                if p == proto::DECNET {
                    self.host(v, 0, p, d, q.addr)
                } else if p == proto::LINK {
                    Err("illegal link layer address".into())
                } else {
                    let mut mask = 0xffff_ffffu32;
                    if s.is_none() && q.addr == addr::NET {
                        while v != 0 && (v & 0xff00_0000) == 0 {
                            v <<= 8;
                            mask <<= 8;
                        }
                    } else {
                        v = shl(v, 32 - vlen);
                        mask = shl(mask, 32 - vlen);
                    }
                    self.host(v, mask, p, d, q.addr)
                }
            }
            addr::PORT | addr::PORTRANGE => {
                let what = if q.addr == addr::PORT { "port" } else { "portrange" };
                let real = match p {
                    proto::UDP => libc::IPPROTO_UDP,
                    proto::TCP => libc::IPPROTO_TCP,
                    proto::SCTP => libc::IPPROTO_SCTP,
                    Q_DEFAULT => PROTO_UNDEF,
                    _ => return Err(format!("illegal qualifier of '{what}'")),
                };
                if v > 65535 {
                    return Err(format!("illegal port number {v} > 65535"));
                }
                if q.addr == addr::PORT {
                    let b = self.port(v, real, d)?;
                    let b6 = self.port6(v, real, d)?;
                    self.or(b6, b);
                    Ok(b)
                } else {
                    let b = self.portrange(v, v, real, d)?;
                    let b6 = self.portrange6(v, v, real, d)?;
                    self.or(b6, b);
                    Ok(b)
                }
            }
            addr::GATEWAY => Err("'gateway' requires a name".into()),
            addr::PROTO => self.proto(v, p, d),
            addr::PROTOCHAIN => self.protochain(v, p),
            Q_UNDEF => Err(syntax_error()),
            _ => Err(syntax_error()),
        }
    }

    /// An IPv6 address, optionally with a prefix length.
    pub fn gen_mcode6(&mut self, s1: &str, masklen: u32, q: Qual) -> GResult<BlockId> {
        let addrs = match names::nametoaddrinfo(s1) {
            Some(a) if !a.is_empty() => a,
            _ => return Err(format!("invalid ip6 address {s1}")),
        };
        if addrs.len() > 1 {
            return Err(format!("{s1} resolved to multiple address"));
        }
        let a = match addrs[0] {
            HostAddr::V6(a) => a,
            HostAddr::V4(_) => return Err(format!("invalid ip6 address {s1}")),
        };
        if masklen > 128 {
            return Err("mask length must be <= 128".into());
        }
        let mut m = [0u8; 16];
        for (i, byte) in m.iter_mut().enumerate() {
            let bits = (masklen as i64 - 8 * i as i64).clamp(0, 8);
            *byte = (0xff00u16 >> bits) as u8;
        }
        if a.iter().zip(m.iter()).any(|(x, y)| x & !y != 0) {
            return Err(format!("non-network bits set in \"{s1}/{}\"", masklen as i32));
        }
        match q.addr {
            Q_DEFAULT | addr::HOST | addr::NET => {
                if q.addr != addr::NET && masklen != 128 {
                    return Err("Mask syntax for networks only".into());
                }
                self.host6(&a, &m, q.proto, q.dir, q.addr)
            }
            _ => Err("invalid qualifier against IPv6 address".into()),
        }
    }

    /// A MAC address literal.
    pub fn gen_ecode(&mut self, s: &str, q: Qual) -> GResult<BlockId> {
        if (q.addr == addr::HOST || q.addr == Q_DEFAULT) && q.proto == proto::LINK {
            let e = names::ether_aton(s);
            return match self.mac_layout() {
                Some(layout) => self.mac_host(layout, &e, q.dir),
                None => Err("ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/\
                             Fibre Channel"
                    .into()),
            };
        }
        Err("ethernet address used in non-ether expression".into())
    }

    /// An ARCnet address literal (`$xx`).
    pub fn gen_acode(&mut self, s: &str, q: Qual) -> GResult<BlockId> {
        match self.linktype {
            DLT_ARCNET | DLT_ARCNET_LINUX => {
                if (q.addr == addr::HOST || q.addr == Q_DEFAULT) && q.proto == proto::LINK {
                    let e = names::ether_aton(s);
                    self.ahostop(&e, q.dir)
                } else {
                    Err("ARCnet address used in non-arc expression".into())
                }
            }
            _ => Err("aid supported only on ARCnet".into()),
        }
    }
}

pub(super) fn syntax_error() -> String {
    "syntax error in filter expression".into()
}

/// `x << n` as C does it for n < 32 (and 0 for the n = 32 libpcap never shifts by).
fn shl(x: u32, n: u32) -> u32 {
    x.checked_shl(n).unwrap_or(0)
}

fn check_port_number(port: i32) -> GResult<()> {
    if port < 0 {
        return Err(format!("illegal port number {port} < 0"));
    }
    if port > 65535 {
        return Err(format!("illegal port number {port} > 65535"));
    }
    Ok(())
}

/// The transport protocol a named port is checked for, given the qualifier
/// (`tcp port ...`) and what the services database says.
fn port_proto_conflict(qual: u8, real: i32, what: &str) -> GResult<i32> {
    let (tcp, udp, sctp) = (libc::IPPROTO_TCP, libc::IPPROTO_UDP, libc::IPPROTO_SCTP);
    let (want, others): (i32, [(i32, &str); 2]) = match qual {
        proto::UDP => (udp, [(tcp, "tcp"), (sctp, "sctp")]),
        proto::TCP => (tcp, [(udp, "udp"), (sctp, "sctp")]),
        proto::SCTP => (sctp, [(udp, "udp"), (tcp, "tcp")]),
        _ => return Ok(real),
    };
    for (p, n) in others {
        if real == p {
            return Err(format!("{what} is {n}"));
        }
    }
    Ok(want)
}

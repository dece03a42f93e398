//! `port` and `portrange` over IPv4 (first fragments only) and IPv6, for
//! TCP, UDP and SCTP.

use super::hosts::{dir_error, DirMisuse};
use super::{ethertype as et, GResult, Gen, OffRel};
use crate::bpf::insn::*;
use crate::filter::ast::{dir, Q_DEFAULT};
use crate::filter::ir::BlockId;
use crate::filter::names::PROTO_UNDEF;

/// A port test at offset 0 (source) and/or 2 (destination) of the
/// transport header.
#[derive(Clone, Copy)]
enum PortTest {
    Port(u32),
    Range(u32, u32),
}

impl PortTest {
    fn misuse(self) -> DirMisuse {
        match self {
            PortTest::Port(_) => DirMisuse::NotValidFor("ports"),
            PortTest::Range(..) => DirMisuse::NotValidFor("port ranges"),
        }
    }
}

impl Gen {
    /// Not an IPv4 fragment other than the first.
    pub(super) fn ipfrag(&mut self) -> GResult<BlockId> {
        let s = self.load_a(OffRel::LinkPl, 6, BPF_H)?;
        let b = self.ir.block_with(super::jmp(BPF_JSET), 0x1fff, s);
        self.not(b);
        Ok(b)
    }

    fn port_atom(&mut self, v6: bool, off: u32, t: PortTest) -> GResult<BlockId> {
        let rel = if v6 { OffRel::TranIpv6 } else { OffRel::TranIpv4 };
        match t {
            PortTest::Port(p) => self.cmp(rel, off, BPF_H, p),
            PortTest::Range(mut v1, mut v2) => {
                if v1 > v2 {
                    std::mem::swap(&mut v1, &mut v2);
                }
                let b1 = self.cmp_ge(rel, off, BPF_H, v1)?;
                let b2 = self.cmp_le(rel, off, BPF_H, v2)?;
                self.and(b1, b2);
                Ok(b2)
            }
        }
    }

    /// One transport protocol: protocol number, fragment check (IPv4), and
    /// the port test in direction `d`.
    fn port_op(&mut self, v6: bool, t: PortTest, ip_proto: u32, d: u8) -> GResult<BlockId> {
        let b0 = if v6 {
            self.cmp(OffRel::LinkPl, 6, BPF_B, ip_proto)?
        } else {
            let tmp = self.cmp(OffRel::LinkPl, 9, BPF_B, ip_proto)?;
            let b0 = self.ipfrag()?;
            self.and(tmp, b0);
            b0
        };
        let b1 = match d {
            dir::SRC => self.port_atom(v6, 0, t)?,
            dir::DST => self.port_atom(v6, 2, t)?,
            dir::AND | Q_DEFAULT | dir::OR => {
                let tmp = self.port_atom(v6, 0, t)?;
                let b1 = self.port_atom(v6, 2, t)?;
                if d == dir::AND {
                    self.and(tmp, b1)
                } else {
                    self.or(tmp, b1)
                }
                b1
            }
            _ => return Err(dir_error(d, t.misuse())),
        };
        self.and(b0, b1);
        Ok(b1)
    }

    fn port_any(&mut self, v6: bool, t: PortTest, ip_proto: i32, d: u8) -> GResult<BlockId> {
        let b0 = self.linktype(if v6 { et::IPV6 } else { et::IP })?;
        let b1 = if ip_proto == PROTO_UNDEF {
            let tmp = self.port_op(v6, t, libc::IPPROTO_TCP as u32, d)?;
            let b1 = self.port_op(v6, t, libc::IPPROTO_UDP as u32, d)?;
            self.or(tmp, b1);
            let tmp = self.port_op(v6, t, libc::IPPROTO_SCTP as u32, d)?;
            self.or(tmp, b1);
            b1
        } else {
            self.port_op(v6, t, ip_proto as u32, d)?
        };
        self.and(b0, b1);
        Ok(b1)
    }

    pub(super) fn port(&mut self, port: u32, ip_proto: i32, d: u8) -> GResult<BlockId> {
        self.port_any(false, PortTest::Port(port), ip_proto, d)
    }

    pub(super) fn port6(&mut self, port: u32, ip_proto: i32, d: u8) -> GResult<BlockId> {
        self.port_any(true, PortTest::Port(port), ip_proto, d)
    }

    pub(super) fn portrange(&mut self, p1: u32, p2: u32, ip_proto: i32, d: u8) -> GResult<BlockId> {
        self.port_any(false, PortTest::Range(p1, p2), ip_proto, d)
    }

    pub(super) fn portrange6(&mut self, p1: u32, p2: u32, ip_proto: i32, d: u8) -> GResult<BlockId> {
        self.port_any(true, PortTest::Range(p1, p2), ip_proto, d)
    }
}

//! pcapng writing (which libpcap cannot do): a Section Header Block, one
//! Interface Description Block per link type (with `if_tsresol` = 10^-9),
//! and Enhanced Packet Blocks with nanosecond timestamps, all in host byte
//! order. libpcap, tcpdump and ringcap's reader read the result.

use super::pcapng::{BT_EPB, BT_IDB, BT_SHB, BYTE_ORDER_MAGIC, IF_TSRESOL, OPT_ENDOFOPT};
use super::writer::Sink;
use crate::packet::{PacketHeader, Precision};

/// `shb_userappl`.
const SHB_USERAPPL: u16 = 4;
/// EPB header before the packet bytes: type, length, interface, timestamp
/// (2 words), caplen, len.
const EPB_PREFIX: usize = 28;

fn push_u16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_ne_bytes());
}

fn push_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_ne_bytes());
}

fn push_option(b: &mut Vec<u8>, code: u16, value: &[u8]) {
    push_u16(b, code);
    push_u16(b, value.len() as u16);
    b.extend_from_slice(value);
    b.resize(b.len().next_multiple_of(4), 0);
}

/// Wrap a body (a multiple of 4 bytes) into a block.
fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let total = (body.len() + 12) as u32;
    let mut b = Vec::with_capacity(total as usize);
    push_u32(&mut b, kind);
    push_u32(&mut b, total);
    b.extend_from_slice(body);
    push_u32(&mut b, total);
    b
}

/// A Section Header Block naming the writing application; section length
/// unknown (-1).
pub fn section_header(application: &str) -> Vec<u8> {
    let mut body = Vec::new();
    push_u32(&mut body, BYTE_ORDER_MAGIC);
    push_u16(&mut body, 1);
    push_u16(&mut body, 0);
    body.extend_from_slice(&u64::MAX.to_ne_bytes());
    push_option(&mut body, SHB_USERAPPL, application.as_bytes());
    push_option(&mut body, OPT_ENDOFOPT, &[]);
    block(BT_SHB, &body)
}

/// An Interface Description Block with nanosecond timestamps.
pub fn interface_block(linktype: u16, snaplen: u32) -> Vec<u8> {
    let mut body = Vec::new();
    push_u16(&mut body, linktype);
    push_u16(&mut body, 0);
    push_u32(&mut body, snaplen);
    push_option(&mut body, IF_TSRESOL, &[9]);
    push_option(&mut body, OPT_ENDOFOPT, &[]);
    block(BT_IDB, &body)
}

/// A timestamp in the handle's precision as nanoseconds since the epoch (in
/// the 64 bits an EPB holds).
pub fn nanos(h: &PacketHeader, precision: Precision) -> u64 {
    let frac = match precision {
        Precision::Micro => (h.ts.tv_usec as u64).wrapping_mul(1000),
        Precision::Nano => h.ts.tv_usec as u64,
    };
    (h.ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(frac)
}

/// The state of a pcapng output: the link types that have an interface.
#[derive(Debug)]
pub struct NgWriter {
    precision: Precision,
    interfaces: Vec<u16>,
}

impl NgWriter {
    /// A writer for packets whose timestamps are in `precision`; the caller
    /// writes [`section_header`] first.
    pub fn new(precision: Precision) -> NgWriter {
        NgWriter { precision, interfaces: Vec::new() }
    }

    /// The interface for a link type, writing its IDB the first time.
    /// `None` if the IDB could not be written.
    pub fn interface<S: Sink>(&mut self, s: &mut S, linktype: u16, snaplen: u32) -> Option<u32> {
        if let Some(i) = self.interfaces.iter().position(|&l| l == linktype) {
            return Some(i as u32);
        }
        if s.failed() || !s.write_all(&interface_block(linktype, snaplen)) {
            return None;
        }
        self.interfaces.push(linktype);
        Some(self.interfaces.len() as u32 - 1)
    }

    /// One Enhanced Packet Block, with `pcap_dump`'s failure rules: nothing
    /// once the stream has failed; the rest only if the block header went
    /// out whole.
    pub fn write_packet<S: Sink>(&self, s: &mut S, interface: u32, h: &PacketHeader, data: &[u8]) {
        if s.failed() {
            return;
        }
        let padded = data.len().next_multiple_of(4);
        let total = (EPB_PREFIX + padded + 4) as u32;
        let t = nanos(h, self.precision);
        let mut pre = [0u8; EPB_PREFIX];
        for (i, v) in [BT_EPB, total, interface, (t >> 32) as u32, t as u32, h.caplen, h.len].into_iter().enumerate() {
            pre[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
        }
        if !s.write_all(&pre) {
            return;
        }
        if !data.is_empty() {
            s.write_all(data);
        }
        let mut tail = [0u8; 7];
        let pad = padded - data.len();
        tail[pad..pad + 4].copy_from_slice(&total.to_ne_bytes());
        s.write_all(&tail[..pad + 4]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::savefile::{Offline, Source};
    use crate::packet::{Next, PacketSource};

    #[test]
    fn blocks_are_aligned_and_read_back() {
        let mut out = section_header("ringcap test");
        assert_eq!(out.len() % 4, 0);
        let mut w = NgWriter::new(Precision::Micro);
        assert_eq!(w.interface(&mut out, 1, 65535), Some(0));
        assert_eq!(w.interface(&mut out, 1, 65535), Some(0));
        w.write_packet(&mut out, 0, &PacketHeader::new(1_700_000_000, 123_456, 5, 70), b"hello");
        w.write_packet(&mut out, 0, &PacketHeader::new(1, 0, 0, 0), b"");
        for precision in [0, 1] {
            let mut o = Offline::open(Source::memory(out.clone()), precision).unwrap();
            assert_eq!((o.info().linktype, o.info().snapshot), (1, 65535));
            let Next::Packet(h, d) = o.next_packet().unwrap() else { panic!() };
            let frac = if precision == 0 { 123_456 } else { 123_456_000 };
            assert_eq!((h, d), (PacketHeader::new(1_700_000_000, frac, 5, 70), &b"hello"[..]));
            let Next::Packet(h, _) = o.next_packet().unwrap() else { panic!() };
            assert_eq!(h, PacketHeader::new(1, 0, 0, 0));
            assert!(matches!(o.next_packet().unwrap(), Next::Eof));
        }
    }

    #[test]
    fn nanosecond_input_is_kept() {
        let h = PacketHeader::new(2, 999_999_999, 0, 0);
        assert_eq!(nanos(&h, Precision::Nano), 2_999_999_999);
        assert_eq!(nanos(&PacketHeader::new(2, 5, 0, 0), Precision::Micro), 2_000_005_000);
    }
}

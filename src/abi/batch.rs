//! Zero-copy batch receive and per-packet metadata: `ringcap_next_batch`,
//! `ringcap_release`, `ringcap_packet_meta`, and `struct ringcap_packet`,
//! the descriptor both fill.
//!
//! Ownership: descriptors point into the capture's ring. A batch's packets
//! stay valid (their frames or blocks stay with user space) until
//! `ringcap_release`, the next `ringcap_next_batch`, any other read on the
//! handle, or `pcap_close`; the descriptors themselves are the caller's
//! memory. `ringcap_packet_meta`'s answer is the handle's own storage,
//! rewritten by the next call.

use std::ffi::{c_int, c_uchar};

use super::handle::{no_ring, pcap_t, Engine};
use crate::error::{code, Error};
use crate::packet::PacketHeader;
use crate::ring::{Slot, SlotMeta, TsSource};

/// `ringcap_packet.ts_source`: the host's clock stamped the packet.
pub const RINGCAP_TS_SOURCE_SOFTWARE: u8 = 1;
/// `ringcap_packet.ts_source`: the NIC's clock stamped the packet.
pub const RINGCAP_TS_SOURCE_HARDWARE: u8 = 2;

/// One received packet and what the ring says about it.
///
/// `data`, `caplen` and `len` are what `pcap_next_ex` would deliver (VLAN
/// tag re-inserted, cooked header built, snapshot applied); the rest comes
/// from the kernel's frame header: `ts_ns` (nanoseconds since the epoch,
/// whatever the handle's precision), `status` (the kernel's `TP_STATUS_*`
/// bits: `TP_STATUS_LOSING`, `TP_STATUS_COPY` (truncated),
/// `TP_STATUS_CSUMNOTREADY`, `TP_STATUS_CSUM_VALID`, `TP_STATUS_VLAN_VALID`,
/// `TP_STATUS_VLAN_TPID_VALID`, the `TP_STATUS_TS_*` source bits),
/// `vlan_tci` and `vlan_tpid` (the tag the kernel took off; 0 when
/// `TP_STATUS_VLAN_VALID` is clear; the TPID is 0x8100 when the kernel did
/// not report one), `rxhash` (the flow hash; TPACKET_V3 only, else 0),
/// `ifindex`, `protocol` (the EtherType, host byte order), `pkttype`
/// (`PACKET_HOST`, `PACKET_BROADCAST`, `PACKET_MULTICAST`,
/// `PACKET_OTHERHOST`, `PACKET_OUTGOING`) and `ts_source`
/// (`RINGCAP_TS_SOURCE_SOFTWARE` or `RINGCAP_TS_SOURCE_HARDWARE`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ringcap_packet {
    pub data: *const c_uchar,
    pub caplen: u32,
    pub len: u32,
    pub ts_ns: u64,
    pub status: u32,
    pub vlan_tci: u16,
    pub vlan_tpid: u16,
    pub rxhash: u32,
    pub ifindex: i32,
    pub protocol: u16,
    pub pkttype: u8,
    pub ts_source: u8,
}

impl Default for ringcap_packet {
    fn default() -> Self {
        describe(&PacketHeader::default(), std::ptr::null(), &SlotMeta::default())
    }
}

/// A descriptor for a delivered packet.
fn describe(hdr: &PacketHeader, data: *const u8, m: &SlotMeta) -> ringcap_packet {
    let (vlan_tpid, vlan_tci) = m.vlan().unwrap_or((0, 0));
    ringcap_packet {
        data,
        caplen: hdr.caplen,
        len: hdr.len,
        ts_ns: m.ts_ns(),
        status: m.status,
        vlan_tci,
        vlan_tpid,
        rxhash: m.rxhash,
        ifindex: m.link.ifindex,
        protocol: u16::from_be(m.link.protocol_be),
        pkttype: m.link.pkttype,
        ts_source: ts_source(m.status),
    }
}

/// A descriptor straight from a packet in the ring (the batch path: only
/// the fields the descriptor has are read).
#[inline]
fn describe_slot(hdr: &PacketHeader, data: *const u8, slot: &Slot<'_>) -> ringcap_packet {
    let status = slot.status();
    let (vlan_tpid, vlan_tci) = slot.vlan().unwrap_or((0, 0));
    let (ifindex, protocol, pkttype) = slot.origin();
    let (sec, nsec) = slot.ts();
    ringcap_packet {
        data,
        caplen: hdr.caplen,
        len: hdr.len,
        ts_ns: sec as u64 * 1_000_000_000 + nsec as u64,
        status,
        vlan_tci,
        vlan_tpid,
        rxhash: slot.rxhash(),
        ifindex,
        protocol,
        pkttype,
        ts_source: ts_source(status),
    }
}

fn ts_source(status: u32) -> u8 {
    match TsSource::of(status) {
        TsSource::Software => RINGCAP_TS_SOURCE_SOFTWARE,
        TsSource::Hardware => RINGCAP_TS_SOURCE_HARDWARE,
    }
}

/// `ringcap_next_batch(p, out, max, timeout_ms)`: receive up to `max`
/// packets without copying them, filling `out[0..n]` with descriptors that
/// point into the ring. Waits up to `timeout_ms` when none is ready (-1: until
/// a packet arrives; 0: not at all). Returns `n` (0: the timeout passed),
/// `PCAP_ERROR_BREAK` after `pcap_breakloop`, `PCAP_ERROR_NOT_ACTIVATED`, or
/// `PCAP_ERROR` with the handle's error set. The previous batch is released
/// first; this one stays valid until `ringcap_release`, the next read of any
/// kind on `p`, or `pcap_close`. `out` is the caller's array of at least
/// `max` descriptors.
#[no_mangle]
pub unsafe extern "C" fn ringcap_next_batch(p: *mut pcap_t, out: *mut ringcap_packet, max: c_int, timeout_ms: c_int) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if max < 0 || (out.is_null() && max > 0) {
            return h.fail(&Error::msg(format!("ringcap_next_batch: {max} descriptors at {out:p}: need a non-negative count and an array")));
        }
        let mut g = match h.engine("ringcap_next_batch") {
            Ok(g) => g,
            Err(e) => return h.fail(&e),
        };
        let Engine::Live(c) = &mut *g else { return h.fail(&no_ring(&g, "ringcap_next_batch")) };
        let mut i = 0;
        let mut fill = |hdr: &PacketHeader, data: &[u8], slot: &Slot<'_>| {
            // SAFETY: `out` holds at least `max` descriptors (caller's
            // contract) and the capture shows at most `max` packets.
            unsafe { *out.add(i) = describe_slot(hdr, data.as_ptr(), slot) };
            i += 1;
        };
        match c.next_batch_with(max as usize, timeout_ms, &mut fill) {
            Ok(n) => n as c_int,
            Err(e) if e.code == code::BREAK => code::BREAK,
            Err(e) => h.fail(&e),
        }
    })
}

/// `ringcap_release(p)`: give the current batch's frames or blocks back to
/// the kernel; its descriptors must not be used afterwards. 0, or a negative
/// `PCAP_ERROR*` code (handles without a ring, a call from inside a
/// callback of a read on `p`).
#[no_mangle]
pub extern "C" fn ringcap_release(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        let mut g = match h.engine("ringcap_release") {
            Ok(g) => g,
            Err(e) => return h.fail(&e),
        };
        match &mut *g {
            Engine::Live(c) => {
                c.release_batch();
                0
            }
            other => h.fail(&no_ring(other, "ringcap_release")),
        }
    })
}

/// `ringcap_packet_meta(p)`: the packet `pcap_next_ex` (or `pcap_next`)
/// delivered last, or, called from inside a `pcap_dispatch`/`pcap_loop`
/// callback on `p`, the packet that callback is looking at; NULL when there
/// is none (after a read returned, no packet is current) or `p` is not a
/// live capture, with the handle's error set. The descriptor is the handle's
/// storage, valid until the next call on `p`; its `data` is valid as long as
/// the packet is (until the next read, or the callback's return).
#[no_mangle]
pub extern "C" fn ringcap_packet_meta(p: *mut pcap_t) -> *const ringcap_packet {
    ffi!(std::ptr::null(), {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return std::ptr::null() };
        let found = if h.reading() {
            // Inside a callback: the read loop owns the ring, the shell knows
            // what it showed the callback.
            let (hdr, data) = h.in_callback.get();
            let meta = match h.live_shared() {
                // SAFETY: we are on the thread running the read (a pcap_t is
                // used from one thread), inside its callback.
                Some(l) if !hdr.is_null() => unsafe { l.current.meta() },
                _ => None,
            };
            // SAFETY: `hdr` points to the header the running callback got.
            meta.map(|m| describe(unsafe { &*hdr }, data, &m))
        } else {
            let g = match h.engine("ringcap_packet_meta") {
                Ok(g) => g,
                Err(e) => {
                    h.fail(&e);
                    return std::ptr::null();
                }
            };
            match &*g {
                Engine::Live(c) => c.last_packet().map(|(data, m)| {
                    // SAFETY: next_hdr is this handle's storage, written by
                    // the read that delivered this packet.
                    let hdr = unsafe { *h.next_hdr.get() };
                    describe(&hdr, data.as_ptr(), &m)
                }),
                other => {
                    h.fail(&no_ring(other, "ringcap_packet_meta"));
                    return std::ptr::null();
                }
            }
        };
        match found {
            Some(d) => {
                // SAFETY: the handle's own storage; no reference into it is
                // held (C may hold a pointer from an earlier call, which this
                // call rewrites, as documented).
                unsafe { *h.meta_out.get() = d };
                h.meta_out.get()
            }
            None => {
                h.set_errmsg("ringcap_packet_meta: no packet is current (call it after pcap_next_ex or inside a pcap_dispatch callback)");
                std::ptr::null()
            }
        }
    })
}

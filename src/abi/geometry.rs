//! Ring geometry and extended statistics: `ringcap_set_ring_geometry`,
//! `ringcap_get_ring_info`, the pure calculator
//! `ringcap_ring_geometry_for`, and `ringcap_stats_ex`.
//!
//! Ownership: every struct here is the caller's memory, read or filled
//! during the call only.

use std::ffi::{c_char, c_int, c_uint};

use super::cstr::write_errbuf;
use super::handle::{no_ring, pcap_t, Engine};
use crate::capture::{normalize_snaplen, RingOverride};
use crate::error::{code, Error};
use crate::ring::geometry::{self, Limits, RingGeometry, RingRequest, Version};

/// PACKET_RESERVE ringcap uses on raw sockets (room to re-insert a VLAN
/// tag); the calculator assumes it, as a capture on an Ethernet device has.
const RAW_RESERVE: u32 = 4;

/// A receive ring's shape, as asked for (`ringcap_set_ring_geometry`) or as
/// computed (`ringcap_ring_geometry_for`): `block_count` blocks of
/// `block_size` bytes (a power-of-two multiple of the page size) holding
/// frames of `frame_size` bytes (TPACKET_V1/V2: one packet each; V3: the
/// kernel's unit of account, packets are packed). `block_timeout_ms` (V3):
/// how long the kernel fills a block before handing it over; 0 lets ringcap
/// derive it from the pcap timeout. `sizeof_priv` (V3): a private area at the
/// start of each block, for the application.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ringcap_ring_geometry {
    pub block_size: u32,
    pub block_count: u32,
    pub frame_size: u32,
    pub block_timeout_ms: u32,
    pub sizeof_priv: u32,
}

/// An activated handle's rings (`ringcap_get_ring_info`): the TPACKET
/// version (1, 2, 3), the receive ring's geometry (`block_timeout_ms` as
/// handed to the kernel: 0 means the kernel chose), the kernel's frame
/// header length (`tp_hdrlen`) and PACKET_RESERVE, the bytes of the one
/// mapping that holds the RX ring and, after it, the TX ring, whose frame
/// size and count are 0 when there is none.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ringcap_ring_info {
    pub version: c_int,
    pub block_size: u32,
    pub block_count: u32,
    pub frame_size: u32,
    pub frame_count: u32,
    pub block_timeout_ms: u32,
    pub sizeof_priv: u32,
    pub header_len: u32,
    pub reserve: u32,
    pub mapped_bytes: u64,
    pub tx_frame_size: u32,
    pub tx_frame_count: u32,
}

/// `ringcap_stats_ex`: the kernel's counters, cumulative since activation
/// (`tp_packets`: packets the socket filter passed, drops included;
/// `tp_drops`: dropped for want of ring space; `tp_freeze_q_cnt`: times a
/// TPACKET_V3 ring froze with every block in user space), and ringcap's:
/// frames (V1/V2) or blocks (V3) handed back to the kernel, packets taken
/// from the ring, polls, wake-ups that found the ring readable, and packets
/// rejected in userland (a filter change's queued packets, direction).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ringcap_stats {
    pub tp_packets: u64,
    pub tp_drops: u64,
    pub tp_freeze_q_cnt: u64,
    pub units_consumed: u64,
    pub packets_read: u64,
    pub polls: u64,
    pub wakeups: u64,
    pub userland_rejected: u64,
}

impl From<&RingGeometry> for ringcap_ring_geometry {
    fn from(g: &RingGeometry) -> Self {
        ringcap_ring_geometry {
            block_size: g.block_size,
            block_count: g.block_nr,
            frame_size: g.frame_size,
            block_timeout_ms: g.retire_blk_tov,
            sizeof_priv: g.sizeof_priv,
        }
    }
}

/// The request as a ring override, after the checks that do not depend on
/// the device (the rest run at activation, with the real PACKET_RESERVE).
fn to_override(g: &ringcap_ring_geometry, version: Version) -> Result<RingOverride, Error> {
    let o = RingOverride {
        block_size: g.block_size,
        block_nr: g.block_count,
        frame_size: g.frame_size,
        block_timeout_ms: (g.block_timeout_ms != 0).then_some(g.block_timeout_ms),
        sizeof_priv: g.sizeof_priv,
    };
    if o == RingOverride::default() {
        return Ok(o);
    }
    if g.block_size == 0 || g.block_count == 0 {
        return Err(Error::msg(format!(
            "ringcap_set_ring_geometry: block size ({}) and block count ({}) must both be set (all zero: computed by ringcap)",
            g.block_size, g.block_count
        )));
    }
    let frame_size = if g.frame_size != 0 { g.frame_size } else { geometry::min_frame(version, RAW_RESERVE) };
    let v3 = version == Version::V3;
    let check = RingGeometry {
        version,
        block_size: g.block_size,
        block_nr: g.block_count,
        frame_size,
        frame_nr: (g.block_size / frame_size.max(1)) * g.block_count,
        retire_blk_tov: if v3 { g.block_timeout_ms } else { 0 },
        sizeof_priv: if v3 { g.sizeof_priv } else { 0 },
        feature_req_word: 0,
    };
    if !v3 && (g.block_timeout_ms != 0 || g.sizeof_priv != 0) {
        return Err(Error::msg(format!(
            "ringcap_set_ring_geometry: block timeout and private area are TPACKET_V3 features, not {version} (see ringcap_set_tpacket_version)"
        )));
    }
    geometry::validate(&check, RAW_RESERVE, &Limits::probe())
        .and_then(|()| geometry::fits_memory(&check, crate::sys::physical_memory()))
        .map_err(|e| Error::msg(format!("ringcap_set_ring_geometry: {e}")))?;
    Ok(o)
}

/// `ringcap_set_ring_geometry(p, g)`: use exactly this receive ring instead
/// of one computed from `pcap_set_buffer_size` (which it overrides); all
/// fields zero goes back to the computed ring. Before activation (call
/// `ringcap_set_tpacket_version` first: the rules depend on the version).
/// Returns 0; PCAP_ERROR with the handle's error naming the violated
/// constraint (a ring larger than the machine's memory is one: the kernel
/// would exhaust memory before failing); PCAP_ERROR_ACTIVATED. The checks
/// that depend on the device (its PACKET_RESERVE) run again at
/// `pcap_activate`, which fails with the same kind of message. `g` is read
/// during the call only.
#[no_mangle]
pub unsafe extern "C" fn ringcap_set_ring_geometry(p: *mut pcap_t, g: *const ringcap_ring_geometry) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if g.is_null() {
            return h.fail(&Error::msg("ringcap_set_ring_geometry: the geometry pointer is NULL"));
        }
        // SAFETY: non-null, points to the caller's struct for the call.
        let g = unsafe { *g };
        let mut guard = match h.engine("ringcap_set_ring_geometry") {
            Ok(guard) => guard,
            Err(e) => return h.fail(&e),
        };
        let Engine::Inactive(o) = &mut *guard else { return h.fail(&super::handle::already_activated()) };
        match to_override(&g, o.tpacket_version.unwrap_or(Version::V3)) {
            Ok(r) => {
                o.ring = r;
                0
            }
            Err(e) => h.fail(&e),
        }
    })
}

/// `ringcap_get_ring_info(p, out)`: describe an activated capture's rings.
/// 0, PCAP_ERROR_NOT_ACTIVATED, or PCAP_ERROR (not a live capture, NULL
/// `out`) with the handle's error set.
#[no_mangle]
pub unsafe extern "C" fn ringcap_get_ring_info(p: *mut pcap_t, out: *mut ringcap_ring_info) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if out.is_null() {
            return h.fail(&Error::msg("ringcap_get_ring_info: the info pointer is NULL"));
        }
        let guard = match h.engine("ringcap_get_ring_info") {
            Ok(guard) => guard,
            Err(e) => return h.fail(&e),
        };
        let i = match &*guard {
            Engine::Live(c) => c.ring_info(),
            other => return h.fail(&no_ring(other, "ringcap_get_ring_info")),
        };
        let info = ringcap_ring_info {
            version: i.rx.version.number(),
            block_size: i.rx.block_size,
            block_count: i.rx.block_nr,
            frame_size: i.rx.frame_size,
            frame_count: i.rx.frame_nr,
            block_timeout_ms: i.rx.retire_blk_tov,
            sizeof_priv: i.rx.sizeof_priv,
            header_len: i.header_len,
            reserve: i.reserve,
            mapped_bytes: i.mapped_bytes as u64,
            tx_frame_size: i.tx.map_or(0, |t| t.frame_size),
            tx_frame_count: i.tx.map_or(0, |t| t.frame_nr),
        };
        // SAFETY: non-null, the caller's struct.
        unsafe { *out = info };
        0
    })
}

/// `ringcap_ring_geometry_for(buffer_bytes, snaplen, version, out, errbuf)`:
/// the receive ring ringcap would set up for a `buffer_bytes` buffer and
/// packets of up to `snaplen` bytes (0: 262144) with TPACKET version 1, 2
/// or 3, following packet_mmap.txt's rules and this machine's page size and
/// block-order limit (blocks of a power of two from a page up, about a
/// sixteenth of the buffer each; V1/V2 frames that hold the largest packet
/// with the least waste). Needs no handle and no privilege. Returns 0 with
/// `out` filled, or PCAP_ERROR with `errbuf` (PCAP_ERRBUF_SIZE bytes, may be
/// NULL) naming the constraint the request cannot meet.
#[no_mangle]
pub unsafe extern "C" fn ringcap_ring_geometry_for(
    buffer_bytes: usize,
    snaplen: c_uint,
    version: c_int,
    out: *mut ringcap_ring_geometry,
    errbuf: *mut c_char,
) -> c_int {
    ffi!(code::ERROR, {
        let fail = |msg: String| {
            // SAFETY: caller's errbuf contract (NULL or PCAP_ERRBUF_SIZE bytes).
            unsafe { write_errbuf(errbuf, &msg) };
            code::ERROR
        };
        let Some(v) = Version::from_number(version) else {
            return fail(format!("ringcap_ring_geometry_for: TPACKET version {version} is not 1, 2 or 3"));
        };
        if out.is_null() {
            return fail("ringcap_ring_geometry_for: the output pointer is NULL".into());
        }
        let req = RingRequest {
            version: v,
            buffer_bytes,
            max_packet: normalize_snaplen(snaplen.min(i32::MAX as c_uint) as i32),
            reserve: RAW_RESERVE,
            retire_blk_tov: 0,
            sizeof_priv: 0,
            feature_req_word: 0,
        };
        match geometry::plan(&req, &Limits::probe()) {
            Ok(g) => {
                // SAFETY: non-null, the caller's struct.
                unsafe { *out = (&g).into() };
                0
            }
            Err(e) => fail(e.0),
        }
    })
}

/// `ringcap_stats_ex(p, out)`: the kernel's and ringcap's counters (see
/// `struct ringcap_stats`). Reading them does not disturb `pcap_stats`,
/// which reports the same kernel totals. 0, PCAP_ERROR_NOT_ACTIVATED, or
/// PCAP_ERROR with the handle's error set. Not from inside a callback of a
/// read on `p`.
#[no_mangle]
pub unsafe extern "C" fn ringcap_stats_ex(p: *mut pcap_t, out: *mut ringcap_stats) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if out.is_null() {
            return h.fail(&Error::msg("ringcap_stats_ex: the stats pointer is NULL"));
        }
        let guard = match h.engine("ringcap_stats_ex") {
            Ok(guard) => guard,
            Err(e) => return h.fail(&e),
        };
        let s = match &*guard {
            Engine::Live(c) => c.stats_ex(),
            other => return h.fail(&no_ring(other, "ringcap_stats_ex")),
        };
        match s {
            Ok(s) => {
                let st = ringcap_stats {
                    tp_packets: s.kernel.packets,
                    tp_drops: s.kernel.drops,
                    tp_freeze_q_cnt: s.kernel.freeze_q_cnt,
                    units_consumed: s.counters.units_consumed,
                    packets_read: s.counters.packets_read,
                    polls: s.counters.polls,
                    wakeups: s.counters.wakeups,
                    userland_rejected: s.counters.userland_rejected,
                };
                // SAFETY: non-null, the caller's struct.
                unsafe { *out = st };
                0
            }
            Err(e) => h.fail(&e),
        }
    })
}

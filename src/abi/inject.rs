//! Sending: `pcap_inject`, `pcap_sendpacket`, `ringcap_inject_batch`, the
//! WinPcap/Npcap send-queue API (`pcap_sendqueue_alloc`, `_queue`,
//! `_transmit`, `_destroy`), and the transmit options (`ringcap_set_tx_ring`,
//! `ringcap_set_qdisc_bypass`, `ringcap_set_tx_timestamps`, ...).
//!
//! Sending works on an activated live handle, also from inside a
//! `pcap_loop`/`pcap_dispatch` callback on the same handle (the send side
//! does not need the read loop's state), as with libpcap. Return values and
//! error texts are libpcap's, with one deliberate difference: libpcap's
//! `pcap_sendpacket` returns 0 on a handle that was never activated (its
//! check compares the inject result with -1, and that case returns
//! PCAP_ERROR_NOT_ACTIVATED); ringcap returns -1 there, since nothing was
//! sent.

use std::ffi::{c_char, c_int, c_uchar, c_uint, c_void};
use std::sync::Arc;

use super::handle::{not_activated, pcap_t, Engine};
use crate::capture::inject::{self, Mode, TxOptions, TxTimestamps};
use crate::capture::LiveShared;
use crate::error::{code, Error};
use crate::packet::PacketHeader;
use crate::ring::tx::StampSource;

/// One frame for `ringcap_inject_batch`: `len` bytes at `data`, a whole
/// link-layer frame (Ethernet header first on Ethernet devices).
#[repr(C)]
pub struct ringcap_frame {
    pub data: *const c_uchar,
    pub len: u32,
}

/// WinPcap/Npcap's send queue (declared in <pcap/pcap.h>): `len` bytes of
/// `buffer` (`maxlen` allocated) hold records, each a `struct pcap_pkthdr`
/// followed by `caplen` bytes of packet, packed.
#[repr(C)]
pub struct pcap_send_queue {
    pub maxlen: c_uint,
    pub len: c_uint,
    pub buffer: *mut c_char,
}

/// A TX timestamp: seconds and nanoseconds since the epoch, and its source
/// (`RINGCAP_TX_TSTAMP_SOFTWARE` or `RINGCAP_TX_TSTAMP_HARDWARE`, or 0 when
/// the kernel gave none for the frame).
#[repr(C)]
pub struct ringcap_tx_timestamp {
    pub sec: i64,
    pub nsec: u32,
    pub source: c_int,
}

/// `ringcap_set_tx_timestamps` modes.
pub const RINGCAP_TX_TSTAMP_OFF: c_int = 0;
/// Software TX timestamps (the ring's PACKET_TIMESTAMP stamp, else the
/// socket's SOF_TIMESTAMPING_TX_SOFTWARE one).
pub const RINGCAP_TX_TSTAMP_SOFTWARE: c_int = 1;
/// The NIC's TX timestamp where it has one (SOF_TIMESTAMPING_RAW_HARDWARE;
/// the NIC must have hardware timestamping switched on), else the software
/// one.
pub const RINGCAP_TX_TSTAMP_HARDWARE: c_int = 2;

/// The bytes of a `struct pcap_pkthdr`.
const PKTHDR_LEN: usize = std::mem::size_of::<PacketHeader>();

/// errno as the caller left it (libpcap appends `strerror(errno)` to some
/// messages whatever errno happens to be).
fn caller_errno() -> std::io::Error {
    std::io::Error::from_raw_os_error(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// The send side of an activated live handle, or the failure libpcap
/// reports for every other kind of handle.
fn live_send_side<'a>(h: &'a pcap_t, what: &str) -> Result<&'a Arc<LiveShared>, Error> {
    if let Some(l) = h.live_shared() {
        return Ok(l);
    }
    if !h.info().activated {
        return Err(not_activated());
    }
    match h.engine(what) {
        Ok(g) if matches!(&*g, Engine::Dead) => Err(Error::msg("Packets can't be sent on a pcap_open_dead pcap_t")),
        // Only a savefile read can hold the engine of a handle that is not live.
        _ => Err(Error::msg("Sending packets isn't supported on savefiles")),
    }
}

/// `pcap_inject(p, buf, size)`: send one link-layer frame of `size` bytes
/// (the caller keeps `buf`; it is copied into the TX ring before the call
/// returns, and the frame has been handed to the device by then). Returns
/// `size`, or PCAP_ERROR (-1) / PCAP_ERROR_NOT_ACTIVATED with `pcap_geterr`
/// set, in libpcap's words (`send: <strerror>` for kernel errors). A
/// blocking handle whose TX ring is full waits for room; `pcap_breakloop`
/// interrupts the wait (PCAP_ERROR, "send: interrupted by pcap_breakloop").
#[no_mangle]
pub unsafe extern "C" fn pcap_inject(p: *mut pcap_t, buf: *const c_void, size: usize) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if size > i32::MAX as usize {
            return h.fail(&Error::os(format!("More than {} bytes cannot be injected", i32::MAX), &caller_errno()));
        }
        if size == 0 {
            return h.fail(&Error::os("The number of bytes to be injected must not be zero", &caller_errno()));
        }
        // SAFETY: the caller passes `size` readable bytes at `buf` (or NULL).
        match unsafe { inject_one(h, buf as *const u8, size, "pcap_inject") } {
            Ok(n) => n as c_int,
            Err(e) => h.fail(&e),
        }
    })
}

/// Send `size` bytes at `buf` on `h`.
///
/// # Safety
/// `buf` must be NULL or point to `size` readable bytes.
unsafe fn inject_one(h: &pcap_t, buf: *const u8, size: usize, what: &str) -> Result<usize, Error> {
    let live = live_send_side(h, what)?;
    if buf.is_null() {
        // What the kernel answers libpcap's send() of a NULL buffer.
        return Err(Error::os("send", &std::io::Error::from_raw_os_error(libc::EFAULT)));
    }
    // SAFETY: non-null, `size` readable bytes (caller's contract), not kept.
    let pkt = unsafe { std::slice::from_raw_parts(buf, size) };
    let r = live.tx.lock().inject(&live.sock, pkt);
    r
}

/// `pcap_sendpacket(p, buf, size)`: as `pcap_inject`, returning 0 on
/// success and -1 on failure (`pcap_geterr` says why). The caller keeps
/// `buf`.
#[no_mangle]
pub unsafe extern "C" fn pcap_sendpacket(p: *mut pcap_t, buf: *const c_uchar, size: c_int) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if size <= 0 {
            return h.fail(&Error::os("The number of bytes to be sent must be positive", &caller_errno()));
        }
        // SAFETY: the caller passes `size` readable bytes at `buf` (or NULL).
        match unsafe { inject_one(h, buf, size as usize, "pcap_sendpacket") } {
            Ok(_) => 0,
            Err(e) => {
                h.fail(&e);
                code::ERROR
            }
        }
    })
}

/// `ringcap_inject_batch(p, frames, count)`: send `count` frames in order,
/// filled into the TX ring and handed to the kernel with one `send()` per
/// ring-ful (one per batch when the batch fits the ring). The caller keeps
/// `frames` and the bytes they point to; every frame sent has been handed
/// to the device when the call returns, and none that the call did not
/// count as sent goes out later.
///
/// Returns the number of frames sent. Fewer than `count` means sending
/// stopped at frame (return value): `pcap_geterr(p)` names it and says why
/// (too long, empty, refused by the kernel, would block in non-blocking
/// mode, device down, interrupted by `pcap_breakloop`). A negative
/// `PCAP_ERROR*` code, with `pcap_geterr` set, when no frame was sent
/// because of an error (PCAP_ERROR_BREAK when a breakloop interrupted the
/// wait for room). In blocking mode a full ring waits for room (the call
/// sleeps until the kernel completes a frame; `pcap_breakloop` from another
/// thread or a signal handler interrupts it, and stays pending for the next
/// read) and a device queue that drops (ENOBUFS) is retried for up to a
/// second.
///
/// With PACKET_LOSS (`ringcap_set_tx_loss`) the kernel discards malformed
/// frames and goes on with the next: a discarded frame is not sent and not
/// counted, and `pcap_geterr(p)` names every discarded frame ("the kernel
/// discarded frame 1 (10 bytes) as malformed (PACKET_LOSS); not sent"). So
/// under PACKET_LOSS the return value is the number of frames sent, which
/// is `count` minus the discarded frames when nothing stopped the batch;
/// after a stop, the stopping frame's index is the return value plus the
/// number of frames discarded before it.
#[no_mangle]
pub unsafe extern "C" fn ringcap_inject_batch(p: *mut pcap_t, frames: *const ringcap_frame, count: c_int) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if count < 0 {
            return h.fail(&Error::msg(format!("ringcap_inject_batch: count {count} is negative")));
        }
        if count > 0 && frames.is_null() {
            return h.fail(&Error::msg(format!("ringcap_inject_batch: frames is NULL (count {count})")));
        }
        let live = match live_send_side(h, "ringcap_inject_batch") {
            Ok(l) => l,
            Err(e) => return h.fail(&e),
        };
        if count == 0 {
            return 0;
        }
        // SAFETY: the caller passes `count` ringcap_frame structures.
        let descs = unsafe { std::slice::from_raw_parts(frames, count as usize) };
        let mut slices: Vec<&[u8]> = Vec::with_capacity(descs.len());
        let mut bad = None;
        for (i, f) in descs.iter().enumerate() {
            if f.data.is_null() && f.len > 0 {
                bad = Some(Error::msg(format!("ringcap_inject_batch: frame {i} has a NULL data pointer")));
                break;
            }
            // SAFETY: `len` readable bytes at `data` (caller's contract); an
            // empty frame is refused by the core, whatever its pointer.
            slices.push(if f.len == 0 { &[] } else { unsafe { std::slice::from_raw_parts(f.data, f.len as usize) } });
        }
        let o = live.tx.lock().send(&live.sock, &slices, Mode::Batch);
        match o.error.or(bad) {
            Some(e) if o.sent == 0 => h.fail(&e),
            Some(e) => {
                h.fail(&e);
                o.sent as c_int
            }
            None => o.sent as c_int,
        }
    })
}

/// `pcap_sendqueue_alloc(memsize)`: a send queue with `memsize` bytes of
/// buffer, empty. The caller owns it and frees it (queue and buffer) with
/// `pcap_sendqueue_destroy` only. NULL when memory runs out.
#[no_mangle]
pub extern "C" fn pcap_sendqueue_alloc(memsize: c_uint) -> *mut pcap_send_queue {
    ffi!(std::ptr::null_mut(), {
        // SAFETY: malloc has no preconditions; both results are checked.
        let q = unsafe { libc::malloc(std::mem::size_of::<pcap_send_queue>()) } as *mut pcap_send_queue;
        if q.is_null() {
            return q;
        }
        // SAFETY: as above; at least one byte so a 0-sized queue is distinct.
        let buffer = unsafe { libc::malloc((memsize as usize).max(1)) } as *mut c_char;
        if buffer.is_null() {
            // SAFETY: `q` came from malloc above and is not used again.
            unsafe { libc::free(q as *mut c_void) };
            return std::ptr::null_mut();
        }
        // SAFETY: `q` points to malloc'd memory for one pcap_send_queue.
        unsafe { q.write(pcap_send_queue { maxlen: memsize, len: 0, buffer }) };
        q
    })
}

/// `pcap_sendqueue_destroy(queue)`: free a queue from `pcap_sendqueue_alloc`
/// and its buffer. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn pcap_sendqueue_destroy(queue: *mut pcap_send_queue) {
    ffi!((), {
        if queue.is_null() {
            return;
        }
        // SAFETY: `queue` came from pcap_sendqueue_alloc (caller's contract):
        // both it and its buffer are malloc'd, and are freed once, here.
        unsafe {
            libc::free((*queue).buffer as *mut c_void);
            libc::free(queue as *mut c_void);
        }
    })
}

/// `pcap_sendqueue_queue(queue, pkt_header, pkt_data)`: append the header
/// and `pkt_header->caplen` bytes of `pkt_data` (both copied; the caller
/// keeps them). 0, or -1 when the queue has no room or an argument is NULL.
#[no_mangle]
pub unsafe extern "C" fn pcap_sendqueue_queue(queue: *mut pcap_send_queue, pkt_header: *const PacketHeader, pkt_data: *const c_uchar) -> c_int {
    ffi!(-1, {
        if queue.is_null() || pkt_header.is_null() {
            return -1;
        }
        // SAFETY: non-null pointers to the caller's queue and header.
        let (q, hdr) = unsafe { (&mut *queue, pkt_header.read_unaligned()) };
        let caplen = hdr.caplen as usize;
        if (caplen > 0 && pkt_data.is_null()) || q.buffer.is_null() {
            return -1;
        }
        let need = (q.len as usize).checked_add(PKTHDR_LEN + caplen);
        if q.len > q.maxlen || need.is_none_or(|n| n > q.maxlen as usize) {
            return -1;
        }
        // SAFETY: the buffer has maxlen bytes and len + PKTHDR_LEN + caplen
        // <= maxlen; the header and `caplen` data bytes are readable.
        unsafe {
            let at = (q.buffer as *mut u8).add(q.len as usize);
            std::ptr::copy_nonoverlapping(pkt_header as *const u8, at, PKTHDR_LEN);
            if caplen > 0 {
                std::ptr::copy_nonoverlapping(pkt_data, at.add(PKTHDR_LEN), caplen);
            }
        }
        q.len += (PKTHDR_LEN + caplen) as c_uint;
        0
    })
}

/// `pcap_sendqueue_transmit(p, queue, sync)`: send every packet of `queue`
/// in order; with `sync` non-zero, spaced as their timestamps are (read as
/// microseconds, as WinPcap/Npcap do; the first goes at once). Returns the
/// number of queue bytes sent (whole records); less than `queue->len`
/// means an error stopped it, or the kernel discarded malformed packets
/// under PACKET_LOSS (their records' bytes are not counted, and the packets
/// after them still go), and `pcap_geterr(p)` says which packets and why.
/// The queue stays the caller's and unchanged.
#[no_mangle]
pub unsafe extern "C" fn pcap_sendqueue_transmit(p: *mut pcap_t, queue: *mut pcap_send_queue, sync: c_int) -> c_uint {
    ffi!(0, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return 0 };
        let live = match live_send_side(h, "pcap_sendqueue_transmit") {
            Ok(l) => l,
            Err(e) => {
                h.fail(&e);
                return 0;
            }
        };
        if queue.is_null() {
            h.fail(&Error::msg("pcap_sendqueue_transmit: the queue is NULL"));
            return 0;
        }
        // SAFETY: a non-null queue from pcap_sendqueue_alloc.
        let q = unsafe { &*queue };
        if q.len > q.maxlen || (q.len > 0 && q.buffer.is_null()) {
            h.fail(&Error::msg(format!("pcap_sendqueue_transmit: malformed send queue (len {} of maxlen {})", q.len, q.maxlen)));
            return 0;
        }
        let buf: &[u8] = if q.len == 0 {
            &[]
        } else {
            // SAFETY: `len` <= `maxlen` bytes of the queue's buffer.
            unsafe { std::slice::from_raw_parts(q.buffer as *const u8, q.len as usize) }
        };
        let (bytes, err) = {
            let mut s = live.tx.lock();
            inject::transmit_queue(&mut s, &live.sock, buf, sync != 0)
        };
        if let Some(e) = err {
            h.fail(&e);
        }
        bytes as c_uint
    })
}

/// Applies a transmit option to an activated live handle.
type AfterActivation<'a> = &'a dyn Fn(&LiveShared) -> Result<(), Error>;

/// Change a transmit option: in the options of a handle not yet activated
/// (`before`), or on an activated live handle (`after`; None where the
/// kernel only takes the option before the rings exist: then
/// PCAP_ERROR_ACTIVATED).
fn tx_option(
    p: *mut pcap_t,
    what: &str,
    before: impl FnOnce(&mut TxOptions) -> Result<(), Error>,
    after: Option<AfterActivation<'_>>,
) -> c_int {
    // SAFETY: `p` is NULL or a handle pointer from this library.
    let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
    if let Some(live) = h.live_shared() {
        return match after {
            Some(f) => match f(live) {
                Ok(()) => 0,
                Err(e) => h.fail(&e),
            },
            None => h.fail(&Error::new(
                code::ACTIVATED,
                format!("{what}: the kernel takes this option only before the TX ring exists; call it before pcap_activate"),
            )),
        };
    }
    let mut g = match h.engine(what) {
        Ok(g) => g,
        Err(e) => return h.fail(&e),
    };
    let r = match &mut *g {
        Engine::Inactive(o) => before(&mut o.tx),
        Engine::Dead => Err(Error::msg("Packets can't be sent on a pcap_open_dead pcap_t")),
        Engine::Offline(_) => Err(Error::msg("Sending packets isn't supported on savefiles")),
        Engine::Live(_) => Err(Error::msg(format!("{what}: live handle without a send side"))),
    };
    match r {
        Ok(()) => 0,
        Err(e) => h.fail(&e),
    }
}

/// `ringcap_set_qdisc_bypass(p, on)`: PACKET_QDISC_BYPASS. Frames skip the
/// device's queueing discipline (no shaping, no buffering: the driver may
/// drop what it cannot take), and other packet sockets on the device no
/// longer see them. Before or after activation (also `RINGCAP_QDISC_BYPASS`).
/// 0, or PCAP_ERROR with `pcap_geterr` set.
#[no_mangle]
pub extern "C" fn ringcap_set_qdisc_bypass(p: *mut pcap_t, on: c_int) -> c_int {
    ffi!(code::ERROR, {
        tx_option(
            p,
            "ringcap_set_qdisc_bypass",
            |o| {
                o.qdisc_bypass = on != 0;
                Ok(())
            },
            Some(&|l: &LiveShared| l.tx.lock().set_bypass(&l.sock, on != 0)),
        )
    })
}

/// `ringcap_set_tx_ring(p, frame_size, frame_count)`: the TX ring's frame
/// size in bytes (frame header included: a multiple of 16; the largest
/// packet is `frame_size` minus the header, 32 bytes for TPACKET_V1/V2 and
/// 48 for V3, and 10 more in linear mode) and its frame count (rounded up
/// to whole blocks; `ringcap_get_tx_ring` reports the result). `(0, 0)`: no
/// TX ring, one `send()` per packet as libpcap. Default: frames that hold
/// the device MTU + 18 bytes, 128 of them. Before activation only (the ring
/// is created with the capture ring): PCAP_ERROR_ACTIVATED after. Also
/// `RINGCAP_TX_RING=<frame_size>x<frame_count>`. A size the kernel refuses
/// fails `pcap_activate` with the constraint named.
#[no_mangle]
pub extern "C" fn ringcap_set_tx_ring(p: *mut pcap_t, frame_size: c_uint, frame_count: c_uint) -> c_int {
    ffi!(code::ERROR, {
        tx_option(
            p,
            "ringcap_set_tx_ring",
            |o| {
                if (frame_size == 0) != (frame_count == 0) {
                    return Err(Error::msg(format!(
                        "ringcap_set_tx_ring: frame size {frame_size} and frame count {frame_count} must both be non-zero (or both 0 for no TX ring)"
                    )));
                }
                o.ring = Some((frame_size, frame_count));
                Ok(())
            },
            None,
        )
    })
}

/// `ringcap_get_tx_ring(p, &frame_size, &frame_count)`: the TX ring of an
/// activated live handle (both 0 without one). Either pointer may be NULL.
/// 0, PCAP_ERROR_NOT_ACTIVATED, or PCAP_ERROR for other handles.
#[no_mangle]
pub unsafe extern "C" fn ringcap_get_tx_ring(p: *mut pcap_t, frame_size: *mut c_uint, frame_count: *mut c_uint) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        match live_send_side(h, "ringcap_get_tx_ring") {
            Ok(l) => {
                let (fs, n) = l.tx.lock().ring_shape();
                // SAFETY: each pointer is NULL or the caller's writable c_uint.
                unsafe {
                    if !frame_size.is_null() {
                        *frame_size = fs as c_uint;
                    }
                    if !frame_count.is_null() {
                        *frame_count = n as c_uint;
                    }
                }
                0
            }
            Err(e) => h.fail(&e),
        }
    })
}

/// `ringcap_set_tx_data_offset(p, offset)`: PACKET_TX_HAS_OFF. Packets are
/// written `offset` bytes into each TX frame (at least the frame header: 32
/// for TPACKET_V1/V2, 48 for V3) instead of right after the header, e.g. to
/// align payloads. 0: the default. Before activation only.
#[no_mangle]
pub extern "C" fn ringcap_set_tx_data_offset(p: *mut pcap_t, offset: c_uint) -> c_int {
    ffi!(code::ERROR, {
        tx_option(
            p,
            "ringcap_set_tx_data_offset",
            |o| {
                o.data_offset = (offset != 0).then_some(offset);
                Ok(())
            },
            None,
        )
    })
}

/// `ringcap_set_tx_loss(p, on)`: PACKET_LOSS. The kernel discards a frame
/// it finds malformed (shorter than the device's link header) and goes on
/// with the next, instead of stopping at it (which ringcap reports as an
/// error naming the frame). Discarded frames are not sent: send calls do
/// not count them and name them in `pcap_geterr` (see
/// `ringcap_inject_batch`); `pcap_inject` of a discarded frame returns
/// PCAP_ERROR. Before activation only.
#[no_mangle]
pub extern "C" fn ringcap_set_tx_loss(p: *mut pcap_t, on: c_int) -> c_int {
    ffi!(code::ERROR, {
        tx_option(
            p,
            "ringcap_set_tx_loss",
            |o| {
                o.loss = on != 0;
                Ok(())
            },
            None,
        )
    })
}

/// `ringcap_set_tx_linear(p, on)`: linear mode (1) makes the kernel copy
/// each frame into the socket buffer (PACKET_VNET_HDR) instead of attaching
/// the ring page zero-copy (0, the default). On veth and loopback, which
/// copy attached pages anyway, linear is faster (~300 ns per frame); on a
/// NIC zero-copy saves the copy. Linear mode puts a 10-byte header before
/// each captured packet in the kernel ring (invisible to callers) and makes
/// the kernel drop from the capture GSO packets such a header cannot
/// describe (SCTP, ESP offload), which is why it is not the default for a
/// capture library. Ethernet devices only; before activation only. Also
/// `RINGCAP_TX_LINEAR=0|1`.
#[no_mangle]
pub extern "C" fn ringcap_set_tx_linear(p: *mut pcap_t, on: c_int) -> c_int {
    ffi!(code::ERROR, {
        tx_option(
            p,
            "ringcap_set_tx_linear",
            |o| {
                o.linear = on != 0;
                Ok(())
            },
            None,
        )
    })
}

/// `ringcap_set_tx_timestamps(p, mode)`: `RINGCAP_TX_TSTAMP_OFF`,
/// `_SOFTWARE` or `_HARDWARE`. With timestamps on, each send call waits
/// (up to a second) until its frames completed and records their
/// timestamps (read them with `ringcap_get_tx_timestamps`): the TX ring
/// frame's stamp where the kernel writes one, else the socket's TX
/// timestamp (SO_TIMESTAMPING, taken by the driver as the frame leaves for
/// the device: veth and most NIC drivers give one). A frame can be left
/// without a stamp: its stamp came after the call stopped waiting, the
/// kernel dropped it for lack of receive-buffer space (ringcap raises
/// SO_RCVBUF to hold one TX ring of stamps, within net.core.rmem_max), or
/// the driver does not stamp. Before or after activation; needs the TX
/// ring. 0, or PCAP_ERROR with `pcap_geterr` set.
#[no_mangle]
pub extern "C" fn ringcap_set_tx_timestamps(p: *mut pcap_t, mode: c_int) -> c_int {
    ffi!(code::ERROR, {
        let t = match mode {
            RINGCAP_TX_TSTAMP_OFF => Some(TxTimestamps::Off),
            RINGCAP_TX_TSTAMP_SOFTWARE => Some(TxTimestamps::Software),
            RINGCAP_TX_TSTAMP_HARDWARE => Some(TxTimestamps::Hardware),
            _ => None,
        };
        let bad = || Error::msg(format!("ringcap_set_tx_timestamps: unknown mode {mode}"));
        tx_option(
            p,
            "ringcap_set_tx_timestamps",
            |o| {
                o.timestamps = t.ok_or_else(bad)?;
                Ok(())
            },
            Some(&|l: &LiveShared| l.tx.lock().set_timestamps(&l.sock, t.ok_or_else(bad)?)),
        )
    })
}

/// `ringcap_get_tx_timestamps(p, out, max)`: copy the TX timestamps of the
/// frames the last send call on `p` sent (`pcap_inject`, `pcap_sendpacket`,
/// `ringcap_inject_batch`, `pcap_sendqueue_transmit`), oldest first, one
/// per frame sent (frames discarded under PACKET_LOSS have none), at most
/// `max` of them, into the caller's `out`. A frame the kernel gave no stamp
/// has `source` 0 (see `ringcap_set_tx_timestamps`). Returns how many were
/// copied (with `out` NULL: how many there are), PCAP_ERROR_NOT_ACTIVATED,
/// or PCAP_ERROR.
#[no_mangle]
pub unsafe extern "C" fn ringcap_get_tx_timestamps(p: *mut pcap_t, out: *mut ringcap_tx_timestamp, max: c_int) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer from this library.
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        let live = match live_send_side(h, "ringcap_get_tx_timestamps") {
            Ok(l) => l,
            Err(e) => return h.fail(&e),
        };
        let tx = live.tx.lock();
        let stamps = tx.stamps();
        if out.is_null() {
            return stamps.len().min(c_int::MAX as usize) as c_int;
        }
        let n = stamps.len().min(max.max(0) as usize);
        for (i, s) in stamps[..n].iter().enumerate() {
            let source = match s.source {
                StampSource::None => 0,
                StampSource::Software => RINGCAP_TX_TSTAMP_SOFTWARE,
                StampSource::Hardware => RINGCAP_TX_TSTAMP_HARDWARE,
            };
            let v = ringcap_tx_timestamp { sec: s.sec as i64, nsec: s.nsec, source };
            // SAFETY: the caller's array holds `max` >= n entries.
            unsafe { out.add(i).write(v) };
        }
        n as c_int
    })
}

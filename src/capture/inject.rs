//! The send side of a live handle: `pcap_inject` / `pcap_sendpacket` with
//! libpcap's checks and errors, batches (`ringcap_inject_batch`), WinPcap /
//! Npcap send queues with and without timestamp pacing, blocking and
//! non-blocking behaviour, qdisc bypass and TX timestamps, over the TX ring
//! that activation puts on the capture socket.
//!
//! Why the capture socket: the kernel never hands a socket's own
//! transmissions back to it (`skb_loop_sk`), so a handle does not capture
//! what it injected, exactly as with libpcap's plain `send()` on the same
//! socket (libpcap issue #1208); other sockets on the device see the frames
//! as outgoing unless qdisc bypass is on.
//!
//! Every send call hands each frame to the device before it returns: frames
//! are queued in the ring, kicked with one `send()` (MSG_DONTWAIT, so the
//! call does not wait for transmit completion), and settled; frames the
//! kernel did not take are reclaimed, so none goes out later behind a
//! caller who was told it failed. A full ring (every frame still in
//! flight) waits in blocking mode (a blocking `send()` with nothing queued
//! sleeps until the frames in flight complete) and reports libpcap's "would
//! block" in non-blocking mode. Frames in flight at close are still sent:
//! the kernel holds the ring pages until each frame completes.
//!
//! Linear mode (opt-in on Ethernet devices: `ringcap_set_tx_linear(p, 1)`
//! or `RINGCAP_TX_LINEAR=1`): PACKET_VNET_HDR makes the kernel copy each
//! frame into the skb instead of attaching the ring page; see `ring::tx`.
//! It saves ~300 ns per frame on veth, which otherwise copies ring pages
//! itself, but it changes capture: every received frame carries a 10-byte
//! virtio header before the packet (accounted for in the RX geometry,
//! invisible to callers), and the kernel drops from the capture GSO packets
//! whose type a virtio header cannot describe (SCTP, ESP offload), counting
//! them in `ps_drop`. A capture library must not lose packets by default, so
//! it is off unless asked for. `RINGCAP_TX_RING=0x0` drops the TX ring
//! entirely (one `send()` per packet, as libpcap).

use std::io;
use std::os::fd::AsFd;

use crate::error::{code, Error, Result};
use crate::packet::PacketHeader;
use crate::ring::geometry::{Limits, RingGeometry, Version};
use crate::ring::tx::{self, TxLayout, TxStamp};
use crate::ring::{PacketSocket, TxRing};
use crate::sys::{netdev, poll};

/// libpcap's texts.
pub const ANY_REFUSED: &str = "Sending packets isn't supported on the \"any\" device";
pub const COOKED_REFUSED: &str = "Sending packets isn't supported in cooked mode";

/// TX ring frames when the caller sets none, for MTU-sized frames up to
/// 2 KiB: enough for a batch to amortise its `send()` (bench/tx.sh, 64-byte
/// frames on veth: 16 frames per call cost 7 % more CPU per frame than 256,
/// 64 about 2 %; a 512-frame ring sends 1024-frame batches no faster), and
/// a capture-only handle pays 256 KiB.
pub const DEFAULT_TX_FRAMES: u32 = 128;
/// Devices with a large MTU get fewer frames (at least this many), so the
/// ring stays near [`DEFAULT_TX_BYTES`].
pub const MIN_TX_FRAMES: u32 = 8;
pub const DEFAULT_TX_BYTES: u32 = 256 << 10;

/// The default frame count for frames of `frame_size` bytes.
pub fn default_tx_frames(frame_size: u32) -> u32 {
    (DEFAULT_TX_BYTES / frame_size.max(1)).clamp(MIN_TX_FRAMES, DEFAULT_TX_FRAMES)
}

/// How long a blocking batch keeps retrying a device queue that drops
/// (ENOBUFS) without any frame getting through.
const ENOBUFS_PATIENCE_NS: u64 = 1_000_000_000;

/// Which TX timestamps to ask for (PACKET_TIMESTAMP on the TX ring).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TxTimestamps {
    #[default]
    Off,
    Software,
    /// The NIC's stamp where it has one, else the software one.
    Hardware,
}

impl TxTimestamps {
    fn bits(self) -> u32 {
        match self {
            TxTimestamps::Off => 0,
            TxTimestamps::Software => libc::SOF_TIMESTAMPING_SOFTWARE,
            TxTimestamps::Hardware => libc::SOF_TIMESTAMPING_SOFTWARE | libc::SOF_TIMESTAMPING_RAW_HARDWARE,
        }
    }
}

/// Transmit settings chosen before activation (`ringcap_set_tx_*`,
/// `RINGCAP_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxOptions {
    /// `(frame_size, frame_count)`; None: frames sized from the device MTU,
    /// [`default_tx_frames`] of them. `(0, 0)`: no TX ring.
    pub ring: Option<(u32, u32)>,
    pub qdisc_bypass: bool,
    /// PACKET_TX_HAS_OFF: packets start this many bytes into each frame.
    pub data_offset: Option<u32>,
    /// PACKET_LOSS: the kernel discards malformed frames instead of
    /// stopping at them.
    pub loss: bool,
    pub timestamps: TxTimestamps,
    /// Linear mode on Ethernet devices (see the module docs); off by default.
    pub linear: bool,
}

impl Default for TxOptions {
    fn default() -> TxOptions {
        TxOptions { ring: None, qdisc_bypass: false, data_offset: None, loss: false, timestamps: TxTimestamps::Off, linear: false }
    }
}

/// What activation knows about the device that sending needs.
#[derive(Clone, Debug)]
pub struct TxLink {
    pub device: String,
    pub any: bool,
    pub cooked: bool,
}

/// The TX side planned before the rings exist.
#[derive(Clone, Copy, Debug)]
pub struct TxPlan {
    pub geometry: Option<RingGeometry>,
    pub layout: TxLayout,
    /// Extra bytes the kernel puts in front of every received packet (the
    /// virtio header in linear mode): the RX geometry must leave room.
    pub rx_headroom: u32,
    /// The device's link header, where ringcap checks lengths itself.
    frame_limit: Option<FrameLimit>,
    bits: u32,
}

/// The longest frame the kernel would accept: MTU + link header (+4 for an
/// 802.1Q-tagged frame on Ethernet), the kernel's EMSGSIZE rule. Checked in
/// userland on Ethernet-framed devices (whose link header is known to be 14
/// bytes), so that an oversize frame is refused before it reaches the ring:
/// in linear mode the kernel would not check it at all, and in zero-copy
/// mode it would stop the ring at it (TP_STATUS_WRONG_FORMAT, and a line in
/// the kernel log per frame).
#[derive(Clone, Copy, Debug)]
struct FrameLimit {
    mtu: u32,
    link_header: u32,
    vlan_extra: bool,
}

impl FrameLimit {
    fn allows(&self, pkt: &[u8]) -> bool {
        let tagged = self.vlan_extra && pkt.len() >= 14 && pkt[12..14] == [0x81, 0x00];
        pkt.len() as u64 <= self.mtu as u64 + self.link_header as u64 + if tagged { 4 } else { 0 }
    }
}

fn os(what: &str, e: &io::Error) -> Error {
    Error::os(what, e)
}

/// Before the rings: the socket options that must precede them, and the TX
/// ring geometry (none for "any" and cooked sockets, which cannot send).
pub fn prepare(sock: &PacketSocket, o: &TxOptions, link: &TxLink, version: Version, reserve: u32, limits: &Limits) -> Result<TxPlan> {
    let mut plan = TxPlan { geometry: None, layout: TxLayout::default(), rx_headroom: 0, frame_limit: None, bits: 0 };
    if link.any || link.cooked || o.ring == Some((0, 0)) {
        return Ok(plan);
    }
    let fd = sock.as_fd();
    let mtu = netdev::mtu(fd, &link.device).map_err(|e| os("SIOCGIFMTU", &e))?;
    let (arphrd, _) = netdev::hwaddr(fd, &link.device).map_err(|e| os("SIOCGIFHWADDR", &e))?;
    let ethernet = arphrd == libc::ARPHRD_ETHER || arphrd == libc::ARPHRD_LOOPBACK;
    if o.loss {
        sock.set_int(libc::SOL_PACKET, libc::PACKET_LOSS, 1).map_err(|e| os("setsockopt (PACKET_LOSS)", &e))?;
    }
    if o.data_offset.is_some() {
        sock.set_int(libc::SOL_PACKET, libc::PACKET_TX_HAS_OFF, 1).map_err(|e| os("setsockopt (PACKET_TX_HAS_OFF)", &e))?;
    }
    let mut layout = TxLayout { data_offset: o.data_offset, vnet: false };
    if o.linear && ethernet {
        // Kernels without it (or that refuse it) send zero-copy instead.
        layout.vnet = sock.set_int(libc::SOL_PACKET, libc::PACKET_VNET_HDR, 1).is_ok();
    }
    if layout.vnet {
        plan.rx_headroom = tx::VNET_HDR_LEN as u32;
    }
    if ethernet {
        plan.frame_limit = Some(FrameLimit { mtu, link_header: 14, vlan_extra: arphrd == libc::ARPHRD_ETHER });
    }
    if o.qdisc_bypass {
        set_bypass(sock, true)?;
    }
    if o.timestamps != TxTimestamps::Off {
        plan.bits = add_timestamp_bits(sock, o.timestamps.bits(), 0)?;
    }
    let page = limits.page_size.max(4096);
    let (frame_size, frames) = match o.ring {
        Some((fs, n)) => (fs, n),
        // The largest frame libpcap's send() would accept: MTU + an
        // Ethernet header + a VLAN tag (devices without a link header get
        // the same room; it is a few bytes).
        None => {
            let fs = tx::frame_size_for(version, &layout, mtu.saturating_add(18), page);
            (fs, default_tx_frames(fs))
        }
    };
    layout.check(version, frame_size)?;
    plan.geometry = Some(tx::plan(version, frame_size, frames, reserve, limits)?);
    plan.layout = layout;
    Ok(plan)
}

/// PACKET_QDISC_BYPASS.
pub fn set_bypass(sock: &PacketSocket, on: bool) -> Result<()> {
    sock.set_int(libc::SOL_PACKET, libc::PACKET_QDISC_BYPASS, on as i32).map_err(|e| os("setsockopt (PACKET_QDISC_BYPASS)", &e))
}

/// Add timestamping bits to PACKET_TIMESTAMP (which the RX ring shares: its
/// hardware bits stay) and remove `old`, the bits added before; returns the
/// bits added. Software stamps need the kernel to stamp skbs at all:
/// SO_TIMESTAMPNS makes it (the ring ignores the option otherwise).
fn add_timestamp_bits(sock: &PacketSocket, bits: u32, old: u32) -> Result<u32> {
    let cur = sock.get_int(libc::SOL_PACKET, libc::PACKET_TIMESTAMP).map_err(|e| os("getsockopt (PACKET_TIMESTAMP)", &e))? as u32;
    let new = (cur & !old) | bits;
    sock.set_int(libc::SOL_PACKET, libc::PACKET_TIMESTAMP, new as i32).map_err(|e| os("can't set PACKET_TIMESTAMP", &e))?;
    if bits != 0 {
        sock.set_int(libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1).map_err(|e| os("setsockopt (SO_TIMESTAMPNS)", &e))?;
    }
    Ok(bits)
}

/// How errors are worded and device-queue drops handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `pcap_inject`: libpcap's texts, no retry (libpcap's send() returns
    /// ENOBUFS to the caller).
    Single,
    /// Batches and send queues: errors name the frame; in blocking mode a
    /// device queue that drops (ENOBUFS) is retried for a while.
    Batch,
}

/// How far a send call got: frames sent from the front, and why it stopped
/// early, if it did.
#[derive(Debug)]
pub struct Outcome {
    pub sent: usize,
    pub error: Option<Error>,
}

/// Why a frame was refused or sending stopped, before wording.
enum Stop {
    Empty,
    Mtu(FrameLimit),
    RingFrame { max: usize, frame_size: usize },
    Os(io::Error),
    WrongFormat(Option<io::Error>),
    Stuck(usize),
}

/// The send side of a live handle.
#[derive(Debug)]
pub struct Sender {
    refused: Option<&'static str>,
    ring: Option<TxRing>,
    device: String,
    frame_limit: Option<FrameLimit>,
    timestamps: TxTimestamps,
    /// PACKET_TIMESTAMP bits this side added.
    bits: u32,
    /// TX timestamps of the frames the last send call sent.
    stamps: Vec<TxStamp>,
}

impl Default for Sender {
    fn default() -> Sender {
        Sender {
            refused: Some("This handle hasn't been activated yet"),
            ring: None,
            device: String::new(),
            frame_limit: None,
            timestamps: TxTimestamps::Off,
            bits: 0,
            stamps: Vec::new(),
        }
    }
}

impl Sender {
    /// After the mapping: the sender over the TX ring `plan` asked for.
    pub fn mapped(sock: &PacketSocket, plan: &TxPlan, link: &TxLink, o: &TxOptions) -> Result<Sender> {
        let refused = if link.any {
            Some(ANY_REFUSED)
        } else if link.cooked {
            Some(COOKED_REFUSED)
        } else {
            None
        };
        let ring = match plan.geometry {
            Some(_) => Some(sock.tx_ring(plan.layout).ok_or_else(|| Error::msg("tx ring missing after setup"))?),
            None => None,
        };
        Ok(Sender {
            refused,
            ring,
            device: link.device.clone(),
            frame_limit: plan.frame_limit,
            timestamps: if plan.geometry.is_some() { o.timestamps } else { TxTimestamps::Off },
            bits: plan.bits,
            stamps: Vec::new(),
        })
    }

    /// The TX ring's frame size and count; (0, 0) without one.
    pub fn ring_shape(&self) -> (usize, usize) {
        self.ring.as_ref().map_or((0, 0), |r| (r.frame_size(), r.frame_count()))
    }

    /// The largest packet one TX ring frame holds (None without a ring).
    pub fn max_packet(&self) -> Option<usize> {
        self.ring.as_ref().map(|r| r.max_packet())
    }

    pub fn layout(&self) -> Option<TxLayout> {
        self.ring.as_ref().map(|r| r.layout())
    }

    /// PACKET_QDISC_BYPASS after activation.
    pub fn set_bypass(&mut self, sock: &PacketSocket, on: bool) -> Result<()> {
        if let Some(m) = self.refused {
            return Err(Error::msg(m));
        }
        set_bypass(sock, on)
    }

    /// TX timestamps after activation (TX ring only).
    pub fn set_timestamps(&mut self, sock: &PacketSocket, t: TxTimestamps) -> Result<()> {
        if let Some(m) = self.refused {
            return Err(Error::msg(m));
        }
        if self.ring.is_none() {
            return Err(Error::msg("TX timestamps need the TX ring, which this handle does not have"));
        }
        self.bits = add_timestamp_bits(sock, t.bits(), self.bits)?;
        self.timestamps = t;
        Ok(())
    }

    /// The TX timestamps of the frames the last send call sent, in order.
    pub fn stamps(&self) -> &[TxStamp] {
        &self.stamps
    }

    /// Send one packet (`pcap_inject`): its length, or libpcap's error.
    pub fn inject(&mut self, sock: &PacketSocket, pkt: &[u8]) -> Result<usize> {
        // The common case in few steps (after a system call every line of
        // user code is a cache miss): fill, kick, settle.
        let plain = self.refused.is_none() && self.timestamps == TxTimestamps::Off;
        if plain && !pkt.is_empty() && self.frame_limit.is_none_or(|l| l.allows(pkt)) {
            if let Some(ring) = self.ring.as_mut() {
                if ring.queued() == 0 && ring.push(pkt) == Ok(true) {
                    self.stamps.clear();
                    let r = ring.kick(sock, true);
                    if r.is_ok() && ring.settle().left == 0 {
                        return Ok(pkt.len());
                    }
                    let mut sent = 0;
                    return match self.resolve(sock, Mode::Single, &mut sent, r) {
                        Ok(()) => Ok(pkt.len()),
                        Err(s) => Err(self.word(0, 0, &[pkt], s, Mode::Single)),
                    };
                }
            }
        }
        if plain && self.ring.is_none() && !pkt.is_empty() && self.frame_limit.is_none_or(|l| l.allows(pkt)) {
            return sock.send(pkt, 0).map_err(|e| os("send", &e));
        }
        let o = self.send(sock, &[pkt], Mode::Single);
        match o.error {
            Some(e) => Err(e),
            None => Ok(pkt.len()),
        }
    }

    /// Send frames in order, as few `send()` calls as the ring allows.
    pub fn send(&mut self, sock: &PacketSocket, frames: &[&[u8]], mode: Mode) -> Outcome {
        self.send_numbered(sock, frames, mode, 0)
    }

    /// As `send`; errors call `frames[0]` frame number `first`.
    pub fn send_numbered(&mut self, sock: &PacketSocket, frames: &[&[u8]], mode: Mode, first: usize) -> Outcome {
        self.stamps.clear();
        if let Some(m) = self.refused {
            return Outcome { sent: 0, error: Some(Error::msg(m)) };
        }
        let (sent, stop) = if self.ring.is_some() { self.send_ring(sock, frames, mode) } else { self.send_plain(sock, frames, mode) };
        let error = stop.map(|(i, s)| self.word(i, first, frames, s, mode));
        Outcome { sent, error }
    }

    /// Check a frame before it reaches the ring.
    fn check(&mut self, sock: &PacketSocket, pkt: &[u8]) -> Option<Stop> {
        if pkt.is_empty() {
            return Some(Stop::Empty);
        }
        if let Some(lim) = self.frame_limit {
            if !lim.allows(pkt) {
                // The MTU may have grown since activation: look again.
                let fresh = netdev::mtu(sock.as_fd(), &self.device).map(|mtu| FrameLimit { mtu, ..lim });
                match fresh {
                    Ok(f) if f.allows(pkt) => self.frame_limit = Some(f),
                    Ok(f) => {
                        self.frame_limit = Some(f);
                        return Some(Stop::Mtu(f));
                    }
                    Err(_) => return Some(Stop::Mtu(lim)),
                }
            }
        }
        if let Some(r) = &self.ring {
            if pkt.len() > r.max_packet() {
                return Some(Stop::RingFrame { max: r.max_packet(), frame_size: r.frame_size() });
            }
        }
        None
    }

    fn send_ring(&mut self, sock: &PacketSocket, frames: &[&[u8]], mode: Mode) -> (usize, Option<(usize, Stop)>) {
        let mut sent = 0;
        let mut i = 0;
        while i < frames.len() {
            if let Some(s) = self.check(sock, frames[i]) {
                return match self.flush(sock, mode, &mut sent) {
                    Err(s) => (sent, Some((sent, s))),
                    Ok(()) => (sent, Some((i, s))),
                };
            }
            let ring = self.ring.as_mut().expect("ring");
            match ring.push(frames[i]) {
                Ok(true) => i += 1,
                Ok(false) => {
                    if let Err(s) = self.flush(sock, mode, &mut sent) {
                        return (sent, Some((sent, s)));
                    }
                    if let Err(s) = self.wait_for_room(sock) {
                        return (sent, Some((sent, s)));
                    }
                }
                Err(max) => unreachable!("checked above: {max}"),
            }
        }
        match self.flush(sock, mode, &mut sent) {
            Err(s) => (sent, Some((sent, s))),
            Ok(()) => (sent, None),
        }
    }

    /// Kick the queued frames and settle them; frames the kernel did not
    /// take are reclaimed (after retries where `mode` allows).
    fn flush(&mut self, sock: &PacketSocket, mode: Mode, sent: &mut usize) -> std::result::Result<(), Stop> {
        let ring = self.ring.as_mut().expect("ring");
        if ring.queued() == 0 {
            return Ok(());
        }
        let r = ring.kick(sock, true);
        self.resolve(sock, mode, sent, r)
    }

    /// After a kick that returned `r`: settle the queued frames, kick again
    /// where `mode` and the error allow, and reclaim what the kernel did not
    /// take; `sent` grows by the frames taken.
    fn resolve(&mut self, sock: &PacketSocket, mode: Mode, sent: &mut usize, mut r: io::Result<()>) -> std::result::Result<(), Stop> {
        let ring = self.ring.as_mut().expect("ring");
        let mut taken = 0;
        let mut enobufs_since: Option<u64> = None;
        let result = loop {
            let s = ring.settle();
            taken += s.taken;
            if s.taken > 0 {
                enobufs_since = None;
            }
            if s.left == 0 {
                break Ok(());
            }
            if s.wrong_format {
                break Err(Stop::WrongFormat(r.err()));
            }
            match r {
                Err(e) if e.raw_os_error() == Some(libc::EAGAIN) && !sock.nonblocking().unwrap_or(true) => {
                    // The socket's send buffer is full: a blocking kick
                    // sleeps until there is room and sends the rest.
                    r = ring.kick(sock, false);
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) && mode == Mode::Batch && !sock.nonblocking().unwrap_or(true) => {
                    let now = poll::monotonic_ns();
                    let since = *enobufs_since.get_or_insert(now);
                    if now - since > ENOBUFS_PATIENCE_NS {
                        break Err(Stop::Os(e));
                    }
                    poll::sleep_ns(20_000);
                    r = ring.kick(sock, true);
                }
                Err(e) => break Err(Stop::Os(e)),
                // Success with frames left: the kernel's head is not where
                // ours is. Never expected; stop rather than resend blindly.
                Ok(()) => break Err(Stop::Stuck(s.left)),
            }
        };
        if result.is_err() {
            ring.reclaim();
        }
        *sent += taken;
        if self.timestamps != TxTimestamps::Off && taken > 0 {
            self.collect_stamps(sock, taken);
        }
        result
    }

    /// Wait until the frame at the cursor is free: in blocking mode a
    /// blocking `send()` with nothing queued returns once every frame in
    /// flight has completed; in non-blocking mode, "would block".
    fn wait_for_room(&mut self, sock: &PacketSocket) -> std::result::Result<(), Stop> {
        let ring = self.ring.as_mut().expect("ring");
        loop {
            if ring.has_room() {
                return Ok(());
            }
            if sock.nonblocking().map_err(Stop::Os)? {
                return Err(Stop::Os(io::Error::from_raw_os_error(libc::EAGAIN)));
            }
            ring.kick(sock, false).map_err(Stop::Os)?;
            if !ring.has_room() {
                // Completion came for other frames; look again shortly.
                poll::sleep_ns(10_000);
            }
        }
    }

    /// After `taken` frames went out: wait (bounded) until they complete,
    /// then read their timestamps, oldest first.
    fn collect_stamps(&mut self, sock: &PacketSocket, taken: usize) {
        let ring = self.ring.as_ref().expect("ring");
        let deadline = poll::monotonic_ns() + 1_000_000_000;
        while !ring.completed(taken) && poll::monotonic_ns() < deadline {
            let _ = ring.kick(sock, false);
            if !ring.completed(taken) {
                poll::sleep_ns(10_000);
            }
        }
        self.stamps.extend((1..=taken).rev().map(|back| ring.stamp(back)));
    }

    /// No TX ring: one `send()` per frame, libpcap's way.
    fn send_plain(&mut self, sock: &PacketSocket, frames: &[&[u8]], mode: Mode) -> (usize, Option<(usize, Stop)>) {
        let mut enobufs_since: Option<u64> = None;
        let mut i = 0;
        while i < frames.len() {
            if let Some(s) = self.check(sock, frames[i]) {
                return (i, Some((i, s)));
            }
            match sock.send(frames[i], 0) {
                Ok(_) => {
                    i += 1;
                    enobufs_since = None;
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) && mode == Mode::Batch && !sock.nonblocking().unwrap_or(true) => {
                    let now = poll::monotonic_ns();
                    if now - *enobufs_since.get_or_insert(now) > ENOBUFS_PATIENCE_NS {
                        return (i, Some((i, Stop::Os(e))));
                    }
                    poll::sleep_ns(20_000);
                }
                Err(e) => return (i, Some((i, Stop::Os(e)))),
            }
        }
        (i, None)
    }

    /// Word a stop: libpcap's texts for `pcap_inject`, the frame named for
    /// batches.
    fn word(&self, i: usize, first: usize, frames: &[&[u8]], s: Stop, mode: Mode) -> Error {
        let len = frames.get(i).map_or(0, |f| f.len());
        let n = first + i;
        let text = match (&s, mode) {
            (Stop::Empty, _) => format!("frame {n} has no bytes"),
            (Stop::Mtu(_), Mode::Single) => format!("send: {}", crate::sys::strerror(libc::EMSGSIZE)),
            (Stop::Mtu(l), Mode::Batch) => format!(
                "send: {}: frame {n} is {len} bytes, more than {}'s MTU {} + {}-byte link header",
                crate::sys::strerror(libc::EMSGSIZE),
                self.device,
                l.mtu,
                l.link_header
            ),
            (Stop::RingFrame { max, frame_size }, _) => format!(
                "{}packet of {len} bytes does not fit in a {frame_size}-byte TX ring frame (at most {max} bytes; see ringcap_set_tx_ring or RINGCAP_TX_RING)",
                if mode == Mode::Batch { format!("frame {n}: ") } else { String::new() }
            ),
            (Stop::Os(e), Mode::Single) => return os("send", e),
            (Stop::Os(e), Mode::Batch) => format!("{} (at frame {n})", crate::error::with_errno("send", e)),
            (Stop::WrongFormat(e), Mode::Single) => match e {
                Some(e) => return os("send", e),
                None => "send: the kernel refused the frame as malformed".to_string(),
            },
            (Stop::WrongFormat(e), Mode::Batch) => format!(
                "{}the kernel refused frame {n} ({len} bytes) as malformed (TP_STATUS_WRONG_FORMAT)",
                e.as_ref().map_or(String::new(), |e| format!("{}: ", crate::error::with_errno("send", e)))
            ),
            (Stop::Stuck(n), _) => format!("send: the kernel left {n} TX ring frames unsent; they were taken back"),
        };
        Error::new(code::ERROR, text)
    }
}

/// A send queue's records: `struct pcap_pkthdr` then `caplen` bytes, packed
/// (WinPcap/Npcap's layout). Yields (offset after the record, header,
/// data); a record that does not fit ends the walk with an error.
pub fn queue_records(buf: &[u8]) -> impl Iterator<Item = std::result::Result<(usize, PacketHeader, &[u8]), Error>> + '_ {
    let hl = std::mem::size_of::<PacketHeader>();
    let mut off = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || off >= buf.len() {
            return None;
        }
        let bad = |what: &str| Error::msg(format!("pcap_sendqueue_transmit: malformed send queue: {what} at byte {off}"));
        if buf.len() - off < hl {
            failed = true;
            return Some(Err(bad("a truncated packet header")));
        }
        let h = read_header(&buf[off..off + hl]);
        let start = off + hl;
        let end = start.checked_add(h.caplen as usize).filter(|&e| e <= buf.len());
        match end {
            None => {
                failed = true;
                Some(Err(bad(&format!("a caplen of {} past the end of the queue", h.caplen))))
            }
            Some(end) => {
                off = end;
                Some(Ok((end, h, &buf[start..end])))
            }
        }
    })
}

/// A `struct pcap_pkthdr` in the host's layout from bytes.
fn read_header(b: &[u8]) -> PacketHeader {
    use std::mem::{offset_of, size_of};
    let int = |at: usize, size: usize| -> i64 {
        let f = &b[at..at + size];
        match size {
            4 => i32::from_ne_bytes(f.try_into().unwrap()) as i64,
            _ => i64::from_ne_bytes(f[..8].try_into().unwrap()),
        }
    };
    let ts = offset_of!(PacketHeader, ts);
    let sec = int(ts + offset_of!(crate::packet::Timeval, tv_sec), size_of::<libc::time_t>());
    let usec = int(ts + offset_of!(crate::packet::Timeval, tv_usec), size_of::<libc::suseconds_t>());
    let caplen = int(offset_of!(PacketHeader, caplen), 4) as u32;
    let len = int(offset_of!(PacketHeader, len), 4) as u32;
    let mut h = PacketHeader::new(sec, 0, caplen, len);
    h.ts.tv_usec = usec as libc::suseconds_t;
    h
}

/// Microseconds since the epoch of a send-queue record (WinPcap/Npcap read
/// the queue's timestamps as microseconds).
#[allow(clippy::unnecessary_cast)] // time_t is 32-bit on some targets
fn record_us(h: &PacketHeader) -> i64 {
    (h.ts.tv_sec as i64).saturating_mul(1_000_000).saturating_add(h.ts.tv_usec as i64)
}

/// `pcap_sendqueue_transmit`: send every record of `buf`; with `sync`,
/// spaced as their timestamps are (the first goes at once; records due at
/// the same moment go as one batch). Returns the bytes of the queue sent
/// (whole records), and the error that stopped it.
pub fn transmit_queue(s: &mut Sender, sock: &PacketSocket, buf: &[u8], sync: bool) -> (usize, Option<Error>) {
    let mut records = Vec::new();
    let mut parse_error = None;
    for r in queue_records(buf) {
        match r {
            Ok(rec) => records.push(rec),
            Err(e) => parse_error = Some(e),
        }
    }
    let mut done_bytes = 0usize;
    let mut stamps = Vec::new();
    let start = poll::monotonic_ns();
    let first_us = records.first().map(|r| record_us(&r.1)).unwrap_or(0);
    // Records out of order in time go as soon as the one before them.
    let mut last_due = 0u64;
    let mut due = |h: &PacketHeader| {
        last_due = last_due.max((record_us(h) - first_us).max(0) as u64 * 1000);
        last_due
    };
    let mut i = 0;
    while i < records.len() {
        let mut j = records.len();
        if sync {
            wait_until(start + due(&records[i].1));
            j = i + 1;
            while j < records.len() && start + due(&records[j].1) <= poll::monotonic_ns() {
                j += 1;
            }
        }
        let frames: Vec<&[u8]> = records[i..j].iter().map(|r| r.2).collect();
        let o = s.send_numbered(sock, &frames, Mode::Batch, i);
        stamps.extend_from_slice(s.stamps());
        if o.sent > 0 {
            done_bytes = records[i + o.sent - 1].0;
        }
        if o.error.is_some() {
            s.stamps = stamps;
            return (done_bytes, o.error);
        }
        i = j;
        // A later record may already be due although the one that was not
        // yet due ended the batch; `due` is monotonic, so no record waits
        // longer than its own time.
    }
    s.stamps = stamps;
    (done_bytes, parse_error)
}

/// Sleep until the monotonic clock reaches `t` (ns): a nap to just before
/// it, then a short spin, so spacing holds to a few microseconds.
fn wait_until(t: u64) {
    const SPIN_NS: u64 = 200_000;
    let now = poll::monotonic_ns();
    if t > now + SPIN_NS {
        poll::sleep_ns(t - now - SPIN_NS);
    }
    while poll::monotonic_ns() < t {
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sec: i64, usec: i64, data: &[u8]) -> Vec<u8> {
        // struct pcap_pkthdr on 64-bit Linux: two longs, two u32s.
        let mut v = Vec::new();
        v.extend_from_slice(&sec.to_ne_bytes());
        v.extend_from_slice(&usec.to_ne_bytes());
        v.extend_from_slice(&(data.len() as u32).to_ne_bytes());
        v.extend_from_slice(&(data.len() as u32 + 1).to_ne_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn queue_records_walk_and_stop_at_malformed_ones() {
        let mut q = record(1, 0, &[1, 2, 3]);
        q.extend(record(1, 500, &[4; 60]));
        let recs: Vec<_> = queue_records(&q).collect::<std::result::Result<_, _>>().unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].2, &[1, 2, 3]);
        assert_eq!((recs[0].1.ts.tv_sec, recs[0].1.caplen, recs[0].1.len), (1, 3, 4));
        assert_eq!(recs[0].0, 24 + 3);
        assert_eq!(recs[1].0, q.len());
        assert_eq!(record_us(&recs[1].1) - record_us(&recs[0].1), 500);
        let mut bad = q.clone();
        bad.extend_from_slice(&[0; 10]);
        let r: Vec<_> = queue_records(&bad).collect();
        assert_eq!(r.len(), 3);
        assert!(r[2].as_ref().unwrap_err().message.contains("truncated packet header at byte 111"), "{:?}", r[2]);
        let mut past = record(1, 0, &[1; 8]);
        past.truncate(30);
        let r: Vec<_> = queue_records(&past).collect();
        assert!(r[0].as_ref().unwrap_err().message.contains("caplen of 8 past the end"));
        assert_eq!(queue_records(&[]).count(), 0);
    }

    #[test]
    fn frame_limit_is_libpcaps_emsgsize_rule() {
        let l = FrameLimit { mtu: 1500, link_header: 14, vlan_extra: true };
        let mut f = vec![0u8; 1514];
        assert!(l.allows(&f));
        f.push(0);
        assert!(!l.allows(&f));
        f[12] = 0x81;
        assert!(l.allows(&f), "802.1Q frames get 4 more bytes");
        f.resize(1519, 0);
        assert!(!l.allows(&f));
        f[12..14].copy_from_slice(&[0x88, 0xa8]);
        f.truncate(1515);
        assert!(!l.allows(&f), "only 0x8100, as the kernel");
        let lo = FrameLimit { mtu: 65536, link_header: 14, vlan_extra: false };
        let mut t = vec![0u8; 65551];
        t[12] = 0x81;
        assert!(!lo.allows(&t));
    }

    #[test]
    fn default_ring_size() {
        assert_eq!(default_tx_frames(2048), 128);
        assert_eq!(default_tx_frames(9088), 28);
        assert_eq!(default_tx_frames(65_616), 8);
    }

    #[test]
    fn timestamp_bits() {
        assert_eq!(TxTimestamps::Off.bits(), 0);
        assert_eq!(TxTimestamps::Software.bits(), libc::SOF_TIMESTAMPING_SOFTWARE);
        assert_eq!(TxTimestamps::Hardware.bits(), libc::SOF_TIMESTAMPING_SOFTWARE | libc::SOF_TIMESTAMPING_RAW_HARDWARE);
    }
}

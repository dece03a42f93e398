//! The send side of a live handle: `pcap_inject` / `pcap_sendpacket` with
//! libpcap's checks and errors, batches (`ringcap_inject_batch`), WinPcap /
//! Npcap send queues with and without timestamp pacing, blocking and
//! non-blocking behaviour, qdisc bypass and TX timestamps (`txstamp`), over
//! the TX ring that activation puts on the capture socket.
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
//! caller who was told it failed. Frames in flight at close are still
//! sent: the kernel holds the ring pages until each frame completes.
//!
//! Waiting (blocking mode only): a full ring (every frame still in flight)
//! or a full socket send buffer waits for the kernel's wake-up on a
//! completed frame, with POLLOUT on the socket watched edge-triggered
//! (`sys::poll::Epoll`: a packet socket reports POLLOUT whenever its send
//! buffer has room, also while the ring is full, so a plain poll(POLLOUT)
//! would spin), beside the breakloop eventfd: `pcap_breakloop` interrupts
//! a blocked send. The breakloop stays pending for the read loop (a send
//! from a `pcap_loop` callback must not swallow the request that ends the
//! loop); while it is pending, a send that would have to wait fails at
//! once. Non-blocking mode reports libpcap's "would block" instead.
//!
//! PACKET_LOSS (`ringcap_set_tx_loss`): the kernel discards a frame it finds
//! malformed and goes on with the next, instead of stopping the ring at it.
//! A discarded frame is not sent, so it is not counted as sent: the call
//! names it in its error, and its frames after it still go. The kernel
//! marks a discarded frame available like a sent one; ringcap tells them
//! apart by the kernel's own rule (a frame shorter than the device's
//! minimum link header), checked against the byte total `send()` returns
//! for the frames it transmitted. Where the two disagree (a discard for
//! another reason), ringcap cannot tell which frames went, and counts none
//! of that kick's frames as sent.
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
//! entirely: one `send()` per packet as libpcap, batches and send queues
//! as `sendmmsg()` calls (one system call per 256 frames).
//!
//! The TX ring uses the RX ring's TPACKET version (V3 by default; the
//! kernel takes one version per socket). V2 and V3 TX frames differ only in
//! their header layout (V3 has no block transmit), and they cost the same:
//! bench/tx.sh, 64-byte frames on veth, CPU per frame V3 / V2: 486 / 491 ns
//! in 256-frame batches, 642 / 643 ns for single injects (bench/TX.md). So
//! the capture side keeps V3 and sending follows it; "TPACKET_V2 unless
//! measured otherwise" was measured otherwise.

use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;

use crate::error::{code, Error, Result};
use crate::packet::{Breaker, PacketHeader};
use crate::ring::geometry::{Limits, RingGeometry, Version};
use crate::ring::tx::{self, TxLayout, TxStamp};
use crate::ring::{PacketSocket, TxRing};
use crate::sys::{netdev, poll};

pub use super::txstamp::TxTimestamps;
use super::txstamp::{Stamper, Stash};

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
/// The longest single sleep of a blocked send, after which it looks at the
/// ring again whatever woke it (a safety net, not a poll interval: the
/// kernel's wake-ups end the sleep).
const WAIT_SLICE_MS: i32 = 100;
/// Frames per `sendmmsg()` call without a TX ring.
const MMSG_BATCH: usize = 256;
/// How long a send with TX timestamps waits for its frames to complete.
const STAMP_PATIENCE_NS: u64 = 1_000_000_000;

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
    /// The device's MTU and link header, where ringcap checks lengths itself.
    frame_limit: Option<FrameLimit>,
}

/// The link header the kernel expects in front of every frame a packet
/// socket sends on a device: `dev->hard_header_len` (which the kernel adds
/// to the MTU to bound a frame) and `dev->min_header_len` (shorter frames
/// are malformed), by ARPHRD type. Only types whose values the kernel
/// fixes, each verified here with the TX ring on a real device
/// (tests/inject.rs: veth, lo, tun): ringcap refuses frames by these rules
/// before they reach the ring. Other types (tunnels whose header length
/// depends on their configuration, types this kernel cannot create) are
/// left to the kernel's own check, which stops the ring at the frame
/// (TP_STATUS_WRONG_FORMAT, reported naming it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LinkHeader {
    len: u32,
    min: u32,
    /// 802.1Q-tagged frames may be 4 bytes longer (Ethernet only).
    vlan_extra: bool,
}

fn link_header(arphrd: u16) -> Option<LinkHeader> {
    match arphrd {
        // ether_setup: ETH_HLEN both.
        libc::ARPHRD_ETHER => Some(LinkHeader { len: 14, min: 14, vlan_extra: true }),
        // loopback_setup: ETH_HLEN both; no VLAN allowance (it is given to
        // ARPHRD_ETHER only).
        libc::ARPHRD_LOOPBACK => Some(LinkHeader { len: 14, min: 14, vlan_extra: false }),
        // tun (IFF_TUN), wireguard and other raw-IP devices: no link header.
        libc::ARPHRD_NONE => Some(LinkHeader { len: 0, min: 0, vlan_extra: false }),
        _ => None,
    }
}

/// The longest frame the kernel would accept: MTU + link header (+4 for an
/// 802.1Q-tagged frame on Ethernet), the kernel's EMSGSIZE rule, checked in
/// userland so that an oversize frame is refused before it reaches the
/// ring: in linear mode the kernel would not check it at all, and in
/// zero-copy mode it would stop the ring at it (TP_STATUS_WRONG_FORMAT, and
/// a line in the kernel log per frame).
#[derive(Clone, Copy, Debug)]
struct FrameLimit {
    mtu: u32,
    header: LinkHeader,
}

impl FrameLimit {
    fn allows(&self, pkt: &[u8]) -> bool {
        let tagged = self.header.vlan_extra && pkt.len() >= 14 && pkt[12..14] == [0x81, 0x00];
        pkt.len() as u64 <= self.mtu as u64 + self.header.len as u64 + if tagged { 4 } else { 0 }
    }

    /// Whether the kernel finds the frame malformed (shorter than the
    /// minimum link header: `dev_validate_header`).
    fn malformed(&self, pkt: &[u8]) -> bool {
        (pkt.len() as u64) < self.header.min as u64
    }
}

/// Before the rings: the socket options that must precede them, and the TX
/// ring geometry (none for "any" and cooked sockets, which cannot send).
pub fn prepare(sock: &PacketSocket, o: &TxOptions, link: &TxLink, version: Version, reserve: u32, limits: &Limits) -> Result<TxPlan> {
    let mut plan = TxPlan { geometry: None, layout: TxLayout::default(), rx_headroom: 0, frame_limit: None };
    if link.any || link.cooked || o.ring == Some((0, 0)) {
        return Ok(plan);
    }
    let fd = sock.as_fd();
    let mtu = netdev::mtu(fd, &link.device).map_err(|e| Error::os("SIOCGIFMTU", &e))?;
    let (arphrd, _) = netdev::hwaddr(fd, &link.device).map_err(|e| Error::os("SIOCGIFHWADDR", &e))?;
    let ethernet = arphrd == libc::ARPHRD_ETHER || arphrd == libc::ARPHRD_LOOPBACK;
    if o.loss {
        sock.set_int(libc::SOL_PACKET, libc::PACKET_LOSS, 1).map_err(|e| Error::os("setsockopt (PACKET_LOSS)", &e))?;
    }
    if o.data_offset.is_some() {
        sock.set_int(libc::SOL_PACKET, libc::PACKET_TX_HAS_OFF, 1).map_err(|e| Error::os("setsockopt (PACKET_TX_HAS_OFF)", &e))?;
    }
    let mut layout = TxLayout { data_offset: o.data_offset, vnet: false };
    if o.linear && ethernet {
        // Kernels without it (or that refuse it) send zero-copy instead.
        layout.vnet = sock.set_int(libc::SOL_PACKET, libc::PACKET_VNET_HDR, 1).is_ok();
    }
    if layout.vnet {
        plan.rx_headroom = tx::VNET_HDR_LEN as u32;
    }
    plan.frame_limit = link_header(arphrd).map(|header| FrameLimit { mtu, header });
    if o.qdisc_bypass {
        set_bypass(sock, true)?;
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
    let g = tx::plan(version, frame_size, frames, reserve, limits)?;
    // The kernel would try to allocate any size, waking the OOM killer.
    crate::ring::geometry::fits_memory(&g, crate::sys::physical_memory())?;
    plan.geometry = Some(g);
    plan.layout = layout;
    Ok(plan)
}

/// PACKET_QDISC_BYPASS.
pub fn set_bypass(sock: &PacketSocket, on: bool) -> Result<()> {
    sock.set_int(libc::SOL_PACKET, libc::PACKET_QDISC_BYPASS, on as i32).map_err(|e| Error::os("setsockopt (PACKET_QDISC_BYPASS)", &e))
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

/// How a send call went: the frames it sent, those the kernel discarded
/// (PACKET_LOSS: not sent, not counted), and the error that stopped it or
/// names the discarded frames.
#[derive(Debug)]
pub struct Outcome {
    pub sent: usize,
    /// Indexes into the call's frames.
    pub discarded: Vec<usize>,
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
    /// A breakloop arrived while the call waited.
    Break,
    /// PACKET_LOSS discarded `bytes` of frames `first..=last` other than
    /// those the device's rules name; none of them is counted as sent.
    Unexplained { last: usize, bytes: usize },
}

/// One send call's progress over its frames.
struct Run<'a> {
    frames: &'a [&'a [u8]],
    /// Frames before this index are settled (taken by the kernel, or
    /// refused); the queued ones follow it.
    settled: usize,
    sent: usize,
    discarded: Vec<usize>,
    /// Sent frames' stamp keys, with their index, while stamps are on.
    keys: Vec<(usize, u32)>,
}

impl<'a> Run<'a> {
    fn new(frames: &'a [&'a [u8]]) -> Run<'a> {
        Run { frames, settled: 0, sent: 0, discarded: Vec::new(), keys: Vec::new() }
    }
}

/// The send side of a live handle.
#[derive(Debug)]
pub struct Sender {
    refused: Option<&'static str>,
    ring: Option<TxRing>,
    device: String,
    frame_limit: Option<FrameLimit>,
    /// PACKET_LOSS is on.
    loss: bool,
    stamper: Stamper,
    /// TX timestamps of the frames the last send call sent.
    stamps: Vec<TxStamp>,
    /// The handle's breakloop, whose doorbell a blocked send watches.
    breaker: Option<Arc<Breaker>>,
    /// The edge-triggered wait set (socket POLLOUT, breakloop doorbell),
    /// made on the first wait.
    waiter: Option<poll::Epoll>,
    /// Sleeps in that set so far.
    waits: u64,
}

impl Default for Sender {
    fn default() -> Sender {
        Sender {
            refused: Some("This handle hasn't been activated yet"),
            ring: None,
            device: String::new(),
            frame_limit: None,
            loss: false,
            stamper: Stamper::default(),
            stamps: Vec::new(),
            breaker: None,
            waiter: None,
            waits: 0,
        }
    }
}

/// epoll tokens.
const TOKEN_SOCKET: u64 = 0;
const TOKEN_BREAK: u64 = 1;

impl Sender {
    /// After the mapping: the sender over the TX ring `plan` asked for;
    /// `breaker` is the handle's breakloop.
    pub fn mapped(sock: &PacketSocket, plan: &TxPlan, link: &TxLink, o: &TxOptions, breaker: Arc<Breaker>) -> Result<Sender> {
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
        let mut stamper = Stamper::default();
        if let Some(r) = &ring {
            if o.timestamps != TxTimestamps::Off {
                stamper.set(sock, o.timestamps, r.frame_count())?;
            }
        }
        Ok(Sender {
            refused,
            ring,
            device: link.device.clone(),
            frame_limit: plan.frame_limit,
            loss: o.loss && plan.geometry.is_some(),
            stamper,
            stamps: Vec::new(),
            breaker: Some(breaker),
            waiter: None,
            waits: 0,
        })
    }

    /// The error-queue stamps shared with the capture's wait loop.
    pub fn stash(&self) -> Arc<parking_lot::Mutex<Stash>> {
        self.stamper.stash()
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
        let Some(ring) = &self.ring else {
            return Err(Error::msg("TX timestamps need the TX ring, which this handle does not have"));
        };
        self.stamper.set(sock, t, ring.frame_count())
    }

    /// How many times send calls slept waiting for the kernel (a full ring,
    /// a full send buffer, frames to complete for their stamps) since
    /// activation: each sleep ends on a kernel wake-up, a breakloop, or
    /// after 100 ms.
    pub fn waits(&self) -> u64 {
        self.waits
    }

    /// The TX timestamps of the frames the last send call sent, in order.
    pub fn stamps(&self) -> &[TxStamp] {
        &self.stamps
    }

    /// Send one packet (`pcap_inject`): its length, or libpcap's error.
    pub fn inject(&mut self, sock: &PacketSocket, pkt: &[u8]) -> Result<usize> {
        // The common case in few steps (after a system call every line of
        // user code is a cache miss): fill, kick, settle.
        let plain = self.refused.is_none() && !self.stamper.on() && !self.loss;
        if plain && !pkt.is_empty() && self.frame_limit.is_none_or(|l| l.allows(pkt)) {
            if let Some(ring) = self.ring.as_mut() {
                if ring.queued() == 0 && ring.push(pkt) == Ok(true) {
                    self.stamps.clear();
                    let r = ring.kick(sock);
                    if r.is_ok() && ring.settle().left == 0 {
                        return Ok(pkt.len());
                    }
                    let frames = [pkt];
                    let mut run = Run::new(&frames);
                    return match self.resolve(sock, Mode::Single, &mut run, r) {
                        Ok(()) => Ok(pkt.len()),
                        Err((_, s)) => Err(self.word(0, 0, &frames, s, Mode::Single)),
                    };
                }
            }
            if self.ring.is_none() {
                return sock.send(pkt, 0).map_err(|e| Error::os("send", &e));
            }
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
            return Outcome { sent: 0, discarded: Vec::new(), error: Some(Error::msg(m)) };
        }
        let mut run = Run::new(frames);
        let stop = if self.ring.is_some() { self.send_ring(sock, &mut run, mode) } else { self.send_plain(sock, &mut run, mode) };
        let mut error = stop.map(|(i, s)| self.word(i, first, frames, s, mode));
        if !run.discarded.is_empty() {
            let said = self.word_discarded(&run.discarded, first, frames, mode);
            error = Some(match error {
                Some(e) => Error::new(e.code, format!("{}; {said}", e.message)),
                None => Error::new(code::ERROR, said),
            });
        }
        Outcome { sent: run.sent, discarded: run.discarded, error }
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

    /// Returns where and why sending stopped, if it did.
    fn send_ring(&mut self, sock: &PacketSocket, run: &mut Run<'_>, mode: Mode) -> Option<(usize, Stop)> {
        let mut i = 0;
        while i < run.frames.len() {
            if let Some(s) = self.check(sock, run.frames[i]) {
                return Some(self.flush(sock, mode, run).err().unwrap_or((i, s)));
            }
            let ring = self.ring.as_mut().expect("ring");
            match ring.push(run.frames[i]) {
                Ok(true) => i += 1,
                Ok(false) => {
                    if let Err(e) = self.flush(sock, mode, run) {
                        return Some(e);
                    }
                    if let Err(s) = self.wait_for_room(sock) {
                        return Some((run.settled, s));
                    }
                }
                Err(max) => unreachable!("checked above: {max}"),
            }
        }
        self.flush(sock, mode, run).err()
    }

    /// Kick the queued frames and settle them; frames the kernel did not
    /// take are reclaimed (after retries where `mode` allows).
    fn flush(&mut self, sock: &PacketSocket, mode: Mode, run: &mut Run<'_>) -> std::result::Result<(), (usize, Stop)> {
        let ring = self.ring.as_mut().expect("ring");
        if ring.queued() == 0 {
            return Ok(());
        }
        let r = ring.kick(sock);
        self.resolve(sock, mode, run, r)
    }

    /// After a kick that returned `r`: settle the queued frames, kick again
    /// where `mode` and the error allow, and reclaim what the kernel did not
    /// take; `run` advances past the frames taken. Errors say at which frame.
    fn resolve(&mut self, sock: &PacketSocket, mode: Mode, run: &mut Run<'_>, mut r: io::Result<usize>) -> std::result::Result<(), (usize, Stop)> {
        let mut enobufs_since: Option<u64> = None;
        let mut taken_total = 0;
        let start = run.settled;
        let keys_from = run.keys.len();
        let result = loop {
            let s = self.ring.as_mut().expect("ring").settle();
            if s.taken > 0 {
                enobufs_since = None;
                taken_total += s.taken;
                if let Err(e) = self.account(run, s.taken, r.as_ref().ok().copied()) {
                    break Err(e);
                }
            }
            if s.left == 0 {
                break Ok(());
            }
            if s.wrong_format {
                // The kernel built (and keyed) the skb before checking it.
                self.stamper.next_key();
                break Err((run.settled, Stop::WrongFormat(r.err())));
            }
            let blocking = !sock.nonblocking().unwrap_or(true);
            match r {
                Err(e) if e.raw_os_error() == Some(libc::EAGAIN) && blocking => {
                    // The socket's send buffer is full: wait until completed
                    // frames make room, and kick the rest.
                    if let Err(s) = self.wait_event(sock, WAIT_SLICE_MS) {
                        break Err((run.settled, s));
                    }
                    r = self.ring.as_ref().expect("ring").kick(sock);
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) && mode == Mode::Batch && blocking => {
                    let now = poll::monotonic_ns();
                    let since = *enobufs_since.get_or_insert(now);
                    if now - since > ENOBUFS_PATIENCE_NS {
                        break Err((run.settled, Stop::Os(e)));
                    }
                    poll::sleep_ns(20_000);
                    r = self.ring.as_ref().expect("ring").kick(sock);
                }
                Err(e) => break Err((run.settled, Stop::Os(e))),
                // Success with frames left: the kernel's head is not where
                // ours is. Never expected; stop rather than resend blindly.
                Ok(_) => break Err((run.settled, Stop::Stuck(s.left))),
            }
        };
        if result.is_err() {
            self.ring.as_mut().expect("ring").reclaim();
        }
        if self.stamper.on() && taken_total > 0 {
            self.collect_stamps(sock, start, taken_total, &run.keys[keys_from..]);
        }
        result
    }

    /// `taken` frames from `run.settled` on were taken by the kernel after
    /// a kick that reported `bytes` transmitted (None: the kick failed
    /// later on): count those sent and, under PACKET_LOSS, those discarded.
    fn account(&mut self, run: &mut Run<'_>, taken: usize, bytes: Option<usize>) -> std::result::Result<(), (usize, Stop)> {
        let range = run.settled..run.settled + taken;
        run.settled += taken;
        let mut gone = Vec::new();
        if self.loss {
            let mut expect = 0;
            for i in range.clone() {
                let f = run.frames[i];
                if self.frame_limit.is_some_and(|l| l.malformed(f)) {
                    gone.push(i);
                } else {
                    expect += f.len();
                }
            }
            if let Some(b) = bytes.filter(|&b| b != expect) {
                for _ in range.clone() {
                    self.stamper.next_key();
                }
                let all: usize = range.clone().map(|i| run.frames[i].len()).sum();
                return Err((range.start, Stop::Unexplained { last: range.end - 1, bytes: all.saturating_sub(b) }));
            }
        }
        for i in range {
            let key = self.stamper.next_key();
            if gone.first() == Some(&i) {
                run.discarded.push(gone.remove(0));
                continue;
            }
            run.sent += 1;
            if self.stamper.on() {
                run.keys.push((i, key));
            }
        }
        Ok(())
    }

    /// One bounded wait for the kernel's wake-up (a completed frame, room
    /// in the send buffer) or a breakloop. A pending breakloop ends the
    /// wait at once (and stays pending for the read loop).
    fn wait_event(&mut self, sock: &PacketSocket, timeout_ms: i32) -> std::result::Result<(), Stop> {
        let pending = || self.breaker.as_ref().is_some_and(|b| b.pending());
        if pending() {
            return Err(Stop::Break);
        }
        if self.waiter.is_none() {
            let ep = poll::Epoll::new().map_err(Stop::Os)?;
            ep.add(sock.as_fd(), poll::EPOLLOUT, TOKEN_SOCKET).map_err(Stop::Os)?;
            if let Some(d) = self.breaker.as_ref().and_then(|b| b.doorbell()) {
                ep.add(d.as_fd(), poll::EPOLLIN, TOKEN_BREAK).map_err(Stop::Os)?;
            }
            self.waiter = Some(ep);
        }
        self.waits += 1;
        match self.waiter.as_ref().expect("waiter").wait(timeout_ms) {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
            Err(e) => return Err(Stop::Os(e)),
        }
        if self.breaker.as_ref().is_some_and(|b| b.pending()) {
            return Err(Stop::Break);
        }
        Ok(())
    }

    /// Wait until the frame at the cursor is free (blocking mode), or
    /// report "would block" (non-blocking mode).
    fn wait_for_room(&mut self, sock: &PacketSocket) -> std::result::Result<(), Stop> {
        loop {
            if self.ring.as_ref().expect("ring").has_room() {
                return Ok(());
            }
            if sock.nonblocking().map_err(Stop::Os)? {
                return Err(Stop::Os(io::Error::from_raw_os_error(libc::EAGAIN)));
            }
            self.wait_event(sock, WAIT_SLICE_MS)?;
        }
    }

    /// After the `taken` frames from index `start` on went out: wait
    /// (bounded) until they complete, then take the timestamps of the sent
    /// ones (`keys`: their index in the call and stamp key), oldest first.
    fn collect_stamps(&mut self, sock: &PacketSocket, start: usize, taken: usize, keys: &[(usize, u32)]) {
        let deadline = poll::monotonic_ns() + STAMP_PATIENCE_NS;
        while !self.ring.as_ref().expect("ring").completed(taken) {
            let left = deadline.saturating_sub(poll::monotonic_ns());
            if left == 0 || self.wait_event(sock, (left / 1_000_000).clamp(1, WAIT_SLICE_MS as u64) as i32).is_err() {
                break;
            }
        }
        // The taken frames are the last `taken` before the cursor.
        let ring = self.ring.as_ref().expect("ring");
        let frames: Vec<(u32, TxStamp)> = keys.iter().map(|&(i, key)| (key, ring.stamp(taken - (i - start)))).collect();
        let got = self.stamper.collect(sock, &frames);
        self.stamps.extend(got);
    }

    /// No TX ring: the frames as messages of `sendmmsg()` calls (one
    /// system call for up to [`MMSG_BATCH`] frames; each is still one
    /// `send()` inside the kernel, libpcap's way, with its errors).
    fn send_plain(&mut self, sock: &PacketSocket, run: &mut Run<'_>, mode: Mode) -> Option<(usize, Stop)> {
        let mut enobufs_since: Option<u64> = None;
        while run.settled < run.frames.len() {
            let mut end = run.settled;
            while end < run.frames.len() && end - run.settled < MMSG_BATCH {
                match self.check(sock, run.frames[end]) {
                    None => end += 1,
                    Some(s) if end == run.settled => return Some((end, s)),
                    Some(_) => break,
                }
            }
            match sock.send_many(&run.frames[run.settled..end], 0) {
                Ok(n) => {
                    // Fewer than asked: the next call meets the error.
                    run.settled += n;
                    run.sent += n;
                    enobufs_since = None;
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) && mode == Mode::Batch && !sock.nonblocking().unwrap_or(true) => {
                    let now = poll::monotonic_ns();
                    if now - *enobufs_since.get_or_insert(now) > ENOBUFS_PATIENCE_NS {
                        return Some((run.settled, Stop::Os(e)));
                    }
                    poll::sleep_ns(20_000);
                }
                Err(e) => return Some((run.settled, Stop::Os(e))),
            }
        }
        None
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
                l.header.len
            ),
            (Stop::RingFrame { max, frame_size }, _) => format!(
                "{}packet of {len} bytes does not fit in a {frame_size}-byte TX ring frame (at most {max} bytes; see ringcap_set_tx_ring or RINGCAP_TX_RING)",
                if mode == Mode::Batch { format!("frame {n}: ") } else { String::new() }
            ),
            (Stop::Os(e), Mode::Single) => return Error::os("send", e),
            (Stop::Os(e), Mode::Batch) => format!("{} (at frame {n})", crate::error::with_errno("send", e)),
            (Stop::WrongFormat(e), Mode::Single) => match e {
                Some(e) => return Error::os("send", e),
                None => "send: the kernel refused the frame as malformed".to_string(),
            },
            (Stop::WrongFormat(e), Mode::Batch) => format!(
                "{}the kernel refused frame {n} ({len} bytes) as malformed (TP_STATUS_WRONG_FORMAT)",
                e.as_ref().map_or(String::new(), |e| format!("{}: ", crate::error::with_errno("send", e)))
            ),
            (Stop::Stuck(n), _) => format!("send: the kernel left {n} TX ring frames unsent; they were taken back"),
            (Stop::Break, Mode::Single) => "send: interrupted by pcap_breakloop".to_string(),
            (Stop::Break, Mode::Batch) => return Error::new(code::BREAK, format!("send: interrupted by pcap_breakloop (at frame {n})")),
            (Stop::Unexplained { last, bytes }, _) => format!(
                "send: the kernel discarded {bytes} bytes of frames {n} to {} (PACKET_LOSS) that ringcap cannot attribute to frames; none of them is counted as sent",
                first + last
            ),
        };
        Error::new(code::ERROR, text)
    }

    /// Name the frames the kernel discarded under PACKET_LOSS.
    fn word_discarded(&self, discarded: &[usize], first: usize, frames: &[&[u8]], mode: Mode) -> String {
        if mode == Mode::Single {
            let len = frames.first().map_or(0, |f| f.len());
            return format!("send: the kernel discarded the frame ({len} bytes) as malformed (PACKET_LOSS)");
        }
        let names: Vec<String> = discarded.iter().map(|&i| format!("{} ({} bytes)", first + i, frames[i].len())).collect();
        let s = if names.len() == 1 { "" } else { "s" };
        format!("the kernel discarded frame{s} {} as malformed (PACKET_LOSS); not sent", names.join(", "))
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
/// the same moment go as one batch). Returns the bytes of the records sent
/// (a record the kernel discarded under PACKET_LOSS is not sent: its bytes
/// do not count, the error names it, and the records after it go), and the
/// error that stopped it or names discarded records.
pub fn transmit_queue(s: &mut Sender, sock: &PacketSocket, buf: &[u8], sync: bool) -> (usize, Option<Error>) {
    let mut records = Vec::new();
    let mut parse_error = None;
    for r in queue_records(buf) {
        match r {
            Ok(rec) => records.push(rec),
            Err(e) => parse_error = Some(e),
        }
    }
    let mut sent_bytes = 0usize;
    let mut discards: Option<Error> = None;
    let mut stamps = Vec::new();
    let start = poll::monotonic_ns();
    let first_us = records.first().map(|r| record_us(&r.1)).unwrap_or(0);
    // Records out of order in time go as soon as the one before them.
    let mut last_due = 0u64;
    let mut due = |h: &PacketHeader| {
        last_due = last_due.max((record_us(h) - first_us).max(0) as u64 * 1000);
        last_due
    };
    let record_len = |r: &(usize, PacketHeader, &[u8])| std::mem::size_of::<PacketHeader>() + r.2.len();
    // Sliced per batch: with `sync` a batch is often one record.
    let all_frames: Vec<&[u8]> = records.iter().map(|r| r.2).collect();
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
        let frames = &all_frames[i..j];
        let o = s.send_numbered(sock, frames, Mode::Batch, i);
        stamps.extend_from_slice(s.stamps());
        // Sent and discarded records are the ones before where it stopped.
        let done = o.sent + o.discarded.len();
        sent_bytes += (0..done).filter(|k| !o.discarded.contains(k)).map(|k| record_len(&records[i + k])).sum::<usize>();
        if done < frames.len() {
            s.stamps = stamps;
            return (sent_bytes, o.error);
        }
        // Only discards: the error names them; the queue goes on.
        if let Some(e) = o.error {
            discards = Some(match discards {
                Some(d) => Error::new(d.code, format!("{}; {}", d.message, e.message)),
                None => e,
            });
        }
        i = j;
        // A later record may already be due although the one that was not
        // yet due ended the batch; `due` is monotonic, so no record waits
        // longer than its own time.
    }
    s.stamps = stamps;
    (sent_bytes, discards.or(parse_error))
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
        let l = FrameLimit { mtu: 1500, header: link_header(libc::ARPHRD_ETHER).unwrap() };
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
        assert!(l.malformed(&f[..13]) && !l.malformed(&f[..14]));
        let lo = FrameLimit { mtu: 65536, header: link_header(libc::ARPHRD_LOOPBACK).unwrap() };
        let mut t = vec![0u8; 65551];
        t[12] = 0x81;
        assert!(!lo.allows(&t));
        let tun = FrameLimit { mtu: 1500, header: link_header(libc::ARPHRD_NONE).unwrap() };
        assert!(tun.allows(&[0x45; 1500]) && !tun.allows(&[0x45; 1501]));
        assert!(!tun.malformed(&[0x45]));
    }

    #[test]
    fn link_headers_only_where_the_kernel_fixes_them() {
        assert_eq!(link_header(libc::ARPHRD_ETHER), Some(LinkHeader { len: 14, min: 14, vlan_extra: true }));
        assert_eq!(link_header(libc::ARPHRD_NONE), Some(LinkHeader { len: 0, min: 0, vlan_extra: false }));
        // ipip, sit: left to the kernel.
        assert_eq!(link_header(libc::ARPHRD_TUNNEL), None);
        assert_eq!(link_header(libc::ARPHRD_SIT), None);
    }

    #[test]
    fn default_ring_size() {
        assert_eq!(default_tx_frames(2048), 128);
        assert_eq!(default_tx_frames(9088), 28);
        assert_eq!(default_tx_frames(65_616), 8);
    }
}

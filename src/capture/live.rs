//! `LiveCapture`: an activated live handle — the socket, its receive ring,
//! the delivery rules — and libpcap's reading semantics over it
//! (`pcap_dispatch`, `pcap_loop`, `pcap_next_ex`), waiting, non-blocking
//! mode, direction, link-type switching and statistics.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use super::deliver::{Delivery, Direction};
use super::fanout::{Fanout, FanoutSpec, Program};
use super::linktype::vlan_offset;
use crate::dlt;
use crate::error::{Error, Result};
use crate::packet::{break_error, Breaker, Next, PacketHeader, PacketSource};
use crate::ring::{CurrentPacket, PacketSocket, RingGeometry, RxRing, Slot, SlotMeta};
use crate::sys::{netdev, poll};

/// What the C handle shell may touch while a read loop owns the capture
/// (statistics from a signal handler, the descriptor): all behind `&self`.
#[derive(Debug)]
pub struct LiveShared {
    pub sock: PacketSocket,
    pub device: String,
    promisc: bool,
    /// rx_missed_errors + rx_fifo_errors at the last look, and the sum of
    /// their increases since activation (promiscuous captures only).
    sysfs_last: AtomicI64,
    ifdrop: AtomicU64,
    /// The send side, usable while a read loop owns the capture (a callback
    /// may inject on its own handle, as with libpcap).
    pub tx: parking_lot::Mutex<super::inject::Sender>,
    /// The packet a `dispatch` callback is being shown.
    pub current: CurrentPacket,
    /// The fanout group this handle joined (after `sock`, so the socket
    /// leaves the kernel's group before the process-wide record).
    pub fanout: Fanout,
    /// TX timestamps waiting for the sender, which the wait loop drains
    /// from the socket's error queue (a non-empty one makes poll report
    /// POLLERR).
    tx_stamps: Arc<parking_lot::Mutex<super::txstamp::Stash>>,
    /// The device went down (ENETDOWN) and has not been seen up again nor
    /// gone: reads look every millisecond. Shared so that
    /// `pcap_get_required_select_timeout` answers from inside a callback
    /// too, as libpcap's does.
    netdown: AtomicBool,
}

/// libpcap's `pcap_stat` counters (32-bit, wrapping like libpcap's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub recv: u32,
    pub drop: u32,
    pub ifdrop: u32,
}

impl LiveShared {
    pub fn new(sock: PacketSocket, device: &str, promisc: bool, fanout: Fanout, tx: super::inject::Sender) -> LiveShared {
        let base = if promisc { sysfs_drops(device) } else { 0 };
        let current = CurrentPacket::new(sock.version().unwrap_or(crate::ring::Version::V3));
        LiveShared {
            current,
            sock,
            device: device.to_string(),
            promisc,
            sysfs_last: AtomicI64::new(base),
            ifdrop: AtomicU64::new(0),
            fanout,
            tx_stamps: tx.stash(),
            tx: parking_lot::Mutex::new(tx),
            netdown: AtomicBool::new(false),
        }
    }

    /// Join a fanout group now (the socket is bound and running); returns
    /// the group id (the kernel's choice with UNIQUEID).
    pub fn join_fanout(&self, spec: &FanoutSpec) -> Result<u16> {
        self.fanout.join(&self.sock, spec)
    }

    /// Set the program of the CBPF or EBPF fanout group this handle is in
    /// (for every member of the group).
    pub fn set_fanout_program(&self, program: &Program) -> Result<()> {
        self.fanout.set_program(&self.sock, program)
    }

    /// Whether the device is down and the capture waiting for it.
    pub fn netdown(&self) -> bool {
        self.netdown.load(Ordering::Relaxed)
    }

    fn set_netdown(&self, down: bool) {
        self.netdown.store(down, Ordering::Relaxed);
    }

    /// `pcap_stats`: packets that passed the kernel filter (drops included)
    /// and ring drops, cumulative since activation; interface drops in
    /// promiscuous mode.
    pub fn pcap_stats(&self) -> Result<Stats> {
        if self.promisc {
            let now = sysfs_drops(&self.device);
            let before = self.sysfs_last.swap(now, Ordering::Relaxed);
            self.ifdrop.fetch_add(now.wrapping_sub(before) as u64, Ordering::Relaxed);
        }
        let k = self.sock.stats().map_err(|e| Error::os("failed to get statistics from socket", &e))?;
        Ok(Stats { recv: k.packets as u32, drop: k.drops as u32, ifdrop: self.ifdrop.load(Ordering::Relaxed) as u32 })
    }
}

/// rx_missed_errors + rx_fifo_errors from sysfs (0 where unreadable).
fn sysfs_drops(device: &str) -> i64 {
    let read = |stat: &str| {
        std::fs::read_to_string(format!("/sys/class/net/{device}/statistics/{stat}"))
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0)
    };
    read("rx_missed_errors") + read("rx_fifo_errors")
}

/// ringcap's own counters (`ringcap_stats_ex`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub polls: u64,
    pub wakeups: u64,
    pub userland_rejected: u64,
    /// Frames (V1/V2) or blocks (V3) handed back, and packets read.
    pub units_consumed: u64,
    pub packets_read: u64,
}

#[derive(Debug)]
pub struct LiveCapture {
    pub(super) shared: Arc<LiveShared>,
    pub(super) rx: RxRing,
    pub(super) d: Delivery,
    pub(super) ifindex: i32,
    pub(super) dlt_list: Vec<i32>,
    pub(super) timeout_ms: i32,
    pub(super) nonblock: bool,
    pub(super) breaker: Arc<Breaker>,
    pub(super) geometry: RingGeometry,
    pub(super) vlan_ancillary: bool,
    /// Busy-poll budget before sleeping in poll (0: none).
    pub(super) spin_ns: u64,
    pub(super) polls: u64,
    pub(super) wakeups: u64,
    /// PACKET_RESERVE bytes in front of every received packet.
    pub(super) reserve: u32,
    /// Headers of the packets the current batch keeps (`next_batch`), and
    /// how many packets it holds (also those `next_batch_with` showed).
    pub(super) batch: Vec<PacketHeader>,
    pub(super) batch_len: usize,
}

/// The rings of an activated capture, as set up (`ringcap_get_ring_info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingInfo {
    pub rx: RingGeometry,
    pub tx: Option<RingGeometry>,
    /// Bytes of the one mapping that holds both rings.
    pub mapped_bytes: usize,
    /// The kernel's frame header length for the version (`tp_hdrlen`).
    pub header_len: u32,
    /// PACKET_RESERVE.
    pub reserve: u32,
}

/// The kernel's cumulative counters and ringcap's own (`ringcap_stats_ex`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsEx {
    pub kernel: crate::ring::socket::KernelStats,
    pub counters: Counters,
}

/// One packet of a batch (`next_batch`): its delivered header, its bytes in
/// the ring, and the frame header's metadata.
#[derive(Clone, Copy, Debug)]
pub struct BatchPacket<'a> {
    pub hdr: PacketHeader,
    pub data: &'a [u8],
    pub meta: SlotMeta,
}

/// How a wait ended.
enum Woke {
    /// The ring may have something (poll said readable, or the spin saw it).
    Ready,
    /// The timeout passed (or, non-blocking, nothing was waiting).
    Timeout,
}

impl LiveCapture {
    pub fn shared(&self) -> &Arc<LiveShared> {
        &self.shared
    }

    /// Join a fanout group after activation (see [`LiveShared::join_fanout`]).
    pub fn join_fanout(&self, spec: &FanoutSpec) -> Result<u16> {
        self.shared.join_fanout(spec)
    }

    pub fn fd(&self) -> i32 {
        self.shared.sock.raw_fd()
    }

    pub fn linktype(&self) -> i32 {
        self.d.linktype
    }

    pub fn snapshot(&self) -> u32 {
        self.d.snapshot
    }

    pub fn geometry(&self) -> RingGeometry {
        self.geometry
    }

    pub fn vlan_ancillary(&self) -> bool {
        self.vlan_ancillary
    }

    pub fn ifindex(&self) -> i32 {
        self.ifindex
    }

    pub fn is_cooked(&self) -> bool {
        self.d.cooked
    }

    /// The DLTs `pcap_set_datalink` accepts (empty: only the current one).
    pub fn dlt_list(&self) -> &[i32] {
        &self.dlt_list
    }

    /// The packet `next_packet` delivered last (its bytes and metadata),
    /// while it is still valid (until the next read).
    pub fn last_packet(&self) -> Option<(&[u8], SlotMeta)> {
        Some((self.rx.current(), self.rx.current_meta()?))
    }

    pub fn counters(&self) -> Counters {
        let (units, packets) = self.rx.consumed();
        Counters {
            polls: self.polls,
            wakeups: self.wakeups,
            userland_rejected: self.d.rejected,
            units_consumed: units,
            packets_read: packets,
        }
    }

    /// The rings as set up.
    pub fn ring_info(&self) -> RingInfo {
        let tx = self.shared.sock.tx_geometry();
        RingInfo {
            rx: self.geometry,
            tx,
            mapped_bytes: self.geometry.size() + tx.map_or(0, |g| g.size()),
            header_len: self.geometry.version.hdrlen(),
            reserve: self.reserve,
        }
    }

    /// The kernel's counters (tp_packets, tp_drops, tp_freeze_q_cnt,
    /// cumulative since activation, read now) and ringcap's own.
    pub fn stats_ex(&self) -> Result<StatsEx> {
        let kernel = self.shared.sock.stats().map_err(|e| Error::os("failed to get statistics from socket", &e))?;
        Ok(StatsEx { kernel, counters: self.counters() })
    }

    /// Receive a batch: up to `max` packets that are ready, left in the ring
    /// (no copy) until [`LiveCapture::release_batch`] or the next read of
    /// any kind, which releases them. Waits up to `timeout_ms` (-1: until a
    /// packet, a breakloop or an error; 0: not at all) when none is ready.
    /// Returns how many packets the batch holds (0: the timeout passed); a
    /// honoured breakloop is `Err` with `PCAP_ERROR_BREAK`.
    pub fn next_batch(&mut self, max: usize, timeout_ms: i32) -> Result<usize> {
        self.receive_batch(max, timeout_ms, &mut |_, _, _| {}, true)
    }

    /// As [`LiveCapture::next_batch`], showing each packet to `visit` as it
    /// is taken (header, bytes, its place in the ring) instead of keeping
    /// where it is: for callers that record what they need in one pass (the
    /// C ABI's descriptors). [`LiveCapture::batch_packet`] does not see
    /// these packets; they stay valid just as long.
    pub fn next_batch_with<F: FnMut(&PacketHeader, &[u8], &Slot<'_>)>(&mut self, max: usize, timeout_ms: i32, visit: &mut F) -> Result<usize> {
        self.receive_batch(max, timeout_ms, visit, false)
    }

    fn receive_batch<F: FnMut(&PacketHeader, &[u8], &Slot<'_>)>(&mut self, max: usize, timeout_ms: i32, visit: &mut F, keep: bool) -> Result<usize> {
        self.release_batch();
        if max == 0 {
            return Ok(0);
        }
        self.rx.hold();
        let started = poll::monotonic_ns();
        loop {
            if let Err(e) = self.fill_batch(max, visit, keep) {
                self.release_batch();
                return Err(e);
            }
            if self.batch_len > 0 || timeout_ms == 0 {
                return Ok(self.batch_len);
            }
            let left = if timeout_ms < 0 {
                -1
            } else {
                let spent = ((poll::monotonic_ns() - started) / 1_000_000) as i32;
                if spent >= timeout_ms {
                    return Ok(0);
                }
                timeout_ms - spent
            };
            if let Err(e) = self.wait_for(left) {
                self.release_batch();
                return Err(e);
            }
        }
    }

    #[inline]
    fn fill_batch<F: FnMut(&PacketHeader, &[u8], &Slot<'_>)>(&mut self, max: usize, visit: &mut F, keep: bool) -> Result<()> {
        while self.batch_len < max {
            if self.breaker.take() {
                return Err(break_error());
            }
            let consumed = self.consumed_for_filter();
            let Some(mut slot) = self.rx.take()? else { return Ok(()) };
            let Some(h) = self.d.deliver(&mut slot, consumed)? else { continue };
            visit(&h, &slot.data()[..h.caplen as usize], &slot);
            if keep {
                self.rx.keep_current();
                self.batch.push(h);
            }
            self.batch_len += 1;
        }
        Ok(())
    }

    /// Packet `i` of the current batch (`i` below what `next_batch`
    /// returned); valid until the batch is released.
    pub fn batch_packet(&self, i: usize) -> BatchPacket<'_> {
        let hdr = self.batch[i];
        let (data, meta) = self.rx.held_packet(i);
        BatchPacket { hdr, data: &data[..hdr.caplen as usize], meta }
    }

    /// Hand the current batch's frames/blocks back to the kernel.
    #[inline]
    pub fn release_batch(&mut self) {
        self.batch.clear();
        self.batch_len = 0;
        self.rx.release_held();
    }

    /// `pcap_set_datalink` for a DLT in the device's list.
    pub fn set_datalink(&mut self, dlt: i32) {
        self.d.linktype = dlt;
        self.d.vlan_offset = vlan_offset(dlt);
    }

    pub fn nonblock(&self) -> bool {
        self.nonblock
    }

    /// `pcap_setnonblock` after activation.
    pub fn set_nonblock(&mut self, on: bool) -> Result<()> {
        self.shared.sock.set_nonblocking(on).map_err(|e| Error::os("F_SETFL", &e))?;
        self.nonblock = on;
        Ok(())
    }

    /// `pcap_setdirection`: checked in userland on each packet's type, as
    /// libpcap does. Not PACKET_IGNORE_OUTGOING, although the kernel would
    /// then skip cloning outgoing packets for an inbound-only capture: it
    /// changes what users see. libpcap's `ps_recv` (tcpdump's "received by
    /// filter") counts the outgoing packets the socket received and the
    /// direction check dropped (10 frames sent from the capture interface
    /// with PCAP_D_IN: libpcap 10, IGNORE_OUTGOING 0; c-tests/capture_cmp.c
    /// pins it against the system libpcap).
    pub fn set_direction(&mut self, dir: Direction) {
        self.d.set_direction(dir);
    }

    /// `pcap_setfilter`: attach the program to the socket (rewritten for
    /// cooked sockets); the kernel swaps programs atomically, so every packet
    /// meets one or the other. Packets already in the ring were accepted by
    /// the old filter, so they are filtered in userland. (libpcap attaches a
    /// reject-all program and drains the socket first, for sockets without
    /// a ring, whose queue holds old-filter packets: with a ring that queue
    /// is empty, and packets arriving between the two attaches would be lost
    /// uncounted.) Where the kernel cannot run the program, every packet is
    /// filtered in userland (and the snapshot is applied there).
    pub fn set_filter(&mut self, prog: &[crate::bpf::Insn]) -> Result<()> {
        if !crate::bpf::validate::validate(prog) {
            return Err(Error::msg("BPF program is not valid"));
        }
        let sock = &self.shared.sock;
        let kernel_prog = if prog.len() > u16::MAX as usize {
            None
        } else if self.d.cooked {
            super::kfilter::for_cooked(prog, self.d.linktype)
        } else {
            Some(prog.to_vec())
        };
        let attached = match &kernel_prog {
            Some(k) => sock.attach_filter(k).is_ok(),
            None => false,
        };
        let program = Some(crate::bpf::interp::Compiled::new(prog));
        let until = if attached {
            let (consumed, _) = self.rx.consumed();
            consumed + self.rx.possibly_filled() as u64 + 1
        } else {
            sock.detach_filter().map_err(|e| Error::os("can't remove kernel filter", &e))?;
            u64::MAX
        };
        self.d.set_userland(program, until);
        Ok(())
    }

    /// How long a read waits for packets, in ms: 0 in non-blocking mode,
    /// -1 without a timeout.
    pub fn read_timeout_ms(&self) -> i32 {
        if self.nonblock {
            0
        } else if self.timeout_ms > 0 {
            self.timeout_ms
        } else {
            -1
        }
    }

    /// Wait until the ring may hold a packet, the timeout passes, a
    /// breakloop arrives, or the socket reports an error (libpcap's
    /// pcap_wait_for_frames_mmap, with the pcap timeout honoured for every
    /// TPACKET version).
    fn wait(&mut self) -> Result<Woke> {
        self.wait_for(self.read_timeout_ms())
    }

    /// As `wait`, with an explicit poll timeout in ms (-1: none, 0: do not
    /// block).
    fn wait_for(&mut self, user_timeout: i32) -> Result<Woke> {
        if self.spin_ns > 0 && user_timeout != 0 {
            let deadline = poll::monotonic_ns() + self.spin_ns;
            while poll::monotonic_ns() < deadline {
                if self.rx.ready() {
                    return Ok(Woke::Ready);
                }
                if self.breaker.pending() {
                    break;
                }
                std::hint::spin_loop();
            }
        }
        let (shared, breaker) = (self.shared.clone(), self.breaker.clone());
        let sock = &shared.sock;
        let bell = breaker.doorbell().map(std::os::fd::AsFd::as_fd);
        let started = poll::monotonic_ns();
        loop {
            // While the device is down, look again every millisecond.
            let timeout = if self.shared.netdown() && user_timeout != 0 { 1 } else { user_timeout };
            self.polls += 1;
            let (rs, rb) = match poll::poll2(std::os::fd::AsFd::as_fd(sock), poll::POLLIN, bell, timeout) {
                Ok(r) => r,
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {
                    if self.breaker.take() {
                        return Err(break_error());
                    }
                    continue;
                }
                Err(e) => return Err(Error::os("can't poll on packet socket", &e)),
            };
            if rs.invalid() {
                return Err(Error::msg("Invalid polling request on packet socket"));
            }
            if rs.hangup() {
                return Err(Error::msg("Hangup on packet socket"));
            }
            if rs.error() {
                let err = sock.take_error().unwrap_or_else(|e| e.raw_os_error().unwrap_or(0));
                match err {
                    libc::ENETDOWN => self.shared.set_netdown(true),
                    // TX timestamps in the error queue are no error: keep
                    // them for the sender.
                    0 if shared.tx_stamps.lock().drain(sock).unwrap_or(0) > 0 => {}
                    0 => return Err(Error::msg("Error condition on packet socket: Reported error was 0")),
                    e => {
                        return Err(Error::os("Error condition on packet socket", &std::io::Error::from_raw_os_error(e)))
                    }
                }
            }
            if rb.readable() {
                if self.breaker.take() {
                    return Err(break_error());
                }
                // A ring whose request was already honoured: silence it.
                if let Some(d) = self.breaker.doorbell() {
                    d.drain();
                }
            }
            if self.shared.netdown() {
                self.check_device()?;
            }
            if rs.readable() {
                self.wakeups += 1;
                return Ok(Woke::Ready);
            }
            if user_timeout == 0 {
                return Ok(Woke::Timeout);
            }
            let timed_out = !rs.any() && !rb.any();
            if user_timeout > 0 {
                let elapsed_ms = (poll::monotonic_ns() - started) / 1_000_000;
                if (timed_out && !self.shared.netdown()) || elapsed_ms >= user_timeout as u64 {
                    return Ok(Woke::Timeout);
                }
            }
        }
    }

    /// After ENETDOWN: has the device gone, or come back up?
    fn check_device(&mut self) -> Result<()> {
        if self.ifindex > 0 {
            let bound = self.shared.sock.bound_ifindex().map_err(|e| Error::os("getsockname failed", &e))?;
            if bound == -1 {
                return Err(Error::msg("The interface disappeared"));
            }
            // Interface ioctls work on any socket: the capture's own does,
            // with no new descriptor each millisecond the device is down.
            match netdev::flags(std::os::fd::AsFd::as_fd(&self.shared.sock), &self.shared.device) {
                Ok(f) if f & libc::IFF_UP as u32 != 0 => self.shared.set_netdown(false),
                Ok(_) => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENXIO) | Some(libc::ENODEV)) => {
                    return Err(Error::msg("The interface disappeared"))
                }
                Err(e) => return Err(Error::os(format!("{}: Can't get flags", self.shared.device), &e)),
            }
        }
        Ok(())
    }

    /// Deliver ready packets, at most `max`; stops early on a breakloop.
    /// A breakloop is honoured before each packet and after the last one
    /// (so one requested from the last callback still ends the loop, as in
    /// libpcap).
    #[inline]
    fn drain_ready(&mut self, max: i32, cb: &mut dyn FnMut(&PacketHeader, &[u8])) -> Result<i32> {
        let mut pkts = 0;
        while pkts < max {
            if self.breaker.take() {
                return Err(break_error());
            }
            let consumed = self.consumed_for_filter();
            let Some(mut slot) = self.rx.take()? else { break };
            if let Some(h) = self.d.deliver(&mut slot, consumed)? {
                self.shared.current.set(&slot);
                cb(&h, &slot.data()[..h.caplen as usize]);
                pkts += 1;
            }
        }
        if self.breaker.take() {
            return Err(break_error());
        }
        Ok(pkts)
    }

    /// The ring's count of frames/blocks handed back, for `deliver`: it
    /// needs it only while a userland filter is on (to know when to stop).
    #[inline]
    fn consumed_for_filter(&self) -> u64 {
        if self.d.filters_in_userland() {
            self.rx.consumed().0
        } else {
            0
        }
    }
}

impl PacketSource for LiveCapture {
    fn dispatch(&mut self, cnt: i32, cb: &mut dyn FnMut(&PacketHeader, &[u8])) -> Result<i32> {
        self.release_batch();
        let max = if cnt <= 0 { i32::MAX } else { cnt };
        loop {
            if !self.rx.ready() {
                match self.wait() {
                    Ok(Woke::Ready) => {}
                    Ok(Woke::Timeout) => return Ok(0),
                    Err(e) => {
                        self.rx.release_pending();
                        return Err(e);
                    }
                }
            }
            let n = self.drain_ready(max, cb);
            self.shared.current.clear();
            self.rx.release_pending();
            let n = n?;
            // With no timeout (block forever), only return with a packet.
            if n == 0 && self.timeout_ms == 0 && !self.nonblock {
                continue;
            }
            return Ok(n);
        }
    }

    fn next_packet(&mut self) -> Result<Next<'_>> {
        self.release_batch();
        loop {
            if self.breaker.take() {
                return Err(break_error());
            }
            let consumed = self.consumed_for_filter();
            let delivered = match self.rx.take()? {
                Some(mut slot) => self.d.deliver(&mut slot, consumed)?,
                None => {
                    match self.wait()? {
                        Woke::Ready => continue,
                        Woke::Timeout if self.timeout_ms == 0 && !self.nonblock => continue,
                        Woke::Timeout => return Ok(Next::Timeout),
                    }
                }
            };
            if let Some(h) = delivered {
                return Ok(Next::Packet(h, &self.rx.current()[..h.caplen as usize]));
            }
        }
    }

    fn zero_means_end(&self) -> bool {
        false
    }
}

impl LiveCapture {
    /// `pcap_next_ex`'s fast path: the next packet if one is ready now and
    /// nothing else is in the way (no breakloop pending, no batch held);
    /// `None` sends the caller down `next_packet`, which waits, honours the
    /// breakloop and goes past packets delivery drops.
    #[inline]
    pub fn next_ready(&mut self) -> Option<Result<(PacketHeader, &[u8])>> {
        if self.batch_len != 0 || self.breaker.pending() {
            return None;
        }
        let consumed = self.consumed_for_filter();
        let mut slot = match self.rx.take() {
            Ok(Some(slot)) => slot,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        match self.d.deliver(&mut slot, consumed) {
            Ok(Some(h)) => Some(Ok((h, &slot.into_data()[..h.caplen as usize]))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// DLT of the device as `pcap_list_datalinks` reports it.
    pub fn datalinks(&self) -> Vec<i32> {
        if self.dlt_list.is_empty() {
            vec![self.d.linktype]
        } else {
            self.dlt_list.clone()
        }
    }

    /// Whether `dlt` is selectable with `pcap_set_datalink`.
    pub fn supports_datalink(&self, dlt: i32) -> bool {
        self.dlt_list.contains(&dlt) || dlt == self.d.linktype
    }

    /// A DLT_DOCSIS selection keeps Ethernet framing (libpcap only relabels).
    pub fn is_relabel_only(&self, dlt: i32) -> bool {
        self.dlt_list.len() == 2 && self.dlt_list[0] == dlt::DLT_EN10MB && dlt == 143
    }
}

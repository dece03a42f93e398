//! Live capture: [`CaptureBuilder`] (every option, libpcap's and ringcap's),
//! [`Capture`] (reading one packet at a time, in callbacks or in zero-copy
//! [`Batch`]es), [`Packet`] (bytes, header and the ring's metadata) and
//! [`BreakHandle`] (`pcap_breakloop` from another thread or a signal
//! handler).

use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use super::{Filter, Injector};
use crate::capture::inject::TxTimestamps;
use crate::capture::{self, Direction, LiveCapture, Options, RingInfo, RingOverride, Stats, StatsEx};
use crate::error::{Error, Result};
use crate::filter::{CompileOptions, NETMASK_UNKNOWN};
use crate::packet::{Breaker, Next, PacketHeader, PacketSource, Precision};
use crate::ring::{LinkAddr, SlotMeta, TsSource, Version};

/// Options for a live capture, applied by [`CaptureBuilder::activate`].
///
/// ```no_run
/// use std::time::Duration;
/// use ringcap::api::{Capture, Version};
///
/// let mut cap = Capture::builder("eth0")
///     .snaplen(128)
///     .timeout(Duration::from_millis(100))
///     .tpacket_version(Version::V3)
///     .activate()?;
/// while let Some(p) = cap.next_packet()? {
///     println!("{} bytes, rxhash {:#x}", p.len(), p.rxhash());
/// }
/// # Ok::<(), ringcap::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CaptureBuilder {
    opts: Options,
}

impl CaptureBuilder {
    /// A capture on `device` (`"any"`: every interface, cooked), with
    /// libpcap's defaults and ringcap's ring; the `RINGCAP_*` environment
    /// variables are ignored unless [`CaptureBuilder::environment`] asks for
    /// them.
    pub fn new(device: &str) -> CaptureBuilder {
        let mut opts = Options::new(device);
        opts.environment = false;
        CaptureBuilder { opts }
    }

    /// Bytes kept of each packet (0: 262144, libpcap's maximum).
    pub fn snaplen(mut self, bytes: u32) -> Self {
        self.opts.snaplen = bytes.min(i32::MAX as u32) as i32;
        self
    }

    pub fn promisc(mut self, on: bool) -> Self {
        self.opts.promisc = on;
        self
    }

    /// How long a read waits for packets (`pcap_set_timeout`); zero waits
    /// until one arrives.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.opts.timeout_ms = t.as_millis().min(i32::MAX as u128) as i32;
        self
    }

    /// The receive ring's size in bytes (`pcap_set_buffer_size`).
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.opts.buffer_size = bytes.min(i32::MAX as usize) as i32;
        self
    }

    /// Deliver packets as soon as they arrive (`pcap_set_immediate_mode`).
    pub fn immediate(mut self, on: bool) -> Self {
        self.opts.immediate = on;
        self
    }

    /// Timestamp precision of [`Packet::header`].
    pub fn precision(mut self, p: Precision) -> Self {
        self.opts.precision = p;
        self
    }

    /// A `PCAP_TSTAMP_*` type. `PCAP_TSTAMP_ADAPTER` and
    /// `PCAP_TSTAMP_ADAPTER_UNSYNCED` ask the NIC for hardware stamps; a
    /// device without them gives a warning ([`Capture::warning`]) and host
    /// stamps, and [`Packet::ts_source`] says which each packet got.
    pub fn tstamp_type(mut self, t: i32) -> Self {
        self.opts.tstamp_type = Some(t);
        self
    }

    /// Capture one EtherType only (`pcap_set_protocol_linux`), host order.
    pub fn protocol(mut self, ethertype: u16) -> Self {
        self.opts.protocol = ethertype;
        self
    }

    /// Reads never wait (`pcap_setnonblock`).
    pub fn nonblocking(mut self, on: bool) -> Self {
        self.opts.nonblock = on;
        self
    }

    /// TPACKET_V1, V2 or V3 for the rings (V3 by default).
    pub fn tpacket_version(mut self, v: Version) -> Self {
        self.opts.tpacket_version = Some(v);
        self
    }

    /// An explicit receive ring (overrides [`CaptureBuilder::buffer_size`]);
    /// checked at activation, where a violated constraint is named.
    pub fn ring(mut self, r: RingOverride) -> Self {
        self.opts.ring = r;
        self
    }

    /// How long the kernel fills a V3 block before handing it over.
    pub fn block_timeout(mut self, t: Duration) -> Self {
        self.opts.ring.block_timeout_ms = Some(t.as_millis().clamp(1, u32::MAX as u128) as u32);
        self
    }

    /// Spin this long on the ring before sleeping in poll.
    pub fn busy_poll(mut self, t: Duration) -> Self {
        self.opts.busy_poll_us = Some(t.as_micros().min(u32::MAX as u128) as u32);
        self
    }

    /// The TX ring: frames of `frame_size` bytes, at least `frame_count`
    /// of them; `(0, 0)`: no TX ring (sending uses one `send()` a frame).
    pub fn tx_ring(mut self, frame_size: u32, frame_count: u32) -> Self {
        self.opts.tx.ring = Some((frame_size, frame_count));
        self
    }

    /// PACKET_QDISC_BYPASS for sent frames.
    pub fn qdisc_bypass(mut self, on: bool) -> Self {
        self.opts.tx.qdisc_bypass = on;
        self
    }

    /// TX timestamps ([`Injector::tx_timestamps`]).
    pub fn tx_timestamps(mut self, t: TxTimestamps) -> Self {
        self.opts.tx.timestamps = t;
        self
    }

    /// Join a fanout group at activation (after the socket is bound, as the
    /// kernel requires).
    pub fn fanout(mut self, group: super::FanoutGroup) -> Self {
        self.opts.fanout = Some(group);
        self
    }

    /// Apply the `RINGCAP_*` environment variables at activation, as C
    /// programs do (a malformed one fails activation).
    pub fn environment(mut self, on: bool) -> Self {
        self.opts.environment = on;
        self
    }

    /// Open the device and set up the rings (`pcap_activate`).
    pub fn activate(self) -> Result<Capture> {
        let breaker = Arc::new(Breaker::with_doorbell()?);
        let a = capture::activate(self.opts, breaker.clone())?;
        Ok(Capture { inner: a.capture, breaker, warning: a.warning })
    }
}

/// An activated live capture.
#[derive(Debug)]
pub struct Capture {
    inner: LiveCapture,
    breaker: Arc<Breaker>,
    warning: Option<Error>,
}

impl Capture {
    pub fn builder(device: &str) -> CaptureBuilder {
        CaptureBuilder::new(device)
    }

    /// The warning activation gave, if any (its `code` is a positive
    /// `PCAP_WARNING*`).
    pub fn warning(&self) -> Option<&Error> {
        self.warning.as_ref()
    }

    /// The next packet; `None` when the timeout passed (or, non-blocking,
    /// nothing was ready). The packet borrows the capture: it stays in the
    /// ring until the next call.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>> {
        let header = match self.inner.next_packet()? {
            Next::Packet(h, _) => h,
            Next::Timeout | Next::Eof => return Ok(None),
        };
        let (data, meta) = self.inner.last_packet().ok_or_else(|| Error::msg("the packet just delivered is no longer in the ring"))?;
        Ok(Some(Packet { header, data: &data[..header.caplen as usize], meta }))
    }

    /// Up to `max` packets, without copying: they stay in the ring, with
    /// their frames or blocks, until the batch is dropped. Waits up to
    /// `timeout` when none is ready (`None`: until one arrives). An empty
    /// batch means the timeout passed.
    pub fn batch(&mut self, max: usize, timeout: Option<Duration>) -> Result<Batch<'_>> {
        let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as i32);
        let len = self.inner.next_batch(max, ms)?;
        Ok(Batch { cap: &mut self.inner, len })
    }

    /// `pcap_dispatch`: call `f` for each packet that is ready (waiting as
    /// the capture's timeout and mode say), at most `max` (0: all that are
    /// ready); returns how many (0: the timeout passed).
    pub fn dispatch(&mut self, max: usize, mut f: impl FnMut(&Packet<'_>)) -> Result<usize> {
        let wait = self.inner.read_timeout_ms();
        let max = if max == 0 { usize::MAX } else { max };
        let b = self.batch(max, (wait >= 0).then(|| Duration::from_millis(wait as u64)))?;
        for p in &b {
            f(&p);
        }
        Ok(b.len())
    }

    /// Compile `expr` for this capture (its link type, snapshot length and
    /// the kernel's VLAN support).
    pub fn compile(&self, expr: &str) -> Result<Filter> {
        let opts = CompileOptions {
            linktype: self.inner.linktype(),
            snaplen: self.inner.snapshot(),
            optimize: true,
            netmask: NETMASK_UNKNOWN,
            linux_vlan_ancillary: self.inner.vlan_ancillary(),
        };
        Filter::compile_with(expr, &opts)
    }

    /// Filter in the kernel (`pcap_setfilter`); packets already in the ring
    /// are filtered here.
    pub fn set_filter(&mut self, f: &Filter) -> Result<()> {
        self.inner.set_filter(f.instructions())
    }

    /// `pcap_setdirection`.
    pub fn set_direction(&mut self, d: Direction) {
        self.inner.set_direction(d);
    }

    pub fn set_nonblocking(&mut self, on: bool) -> Result<()> {
        self.inner.set_nonblock(on)
    }

    /// `pcap_stats`.
    pub fn stats(&self) -> Result<Stats> {
        self.inner.shared().pcap_stats()
    }

    /// The kernel's counters and ringcap's.
    pub fn stats_ex(&self) -> Result<StatsEx> {
        self.inner.stats_ex()
    }

    /// The rings as set up.
    pub fn ring_info(&self) -> RingInfo {
        self.inner.ring_info()
    }

    /// The link type (`DLT_*`) packets are delivered with.
    pub fn linktype(&self) -> i32 {
        self.inner.linktype()
    }

    pub fn snaplen(&self) -> u32 {
        self.inner.snapshot()
    }

    /// Join a fanout group now; returns its id (the kernel's, with
    /// UNIQUEID).
    pub fn join_fanout(&self, group: &super::FanoutGroup) -> Result<u16> {
        self.inner.shared().join_fanout(group)
    }

    /// The id of the fanout group this capture is in.
    pub fn fanout_group_id(&self) -> Result<u16> {
        self.inner.shared().fanout.group_id()
    }

    /// Set the program of the CBPF or EBPF group this capture is in (for
    /// every member).
    pub fn set_fanout_program(&self, program: &super::FanoutProgram) -> Result<()> {
        self.inner.shared().set_fanout_program(program)
    }

    /// A sender over this capture's socket and TX ring.
    pub fn injector(&self) -> Injector {
        Injector::new(self.inner.shared().clone())
    }

    /// A handle that stops this capture's reads from anywhere.
    pub fn break_handle(&self) -> BreakHandle {
        BreakHandle(self.breaker.clone())
    }
}

impl AsRawFd for Capture {
    /// The socket, to poll for readability beside other descriptors.
    fn as_raw_fd(&self) -> RawFd {
        self.inner.fd()
    }
}

/// `pcap_breakloop` for a [`Capture`]: the read running now, or the next
/// one, returns `PCAP_ERROR_BREAK`. Cloneable, `Send`, `Sync`;
/// [`BreakHandle::request`] is async-signal-safe.
#[derive(Clone, Debug)]
pub struct BreakHandle(Arc<Breaker>);

impl BreakHandle {
    pub fn request(&self) {
        self.0.request();
    }
}

/// A received packet: its bytes (as libpcap delivers them), its header, and
/// what the ring says about it.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    header: PacketHeader,
    data: &'a [u8],
    meta: SlotMeta,
}

impl<'a> Packet<'a> {
    /// The captured bytes (`caplen` of them).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// `struct pcap_pkthdr`: timestamp in the capture's precision, captured
    /// and wire lengths.
    pub fn header(&self) -> &PacketHeader {
        &self.header
    }

    /// Length on the wire.
    pub fn len(&self) -> u32 {
        self.header.len
    }

    pub fn is_empty(&self) -> bool {
        self.header.len == 0
    }

    /// Nanoseconds since the epoch, whatever the capture's precision.
    pub fn ts_ns(&self) -> u64 {
        self.meta.ts_ns()
    }

    pub fn ts_source(&self) -> TsSource {
        self.meta.ts_source()
    }

    /// The kernel's `TP_STATUS_*` bits (LOSING, COPY, CSUMNOTREADY,
    /// CSUM_VALID, VLAN_VALID, VLAN_TPID_VALID, the timestamp source).
    pub fn status(&self) -> u32 {
        self.meta.status
    }

    /// The VLAN tag the kernel took off (and that `data` has back in):
    /// (TPID, TCI).
    pub fn vlan(&self) -> Option<(u16, u16)> {
        self.meta.vlan()
    }

    /// The flow hash (TPACKET_V3; 0 otherwise).
    pub fn rxhash(&self) -> u32 {
        self.meta.rxhash
    }

    /// The receiving (or, outgoing, sending) interface.
    pub fn ifindex(&self) -> i32 {
        self.meta.link.ifindex
    }

    /// EtherType, host order.
    pub fn protocol(&self) -> u16 {
        u16::from_be(self.meta.link.protocol_be)
    }

    /// `PACKET_HOST`, `PACKET_BROADCAST`, `PACKET_MULTICAST`,
    /// `PACKET_OTHERHOST` or `PACKET_OUTGOING`.
    pub fn pkttype(&self) -> u8 {
        self.meta.link.pkttype
    }

    /// The `sockaddr_ll` the kernel gave.
    pub fn link(&self) -> &LinkAddr {
        &self.meta.link
    }
}

/// Packets received together, still in the ring. Dropping the batch hands
/// their frames or blocks back to the kernel; the borrow checker keeps every
/// [`Packet`] from outliving it.
///
/// ```no_run
/// use std::time::Duration;
/// use ringcap::api::Capture;
///
/// let mut cap = Capture::builder("eth0").activate()?;
/// let batch = cap.batch(256, Some(Duration::from_millis(10)))?;
/// for p in &batch {
///     println!("{:>5} bytes  vlan {:?}  hash {:#010x}", p.len(), p.vlan(), p.rxhash());
/// }
/// drop(batch); // the ring gets its blocks back
/// # Ok::<(), ringcap::Error>(())
/// ```
#[derive(Debug)]
pub struct Batch<'c> {
    cap: &'c mut LiveCapture,
    len: usize,
}

impl<'c> Batch<'c> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Packet `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<Packet<'_>> {
        (i < self.len).then(|| {
            let b = self.cap.batch_packet(i);
            Packet { header: b.hdr, data: b.data, meta: b.meta }
        })
    }

    pub fn iter(&self) -> BatchIter<'_, 'c> {
        BatchIter { batch: self, next: 0 }
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.cap.release_batch();
    }
}

impl<'b, 'c> IntoIterator for &'b Batch<'c> {
    type Item = Packet<'b>;
    type IntoIter = BatchIter<'b, 'c>;
    fn into_iter(self) -> BatchIter<'b, 'c> {
        self.iter()
    }
}

/// The packets of a [`Batch`], in order.
#[derive(Debug)]
pub struct BatchIter<'b, 'c> {
    batch: &'b Batch<'c>,
    next: usize,
}

impl<'b> Iterator for BatchIter<'b, '_> {
    type Item = Packet<'b>;
    fn next(&mut self) -> Option<Packet<'b>> {
        let p = self.batch.get(self.next)?;
        self.next += 1;
        Some(p)
    }
}

//! Sending: [`Injector`] (one frame, a batch through the TX ring, a
//! [`SendQueue`] with or without its recorded spacing) and what a partial
//! send reports ([`BatchError`]).

use std::sync::Arc;

use crate::capture::inject::{self, Mode, TxTimestamps};
use crate::capture::LiveShared;
use crate::error::{Error, Result};
use crate::packet::PacketHeader;
use crate::ring::tx::TxStamp;

/// Sends on a capture's socket, through its TX ring when it has one (see
/// [`CaptureBuilder::tx_ring`](super::CaptureBuilder::tx_ring)). Clones
/// share the socket; a capture may read while an injector sends.
///
/// ```no_run
/// use ringcap::api::Capture;
///
/// let cap = Capture::builder("veth0").activate()?;
/// let tx = cap.injector();
/// let frame = [0xffu8; 60];
/// tx.inject(&frame)?;
/// let sent = tx.inject_batch(&[&frame[..], &frame[..]]).map_err(|e| e.error)?;
/// assert_eq!(sent, 2);
/// # Ok::<(), ringcap::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Injector {
    shared: Arc<LiveShared>,
}

/// A batch or queue that stopped early: how much went out first, and why
/// the rest did not.
#[derive(Debug)]
pub struct BatchError {
    /// Frames (or, for a send queue, bytes of the queue) sent before the
    /// failure.
    pub sent: usize,
    pub error: Error,
}

impl Injector {
    pub(super) fn new(shared: Arc<LiveShared>) -> Injector {
        Injector { shared }
    }

    /// Send one whole link-layer frame (`pcap_inject`); returns its length.
    /// The frame has reached the device when this returns.
    pub fn inject(&self, frame: &[u8]) -> Result<usize> {
        self.shared.tx.lock().inject(&self.shared.sock, frame)
    }

    /// Send frames in order, as many per system call as the TX ring holds;
    /// returns how many were sent.
    pub fn inject_batch(&self, frames: &[&[u8]]) -> std::result::Result<usize, BatchError> {
        let o = self.shared.tx.lock().send(&self.shared.sock, frames, Mode::Batch);
        match o.error {
            None => Ok(o.sent),
            Some(error) => Err(BatchError { sent: o.sent, error }),
        }
    }

    /// Send a queue's records (`pcap_sendqueue_transmit`); with `sync`,
    /// spaced as their timestamps are. Returns the queue's bytes sent.
    pub fn transmit(&self, q: &SendQueue, sync: bool) -> std::result::Result<usize, BatchError> {
        let (sent, error) = inject::transmit_queue(&mut self.shared.tx.lock(), &self.shared.sock, &q.buf, sync);
        match error {
            None => Ok(sent),
            Some(error) => Err(BatchError { sent, error }),
        }
    }

    /// PACKET_QDISC_BYPASS, now.
    pub fn set_qdisc_bypass(&self, on: bool) -> Result<()> {
        self.shared.tx.lock().set_bypass(&self.shared.sock, on)
    }

    /// Ask for TX timestamps from now on (needs the TX ring).
    pub fn set_tx_timestamps(&self, t: TxTimestamps) -> Result<()> {
        self.shared.tx.lock().set_timestamps(&self.shared.sock, t)
    }

    /// The TX timestamps of the frames the last send call sent, oldest
    /// first.
    pub fn tx_timestamps(&self) -> Vec<TxStamp> {
        self.shared.tx.lock().stamps().to_vec()
    }
}

/// `struct pcap_pkthdr` as C lays it out (what the send-queue walker reads).
#[allow(clippy::unnecessary_cast)] // time_t and suseconds_t are not i64 everywhere
fn header_bytes(h: &PacketHeader) -> [u8; std::mem::size_of::<PacketHeader>()] {
    use std::mem::{offset_of, size_of};
    let mut b = [0u8; size_of::<PacketHeader>()];
    let mut put = |at: usize, size: usize, v: i64| match size {
        4 => b[at..at + 4].copy_from_slice(&(v as i32).to_ne_bytes()),
        _ => b[at..at + 8].copy_from_slice(&v.to_ne_bytes()),
    };
    let ts = offset_of!(PacketHeader, ts);
    put(ts + offset_of!(crate::packet::Timeval, tv_sec), size_of::<libc::time_t>(), h.ts.tv_sec as i64);
    put(ts + offset_of!(crate::packet::Timeval, tv_usec), size_of::<libc::suseconds_t>(), h.ts.tv_usec as i64);
    put(offset_of!(PacketHeader, caplen), 4, h.caplen as i64);
    put(offset_of!(PacketHeader, len), 4, h.len as i64);
    b
}

/// Records to send together, in WinPcap/Npcap's send-queue layout (each a
/// `struct pcap_pkthdr` and its bytes).
#[derive(Clone, Debug, Default)]
pub struct SendQueue {
    buf: Vec<u8>,
}

impl SendQueue {
    pub fn new() -> SendQueue {
        SendQueue::default()
    }

    /// Queue a frame; `ts` says when it goes relative to the others (with
    /// `sync`), `caplen` is the frame's length.
    pub fn push(&mut self, ts: crate::packet::Timeval, frame: &[u8]) -> Result<()> {
        let caplen = u32::try_from(frame.len()).map_err(|_| Error::msg("frame too long for a send queue"))?;
        let h = PacketHeader { ts, caplen, len: caplen };
        self.buf.extend_from_slice(&header_bytes(&h));
        self.buf.extend_from_slice(frame);
        Ok(())
    }

    /// Bytes queued (what [`Injector::transmit`] reports when all went).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

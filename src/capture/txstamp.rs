//! TX timestamps: the time each frame a send call sent left for the device,
//! from the TX ring frame where the kernel writes one (packet_mmap.txt's
//! PACKET_TIMESTAMP way), else from the socket's error queue.
//!
//! The ring way depends on the kernel and the device: the ring's completion
//! (`tpacket_destruct_skb`) writes a stamp only when the skb carries one when
//! it is freed, and on veth and loopback nothing stamps it before that
//! (6.18 here: every completed frame reads plain TP_STATUS_AVAILABLE).
//! So ringcap also asks for the socket's TX timestamps: SO_TIMESTAMPING with
//! SOF_TIMESTAMPING_TX_SOFTWARE (and TX_HARDWARE in hardware mode) |
//! SOFTWARE | OPT_ID | OPT_TSONLY. The driver stamps each frame as it hands
//! it to the device (veth calls `skb_tx_timestamp`), and the kernel queues
//! a payload-free message per stamp on the socket's error queue, keyed by
//! the skb's sequence number (`ee_data`). Keys count every skb the kernel
//! built for the socket since OPT_ID was switched on (the kernel resets
//! the count then, verified in tests/inject.rs): each frame the kernel
//! took from the ring, also one it discarded as malformed under
//! PACKET_LOSS, and one it refused with TP_STATUS_WRONG_FORMAT (it checks
//! the frame after building the skb). The sender counts them alike.
//!
//! Limits, reported as "no stamp" (`StampSource::None`): error-queue
//! messages are charged to the socket's receive buffer, and the kernel
//! drops stamps beyond it (about 830 bytes each here; ringcap raises
//! SO_RCVBUF to hold one ring-ful, within net.core.rmem_max); a driver that
//! does not stamp gives none; a stamp that arrives after the send call
//! returned (asynchronous hardware stamps) is not matched to its frame.
//!
//! A non-empty error queue makes poll() report POLLERR on the socket. The
//! capture's wait loop drains stamps into the [`Stash`] it shares with the
//! sender, so a handle may capture and send with TX timestamps on.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::ring::tx::{StampSource, TxStamp};
use crate::ring::PacketSocket;
use crate::sys::errqueue::QueuedStamp;

/// Which TX timestamps to ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TxTimestamps {
    #[default]
    Off,
    Software,
    /// The NIC's stamp where it has one, else the software one.
    Hardware,
}

impl TxTimestamps {
    /// PACKET_TIMESTAMP bits: what the TX ring's completion may write.
    pub fn ring_bits(self) -> u32 {
        match self {
            TxTimestamps::Off => 0,
            TxTimestamps::Software => libc::SOF_TIMESTAMPING_SOFTWARE,
            TxTimestamps::Hardware => libc::SOF_TIMESTAMPING_SOFTWARE | libc::SOF_TIMESTAMPING_RAW_HARDWARE,
        }
    }

    /// SO_TIMESTAMPING flags: what the driver stamps into the error queue.
    pub fn socket_flags(self) -> u32 {
        let keyed = libc::SOF_TIMESTAMPING_SOFTWARE | libc::SOF_TIMESTAMPING_OPT_ID | libc::SOF_TIMESTAMPING_OPT_TSONLY;
        match self {
            TxTimestamps::Off => 0,
            TxTimestamps::Software => keyed | libc::SOF_TIMESTAMPING_TX_SOFTWARE,
            TxTimestamps::Hardware => {
                keyed | libc::SOF_TIMESTAMPING_TX_SOFTWARE | libc::SOF_TIMESTAMPING_TX_HARDWARE | libc::SOF_TIMESTAMPING_RAW_HARDWARE
            }
        }
    }

    /// Receive-buffer bytes one frame's stamp messages take (measured:
    /// about 830 per message; hardware mode may bring two per frame).
    fn bytes_per_frame(self) -> usize {
        match self {
            TxTimestamps::Hardware => 2048,
            _ => 1024,
        }
    }
}

/// Stamps the capture's wait loop or the sender read from the error queue,
/// by key, until the sender claims them. Bounded: the oldest go first.
#[derive(Debug, Default)]
pub struct Stash {
    stamps: BTreeMap<u32, QueuedStamp>,
}

/// At most this many unclaimed stamps are kept.
const STASH_MAX: usize = 1 << 16;

impl Stash {
    /// Move every message waiting in the error queue into the stash; how
    /// many there were.
    pub fn drain(&mut self, sock: &PacketSocket) -> io::Result<usize> {
        let mut n = 0;
        while let Some(q) = sock.recv_tx_stamp()? {
            n += 1;
            // A software and a hardware stamp of one frame come as two
            // messages with the same key.
            let e = self.stamps.entry(q.key).or_insert(QueuedStamp { key: q.key, software: None, hardware: None });
            e.software = e.software.or(q.software);
            e.hardware = e.hardware.or(q.hardware);
            if self.stamps.len() > STASH_MAX {
                self.stamps.pop_first();
            }
        }
        Ok(n)
    }

    fn take(&mut self, key: u32) -> Option<QueuedStamp> {
        self.stamps.remove(&key)
    }

    /// Forget stamps of keys before `oldest` (unclaimed leftovers), in the
    /// key space's wrapping order.
    fn forget_before(&mut self, oldest: u32) {
        self.stamps.retain(|&k, _| k.wrapping_sub(oldest) < 1 << 31);
    }

    fn clear(&mut self) {
        self.stamps.clear();
    }
}

/// The sender's timestamping state.
#[derive(Debug, Default)]
pub struct Stamper {
    mode: TxTimestamps,
    /// PACKET_TIMESTAMP bits this side added (the RX ring shares the
    /// option; its own bits stay).
    ring_bits: u32,
    /// The key the kernel gives the next skb it builds for the socket.
    next_key: u32,
    stash: Arc<parking_lot::Mutex<Stash>>,
}

impl Stamper {
    pub fn on(&self) -> bool {
        self.mode != TxTimestamps::Off
    }

    /// The stash the capture's wait loop drains into.
    pub fn stash(&self) -> Arc<parking_lot::Mutex<Stash>> {
        self.stash.clone()
    }

    /// Switch to `mode` on `sock`, whose TX ring has `ring_frames` frames.
    pub fn set(&mut self, sock: &PacketSocket, mode: TxTimestamps, ring_frames: usize) -> Result<()> {
        let cur = sock.get_int(libc::SOL_PACKET, libc::PACKET_TIMESTAMP).map_err(|e| Error::os("getsockopt (PACKET_TIMESTAMP)", &e))? as u32;
        let bits = mode.ring_bits();
        sock.set_int(libc::SOL_PACKET, libc::PACKET_TIMESTAMP, ((cur & !self.ring_bits) | bits) as i32)
            .map_err(|e| Error::os("can't set PACKET_TIMESTAMP", &e))?;
        self.ring_bits = bits;
        if bits != 0 {
            // The ring writes a stamp only if the kernel stamped the skb at
            // all, which SO_TIMESTAMPNS asks for.
            sock.set_int(libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1).map_err(|e| Error::os("setsockopt (SO_TIMESTAMPNS)", &e))?;
        }
        sock.set_int(libc::SOL_SOCKET, libc::SO_TIMESTAMPING, mode.socket_flags() as i32)
            .map_err(|e| Error::os("setsockopt (SO_TIMESTAMPING)", &e))?;
        let was_on = self.on();
        self.mode = mode;
        if !self.on() {
            // Stamps of earlier sends are of no use now; an error queue left
            // full would make poll() report POLLERR.
            let mut st = self.stash.lock();
            let _ = st.drain(sock);
            st.clear();
        } else if !was_on {
            // OPT_ID switched on: the kernel counts keys from 0 again.
            self.next_key = 0;
            let want = ring_frames.saturating_mul(mode.bytes_per_frame()).min(i32::MAX as usize);
            let have = sock.get_int(libc::SOL_SOCKET, libc::SO_RCVBUF).unwrap_or(0).max(0) as usize;
            if have < want {
                // The kernel doubles the value (and caps it at rmem_max);
                // stamps beyond what it grants are reported as none.
                let _ = sock.set_int(libc::SOL_SOCKET, libc::SO_RCVBUF, want.div_ceil(2) as i32);
            }
        }
        Ok(())
    }

    /// The key of the next skb the kernel builds for this socket; counts it.
    pub fn next_key(&mut self) -> u32 {
        let k = self.next_key;
        self.next_key = k.wrapping_add(1);
        k
    }

    /// The stamps of sent frames, in order: each frame's key and what the
    /// ring's frame says (`StampSource::None` where the kernel wrote none).
    pub fn collect(&mut self, sock: &PacketSocket, frames: &[(u32, TxStamp)]) -> Vec<TxStamp> {
        let Some(&(oldest, _)) = frames.first() else { return Vec::new() };
        let mut st = self.stash.lock();
        // A failure to read leaves those frames without stamps; sending
        // went fine.
        let _ = st.drain(sock);
        let stamps = frames
            .iter()
            .map(|&(key, ring)| {
                let queued = st.take(key);
                if ring.source != StampSource::None {
                    ring
                } else {
                    queued.map_or(TxStamp::default(), |q| from_queue(&q, self.mode))
                }
            })
            .collect();
        st.forget_before(oldest);
        stamps
    }
}

/// The stamp a queued message gives in `mode`.
fn from_queue(q: &QueuedStamp, mode: TxTimestamps) -> TxStamp {
    let (t, source) = match (mode, q.hardware, q.software) {
        (TxTimestamps::Hardware, Some(h), _) => (h, StampSource::Hardware),
        (_, _, Some(s)) => (s, StampSource::Software),
        _ => return TxStamp::default(),
    };
    TxStamp { sec: t.0 as u32, nsec: t.1, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        assert_eq!(TxTimestamps::Off.socket_flags(), 0);
        assert_eq!(TxTimestamps::Software.socket_flags(), 2 | 16 | 128 | 2048);
        assert_eq!(TxTimestamps::Hardware.socket_flags(), 1 | 2 | 16 | 64 | 128 | 2048);
        assert_eq!(TxTimestamps::Software.ring_bits(), libc::SOF_TIMESTAMPING_SOFTWARE);
        assert_eq!(TxTimestamps::Hardware.ring_bits(), libc::SOF_TIMESTAMPING_SOFTWARE | libc::SOF_TIMESTAMPING_RAW_HARDWARE);
    }

    #[test]
    fn queued_stamps_by_mode() {
        let both = QueuedStamp { key: 1, software: Some((10, 5)), hardware: Some((11, 6)) };
        let sw = QueuedStamp { key: 2, software: Some((10, 7)), hardware: None };
        assert_eq!(from_queue(&both, TxTimestamps::Hardware), TxStamp { sec: 11, nsec: 6, source: StampSource::Hardware });
        assert_eq!(from_queue(&both, TxTimestamps::Software), TxStamp { sec: 10, nsec: 5, source: StampSource::Software });
        assert_eq!(from_queue(&sw, TxTimestamps::Hardware), TxStamp { sec: 10, nsec: 7, source: StampSource::Software });
        assert_eq!(from_queue(&QueuedStamp::default(), TxTimestamps::Software), TxStamp::default());
    }

    #[test]
    fn stash_forgets_older_keys_across_the_wrap() {
        let mut s = Stash::default();
        for k in [u32::MAX - 1, u32::MAX, 0, 1, 5] {
            s.stamps.insert(k, QueuedStamp { key: k, software: Some((1, 1)), hardware: None });
        }
        s.forget_before(u32::MAX);
        assert_eq!(s.stamps.keys().copied().collect::<Vec<_>>(), vec![0, 1, 5, u32::MAX]);
        s.forget_before(1);
        assert_eq!(s.stamps.keys().copied().collect::<Vec<_>>(), vec![1, 5]);
        assert!(s.take(1).is_some() && s.take(1).is_none());
    }
}

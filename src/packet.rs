//! What every packet source (a live ring, a savefile) hands to its reader:
//! the per-packet header, the reading contract shared by `pcap_dispatch`,
//! `pcap_loop` and `pcap_next_ex`, and the breakloop signal.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{code, Error, Result};
use crate::sys::poll::EventFd;

/// The per-packet header, laid out exactly like libpcap's `struct pcap_pkthdr`
/// (a `struct timeval` and two 32-bit lengths) so the C API can hand out a
/// pointer to it without conversion. `ts.tv_usec` holds microseconds or
/// nanoseconds according to the handle's timestamp precision, as in libpcap.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketHeader {
    pub ts: Timeval,
    pub caplen: u32,
    pub len: u32,
}

/// `struct timeval` with the C layout (`time_t`, `suseconds_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeval {
    pub tv_sec: libc::time_t,
    pub tv_usec: libc::suseconds_t,
}

impl PacketHeader {
    pub fn new(sec: i64, frac: u32, caplen: u32, len: u32) -> PacketHeader {
        PacketHeader { ts: Timeval { tv_sec: sec as libc::time_t, tv_usec: frac as libc::suseconds_t }, caplen, len }
    }
}

/// Timestamp precision of a handle (`PCAP_TSTAMP_PRECISION_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Precision {
    #[default]
    Micro,
    Nano,
}

impl Precision {
    pub fn from_c(v: i32) -> Option<Precision> {
        match v {
            0 => Some(Precision::Micro),
            1 => Some(Precision::Nano),
            _ => None,
        }
    }
    pub fn to_c(self) -> i32 {
        match self {
            Precision::Micro => 0,
            Precision::Nano => 1,
        }
    }
    /// Scale a nanosecond fraction to this precision.
    pub fn from_nanos(self, ns: u32) -> u32 {
        match self {
            Precision::Micro => ns / 1000,
            Precision::Nano => ns,
        }
    }
}

/// What `next_packet` found.
#[derive(Debug)]
pub enum Next<'a> {
    /// A packet; the bytes stay valid until the next read on the source.
    Packet(PacketHeader, &'a [u8]),
    /// A live source's timeout expired (or, in non-blocking mode, nothing was
    /// waiting): `pcap_next_ex` returns 0.
    Timeout,
    /// A savefile ended: `pcap_next_ex` returns `PCAP_ERROR_BREAK`.
    Eof,
}

/// `pcap_breakloop`'s signal: a flag the read loops check, and, for live
/// sources, a doorbell that wakes a blocked `poll`. Setting it is
/// async-signal-safe (an atomic store and one `write(2)`).
#[derive(Debug, Default)]
pub struct Breaker {
    flag: AtomicBool,
    doorbell: Option<EventFd>,
}

impl Breaker {
    /// A breaker without a doorbell (savefiles never block).
    pub fn new() -> Breaker {
        Breaker::default()
    }

    /// A breaker whose doorbell live captures poll beside their socket.
    pub fn with_doorbell() -> Result<Breaker> {
        let fd = EventFd::new().map_err(|e| Error::msg(format!("Could not open eventfd: {}", crate::sys::strerror(e.raw_os_error().unwrap_or(0)))))?;
        Ok(Breaker { flag: AtomicBool::new(false), doorbell: Some(fd) })
    }

    /// Ask the current (or next) read loop to stop.
    pub fn request(&self) {
        self.flag.store(true, Ordering::Release);
        if let Some(d) = &self.doorbell {
            d.signal();
        }
    }

    /// Whether a stop was requested, without clearing it.
    pub fn pending(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Clear and report a pending stop (the loop that honours it clears it,
    /// as libpcap's loops do).
    pub fn take(&self) -> bool {
        if self.flag.load(Ordering::Acquire) {
            self.flag.store(false, Ordering::Release);
            if let Some(d) = &self.doorbell {
                d.drain();
            }
            true
        } else {
            false
        }
    }

    pub fn doorbell(&self) -> Option<&EventFd> {
        self.doorbell.as_ref()
    }
}

/// The error a read returns when it honoured a breakloop.
pub fn break_error() -> Error {
    Error::new(code::BREAK, "")
}

/// A source of packets with libpcap's reading semantics.
pub trait PacketSource {
    /// `pcap_dispatch`: deliver up to `cnt` packets (all that are ready when
    /// `cnt <= 0`), waiting as the source's mode says; returns how many were
    /// delivered. A honoured breakloop is `Err` with `PCAP_ERROR_BREAK`.
    fn dispatch(&mut self, cnt: i32, cb: &mut dyn FnMut(&PacketHeader, &[u8])) -> Result<i32>;

    /// `pcap_next_ex`: one packet, a timeout, or the end of a file.
    fn next_packet(&mut self) -> Result<Next<'_>>;

    /// Savefiles report end of file from `dispatch` as 0 and `pcap_loop` stops
    /// there; live sources return 0 on a timeout and `pcap_loop` goes on.
    fn zero_means_end(&self) -> bool;

    /// `pcap_loop`: read until `cnt` packets (forever when `cnt <= 0`), an
    /// error, a breakloop or, for files, the end. Returns 0 when the count
    /// was reached or the file ended.
    fn run_loop(&mut self, mut cnt: i32, cb: &mut dyn FnMut(&PacketHeader, &[u8])) -> Result<i32> {
        loop {
            let n = self.dispatch(cnt, cb)?;
            if n == 0 {
                if self.zero_means_end() {
                    return Ok(0);
                }
                continue;
            }
            if cnt > 0 {
                cnt -= n;
                if cnt <= 0 {
                    return Ok(0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_pcap_pkthdr() {
        assert_eq!(std::mem::size_of::<PacketHeader>(), 24);
        assert_eq!(std::mem::offset_of!(PacketHeader, caplen), 16);
        assert_eq!(std::mem::offset_of!(PacketHeader, len), 20);
    }

    #[test]
    fn breaker_take_clears() {
        let b = Breaker::with_doorbell().unwrap();
        assert!(!b.take());
        b.request();
        assert!(b.pending());
        assert!(b.take());
        assert!(!b.pending());
    }

    struct Counted(Vec<i32>, bool);
    impl PacketSource for Counted {
        fn dispatch(&mut self, cnt: i32, cb: &mut dyn FnMut(&PacketHeader, &[u8])) -> Result<i32> {
            let avail = if self.0.is_empty() { 0 } else { self.0.remove(0) };
            let n = if cnt > 0 { avail.min(cnt) } else { avail };
            for _ in 0..n {
                cb(&PacketHeader::default(), &[]);
            }
            if n == 0 && !self.1 && self.0.is_empty() {
                return Err(Error::msg("drained"));
            }
            Ok(n)
        }
        fn next_packet(&mut self) -> Result<Next<'_>> {
            Ok(Next::Eof)
        }
        fn zero_means_end(&self) -> bool {
            self.1
        }
    }

    #[test]
    fn run_loop_counts_like_pcap_loop() {
        let mut seen = 0;
        let mut src = Counted(vec![3, 0, 4, 9], false);
        assert_eq!(src.run_loop(5, &mut |_, _| seen += 1).unwrap(), 0);
        assert_eq!(seen, 5);
        let mut file = Counted(vec![2, 0, 7], true);
        let mut seen = 0;
        assert_eq!(file.run_loop(-1, &mut |_, _| seen += 1).unwrap(), 0);
        assert_eq!(seen, 2);
    }
}

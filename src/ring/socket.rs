//! `PacketSocket`: one AF_PACKET socket and the single mapping that holds its
//! RX ring and (after it, as the kernel lays them out) its TX ring; binding,
//! promiscuous membership, options, socket filters, fanout membership and
//! its program, and PACKET_STATISTICS counted cumulatively.
//!
//! It is shared (`Arc`) between the capture and the C handle shell, so every
//! method takes `&self`: the statistics can be read from a signal handler or
//! a callback while a read loop owns the rings.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::geometry::{RingGeometry, Version};
use crate::sys::mmap::Mapping;
use crate::sys::socket::{self as sock, PacketKind};

/// Cumulative PACKET_STATISTICS (each getsockopt resets the kernel's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Packets that passed the socket filter, drops included (`tp_packets`).
    pub packets: u64,
    /// Packets dropped for lack of ring space (`tp_drops`).
    pub drops: u64,
    /// V3: times the queue froze with every block user-owned.
    pub freeze_q_cnt: u64,
}

/// What fanout rollover did for packets first meant for this socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RolloverStats {
    /// Packets the rollover step placed (in rollover mode every packet the
    /// group gets, counted on the first member; with the rollover flag the
    /// packets moved away from this member because its ring was full).
    pub moved: u64,
    /// Of those, packets of a flow large enough to be moved early.
    pub huge: u64,
    /// Moves that found no member with room (the packet stayed here).
    pub failed: u64,
}

#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
    kind: PacketKind,
    version: Option<Version>,
    map: Option<Arc<Mapping>>,
    rx: Option<RingGeometry>,
    tx: Option<RingGeometry>,
    packets: AtomicU64,
    drops: AtomicU64,
    freeze: AtomicU64,
}

impl PacketSocket {
    /// A packet socket that receives nothing until bound with a protocol.
    pub fn open(kind: PacketKind) -> io::Result<PacketSocket> {
        Ok(PacketSocket {
            fd: sock::packet_socket(kind, 0)?,
            kind,
            version: None,
            map: None,
            rx: None,
            tx: None,
            packets: AtomicU64::new(0),
            drops: AtomicU64::new(0),
            freeze: AtomicU64::new(0),
        })
    }

    pub fn kind(&self) -> PacketKind {
        self.kind
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// bind(2) to an interface (0: all) and a protocol in network byte order.
    pub fn bind(&self, ifindex: i32, protocol_be: u16) -> io::Result<()> {
        sock::bind_packet(self.fd.as_fd(), ifindex, protocol_be)
    }

    /// Take and clear the socket's pending error (SO_ERROR).
    pub fn take_error(&self) -> io::Result<i32> {
        sock::take_error(self.fd.as_fd())
    }

    /// The ifindex the socket is bound to now (-1 once the device is gone).
    pub fn bound_ifindex(&self) -> io::Result<i32> {
        sock::bound_ifindex(self.fd.as_fd())
    }

    pub fn set_int(&self, level: i32, name: i32, value: i32) -> io::Result<()> {
        sock::setsockopt(self.fd.as_fd(), level, name, &value)
    }

    pub fn get_int(&self, level: i32, name: i32) -> io::Result<i32> {
        sock::getsockopt::<i32>(self.fd.as_fd(), level, name)
    }

    /// PACKET_ADD_MEMBERSHIP with PACKET_MR_PROMISC (undone when the socket
    /// closes: the kernel drops memberships with the socket).
    pub fn add_promisc(&self, ifindex: i32) -> io::Result<()> {
        let mr = libc::packet_mreq {
            mr_ifindex: ifindex,
            mr_type: libc::PACKET_MR_PROMISC as u16,
            mr_alen: 0,
            mr_address: [0; 8],
        };
        sock::setsockopt(self.fd.as_fd(), libc::SOL_PACKET, libc::PACKET_ADD_MEMBERSHIP, &mr)
    }

    /// PACKET_HDRLEN for a version (EINVAL: the kernel lacks it).
    pub fn header_len(&self, version: Version) -> io::Result<i32> {
        sock::getsockopt_int_inout(self.fd.as_fd(), libc::SOL_PACKET, libc::PACKET_HDRLEN, version.to_kernel())
    }

    /// PACKET_VERSION.
    pub fn set_version(&mut self, version: Version) -> io::Result<()> {
        self.set_int(libc::SOL_PACKET, libc::PACKET_VERSION, version.to_kernel())?;
        self.version = Some(version);
        Ok(())
    }

    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// Ask for the RX ring (and optionally the TX ring) and map both with one
    /// mmap, RX first as the kernel lays them out. Errors come back per step
    /// so the caller can shrink on ENOMEM and word the message.
    pub fn setup_rings(&mut self, rx: Option<&RingGeometry>, tx: Option<&RingGeometry>) -> Result<(), RingSetupError> {
        if let Some(g) = rx {
            self.set_ring(libc::PACKET_RX_RING, g).map_err(RingSetupError::Rx)?;
            self.rx = Some(*g);
        }
        if let Some(g) = tx {
            if let Err(e) = self.set_ring(libc::PACKET_TX_RING, g) {
                self.teardown_rings();
                return Err(RingSetupError::Tx(e));
            }
            self.tx = Some(*g);
        }
        let len = self.rx.map_or(0, |g| g.size()) + self.tx.map_or(0, |g| g.size());
        match Mapping::shared(self.fd.as_fd(), len, true) {
            Ok(m) => {
                self.map = Some(Arc::new(m));
                Ok(())
            }
            Err(e) => {
                self.teardown_rings();
                Err(RingSetupError::Map(e))
            }
        }
    }

    fn set_ring(&self, opt: i32, g: &RingGeometry) -> io::Result<()> {
        if g.version == Version::V3 {
            let req = libc::tpacket_req3 {
                tp_block_size: g.block_size,
                tp_block_nr: g.block_nr,
                tp_frame_size: g.frame_size,
                tp_frame_nr: g.frame_nr,
                tp_retire_blk_tov: g.retire_blk_tov,
                tp_sizeof_priv: g.sizeof_priv,
                tp_feature_req_word: g.feature_req_word,
            };
            sock::setsockopt(self.fd.as_fd(), libc::SOL_PACKET, opt, &req)
        } else {
            let req = libc::tpacket_req {
                tp_block_size: g.block_size,
                tp_block_nr: g.block_nr,
                tp_frame_size: g.frame_size,
                tp_frame_nr: g.frame_nr,
            };
            sock::setsockopt(self.fd.as_fd(), libc::SOL_PACKET, opt, &req)
        }
    }

    /// Unmap and release the rings (a zero-sized request frees the kernel side).
    fn teardown_rings(&mut self) {
        self.map = None;
        let zero = libc::tpacket_req { tp_block_size: 0, tp_block_nr: 0, tp_frame_size: 0, tp_frame_nr: 0 };
        if self.rx.take().is_some() {
            let _ = sock::setsockopt(self.fd.as_fd(), libc::SOL_PACKET, libc::PACKET_RX_RING, &zero);
        }
        if self.tx.take().is_some() {
            let _ = sock::setsockopt(self.fd.as_fd(), libc::SOL_PACKET, libc::PACKET_TX_RING, &zero);
        }
    }

    /// The RX ring, sharing ownership of the mapping.
    pub fn rx_ring(&self) -> Option<super::RxRing> {
        super::RxRing::mapped(self.map.clone()?, self.rx.as_ref()?)
    }

    /// The TX ring (right after the RX ring in the mapping), sharing
    /// ownership of the mapping.
    pub fn tx_ring(&self, layout: super::tx::TxLayout) -> Option<super::TxRing> {
        let off = self.rx.map_or(0, |g| g.size());
        super::TxRing::mapped(self.map.clone()?, off, self.tx.as_ref()?, layout)
    }

    pub fn tx_geometry(&self) -> Option<RingGeometry> {
        self.tx
    }

    /// Attach a classic BPF program.
    pub fn attach_filter(&self, prog: &[crate::bpf::Insn]) -> io::Result<()> {
        sock::attach_filter(self.fd.as_fd(), &sock_filters(prog))
    }

    pub fn detach_filter(&self) -> io::Result<()> {
        sock::detach_filter(self.fd.as_fd())
    }

    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        sock::set_nonblocking(self.fd.as_fd(), on)
    }

    pub fn nonblocking(&self) -> io::Result<bool> {
        sock::nonblocking(self.fd.as_fd())
    }

    /// PACKET_FANOUT: join the fanout group `arg` names (the kernel's
    /// encoding: group id | (mode | flags) << 16). The socket must be bound
    /// with a protocol; it stays in the group until it closes.
    pub fn join_fanout(&self, arg: u32) -> io::Result<()> {
        sock::setsockopt(self.fd.as_fd(), libc::SOL_PACKET, libc::PACKET_FANOUT, &arg)
    }

    /// PACKET_FANOUT read back: group id | mode << 16 | flags >> 8 << 24, or
    /// 0 in no group.
    pub fn fanout(&self) -> io::Result<u32> {
        sock::getsockopt::<libc::c_uint>(self.fd.as_fd(), libc::SOL_PACKET, libc::PACKET_FANOUT)
    }

    /// PACKET_FANOUT_DATA with a classic BPF program: the group's member
    /// choice (PACKET_FANOUT_CBPF groups).
    pub fn set_fanout_cbpf(&self, prog: &[crate::bpf::Insn]) -> io::Result<()> {
        sock::set_fanout_cbpf(self.fd.as_fd(), &sock_filters(prog))
    }

    /// PACKET_FANOUT_DATA with a loaded eBPF socket-filter program
    /// (PACKET_FANOUT_EBPF groups).
    pub fn set_fanout_ebpf(&self, prog: BorrowedFd<'_>) -> io::Result<()> {
        sock::set_fanout_ebpf(self.fd.as_fd(), prog)
    }

    /// PACKET_ROLLOVER_STATS (running totals, never reset). EINVAL when the
    /// socket's fanout group has no rollover (mode or flag).
    pub fn rollover_stats(&self) -> io::Result<RolloverStats> {
        let s: libc::tpacket_rollover_stats = sock::getsockopt(self.fd.as_fd(), libc::SOL_PACKET, libc::PACKET_ROLLOVER_STATS)?;
        Ok(RolloverStats { moved: s.tp_all, huge: s.tp_huge, failed: s.tp_failed })
    }

    /// PACKET_STATISTICS, added to the running totals (the kernel resets its
    /// counters on every read). `tp_packets` already includes the drops.
    pub fn stats(&self) -> io::Result<KernelStats> {
        let s: libc::tpacket_stats_v3 = sock::getsockopt(self.fd.as_fd(), libc::SOL_PACKET, libc::PACKET_STATISTICS)?;
        let packets = self.packets.fetch_add(s.tp_packets as u64, Ordering::Relaxed) + s.tp_packets as u64;
        let drops = self.drops.fetch_add(s.tp_drops as u64, Ordering::Relaxed) + s.tp_drops as u64;
        let freeze_q_cnt = if self.version == Some(Version::V3) {
            self.freeze.fetch_add(s.tp_freeze_q_cnt as u64, Ordering::Relaxed) + s.tp_freeze_q_cnt as u64
        } else {
            0
        };
        Ok(KernelStats { packets, drops, freeze_q_cnt })
    }

    /// `sendmmsg`: each buffer one message (sockets without a TX ring).
    pub fn send_many(&self, bufs: &[&[u8]], flags: i32) -> io::Result<usize> {
        sock::send_many(self.fd.as_fd(), bufs, flags)
    }

    /// The next TX timestamp waiting in the socket's error queue, if any.
    pub fn recv_tx_stamp(&self) -> io::Result<Option<crate::sys::errqueue::QueuedStamp>> {
        crate::sys::errqueue::recv_stamp(self.fd.as_fd())
    }

    /// `send(fd, buf, flags)`; an empty buffer kicks the TX ring.
    pub fn send(&self, buf: &[u8], flags: i32) -> io::Result<usize> {
        sock::send(self.fd.as_fd(), buf, flags)
    }
}

impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// A program in the kernel's `struct sock_filter` form.
fn sock_filters(prog: &[crate::bpf::Insn]) -> Vec<libc::sock_filter> {
    prog.iter().map(|i| sock::sock_filter(i.code, i.jt, i.jf, i.k)).collect()
}

/// Which step of ring setup failed.
#[derive(Debug)]
pub enum RingSetupError {
    Rx(io::Error),
    Tx(io::Error),
    Map(io::Error),
}

impl RingSetupError {
    pub fn io(&self) -> &io::Error {
        match self {
            RingSetupError::Rx(e) | RingSetupError::Tx(e) | RingSetupError::Map(e) => e,
        }
    }
}

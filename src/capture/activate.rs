//! Activation of a live handle: libpcap's open sequence on Linux, in order,
//! with its return codes and error texts, and ringcap's choices where they
//! are faster without changing what the caller sees.
//!
//! socket (protocol 0: nothing arrives yet) -> hardware type -> DLT (cooked
//! fallback) -> bind to the interface -> promiscuous membership ->
//! PACKET_VERSION -> PACKET_RESERVE -> hardware timestamps -> ring geometry
//! -> PACKET_RX_RING (shrinking on ENOMEM) -> one mmap -> snapshot length as
//! a kernel filter -> bind with the real protocol, so nothing arrives before
//! the ring exists -> join the fanout group, if one was asked for (the
//! kernel takes only a bound, running socket).

use std::os::fd::AsFd;
use std::sync::Arc;

use super::deliver::Delivery;
use super::env;
use super::fanout;
use super::inject;
use super::linktype::{for_arphrd, vlan_offset, LinkLayout, COOKED_DLTS};
use super::live::{LiveCapture, LiveShared};
use super::options::Options;
use super::tstamp;
use crate::bpf::insn::{Insn, BPF_K, BPF_RET};
use crate::dlt::DLT_LINUX_SLL;
use crate::error::{code, Error, Result};
use crate::packet::Breaker;
use crate::ring::geometry::{self, Limits, RingGeometry, RingRequest, Version};
use crate::ring::socket::RingSetupError;
use crate::ring::PacketSocket;
use crate::sys::netdev;
use crate::sys::socket::PacketKind;
use crate::MAXIMUM_SNAPLEN;

/// Ring size when the caller sets none. libpcap's 2 MiB drops at line rate
/// with an idle consumer on this class of machine; see the README's figures.
pub const DEFAULT_BUFFER: usize = 32 << 20;
/// V3 block timeout in immediate mode: a packet waits at most this long.
pub const IMMEDIATE_BLOCK_TIMEOUT_MS: u32 = 1;
/// VLAN tag length (PACKET_RESERVE headroom for re-insertion).
const VLAN_TAG_LEN: u32 = 4;
/// SLL2 needs 4 more bytes of headroom than the 16 the kernel leaves.
const SLL2_EXTRA: u32 = 4;
/// SO_BPF_EXTENSIONS: the kernel's highest supported SKF_AD_* offset.
const SO_BPF_EXTENSIONS: i32 = 48;

/// An activated capture and the warning activation produced, if any
/// (`pcap_activate` returns its code, which may be 0, with the handle's
/// error buffer set to its text).
pub struct Activated {
    pub capture: LiveCapture,
    pub warning: Option<Error>,
}

/// The snapshot length libpcap uses for a requested one.
pub fn normalize_snaplen(snaplen: i32) -> u32 {
    if snaplen <= 0 || snaplen as u32 > MAXIMUM_SNAPLEN {
        MAXIMUM_SNAPLEN
    } else {
        snaplen as u32
    }
}

/// Bind with libpcap's error mapping (iface_bind), then check SO_ERROR.
fn bind(sock: &PacketSocket, ifindex: i32, protocol_be: u16) -> Result<()> {
    if let Err(e) = sock.bind(ifindex.max(0), protocol_be) {
        return Err(match e.raw_os_error() {
            Some(libc::ENETDOWN) => Error::new(code::IFACE_NOT_UP, ""),
            Some(libc::ENODEV) => Error::new(code::NO_SUCH_DEVICE, ""),
            _ => Error::os("bind", &e),
        });
    }
    match sock.take_error() {
        Err(e) => Err(Error::os("getsockopt (SO_ERROR)", &e)),
        Ok(libc::ENETDOWN) => Err(Error::new(code::IFACE_NOT_UP, "")),
        Ok(0) => Ok(()),
        Ok(e) => Err(Error::os("bind", &std::io::Error::from_raw_os_error(e))),
    }
}

/// The largest frame the device can hand up: MTU plus an Ethernet header
/// with a tag, or 64 KiB with segmentation offloads (GSO/GRO/TSO/UFO/LRO).
fn device_max_packet(sock: &PacketSocket, device: &str) -> Result<u32> {
    let fd = sock.as_fd();
    let mtu = netdev::mtu(fd, device).map_err(|e| Error::os("SIOCGIFMTU", &e))?;
    let offload = [netdev::ETHTOOL_GTSO, netdev::ETHTOOL_GUFO, netdev::ETHTOOL_GGSO, netdev::ETHTOOL_GGRO]
        .iter()
        .any(|&cmd| netdev::ethtool_value(fd, device, cmd).is_ok_and(|v| v != 0))
        || netdev::ethtool_value(fd, device, netdev::ETHTOOL_GFLAGS).is_ok_and(|v| v & netdev::ETH_FLAG_LRO != 0);
    let base = if offload { mtu.max(65535) } else { mtu };
    Ok(base + 18)
}

/// Hardware timestamps for PCAP_TSTAMP_ADAPTER(_UNSYNCED): switch the NIC's
/// timestamping on (SIOCSHWTSTAMP) and ask the ring for its stamps
/// (PACKET_TIMESTAMP), libpcap's sequence. A device that cannot stamp every
/// received packet is a warning, PCAP_WARNING_TSTAMP_TYPE_NOTSUP, as with
/// libpcap: the capture goes on, and each packet's metadata says which clock
/// stamped it (the kernel falls back to the host's).
fn enable_hw_timestamps(sock: &PacketSocket, device: &str, tstamp_type: i32) -> Result<Option<Error>> {
    let warning = match netdev::set_hwtstamp(sock.as_fd(), device, true, true) {
        Ok(()) => None,
        Err(e) => match e.raw_os_error() {
            Some(libc::EPERM) => {
                return Err(Error::new(
                    code::PERM_DENIED,
                    "Attempt to set hardware timestamp failed - CAP_NET_ADMIN may be required",
                ))
            }
            Some(libc::EOPNOTSUPP) | Some(libc::ERANGE) => Some(Error::new(code::WARNING_TSTAMP_TYPE_NOTSUP, "")),
            _ => return Err(Error::os("SIOCSHWTSTAMP failed", &e)),
        },
    };
    let source = if tstamp_type == tstamp::PCAP_TSTAMP_ADAPTER {
        tstamp::SOF_TIMESTAMPING_SYS_HARDWARE
    } else {
        tstamp::SOF_TIMESTAMPING_RAW_HARDWARE
    };
    sock.set_int(libc::SOL_PACKET, libc::PACKET_TIMESTAMP, source as i32).map_err(|e| Error::os("can't set PACKET_TIMESTAMP", &e))?;
    Ok(warning)
}

/// The ring geometry for this activation: the caller's explicit layout if
/// given (checked), else computed from the buffer size and packet bound.
fn ring_geometry(opts: &Options, version: Version, reserve: u32, max_packet: u32, limits: &Limits) -> Result<RingGeometry> {
    let tov = if version == Version::V3 {
        opts.ring.block_timeout_ms.unwrap_or(if opts.immediate {
            IMMEDIATE_BLOCK_TIMEOUT_MS
        } else if opts.timeout_ms > 0 {
            opts.timeout_ms as u32
        } else {
            // No timeout: let the kernel choose (a few ms), so a lone packet
            // is not held until its block fills (libpcap issue #335).
            0
        })
    } else {
        0
    };
    let priv_ = if version == Version::V3 { opts.ring.sizeof_priv } else { 0 };
    let r = &opts.ring;
    if r.block_size != 0 {
        let frame_size = if r.frame_size != 0 {
            r.frame_size
        } else if version == Version::V3 {
            geometry::min_frame(version, reserve)
        } else {
            geometry::tpacket_align(geometry::max_mac_offset(version, reserve) + max_packet).min(r.block_size)
        };
        let block_nr = r.block_nr.max(1);
        let g = RingGeometry {
            version,
            block_size: r.block_size,
            block_nr,
            frame_size,
            frame_nr: (r.block_size / frame_size.max(1)) * block_nr,
            retire_blk_tov: tov,
            sizeof_priv: priv_,
            feature_req_word: if version == Version::V3 { libc::TP_FT_REQ_FILL_RXHASH } else { 0 },
        };
        geometry::validate(&g, reserve, limits)?;
        geometry::fits_memory(&g, crate::sys::physical_memory())?;
        return Ok(g);
    }
    let buffer = if opts.buffer_size > 0 { opts.buffer_size as usize } else { DEFAULT_BUFFER };
    let req = RingRequest {
        version,
        buffer_bytes: buffer,
        max_packet,
        reserve,
        retire_blk_tov: tov,
        sizeof_priv: priv_,
        feature_req_word: if version == Version::V3 { libc::TP_FT_REQ_FILL_RXHASH } else { 0 },
    };
    Ok(geometry::plan(&req, limits)?)
}

/// Set up the RX ring and the TX ring (if any) behind it, shrinking the one
/// the kernel refused by about 5 % on ENOMEM, as libpcap does.
fn setup_ring(sock: &mut PacketSocket, mut g: RingGeometry, mut tx: Option<RingGeometry>) -> Result<RingGeometry> {
    loop {
        match sock.setup_rings(Some(&g), tx.as_ref()) {
            Ok(()) => return Ok(g),
            Err(RingSetupError::Rx(e)) if e.raw_os_error() == Some(libc::ENOMEM) => match geometry::shrink(&g) {
                Some(s) => g = s,
                None => return Err(Error::os("can't create rx ring on packet socket", &e)),
            },
            Err(RingSetupError::Tx(e)) if e.raw_os_error() == Some(libc::ENOMEM) => match tx.as_ref().and_then(geometry::shrink) {
                Some(s) => tx = Some(s),
                None => return Err(Error::os("can't create tx ring on packet socket", &e)),
            },
            Err(RingSetupError::Rx(e)) => return Err(Error::os("can't create rx ring on packet socket", &e)),
            Err(RingSetupError::Tx(e)) => return Err(Error::os("can't create tx ring on packet socket", &e)),
            Err(RingSetupError::Map(e)) => return Err(Error::os("can't mmap rx ring", &e)),
        }
    }
}

/// `pcap_activate` for a live device.
pub fn activate(mut opts: Options, breaker: Arc<Breaker>) -> Result<Activated> {
    if opts.environment {
        env::apply(&mut opts, &env::process_env)?;
    }
    let device = opts.device.clone();
    if !netdev::name_fits(&device) {
        return Err(Error::new(code::NO_SUCH_DEVICE, ""));
    }
    let mut snapshot = normalize_snaplen(opts.snaplen);
    let any = opts.is_any();
    let mut warning = None;
    if any && opts.promisc {
        opts.promisc = false;
        // libpcap 1.10.3 leaves this text in the error buffer but returns 0:
        // its later setup steps overwrite the warning status.
        warning = Some(Error::new(0, "Promiscuous mode not supported on the \"any\" device"));
    }
    let open = |kind| {
        PacketSocket::open(kind).map_err(|e| {
            let c = match e.raw_os_error() {
                Some(libc::EPERM) | Some(libc::EACCES) => code::PERM_DENIED,
                _ => code::ERROR,
            };
            Error::os_code(c, "socket", &e)
        })
    };
    let mut sock = open(if any { PacketKind::Cooked } else { PacketKind::Raw })?;
    let lo_ifindex = netdev::ifindex(sock.as_fd(), "lo").unwrap_or(-1);
    let (linktype, dlt_list, cooked, ifindex);
    let mut arphrd = 0;
    if any {
        if opts.rfmon {
            return Err(Error::new(code::RFMON_NOTSUP, ""));
        }
        (linktype, dlt_list, cooked, ifindex) = (DLT_LINUX_SLL, COOKED_DLTS.to_vec(), true, -1);
    } else {
        if opts.rfmon {
            // Monitor mode needs nl80211, which ringcap does not drive.
            return Err(Error::new(code::RFMON_NOTSUP, ""));
        }
        (arphrd, _) = netdev::hwaddr(sock.as_fd(), &device).map_err(|e| match e.raw_os_error() {
            Some(libc::ENODEV) => Error::new(code::NO_SUCH_DEVICE, ""),
            _ => Error::os("SIOCGIFHWADDR", &e),
        })?;
        let wireless = std::path::Path::new(&format!("/sys/class/net/{device}/wireless")).exists();
        match for_arphrd(arphrd, &device, wireless) {
            LinkLayout::Raw { dlt, dlt_list: l } => (linktype, dlt_list, cooked) = (dlt, l, false),
            LinkLayout::Cooked => {
                sock = open(PacketKind::Cooked)?;
                (linktype, dlt_list, cooked) = (DLT_LINUX_SLL, COOKED_DLTS.to_vec(), true);
            }
        }
        ifindex = netdev::ifindex(sock.as_fd(), &device).map_err(|e| Error::os("SIOCGIFINDEX", &e))?;
        bind(&sock, ifindex, 0)?;
    }
    if opts.promisc {
        sock.add_promisc(ifindex).map_err(|e| Error::os("setsockopt (PACKET_ADD_MEMBERSHIP)", &e))?;
    }
    match sock.set_int(libc::SOL_PACKET, libc::PACKET_AUXDATA, 1) {
        Err(e) if e.raw_os_error() != Some(libc::ENOPROTOOPT) => return Err(Error::os("setsockopt (PACKET_AUXDATA)", &e)),
        _ => {}
    }
    if cooked && snapshot < 21 {
        snapshot = 21;
    }
    let vlan_ancillary = sock.get_int(libc::SOL_SOCKET, SO_BPF_EXTENSIONS).is_ok_and(|v| v >= crate::bpf::insn::SKF_AD_VLAN_TAG_PRESENT as i32);

    let version = opts.tpacket_version.unwrap_or(Version::V3);
    if let Err(e) = sock.header_len(version) {
        return Err(match e.raw_os_error() {
            Some(libc::ENOPROTOOPT) => Error::msg("Kernel doesn't support memory-mapped capture; a 2.6.27 or later 2.x kernel is required, with CONFIG_PACKET_MMAP specified for 2.x kernels"),
            Some(libc::EINVAL) => Error::msg(format!("Kernel doesn't support {version}")),
            _ => Error::os(format!("can't get {version} header len on packet socket"), &e),
        });
    }
    sock.set_version(version).map_err(|e| Error::os(format!("can't activate {version} on packet socket"), &e))?;
    let reserve = VLAN_TAG_LEN + if cooked { SLL2_EXTRA } else { 0 };
    sock.set_int(libc::SOL_PACKET, libc::PACKET_RESERVE, reserve as i32).map_err(|e| Error::os("setsockopt (PACKET_RESERVE)", &e))?;

    let dev_max = if any { 65535 + 18 } else { device_max_packet(&sock, &device)? };
    if let Some(t) = opts.tstamp_type {
        if t == tstamp::PCAP_TSTAMP_ADAPTER || t == tstamp::PCAP_TSTAMP_ADAPTER_UNSYNCED {
            if let Some(w) = enable_hw_timestamps(&sock, &device, t)? {
                warning = Some(w);
            }
        }
    }
    let limits = Limits::probe();
    let tx_link = inject::TxLink { device: device.clone(), any, cooked };
    let tx = inject::prepare(&sock, &opts.tx, &tx_link, version, reserve, &limits)?;
    let g = ring_geometry(&opts, version, reserve + tx.rx_headroom, snapshot.min(dev_max), &limits)?;
    let g = setup_ring(&mut sock, g, tx.geometry)?;

    // The snapshot length as a kernel filter, so the ring never fills with
    // bytes that would be cut off afterwards.
    if snapshot < dev_max {
        sock.attach_filter(&[Insn::stmt(BPF_RET | BPF_K, snapshot)]).map_err(|e| Error::os("can't attach snapshot filter", &e))?;
    }
    let protocol = if opts.protocol == 0 { libc::ETH_P_ALL as u16 } else { opts.protocol };
    bind(&sock, ifindex, protocol.to_be())?;
    if opts.nonblock {
        sock.set_nonblocking(true).map_err(|e| Error::os("F_SETFL", &e))?;
    }
    let rx = sock.rx_ring().ok_or_else(|| Error::msg("rx ring missing after setup"))?;
    let sender = inject::Sender::mapped(&sock, &tx, &tx_link, &opts.tx, breaker.clone())?;
    let binding = fanout::Binding {
        netns: crate::sys::ns::current_net_id().ok(),
        ifindex: ifindex.max(0),
        device: device.clone(),
        protocol,
    };
    let shared = LiveShared::new(sock, &device, opts.promisc, fanout::Fanout::new(binding), sender);
    if let Some(spec) = &opts.fanout {
        shared.join_fanout(spec)?;
    }
    let shared = Arc::new(shared);
    let link_rules = any || ifindex == lo_ifindex || arphrd == libc::ARPHRD_CAN;
    let d = Delivery::new(linktype, cooked, snapshot, opts.precision, lo_ifindex, vlan_offset(linktype), link_rules);
    let capture = LiveCapture {
        shared,
        rx,
        d,
        ifindex,
        dlt_list,
        timeout_ms: opts.timeout_ms,
        nonblock: opts.nonblock,
        breaker,
        geometry: g,
        vlan_ancillary,
        spin_ns: opts.busy_poll_us.unwrap_or(0) as u64 * 1000,
        polls: 0,
        wakeups: 0,
        reserve,
        batch: Vec::new(),
        batch_len: 0,
    };
    Ok(Activated { capture, warning })
}

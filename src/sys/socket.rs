//! AF_PACKET sockets: creation, bind, typed socket options, send/recv, socket
//! filters. Each function is one system call (or a short fixed sequence) with
//! its return value checked before errno.

use std::io;
use std::mem::{size_of, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Plain data that may be passed to and filled by the kernel byte for byte.
///
/// # Safety
/// Implementors must be `repr(C)` (or primitive) types for which every bit
/// pattern is a valid value, so that `getsockopt` may fill them.
pub unsafe trait Pod: Copy {}

// SAFETY: integers accept any bit pattern.
unsafe impl Pod for libc::c_int {}
// SAFETY: as above.
unsafe impl Pod for libc::c_uint {}
// SAFETY: repr(C) structs of integers only.
unsafe impl Pod for libc::tpacket_req {}
// SAFETY: repr(C) struct of integers only.
unsafe impl Pod for libc::tpacket_req3 {}
// SAFETY: repr(C) struct of integers only.
unsafe impl Pod for libc::tpacket_stats {}
// SAFETY: repr(C) struct of integers only.
unsafe impl Pod for libc::tpacket_stats_v3 {}
// SAFETY: repr(C) struct of integers and a byte array.
unsafe impl Pod for libc::packet_mreq {}
// SAFETY: repr(C) struct of integers only.
unsafe impl Pod for libc::fanout_args {}
// SAFETY: repr(C) struct of integers only.
unsafe impl Pod for libc::tpacket_rollover_stats {}
// SAFETY: repr(C) struct of integers only.
unsafe impl Pod for libc::sock_filter {}

/// `SOCK_RAW` (link-layer headers as on the wire) or `SOCK_DGRAM` (cooked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketKind {
    Raw,
    Cooked,
}

/// `socket(AF_PACKET, kind | SOCK_CLOEXEC, protocol)`, protocol in network
/// byte order (0: receive nothing until bound with a protocol).
pub fn packet_socket(kind: PacketKind, protocol_be: u16) -> io::Result<OwnedFd> {
    let ty = match kind {
        PacketKind::Raw => libc::SOCK_RAW,
        PacketKind::Cooked => libc::SOCK_DGRAM,
    };
    // SAFETY: socket has no memory preconditions; the result is checked.
    let fd = super::cvt(unsafe { libc::socket(libc::AF_PACKET, ty | libc::SOCK_CLOEXEC, protocol_be as i32) })?;
    // SAFETY: `fd` is a fresh descriptor we own exclusively.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A plain datagram socket for interface ioctls.
pub fn ioctl_socket() -> io::Result<OwnedFd> {
    // SAFETY: as above.
    let fd = super::cvt(unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })
        .or_else(|_| {
            // SAFETY: as above.
            super::cvt(unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })
        })?;
    // SAFETY: fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn sockaddr_ll(ifindex: i32, protocol_be: u16) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain integers; all-zero is a valid value.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_ifindex = ifindex;
    sll.sll_protocol = protocol_be;
    sll
}

/// Bind a packet socket to an interface (0: all interfaces) and protocol.
pub fn bind_packet(fd: BorrowedFd<'_>, ifindex: i32, protocol_be: u16) -> io::Result<()> {
    let sll = sockaddr_ll(ifindex, protocol_be);
    // SAFETY: passes a pointer to a live sockaddr_ll with its exact size.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            &sll as *const libc::sockaddr_ll as *const libc::sockaddr,
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    super::cvt(rc).map(drop)
}

/// The interface index the socket is bound to now (-1 once the device is gone).
pub fn bound_ifindex(fd: BorrowedFd<'_>) -> io::Result<i32> {
    let mut sll = sockaddr_ll(0, 0);
    let mut len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    // SAFETY: `sll` is writable for `len` bytes; `len` is updated by the kernel.
    let rc = unsafe {
        libc::getsockname(fd.as_raw_fd(), &mut sll as *mut libc::sockaddr_ll as *mut libc::sockaddr, &mut len)
    };
    super::cvt(rc)?;
    Ok(sll.sll_ifindex)
}

/// `setsockopt` with a typed value.
pub fn setsockopt<T: Pod>(fd: BorrowedFd<'_>, level: i32, name: i32, value: &T) -> io::Result<()> {
    // SAFETY: `value` is a live T of exactly size_of::<T>() bytes.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            value as *const T as *const libc::c_void,
            size_of::<T>() as libc::socklen_t,
        )
    };
    super::cvt(rc).map(drop)
}

/// `getsockopt` into a typed value; also returns how many bytes the kernel wrote.
pub fn getsockopt<T: Pod>(fd: BorrowedFd<'_>, level: i32, name: i32) -> io::Result<T> {
    let mut v = MaybeUninit::<T>::zeroed();
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: `v` is writable for `len` bytes.
    let rc = unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, v.as_mut_ptr() as *mut libc::c_void, &mut len) };
    super::cvt(rc)?;
    // SAFETY: T is Pod (any bit pattern valid) and was zero-initialised.
    Ok(unsafe { v.assume_init() })
}

/// `getsockopt` with an integer value passed in (PACKET_HDRLEN takes the
/// version in and returns the length).
pub fn getsockopt_int_inout(fd: BorrowedFd<'_>, level: i32, name: i32, input: i32) -> io::Result<i32> {
    let mut v: libc::c_int = input;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `v` is a live c_int, writable for `len` bytes.
    let rc = unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, &mut v as *mut libc::c_int as *mut libc::c_void, &mut len) };
    super::cvt(rc)?;
    Ok(v)
}

/// The pending socket error (SO_ERROR), which reading also clears.
pub fn take_error(fd: BorrowedFd<'_>) -> io::Result<i32> {
    getsockopt::<libc::c_int>(fd, libc::SOL_SOCKET, libc::SO_ERROR)
}

/// Attach a classic BPF program (SO_ATTACH_FILTER).
pub fn attach_filter(fd: BorrowedFd<'_>, prog: &[libc::sock_filter]) -> io::Result<()> {
    set_fprog(fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, prog)
}

/// Pass a classic BPF program as a `struct sock_fprog` option (the kernel
/// copies it); longer than the 16-bit length field can say is EINVAL.
fn set_fprog(fd: BorrowedFd<'_>, level: i32, name: i32, prog: &[libc::sock_filter]) -> io::Result<()> {
    if prog.len() > u16::MAX as usize {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let fprog = libc::sock_fprog { len: prog.len() as u16, filter: prog.as_ptr() as *mut libc::sock_filter };
    // SAFETY: `fprog` points to `prog`, which outlives the call; the kernel
    // copies the program.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            &fprog as *const libc::sock_fprog as *const libc::c_void,
            size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    super::cvt(rc).map(drop)
}

/// Detach any socket filter; "none attached" is not an error.
pub fn detach_filter(fd: BorrowedFd<'_>) -> io::Result<()> {
    match setsockopt(fd, libc::SOL_SOCKET, libc::SO_DETACH_FILTER, &0i32) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT) | Some(libc::ENONET)) => Ok(()),
        r => r,
    }
}

/// Give the socket's fanout group a CBPF program choosing the member
/// (PACKET_FANOUT_DATA on a PACKET_FANOUT_CBPF group).
pub fn set_fanout_cbpf(fd: BorrowedFd<'_>, prog: &[libc::sock_filter]) -> io::Result<()> {
    set_fprog(fd, libc::SOL_PACKET, libc::PACKET_FANOUT_DATA, prog)
}

/// Give the socket's fanout group a loaded eBPF socket-filter program
/// (PACKET_FANOUT_DATA on a PACKET_FANOUT_EBPF group takes its descriptor;
/// the kernel takes its own reference to the program).
pub fn set_fanout_ebpf(fd: BorrowedFd<'_>, prog: BorrowedFd<'_>) -> io::Result<()> {
    setsockopt(fd, libc::SOL_PACKET, libc::PACKET_FANOUT_DATA, &(prog.as_raw_fd() as libc::c_uint))
}

/// `send(fd, buf, len, flags)`; an empty buffer with a NULL pointer is the TX
/// ring "kick".
pub fn send(fd: BorrowedFd<'_>, buf: &[u8], flags: i32) -> io::Result<usize> {
    let p = if buf.is_empty() { std::ptr::null() } else { buf.as_ptr() as *const libc::c_void };
    // SAFETY: `p` is NULL with length 0, or points to `buf.len()` live bytes.
    super::cvt_ssize(unsafe { libc::send(fd.as_raw_fd(), p, buf.len(), flags) })
}

/// `sendmmsg(fd, ...)`: each buffer as one message; returns how many the
/// kernel sent (fewer than given when a later one failed: the next call
/// reports that error), or the error of the first.
pub fn send_many(fd: BorrowedFd<'_>, bufs: &[&[u8]], flags: i32) -> io::Result<usize> {
    let n = bufs.len().min(1024); // UIO_MAXIOV: the kernel's cap per call
    let mut iov: Vec<libc::iovec> =
        bufs[..n].iter().map(|b| libc::iovec { iov_base: b.as_ptr() as *mut libc::c_void, iov_len: b.len() }).collect();
    let mut msgs: Vec<libc::mmsghdr> = iov
        .iter_mut()
        .map(|v| {
            // SAFETY: msghdr is plain integers and pointers; all-zero is valid.
            let mut h: libc::msghdr = unsafe { std::mem::zeroed() };
            h.msg_iov = v;
            h.msg_iovlen = 1;
            libc::mmsghdr { msg_hdr: h, msg_len: 0 }
        })
        .collect();
    // SAFETY: `msgs` holds `n` headers, each pointing to one iovec in `iov`
    // that points to a live caller buffer; the kernel only reads them (and
    // writes msg_len).
    let rc = unsafe { libc::sendmmsg(fd.as_raw_fd(), msgs.as_mut_ptr(), n as libc::c_uint, flags) };
    super::cvt(rc).map(|r| r as usize)
}

/// Get or set O_NONBLOCK.
pub fn nonblocking(fd: BorrowedFd<'_>) -> io::Result<bool> {
    // SAFETY: F_GETFL has no memory arguments.
    let fl = super::cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    Ok(fl & libc::O_NONBLOCK != 0)
}

pub fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL have no memory arguments.
    let fl = super::cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    let nfl = if on { fl | libc::O_NONBLOCK } else { fl & !libc::O_NONBLOCK };
    if nfl != fl {
        // SAFETY: as above.
        super::cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, nfl) })?;
    }
    Ok(())
}

/// Convert a program of `(code, jt, jf, k)` tuples into the kernel's struct.
pub fn sock_filter(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

//! The socket error queue as TX timestamping uses it: `recvmsg(MSG_ERRQUEUE)`
//! and the parsing of its control messages (`SCM_TIMESTAMPING` and the
//! `sock_extended_err` that carries the stamped packet's key).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// `SO_TIMESTAMPING_OLD`: the control message type of `struct
/// scm_timestamping` (three `struct timespec`) on sockets that did not ask
/// for 64-bit time explicitly.
const SO_TIMESTAMPING_OLD: i32 = 37;
/// `SO_TIMESTAMPING_NEW`: the same with `struct __kernel_timespec` (two
/// 64-bit fields), on sockets that set SO_TIMESTAMPING_NEW.
const SO_TIMESTAMPING_NEW: i32 = 65;
/// `PACKET_TX_TIMESTAMP`: the type of the extended error a packet socket
/// attaches (level SOL_PACKET).
const PACKET_TX_TIMESTAMP: i32 = 16;

/// One TX timestamp from the error queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueuedStamp {
    /// The stamped packet's key (`ee_data`: with SOF_TIMESTAMPING_OPT_ID,
    /// the socket's count of stamped packets before it).
    pub key: u32,
    /// The software stamp (`ts[0]`), seconds and nanoseconds since the epoch.
    pub software: Option<(i64, u32)>,
    /// The raw hardware stamp (`ts[2]`).
    pub hardware: Option<(i64, u32)>,
}

/// A timespec from the kernel, `None` when zero (no stamp of that kind).
fn stamp(sec: i64, nsec: i64) -> Option<(i64, u32)> {
    (sec != 0 || nsec != 0).then_some((sec, nsec.clamp(0, 999_999_999) as u32))
}

/// Take the next TX timestamp from the socket's error queue without
/// waiting; `Ok(None)` once the queue is empty. Messages that are not TX
/// timestamps (no timestamping origin) are consumed and skipped.
pub fn recv_stamp(fd: BorrowedFd<'_>) -> io::Result<Option<QueuedStamp>> {
    loop {
        // u64 elements: control messages need cmsghdr alignment.
        let mut control = [0u64; 32];
        // SAFETY: msghdr is plain integers and pointers; all-zero is valid
        // (no name, no data buffer).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        // SAFETY: `msg` points to `control`, which is writable for
        // msg_controllen bytes and outlives the call; there is no iovec.
        let rc = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EAGAIN) => Ok(None),
                Some(libc::EINTR) => continue,
                _ => Err(e),
            };
        }
        let mut out = QueuedStamp::default();
        let mut keyed = false;
        // SAFETY: the kernel filled msg_controllen bytes of `control` with
        // well-formed cmsghdrs; CMSG_FIRSTHDR/CMSG_NXTHDR stay within them.
        let mut c = unsafe { libc::CMSG_FIRSTHDR(&msg) };
        while !c.is_null() {
            // SAFETY: `c` is a cmsghdr inside `control` (see above).
            let (level, ty, len) = unsafe { ((*c).cmsg_level, (*c).cmsg_type, (*c).cmsg_len as usize) };
            // SAFETY: CMSG_DATA of a valid header points inside `control`.
            let data = unsafe { libc::CMSG_DATA(c) };
            // SAFETY: computing the header length has no preconditions.
            let payload = len.saturating_sub(unsafe { libc::CMSG_LEN(0) } as usize);
            if level == libc::SOL_SOCKET && ty == SO_TIMESTAMPING_OLD && payload >= 3 * std::mem::size_of::<libc::timespec>() {
                // SAFETY: the payload holds three timespecs (checked), read
                // unaligned.
                let ts: [libc::timespec; 3] = unsafe { std::ptr::read_unaligned(data as *const [libc::timespec; 3]) };
                #[allow(clippy::unnecessary_cast)] // time_t / c_long are 32-bit on some targets
                {
                    out.software = stamp(ts[0].tv_sec as i64, ts[0].tv_nsec as i64);
                    out.hardware = stamp(ts[2].tv_sec as i64, ts[2].tv_nsec as i64);
                }
            } else if level == libc::SOL_SOCKET && ty == SO_TIMESTAMPING_NEW && payload >= std::mem::size_of::<[[i64; 2]; 3]>() {
                // SAFETY: the payload holds three pairs of i64 (checked).
                let ts: [[i64; 2]; 3] = unsafe { std::ptr::read_unaligned(data as *const [[i64; 2]; 3]) };
                out.software = stamp(ts[0][0], ts[0][1]);
                out.hardware = stamp(ts[2][0], ts[2][1]);
            } else if level == libc::SOL_PACKET
                && ty == PACKET_TX_TIMESTAMP
                && payload >= std::mem::size_of::<libc::sock_extended_err>()
            {
                // SAFETY: the payload holds a sock_extended_err (checked).
                let ee: libc::sock_extended_err = unsafe { std::ptr::read_unaligned(data as *const libc::sock_extended_err) };
                if ee.ee_origin == libc::SO_EE_ORIGIN_TIMESTAMPING {
                    out.key = ee.ee_data;
                    keyed = true;
                }
            }
            // SAFETY: as CMSG_FIRSTHDR above.
            c = unsafe { libc::CMSG_NXTHDR(&msg, c) };
        }
        if keyed {
            return Ok(Some(out));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn zero_is_no_stamp() {
        assert_eq!(super::stamp(0, 0), None);
        assert_eq!(super::stamp(5, 7), Some((5, 7)));
        assert_eq!(super::stamp(0, 2_000_000_000), Some((0, 999_999_999)));
    }
}

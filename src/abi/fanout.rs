//! Fanout groups (PACKET_FANOUT), which libpcap has no API for:
//! `ringcap_set_fanout`, `ringcap_set_fanout_cbpf`, `ringcap_set_fanout_ebpf`
//! and `ringcap_fanout_group_id`, with the kernel's mode and flag values as
//! `RINGCAP_FANOUT_*` constants (identical to `<linux/if_packet.h>`'s
//! `PACKET_FANOUT_*`, which may be passed as well).
//!
//! Each call works before activation (the group is joined by
//! `pcap_activate`, after the socket is bound) and after it (joined or set
//! at once, also from inside a callback of a read on the same handle). Return
//! convention: 0 (or the group id) on success; a negative `PCAP_ERROR*` code
//! with `pcap_geterr(p)` saying what the kernel refused and why; PCAP_ERROR
//! for a NULL handle.

use std::ffi::{c_int, c_uint};
use std::os::fd::BorrowedFd;
use std::sync::Arc;

use super::filter::program_insns;
use super::handle::{not_activated, pcap_t, Engine};
use super::types::bpf_program;
use crate::capture::fanout::{FanoutSpec, Program};
use crate::capture::{LiveShared, Options};
use crate::error::{code, Error};

/// The kernel's fanout modes and flags under ringcap's names, for C
/// (`include/ringcap.h`); Rust code uses `capture::fanout`'s types.
#[allow(dead_code)]
pub mod constants {
    use std::ffi::{c_int, c_uint};

    /// Flow hash: one flow, one member (`PACKET_FANOUT_HASH`).
    pub const RINGCAP_FANOUT_HASH: c_int = 0;
    /// Round robin (`PACKET_FANOUT_LB`).
    pub const RINGCAP_FANOUT_LB: c_int = 1;
    /// By receiving CPU (`PACKET_FANOUT_CPU`).
    pub const RINGCAP_FANOUT_CPU: c_int = 2;
    /// The first member with room in its ring (`PACKET_FANOUT_ROLLOVER`).
    pub const RINGCAP_FANOUT_ROLLOVER: c_int = 3;
    /// At random (`PACKET_FANOUT_RND`).
    pub const RINGCAP_FANOUT_RND: c_int = 4;
    /// By receive queue (`PACKET_FANOUT_QM`).
    pub const RINGCAP_FANOUT_QM: c_int = 5;
    /// By a classic BPF program (`PACKET_FANOUT_CBPF`; `ringcap_set_fanout_cbpf`).
    pub const RINGCAP_FANOUT_CBPF: c_int = 6;
    /// By an eBPF program (`PACKET_FANOUT_EBPF`; `ringcap_set_fanout_ebpf`).
    pub const RINGCAP_FANOUT_EBPF: c_int = 7;
    /// Move a packet on to the next member when the chosen one's ring is full
    /// (`PACKET_FANOUT_FLAG_ROLLOVER`).
    pub const RINGCAP_FANOUT_FLAG_ROLLOVER: c_uint = 0x1000;
    /// Let the kernel assign an unused group id; the id passed must be 0
    /// (`PACKET_FANOUT_FLAG_UNIQUEID`; read it with `ringcap_fanout_group_id`).
    pub const RINGCAP_FANOUT_FLAG_UNIQUEID: c_uint = 0x2000;
    /// Leave out packets the host sends (`PACKET_FANOUT_FLAG_IGNORE_OUTGOING`).
    pub const RINGCAP_FANOUT_FLAG_IGNORE_OUTGOING: c_uint = 0x4000;
    /// Reassemble IP fragments before choosing (`PACKET_FANOUT_FLAG_DEFRAG`).
    pub const RINGCAP_FANOUT_FLAG_DEFRAG: c_uint = 0x8000;
}

/// Run a fanout call on `p`: `before` on the options of a handle not yet
/// activated, `after` on an activated live handle; other handles have no
/// socket to put in a group.
fn on_handle(
    p: *mut pcap_t,
    what: &str,
    before: impl FnOnce(&mut Options) -> Result<c_int, Error>,
    after: impl FnOnce(&LiveShared) -> Result<c_int, Error>,
) -> c_int {
    // SAFETY: `p` is NULL or a handle pointer from this library.
    let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
    let r = match h.live_shared() {
        Some(live) => after(live),
        None => match h.engine(what) {
            Err(e) => Err(e),
            Ok(mut g) => match &mut *g {
                Engine::Inactive(o) => before(o),
                Engine::Live(c) => after(c.shared()),
                Engine::Dead => Err(Error::msg(format!("{what}: fanout needs a live capture, not a pcap_open_dead pcap_t"))),
                Engine::Offline(_) => Err(Error::msg(format!("{what}: fanout needs a live capture, not a savefile"))),
            },
        },
    };
    match r {
        Ok(v) => v,
        Err(e) => h.fail(&e),
    }
}

/// `ringcap_set_fanout(p, mode, group_id, flags)`: put the handle's socket
/// in fanout group `group_id` of its network namespace, so that the
/// group's members (handles of this or other processes on the same device
/// and protocol) share its packets, each packet going to one member.
/// `mode` is one of `RINGCAP_FANOUT_HASH`, `_LB`, `_CPU`, `_ROLLOVER`,
/// `_RND`, `_QM`, `_CBPF`, `_EBPF`; `flags` an OR of
/// `RINGCAP_FANOUT_FLAG_*` (with `_UNIQUEID`, `group_id` must be 0 and the
/// kernel assigns one). Before activation the request is remembered
/// (replacing an earlier one and its program) and `pcap_activate` joins,
/// failing if the kernel refuses; after activation the socket joins at
/// once. A socket stays in its group until `pcap_close`; a second join is
/// refused. 0, or PCAP_ERROR with `pcap_geterr(p)` naming what the kernel
/// refused: a group of the same id with another mode or flags, on another
/// device or for another protocol (named exactly for groups of this
/// process), a full group, an unknown mode or flag.
#[no_mangle]
pub extern "C" fn ringcap_set_fanout(p: *mut pcap_t, mode: c_int, group_id: u16, flags: c_uint) -> c_int {
    ffi!(code::ERROR, {
        let spec = FanoutSpec::from_kernel(mode, group_id, flags);
        let again = spec.clone();
        on_handle(
            p,
            "ringcap_set_fanout",
            |o| {
                o.fanout = Some(spec?);
                Ok(0)
            },
            |l| l.join_fanout(&again?).map(|_| 0),
        )
    })
}

/// Set `program` as the handle's fanout program: before activation, kept
/// with the handle's fanout request (which must have its mode); after
/// activation, given to the group the handle is in (which must have that
/// mode).
fn set_program(p: *mut pcap_t, what: &str, program: Program) -> c_int {
    let after = program.clone();
    on_handle(
        p,
        what,
        |o| {
            let Some(spec) = o.fanout.take() else {
                return Err(Error::msg(format!("{what}: this handle has no fanout request; call ringcap_set_fanout first")));
            };
            let r = spec.clone().with_program(program);
            o.fanout = Some(r.as_ref().map_or(spec, |s| s.clone()));
            r.map(|_| 0)
        },
        |l| l.set_fanout_program(&after).map(|_| 0),
    )
}

/// `ringcap_set_fanout_cbpf(p, fp)`: the classic BPF program of the
/// handle's `RINGCAP_FANOUT_CBPF` group: for each packet its return value,
/// modulo the member count, is the member (in the order they joined) that
/// gets it. The kernel runs it before the link-layer header is pushed back:
/// absolute loads count from the network header (`ldb [9]` is the IPv4
/// protocol on Ethernet). The program must pass `bpf_validate` and have at most 4096
/// instructions; it is copied (the caller keeps `fp`). It is the group's:
/// setting it from any member replaces it for all; until one is set every
/// packet goes to the first member. Before activation it is set when
/// `pcap_activate` joins (call `ringcap_set_fanout` first); after
/// activation the handle must be in a CBPF group. 0, or PCAP_ERROR with
/// `pcap_geterr(p)` set.
#[no_mangle]
pub unsafe extern "C" fn ringcap_set_fanout_cbpf(p: *mut pcap_t, fp: *const bpf_program) -> c_int {
    ffi!(code::ERROR, {
        const WHAT: &str = "ringcap_set_fanout_cbpf";
        let insns = if fp.is_null() {
            Err(Error::msg(format!("{WHAT}: the program is NULL")))
        } else {
            // SAFETY: non-NULL; the caller passes a program with bf_len
            // instructions at bf_insns (or NULL).
            unsafe { program_insns(fp) }.ok_or_else(|| Error::msg(format!("{WHAT}: the program has no instructions")))
        };
        match insns {
            Ok(i) => set_program(p, WHAT, Program::Cbpf(i.to_vec())),
            Err(e) => fail(p, &e),
        }
    })
}

/// `ringcap_set_fanout_ebpf(p, prog_fd)`: the eBPF program of the handle's
/// `RINGCAP_FANOUT_EBPF` group, a loaded `BPF_PROG_TYPE_SOCKET_FILTER`
/// program; its return value, modulo the member count, picks the member.
/// ringcap duplicates `prog_fd` (the caller keeps and may close its own).
/// Group-wide and before/after activation as `ringcap_set_fanout_cbpf`.
/// 0, or PCAP_ERROR with `pcap_geterr(p)` set (a descriptor that is not a
/// socket-filter program is refused by the kernel, and said so).
#[no_mangle]
pub extern "C" fn ringcap_set_fanout_ebpf(p: *mut pcap_t, prog_fd: c_int) -> c_int {
    ffi!(code::ERROR, {
        const WHAT: &str = "ringcap_set_fanout_ebpf";
        if prog_fd < 0 {
            return fail(p, &Error::msg(format!("{WHAT}: {prog_fd} is not a file descriptor")));
        }
        // SAFETY: the caller passes a descriptor open for the duration of
        // the call; it is only duplicated (fcntl F_DUPFD_CLOEXEC, which
        // answers EBADF for a closed one).
        let fd = unsafe { BorrowedFd::borrow_raw(prog_fd) };
        match fd.try_clone_to_owned() {
            Ok(own) => set_program(p, WHAT, Program::Ebpf(Arc::new(own))),
            Err(e) => fail(p, &Error::os(format!("{WHAT}: can't duplicate descriptor {prog_fd}"), &e)),
        }
    })
}

/// Record `e` on the handle, if there is one; its code.
fn fail(p: *mut pcap_t, e: &Error) -> c_int {
    // SAFETY: `p` is NULL or a handle pointer from this library.
    match unsafe { pcap_t::from_ptr(p) } {
        Some(h) => h.fail(e),
        None => code::ERROR,
    }
}

/// `ringcap_fanout_group_id(p)`: the id (0 to 65535) of the fanout group
/// the activated handle is in: the one asked for, or the kernel's choice
/// with `RINGCAP_FANOUT_FLAG_UNIQUEID` (pass it to other handles'
/// `ringcap_set_fanout`, without that flag, to join them to the group).
/// PCAP_ERROR_NOT_ACTIVATED before activation; PCAP_ERROR, with
/// `pcap_geterr(p)` set, for a handle in no group.
#[no_mangle]
pub extern "C" fn ringcap_fanout_group_id(p: *mut pcap_t) -> c_int {
    ffi!(code::ERROR, {
        on_handle(p, "ringcap_fanout_group_id", |_| Err(not_activated()), |l| l.fanout.group_id().map(c_int::from))
    })
}

#[cfg(test)]
mod tests {
    use super::constants::*;

    #[test]
    fn constants_are_the_kernels() {
        let modes = [
            (RINGCAP_FANOUT_HASH, libc::PACKET_FANOUT_HASH),
            (RINGCAP_FANOUT_LB, libc::PACKET_FANOUT_LB),
            (RINGCAP_FANOUT_CPU, libc::PACKET_FANOUT_CPU),
            (RINGCAP_FANOUT_ROLLOVER, libc::PACKET_FANOUT_ROLLOVER),
            (RINGCAP_FANOUT_RND, libc::PACKET_FANOUT_RND),
            (RINGCAP_FANOUT_QM, libc::PACKET_FANOUT_QM),
            (RINGCAP_FANOUT_CBPF, libc::PACKET_FANOUT_CBPF),
            (RINGCAP_FANOUT_EBPF, libc::PACKET_FANOUT_EBPF),
        ];
        for (ours, kernel) in modes {
            assert_eq!(ours as u32, kernel);
        }
        assert_eq!(RINGCAP_FANOUT_FLAG_ROLLOVER, libc::PACKET_FANOUT_FLAG_ROLLOVER);
        assert_eq!(RINGCAP_FANOUT_FLAG_UNIQUEID, libc::PACKET_FANOUT_FLAG_UNIQUEID);
        assert_eq!(RINGCAP_FANOUT_FLAG_IGNORE_OUTGOING, libc::PACKET_FANOUT_FLAG_IGNORE_OUTGOING);
        assert_eq!(RINGCAP_FANOUT_FLAG_DEFRAG, libc::PACKET_FANOUT_FLAG_DEFRAG);
    }
}

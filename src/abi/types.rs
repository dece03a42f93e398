//! The C structures of `<pcap/pcap.h>` and `<pcap/bpf.h>`, laid out exactly
//! as the system header lays them out (checked by `c-tests/layout.c`).

use std::ffi::{c_char, c_uint};

use crate::bpf::Insn;
use crate::packet::PacketHeader;

/// `struct pcap_pkthdr`.
pub type pcap_pkthdr = PacketHeader;

/// `struct bpf_insn`.
pub type bpf_insn = Insn;

/// `struct pcap_stat` (Linux layout: three counters).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct pcap_stat {
    pub ps_recv: c_uint,
    pub ps_drop: c_uint,
    pub ps_ifdrop: c_uint,
}

/// `struct bpf_program`: owned by whoever filled it (`pcap_compile`'s
/// instructions are freed with `pcap_freecode`).
#[repr(C)]
#[derive(Debug)]
pub struct bpf_program {
    pub bf_len: c_uint,
    pub bf_insns: *mut bpf_insn,
}

/// `struct pcap_addr`.
#[repr(C)]
#[derive(Debug)]
pub struct pcap_addr {
    pub next: *mut pcap_addr,
    pub addr: *mut libc::sockaddr,
    pub netmask: *mut libc::sockaddr,
    pub broadaddr: *mut libc::sockaddr,
    pub dstaddr: *mut libc::sockaddr,
}

/// `struct pcap_if` (`pcap_if_t`).
#[repr(C)]
#[derive(Debug)]
pub struct pcap_if {
    pub next: *mut pcap_if,
    pub name: *mut c_char,
    pub description: *mut c_char,
    pub addresses: *mut pcap_addr,
    pub flags: u32,
}

/// `pcap_handler`: `void (*)(u_char *user, const struct pcap_pkthdr *, const u_char *)`.
pub type pcap_handler = Option<unsafe extern "C" fn(*mut u8, *const pcap_pkthdr, *const u8)>;

//! ringcap: packet capture and injection on Linux through the kernel's
//! memory-mapped AF_PACKET rings (PACKET_MMAP), with a C ABI that is a drop-in
//! for libpcap 1.10 and a safe Rust API over the same core.
//!
//! Module map (one responsibility each):
//! - [`sys`]: the only system calls.
//! - [`packet`]: the per-packet header and the reading contract of every source.
//! - [`dlt`]: link-layer type tables.
//! - [`bpf`]: classic BPF instructions, validator, interpreter, listings.
//! - [`error`]: `Error { code, message }`, libpcap's codes and wording.
//! - [`savefile`]: pcap and pcapng reading and writing.
//! - [`api`]: the safe Rust API over the same core.
//! - [`capture`]: live handles (activation, delivery, waiting, sending).
//! - [`ring`]: the PACKET_MMAP rings and the socket that owns them.
//! - [`filter`]: the pcap filter language compiler.
//! - `abi`: the C ABI (`pcap_*`, `bpf_*`, `ringcap_*`), nothing else.
#![deny(unsafe_code)]

pub mod api;
pub mod bpf;
pub mod capture;
pub mod dlt;
pub mod error;
pub mod filter;
pub mod packet;
pub mod ring;
pub mod savefile;
pub mod sys;

mod abi;

pub use error::{Error, Result};

/// The largest snapshot length libpcap uses (and what 0 or a negative
/// snaplen become).
pub const MAXIMUM_SNAPLEN: u32 = 262_144;

/// ringcap's own version, reported after libpcap's in `pcap_lib_version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

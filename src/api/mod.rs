//! The safe Rust API: live capture with every option ringcap has
//! ([`CaptureBuilder`], [`Capture`]), zero-copy batches whose packets cannot
//! outlive their release ([`Batch`]), fanout groups ([`FanoutGroup`]),
//! sending ([`Injector`], [`SendQueue`]), filters ([`Filter`]), savefiles
//! ([`SavefileReader`], [`SavefileWriter`]).
//!
//! It is a thin layer over the same core the C ABI calls (`capture`,
//! `filter`, `bpf`, `ring`): the C shell adds libpcap's handle state machine
//! (inactive handles, callbacks that re-enter the handle, deferred close);
//! this layer adds ownership and lifetimes instead, so that nothing unsafe
//! is left to the caller.
//!
//! ```
//! use ringcap::api::Filter;
//!
//! // An Ethernet frame carrying IPv4/UDP from port 1234 to port 53.
//! let mut frame = vec![0u8; 42];
//! frame[12..14].copy_from_slice(&[0x08, 0x00]);
//! frame[14] = 0x45;
//! frame[23] = 17;
//! frame[34..36].copy_from_slice(&1234u16.to_be_bytes());
//! frame[36..38].copy_from_slice(&53u16.to_be_bytes());
//!
//! let dns = Filter::compile("udp port 53", ringcap::dlt::DLT_EN10MB, 262144)?;
//! assert!(dns.matches(&frame, frame.len() as u32));
//! let web = Filter::compile("tcp port 80", ringcap::dlt::DLT_EN10MB, 262144)?;
//! assert!(!web.matches(&frame, frame.len() as u32));
//! # Ok::<(), ringcap::Error>(())
//! ```

mod capture;
mod filter;
mod inject;
mod savefile;

pub use capture::{Batch, BatchIter, BreakHandle, Capture, CaptureBuilder, Packet};
pub use filter::Filter;
pub use inject::{BatchError, Injector, SendQueue};
pub use savefile::{SavefileReader, SavefileWriter};

/// A PACKET_FANOUT group to join: its mode, id (0 with
/// [`FanoutFlags::UNIQUEID`]: the kernel assigns one), flags, and the
/// program of a CBPF or EBPF group. Checked when built: what the kernel
/// would refuse is refused with the reason.
///
/// ```no_run
/// use ringcap::api::{Capture, FanoutFlags, FanoutGroup, FanoutMode};
///
/// // Two captures sharing eth0's packets by flow hash.
/// let group = FanoutGroup::new(FanoutMode::Hash, 77, FanoutFlags::DEFRAG)?;
/// let a = Capture::builder("eth0").fanout(group.clone()).activate()?;
/// let b = Capture::builder("eth0").fanout(group).activate()?;
/// assert_eq!((a.fanout_group_id()?, b.fanout_group_id()?), (77, 77));
/// # Ok::<(), ringcap::Error>(())
/// ```
pub use crate::capture::fanout::FanoutSpec as FanoutGroup;
pub use crate::capture::fanout::{Flags as FanoutFlags, Mode as FanoutMode, Program as FanoutProgram};
pub use crate::capture::inject::TxTimestamps;
pub use crate::capture::{Direction, RingInfo, Stats, StatsEx};
pub use crate::packet::{PacketHeader, Precision};
pub use crate::ring::{TsSource, Version};

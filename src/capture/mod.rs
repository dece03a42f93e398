//! Live capture: the behaviour of an activated live handle on top of the ring
//! engine — options, activation (libpcap's open sequence), delivery rules,
//! waiting and reading, statistics, fanout groups, and device discovery.

pub mod activate;
pub mod deliver;
pub mod devices;
pub mod env;
pub mod fanout;
pub mod inject;
pub mod kfilter;
pub mod linktype;
pub mod live;
pub mod options;
pub mod tstamp;
pub mod txstamp;

pub use activate::{activate, normalize_snaplen, Activated};
pub use deliver::Direction;
pub use fanout::{FanoutSpec, Flags as FanoutFlags, Mode as FanoutMode};
pub use live::{BatchPacket, Counters, LiveCapture, LiveShared, RingInfo, Stats, StatsEx};
pub use options::{Options, RingOverride};

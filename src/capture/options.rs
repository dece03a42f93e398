//! What a live handle is asked for before activation: libpcap's settings
//! (`pcap_set_*`) and ringcap's extensions (`ringcap_set_*`, `RINGCAP_*`).

use crate::packet::Precision;
use crate::ring::Version;

/// An explicit ring layout (`ringcap_set_ring_geometry`, `RINGCAP_RING`);
/// zero fields mean "compute it".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RingOverride {
    pub block_size: u32,
    pub block_nr: u32,
    pub frame_size: u32,
    /// V3 block timeout in ms (None: derived from the pcap timeout).
    pub block_timeout_ms: Option<u32>,
    /// V3 private area per block.
    pub sizeof_priv: u32,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub device: String,
    /// As set; normalised at activation (<= 0 or > 262144 become 262144).
    pub snaplen: i32,
    pub promisc: bool,
    pub rfmon: bool,
    pub timeout_ms: i32,
    /// 0: ringcap's default.
    pub buffer_size: i32,
    pub immediate: bool,
    /// None: the default (host) timestamps.
    pub tstamp_type: Option<i32>,
    pub precision: Precision,
    /// Host byte order; 0 means ETH_P_ALL.
    pub protocol: u16,
    /// pcap_setnonblock before activation takes effect at activation.
    pub nonblock: bool,
    /// None: V3 (ringcap's default).
    pub tpacket_version: Option<Version>,
    pub ring: RingOverride,
    /// The timestamp types this device supports (`pcap_list_tstamp_types`).
    pub tstamp_types: Vec<i32>,
    /// Spin this long on the ring before sleeping in poll (None: ringcap's
    /// default for the mode).
    pub busy_poll_us: Option<u32>,
    /// The send side: TX ring, qdisc bypass, TX timestamps.
    pub tx: super::inject::TxOptions,
    /// Apply the `RINGCAP_*` environment variables at activation (C
    /// handles do; the Rust API opts in).
    pub environment: bool,
    /// The fanout group to join at activation.
    pub fanout: Option<super::fanout::FanoutSpec>,
}

impl Options {
    pub fn new(device: &str) -> Options {
        Options {
            device: device.to_string(),
            snaplen: 0,
            promisc: false,
            rfmon: false,
            timeout_ms: 0,
            buffer_size: 0,
            immediate: false,
            tstamp_type: None,
            precision: Precision::Micro,
            protocol: 0,
            nonblock: false,
            tpacket_version: None,
            ring: RingOverride::default(),
            tstamp_types: Vec::new(),
            busy_poll_us: None,
            tx: Default::default(),
            environment: true,
            fanout: None,
        }
    }

    pub fn is_any(&self) -> bool {
        self.device == "any"
    }
}

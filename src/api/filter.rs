//! [`Filter`]: a compiled pcap filter expression (or a classic BPF program
//! given as instructions), validated, ready to run on packets or to attach
//! to a [`Capture`](super::Capture).

use crate::bpf::{Compiled, Insn};
use crate::error::{Error, Result};
use crate::filter::{CompileOptions, NETMASK_UNKNOWN};

/// A validated classic BPF program.
#[derive(Clone, Debug)]
pub struct Filter {
    program: Compiled,
}

impl Filter {
    /// Compile `expr` (pcap-filter(7) syntax) for packets of link type
    /// `linktype` (a `DLT_*` value) with the optimizer on, as `tcpdump`
    /// does; accepted packets keep `snaplen` bytes. Errors carry libpcap's
    /// messages (`syntax error`, `unknown host 'x'`, ...).
    pub fn compile(expr: &str, linktype: i32, snaplen: u32) -> Result<Filter> {
        let opts = CompileOptions { linktype, snaplen, optimize: true, netmask: NETMASK_UNKNOWN, linux_vlan_ancillary: false };
        Filter::compile_with(expr, &opts)
    }

    /// Compile with every option `pcap_compile` has.
    pub fn compile_with(expr: &str, opts: &CompileOptions) -> Result<Filter> {
        Filter::from_instructions(&crate::filter::compile(expr, opts)?)
    }

    /// A program given as instructions, checked with libpcap's validator
    /// (`bpf_validate`).
    pub fn from_instructions(insns: &[Insn]) -> Result<Filter> {
        if !crate::bpf::validate(insns) {
            return Err(Error::msg("BPF program is not valid"));
        }
        Ok(Filter { program: Compiled::new(insns) })
    }

    /// The program's verdict on a packet of `wire_len` bytes on the wire
    /// whose first `packet.len()` bytes were captured: how many bytes to
    /// keep, 0 to reject (`bpf_filter`).
    pub fn run(&self, packet: &[u8], wire_len: u32) -> u32 {
        self.program.run(packet, wire_len, None)
    }

    /// Whether the program accepts the packet.
    pub fn matches(&self, packet: &[u8], wire_len: u32) -> bool {
        self.run(packet, wire_len) != 0
    }

    pub fn instructions(&self) -> &[Insn] {
        self.program.insns()
    }

    /// The program as `tcpdump -d` prints it (`bpf_dump` with option 1).
    pub fn listing(&self) -> String {
        crate::bpf::image::dump(self.instructions(), 1)
    }
}

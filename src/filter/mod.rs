//! The pcap filter language compiler: `"tcp port 80"` in, a classic BPF
//! program out, accepting exactly the packets libpcap 1.10's program
//! accepts.
//!
//! Pipeline: [`lexer`] → [`parser`] (driving the LALR tables of
//! [`grammar`], with [`ast`] values) → [`codegen`] (per-link-type layout in
//! [`layout`], names through [`names`]) → [`ir`] block graph →
//! [`optimizer`] → [`emit`].

pub mod ast;
pub mod codegen;
pub mod emit;
pub mod grammar;
pub mod ir;
pub mod layout;
pub mod lexer;
pub mod names;
pub mod optimizer;
pub mod parser;

pub use codegen::Origin;

use crate::bpf::insn::{BPF_K, BPF_RET};
use crate::error::Error;

/// How to compile: what `pcap_compile` takes from the handle and its
/// arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// DLT_* of the handle.
    pub linktype: i32,
    /// The accept return value (libpcap uses the snapshot length).
    pub snaplen: u32,
    pub optimize: bool,
    /// Host byte order; `PCAP_NETMASK_UNKNOWN` = 0xffffffff.
    pub netmask: u32,
    /// Live Linux capture whose kernel supports `SKF_AD_VLAN_TAG_PRESENT`
    /// (libpcap's BPF_SPECIAL_VLAN_HANDLING).
    pub linux_vlan_ancillary: bool,
}

/// `PCAP_NETMASK_UNKNOWN`.
pub const NETMASK_UNKNOWN: u32 = 0xffff_ffff;

/// Compile `expr` for a live or dead handle.
pub fn compile(expr: &str, opts: &CompileOptions) -> Result<crate::bpf::Program, Error> {
    compile_for(expr, opts, Origin::Capture)
}

/// Compile `expr` for a handle of the given origin (savefiles differ for
/// `ip6` on DLT_NULL, `inbound`/`outbound` and `ifindex`).
pub fn compile_for(expr: &str, opts: &CompileOptions, origin: Origin) -> Result<crate::bpf::Program, Error> {
    compile_inner(expr, opts, origin).map_err(Error::msg)
}

fn compile_inner(expr: &str, opts: &CompileOptions, origin: Origin) -> Result<crate::bpf::Program, String> {
    if opts.snaplen == 0 {
        return Err("snaplen of 0 rejects all packets".into());
    }
    let mut g = codegen::Gen::new(opts.linktype, opts.snaplen, opts.netmask, origin, opts.linux_vlan_ancillary)?;
    parser::parse(expr, &mut g)?;
    let mut root = match g.root {
        Some(r) => r,
        None => g.gen_retblk(opts.snaplen),
    };
    if opts.optimize && !g.no_optimize {
        root = optimizer::optimize(&mut g.ir, root)?;
        let r = g.ir.b(root);
        if r.code == (BPF_RET | BPF_K) as i32 && r.k == 0 {
            return Err("expression rejects all packets".into());
        }
    }
    emit::to_program(&mut g.ir, root)
}

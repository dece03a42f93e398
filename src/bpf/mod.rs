//! Classic BPF: the instruction set ([`insn`]) shared by the filter compiler,
//! the kernel attach path and the userland interpreter; libpcap's validator
//! ([`validate`]), the interpreter ([`interp`]) and the listings `bpf_image`
//! and `bpf_dump` print ([`image`]).

pub mod image;
pub mod insn;
pub mod interp;
pub mod validate;

pub use insn::{Insn, Program};
pub use interp::{filter, filter_with_aux, AuxData, Compiled, InsnSource, LazyProgram};
pub use validate::validate;

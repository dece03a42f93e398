//! Classic BPF: the instruction set ([`insn`]) shared by the filter compiler,
//! the kernel attach path and the userland interpreter.

pub mod insn;

pub use insn::{Insn, Program};

//! The userland classic-BPF interpreter, with libpcap 1.10.3's semantics
//! (`pcap_filter_with_aux_data`, exported as `bpf_filter`).
//!
//! Semantics shared with libpcap, for every program libpcap can run:
//! - the return value is the `ret` operand (0 rejects the packet);
//! - a load outside the captured bytes (`pkt.len()`, the caplen) returns 0;
//!   `BPF_LEN` loads the original length (`wirelen`);
//! - division or modulus by an X of 0 returns 0; a shift by an X of 32 or
//!   more gives 0; a shift by a constant uses its low five bits (what
//!   libpcap's `A <<= k` does on x86-64, the platform it is compared with);
//! - `ldb [SKF_AD_OFF + SKF_AD_VLAN_TAG]` and `[... + SKF_AD_VLAN_TAG_PRESENT]`
//!   read the aux data (the tag from the ring's metadata) and return 0 without
//!   it; no other ancillary offset is special: like any offset past the
//!   captured bytes, loading it returns 0;
//! - `ja` takes a signed offset, so backward jumps (`ip6 protochain`) work.
//!
//! Where libpcap would crash, hang or read garbage, this interpreter is total
//! and returns 0 instead: unknown opcodes (libpcap aborts), jumps outside the
//! program, constant division by zero (SIGFPE), scratch-memory indices past
//! `BPF_MEMWORDS`, and loops that run longer than [`STEP_BUDGET`] instructions
//! (libpcap spins forever). Scratch memory starts zeroed (libpcap leaves it
//! uninitialised).
//!
//! Three ways to run a program, one semantics (one [`decode`] of instructions
//! into operations and one execution loop, [`exec`]):
//! - [`filter`] / [`filter_with_aux`]: straight from a slice, decoding each
//!   instruction as it executes;
//! - [`Compiled`]: decoded once (with common instruction pairs fused), then
//!   run many times; what handles store;
//! - [`LazyProgram`]: for callers that hand over the instructions on every
//!   call without their length (`bpf_filter`, `pcap_offline_filter`): decoded
//!   as execution reaches each instruction and kept, with every executed
//!   instruction compared with the caller's current one first, so a program
//!   changed or freed and replaced between calls is noticed and re-decoded.

use super::insn::*;

/// Linux VLAN metadata for the ancillary loads (libpcap's
/// `struct pcap_bpf_aux_data`): what the ring reported for the packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuxData {
    pub vlan_tag_present: bool,
    pub vlan_tag: u16,
}

/// How many instructions a program may execute through backward jumps before
/// it is stopped and the packet rejected. Forward-only programs (everything
/// libpcap's compiler emits except `protochain`) always terminate and are
/// never counted. libpcap's `ip6 protochain` loop costs at most 28 per
/// header of at least 8 bytes: under a million for the largest packet.
pub const STEP_BUDGET: u64 = 1 << 22;

/// Run `prog` over a packet without aux data (libpcap's `bpf_filter`).
/// `pkt` is the captured bytes, `wirelen` the length on the wire.
pub fn filter(prog: &[Insn], pkt: &[u8], wirelen: u32) -> u32 {
    filter_with_aux(prog, pkt, wirelen, None)
}

/// Run `prog` over a packet (libpcap's `pcap_filter_with_aux_data`).
pub fn filter_with_aux(prog: &[Insn], pkt: &[u8], wirelen: u32, aux: Option<&AuxData>) -> u32 {
    run_from(&mut Direct(prog), &mut State::new(), 0, Packet::new(pkt, wirelen, aux)).unwrap_or(0)
}

/// Where a program's instructions come from when its length is not known:
/// instruction `idx` as it is now. The interpreter asks only for
/// instructions execution reaches, in execution order, as libpcap reads them.
pub trait InsnSource {
    fn insn(&self, idx: usize) -> Option<Insn>;
}

impl InsnSource for [Insn] {
    fn insn(&self, idx: usize) -> Option<Insn> {
        self.get(idx).copied()
    }
}

/// A program decoded once, to run over many packets.
#[derive(Clone, Debug)]
pub struct Compiled {
    ops: Box<[Op]>,
}

impl Compiled {
    pub fn new(prog: &[Insn]) -> Compiled {
        let ops = (0..prog.len())
            .map(|i| fuse(decode(prog[i], i), prog.get(i + 1).map(|&n| decode(n, i + 1))))
            .collect();
        Compiled { ops }
    }

    /// The filter's verdict on one packet, as [`filter_with_aux`] gives it.
    pub fn run(&self, pkt: &[u8], wirelen: u32, aux: Option<&AuxData>) -> u32 {
        run_from(&mut Trusted(&self.ops), &mut State::new(), 0, Packet::new(pkt, wirelen, aux)).unwrap_or(0)
    }
}

/// Instructions past this index are not kept by [`LazyProgram`] (they run
/// straight from the source): a bound on its memory for wild jumps.
const LAZY_MAX: usize = 1 << 16;

/// A program decoded as it runs, and re-checked against its source on every
/// run: see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct LazyProgram {
    /// Decoded (possibly fused) operations by instruction index;
    /// `Op::Undecoded` where execution has not been yet.
    ops: Vec<Op>,
    /// The instruction each decoded operation was made from, compared with
    /// the source before the operation runs.
    raw: Vec<Insn>,
}

impl LazyProgram {
    pub fn new() -> LazyProgram {
        LazyProgram::default()
    }

    /// Run the program `src` holds now over one packet; same result as
    /// [`filter_with_aux`] on that program.
    pub fn run<S: InsnSource + ?Sized>(&mut self, src: &S, pkt: &[u8], wirelen: u32, aux: Option<&AuxData>) -> u32 {
        let pkt = Packet::new(pkt, wirelen, aux);
        let mut st = State::new();
        let mut pc = 0;
        loop {
            let verified = &mut Verified { ops: &self.ops, raw: &self.raw, src };
            pc = match run_from(verified, &mut st, pc, pkt) {
                Ok(v) => return v,
                Err(pc) => pc,
            };
            // Execution has reached `pc`: read it, as libpcap would now.
            let Some(insn) = src.insn(pc) else { return 0 };
            let kept = !matches!(self.ops.get(pc), None | Some(Op::Undecoded));
            if kept || pc >= LAZY_MAX {
                if kept {
                    // A kept instruction differs from the source: the caller
                    // changed the program, so nothing kept can be trusted.
                    // Finish this run straight from the source (which also
                    // bounds the pauses of one run) and learn it again on
                    // the next.
                    self.ops.clear();
                    self.raw.clear();
                }
                return run_from(&mut Direct(src), &mut st, pc, pkt).unwrap_or(0);
            }
            self.insert(pc, insn);
        }
    }

    fn insert(&mut self, pc: usize, insn: Insn) {
        if self.ops.len() <= pc {
            self.ops.resize(pc + 1, Op::Undecoded);
            self.raw.resize(pc + 1, Insn::default());
        }
        self.raw[pc] = insn;
        self.ops[pc] = self.fused_at(pc);
        if pc > 0 && !matches!(self.ops[pc - 1], Op::Undecoded) {
            self.ops[pc - 1] = self.fused_at(pc - 1);
        }
    }

    /// The operation for kept instruction `i`, fused with `i + 1` if kept.
    fn fused_at(&self, i: usize) -> Op {
        let next = match self.ops.get(i + 1) {
            Some(Op::Undecoded) | None => None,
            Some(_) => Some(decode(self.raw[i + 1], i + 1)),
        };
        fuse(decode(self.raw[i], i), next)
    }
}

/// One decoded instruction (or a fused pair). Jump targets are absolute
/// instruction indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    RetK(u32),
    RetA,
    LdAbsW(u32),
    LdAbsH(u32),
    LdAbsB(u32),
    LdVlanTag,
    LdVlanPresent,
    LdLen,
    LdxLen,
    LdIndW(u32),
    LdIndH(u32),
    LdIndB(u32),
    LdxMsh(u32),
    LdImm(u32),
    LdxImm(u32),
    LdMem(u8),
    LdxMem(u8),
    St(u8),
    Stx(u8),
    Ja(u32),
    /// A backward `ja`: `cost` bounds the instructions one pass of the loop
    /// can execute.
    JaBack { to: u32, cost: u32 },
    JgtK(u32, u32, u32),
    JgeK(u32, u32, u32),
    JeqK(u32, u32, u32),
    JsetK(u32, u32, u32),
    JgtX(u32, u32),
    JgeX(u32, u32),
    JeqX(u32, u32),
    JsetX(u32, u32),
    AddK(u32),
    SubK(u32),
    MulK(u32),
    DivK(u32),
    ModK(u32),
    AndK(u32),
    OrK(u32),
    XorK(u32),
    LshK(u32),
    RshK(u32),
    AddX,
    SubX,
    MulX,
    DivX,
    ModX,
    AndX,
    OrX,
    XorX,
    LshX,
    RshX,
    Neg,
    Tax,
    Txa,
    /// Reject the packet: an instruction libpcap cannot run.
    Reject,
    /// Not decoded yet ([`LazyProgram`]), or changed since: leave the loop.
    Undecoded,
    // Fused pairs `ld <k>; j<op> #c`: (k, c, jt, jf).
    LdAbsHJeq(u32, u32, u32, u32),
    LdAbsBJeq(u32, u32, u32, u32),
    LdAbsWJeq(u32, u32, u32, u32),
    LdAbsHJset(u32, u32, u32, u32),
    LdAbsBJset(u32, u32, u32, u32),
    LdIndHJeq(u32, u32, u32, u32),
}

/// The highest instruction index whose jump targets fit the `u32` fields.
const MAX_PC: usize = u32::MAX as usize - 512;

/// Decode instruction `insn` found at index `pc`.
fn decode(insn: Insn, pc: usize) -> Op {
    if pc > MAX_PC {
        return Op::Reject;
    }
    let k = insn.k;
    let next = pc as u32 + 1;
    let (t, f) = (next + insn.jt as u32, next + insn.jf as u32);
    let mem = |make: fn(u8) -> Op| if (k as usize) < BPF_MEMWORDS { make(k as u8) } else { Op::Reject };
    match insn.code {
        c if c == BPF_RET | BPF_K => Op::RetK(k),
        c if c == BPF_RET | BPF_A => Op::RetA,
        c if c == BPF_LD | BPF_W | BPF_ABS => Op::LdAbsW(k),
        c if c == BPF_LD | BPF_H | BPF_ABS => Op::LdAbsH(k),
        c if c == BPF_LD | BPF_B | BPF_ABS => match k.wrapping_sub(SKF_AD_OFF) {
            SKF_AD_VLAN_TAG => Op::LdVlanTag,
            SKF_AD_VLAN_TAG_PRESENT => Op::LdVlanPresent,
            _ => Op::LdAbsB(k),
        },
        c if c == BPF_LD | BPF_W | BPF_LEN => Op::LdLen,
        c if c == BPF_LDX | BPF_W | BPF_LEN => Op::LdxLen,
        c if c == BPF_LD | BPF_W | BPF_IND => Op::LdIndW(k),
        c if c == BPF_LD | BPF_H | BPF_IND => Op::LdIndH(k),
        c if c == BPF_LD | BPF_B | BPF_IND => Op::LdIndB(k),
        c if c == BPF_LDX | BPF_MSH | BPF_B => Op::LdxMsh(k),
        c if c == BPF_LD | BPF_IMM => Op::LdImm(k),
        c if c == BPF_LDX | BPF_IMM => Op::LdxImm(k),
        c if c == BPF_LD | BPF_MEM => mem(Op::LdMem),
        c if c == BPF_LDX | BPF_MEM => mem(Op::LdxMem),
        BPF_ST => mem(Op::St),
        BPF_STX => mem(Op::Stx),
        c if c == BPF_JMP | BPF_JA => {
            // Signed offset from the next instruction, as libpcap's `pc += (int)k`.
            let to = next as i64 + k as i32 as i64;
            if to < 0 || to as usize > MAX_PC {
                Op::Reject
            } else if to as u32 <= pc as u32 {
                Op::JaBack { to: to as u32, cost: pc as u32 - to as u32 + 1 }
            } else {
                Op::Ja(to as u32)
            }
        }
        c if c == BPF_JMP | BPF_JGT | BPF_K => Op::JgtK(k, t, f),
        c if c == BPF_JMP | BPF_JGE | BPF_K => Op::JgeK(k, t, f),
        c if c == BPF_JMP | BPF_JEQ | BPF_K => Op::JeqK(k, t, f),
        c if c == BPF_JMP | BPF_JSET | BPF_K => Op::JsetK(k, t, f),
        c if c == BPF_JMP | BPF_JGT | BPF_X => Op::JgtX(t, f),
        c if c == BPF_JMP | BPF_JGE | BPF_X => Op::JgeX(t, f),
        c if c == BPF_JMP | BPF_JEQ | BPF_X => Op::JeqX(t, f),
        c if c == BPF_JMP | BPF_JSET | BPF_X => Op::JsetX(t, f),
        c if c == BPF_ALU | BPF_ADD | BPF_K => Op::AddK(k),
        c if c == BPF_ALU | BPF_SUB | BPF_K => Op::SubK(k),
        c if c == BPF_ALU | BPF_MUL | BPF_K => Op::MulK(k),
        // libpcap would trap on a constant zero divisor.
        c if c == BPF_ALU | BPF_DIV | BPF_K => if k == 0 { Op::Reject } else { Op::DivK(k) },
        c if c == BPF_ALU | BPF_MOD | BPF_K => if k == 0 { Op::Reject } else { Op::ModK(k) },
        c if c == BPF_ALU | BPF_AND | BPF_K => Op::AndK(k),
        c if c == BPF_ALU | BPF_OR | BPF_K => Op::OrK(k),
        c if c == BPF_ALU | BPF_XOR | BPF_K => Op::XorK(k),
        c if c == BPF_ALU | BPF_LSH | BPF_K => Op::LshK(k),
        c if c == BPF_ALU | BPF_RSH | BPF_K => Op::RshK(k),
        c if c == BPF_ALU | BPF_ADD | BPF_X => Op::AddX,
        c if c == BPF_ALU | BPF_SUB | BPF_X => Op::SubX,
        c if c == BPF_ALU | BPF_MUL | BPF_X => Op::MulX,
        c if c == BPF_ALU | BPF_DIV | BPF_X => Op::DivX,
        c if c == BPF_ALU | BPF_MOD | BPF_X => Op::ModX,
        c if c == BPF_ALU | BPF_AND | BPF_X => Op::AndX,
        c if c == BPF_ALU | BPF_OR | BPF_X => Op::OrX,
        c if c == BPF_ALU | BPF_XOR | BPF_X => Op::XorX,
        c if c == BPF_ALU | BPF_LSH | BPF_X => Op::LshX,
        c if c == BPF_ALU | BPF_RSH | BPF_X => Op::RshX,
        c if c == BPF_ALU | BPF_NEG => Op::Neg,
        c if c == BPF_MISC | BPF_TAX => Op::Tax,
        c if c == BPF_MISC | BPF_TXA => Op::Txa,
        _ => Op::Reject,
    }
}

/// The operation for an instruction followed by `next`: a fused pair where
/// the two are a load and a compare with a constant, else `op` alone. The
/// pair runs exactly as the two instructions would, the second included
/// only when execution reaches it.
fn fuse(op: Op, next: Option<Op>) -> Op {
    match (op, next) {
        (Op::LdAbsH(k), Some(Op::JeqK(c, t, f))) => Op::LdAbsHJeq(k, c, t, f),
        (Op::LdAbsB(k), Some(Op::JeqK(c, t, f))) => Op::LdAbsBJeq(k, c, t, f),
        (Op::LdAbsW(k), Some(Op::JeqK(c, t, f))) => Op::LdAbsWJeq(k, c, t, f),
        (Op::LdAbsH(k), Some(Op::JsetK(c, t, f))) => Op::LdAbsHJset(k, c, t, f),
        (Op::LdAbsB(k), Some(Op::JsetK(c, t, f))) => Op::LdAbsBJset(k, c, t, f),
        (Op::LdIndH(k), Some(Op::JeqK(c, t, f))) => Op::LdIndHJeq(k, c, t, f),
        _ => op,
    }
}

/// Registers and scratch memory; kept across the pauses of a [`LazyProgram`].
struct State {
    a: u32,
    x: u32,
    mem: [u32; BPF_MEMWORDS],
    budget: u64,
}

impl State {
    fn new() -> State {
        State { a: 0, x: 0, mem: [0; BPF_MEMWORDS], budget: STEP_BUDGET }
    }
}

/// The packet as the program sees it.
#[derive(Clone, Copy)]
struct Packet<'a> {
    data: &'a [u8],
    wirelen: u32,
    aux: Option<&'a AuxData>,
}

impl<'a> Packet<'a> {
    fn new(data: &'a [u8], wirelen: u32, aux: Option<&'a AuxData>) -> Packet<'a> {
        // libpcap's caplen is a u_int.
        let data = &data[..data.len().min(u32::MAX as usize)];
        Packet { data, wirelen, aux }
    }

    #[inline(always)]
    fn bytes<const N: usize>(&self, off: usize) -> Option<[u8; N]> {
        let s = self.data.get(off..off.checked_add(N)?)?;
        s.try_into().ok()
    }
    #[inline(always)]
    fn w(&self, off: usize) -> Option<u32> {
        self.bytes::<4>(off).map(u32::from_be_bytes)
    }
    #[inline(always)]
    fn h(&self, off: usize) -> Option<u32> {
        self.bytes::<2>(off).map(|b| u16::from_be_bytes(b) as u32)
    }
    #[inline(always)]
    fn b(&self, off: usize) -> Option<u32> {
        self.data.get(off).map(|&b| b as u32)
    }
}

/// `X + k` of an indexed load, without wrapping (libpcap checks the bounds
/// in exact arithmetic).
#[inline(always)]
fn ind(x: u32, k: u32) -> usize {
    usize::try_from(x as u64 + k as u64).unwrap_or(usize::MAX)
}

/// Instructions compared as the 8 bytes they are.
#[inline(always)]
fn same(a: Option<Insn>, b: Insn) -> bool {
    let bits = |i: Insn| (i.code as u64) | (i.jt as u64) << 16 | (i.jf as u64) << 24 | (i.k as u64) << 32;
    a.is_some_and(|a| bits(a) == bits(b))
}

/// Where the execution loop gets the operation at `pc`.
trait Code {
    fn op(&mut self, pc: usize) -> Op;
    /// A fused pair at `pc` is about to use instruction `pc + 1`: is it
    /// still the one it was fused with?
    fn confirm(&mut self, pc: usize) -> bool;
}

/// A [`Compiled`] program: its own copy, nothing to check.
struct Trusted<'a>(&'a [Op]);

impl Code for Trusted<'_> {
    #[inline(always)]
    fn op(&mut self, pc: usize) -> Op {
        self.0.get(pc).copied().unwrap_or(Op::Reject)
    }
    #[inline(always)]
    fn confirm(&mut self, _pc: usize) -> bool {
        true
    }
}

/// Decode each instruction as execution reaches it; never fuses.
struct Direct<'a, S: ?Sized>(&'a S);

impl<S: InsnSource + ?Sized> Code for Direct<'_, S> {
    #[inline(always)]
    fn op(&mut self, pc: usize) -> Op {
        self.0.insn(pc).map_or(Op::Reject, |i| decode(i, pc))
    }
    fn confirm(&mut self, _pc: usize) -> bool {
        true
    }
}

/// A [`LazyProgram`]'s kept operations, each checked against the source
/// before it runs.
struct Verified<'a, S: ?Sized> {
    ops: &'a [Op],
    raw: &'a [Insn],
    src: &'a S,
}

impl<S: InsnSource + ?Sized> Code for Verified<'_, S> {
    #[inline(always)]
    fn op(&mut self, pc: usize) -> Op {
        match (self.ops.get(pc), self.raw.get(pc)) {
            (Some(&op), Some(&raw)) if same(self.src.insn(pc), raw) => op,
            _ => Op::Undecoded,
        }
    }
    #[inline(always)]
    fn confirm(&mut self, pc: usize) -> bool {
        matches!(self.raw.get(pc), Some(&raw) if same(self.src.insn(pc), raw))
    }
}

/// Run from `pc` until a `ret` (`Ok(value)`) or an operation the code source
/// cannot give (`Err(pc)`, with the registers saved in `st` to resume at
/// `pc`). The execution loop: the one place instruction semantics live.
#[inline(always)]
fn run_from<C: Code>(code: &mut C, st: &mut State, mut pc: usize, pkt: Packet) -> Result<u32, usize> {
    let (mut a, mut x) = (st.a, st.x);
    macro_rules! load {
        ($e:expr) => {
            match $e {
                Some(v) => v,
                None => return Ok(0),
            }
        };
    }
    macro_rules! cond {
        ($c:expr, $t:expr, $f:expr) => {
            (if $c { $t } else { $f }) as usize
        };
    }
    // A fused pair: its first half is done; check the second is still there.
    macro_rules! second {
        () => {
            if !code.confirm(pc + 1) {
                st.a = a;
                st.x = x;
                return Err(pc + 1);
            }
        };
    }
    loop {
        pc = match code.op(pc) {
            Op::RetK(k) => return Ok(k),
            Op::RetA => return Ok(a),
            Op::LdAbsW(k) => {
                a = load!(pkt.w(k as usize));
                pc + 1
            }
            Op::LdAbsH(k) => {
                a = load!(pkt.h(k as usize));
                pc + 1
            }
            Op::LdAbsB(k) => {
                a = load!(pkt.b(k as usize));
                pc + 1
            }
            Op::LdVlanTag => {
                a = load!(pkt.aux).vlan_tag as u32;
                pc + 1
            }
            Op::LdVlanPresent => {
                a = load!(pkt.aux).vlan_tag_present as u32;
                pc + 1
            }
            Op::LdLen => {
                a = pkt.wirelen;
                pc + 1
            }
            Op::LdxLen => {
                x = pkt.wirelen;
                pc + 1
            }
            Op::LdIndW(k) => {
                a = load!(pkt.w(ind(x, k)));
                pc + 1
            }
            Op::LdIndH(k) => {
                a = load!(pkt.h(ind(x, k)));
                pc + 1
            }
            Op::LdIndB(k) => {
                a = load!(pkt.b(ind(x, k)));
                pc + 1
            }
            Op::LdxMsh(k) => {
                x = (load!(pkt.b(k as usize)) & 0xf) << 2;
                pc + 1
            }
            Op::LdImm(k) => {
                a = k;
                pc + 1
            }
            Op::LdxImm(k) => {
                x = k;
                pc + 1
            }
            Op::LdMem(i) => {
                a = st.mem[i as usize & (BPF_MEMWORDS - 1)];
                pc + 1
            }
            Op::LdxMem(i) => {
                x = st.mem[i as usize & (BPF_MEMWORDS - 1)];
                pc + 1
            }
            Op::St(i) => {
                st.mem[i as usize & (BPF_MEMWORDS - 1)] = a;
                pc + 1
            }
            Op::Stx(i) => {
                st.mem[i as usize & (BPF_MEMWORDS - 1)] = x;
                pc + 1
            }
            Op::Ja(to) => to as usize,
            Op::JaBack { to, cost } => {
                st.budget = match st.budget.checked_sub(cost as u64) {
                    Some(b) => b,
                    None => return Ok(0),
                };
                to as usize
            }
            Op::JgtK(k, t, f) => cond!(a > k, t, f),
            Op::JgeK(k, t, f) => cond!(a >= k, t, f),
            Op::JeqK(k, t, f) => cond!(a == k, t, f),
            Op::JsetK(k, t, f) => cond!(a & k != 0, t, f),
            Op::JgtX(t, f) => cond!(a > x, t, f),
            Op::JgeX(t, f) => cond!(a >= x, t, f),
            Op::JeqX(t, f) => cond!(a == x, t, f),
            Op::JsetX(t, f) => cond!(a & x != 0, t, f),
            Op::AddK(k) => {
                a = a.wrapping_add(k);
                pc + 1
            }
            Op::SubK(k) => {
                a = a.wrapping_sub(k);
                pc + 1
            }
            Op::MulK(k) => {
                a = a.wrapping_mul(k);
                pc + 1
            }
            Op::DivK(k) => {
                a = a.checked_div(k).unwrap_or(0);
                pc + 1
            }
            Op::ModK(k) => {
                a = a.checked_rem(k).unwrap_or(0);
                pc + 1
            }
            Op::AndK(k) => {
                a &= k;
                pc + 1
            }
            Op::OrK(k) => {
                a |= k;
                pc + 1
            }
            Op::XorK(k) => {
                a ^= k;
                pc + 1
            }
            Op::LshK(k) => {
                a = a.wrapping_shl(k);
                pc + 1
            }
            Op::RshK(k) => {
                a = a.wrapping_shr(k);
                pc + 1
            }
            Op::AddX => {
                a = a.wrapping_add(x);
                pc + 1
            }
            Op::SubX => {
                a = a.wrapping_sub(x);
                pc + 1
            }
            Op::MulX => {
                a = a.wrapping_mul(x);
                pc + 1
            }
            Op::DivX => {
                a = match a.checked_div(x) {
                    Some(v) => v,
                    None => return Ok(0),
                };
                pc + 1
            }
            Op::ModX => {
                a = match a.checked_rem(x) {
                    Some(v) => v,
                    None => return Ok(0),
                };
                pc + 1
            }
            Op::AndX => {
                a &= x;
                pc + 1
            }
            Op::OrX => {
                a |= x;
                pc + 1
            }
            Op::XorX => {
                a ^= x;
                pc + 1
            }
            Op::LshX => {
                a = a.checked_shl(x).unwrap_or(0);
                pc + 1
            }
            Op::RshX => {
                a = a.checked_shr(x).unwrap_or(0);
                pc + 1
            }
            Op::Neg => {
                a = a.wrapping_neg();
                pc + 1
            }
            Op::Tax => {
                x = a;
                pc + 1
            }
            Op::Txa => {
                a = x;
                pc + 1
            }
            Op::Reject => return Ok(0),
            Op::Undecoded => {
                st.a = a;
                st.x = x;
                return Err(pc);
            }
            Op::LdAbsHJeq(k, c, t, f) => {
                a = load!(pkt.h(k as usize));
                second!();
                cond!(a == c, t, f)
            }
            Op::LdAbsBJeq(k, c, t, f) => {
                a = load!(pkt.b(k as usize));
                second!();
                cond!(a == c, t, f)
            }
            Op::LdAbsWJeq(k, c, t, f) => {
                a = load!(pkt.w(k as usize));
                second!();
                cond!(a == c, t, f)
            }
            Op::LdAbsHJset(k, c, t, f) => {
                a = load!(pkt.h(k as usize));
                second!();
                cond!(a & c != 0, t, f)
            }
            Op::LdAbsBJset(k, c, t, f) => {
                a = load!(pkt.b(k as usize));
                second!();
                cond!(a & c != 0, t, f)
            }
            Op::LdIndHJeq(k, c, t, f) => {
                a = load!(pkt.h(ind(x, k)));
                second!();
                cond!(a == c, t, f)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A source that records which instructions were read, in order.
    struct Recording<'a>(&'a [Insn], RefCell<Vec<usize>>);

    impl InsnSource for Recording<'_> {
        fn insn(&self, idx: usize) -> Option<Insn> {
            self.1.borrow_mut().push(idx);
            self.0.get(idx).copied()
        }
    }

    fn reads(prog: &[Insn], f: impl FnOnce(&Recording)) -> Vec<usize> {
        let r = Recording(prog, RefCell::new(Vec::new()));
        f(&r);
        let mut v = r.1.into_inner();
        v.dedup();
        v
    }

    /// The verdict of all three ways of running, which must agree; the lazy
    /// form runs twice (learning, then from what it kept).
    fn run_aux(prog: &[Insn], pkt: &[u8], wirelen: u32, aux: Option<&AuxData>) -> u32 {
        let direct = filter_with_aux(prog, pkt, wirelen, aux);
        assert_eq!(Compiled::new(prog).run(pkt, wirelen, aux), direct, "compiled vs direct: {prog:?}");
        let mut lazy = LazyProgram::new();
        let direct_reads = reads(prog, |r| {
            run_from(&mut Direct(r), &mut State::new(), 0, Packet::new(pkt, wirelen, aux)).ok();
        });
        for pass in 0..2 {
            let got = reads(prog, |r| assert_eq!(lazy.run(r, pkt, wirelen, aux), direct, "lazy pass {pass}"));
            assert_eq!(got, direct_reads, "lazy read order, pass {pass}: {prog:?}");
        }
        direct
    }

    fn run(prog: &[Insn], pkt: &[u8]) -> u32 {
        run_aux(prog, pkt, pkt.len() as u32, None)
    }

    fn ret_a() -> Insn {
        Insn::stmt(BPF_RET | BPF_A, 0)
    }
    fn ld_imm(k: u32) -> Insn {
        Insn::stmt(BPF_LD | BPF_IMM, k)
    }
    fn ldx_imm(k: u32) -> Insn {
        Insn::stmt(BPF_LDX | BPF_IMM, k)
    }

    const PKT: [u8; 8] = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];

    #[test]
    fn returns() {
        assert_eq!(run(&[Insn::stmt(BPF_RET | BPF_K, 0xdead)], &[]), 0xdead);
        assert_eq!(run(&[ld_imm(7), ret_a()], &[]), 7);
        assert_eq!(filter(&[Insn::stmt(BPF_RET | BPF_K, 9)], &[], 0), 9);
    }

    #[test]
    fn absolute_loads_and_bounds() {
        let ld = |size, k| [Insn::stmt(BPF_LD | size | BPF_ABS, k), ret_a()];
        assert_eq!(run(&ld(BPF_W, 0), &PKT), 0x1234_5678);
        assert_eq!(run(&ld(BPF_W, 4), &PKT), 0x9abc_def0);
        assert_eq!(run(&ld(BPF_W, 5), &PKT), 0);
        assert_eq!(run(&ld(BPF_H, 6), &PKT), 0xdef0);
        assert_eq!(run(&ld(BPF_H, 7), &PKT), 0);
        assert_eq!(run(&ld(BPF_B, 7), &PKT), 0xf0);
        assert_eq!(run(&ld(BPF_B, 8), &PKT), 0);
        for size in [BPF_W, BPF_H, BPF_B] {
            assert_eq!(run(&ld(size, u32::MAX), &PKT), 0);
            assert_eq!(run(&ld(size, 0), &[]), 0);
        }
        // The bound is the captured length, not the wire length.
        assert_eq!(run_aux(&ld(BPF_B, 8), &PKT, 100, None), 0);
    }

    #[test]
    fn lengths() {
        assert_eq!(run_aux(&[Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0), ret_a()], &PKT, 1514, None), 1514);
        let prog = [Insn::stmt(BPF_LDX | BPF_W | BPF_LEN, 0), Insn::stmt(BPF_MISC | BPF_TXA, 0), ret_a()];
        assert_eq!(run_aux(&prog, &PKT, 60, None), 60);
    }

    #[test]
    fn indexed_loads_and_bounds() {
        let ld = |size, x, k| [ldx_imm(x), Insn::stmt(BPF_LD | size | BPF_IND, k), ret_a()];
        assert_eq!(run(&ld(BPF_W, 2, 2), &PKT), 0x9abc_def0);
        assert_eq!(run(&ld(BPF_W, 2, 3), &PKT), 0);
        assert_eq!(run(&ld(BPF_H, 6, 0), &PKT), 0xdef0);
        assert_eq!(run(&ld(BPF_H, 0, 7), &PKT), 0);
        assert_eq!(run(&ld(BPF_B, 3, 4), &PKT), 0xf0);
        assert_eq!(run(&ld(BPF_B, 4, 4), &PKT), 0);
        // X + k does not wrap around to a small offset.
        for size in [BPF_W, BPF_H, BPF_B] {
            assert_eq!(run(&ld(size, u32::MAX, 1), &PKT), 0);
            assert_eq!(run(&ld(size, 1, u32::MAX), &PKT), 0);
        }
    }

    #[test]
    fn msh() {
        let prog = [Insn::stmt(BPF_LDX | BPF_MSH | BPF_B, 0), Insn::stmt(BPF_MISC | BPF_TXA, 0), ret_a()];
        assert_eq!(run(&prog, &[0x45]), 20);
        assert_eq!(run(&prog, &[0x4f]), 60);
        assert_eq!(run(&prog, &[]), 0);
    }

    #[test]
    fn immediates_and_scratch_memory() {
        let prog = [
            ld_imm(5),
            Insn::stmt(BPF_ST, 3),
            ldx_imm(9),
            Insn::stmt(BPF_STX, 15),
            Insn::stmt(BPF_LD | BPF_MEM, 15),
            Insn::stmt(BPF_LDX | BPF_MEM, 3),
            Insn::stmt(BPF_ALU | BPF_SUB | BPF_X, 0),
            ret_a(),
        ];
        assert_eq!(run(&prog, &[]), 4);
        // Memory starts zeroed.
        assert_eq!(run(&[ld_imm(1), Insn::stmt(BPF_LD | BPF_MEM, 7), ret_a()], &[]), 0);
        // Indices past BPF_MEMWORDS reject.
        for code in [BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX] {
            assert_eq!(run(&[Insn::stmt(code, 16), Insn::stmt(BPF_RET | BPF_K, 1)], &[]), 0);
        }
    }

    #[test]
    fn conditional_jumps() {
        let ret = |k| Insn::stmt(BPF_RET | BPF_K, k);
        let j = |code, k, a: u32, x: u32| {
            run(&[ld_imm(a), ldx_imm(x), Insn::jump(BPF_JMP | code, k, 1, 0), ret(100), ret(200)], &[])
        };
        assert_eq!(j(BPF_JGT | BPF_K, 5, 6, 0), 200);
        assert_eq!(j(BPF_JGT | BPF_K, 5, 5, 0), 100);
        assert_eq!(j(BPF_JGE | BPF_K, 5, 5, 0), 200);
        assert_eq!(j(BPF_JGE | BPF_K, 5, 4, 0), 100);
        assert_eq!(j(BPF_JEQ | BPF_K, 5, 5, 0), 200);
        assert_eq!(j(BPF_JEQ | BPF_K, 5, 4, 0), 100);
        assert_eq!(j(BPF_JSET | BPF_K, 6, 4, 0), 200);
        assert_eq!(j(BPF_JSET | BPF_K, 6, 1, 0), 100);
        assert_eq!(j(BPF_JGT | BPF_X, 0, 6, 5), 200);
        assert_eq!(j(BPF_JGT | BPF_X, 0, 5, 5), 100);
        assert_eq!(j(BPF_JGE | BPF_X, 0, 5, 5), 200);
        assert_eq!(j(BPF_JGE | BPF_X, 0, 4, 5), 100);
        assert_eq!(j(BPF_JEQ | BPF_X, 0, 5, 5), 200);
        assert_eq!(j(BPF_JEQ | BPF_X, 0, 4, 5), 100);
        assert_eq!(j(BPF_JSET | BPF_X, 0, 4, 6), 200);
        assert_eq!(j(BPF_JSET | BPF_X, 0, 1, 6), 100);
        // Unsigned comparisons.
        assert_eq!(j(BPF_JGT | BPF_K, 1, u32::MAX, 0), 200);
        // A target past the end rejects.
        assert_eq!(run(&[Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), ret(1)], &[]), 0);
    }

    #[test]
    fn unconditional_jumps() {
        let ret = |k| Insn::stmt(BPF_RET | BPF_K, k);
        assert_eq!(run(&[Insn::stmt(BPF_JMP | BPF_JA, 1), ret(1), ret(2)], &[]), 2);
        assert_eq!(run(&[Insn::stmt(BPF_JMP | BPF_JA, 2), ret(1), ret(2)], &[]), 0);
        // Before the start.
        assert_eq!(run(&[Insn::stmt(BPF_JMP | BPF_JA, u32::MAX - 1), ret(1)], &[]), 0);
        // A backward loop: count A up to 10.
        let count = [
            ld_imm(0),
            Insn::stmt(BPF_ALU | BPF_ADD | BPF_K, 1),
            Insn::jump(BPF_JMP | BPF_JGE | BPF_K, 10, 1, 0),
            Insn::stmt(BPF_JMP | BPF_JA, (-3i32) as u32),
            ret_a(),
        ];
        assert_eq!(run(&count, &[]), 10);
        // Loops forever in libpcap; stopped here (without tracing reads: the
        // budget is millions of instructions).
        let spins = [
            vec![Insn::stmt(BPF_JMP | BPF_JA, u32::MAX), ret(1)],
            vec![ld_imm(1), Insn::stmt(BPF_JMP | BPF_JA, (-2i32) as u32), ret(1)],
        ];
        for spin in spins {
            assert_eq!(filter(&spin, &[], 0), 0);
            assert_eq!(Compiled::new(&spin).run(&[], 0, None), 0);
            assert_eq!(LazyProgram::new().run(spin.as_slice(), &[], 0, None), 0);
        }
    }

    fn alu(code: u16, a: u32, operand: u32) -> u32 {
        let (k, x) = if src(code) == BPF_X { (0, operand) } else { (operand, 0) };
        run(&[ld_imm(a), ldx_imm(x), Insn::stmt(BPF_ALU | code, k), ret_a()], &[])
    }

    #[test]
    fn arithmetic() {
        for s in [BPF_K, BPF_X] {
            assert_eq!(alu(BPF_ADD | s, u32::MAX, 2), 1);
            assert_eq!(alu(BPF_SUB | s, 1, 2), u32::MAX);
            assert_eq!(alu(BPF_MUL | s, 0x8000_0001, 2), 2);
            assert_eq!(alu(BPF_DIV | s, 7, 2), 3);
            assert_eq!(alu(BPF_MOD | s, 7, 4), 3);
            assert_eq!(alu(BPF_AND | s, 0xff00, 0x0ff0), 0x0f00);
            assert_eq!(alu(BPF_OR | s, 0xff00, 0x0ff0), 0xfff0);
            assert_eq!(alu(BPF_XOR | s, 0xff00, 0x0ff0), 0xf0f0);
            assert_eq!(alu(BPF_LSH | s, 3, 4), 48);
            assert_eq!(alu(BPF_RSH | s, 48, 4), 3);
            assert_eq!(alu(BPF_DIV | s, 7, 0), 0);
            assert_eq!(alu(BPF_MOD | s, 7, 0), 0);
        }
        // Shifts by 32 or more: X gives 0, a constant uses its low five bits.
        assert_eq!(alu(BPF_LSH | BPF_X, 3, 32), 0);
        assert_eq!(alu(BPF_RSH | BPF_X, 3, 40), 0);
        assert_eq!(alu(BPF_LSH | BPF_K, 3, 33), 6);
        assert_eq!(alu(BPF_RSH | BPF_K, 6, 33), 3);
        assert_eq!(alu(BPF_NEG, 1, 0), u32::MAX);
        assert_eq!(alu(BPF_NEG, 0x8000_0000, 0), 0x8000_0000);
    }

    #[test]
    fn register_transfers() {
        assert_eq!(run(&[ld_imm(4), Insn::stmt(BPF_MISC | BPF_TAX, 0), ld_imm(0), Insn::stmt(BPF_MISC | BPF_TXA, 0), ret_a()], &[]), 4);
    }

    #[test]
    fn vlan_ancillary_loads() {
        let ld = |size, off| [Insn::stmt(BPF_LD | size | BPF_ABS, SKF_AD_OFF + off), ret_a()];
        let aux = AuxData { vlan_tag_present: true, vlan_tag: 0x123 };
        assert_eq!(run_aux(&ld(BPF_B, SKF_AD_VLAN_TAG), &PKT, 8, Some(&aux)), 0x123);
        assert_eq!(run_aux(&ld(BPF_B, SKF_AD_VLAN_TAG_PRESENT), &PKT, 8, Some(&aux)), 1);
        let absent = AuxData::default();
        assert_eq!(run_aux(&ld(BPF_B, SKF_AD_VLAN_TAG_PRESENT), &PKT, 8, Some(&absent)), 0);
        // Without aux data, and for any other size or offset, they reject.
        assert_eq!(run(&ld(BPF_B, SKF_AD_VLAN_TAG), &PKT), 0);
        assert_eq!(run(&ld(BPF_B, SKF_AD_VLAN_TAG_PRESENT), &PKT), 0);
        for (size, off) in [(BPF_H, SKF_AD_VLAN_TAG), (BPF_W, SKF_AD_VLAN_TAG_PRESENT), (BPF_B, SKF_AD_PROTOCOL)] {
            assert_eq!(run_aux(&ld(size, off), &PKT, 8, Some(&aux)), 0);
        }
    }

    #[test]
    fn what_libpcap_cannot_run_rejects() {
        let ret1 = Insn::stmt(BPF_RET | BPF_K, 1);
        for code in [0x0e, BPF_LD | BPF_H | BPF_IMM, BPF_LDX | BPF_W | BPF_ABS, BPF_JMP | BPF_JA | BPF_X, 0x8c, 0x107, 0xffff] {
            assert_eq!(run(&[Insn::stmt(code, 0), ret1], &[0; 64]), 0, "{code:#x}");
        }
        // Constant division by zero (libpcap traps), running off the end.
        assert_eq!(run(&[ld_imm(1), Insn::stmt(BPF_ALU | BPF_DIV | BPF_K, 0), ret1], &[]), 0);
        assert_eq!(run(&[ld_imm(1), Insn::stmt(BPF_ALU | BPF_MOD | BPF_K, 0), ret1], &[]), 0);
        assert_eq!(run(&[ld_imm(1)], &[]), 0);
        assert_eq!(run(&[], &[]), 0);
    }

    /// `tcp port 80 or udp port 53` on Ethernet (libpcap's compiled program).
    fn web_or_dns() -> Vec<Insn> {
        let raw: [(u16, u8, u8, u32); 33] = [
            (0x28, 0, 0, 12), (0x15, 0, 11, 0x86dd), (0x30, 0, 0, 20), (0x15, 0, 4, 6),
            (0x28, 0, 0, 54), (0x15, 25, 0, 80), (0x28, 0, 0, 56), (0x15, 23, 24, 80),
            (0x15, 0, 23, 17), (0x28, 0, 0, 54), (0x15, 20, 0, 53), (0x28, 0, 0, 56),
            (0x15, 18, 19, 53), (0x15, 0, 18, 0x800), (0x30, 0, 0, 23), (0x15, 0, 7, 6),
            (0x28, 0, 0, 20), (0x45, 14, 0, 0x1fff), (0xb1, 0, 0, 14), (0x48, 0, 0, 14),
            (0x15, 10, 0, 80), (0x48, 0, 0, 16), (0x15, 8, 9, 80), (0x15, 0, 8, 17),
            (0x28, 0, 0, 20), (0x45, 6, 0, 0x1fff), (0xb1, 0, 0, 14), (0x48, 0, 0, 14),
            (0x15, 2, 0, 53), (0x48, 0, 0, 16), (0x15, 0, 1, 53), (0x6, 0, 0, 262144),
            (0x6, 0, 0, 0),
        ];
        raw.iter().map(|&(code, jt, jf, k)| Insn { code, jt, jf, k }).collect()
    }

    fn ipv4(proto: u8, dport: u16) -> Vec<u8> {
        let mut p = vec![0u8; 54];
        p[12..14].copy_from_slice(&[0x08, 0x00]);
        p[14] = 0x45;
        p[23] = proto;
        p[36..38].copy_from_slice(&dport.to_be_bytes());
        p
    }

    #[test]
    fn compiled_filter_verdicts() {
        let prog = web_or_dns();
        assert!(crate::bpf::validate(&prog));
        assert_eq!(run(&prog, &ipv4(6, 80)), 262144);
        assert_eq!(run(&prog, &ipv4(17, 53)), 262144);
        assert_eq!(run(&prog, &ipv4(6, 443)), 0);
        assert_eq!(run(&prog, &ipv4(17, 80)), 0);
        assert_eq!(run(&prog, &ipv4(6, 80)[..36]), 0);
        let mut frag = ipv4(6, 80);
        frag[21] = 1;
        assert_eq!(run(&prog, &frag), 0);
    }

    #[test]
    fn lazy_program_follows_changes() {
        let mut prog = web_or_dns();
        let mut lazy = LazyProgram::new();
        let tcp80 = ipv4(6, 80);
        assert_eq!(lazy.run(prog.as_slice(), &tcp80, 54, None), 262144);
        // Change a compared constant (the second half of a fused pair) ...
        prog[20].k = 81;
        prog[22].k = 81;
        assert_eq!(lazy.run(prog.as_slice(), &tcp80, 54, None), 0);
        assert_eq!(lazy.run(prog.as_slice(), &ipv4(6, 81), 54, None), 262144);
        // ... a load offset (the first half) ...
        prog[0].k = 14;
        assert_eq!(lazy.run(prog.as_slice(), &ipv4(6, 81), 54, None), 0);
        // ... and replace it by a shorter program at the same place.
        let short = [ld_imm(3), ret_a()];
        assert_eq!(lazy.run(&short[..], &tcp80, 54, None), 3);
        assert_eq!(lazy.run(&short[..1], &tcp80, 54, None), 0);
        assert_eq!(lazy.run(web_or_dns().as_slice(), &tcp80, 54, None), 262144);
    }

    #[test]
    fn jumping_into_a_fused_pair() {
        // 0: ja 2 (onto the jeq of pair 1-2); 1: ldh [0]; 2: jeq #0 jt 3 jf 4.
        let prog = [
            Insn::stmt(BPF_JMP | BPF_JA, 1),
            Insn::stmt(BPF_LD | BPF_H | BPF_ABS, 0),
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0x1234, 0, 1),
            Insn::stmt(BPF_RET | BPF_K, 1),
            Insn::stmt(BPF_RET | BPF_K, 2),
        ];
        assert_eq!(run(&prog, &PKT), 2);
    }

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u32 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
        }
        fn below(&mut self, n: u32) -> u32 {
            self.next() % n
        }
    }

    /// Random programs, valid or not, over random packets: the three ways
    /// of running agree and read instructions in the same order.
    #[test]
    fn random_programs_agree() {
        let mut rng = Rng(0x5eed_1234_abcd);
        let codes: Vec<u16> = (0..=0xffu16).collect();
        for _ in 0..4000 {
            let len = 1 + rng.below(24) as usize;
            let prog: Vec<Insn> = (0..len)
                .map(|_| {
                    let code = if rng.below(8) == 0 { rng.next() as u16 } else { codes[rng.below(256) as usize] };
                    let k = match rng.below(4) {
                        0 => rng.below(64),
                        1 => rng.below(16),
                        2 => SKF_AD_OFF + rng.below(64),
                        _ => rng.next(),
                    };
                    Insn { code, jt: rng.below(6) as u8, jf: rng.below(6) as u8, k }
                })
                .collect();
            let pkt: Vec<u8> = (0..rng.below(80)).map(|_| rng.next() as u8).collect();
            let aux = AuxData { vlan_tag_present: rng.below(2) == 1, vlan_tag: rng.next() as u16 };
            let aux = if rng.below(2) == 0 { Some(&aux) } else { None };
            run_aux(&prog, &pkt, rng.next(), aux);
        }
    }
}

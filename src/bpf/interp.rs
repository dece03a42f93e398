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
//!   it; a load of any size from `[SKF_AD_OFF + SKF_AD_PKTTYPE]` reads the
//!   packet type the aux data may carry (as the kernel does; libpcap's
//!   interpreter has no packet type, and callers without one, such as
//!   `bpf_filter`, get its result: 0); no other ancillary offset is special:
//!   like any offset past the captured bytes, loading it returns 0;
//! - `ja` takes a signed offset, so backward jumps (`ip6 protochain`) work.
//!
//! Where libpcap would crash, hang or read garbage, this interpreter is total
//! and returns 0 instead: unknown opcodes (libpcap aborts), jumps outside the
//! program, constant division by zero (SIGFPE), scratch-memory indices past
//! `BPF_MEMWORDS`, and loops that go round more often than the packet could
//! justify (see [`STEP_BUDGET`]; libpcap spins forever). Scratch memory starts
//! zeroed (libpcap leaves it uninitialised).
//!
//! How it runs: each instruction (or common sequence of instructions, see
//! `fuse`) has a `Kind`, the handler that executes it; the execution loop
//! (`run_from`) dispatches on the kind and the handler reads the operands
//! from the instructions themselves, after checking that each opcode is the
//! one the kind was chosen for. A kind therefore stays correct whatever the
//! operands become, and a changed opcode is noticed before it runs. Three
//! front ends share that loop:
//! - [`filter`] / [`filter_with_aux`]: kinds looked up instruction by
//!   instruction, straight from a slice;
//! - [`Compiled`]: the program copied and its kinds (fused) computed once;
//!   what handles store;
//! - [`KindCache`]: for callers that hand over instructions on every call
//!   without a trustworthy length (`bpf_filter`, `pcap_offline_filter`):
//!   kinds are learned as execution first reaches each instruction and kept
//!   between calls, keyed on the program's address; the opcode checks catch
//!   a program changed, or freed and replaced, in the meantime. It reads
//!   only the instructions execution reaches, in execution order, as libpcap
//!   does.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU32, AtomicU8, AtomicUsize};

use super::insn::opcode::*;
use super::insn::{Insn, BPF_MEMWORDS, SKF_AD_OFF, SKF_AD_PKTTYPE, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT};

/// Linux packet metadata for the ancillary loads: what the ring reported
/// for the packet. The VLAN fields are libpcap's `struct
/// pcap_bpf_aux_data`; the packet type is the ring's `sll_pkttype`
/// (`PACKET_HOST`, ..., `PACKET_OUTGOING`), which libpcap's interpreter
/// lacks, so that `inbound`/`outbound` programs filter packets queued
/// before a filter change the way the kernel filters later ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuxData {
    pub vlan_tag_present: bool,
    pub vlan_tag: u16,
    /// `None`: unknown; a packet-type load then rejects, as in libpcap.
    pub pkttype: Option<u8>,
}

/// Loops are bounded twice, and a run that exceeds either bound rejects the
/// packet. Forward-only programs (everything libpcap's compiler emits except
/// `ip6 protochain`) always end and are never counted. A backward jump may be
/// taken at most `caplen / 4 + 64` times: libpcap's only loop, `protochain`,
/// jumps back once per extension header, and a header takes at least 8
/// bytes. And the instructions between the target and the jump, counted at
/// each backward jump, may add up to at most `STEP_BUDGET` (`protochain`
/// costs at most 28 per header: under a million for the largest packet).
pub const STEP_BUDGET: u64 = 1 << 22;

/// Run `prog` over a packet without aux data (libpcap's `bpf_filter`).
/// `pkt` is the captured bytes, `wirelen` the length on the wire.
pub fn filter(prog: &[Insn], pkt: &[u8], wirelen: u32) -> u32 {
    filter_with_aux(prog, pkt, wirelen, None)
}

/// Run `prog` over a packet (libpcap's `pcap_filter_with_aux_data`).
pub fn filter_with_aux(prog: &[Insn], pkt: &[u8], wirelen: u32, aux: Option<&AuxData>) -> u32 {
    // Direct kinds never pause.
    let pkt = Packet::new(pkt, wirelen, aux);
    run_from(&mut Direct(prog), prog, &mut State::new(&pkt), 0, pkt).unwrap_or(0)
}

/// Where a program's instructions come from when its length is not known:
/// instruction `idx` as it is now (`None`: there is none, which rejects).
/// The interpreter asks only for instructions execution reaches, in
/// execution order, as libpcap reads them.
pub trait InsnSource {
    fn insn(&self, idx: usize) -> Option<Insn>;
}

impl InsnSource for [Insn] {
    #[inline(always)]
    fn insn(&self, idx: usize) -> Option<Insn> {
        self.get(idx).copied()
    }
}

/// A program copied and prepared once, to run over many packets.
#[derive(Clone, Debug)]
pub struct Compiled {
    insns: Box<[Insn]>,
    /// The kinds of the first `SLOT_INSNS` instructions (`Undecoded` past
    /// the end); further ones wrap around, as in a [`KindCache`] slot.
    kinds: Box<[Kind; SLOT_INSNS]>,
}

impl Compiled {
    pub fn new(prog: &[Insn]) -> Compiled {
        let at = |i: usize| prog.get(i).copied();
        let mut kinds = Box::new([Kind::Undecoded; SLOT_INSNS]);
        for (pc, k) in kinds.iter_mut().enumerate().take(prog.len()) {
            *k = fuse(pc, &at);
        }
        Compiled { insns: prog.into(), kinds }
    }

    /// The instructions it runs.
    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    /// The filter's verdict on one packet, as [`filter_with_aux`] gives it.
    pub fn run(&self, pkt: &[u8], wirelen: u32, aux: Option<&AuxData>) -> u32 {
        let pkt = Packet::new(pkt, wirelen, aux);
        let mut st = State::new(&pkt);
        match run_from(&mut Known(&self.kinds), &self.insns[..], &mut st, 0, pkt) {
            Ok(v) => v,
            // Past the kinds it keeps (or the program's end): go on with
            // kinds looked up as it goes.
            Err(p) => run_from(&mut Direct(&self.insns[..]), &self.insns[..], &mut st, p.at, pkt).unwrap_or(0),
        }
    }
}

/// How many programs a [`KindCache`] keeps kinds for (chosen by address:
/// direct-mapped) ...
const CACHE_SLOTS: usize = 8;
const _: () = assert!(SLOT_INSNS.is_power_of_two() && Kind::COUNT == 63);

/// ... and for how many of each program's instructions (those past it run
/// with their own kinds, looked up as they execute).
const SLOT_INSNS: usize = 512;

/// How often one run may pause to learn before it finishes with kinds
/// looked up as it goes (only a program rewritten while it runs, or two
/// threads learning different programs in one slot, could need more).
const PAUSES_MAX: usize = 2 * SLOT_INSNS;

/// Kinds learned for a few programs that callers hand over as raw
/// instructions on every call, keyed on the programs' addresses
/// (`bpf_filter`, `pcap_offline_filter`).
///
/// A program's kinds are learned as execution first reaches each
/// instruction and kept between runs. Nothing kept needs to be trusted: a
/// kind only chooses a handler, the handler checks the opcodes it relies on
/// (a changed one pauses the run, which learns it again) and reads every
/// operand from the caller's instructions. So the cache needs no lock and
/// no per-thread copy: kinds are plain relaxed atomics, threads running the
/// same program share what any of them learned, and a stale, racing or
/// other program's kind costs at most a pause, never a wrong verdict. Runs
/// read only the instructions execution reaches, in execution order, as
/// libpcap does.
pub struct KindCache {
    slots: [Slot; CACHE_SLOTS],
}

/// (`repr(C)`, kinds first: the dispatch then addresses them without a
/// displacement.)
#[repr(C)]
struct Slot {
    /// By instruction index: a [`Kind`] (`Kind::Undecoded` if not learned).
    kinds: [AtomicU8; SLOT_INSNS],
    /// The address of the program whose kinds these are.
    key: AtomicUsize,
    /// One past the highest index learned.
    extent: AtomicUsize,
    /// By instruction index: what fusing needs of the instruction as last
    /// read (see [`Slot::seen`]).
    seen: [AtomicU32; SLOT_INSNS],
}

impl Default for KindCache {
    fn default() -> Self {
        KindCache::new()
    }
}

impl KindCache {
    pub const fn new() -> KindCache {
        KindCache { slots: [const { Slot::new() }; CACHE_SLOTS] }
    }

    /// Run the program `src` holds now, whose address is `key`, over one
    /// packet; same result as [`filter_with_aux`] on that program.
    #[inline(always)]
    pub fn run<S: InsnSource + ?Sized>(
        &self,
        key: usize,
        src: &S,
        pkt: &[u8],
        wirelen: u32,
        aux: Option<&AuxData>,
    ) -> u32 {
        let slot = &self.slots[(key >> 3 ^ key >> 11) % CACHE_SLOTS];
        if slot.key.load(Relaxed) != key {
            slot.claim(key);
        }
        let pkt = Packet::new(pkt, wirelen, aux);
        let mut st = State::new(&pkt);
        match run_from(&mut Shared(slot), src, &mut st, 0, pkt) {
            Ok(v) => v,
            Err(pause) => slot.learn_and_run(key, src, st, pause, pkt),
        }
    }
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            key: AtomicUsize::new(0),
            extent: AtomicUsize::new(0),
            kinds: [const { AtomicU8::new(0) }; SLOT_INSNS],
            seen: [const { AtomicU32::new(0) }; SLOT_INSNS],
        }
    }

    /// Take the slot over for the program at `key`.
    #[cold]
    #[inline(never)]
    fn claim(&self, key: usize) {
        self.key.store(key, Relaxed);
        for i in 0..self.extent.swap(0, Relaxed).min(SLOT_INSNS) {
            self.kinds[i].store(Kind::Undecoded.0, Relaxed);
            self.seen[i].store(0, Relaxed);
        }
    }

    /// The rest of a run that paused: learn what it paused on and go on.
    #[cold]
    #[inline(never)]
    fn learn_and_run<S: InsnSource + ?Sized>(&self, key: usize, src: &S, mut st: State, mut pause: Pause, pkt: Packet) -> u32 {
        for _ in 0..PAUSES_MAX {
            let at = pause.at;
            if at >= SLOT_INSNS || self.key.load(Relaxed) != key {
                // Past what the slot keeps, or another program took it.
                break;
            }
            // Execution has reached `at`: read it, as libpcap would now.
            let Some(insn) = src.insn(at) else { return 0 };
            self.learn(pause.op, at, insn);
            pause = match run_from(&mut Shared(self), src, &mut st, at, pkt) {
                Ok(v) => {
                    // Fusing across jumps needs their targets learned: with
                    // this run's instructions learned, choose all kinds again.
                    self.refuse(0..self.extent.load(Relaxed));
                    return v;
                }
                Err(p) => p,
            };
        }
        run_from(&mut Direct(src), src, &mut st, pause.at, pkt).unwrap_or(0)
    }

    /// Record `insn` at `at` and choose again the kinds that depend on it,
    /// including that of `op`, the operation that paused.
    fn learn(&self, op: usize, at: usize, insn: Insn) {
        // Fusing looks at opcodes and at the false branch of a `jeq`.
        self.seen[at].store(1 << 31 | (insn.jf as u32) << 16 | insn.code as u32, Relaxed);
        self.extent.fetch_max(at + 1, Relaxed);
        // The longest fusion starts two instructions back.
        self.refuse(at.saturating_sub(2)..at + 1);
        self.refuse(op..op + 1);
    }

    /// What fusing may know of instruction `i`: its opcode and `jf`.
    fn seen(&self, i: usize) -> Option<Insn> {
        let v = self.seen.get(i)?.load(Relaxed);
        (v >> 31 == 1).then_some(Insn { code: v as u16, jt: 0, jf: (v >> 16) as u8, k: 0 })
    }

    /// Choose again the kinds of the seen instructions in `range`.
    fn refuse(&self, range: std::ops::Range<usize>) {
        for i in range.start..range.end.min(SLOT_INSNS) {
            if self.seen(i).is_some() {
                self.kinds[i].store(fuse(i, &|j| self.seen(j)).0, Relaxed);
            }
        }
    }
}

/// What an instruction (or a fused sequence starting there) runs as. The
/// handler of each kind checks the opcodes it was chosen for and reads
/// everything else from the instructions. (A byte, so that a [`KindCache`]
/// can keep kinds in atomics.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Kind(u8);

#[allow(non_upper_case_globals)]
impl Kind {
    /// How many kinds there are.
    const COUNT: u8 = 63;
    /// Not learned yet ([`KindCache`]): pause.
    const Undecoded: Kind = Kind(0);
    /// An opcode libpcap cannot run: reject.
    const Reject: Kind = Kind(1);
    const RetK: Kind = Kind(2);
    const RetA: Kind = Kind(3);
    const LdAbsW: Kind = Kind(4);
    const LdAbsH: Kind = Kind(5);
    const LdAbsB: Kind = Kind(6);
    const LdLen: Kind = Kind(7);
    const LdxLen: Kind = Kind(8);
    const LdIndW: Kind = Kind(9);
    const LdIndH: Kind = Kind(10);
    const LdIndB: Kind = Kind(11);
    const LdxMsh: Kind = Kind(12);
    const LdImm: Kind = Kind(13);
    const LdxImm: Kind = Kind(14);
    const LdMem: Kind = Kind(15);
    const LdxMem: Kind = Kind(16);
    const St: Kind = Kind(17);
    const Stx: Kind = Kind(18);
    const Ja: Kind = Kind(19);
    const JgtK: Kind = Kind(20);
    const JgeK: Kind = Kind(21);
    const JeqK: Kind = Kind(22);
    const JsetK: Kind = Kind(23);
    const JgtX: Kind = Kind(24);
    const JgeX: Kind = Kind(25);
    const JeqX: Kind = Kind(26);
    const JsetX: Kind = Kind(27);
    const AddK: Kind = Kind(28);
    const SubK: Kind = Kind(29);
    const MulK: Kind = Kind(30);
    const DivK: Kind = Kind(31);
    const ModK: Kind = Kind(32);
    const AndK: Kind = Kind(33);
    const OrK: Kind = Kind(34);
    const XorK: Kind = Kind(35);
    const LshK: Kind = Kind(36);
    const RshK: Kind = Kind(37);
    const AddX: Kind = Kind(38);
    const SubX: Kind = Kind(39);
    const MulX: Kind = Kind(40);
    const DivX: Kind = Kind(41);
    const ModX: Kind = Kind(42);
    const AndX: Kind = Kind(43);
    const OrX: Kind = Kind(44);
    const XorX: Kind = Kind(45);
    const LshX: Kind = Kind(46);
    const RshX: Kind = Kind(47);
    const Neg: Kind = Kind(48);
    const Tax: Kind = Kind(49);
    const Txa: Kind = Kind(50);
    // `ld <k>; j<op> #c`.
    const LdAbsWJeq: Kind = Kind(51);
    const LdAbsHJeq: Kind = Kind(52);
    const LdAbsBJeq: Kind = Kind(53);
    const LdIndHJeq: Kind = Kind(54);
    const LdAbsHJset: Kind = Kind(55);
    const LdAbsBJset: Kind = Kind(56);
    // `ld <k>; jeq #c1` whose false branch is another `jeq #c2`.
    const LdAbsHJeqJeq: Kind = Kind(57);
    const LdAbsBJeqJeq: Kind = Kind(58);
    // `jeq #c1` whose false branch is another `jeq #c2`.
    const JeqJeq: Kind = Kind(59);
    // `ldxb 4*([k1]&0xf); ldh [x + k2]; jeq #c`.
    const MshLdIndHJeq: Kind = Kind(60);
    // The same whose false branch is `ldh [x + k3]; jeq #c2` (libpcap's
    // `port N`: source port, then destination port).
    const MshLdIndHJeqLdIndHJeq: Kind = Kind(61);
    // `ldh [k]; jset #c` whose false branch falls through to the above
    // (libpcap's IPv4 `port N`: not a fragment, then the ports).
    const LdAbsHJsetPorts: Kind = Kind(62);
}

/// The kind of one instruction with opcode `code` (every opcode libpcap
/// runs is below 0x100).
const fn single_kind(code: u16) -> Kind {
    match code {
        RET_K => Kind::RetK,
        RET_A => Kind::RetA,
        LD_W_ABS => Kind::LdAbsW,
        LD_H_ABS => Kind::LdAbsH,
        LD_B_ABS => Kind::LdAbsB,
        LD_W_LEN => Kind::LdLen,
        LDX_W_LEN => Kind::LdxLen,
        LD_W_IND => Kind::LdIndW,
        LD_H_IND => Kind::LdIndH,
        LD_B_IND => Kind::LdIndB,
        LDX_MSH_B => Kind::LdxMsh,
        LD_IMM => Kind::LdImm,
        LDX_IMM => Kind::LdxImm,
        LD_MEM => Kind::LdMem,
        LDX_MEM => Kind::LdxMem,
        ST => Kind::St,
        STX => Kind::Stx,
        JA => Kind::Ja,
        JGT_K => Kind::JgtK,
        JGE_K => Kind::JgeK,
        JEQ_K => Kind::JeqK,
        JSET_K => Kind::JsetK,
        JGT_X => Kind::JgtX,
        JGE_X => Kind::JgeX,
        JEQ_X => Kind::JeqX,
        JSET_X => Kind::JsetX,
        ADD_K => Kind::AddK,
        SUB_K => Kind::SubK,
        MUL_K => Kind::MulK,
        DIV_K => Kind::DivK,
        MOD_K => Kind::ModK,
        AND_K => Kind::AndK,
        OR_K => Kind::OrK,
        XOR_K => Kind::XorK,
        LSH_K => Kind::LshK,
        RSH_K => Kind::RshK,
        ADD_X => Kind::AddX,
        SUB_X => Kind::SubX,
        MUL_X => Kind::MulX,
        DIV_X => Kind::DivX,
        MOD_X => Kind::ModX,
        AND_X => Kind::AndX,
        OR_X => Kind::OrX,
        XOR_X => Kind::XorX,
        LSH_X => Kind::LshX,
        RSH_X => Kind::RshX,
        NEG => Kind::Neg,
        TAX => Kind::Tax,
        TXA => Kind::Txa,
        _ => Kind::Reject,
    }
}

/// [`single_kind`] of every opcode below 0x100, looked up rather than
/// matched: `filter_with_aux` does it for every instruction it runs.
static SINGLE_KINDS: [Kind; 256] = {
    let mut t = [Kind::Reject; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = single_kind(c as u16);
        c += 1;
    }
    t
};

/// The kind of one instruction with opcode `code`.
#[inline(always)]
fn kind_of(code: u16) -> Kind {
    match SINGLE_KINDS.get(code as usize) {
        Some(&k) => k,
        None => Kind::Reject,
    }
}

/// The kind for the instruction at `pc` (which `at` must know, else
/// `Undecoded`): the longest fused sequence of libpcap's code-generation
/// idioms that starts there and whose parts `at` knows, else the
/// instruction alone. A fused kind behaves exactly as its parts, each part
/// read (and its opcode checked) only when execution reaches it; a part
/// whose opcode has changed pauses the run there.
fn fuse(pc: usize, at: &impl Fn(usize) -> Option<Insn>) -> Kind {
    let Some(insn) = at(pc) else { return Kind::Undecoded };
    let code = |i: usize| at(i).map(|n| n.code);
    // Whether the instruction at `i` is a `jeq` whose false branch is
    // another `jeq`.
    let chains = |i: usize| at(i).is_some_and(|j| j.code == JEQ_K && code(i + 1 + j.jf as usize) == Some(JEQ_K));
    // Whether the instruction at `i` is a `jeq` whose false branch is
    // `ldh [x + k]; jeq`.
    let ports = |i: usize| {
        at(i).is_some_and(|j| {
            let f = i + 1 + j.jf as usize;
            j.code == JEQ_K && code(f) == Some(LD_H_IND) && code(f + 1) == Some(JEQ_K)
        })
    };
    let msh_ports = |i: usize| code(i) == Some(LDX_MSH_B) && code(i + 1) == Some(LD_H_IND) && ports(i + 2);
    match (insn.code, code(pc + 1)) {
        (LDX_MSH_B, Some(LD_H_IND)) if ports(pc + 2) => Kind::MshLdIndHJeqLdIndHJeq,
        (LD_H_ABS, Some(JSET_K)) if at(pc + 1).is_some_and(|j| j.jf == 0) && msh_ports(pc + 2) => Kind::LdAbsHJsetPorts,
        (LDX_MSH_B, Some(LD_H_IND)) if code(pc + 2) == Some(JEQ_K) => Kind::MshLdIndHJeq,
        (LD_H_ABS, Some(JEQ_K)) if chains(pc + 1) => Kind::LdAbsHJeqJeq,
        (LD_B_ABS, Some(JEQ_K)) if chains(pc + 1) => Kind::LdAbsBJeqJeq,
        (LD_W_ABS, Some(JEQ_K)) => Kind::LdAbsWJeq,
        (LD_H_ABS, Some(JEQ_K)) => Kind::LdAbsHJeq,
        (LD_B_ABS, Some(JEQ_K)) => Kind::LdAbsBJeq,
        (LD_H_IND, Some(JEQ_K)) => Kind::LdIndHJeq,
        (LD_H_ABS, Some(JSET_K)) => Kind::LdAbsHJset,
        (LD_B_ABS, Some(JSET_K)) => Kind::LdAbsBJset,
        (JEQ_K, _) if chains(pc) => Kind::JeqJeq,
        (c, _) => kind_of(c),
    }
}

/// Marks the path that calls it as the unlikely one, so that LLVM keeps a
/// real branch there instead of folding both sides into a conditional move
/// (`std::hint::cold_path` does the same from Rust 1.95; the crate supports
/// 1.80). Inlined to nothing.
#[cold]
fn cold() {}

/// Registers and scratch memory; carried across the pauses of a run.
struct State {
    a: u32,
    x: u32,
    mem: Mem,
    budget: u64,
    /// How many more backward jumps may be taken.
    loops: u32,
}

impl State {
    #[inline(always)]
    fn new(pkt: &Packet) -> State {
        let loops = (pkt.data.len() / 4 + 64).min(u32::MAX as usize) as u32;
        State { a: 0, x: 0, mem: Mem(None), budget: STEP_BUDGET, loops }
    }
}

/// Scratch memory, zeroed when first written: most programs never use it,
/// and every packet would otherwise pay for clearing it.
struct Mem(Option<[u32; BPF_MEMWORDS]>);

impl Mem {
    /// `M[k]`, or `None` for an index past `BPF_MEMWORDS`.
    #[inline(always)]
    fn get(&self, k: u32) -> Option<u32> {
        let k = k as usize;
        (k < BPF_MEMWORDS).then(|| self.0.as_ref().map_or(0, |m| m[k]))
    }
    #[inline(always)]
    fn set(&mut self, k: u32, v: u32) -> Option<()> {
        *self.0.get_or_insert([0; BPF_MEMWORDS]).get_mut(k as usize)? = v;
        Some(())
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
    /// `ld [k]`: past the captured bytes, the packet type's ancillary
    /// offset (checked only there: in-range loads pay nothing for it).
    #[inline(always)]
    fn w_abs(&self, k: u32) -> Option<u32> {
        self.w(k as usize).or_else(|| self.pkttype(k))
    }
    /// `ldh [k]`, likewise.
    #[inline(always)]
    fn h_abs(&self, k: u32) -> Option<u32> {
        self.h(k as usize).or_else(|| self.pkttype(k))
    }
    /// `ldb [k]`, where the VLAN and packet type ancillary offsets read the
    /// aux data.
    #[inline(always)]
    fn b_abs(&self, k: u32) -> Option<u32> {
        match k.wrapping_sub(SKF_AD_OFF) {
            SKF_AD_VLAN_TAG => self.aux.map(|a| a.vlan_tag as u32),
            SKF_AD_VLAN_TAG_PRESENT => self.aux.map(|a| a.vlan_tag_present as u32),
            SKF_AD_PKTTYPE => self.pkttype(k),
            _ => self.b(k as usize),
        }
    }
    /// The packet type at its ancillary offset, when the aux data has one.
    #[cold]
    fn pkttype(&self, k: u32) -> Option<u32> {
        if k != SKF_AD_OFF.wrapping_add(SKF_AD_PKTTYPE) {
            return None;
        }
        self.aux.and_then(|a| a.pkttype).map(u32::from)
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

/// Where the execution loop gets the kind at each index.
trait Kinds {
    fn kind(&mut self, pc: usize) -> Kind;
}

/// A [`Compiled`] program's kinds.
struct Known<'a>(&'a [Kind; SLOT_INSNS]);

impl Kinds for Known<'_> {
    #[inline(always)]
    fn kind(&mut self, pc: usize) -> Kind {
        // Past the end, indices wrap around (see `Shared`).
        self.0[pc % SLOT_INSNS]
    }
}

/// A [`KindCache`] slot's kinds; past what it keeps, `Undecoded` (pause).
struct Shared<'a>(&'a Slot);

impl Kinds for Shared<'_> {
    #[inline(always)]
    fn kind(&mut self, pc: usize) -> Kind {
        // Past what a slot keeps, indices wrap around onto its kinds: no
        // bounds check, and harmless, since a kind that does not fit the
        // instructions there pauses, and a pause past the slot runs the
        // rest with kinds looked up as it goes.
        Kind(self.0.kinds[pc % SLOT_INSNS].load(Relaxed))
    }
}

/// Each instruction's own kind, looked up as execution reaches it.
struct Direct<'a, S: ?Sized>(&'a S);

impl<S: InsnSource + ?Sized> Kinds for Direct<'_, S> {
    #[inline(always)]
    fn kind(&mut self, pc: usize) -> Kind {
        self.0.insn(pc).map_or(Kind::Reject, |i| kind_of(i.code))
    }
}

/// Why a run stopped before a `ret`: the kind at `op` needs (re)learning,
/// and execution resumes at `at` (`op` itself, or the part of the fused
/// sequence at `op` whose opcode changed).
#[derive(Clone, Copy, Debug)]
struct Pause {
    op: usize,
    at: usize,
}

/// Run from `pc` until a `ret` (`Ok(value)`) or a [`Pause`] (registers saved
/// in `st` to resume). The one place instruction semantics live.
#[inline(always)]
fn run_from<K: Kinds, S: InsnSource + ?Sized>(
    kinds: &mut K,
    src: &S,
    st: &mut State,
    mut pc: usize,
    pkt: Packet,
) -> Result<u32, Pause> {
    let (mut a, mut x) = (st.a, st.x);
    macro_rules! pause {
        ($op:expr, $at:expr) => {{
            st.a = a;
            st.x = x;
            return Err(Pause { op: $op, at: $at });
        }};
    }
    // The instruction at `$i`, which the kind expects to have opcode `$code`.
    macro_rules! part {
        ($i:expr, $code:expr) => {{
            let i: usize = $i;
            match src.insn(i) {
                Some(insn) if insn.code == $code => insn,
                Some(_) => {
                    cold();
                    pause!(pc, i)
                }
                None => return Ok(0),
            }
        }};
    }
    // A load (or division) that rejects the packet when it fails.
    macro_rules! load {
        ($e:expr) => {
            match $e {
                Some(v) => v,
                None => return Ok(0),
            }
        };
    }
    // A conditional jump from the instruction `$j` at index `$at`, by real
    // branches rather than conditional moves (the cold hints keep LLVM from
    // folding them into cmovs). The processor predicts branches, not loaded
    // values: a branch on the direction, and one on whether the offset is 0
    // (libpcap's code falls through to the next instruction on most
    // tests), give the next index without waiting for the load of the
    // offset, which only confirms the prediction.
    macro_rules! jump {
        ($c:expr, $at:expr, $j:expr) => {
            if $c {
                offset!($at, $j.jt)
            } else {
                cold();
                offset!($at, $j.jf)
            }
        };
    }
    macro_rules! offset {
        ($at:expr, $off:expr) => {
            if $off == 0 {
                $at + 1
            } else {
                cold();
                goto!($at + 1 + $off as usize)
            }
        };
    }
    // A jump to `$t`. Every run ends by jumping to a `ret #k`: returning
    // right here spares that last dispatch.
    macro_rules! goto {
        ($t:expr) => {{
            let t: usize = $t;
            if kinds.kind(t) == Kind::RetK {
                return Ok(part!(t, RET_K).k);
            }
            t
        }};
    }
    // The `jeq` at `$at`, and on its false branch another `jeq`.
    macro_rules! jeqs {
        ($at:expr) => {{
            let at: usize = $at;
            let j = part!(at, JEQ_K);
            if a == j.k {
                offset!(at, j.jt)
            } else {
                let f = at + 1 + j.jf as usize;
                let j2 = part!(f, JEQ_K);
                jump!(a == j2.k, f, j2)
            }
        }};
    }
    // `ldxb 4*([k1]&0xf); ldh [x + k2]; jeq #c1` at `$p`, and on its false
    // branch `ldh [x + k3]; jeq #c2`.
    macro_rules! ports {
        ($p:expr) => {{
            let p: usize = $p;
            x = (load!(pkt.b(part!(p, LDX_MSH_B).k as usize)) & 0xf) << 2;
            a = load!(pkt.h(ind(x, part!(p + 1, LD_H_IND).k)));
            let j = part!(p + 2, JEQ_K);
            if a == j.k {
                offset!(p + 2, j.jt)
            } else {
                let f = p + 3 + j.jf as usize;
                a = load!(pkt.h(ind(x, part!(f, LD_H_IND).k)));
                let j2 = part!(f + 1, JEQ_K);
                jump!(a == j2.k, f + 1, j2)
            }
        }};
    }
    macro_rules! step {
        ($code:expr, |$i:ident| $e:expr) => {{
            let $i = part!(pc, $code);
            $e;
            pc + 1
        }};
    }
    loop {
        // With the mask the dispatch table covers every value: no range check.
        pc = match Kind(kinds.kind(pc).0 & 63) {
            // `Undecoded`, or a byte no kind has (a cache never stores one).
            Kind::Undecoded => pause!(pc, pc),
            // No kind has these bytes and none is ever stored; listed one by
            // one so that the dispatch table covers all 64 values.
            Kind(63) | Kind(64..) => return Ok(0),
            Kind::Reject => match src.insn(pc) {
                // Still an opcode libpcap cannot run (or none at all)?
                Some(i) if kind_of(i.code) != Kind::Reject => pause!(pc, pc),
                _ => return Ok(0),
            },
            Kind::RetK => return Ok(part!(pc, RET_K).k),
            Kind::RetA => {
                part!(pc, RET_A);
                return Ok(a);
            }
            Kind::LdAbsW => step!(LD_W_ABS, |i| a = load!(pkt.w_abs(i.k))),
            Kind::LdAbsH => step!(LD_H_ABS, |i| a = load!(pkt.h_abs(i.k))),
            Kind::LdAbsB => step!(LD_B_ABS, |i| a = load!(pkt.b_abs(i.k))),
            Kind::LdLen => step!(LD_W_LEN, |_i| a = pkt.wirelen),
            Kind::LdxLen => step!(LDX_W_LEN, |_i| x = pkt.wirelen),
            Kind::LdIndW => step!(LD_W_IND, |i| a = load!(pkt.w(ind(x, i.k)))),
            Kind::LdIndH => step!(LD_H_IND, |i| a = load!(pkt.h(ind(x, i.k)))),
            Kind::LdIndB => step!(LD_B_IND, |i| a = load!(pkt.b(ind(x, i.k)))),
            Kind::LdxMsh => step!(LDX_MSH_B, |i| x = (load!(pkt.b(i.k as usize)) & 0xf) << 2),
            Kind::LdImm => step!(LD_IMM, |i| a = i.k),
            Kind::LdxImm => step!(LDX_IMM, |i| x = i.k),
            Kind::LdMem => step!(LD_MEM, |i| a = load!(st.mem.get(i.k))),
            Kind::LdxMem => step!(LDX_MEM, |i| x = load!(st.mem.get(i.k))),
            Kind::St => step!(ST, |i| load!(st.mem.set(i.k, a))),
            Kind::Stx => step!(STX, |i| load!(st.mem.set(i.k, x))),
            Kind::Ja => {
                let i = part!(pc, JA);
                // A signed offset from the next instruction, as libpcap's
                // `pc += (int)k`; going backward counts against the bounds.
                let to = load!((pc + 1).checked_add_signed(i.k as i32 as isize));
                if to <= pc {
                    st.loops = load!(st.loops.checked_sub(1));
                    st.budget = load!(st.budget.checked_sub((pc - to + 1) as u64));
                }
                to
            }
            Kind::JgtK => {
                let j = part!(pc, JGT_K);
                jump!(a > j.k, pc, j)
            }
            Kind::JgeK => {
                let j = part!(pc, JGE_K);
                jump!(a >= j.k, pc, j)
            }
            Kind::JeqK => {
                let j = part!(pc, JEQ_K);
                jump!(a == j.k, pc, j)
            }
            Kind::JsetK => {
                let j = part!(pc, JSET_K);
                jump!(a & j.k != 0, pc, j)
            }
            Kind::JgtX => {
                let j = part!(pc, JGT_X);
                jump!(a > x, pc, j)
            }
            Kind::JgeX => {
                let j = part!(pc, JGE_X);
                jump!(a >= x, pc, j)
            }
            Kind::JeqX => {
                let j = part!(pc, JEQ_X);
                jump!(a == x, pc, j)
            }
            Kind::JsetX => {
                let j = part!(pc, JSET_X);
                jump!(a & x != 0, pc, j)
            }
            Kind::AddK => step!(ADD_K, |i| a = a.wrapping_add(i.k)),
            Kind::SubK => step!(SUB_K, |i| a = a.wrapping_sub(i.k)),
            Kind::MulK => step!(MUL_K, |i| a = a.wrapping_mul(i.k)),
            // libpcap would trap on a constant zero divisor.
            Kind::DivK => step!(DIV_K, |i| a = load!(a.checked_div(i.k))),
            Kind::ModK => step!(MOD_K, |i| a = load!(a.checked_rem(i.k))),
            Kind::AndK => step!(AND_K, |i| a &= i.k),
            Kind::OrK => step!(OR_K, |i| a |= i.k),
            Kind::XorK => step!(XOR_K, |i| a ^= i.k),
            Kind::LshK => step!(LSH_K, |i| a = a.wrapping_shl(i.k)),
            Kind::RshK => step!(RSH_K, |i| a = a.wrapping_shr(i.k)),
            Kind::AddX => step!(ADD_X, |_i| a = a.wrapping_add(x)),
            Kind::SubX => step!(SUB_X, |_i| a = a.wrapping_sub(x)),
            Kind::MulX => step!(MUL_X, |_i| a = a.wrapping_mul(x)),
            Kind::DivX => step!(DIV_X, |_i| a = load!(a.checked_div(x))),
            Kind::ModX => step!(MOD_X, |_i| a = load!(a.checked_rem(x))),
            Kind::AndX => step!(AND_X, |_i| a &= x),
            Kind::OrX => step!(OR_X, |_i| a |= x),
            Kind::XorX => step!(XOR_X, |_i| a ^= x),
            Kind::LshX => step!(LSH_X, |_i| a = a.checked_shl(x).unwrap_or(0)),
            Kind::RshX => step!(RSH_X, |_i| a = a.checked_shr(x).unwrap_or(0)),
            Kind::Neg => step!(NEG, |_i| a = a.wrapping_neg()),
            Kind::Tax => step!(TAX, |_i| x = a),
            Kind::Txa => step!(TXA, |_i| a = x),
            Kind::LdAbsWJeq => {
                a = load!(pkt.w_abs(part!(pc, LD_W_ABS).k));
                let j = part!(pc + 1, JEQ_K);
                jump!(a == j.k, pc + 1, j)
            }
            Kind::LdAbsHJeq => {
                a = load!(pkt.h_abs(part!(pc, LD_H_ABS).k));
                let j = part!(pc + 1, JEQ_K);
                jump!(a == j.k, pc + 1, j)
            }
            Kind::LdAbsBJeq => {
                a = load!(pkt.b_abs(part!(pc, LD_B_ABS).k));
                let j = part!(pc + 1, JEQ_K);
                jump!(a == j.k, pc + 1, j)
            }
            Kind::LdIndHJeq => {
                a = load!(pkt.h(ind(x, part!(pc, LD_H_IND).k)));
                let j = part!(pc + 1, JEQ_K);
                jump!(a == j.k, pc + 1, j)
            }
            Kind::LdAbsHJset => {
                a = load!(pkt.h_abs(part!(pc, LD_H_ABS).k));
                let j = part!(pc + 1, JSET_K);
                jump!(a & j.k != 0, pc + 1, j)
            }
            Kind::LdAbsBJset => {
                a = load!(pkt.b_abs(part!(pc, LD_B_ABS).k));
                let j = part!(pc + 1, JSET_K);
                jump!(a & j.k != 0, pc + 1, j)
            }
            Kind::LdAbsHJeqJeq => {
                a = load!(pkt.h_abs(part!(pc, LD_H_ABS).k));
                jeqs!(pc + 1)
            }
            Kind::LdAbsBJeqJeq => {
                a = load!(pkt.b_abs(part!(pc, LD_B_ABS).k));
                jeqs!(pc + 1)
            }
            Kind::JeqJeq => jeqs!(pc),
            Kind::MshLdIndHJeq => {
                x = (load!(pkt.b(part!(pc, LDX_MSH_B).k as usize)) & 0xf) << 2;
                a = load!(pkt.h(ind(x, part!(pc + 1, LD_H_IND).k)));
                let j = part!(pc + 2, JEQ_K);
                jump!(a == j.k, pc + 2, j)
            }
            Kind::MshLdIndHJeqLdIndHJeq => ports!(pc),
            Kind::LdAbsHJsetPorts => {
                a = load!(pkt.h_abs(part!(pc, LD_H_ABS).k));
                let j = part!(pc + 1, JSET_K);
                if a & j.k != 0 {
                    offset!(pc + 1, j.jt)
                } else if j.jf != 0 {
                    goto!(pc + 2 + j.jf as usize)
                } else {
                    ports!(pc + 2)
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::insn::*;
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
        let cache = Box::new(KindCache::new());
        let direct_reads = reads(prog, |r| {
            let pkt = Packet::new(pkt, wirelen, aux);
            run_from(&mut Direct(r), r, &mut State::new(&pkt), 0, pkt).ok();
        });
        for pass in 0..2 {
            let got = reads(prog, |r| assert_eq!(cache.run(1, r, pkt, wirelen, aux), direct, "cached pass {pass}"));
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
        // Backward jumps are bounded by the packet's length: a count to 100
        // needs 100 of them (an empty packet allows 64, 400 bytes 164) ...
        let count_to = |n: u32| {
            [
                ld_imm(0),
                Insn::stmt(BPF_ALU | BPF_ADD | BPF_K, 1),
                Insn::jump(BPF_JMP | BPF_JGE | BPF_K, n, 1, 0),
                Insn::stmt(BPF_JMP | BPF_JA, (-3i32) as u32),
                ret_a(),
            ]
        };
        assert_eq!(run(&count_to(64), &[]), 64);
        assert_eq!(run(&count_to(66), &[]), 0);
        assert_eq!(run(&count_to(100), &[0; 400]), 100);
        // ... and by the instructions they repeat: 4200 rounds of a 1023
        // instruction loop exceed the budget, 4000 do not.
        let big_loop = |rounds: u32| {
            let mut p = vec![ld_imm(0), Insn::stmt(BPF_ALU | BPF_ADD | BPF_K, 1)];
            p.extend(std::iter::repeat_n(ldx_imm(0), 1020));
            p.push(Insn::jump(BPF_JMP | BPF_JGE | BPF_K, rounds, 1, 0));
            p.push(Insn::stmt(BPF_JMP | BPF_JA, (-1023i32) as u32));
            p.push(ret_a());
            p
        };
        assert_eq!(filter(&big_loop(4000), &[0; 20000], 0), 4000);
        assert_eq!(filter(&big_loop(4200), &[0; 20000], 0), 0);
        assert_eq!(Compiled::new(&big_loop(4200)).run(&[0; 20000], 0, None), 0);
        // Loops forever in libpcap; stopped here (without tracing reads).
        let spins = [
            vec![Insn::stmt(BPF_JMP | BPF_JA, u32::MAX), ret(1)],
            vec![ld_imm(1), Insn::stmt(BPF_JMP | BPF_JA, (-2i32) as u32), ret(1)],
        ];
        for spin in spins {
            assert_eq!(filter(&spin, &[], 0), 0);
            assert_eq!(Compiled::new(&spin).run(&[], 0, None), 0);
            assert_eq!(KindCache::new().run(1, spin.as_slice(), &[], 0, None), 0);
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
        let aux = AuxData { vlan_tag_present: true, vlan_tag: 0x123, pkttype: None };
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
    fn packet_type_ancillary_loads() {
        let ld = |size, off| [Insn::stmt(BPF_LD | size | BPF_ABS, SKF_AD_OFF + off), ret_a()];
        let outgoing = AuxData { pkttype: Some(4), ..AuxData::default() };
        let host = AuxData { pkttype: Some(0), ..AuxData::default() };
        for size in [BPF_W, BPF_H, BPF_B] {
            assert_eq!(run_aux(&ld(size, SKF_AD_PKTTYPE), &PKT, 8, Some(&outgoing)), 4);
            assert_eq!(run_aux(&ld(size, SKF_AD_PKTTYPE), &PKT, 8, Some(&host)), 0);
            // Unknown, or no aux data at all: rejects, as libpcap's does.
            assert_eq!(run_aux(&ld(size, SKF_AD_PKTTYPE), &PKT, 8, Some(&AuxData::default())), 0);
            assert_eq!(run(&ld(size, SKF_AD_PKTTYPE), &PKT), 0);
            // Neighbouring offsets are plain loads past the packet.
            assert_eq!(run_aux(&ld(size, SKF_AD_PKTTYPE + 1), &PKT, 8, Some(&outgoing)), 0);
            assert_eq!(run_aux(&ld(size, SKF_AD_IFINDEX), &PKT, 8, Some(&outgoing)), 0);
        }
        // What libpcap compiles for `outbound` on a live Ethernet capture,
        // fused with its jump: `ldh [pkttype]; jeq #4`.
        let outbound = [
            Insn::stmt(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 1),
            Insn::stmt(BPF_RET | BPF_K, 262144),
            Insn::stmt(BPF_RET | BPF_K, 0),
        ];
        assert_eq!(run_aux(&outbound, &PKT, 8, Some(&outgoing)), 262144);
        assert_eq!(run_aux(&outbound, &PKT, 8, Some(&host)), 0);
        let inbound = [outbound[0], Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 4, 1, 0), outbound[2], outbound[3]];
        assert_eq!(run_aux(&inbound, &PKT, 8, Some(&host)), 262144);
        assert_eq!(run_aux(&inbound, &PKT, 8, Some(&outgoing)), 0);
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

    /// Past the 512 kinds a cache slot or `Compiled` keeps, indices wrap
    /// onto the kept ones: the opcode checks keep that harmless.
    #[test]
    fn long_programs_run_past_the_kept_kinds() {
        for tail in [0usize, 300, 700, 1500] {
            let mut prog: Vec<Insn> = (0..tail as u32).map(ldx_imm).collect();
            prog.extend([
                Insn::stmt(BPF_LD | BPF_B | BPF_ABS, 0),
                Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 0x12, 0, 1),
                Insn::stmt(BPF_MISC | BPF_TXA, 0),
                ret_a(),
            ]);
            let want = if tail == 0 { 0 } else { tail as u32 - 1 };
            assert_eq!(run(&prog, &PKT), want, "tail {tail}");
            assert_eq!(run(&prog, &[0x13]), 0x13, "tail {tail}");
        }
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
    fn cached_kinds_follow_changes() {
        let mut prog = web_or_dns();
        let cache = Box::new(KindCache::new());
        let tcp80 = ipv4(6, 80);
        assert_eq!(cache.run(7, prog.as_slice(), &tcp80, 54, None), 262144);
        // Change a compared constant (the second half of a fused pair) ...
        prog[20].k = 81;
        prog[22].k = 81;
        assert_eq!(cache.run(7, prog.as_slice(), &tcp80, 54, None), 0);
        assert_eq!(cache.run(7, prog.as_slice(), &ipv4(6, 81), 54, None), 262144);
        // ... a load offset (the first half) ...
        prog[0].k = 14;
        assert_eq!(cache.run(7, prog.as_slice(), &ipv4(6, 81), 54, None), 0);
        // ... and replace it by a shorter program at the same place.
        let short = [ld_imm(3), ret_a()];
        assert_eq!(cache.run(7, &short[..], &tcp80, 54, None), 3);
        assert_eq!(cache.run(7, &short[..1], &tcp80, 54, None), 0);
        assert_eq!(cache.run(7, web_or_dns().as_slice(), &tcp80, 54, None), 262144);
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

    /// A random program, valid or not, biased towards the opcodes libpcap's
    /// compiler emits (so that fused idioms occur) with jumps that mostly
    /// stay inside.
    fn random_program(rng: &mut Rng, max_len: u32) -> Vec<Insn> {
        const COMMON: [u16; 16] =
            [LD_H_ABS, LD_B_ABS, LD_W_ABS, JEQ_K, JEQ_K, JEQ_K, JSET_K, JGT_K, LDX_MSH_B, LD_H_IND, RET_K, RET_K, RET_A, LD_IMM, ST, LD_MEM];
        let len = 1 + rng.below(max_len) as usize;
        (0..len)
            .map(|_| {
                let code = match rng.below(8) {
                    0 => rng.next() as u16,
                    1 | 2 => rng.below(256) as u16,
                    _ => COMMON[rng.below(16) as usize],
                };
                let k = match rng.below(5) {
                    0 => rng.below(64),
                    1 => rng.below(16),
                    2 => SKF_AD_OFF + rng.below(64),
                    3 => u32::MAX - rng.below(4),
                    _ => rng.next(),
                };
                Insn { code, jt: rng.below(6) as u8, jf: rng.below(6) as u8, k }
            })
            .collect()
    }

    fn random_packet(rng: &mut Rng) -> Vec<u8> {
        let mut pkt: Vec<u8> = (0..rng.below(80)).map(|_| rng.next() as u8).collect();
        if pkt.len() > 40 && rng.below(2) == 0 {
            pkt[..38].copy_from_slice(&ipv4(if rng.below(2) == 0 { 6 } else { 17 }, [80, 53, 443][rng.below(3) as usize])[..38]);
        }
        pkt
    }

    /// Random programs, valid or not, over random packets: the three ways
    /// of running agree and read instructions in the same order.
    #[test]
    fn random_programs_agree() {
        let mut rng = Rng(0x5eed_1234_abcd);
        for _ in 0..4000 {
            let prog = random_program(&mut rng, 24);
            let pkt = random_packet(&mut rng);
            let aux = AuxData { vlan_tag_present: rng.below(2) == 1, vlan_tag: rng.next() as u16, pkttype: (rng.below(2) == 1).then(|| rng.below(5) as u8) };
            let aux = if rng.below(2) == 0 { Some(&aux) } else { None };
            run_aux(&prog, &pkt, rng.next(), aux);
        }
    }

    /// Change one field of one instruction.
    fn mutate(rng: &mut Rng, prog: &mut [Insn]) {
        let i = rng.below(prog.len() as u32) as usize;
        let other = random_program(rng, 1)[0];
        match rng.below(4) {
            0 => prog[i].code = other.code,
            1 => prog[i].k = other.k,
            2 => prog[i].jt = other.jt,
            _ => prog[i].jf = other.jf,
        }
    }

    /// One address, a program changed in place between every run: what the
    /// cache learned never makes a verdict differ from a fresh run.
    #[test]
    fn cached_kinds_survive_any_change() {
        let mut rng = Rng(0xc0ffee);
        let cache = Box::new(KindCache::new());
        for round in 0..400 {
            let mut prog = if round % 4 == 0 { web_or_dns() } else { random_program(&mut rng, 40) };
            for _ in 0..40 {
                let pkt = if rng.below(2) == 0 { ipv4([6, 17][rng.below(2) as usize], [80, 53, 9][rng.below(3) as usize]) } else { random_packet(&mut rng) };
                let want = filter(&prog, &pkt, pkt.len() as u32);
                assert_eq!(cache.run(42, prog.as_slice(), &pkt, pkt.len() as u32, None), want, "{prog:?}");
                mutate(&mut rng, &mut prog);
            }
        }
    }

    /// Threads filtering different programs under one address share one
    /// slot's kinds, each learning over the others' work: every verdict is
    /// still that of its own program.
    #[test]
    fn racing_threads_get_their_own_verdicts() {
        static CACHE: KindCache = KindCache::new();
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                std::thread::spawn(move || {
                    let mut rng = Rng(0x1234 + t);
                    let progs: Vec<Vec<Insn>> =
                        (0..8).map(|i| if i == 0 { web_or_dns() } else { random_program(&mut rng, 30) }).collect();
                    for n in 0..20000 {
                        let prog = &progs[n % progs.len()];
                        let pkt = if n % 3 == 0 { ipv4(6, 80) } else { random_packet(&mut rng) };
                        let want = filter(prog, &pkt, 99);
                        // Key 7 for all: one slot, one key, many programs.
                        assert_eq!(CACHE.run(7, prog.as_slice(), &pkt, 99, None), want, "{prog:?}");
                        // Keys that share the slot, to race its claiming too.
                        let key = 7 + (n % 3) * 8 * CACHE_SLOTS * 256;
                        assert_eq!(CACHE.run(key, prog.as_slice(), &pkt, 99, None), want);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}
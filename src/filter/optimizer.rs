//! The optimizer: rewrites the code generator's block graph into a shorter
//! program that accepts the same packets.
//!
//! ringcap promises the program libpcap's `pcap_compile(.., 1, ..)` gives,
//! instruction for instruction, and which rewrite fires first decides the
//! shape of the result; so this module tries the same rewrites in the same
//! order as libpcap's optimizer (its source was read for behaviour, and the
//! differential test holds the two to identical output). The strategy, in
//! our words:
//!
//! - **Numbering.** The blocks reachable from the root are numbered in
//!   depth-first order, true branch first. Edges are numbered too: a
//!   block's true edge carries its number, its false edge that number plus
//!   the block count. Sets of blocks and of edges are bit vectors.
//! - **Analyses**, recomputed from scratch every round: each block's
//!   *level* (its longest path to a `ret`), so that walking levels from the
//!   root's down visits a block after everything that can reach it; the
//!   *dominators* of every block and of every edge (edge `e` dominates
//!   edge `f` when every path from the root to `f` takes `e`); and the
//!   *liveness* of the "atoms" (scratch words, A and X): what a block reads
//!   before writing, what it overwrites, what its successors still need.
//! - **A round** (`optimize_pass`) first simulates every block with value
//!   numbers: A, X and each scratch word hold a number standing for the
//!   value computed so far, starting from what all predecessors agree on;
//!   the same computation on the same numbers gets the same number, and
//!   constants are known. When statements may be rewritten, the
//!   simulation folds constants, turns indexed loads with a known X into
//!   absolute ones and deletes statements that store what a place already
//!   holds; peephole patterns and dead stores inside the block follow.
//!   Then, unless statements are being rewritten, branches move:
//!   *jump threading* redirects an edge past a block whose test a
//!   dominating edge has already decided (same test of the same value of
//!   A), and *test hoisting* moves a test that repeats an earlier value of
//!   A up a chain of tests sharing one outcome.
//! - **Rounds repeat** until one changes nothing; when only branches have
//!   moved for 100 rounds in a row (moves can cycle), it stops there. Two
//!   series run: branches only first, then statements too.
//! - **Merging**: blocks with the same statements, test and successors are
//!   merged, again and again, since merging can make predecessors equal.
//! - Finally leading blocks whose branches both go to one place are
//!   skipped, their statements kept for the new root.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::ir::{BlockId, Ir, StmtId, A_ATOM, NOP, N_ATOMS, X_ATOM};
use crate::bpf::insn::*;

/// The register pair "A and X" in use/def computations.
const AX_ATOM: i32 = N_ATOMS as i32;

fn atom_mask(a: usize) -> u32 {
    1u32 << a
}

/// Which atom a statement reads (-1: none; AX_ATOM: both A and X).
fn atom_read(code: i32, k: u32) -> i32 {
    if code == NOP {
        return -1;
    }
    let c = code as u16;
    match class(c) {
        BPF_RET => match rval(c) {
            BPF_A => A_ATOM as i32,
            BPF_X => X_ATOM as i32,
            _ => -1,
        },
        BPF_LD | BPF_LDX => match mode(c) {
            BPF_IND => X_ATOM as i32,
            BPF_MEM => k as i32,
            _ => -1,
        },
        BPF_ST => A_ATOM as i32,
        BPF_STX => X_ATOM as i32,
        BPF_JMP | BPF_ALU => {
            if src(c) == BPF_X {
                AX_ATOM
            } else {
                A_ATOM as i32
            }
        }
        _ => {
            if miscop(c) == BPF_TXA {
                X_ATOM as i32
            } else {
                A_ATOM as i32
            }
        }
    }
}

/// Which atom a statement writes (-1: none).
fn atom_written(code: i32, k: u32) -> i32 {
    if code == NOP {
        return -1;
    }
    let c = code as u16;
    match class(c) {
        BPF_LD | BPF_ALU => A_ATOM as i32,
        BPF_LDX => X_ATOM as i32,
        BPF_ST | BPF_STX => k as i32,
        BPF_MISC => {
            if miscop(c) == BPF_TAX {
                X_ATOM as i32
            } else {
                A_ATOM as i32
            }
        }
        _ => -1,
    }
}

/// A multiply-rotate hasher for the optimizer's small integer keys: the
/// default SipHash cost a quarter of compile time. Keys come from the
/// compiler's own numbering, so no outside input picks collisions.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64);
    }
    fn write_i32(&mut self, v: i32) {
        self.write_u64(v as u32 as u64);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type Map<K, V> = HashMap<K, V, BuildHasherDefault<MixHasher>>;

/// An optimizer failure (a constant division by zero and the like).
pub type OptResult<T> = Result<T, String>;

/// What makes blocks identical: test opcode and operand, successors, and
/// the (opcode, operand) of each statement that is not deleted.
type BlockKey = (i32, u32, Option<BlockId>, Option<BlockId>, Vec<(i32, u32)>);

/// A slot holding a successor: (block, true edge?).
type Slot = (BlockId, bool);

/// The edges into a block, following the in-edge list.
struct InEdges<'a> {
    next: &'a [Option<u32>],
    at: Option<u32>,
}

impl Iterator for InEdges<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        let e = self.at?;
        self.at = self.next[e as usize];
        Some(e)
    }
}

/// The graph being optimized and what the analyses know of it.
struct Optimizer<'a> {
    ir: &'a mut Ir,
    root: BlockId,
    /// No change in the current round.
    done: bool,
    /// A statement (not only a branch) changed in the current round.
    statements_changed: bool,
    n_blocks: usize,
    /// Blocks by optimizer number (`Block::id`).
    blocks: Vec<BlockId>,
    /// Words per block set and per edge set.
    node_words: usize,
    edge_words: usize,
    /// Reachable blocks in the order levels were assigned, then sorted by
    /// level (stable): level `l` is `by_level[level_start[l]..level_start[l + 1]]`.
    found: Vec<BlockId>,
    by_level: Vec<BlockId>,
    level_start: Vec<usize>,
    /// Per block (by number), the set of blocks dominating it.
    dom: Vec<u32>,
    /// Per edge (by number), the set of edges dominating it.
    edge_dom: Vec<u32>,
    /// The in-edge lists, linked through edge numbers.
    next_in_edge: Vec<Option<u32>>,
    /// (opcode, operand value numbers) -> value number.
    value_numbers: Map<(i32, u32, u32), u32>,
    last_value: u32,
    /// Constant value of a value number, if it is a constant.
    constants: Vec<Option<u32>>,
}

impl<'a> Optimizer<'a> {
    // ---- graph helpers --------------------------------------------------

    fn jt(&self, b: BlockId) -> Option<BlockId> {
        self.ir.b(b).jt
    }

    fn jf(&self, b: BlockId) -> Option<BlockId> {
        self.ir.b(b).jf
    }

    fn get(&self, s: Slot) -> Option<BlockId> {
        if s.1 {
            self.jt(s.0)
        } else {
            self.jf(s.0)
        }
    }

    fn set(&mut self, s: Slot, v: Option<BlockId>) {
        if s.1 {
            self.ir.bm(s.0).jt = v
        } else {
            self.ir.bm(s.0).jf = v
        }
    }

    fn id(&self, b: BlockId) -> usize {
        self.ir.b(b).id as usize
    }

    /// Edge `e` as (predecessor, is the true edge).
    fn edge(&self, e: u32) -> Slot {
        let e = e as usize;
        if e < self.n_blocks {
            (self.blocks[e], true)
        } else {
            (self.blocks[e - self.n_blocks], false)
        }
    }

    fn edge_id(&self, s: Slot) -> u32 {
        (self.id(s.0) + if s.1 { 0 } else { self.n_blocks }) as u32
    }

    fn edge_code(&self, s: Slot) -> i32 {
        let b = self.ir.b(s.0);
        if s.1 {
            b.et_code
        } else {
            b.ef_code
        }
    }

    fn dom_has(&self, b: BlockId, member: usize) -> bool {
        let base = self.id(b) * self.node_words;
        self.dom[base + member / 32] & (1 << (member % 32)) != 0
    }

    /// The indexes in `by_level` of a level's blocks, in visiting order
    /// (the last found first). An owned range: loop bodies change the
    /// graph, never the levels of the round.
    fn level(&self, level: usize) -> std::iter::Rev<std::ops::Range<usize>> {
        (self.level_start[level]..self.level_start[level + 1]).rev()
    }

    // ---- set-up ------------------------------------------------------------

    /// How many blocks are reachable from `p` (not counting marked ones).
    fn count_reachable(&mut self, p: Option<BlockId>) -> usize {
        let Some(p) = p else { return 0 };
        if self.ir.is_marked(p) {
            return 0;
        }
        self.ir.mark(p);
        let (jt, jf) = (self.jt(p), self.jf(p));
        self.count_reachable(jt) + self.count_reachable(jf) + 1
    }

    /// Number the blocks reachable from `p` depth-first, true branch first.
    fn number_blocks(&mut self, p: Option<BlockId>) {
        let Some(p) = p else { return };
        if self.ir.is_marked(p) {
            return;
        }
        self.ir.mark(p);
        self.ir.bm(p).id = self.blocks.len() as u32;
        self.blocks.push(p);
        let (jt, jf) = (self.jt(p), self.jf(p));
        self.number_blocks(jt);
        self.number_blocks(jf);
    }

    fn new(ir: &'a mut Ir, root: BlockId) -> Optimizer<'a> {
        let mut o = Optimizer {
            ir,
            root,
            done: false,
            statements_changed: false,
            n_blocks: 0,
            blocks: Vec::new(),
            node_words: 0,
            edge_words: 0,
            found: Vec::new(),
            by_level: Vec::new(),
            level_start: Vec::new(),
            dom: Vec::new(),
            edge_dom: Vec::new(),
            next_in_edge: Vec::new(),
            value_numbers: Map::default(),
            last_value: 0,
            constants: Vec::new(),
        };
        o.ir.unmark_all();
        let n = o.count_reachable(Some(root));
        o.blocks.reserve(n);
        o.ir.unmark_all();
        o.number_blocks(Some(root));
        o.n_blocks = o.blocks.len();
        let n_edges = 2 * o.n_blocks;
        o.edge_words = n_edges / 32 + 1;
        o.node_words = o.n_blocks / 32 + 1;
        o.found.reserve(o.n_blocks);
        o.by_level.reserve(o.n_blocks);
        o.level_start.reserve(o.n_blocks + 2);
        o.constants.reserve(8 * o.n_blocks);
        o.value_numbers.reserve(8 * o.n_blocks);
        o.dom = vec![0; o.n_blocks * o.node_words];
        o.edge_dom = vec![0; n_edges * o.edge_words];
        o.next_in_edge = vec![None; n_edges];
        o
    }

    // ---- graph analyses ------------------------------------------------------

    /// Give `b` and what it reaches their levels: 0 for a `ret`, else one
    /// more than the higher of its successors'.
    fn assign_levels_from(&mut self, b: BlockId) {
        if self.ir.is_marked(b) {
            return;
        }
        self.ir.mark(b);
        let level = match (self.jt(b), self.jf(b)) {
            (Some(t), Some(f)) => {
                self.assign_levels_from(t);
                self.assign_levels_from(f);
                self.ir.b(t).level.max(self.ir.b(f).level) + 1
            }
            _ => 0,
        };
        self.ir.bm(b).level = level;
        self.found.push(b);
    }

    /// Levels of every reachable block, and the lists to visit them by.
    fn assign_levels(&mut self) {
        self.found.clear();
        self.ir.unmark_all();
        let root = self.root;
        self.assign_levels_from(root);
        // Counting sort by level, keeping the finding order in each.
        let levels = self.root_level() + 1;
        self.level_start.clear();
        self.level_start.resize(levels + 1, 0);
        for &b in &self.found {
            self.level_start[self.ir.b(b).level as usize + 1] += 1;
        }
        for l in 0..levels {
            self.level_start[l + 1] += self.level_start[l];
        }
        self.by_level.clear();
        self.by_level.resize(self.found.len(), 0);
        let mut next = std::mem::take(&mut self.found);
        for &b in &next {
            let l = self.ir.b(b).level as usize;
            // level_start[l] counts up to its end; put back below.
            self.by_level[self.level_start[l]] = b;
            self.level_start[l] += 1;
        }
        for l in (1..=levels).rev() {
            self.level_start[l] = self.level_start[l - 1];
        }
        self.level_start[0] = 0;
        next.clear();
        self.found = next;
    }

    fn root_level(&self) -> usize {
        self.ir.b(self.root).level as usize
    }

    /// Block dominators: a block's set is itself plus what dominates all
    /// of its predecessors (visiting from the root down sees every
    /// predecessor first).
    fn compute_dominators(&mut self) {
        let nw = self.node_words;
        self.dom.iter_mut().for_each(|x| *x = 0xffff_ffff);
        let r = self.id(self.root) * nw;
        self.dom[r..r + nw].iter_mut().for_each(|x| *x = 0);
        for level in (0..=self.root_level()).rev() {
            for at in self.level(level) {
                let b = self.by_level[at];
                let id = self.id(b);
                self.dom[id * nw + id / 32] |= 1 << (id % 32);
                if let (Some(t), Some(f)) = (self.jt(b), self.jf(b)) {
                    for c in [t, f] {
                        let cid = self.id(c);
                        for w in 0..nw {
                            self.dom[cid * nw + w] &= self.dom[id * nw + w];
                        }
                    }
                }
            }
        }
    }

    /// Edge `e` dominates itself and narrows the sets of the two edges
    /// leaving its target.
    fn propagate_edge_dominators(&mut self, e: Slot) {
        let ew = self.edge_words;
        let eid = self.edge_id(e) as usize;
        self.edge_dom[eid * ew + eid / 32] |= 1 << (eid % 32);
        if let Some(succ) = self.get(e) {
            for out in [(succ, true), (succ, false)] {
                let oid = self.edge_id(out) as usize;
                for w in 0..ew {
                    self.edge_dom[oid * ew + w] &= self.edge_dom[eid * ew + w];
                }
            }
        }
    }

    /// Edge dominators, from the root's two edges down.
    fn compute_edge_dominators(&mut self) {
        let ew = self.edge_words;
        self.edge_dom.iter_mut().for_each(|x| *x = 0xffff_ffff);
        for e in [(self.root, true), (self.root, false)] {
            let id = self.edge_id(e) as usize;
            self.edge_dom[id * ew..id * ew + ew].iter_mut().for_each(|x| *x = 0);
        }
        for level in (0..=self.root_level()).rev() {
            for at in self.level(level) {
                let b = self.by_level[at];
                self.propagate_edge_dominators((b, true));
                self.propagate_edge_dominators((b, false));
            }
        }
    }

    /// What block `b` reads before writing it (`in_use`), writes (`def`) and
    /// writes before any read (`kill`).
    fn block_liveness(&mut self, b: BlockId) {
        let (mut def, mut used, mut killed) = (0u32, 0u32, 0u32);
        let note_use = |atom: i32, def: u32, used: &mut u32| {
            if atom == AX_ATOM {
                if def & atom_mask(X_ATOM) == 0 {
                    *used |= atom_mask(X_ATOM);
                }
                if def & atom_mask(A_ATOM) == 0 {
                    *used |= atom_mask(A_ATOM);
                }
            } else if atom >= 0 && (atom as usize) < N_ATOMS && def & atom_mask(atom as usize) == 0 {
                *used |= atom_mask(atom as usize);
            }
        };
        let mut s = self.ir.b(b).stmts;
        while let Some(x) = s {
            let st = *self.ir.s(x);
            s = st.next;
            if st.code == NOP {
                continue;
            }
            note_use(atom_read(st.code, st.k), def, &mut used);
            let atom = atom_written(st.code, st.k);
            if atom >= 0 {
                let m = atom_mask(atom as usize);
                if used & m == 0 {
                    killed |= m;
                }
                def |= m;
            }
        }
        let blk = self.ir.b(b);
        if class(blk.code as u16) == BPF_JMP {
            note_use(atom_read(blk.code, blk.k), def, &mut used);
        }
        let blk = self.ir.bm(b);
        blk.def = def;
        blk.kill = killed;
        blk.in_use = used;
    }

    /// Liveness over the graph: a block's `out_use` is what its successors
    /// read; what it reads then includes what flows through it unkilled.
    fn compute_liveness(&mut self) {
        let maxlevel = self.root_level();
        for i in (0..=maxlevel).rev() {
            for at in self.level(i) {
                let p = self.by_level[at];
                self.block_liveness(p);
                self.ir.bm(p).out_use = 0;
            }
        }
        for i in 1..=maxlevel {
            for at in self.level(i) {
                let p = self.by_level[at];
                let (t, f) = (self.jt(p).expect("inner block"), self.jf(p).expect("inner block"));
                let out = self.ir.b(t).in_use | self.ir.b(f).in_use;
                let blk = self.ir.bm(p);
                blk.out_use |= out;
                blk.in_use |= blk.out_use & !blk.kill;
            }
        }
    }

    /// The list of edges into every block, rebuilt from the current graph.
    fn collect_in_edges(&mut self) {
        for &b in &self.blocks {
            self.ir.bm(b).in_edges = None;
        }
        for level in (1..=self.root_level()).rev() {
            for at in self.level(level) {
                let b = self.by_level[at];
                for e in [(b, true), (b, false)] {
                    let child = self.get(e).expect("inner block");
                    let eid = self.edge_id(e);
                    self.next_in_edge[eid as usize] = self.ir.b(child).in_edges;
                    self.ir.bm(child).in_edges = Some(eid);
                }
            }
        }
    }

    /// The edges into `b` (as last collected), without allocating: the
    /// list lives in `next_in_edge`, which only `collect_in_edges` changes.
    fn in_edges(&self, b: BlockId) -> InEdges<'_> {
        InEdges { next: &self.next_in_edge, at: self.ir.b(b).in_edges }
    }

    // ---- value numbering ----------------------------------------------------

    /// Forget all value numbers (0 stands for "unknown").
    fn reset_value_numbers(&mut self) {
        self.last_value = 0;
        self.value_numbers.clear();
        self.constants.clear();
        self.constants.push(None);
    }

    /// The value number of `code(v0, v1)`.
    fn value_of(&mut self, code: i32, v0: u32, v1: u32) -> u32 {
        if let Some(&v) = self.value_numbers.get(&(code, v0, v1)) {
            return v;
        }
        self.last_value += 1;
        let val = self.last_value;
        let c = code as u16;
        let is_const = mode(c) == BPF_IMM && (class(c) == BPF_LD || class(c) == BPF_LDX);
        self.constants.push(is_const.then_some(v0));
        self.value_numbers.insert((code, v0, v1), val);
        val
    }

    /// The value number of the constant `i`.
    fn const_value(&mut self, i: u32) -> u32 {
        self.value_of((BPF_LD | BPF_IMM | BPF_W) as i32, i, 0)
    }

    /// The constant a value number stands for, if it is one.
    fn const_of(&self, v: u32) -> Option<u32> {
        self.constants.get(v as usize).copied().flatten()
    }

    /// Note that a statement changed: another round is needed, and the
    /// branch-only cycle count restarts.
    fn changed(&mut self) {
        self.statements_changed = true;
        self.done = false;
    }

    /// Store `newval` into `*valp`, or delete `s` when it would not change it.
    fn store_value(&mut self, s: StmtId, valp: &mut u32, newval: u32, alter: bool) {
        if alter && newval != 0 && *valp == newval {
            self.ir.sm(s).code = NOP;
        } else {
            *valp = newval;
        }
    }

    fn fold_constant_op(&mut self, s: StmtId, v0: u32, v1: u32) -> OptResult<()> {
        let a = self.const_of(v0).unwrap_or(0);
        let b = self.const_of(v1).unwrap_or(0);
        let r = match op(self.ir.s(s).code as u16) {
            BPF_ADD => a.wrapping_add(b),
            BPF_SUB => a.wrapping_sub(b),
            BPF_MUL => a.wrapping_mul(b),
            BPF_DIV => a.checked_div(b).ok_or("division by zero")?,
            BPF_MOD => a.checked_rem(b).ok_or("modulus by zero")?,
            BPF_AND => a & b,
            BPF_OR => a | b,
            BPF_XOR => a ^ b,
            BPF_LSH => a.checked_shl(b).unwrap_or(0),
            _ => a.checked_shr(b).unwrap_or(0),
        };
        let st = self.ir.sm(s);
        st.k = r;
        st.code = (BPF_LD | BPF_IMM) as i32;
        self.changed();
        Ok(())
    }

    /// Symbolically execute `s`, updating `val`; with `alter`, simplify it.
    fn simulate_stmt(&mut self, s: StmtId, val: &mut [u32; N_ATOMS], alter: bool) -> OptResult<()> {
        let st = *self.ir.s(s);
        let code = st.code;
        if code == NOP {
            return Ok(());
        }
        let c = code as u16;
        let (a, x) = (A_ATOM, X_ATOM);
        match c {
            _ if c == BPF_LD | BPF_ABS | BPF_W || c == BPF_LD | BPF_ABS | BPF_H || c == BPF_LD | BPF_ABS | BPF_B => {
                let v = self.value_of(code, st.k, 0);
                self.store_value(s, &mut val[a], v, alter);
            }
            _ if c == BPF_LD | BPF_IND | BPF_W || c == BPF_LD | BPF_IND | BPF_H || c == BPF_LD | BPF_IND | BPF_B => {
                let xv = val[x];
                let v = match self.const_of(xv) {
                    Some(xc) if alter => {
                        let nc = BPF_LD | BPF_ABS | size(c);
                        let nk = st.k.wrapping_add(xc);
                        let stm = self.ir.sm(s);
                        stm.code = nc as i32;
                        stm.k = nk;
                        self.changed();
                        self.value_of(nc as i32, nk, 0)
                    }
                    _ => self.value_of(code, st.k, xv),
                };
                self.store_value(s, &mut val[a], v, alter);
            }
            _ if c == BPF_LD | BPF_LEN => {
                let v = self.value_of(code, 0, 0);
                self.store_value(s, &mut val[a], v, alter);
            }
            _ if c == BPF_LD | BPF_IMM => {
                let v = self.const_value(st.k);
                self.store_value(s, &mut val[a], v, alter);
            }
            _ if c == BPF_LDX | BPF_IMM => {
                let v = self.const_value(st.k);
                self.store_value(s, &mut val[x], v, alter);
            }
            _ if c == BPF_LDX | BPF_MSH | BPF_B => {
                let v = self.value_of(code, st.k, 0);
                self.store_value(s, &mut val[x], v, alter);
            }
            _ if c == BPF_ALU | BPF_NEG => {
                match self.const_of(val[a]) {
                    Some(av) if alter => {
                        let k = 0u32.wrapping_sub(av);
                        let stm = self.ir.sm(s);
                        stm.code = (BPF_LD | BPF_IMM) as i32;
                        stm.k = k;
                        val[a] = self.const_value(k);
                    }
                    _ => val[a] = self.value_of(code, val[a], 0),
                }
            }
            _ if class(c) == BPF_ALU && src(c) == BPF_K && op(c) != BPF_NEG && op(c) <= BPF_XOR => {
                let o = op(c);
                if alter {
                    if st.k == 0 {
                        if matches!(o, BPF_ADD | BPF_LSH | BPF_RSH | BPF_OR | BPF_XOR) {
                            self.ir.sm(s).code = NOP;
                            return Ok(());
                        }
                        if o == BPF_MUL || o == BPF_AND {
                            self.ir.sm(s).code = (BPF_LD | BPF_IMM) as i32;
                            val[a] = self.const_value(st.k);
                            return Ok(());
                        }
                        if o == BPF_DIV {
                            return Err("division by zero".into());
                        }
                        if o == BPF_MOD {
                            return Err("modulus by zero".into());
                        }
                    }
                    if self.const_of(val[a]).is_some() {
                        let kv = self.const_value(st.k);
                        self.fold_constant_op(s, val[a], kv)?;
                        let nk = self.ir.s(s).k;
                        val[a] = self.const_value(nk);
                        return Ok(());
                    }
                }
                let kv = self.const_value(st.k);
                val[a] = self.value_of(code, val[a], kv);
            }
            _ if class(c) == BPF_ALU && src(c) == BPF_X && op(c) != BPF_NEG && op(c) <= BPF_XOR => {
                let o = op(c);
                if alter {
                    if let Some(xc) = self.const_of(val[x]) {
                        if self.const_of(val[a]).is_some() {
                            self.fold_constant_op(s, val[a], val[x])?;
                            let nk = self.ir.s(s).k;
                            val[a] = self.const_value(nk);
                        } else {
                            let nc = BPF_ALU | BPF_K | o;
                            let stm = self.ir.sm(s);
                            stm.code = nc as i32;
                            stm.k = xc;
                            if (o == BPF_LSH || o == BPF_RSH) && xc > 31 {
                                return Err("shift by more than 31 bits".into());
                            }
                            self.changed();
                            let kv = self.const_value(xc);
                            val[a] = self.value_of(nc as i32, val[a], kv);
                        }
                        return Ok(());
                    }
                    if self.const_of(val[a]) == Some(0) {
                        if matches!(o, BPF_ADD | BPF_OR | BPF_XOR) {
                            self.ir.sm(s).code = (BPF_MISC | BPF_TXA) as i32;
                            let xv = val[x];
                            self.store_value(s, &mut val[a], xv, alter);
                            return Ok(());
                        } else if matches!(o, BPF_MUL | BPF_DIV | BPF_MOD | BPF_AND | BPF_LSH | BPF_RSH) {
                            let stm = self.ir.sm(s);
                            stm.code = (BPF_LD | BPF_IMM) as i32;
                            stm.k = 0;
                            let kv = self.const_value(0);
                            self.store_value(s, &mut val[a], kv, alter);
                            return Ok(());
                        }
                    }
                }
                val[a] = self.value_of(code, val[a], val[x]);
            }
            _ if c == BPF_MISC | BPF_TXA => {
                let xv = val[x];
                self.store_value(s, &mut val[a], xv, alter);
            }
            _ if c == BPF_LD | BPF_MEM || c == BPF_LDX | BPF_MEM => {
                let dst = if c == BPF_LD | BPF_MEM { a } else { x };
                let v = val[st.k as usize % N_ATOMS];
                if alter {
                    if let Some(kc) = self.const_of(v) {
                        let stm = self.ir.sm(s);
                        stm.code = (if dst == a { BPF_LD | BPF_IMM } else { BPF_LDX | BPF_IMM }) as i32;
                        stm.k = kc;
                        self.changed();
                    }
                }
                self.store_value(s, &mut val[dst], v, alter);
            }
            _ if c == BPF_MISC | BPF_TAX => {
                let av = val[a];
                self.store_value(s, &mut val[x], av, alter);
            }
            _ if c == BPF_ST || c == BPF_STX => {
                let from = if c == BPF_ST { val[a] } else { val[x] };
                let mut slot = val[st.k as usize % N_ATOMS];
                self.store_value(s, &mut slot, from, alter);
                val[st.k as usize % N_ATOMS] = slot;
            }
            _ => {}
        }
        Ok(())
    }

    // ---- per-block rewrites ----------------------------------------------------

    /// `s` or the first statement after it that is not deleted.
    fn next_live_stmt(&self, mut s: Option<StmtId>) -> Option<StmtId> {
        while let Some(x) = s {
            if self.ir.s(x).code != NOP {
                return Some(x);
            }
            s = self.ir.s(x).next;
        }
        None
    }

    /// Rewrite short statement patterns in `b`, then simplify its test with
    /// what the simulation knows of A and X.
    fn peephole(&mut self, b: BlockId) {
        let Some(first) = self.ir.b(b).stmts else { return };
        let mut last = first;
        let mut s = Some(first);
        while let Some(cur) = self.next_live_stmt(s) {
            let Some(next) = self.next_live_stmt(self.ir.s(cur).next) else { break };
            last = next;
            s = Some(next);
            let (sc, sk) = (self.ir.s(cur).code, self.ir.s(cur).k);
            let nc = self.ir.s(next).code;
            // st M[k]; ldx M[k]  ->  st M[k]; tax
            if sc == BPF_ST as i32 && nc == (BPF_LDX | BPF_MEM) as i32 && sk == self.ir.s(next).k {
                self.changed();
                self.ir.sm(next).code = (BPF_MISC | BPF_TAX) as i32;
            }
            // ld #k; tax  ->  ldx #k; txa
            if sc == (BPF_LD | BPF_IMM) as i32 && self.ir.s(next).code == (BPF_MISC | BPF_TAX) as i32 {
                self.ir.sm(cur).code = (BPF_LDX | BPF_IMM) as i32;
                self.ir.sm(next).code = (BPF_MISC | BPF_TXA) as i32;
                self.changed();
            }
            // ld #k; [ldxms]; addx; tax; ild [x+j]  ->  [ldxms]; ild [x+j+k]
            if self.ir.s(cur).code == (BPF_LD | BPF_IMM) as i32 {
                if self.ir.b(b).out_use & atom_mask(X_ATOM) != 0 {
                    continue;
                }
                let add = if self.ir.s(next).code != (BPF_LDX | BPF_MSH | BPF_B) as i32 {
                    Some(next)
                } else {
                    self.next_live_stmt(self.ir.s(next).next)
                };
                let Some(add) = add.filter(|&a| self.ir.s(a).code == (BPF_ALU | BPF_ADD | BPF_X) as i32) else {
                    continue;
                };
                let Some(tax) =
                    self.next_live_stmt(self.ir.s(add).next).filter(|&t| self.ir.s(t).code == (BPF_MISC | BPF_TAX) as i32)
                else {
                    continue;
                };
                let Some(ild) = self.next_live_stmt(self.ir.s(tax).next).filter(|&l| {
                    let c = self.ir.s(l).code as u16;
                    class(c) == BPF_LD && mode(c) == BPF_IND
                }) else {
                    continue;
                };
                let k = self.ir.s(cur).k;
                let il = self.ir.sm(ild);
                il.k = il.k.wrapping_add(k);
                self.ir.sm(cur).code = NOP;
                self.ir.sm(add).code = NOP;
                self.ir.sm(tax).code = NOP;
                self.changed();
            }
        }
        let blk = self.ir.b(b).clone();
        let a_out = blk.out_use & atom_mask(A_ATOM) != 0;
        if blk.code == (BPF_JMP | BPF_JEQ | BPF_K) as i32 && !a_out {
            let lc = self.ir.s(last).code;
            if lc == (BPF_ALU | BPF_SUB | BPF_X) as i32 {
                let xv = blk.val[X_ATOM];
                if let Some(xc) = self.const_of(xv) {
                    // sub x; jeq #y  ->  jeq #(x+y)
                    self.ir.bm(b).k = blk.k.wrapping_add(xc);
                    self.ir.sm(last).code = NOP;
                    self.changed();
                } else if blk.k == 0 {
                    // sub x; jeq #0  ->  jeq x
                    self.ir.sm(last).code = NOP;
                    self.ir.bm(b).code = (BPF_JMP | BPF_JEQ | BPF_X) as i32;
                    self.changed();
                }
            } else if lc == (BPF_ALU | BPF_SUB | BPF_K) as i32 {
                let lk = self.ir.s(last).k;
                self.ir.sm(last).code = NOP;
                self.ir.bm(b).k = blk.k.wrapping_add(lk);
                self.changed();
            } else if lc == (BPF_ALU | BPF_AND | BPF_K) as i32 && blk.k == 0 {
                // and #k; jeq #0  ->  jset #k (inverted)
                let lk = self.ir.s(last).k;
                let bm = self.ir.bm(b);
                bm.k = lk;
                bm.code = (BPF_JMP | BPF_K | BPF_JSET) as i32;
                self.ir.sm(last).code = NOP;
                self.changed();
                let bm = self.ir.bm(b);
                std::mem::swap(&mut bm.jt, &mut bm.jf);
            }
        }
        let blk = self.ir.b(b).clone();
        if blk.code == (BPF_JMP | BPF_K | BPF_JSET) as i32 {
            if blk.k == 0 {
                self.ir.bm(b).jt = blk.jf;
            }
            if blk.k == 0xffff_ffff {
                self.ir.bm(b).jf = self.ir.b(b).jt;
            }
        }
        // Comparing with a constant X: compare with the constant.
        let blk = self.ir.b(b).clone();
        if let Some(xc) = self.const_of(blk.val[X_ATOM]) {
            if src(blk.code as u16) == BPF_X {
                let bm = self.ir.bm(b);
                bm.code &= !(BPF_X as i32);
                bm.k = xc;
            }
        }
        // A known: the branch is decided.
        let blk = self.ir.b(b).clone();
        if let Some(mut v) = self.const_of(blk.val[A_ATOM]) {
            if src(blk.code as u16) == BPF_K {
                v = match op(blk.code as u16) {
                    BPF_JEQ => (v == blk.k) as u32,
                    BPF_JGT => (v > blk.k) as u32,
                    BPF_JGE => (v >= blk.k) as u32,
                    _ => v & blk.k,
                };
                if blk.jf != blk.jt {
                    self.changed();
                }
                if v != 0 {
                    self.ir.bm(b).jf = blk.jt;
                } else {
                    self.ir.bm(b).jt = blk.jf;
                }
            }
        }
    }

    /// Delete statements in `b` whose result is overwritten before any
    /// read, or not read at all after the block.
    fn remove_dead_stores(&mut self, b: BlockId) {
        let mut last: [Option<StmtId>; N_ATOMS] = [None; N_ATOMS];
        let dead = |o: &mut Optimizer, code: i32, k: u32, s: Option<StmtId>, last: &mut [Option<StmtId>; N_ATOMS]| {
            let atom = atom_read(code, k);
            if atom >= 0 {
                if atom == AX_ATOM {
                    last[X_ATOM] = None;
                    last[A_ATOM] = None;
                } else if (atom as usize) < N_ATOMS {
                    last[atom as usize] = None;
                }
            }
            let atom = atom_written(code, k);
            if atom >= 0 && (atom as usize) < N_ATOMS {
                if let Some(prev) = last[atom as usize] {
                    o.changed();
                    o.ir.sm(prev).code = NOP;
                }
                last[atom as usize] = s;
            }
        };
        let mut s = self.ir.b(b).stmts;
        while let Some(x) = s {
            let st = *self.ir.s(x);
            dead(self, st.code, st.k, Some(x), &mut last);
            s = st.next;
        }
        let (bc, bk) = (self.ir.b(b).code, self.ir.b(b).k);
        dead(self, bc, bk, None, &mut last);
        let out_use = self.ir.b(b).out_use;
        for (atom, l) in last.iter().enumerate() {
            if let Some(st) = *l {
                if out_use & atom_mask(atom) == 0 {
                    self.ir.sm(st).code = NOP;
                    self.changed();
                }
            }
        }
    }

    /// Simulate block `b` from what its predecessors agree on; with
    /// `do_stmts`, rewrite its statements too.
    fn simulate_block(&mut self, b: BlockId, do_stmts: bool) -> OptResult<()> {
        let mut edges = self.in_edges(b);
        let mut val = match edges.next() {
            None => [0u32; N_ATOMS],
            Some(e) => {
                let mut v = self.ir.b(self.edge(e).0).val;
                for e in edges {
                    let pv = self.ir.b(self.edge(e).0).val;
                    for i in 0..N_ATOMS {
                        if v[i] != pv[i] {
                            v[i] = 0;
                        }
                    }
                }
                v
            }
        };
        let (aval, xval) = (val[A_ATOM], val[X_ATOM]);
        let mut s = self.ir.b(b).stmts;
        while let Some(x) = s {
            self.simulate_stmt(x, &mut val, do_stmts)?;
            s = self.ir.s(x).next;
        }
        self.ir.bm(b).val = val;
        let blk = self.ir.b(b);
        let unchanged = blk.out_use == 0 && aval != 0 && val[A_ATOM] == aval && xval != 0 && val[X_ATOM] == xval;
        if do_stmts && (unchanged || class(blk.code as u16) == BPF_RET) {
            if blk.stmts.is_some() {
                self.ir.bm(b).stmts = None;
                self.changed();
            }
        } else {
            self.peephole(b);
            self.remove_dead_stores(b);
        }
        let (code, k) = (self.ir.b(b).code, self.ir.b(b).k);
        let oval = if src(code as u16) == BPF_K { self.const_value(k) } else { self.ir.b(b).val[X_ATOM] };
        let bm = self.ir.bm(b);
        bm.oval = oval;
        bm.et_code = code;
        bm.ef_code = -code;
        Ok(())
    }

    // ---- branch movement ------------------------------------------------------

    /// Whether jumping from `b` straight to `succ` would change a value
    /// `succ`'s successors read.
    fn differs_where_used(&self, b: BlockId, succ: BlockId) -> bool {
        let use_ = self.ir.b(succ).out_use;
        if use_ == 0 {
            return false;
        }
        (0..N_ATOMS).any(|atom| use_ & atom_mask(atom) != 0 && self.ir.b(b).val[atom] != self.ir.b(succ).val[atom])
    }

    /// A child of `child` that edge `ep` (which dominates the edge into
    /// `child`) decides, if any.
    fn decided_successor(&self, child: BlockId, ep: Slot) -> Option<BlockId> {
        let mut code = self.edge_code(ep);
        let sense = code >= 0;
        if !sense {
            code = -code;
        }
        let c = self.ir.b(child);
        if c.code != code {
            return None;
        }
        let pred = self.ir.b(ep.0);
        if c.val[A_ATOM] != pred.val[A_ATOM] {
            return None;
        }
        if c.oval == pred.oval {
            return if sense { c.jt } else { c.jf };
        }
        if sense && code == (BPF_JMP | BPF_JEQ | BPF_K) as i32 {
            return c.jf;
        }
        None
    }

    /// Jump threading on edge `ep`: past a block whose two branches agree,
    /// and past any block a dominating edge has already decided.
    fn thread_jump(&mut self, ep: Slot) {
        let succ = self.get(ep).expect("inner block edge");
        let Some(sjt) = self.jt(succ) else { return };
        if Some(sjt) == self.jf(succ) && !self.differs_where_used(ep.0, sjt) {
            self.changed();
            self.set(ep, Some(sjt));
        }
        let eid = self.edge_id(ep) as usize;
        'top: loop {
            for i in 0..self.edge_words {
                let mut x = self.edge_dom[eid * self.edge_words + i];
                while x != 0 {
                    let k = x.trailing_zeros();
                    x &= !(1 << k);
                    let k = k + 32 * i as u32;
                    let cur = self.get(ep).expect("inner block edge");
                    let target = self.decided_successor(cur, self.edge(k));
                    if let Some(t) = target {
                        if !self.differs_where_used(ep.0, t) {
                            self.done = false;
                            self.set(ep, Some(t));
                            if self.jt(t).is_some() {
                                continue 'top;
                            }
                            return;
                        }
                    }
                }
            }
            return;
        }
    }

    /// Test hoisting into block `b` along a chain of tests that share their
    /// true target (`and` = false: an "or" chain) or their false target
    /// (`and` = true): a test in the chain on the value of A that `b`'s
    /// predecessors test moves up to where that value is first tested.
    fn hoist_repeated_test(&mut self, b: BlockId, and: bool) {
        let mut edges = self.in_edges(b);
        let Some(first) = edges.next() else { return };
        let val = self.ir.b(self.edge(first).0).val[A_ATOM];
        if edges.any(|e| self.ir.b(self.edge(e).0).val[A_ATOM] != val) {
            return;
        }
        // The branch shared by the chain, and the one the chain walks down.
        let shared = |o: &Optimizer, x: BlockId| if and { o.jf(x) } else { o.jt(x) };
        let walk = !and;
        let pred = self.edge(first).0;
        let mut differing: Slot = if self.jt(pred) == Some(b) { (pred, true) } else { (pred, false) };
        let bid = self.id(b);
        let mut at_top = true;
        loop {
            let Some(d) = self.get(differing) else { return };
            if shared(self, d) != shared(self, b) || !self.dom_has(d, bid) {
                return;
            }
            if self.ir.b(d).val[A_ATOM] != val {
                break;
            }
            differing = (d, !walk);
            at_top = false;
        }
        let d = self.get(differing).expect("checked above");
        let mut repeating: Slot = (d, !walk);
        loop {
            let Some(sm) = self.get(repeating) else { return };
            if shared(self, sm) != shared(self, b) || !self.dom_has(sm, bid) {
                return;
            }
            if self.ir.b(sm).val[A_ATOM] == val {
                break;
            }
            repeating = (sm, !walk);
        }
        let pull = self.get(repeating).expect("checked above");
        let pull_next = self.get((pull, !walk));
        self.set(repeating, pull_next);
        let dv = self.get(differing);
        self.set((pull, !walk), dv);
        if at_top {
            let mut edges = self.ir.b(b).in_edges;
            while let Some(e) = edges {
                edges = self.next_in_edge[e as usize];
                let p = self.edge(e).0;
                if self.jt(p) == Some(b) {
                    self.ir.bm(p).jt = Some(pull);
                } else {
                    self.ir.bm(p).jf = Some(pull);
                }
            }
        } else {
            self.set(differing, Some(pull));
        }
        self.done = false;
    }

    /// One round: simulate every block, then (when statements are left
    /// alone) thread jumps and hoist repeated tests.
    fn optimize_pass(&mut self, do_stmts: bool) -> OptResult<()> {
        self.reset_value_numbers();
        let maxlevel = self.root_level();
        self.collect_in_edges();
        for i in (0..=maxlevel).rev() {
            for at in self.level(i) {
                let p = self.by_level[at];
                self.simulate_block(p, do_stmts)?;
            }
        }
        if do_stmts {
            return Ok(());
        }
        for i in 1..=maxlevel {
            for at in self.level(i) {
                let p = self.by_level[at];
                self.thread_jump((p, true));
                self.thread_jump((p, false));
            }
        }
        self.collect_in_edges();
        for i in 1..=maxlevel {
            for at in self.level(i) {
                let p = self.by_level[at];
                self.hoist_repeated_test(p, false);
                self.hoist_repeated_test(p, true);
            }
        }
        Ok(())
    }

    /// Rounds until nothing changes (or only branches move, 100 times).
    fn optimize_until_stable(&mut self, do_stmts: bool) -> OptResult<()> {
        let mut loop_count = 0;
        loop {
            self.done = true;
            self.statements_changed = false;
            self.assign_levels();
            self.compute_dominators();
            self.compute_liveness();
            self.compute_edge_dominators();
            self.optimize_pass(do_stmts)?;
            if self.done {
                return Ok(());
            }
            if self.statements_changed {
                loop_count = 0;
            } else {
                loop_count += 1;
                if loop_count >= 100 {
                    // Only branches move, in a cycle; stop there as libpcap does.
                    self.done = true;
                    return Ok(());
                }
            }
        }
    }

    // ---- final clean-up ----------------------------------------------------------

    /// Mark what is reachable from `p`.
    fn mark_reachable(&mut self, p: BlockId) {
        if self.ir.is_marked(p) {
            return;
        }
        self.ir.mark(p);
        if class(self.ir.b(p).code as u16) != BPF_RET {
            let (t, f) = (self.jt(p).expect("inner block"), self.jf(p).expect("inner block"));
            self.mark_reachable(t);
            self.mark_reachable(f);
        }
    }

    /// What makes two blocks interchangeable: the same test, the same
    /// successors and the same statements (no-ops aside).
    fn block_key(&self, b: BlockId) -> BlockKey {
        let blk = self.ir.b(b);
        let mut stmts = Vec::new();
        let mut s = self.next_live_stmt(blk.stmts);
        while let Some(x) = s {
            let st = self.ir.s(x);
            stmts.push((st.code, st.k));
            s = self.next_live_stmt(st.next);
        }
        (blk.code, blk.k, blk.jt, blk.jf, stmts)
    }

    /// Merge identical blocks: every reachable block is replaced by the
    /// last-numbered block identical to it, until no edge changes.
    fn merge_identical_blocks(&mut self) {
        let mut last = Map::default();
        loop {
            let mut done = true;
            for &b in &self.blocks {
                self.ir.bm(b).link = None;
            }
            self.ir.unmark_all();
            let root = self.root;
            self.mark_reachable(root);
            last.clear();
            for &b in &self.blocks {
                if self.ir.is_marked(b) {
                    // Blocks are visited in number order: the last one wins.
                    last.insert(self.block_key(b), b);
                }
            }
            for &b in &self.blocks {
                if self.ir.is_marked(b) {
                    let rep = last[&self.block_key(b)];
                    if rep != b {
                        self.ir.bm(b).link = Some(rep);
                    }
                }
            }
            for i in 0..self.n_blocks {
                let p = self.blocks[i];
                let Some(t) = self.jt(p) else { continue };
                if let Some(l) = self.ir.b(t).link {
                    done = false;
                    self.ir.bm(p).jt = Some(l);
                }
                let f = self.jf(p).expect("inner block");
                if let Some(l) = self.ir.b(f).link {
                    done = false;
                    self.ir.bm(p).jf = Some(l);
                }
            }
            if done {
                return;
            }
        }
    }
}

/// Optimize the program rooted at `root`; returns the (possibly new) root.
pub fn optimize(ir: &mut Ir, root: BlockId) -> OptResult<BlockId> {
    let mut o = Optimizer::new(ir, root);
    o.optimize_until_stable(false)?;
    o.optimize_until_stable(true)?;
    o.merge_identical_blocks();
    // Skip root blocks whose branch goes to one place, keeping their statements.
    let ir = o.ir;
    let mut b = root;
    let s = ir.bm(b).stmts.take();
    while class(ir.b(b).code as u16) == BPF_JMP && ir.b(b).jt == ir.b(b).jf {
        b = ir.b(b).jt.expect("inner block");
    }
    let tmp = ir.b(b).stmts;
    let merged = match (s, tmp) {
        (Some(s), Some(t)) => {
            ir.sappend(s, t);
            Some(s)
        }
        (Some(s), None) => Some(s),
        (None, t) => t,
    };
    ir.bm(b).stmts = merged;
    if class(ir.b(b).code as u16) == BPF_RET {
        ir.bm(b).stmts = None;
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::ir::jmp;
    use crate::filter::{compile, CompileOptions};

    fn compiled(e: &str, optimize: bool) -> Vec<Insn> {
        let o = CompileOptions { linktype: 1, snaplen: 65535, optimize, netmask: 0, linux_vlan_ancillary: false };
        compile(e, &o).unwrap()
    }

    #[test]
    fn identical_returns_merge_into_the_last_numbered() {
        // root: jeq #1 ? (x: jeq #2 ? r1 : r2) : r3, with r1 and r3 both
        // `ret #1`. Depth-first, true first: root 0, x 1, r1 2, r2 3, r3 4.
        let mut ir = Ir::default();
        let root = ir.byte_test(0, 1);
        let x = ir.byte_test(1, 2);
        let r1 = ir.new_block((BPF_RET | BPF_K) as i32, 1);
        let r2 = ir.new_block((BPF_RET | BPF_K) as i32, 0);
        let r3 = ir.new_block((BPF_RET | BPF_K) as i32, 1);
        (ir.bm(root).jt, ir.bm(root).jf) = (Some(x), Some(r3));
        (ir.bm(x).jt, ir.bm(x).jf) = (Some(r1), Some(r2));
        let new_root = optimize(&mut ir, root).unwrap();
        assert_eq!(new_root, root);
        assert_eq!((ir.b(x).jt, ir.b(x).jf), (Some(r3), Some(r2)));
        assert_eq!(ir.b(root).jf, Some(r3));
    }

    #[test]
    fn merged_blocks_make_their_predecessors_identical() {
        // Two tests of byte 1 with the same (merged) successors become one.
        let mut ir = Ir::default();
        let root = ir.byte_test(0, 1);
        let mut tests = Vec::new();
        for _ in 0..2 {
            let t = ir.byte_test(1, 2);
            let yes = ir.new_block((BPF_RET | BPF_K) as i32, 7);
            let no = ir.new_block((BPF_RET | BPF_K) as i32, 0);
            (ir.bm(t).jt, ir.bm(t).jf) = (Some(yes), Some(no));
            tests.push(t);
        }
        (ir.bm(root).jt, ir.bm(root).jf) = (Some(tests[0]), Some(tests[1]));
        let root = optimize(&mut ir, root).unwrap();
        // The root's test decides nothing any more: skipped, its load kept.
        let p = crate::filter::emit::to_program(&mut ir, root).unwrap();
        assert_eq!(
            p,
            [
                Insn::stmt(BPF_LD | BPF_B | BPF_ABS, 0),
                Insn::stmt(BPF_LD | BPF_B | BPF_ABS, 1),
                Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
                Insn::stmt(BPF_RET | BPF_K, 7),
                Insn::stmt(BPF_RET | BPF_K, 0),
            ]
        );
    }

    #[test]
    fn a_repeated_test_is_threaded_away() {
        assert_eq!(compiled("ip and ip", true), compiled("ip", true));
        assert_eq!(compiled("tcp and tcp and tcp", true), compiled("tcp", true));
        assert!(compiled("ip and ip", false).len() > compiled("ip", false).len());
    }

    #[test]
    fn constants_fold() {
        // (What libpcap 1.10.3 gives for each, as `tcpdump -d` lists it.)
        let ret = |k| Insn::stmt(BPF_RET | BPF_K, k);
        let jeq = |k, jt, jf| Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
        let len = Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0);
        // A subtraction before the comparison moves into its constant ...
        assert_eq!(compiled("len - 1 = 59", true), [len, jeq(60, 0, 1), ret(65535), ret(0)]);
        // ... only the last one: nothing is reassociated.
        assert_eq!(
            compiled("len + 1 - 1 = 60", true),
            [len, Insn::stmt(BPF_ALU | BPF_ADD | BPF_K, 1), jeq(61, 0, 1), ret(65535), ret(0)]
        );
        assert_eq!(compiled("ip[2 + 2:2] = 1", true), compiled("ip[4:2] = 1", true));
        // `and #0` becomes the constant, and the test it decides keeps its
        // jeq with both branches to one place.
        assert_eq!(
            compiled("ip[0] & 0 = 0", true),
            [
                Insn::stmt(BPF_LD | BPF_H | BPF_ABS, 12),
                jeq(0x800, 0, 3),
                Insn::stmt(BPF_LD | BPF_IMM, 0),
                jeq(0, 0, 0),
                ret(65535),
                ret(0)
            ]
        );
    }

    #[test]
    fn a_decided_branch_loses_its_test() {
        // Both outcomes of `ip` lead to the same place.
        assert_eq!(compiled("ip or not ip", true), [Insn::stmt(BPF_RET | BPF_K, 65535)]);
    }

    #[test]
    fn merge_keys_skip_deleted_statements() {
        let mut ir = Ir::default();
        let a = ir.slist(&[(BPF_LD | BPF_B | BPF_ABS, 3), (BPF_LDX | BPF_IMM, 1)]);
        let b = ir.slist(&[(BPF_LD | BPF_B | BPF_ABS, 3)]);
        ir.sm(ir.s(a).next.unwrap()).code = NOP;
        let x = ir.block_with(jmp(BPF_JEQ), 2, a);
        let y = ir.block_with(jmp(BPF_JEQ), 2, b);
        let o = Optimizer::new(&mut ir, x);
        assert_eq!(o.block_key(x), o.block_key(y));
    }
}

//! The optimizer over the block graph: value numbering with constant
//! folding and peephole rewrites inside blocks, dead-store elimination
//! from use/def data flow, branch folding along dominating edges,
//! and/or "pull-ups", then merging of identical blocks.
//!
//! It is libpcap's optimizer algorithm (same passes, same visiting order,
//! same fixed-point and loop-breaking rules), so that on the same input
//! graph it produces the same program as `pcap_compile(..., 1, ...)`.

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
fn atomuse(code: i32, k: u32) -> i32 {
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
fn atomdef(code: i32, k: u32) -> i32 {
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
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7cc1_b727_220a_95);
    }
}

type Map<K, V> = HashMap<K, V, BuildHasherDefault<MixHasher>>;

/// An optimizer failure (a constant division by zero and the like).
pub type OptResult<T> = Result<T, String>;

/// A slot holding a successor: (block, true edge?).
type Slot = (BlockId, bool);

struct Opt<'a> {
    ir: &'a mut Ir,
    root: BlockId,
    done: bool,
    non_branch_movement_performed: bool,
    n_blocks: usize,
    /// Blocks by optimizer number (`Block::id`).
    blocks: Vec<BlockId>,
    nodewords: usize,
    edgewords: usize,
    /// Blocks by level (the longest path to a leaf), in finding order.
    levels: Vec<Vec<BlockId>>,
    dom: Vec<u32>,
    edom: Vec<u32>,
    edge_next: Vec<Option<u32>>,
    values: Map<(i32, u32, u32), u32>,
    curval: u32,
    /// Constant value of a value number, if it is a constant.
    vmap: Vec<Option<u32>>,
}

impl<'a> Opt<'a> {
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
        let base = self.id(b) * self.nodewords;
        self.dom[base + member / 32] & (1 << (member % 32)) != 0
    }

    /// The `i`-th block of a level, in visiting order (the last found
    /// first).
    fn at_level(&self, level: usize, i: usize) -> Option<BlockId> {
        let v = &self.levels[level];
        (i < v.len()).then(|| v[v.len() - 1 - i])
    }

    // ---- set-up ------------------------------------------------------------

    fn count_blocks(&mut self, p: Option<BlockId>) -> usize {
        let Some(p) = p else { return 0 };
        if self.ir.is_marked(p) {
            return 0;
        }
        self.ir.mark(p);
        let (jt, jf) = (self.jt(p), self.jf(p));
        self.count_blocks(jt) + self.count_blocks(jf) + 1
    }

    fn number_blks(&mut self, p: Option<BlockId>) {
        let Some(p) = p else { return };
        if self.ir.is_marked(p) {
            return;
        }
        self.ir.mark(p);
        self.ir.bm(p).id = self.blocks.len() as u32;
        self.blocks.push(p);
        let (jt, jf) = (self.jt(p), self.jf(p));
        self.number_blks(jt);
        self.number_blks(jf);
    }

    fn new(ir: &'a mut Ir, root: BlockId) -> Opt<'a> {
        let mut o = Opt {
            ir,
            root,
            done: false,
            non_branch_movement_performed: false,
            n_blocks: 0,
            blocks: Vec::new(),
            nodewords: 0,
            edgewords: 0,
            levels: Vec::new(),
            dom: Vec::new(),
            edom: Vec::new(),
            edge_next: Vec::new(),
            values: Map::default(),
            curval: 0,
            vmap: Vec::new(),
        };
        o.ir.unmark_all();
        let n = o.count_blocks(Some(root));
        o.blocks.reserve(n);
        o.ir.unmark_all();
        o.number_blks(Some(root));
        o.n_blocks = o.blocks.len();
        let n_edges = 2 * o.n_blocks;
        o.edgewords = n_edges / 32 + 1;
        o.nodewords = o.n_blocks / 32 + 1;
        o.levels = vec![Vec::new(); o.n_blocks];
        o.dom = vec![0; o.n_blocks * o.nodewords];
        o.edom = vec![0; n_edges * o.edgewords];
        o.edge_next = vec![None; n_edges];
        o
    }

    // ---- graph analyses ------------------------------------------------------

    fn find_levels_r(&mut self, b: BlockId) {
        if self.ir.is_marked(b) {
            return;
        }
        self.ir.mark(b);
        let level = match (self.jt(b), self.jf(b)) {
            (Some(t), Some(f)) => {
                self.find_levels_r(t);
                self.find_levels_r(f);
                self.ir.b(t).level.max(self.ir.b(f).level) + 1
            }
            _ => 0,
        };
        self.ir.bm(b).level = level;
        self.levels[level as usize].push(b);
    }

    fn find_levels(&mut self) {
        self.levels.iter_mut().for_each(Vec::clear);
        self.ir.unmark_all();
        let root = self.root;
        self.find_levels_r(root);
    }

    fn root_level(&self) -> usize {
        self.ir.b(self.root).level as usize
    }

    fn find_dom(&mut self) {
        let nw = self.nodewords;
        self.dom.iter_mut().for_each(|x| *x = 0xffff_ffff);
        let r = self.id(self.root) * nw;
        self.dom[r..r + nw].iter_mut().for_each(|x| *x = 0);
        for level in (0..=self.root_level()).rev() {
            let mut at = 0;
            while let Some(b) = self.at_level(level, at) {
                at += 1;
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

    fn propedom(&mut self, e: Slot) {
        let ew = self.edgewords;
        let eid = self.edge_id(e) as usize;
        self.edom[eid * ew + eid / 32] |= 1 << (eid % 32);
        if let Some(succ) = self.get(e) {
            for out in [(succ, true), (succ, false)] {
                let oid = self.edge_id(out) as usize;
                for w in 0..ew {
                    self.edom[oid * ew + w] &= self.edom[eid * ew + w];
                }
            }
        }
    }

    fn find_edom(&mut self) {
        let ew = self.edgewords;
        self.edom.iter_mut().for_each(|x| *x = 0xffff_ffff);
        for e in [(self.root, true), (self.root, false)] {
            let id = self.edge_id(e) as usize;
            self.edom[id * ew..id * ew + ew].iter_mut().for_each(|x| *x = 0);
        }
        for level in (0..=self.root_level()).rev() {
            let mut at = 0;
            while let Some(b) = self.at_level(level, at) {
                at += 1;
                self.propedom((b, true));
                self.propedom((b, false));
            }
        }
    }

    fn compute_local_ud(&mut self, b: BlockId) {
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
            note_use(atomuse(st.code, st.k), def, &mut used);
            let atom = atomdef(st.code, st.k);
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
            note_use(atomuse(blk.code, blk.k), def, &mut used);
        }
        let blk = self.ir.bm(b);
        blk.def = def;
        blk.kill = killed;
        blk.in_use = used;
    }

    fn find_ud(&mut self) {
        let maxlevel = self.root_level();
        for i in (0..=maxlevel).rev() {
            let mut at = 0;
            while let Some(p) = self.at_level(i, at) {
                at += 1;
                self.compute_local_ud(p);
                self.ir.bm(p).out_use = 0;
            }
        }
        for i in 1..=maxlevel {
            let mut at = 0;
            while let Some(p) = self.at_level(i, at) {
                at += 1;
                let (t, f) = (self.jt(p).expect("inner block"), self.jf(p).expect("inner block"));
                let out = self.ir.b(t).in_use | self.ir.b(f).in_use;
                let blk = self.ir.bm(p);
                blk.out_use |= out;
                blk.in_use |= blk.out_use & !blk.kill;
            }
        }
    }

    fn find_inedges(&mut self) {
        for &b in &self.blocks {
            self.ir.bm(b).in_edges = None;
        }
        for level in (1..=self.root_level()).rev() {
            let mut at = 0;
            while let Some(b) = self.at_level(level, at) {
                at += 1;
                for e in [(b, true), (b, false)] {
                    let child = self.get(e).expect("inner block");
                    let eid = self.edge_id(e);
                    self.edge_next[eid as usize] = self.ir.b(child).in_edges;
                    self.ir.bm(child).in_edges = Some(eid);
                }
            }
        }
    }

    fn in_edges(&self, b: BlockId) -> Vec<u32> {
        let mut out = Vec::new();
        let mut e = self.ir.b(b).in_edges;
        while let Some(x) = e {
            out.push(x);
            e = self.edge_next[x as usize];
        }
        out
    }

    // ---- value numbering ----------------------------------------------------

    fn init_val(&mut self) {
        self.curval = 0;
        self.values.clear();
        self.vmap.clear();
        self.vmap.push(None);
    }

    /// The value number of `code(v0, v1)`.
    fn f(&mut self, code: i32, v0: u32, v1: u32) -> u32 {
        if let Some(&v) = self.values.get(&(code, v0, v1)) {
            return v;
        }
        self.curval += 1;
        let val = self.curval;
        let c = code as u16;
        let is_const = mode(c) == BPF_IMM && (class(c) == BPF_LD || class(c) == BPF_LDX);
        self.vmap.push(is_const.then_some(v0));
        self.values.insert((code, v0, v1), val);
        val
    }

    fn konst(&mut self, i: u32) -> u32 {
        self.f((BPF_LD | BPF_IMM | BPF_W) as i32, i, 0)
    }

    fn const_of(&self, v: u32) -> Option<u32> {
        self.vmap.get(v as usize).copied().flatten()
    }

    fn changed(&mut self) {
        self.non_branch_movement_performed = true;
        self.done = false;
    }

    /// Store `newval` into `*valp`, or delete `s` when it would not change it.
    fn vstore(&mut self, s: StmtId, valp: &mut u32, newval: u32, alter: bool) {
        if alter && newval != 0 && *valp == newval {
            self.ir.sm(s).code = NOP;
        } else {
            *valp = newval;
        }
    }

    fn fold_op(&mut self, s: StmtId, v0: u32, v1: u32) -> OptResult<()> {
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
    fn opt_stmt(&mut self, s: StmtId, val: &mut [u32; N_ATOMS], alter: bool) -> OptResult<()> {
        let st = *self.ir.s(s);
        let code = st.code;
        if code == NOP {
            return Ok(());
        }
        let c = code as u16;
        let (a, x) = (A_ATOM, X_ATOM);
        match c {
            _ if c == BPF_LD | BPF_ABS | BPF_W || c == BPF_LD | BPF_ABS | BPF_H || c == BPF_LD | BPF_ABS | BPF_B => {
                let v = self.f(code, st.k, 0);
                self.vstore(s, &mut val[a], v, alter);
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
                        self.f(nc as i32, nk, 0)
                    }
                    _ => self.f(code, st.k, xv),
                };
                self.vstore(s, &mut val[a], v, alter);
            }
            _ if c == BPF_LD | BPF_LEN => {
                let v = self.f(code, 0, 0);
                self.vstore(s, &mut val[a], v, alter);
            }
            _ if c == BPF_LD | BPF_IMM => {
                let v = self.konst(st.k);
                self.vstore(s, &mut val[a], v, alter);
            }
            _ if c == BPF_LDX | BPF_IMM => {
                let v = self.konst(st.k);
                self.vstore(s, &mut val[x], v, alter);
            }
            _ if c == BPF_LDX | BPF_MSH | BPF_B => {
                let v = self.f(code, st.k, 0);
                self.vstore(s, &mut val[x], v, alter);
            }
            _ if c == BPF_ALU | BPF_NEG => {
                match self.const_of(val[a]) {
                    Some(av) if alter => {
                        let k = 0u32.wrapping_sub(av);
                        let stm = self.ir.sm(s);
                        stm.code = (BPF_LD | BPF_IMM) as i32;
                        stm.k = k;
                        val[a] = self.konst(k);
                    }
                    _ => val[a] = self.f(code, val[a], 0),
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
                            val[a] = self.konst(st.k);
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
                        let kv = self.konst(st.k);
                        self.fold_op(s, val[a], kv)?;
                        let nk = self.ir.s(s).k;
                        val[a] = self.konst(nk);
                        return Ok(());
                    }
                }
                let kv = self.konst(st.k);
                val[a] = self.f(code, val[a], kv);
            }
            _ if class(c) == BPF_ALU && src(c) == BPF_X && op(c) != BPF_NEG && op(c) <= BPF_XOR => {
                let o = op(c);
                if alter {
                    if let Some(xc) = self.const_of(val[x]) {
                        if self.const_of(val[a]).is_some() {
                            self.fold_op(s, val[a], val[x])?;
                            let nk = self.ir.s(s).k;
                            val[a] = self.konst(nk);
                        } else {
                            let nc = BPF_ALU | BPF_K | o;
                            let stm = self.ir.sm(s);
                            stm.code = nc as i32;
                            stm.k = xc;
                            if (o == BPF_LSH || o == BPF_RSH) && xc > 31 {
                                return Err("shift by more than 31 bits".into());
                            }
                            self.changed();
                            let kv = self.konst(xc);
                            val[a] = self.f(nc as i32, val[a], kv);
                        }
                        return Ok(());
                    }
                    if self.const_of(val[a]) == Some(0) {
                        if matches!(o, BPF_ADD | BPF_OR | BPF_XOR) {
                            self.ir.sm(s).code = (BPF_MISC | BPF_TXA) as i32;
                            let xv = val[x];
                            self.vstore(s, &mut val[a], xv, alter);
                            return Ok(());
                        } else if matches!(o, BPF_MUL | BPF_DIV | BPF_MOD | BPF_AND | BPF_LSH | BPF_RSH) {
                            let stm = self.ir.sm(s);
                            stm.code = (BPF_LD | BPF_IMM) as i32;
                            stm.k = 0;
                            let kv = self.konst(0);
                            self.vstore(s, &mut val[a], kv, alter);
                            return Ok(());
                        }
                    }
                }
                val[a] = self.f(code, val[a], val[x]);
            }
            _ if c == BPF_MISC | BPF_TXA => {
                let xv = val[x];
                self.vstore(s, &mut val[a], xv, alter);
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
                self.vstore(s, &mut val[dst], v, alter);
            }
            _ if c == BPF_MISC | BPF_TAX => {
                let av = val[a];
                self.vstore(s, &mut val[x], av, alter);
            }
            _ if c == BPF_ST || c == BPF_STX => {
                let from = if c == BPF_ST { val[a] } else { val[x] };
                let mut slot = val[st.k as usize % N_ATOMS];
                self.vstore(s, &mut slot, from, alter);
                val[st.k as usize % N_ATOMS] = slot;
            }
            _ => {}
        }
        Ok(())
    }

    // ---- per-block rewrites ----------------------------------------------------

    fn this_op(&self, mut s: Option<StmtId>) -> Option<StmtId> {
        while let Some(x) = s {
            if self.ir.s(x).code != NOP {
                return Some(x);
            }
            s = self.ir.s(x).next;
        }
        None
    }

    fn opt_peep(&mut self, b: BlockId) {
        let Some(first) = self.ir.b(b).stmts else { return };
        let mut last = first;
        let mut s = Some(first);
        loop {
            let Some(cur) = self.this_op(s) else { break };
            let Some(next) = self.this_op(self.ir.s(cur).next) else { break };
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
                    self.this_op(self.ir.s(next).next)
                };
                let Some(add) = add.filter(|&a| self.ir.s(a).code == (BPF_ALU | BPF_ADD | BPF_X) as i32) else {
                    continue;
                };
                let Some(tax) =
                    self.this_op(self.ir.s(add).next).filter(|&t| self.ir.s(t).code == (BPF_MISC | BPF_TAX) as i32)
                else {
                    continue;
                };
                let Some(ild) = self.this_op(self.ir.s(tax).next).filter(|&l| {
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

    fn opt_deadstores(&mut self, b: BlockId) {
        let mut last: [Option<StmtId>; N_ATOMS] = [None; N_ATOMS];
        let dead = |o: &mut Opt, code: i32, k: u32, s: Option<StmtId>, last: &mut [Option<StmtId>; N_ATOMS]| {
            let atom = atomuse(code, k);
            if atom >= 0 {
                if atom == AX_ATOM {
                    last[X_ATOM] = None;
                    last[A_ATOM] = None;
                } else if (atom as usize) < N_ATOMS {
                    last[atom as usize] = None;
                }
            }
            let atom = atomdef(code, k);
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

    fn opt_blk(&mut self, b: BlockId, do_stmts: bool) -> OptResult<()> {
        let edges = self.in_edges(b);
        let mut val = match edges.first() {
            None => [0u32; N_ATOMS],
            Some(&e) => {
                let mut v = self.ir.b(self.edge(e).0).val;
                for &e in &edges[1..] {
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
            self.opt_stmt(x, &mut val, do_stmts)?;
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
            self.opt_peep(b);
            self.opt_deadstores(b);
        }
        let (code, k) = (self.ir.b(b).code, self.ir.b(b).k);
        let oval = if src(code as u16) == BPF_K { self.konst(k) } else { self.ir.b(b).val[X_ATOM] };
        let bm = self.ir.bm(b);
        bm.oval = oval;
        bm.et_code = code;
        bm.ef_code = -code;
        Ok(())
    }

    // ---- branch movement ------------------------------------------------------

    fn use_conflict(&self, b: BlockId, succ: BlockId) -> bool {
        let use_ = self.ir.b(succ).out_use;
        if use_ == 0 {
            return false;
        }
        (0..N_ATOMS).any(|atom| use_ & atom_mask(atom) != 0 && self.ir.b(b).val[atom] != self.ir.b(succ).val[atom])
    }

    /// A child of `child` that edge `ep` (which dominates the edge into
    /// `child`) decides, if any.
    fn fold_edge(&self, child: BlockId, ep: Slot) -> Option<BlockId> {
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

    fn opt_j(&mut self, ep: Slot) {
        let succ = self.get(ep).expect("inner block edge");
        let Some(sjt) = self.jt(succ) else { return };
        if Some(sjt) == self.jf(succ) && !self.use_conflict(ep.0, sjt) {
            self.changed();
            self.set(ep, Some(sjt));
        }
        let eid = self.edge_id(ep) as usize;
        'top: loop {
            for i in 0..self.edgewords {
                let mut x = self.edom[eid * self.edgewords + i];
                while x != 0 {
                    let k = x.trailing_zeros();
                    x &= !(1 << k);
                    let k = k + 32 * i as u32;
                    let cur = self.get(ep).expect("inner block edge");
                    let target = self.fold_edge(cur, self.edge(k));
                    if let Some(t) = target {
                        if !self.use_conflict(ep.0, t) {
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

    /// libpcap's or-pullup (`and` = false) and and-pullup (`and` = true):
    /// move a test that repeats an earlier one up the chain of tests that
    /// share a true (or false) target.
    fn pullup(&mut self, b: BlockId, and: bool) {
        let edges = self.in_edges(b);
        let Some(&first) = edges.first() else { return };
        let val = self.ir.b(self.edge(first).0).val[A_ATOM];
        if edges[1..].iter().any(|&e| self.ir.b(self.edge(e).0).val[A_ATOM] != val) {
            return;
        }
        // The branch shared by the chain, and the one the chain walks down.
        let shared = |o: &Opt, x: BlockId| if and { o.jf(x) } else { o.jt(x) };
        let walk = !and;
        let pred = self.edge(first).0;
        let mut diffp: Slot = if self.jt(pred) == Some(b) { (pred, true) } else { (pred, false) };
        let bid = self.id(b);
        let mut at_top = true;
        loop {
            let Some(d) = self.get(diffp) else { return };
            if shared(self, d) != shared(self, b) || !self.dom_has(d, bid) {
                return;
            }
            if self.ir.b(d).val[A_ATOM] != val {
                break;
            }
            diffp = (d, !walk);
            at_top = false;
        }
        let d = self.get(diffp).expect("checked above");
        let mut samep: Slot = (d, !walk);
        loop {
            let Some(sm) = self.get(samep) else { return };
            if shared(self, sm) != shared(self, b) || !self.dom_has(sm, bid) {
                return;
            }
            if self.ir.b(sm).val[A_ATOM] == val {
                break;
            }
            samep = (sm, !walk);
        }
        let pull = self.get(samep).expect("checked above");
        let pull_next = self.get((pull, !walk));
        self.set(samep, pull_next);
        let dv = self.get(diffp);
        self.set((pull, !walk), dv);
        if at_top {
            for e in self.in_edges(b) {
                let p = self.edge(e).0;
                if self.jt(p) == Some(b) {
                    self.ir.bm(p).jt = Some(pull);
                } else {
                    self.ir.bm(p).jf = Some(pull);
                }
            }
        } else {
            self.set(diffp, Some(pull));
        }
        self.done = false;
    }

    fn opt_blks(&mut self, do_stmts: bool) -> OptResult<()> {
        self.init_val();
        let maxlevel = self.root_level();
        self.find_inedges();
        for i in (0..=maxlevel).rev() {
            let mut at = 0;
            while let Some(p) = self.at_level(i, at) {
                at += 1;
                self.opt_blk(p, do_stmts)?;
            }
        }
        if do_stmts {
            return Ok(());
        }
        for i in 1..=maxlevel {
            let mut at = 0;
            while let Some(p) = self.at_level(i, at) {
                at += 1;
                self.opt_j((p, true));
                self.opt_j((p, false));
            }
        }
        self.find_inedges();
        for i in 1..=maxlevel {
            let mut at = 0;
            while let Some(p) = self.at_level(i, at) {
                at += 1;
                self.pullup(p, false);
                self.pullup(p, true);
            }
        }
        Ok(())
    }

    fn opt_loop(&mut self, do_stmts: bool) -> OptResult<()> {
        let mut loop_count = 0;
        loop {
            self.done = true;
            self.non_branch_movement_performed = false;
            self.find_levels();
            self.find_dom();
            self.find_ud();
            self.find_edom();
            self.opt_blks(do_stmts)?;
            if self.done {
                return Ok(());
            }
            if self.non_branch_movement_performed {
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

    fn make_marks(&mut self, p: BlockId) {
        if self.ir.is_marked(p) {
            return;
        }
        self.ir.mark(p);
        if class(self.ir.b(p).code as u16) != BPF_RET {
            let (t, f) = (self.jt(p).expect("inner block"), self.jf(p).expect("inner block"));
            self.make_marks(t);
            self.make_marks(f);
        }
    }

    /// What makes two blocks interchangeable: the same test, the same
    /// successors and the same statements (no-ops aside).
    fn block_key(&self, b: BlockId) -> (i32, u32, Option<BlockId>, Option<BlockId>, Vec<(i32, u32)>) {
        let blk = self.ir.b(b);
        let mut stmts = Vec::new();
        let mut s = self.this_op(blk.stmts);
        while let Some(x) = s {
            let st = self.ir.s(x);
            stmts.push((st.code, st.k));
            s = self.this_op(st.next);
        }
        (blk.code, blk.k, blk.jt, blk.jf, stmts)
    }

    /// Merge identical blocks: every reachable block is replaced by the
    /// last-numbered block identical to it, until no edge changes.
    fn intern_blocks(&mut self) {
        let mut last = Map::default();
        loop {
            let mut done = true;
            for &b in &self.blocks {
                self.ir.bm(b).link = None;
            }
            self.ir.unmark_all();
            let root = self.root;
            self.make_marks(root);
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
    let mut o = Opt::new(ir, root);
    o.opt_loop(false)?;
    o.opt_loop(true)?;
    o.intern_blocks();
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

//! The control-flow IR the code generator builds and the optimizer rewrites:
//! basic blocks (a list of straight-line statements ending in one branch or
//! return) in an arena, and the and/or/not combinators that wire them
//! together with libpcap's backpatching scheme.
//!
//! A code fragment under construction is represented by its *last* block;
//! that block's `head` is the fragment's entry, and the blocks whose exits are
//! still unresolved form a list threaded through their `jt`/`jf` fields (the
//! `sense` flag says which of the two is the link). `and`/`or`/`not` only
//! splice those lists, so the shape of the final graph — and therefore the
//! optimizer's input — is exactly the one libpcap builds.

use crate::bpf::insn::*;

/// Index of a statement in [`Ir::stmts`].
pub type StmtId = u32;
/// Index of a block in [`Ir::blocks`].
pub type BlockId = u32;

/// A deleted statement.
pub const NOP: i32 = -1;

/// Scratch memory words, the accumulator and the index register, as the
/// optimizer's data-flow "atoms".
pub const N_ATOMS: usize = BPF_MEMWORDS + 2;
pub const A_ATOM: usize = BPF_MEMWORDS;
pub const X_ATOM: usize = BPF_MEMWORDS + 1;

/// One statement. `jt`/`jf` are only used by the few generators that put a
/// conditional jump *inside* a statement list (radio headers, protochain,
/// Geneve, VLAN metadata); such programs are never optimized.
#[derive(Clone, Copy, Debug)]
pub struct Stmt {
    pub code: i32,
    pub k: u32,
    pub jt: Option<StmtId>,
    pub jf: Option<StmtId>,
    pub next: Option<StmtId>,
}

/// A basic block: side-effect statements, then one branch (or return).
#[derive(Clone, Debug)]
pub struct Block {
    pub stmts: Option<StmtId>,
    /// The branch or return instruction.
    pub code: i32,
    pub k: u32,
    /// Successors (`JT`/`JF`); `None` for returns, or links of an
    /// unresolved exit list while the code is being generated.
    pub jt: Option<BlockId>,
    pub jf: Option<BlockId>,
    pub head: BlockId,
    pub sense: bool,

    // Optimizer and emitter state.
    pub mark: u32,
    pub id: u32,
    pub level: i32,
    pub link: Option<BlockId>,
    pub longjt: u32,
    pub longjf: u32,
    pub offset: i32,
    pub def: u32,
    pub kill: u32,
    pub in_use: u32,
    pub out_use: u32,
    pub oval: u32,
    pub val: [u32; N_ATOMS],
    pub et_code: i32,
    pub ef_code: i32,
    /// First incoming edge (edge ids are the optimizer's: `id` for a block's
    /// true edge, `n + id` for its false edge).
    pub in_edges: Option<u32>,
}

/// The arena all statements and blocks of one compilation live in.
pub struct Ir {
    pub stmts: Vec<Stmt>,
    pub blocks: Vec<Block>,
    /// Blocks whose `mark` equals this are "marked" (libpcap's cheap
    /// unmark-all: bump the counter).
    pub cur_mark: u32,
}

impl Default for Ir {
    /// Room for a typical expression's code from the start: growing the
    /// arenas one push at a time was a tenth of a short compile.
    fn default() -> Ir {
        Ir { stmts: Vec::with_capacity(64), blocks: Vec::with_capacity(32), cur_mark: 0 }
    }
}

pub fn jmp(op: u16) -> i32 {
    (op | BPF_JMP | BPF_K) as i32
}

impl Ir {
    pub fn new_stmt(&mut self, code: i32, k: u32) -> StmtId {
        self.stmts.push(Stmt { code, k, jt: None, jf: None, next: None });
        (self.stmts.len() - 1) as StmtId
    }

    /// A block ending in `code`, with no statements and unresolved exits.
    pub fn new_block(&mut self, code: i32, k: u32) -> BlockId {
        let id = self.blocks.len() as BlockId;
        self.blocks.push(Block {
            stmts: None,
            code,
            k,
            jt: None,
            jf: None,
            head: id,
            sense: false,
            mark: 0,
            id: 0,
            level: 0,
            link: None,
            longjt: 0,
            longjf: 0,
            offset: 0,
            def: 0,
            kill: 0,
            in_use: 0,
            out_use: 0,
            oval: 0,
            val: [0; N_ATOMS],
            et_code: 0,
            ef_code: 0,
            in_edges: None,
        });
        id
    }

    /// A block testing the statements `s` with `code #k`.
    pub fn block_with(&mut self, code: i32, k: u32, s: StmtId) -> BlockId {
        let b = self.new_block(code, k);
        self.blocks[b as usize].stmts = Some(s);
        b
    }

    /// Test graphs' usual block: `ldb [off]; jeq #k`.
    #[cfg(test)]
    pub fn byte_test(&mut self, off: u32, k: u32) -> BlockId {
        let ld = self.slist(&[(BPF_LD | BPF_B | BPF_ABS, off)]);
        self.block_with(jmp(BPF_JEQ), k, ld)
    }

    pub fn unmark_all(&mut self) {
        self.cur_mark = self.cur_mark.wrapping_add(1);
    }

    pub fn is_marked(&self, b: BlockId) -> bool {
        self.blocks[b as usize].mark == self.cur_mark
    }

    pub fn mark(&mut self, b: BlockId) {
        let m = self.cur_mark;
        self.blocks[b as usize].mark = m;
    }

    /// Number of statements in a list, not counting deleted ones.
    pub fn slength(&self, mut s: Option<StmtId>) -> u32 {
        let mut n = 0;
        while let Some(x) = s {
            if self.s(x).code != NOP {
                n += 1;
            }
            s = self.s(x).next;
        }
        n
    }

    pub fn b(&self, b: BlockId) -> &Block {
        &self.blocks[b as usize]
    }

    pub fn bm(&mut self, b: BlockId) -> &mut Block {
        &mut self.blocks[b as usize]
    }

    pub fn s(&self, s: StmtId) -> &Stmt {
        &self.stmts[s as usize]
    }

    pub fn sm(&mut self, s: StmtId) -> &mut Stmt {
        &mut self.stmts[s as usize]
    }

    /// Append list `s1` to the end of list `s0`.
    pub fn sappend(&mut self, s0: StmtId, s1: StmtId) {
        let mut s = s0;
        while let Some(n) = self.s(s).next {
            s = n;
        }
        self.sm(s).next = Some(s1);
    }

    /// Build a list from statements given as (code, k).
    pub fn slist(&mut self, items: &[(u16, u32)]) -> StmtId {
        let first = self.new_stmt(items[0].0 as i32, items[0].1);
        let mut last = first;
        for &(c, k) in &items[1..] {
            let s = self.new_stmt(c as i32, k);
            self.sm(last).next = Some(s);
            last = s;
        }
        first
    }

    /// Resolve every unresolved exit in `list` to `target`.
    pub fn backpatch(&mut self, list: Option<BlockId>, target: BlockId) {
        let mut cur = list;
        while let Some(b) = cur {
            let blk = self.bm(b);
            if !blk.sense {
                cur = blk.jt;
                blk.jt = Some(target);
            } else {
                cur = blk.jf;
                blk.jf = Some(target);
            }
        }
    }

    /// Concatenate the exit lists of `b0` and `b1`.
    fn merge(&mut self, b0: BlockId, b1: BlockId) {
        let mut cur = b0;
        loop {
            let blk = self.bm(cur);
            let link = if !blk.sense { &mut blk.jt } else { &mut blk.jf };
            match *link {
                Some(n) => cur = n,
                None => {
                    *link = Some(b1);
                    return;
                }
            }
        }
    }

    /// `b0 && b1`; the result is represented by `b1`.
    pub fn gen_and(&mut self, b0: BlockId, b1: BlockId) {
        let h1 = self.b(b1).head;
        self.backpatch(Some(b0), h1);
        self.bm(b0).sense ^= true;
        self.bm(b1).sense ^= true;
        self.merge(b1, b0);
        self.bm(b1).sense ^= true;
        self.bm(b1).head = self.b(b0).head;
    }

    /// `b0 || b1`; the result is represented by `b1`.
    pub fn gen_or(&mut self, b0: BlockId, b1: BlockId) {
        let h1 = self.b(b1).head;
        self.bm(b0).sense ^= true;
        self.backpatch(Some(b0), h1);
        self.bm(b0).sense ^= true;
        self.merge(b1, b0);
        self.bm(b1).head = self.b(b0).head;
    }

    pub fn gen_not(&mut self, b: BlockId) {
        self.bm(b).sense ^= true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_or_resolve_exits_like_libpcap() {
        let mut ir = Ir::default();
        let a = ir.new_block(jmp(BPF_JEQ), 1);
        let b = ir.new_block(jmp(BPF_JEQ), 2);
        ir.gen_and(a, b);
        // a's true exit now enters b; b represents the conjunction.
        assert_eq!(ir.b(a).jt, Some(b));
        assert_eq!(ir.b(b).head, a);
        let c = ir.new_block(jmp(BPF_JEQ), 3);
        ir.gen_or(b, c);
        assert_eq!(ir.b(c).head, a);
        let t = ir.new_block((BPF_RET | BPF_K) as i32, 1);
        ir.backpatch(Some(c), t);
        ir.bm(c).sense ^= true;
        let f = ir.new_block((BPF_RET | BPF_K) as i32, 0);
        ir.backpatch(Some(c), f);
        // (a && b) || c: a false -> c, b false -> c, b true -> accept.
        assert_eq!(ir.b(a).jf, Some(c));
        assert_eq!(ir.b(b).jt, Some(t));
        assert_eq!(ir.b(b).jf, Some(c));
        assert_eq!(ir.b(c).jt, Some(t));
        assert_eq!(ir.b(c).jf, Some(f));
    }
}

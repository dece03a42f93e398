//! Lays the block graph out as a BPF instruction array: blocks are placed
//! so that each block's true successor follows it where possible, branch
//! offsets are filled in, and a branch whose target is more than 255
//! instructions away gets a `ja` trampoline (the layout is redone until
//! every branch fits), as libpcap does.

use super::ir::{BlockId, Ir, StmtId, NOP};
use crate::bpf::insn::*;

enum Retry {
    /// A branch needed a long jump; the block was marked and layout restarts.
    Again,
    Fail(String),
}

struct Conv<'a> {
    ir: &'a mut Ir,
    out: Vec<Insn>,
    tail: usize,
}

impl Conv<'_> {
    fn count_stmts(&mut self, p: Option<BlockId>) -> usize {
        let Some(p) = p else { return 0 };
        if self.ir.is_marked(p) {
            return 0;
        }
        self.ir.mark(p);
        let (jt, jf) = (self.ir.b(p).jt, self.ir.b(p).jf);
        let n = self.count_stmts(jt) + self.count_stmts(jf);
        let b = self.ir.b(p);
        self.ir.slength(b.stmts) as usize + n + 1 + b.longjt as usize + b.longjf as usize
    }

    fn convert(&mut self, p: Option<BlockId>) -> Result<(), Retry> {
        let Some(p) = p else { return Ok(()) };
        if self.ir.is_marked(p) {
            return Ok(());
        }
        self.ir.mark(p);
        let (jt, jf) = (self.ir.b(p).jt, self.ir.b(p).jf);
        self.convert(jf)?;
        self.convert(jt)?;
        let blk = self.ir.b(p).clone();
        let slen = self.ir.slength(blk.stmts) as usize;
        self.tail -= slen + 1 + blk.longjt as usize + blk.longjf as usize;
        let start = self.tail;
        self.ir.bm(p).offset = start as i32;

        // The first `slen` list entries, for block-local jump targets.
        let mut offset: Vec<StmtId> = Vec::with_capacity(slen);
        let mut src = blk.stmts;
        while offset.len() < slen {
            let Some(s) = src else { break };
            offset.push(s);
            src = self.ir.s(s).next;
        }
        let mut dst = start;
        let mut off = 0usize;
        let mut src = blk.stmts;
        while let Some(s) = src {
            let st = *self.ir.s(s);
            src = st.next;
            if st.code == NOP {
                continue;
            }
            let c = st.code as u16;
            self.out[dst] = Insn { code: c, jt: 0, jf: 0, k: st.k };
            if class(c) == BPF_JMP && c != (BPF_JMP | BPF_JA) && off != slen.wrapping_sub(2) {
                let err = |what: &str| Retry::Fail(format!("{what} for block-local relative jump: off={off}"));
                let (Some(tj), Some(fj)) = (st.jt, st.jf) else { return Err(err("no jmp destination")) };
                let (mut jt_found, mut jf_found) = (false, false);
                for (i, &o) in offset.iter().enumerate() {
                    let rel = (i as u32).wrapping_sub(off as u32).wrapping_sub(1);
                    if o == tj {
                        if jt_found {
                            return Err(err("multiple matches"));
                        }
                        if rel >= 256 {
                            return Err(err("out-of-range jump"));
                        }
                        self.out[dst].jt = rel as u8;
                        jt_found = true;
                    }
                    if o == fj {
                        if jf_found {
                            return Err(err("multiple matches"));
                        }
                        if rel >= 256 {
                            return Err(err("out-of-range jump"));
                        }
                        self.out[dst].jf = rel as u8;
                        jf_found = true;
                    }
                }
                if !jt_found || !jf_found {
                    return Err(err("no destination found"));
                }
            }
            dst += 1;
            off += 1;
        }

        self.out[dst] = Insn { code: blk.code as u16, jt: 0, jf: 0, k: blk.k };
        if let (Some(t), Some(f)) = (jt, jf) {
            let here = start as u32 + slen as u32;
            let mut extra = 0usize;
            let off_t = (self.ir.b(t).offset as u32).wrapping_sub(here).wrapping_sub(1);
            if off_t >= 256 {
                if blk.longjt == 0 {
                    self.ir.bm(p).longjt += 1;
                    return Err(Retry::Again);
                }
                self.out[dst].jt = extra as u8;
                extra += 1;
                self.out[dst + extra] = Insn::stmt(BPF_JMP | BPF_JA, off_t.wrapping_sub(extra as u32));
            } else {
                self.out[dst].jt = off_t as u8;
            }
            let off_f = (self.ir.b(f).offset as u32).wrapping_sub(here).wrapping_sub(1);
            if off_f >= 256 {
                if blk.longjf == 0 {
                    self.ir.bm(p).longjf += 1;
                    return Err(Retry::Again);
                }
                self.out[dst].jf = extra as u8;
                extra += 1;
                self.out[dst + extra] = Insn::stmt(BPF_JMP | BPF_JA, off_f.wrapping_sub(extra as u32));
            } else {
                self.out[dst].jf = off_f as u8;
            }
        }
        Ok(())
    }
}

/// The instruction array for the graph rooted at `root`.
pub fn to_program(ir: &mut Ir, root: BlockId) -> Result<Program, String> {
    loop {
        let mut c = Conv { ir: &mut *ir, out: Vec::new(), tail: 0 };
        c.ir.unmark_all();
        let n = c.count_stmts(Some(root));
        c.out = vec![Insn::default(); n];
        c.tail = n;
        c.ir.unmark_all();
        match c.convert(Some(root)) {
            Ok(()) => return Ok(c.out),
            Err(Retry::Again) => continue,
            Err(Retry::Fail(m)) => return Err(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf;

    /// `ldb [0]; jeq #1`: true to a block of `n` statements ending in
    /// `ret #1`, false to `ret #2`, which the layout puts after the long
    /// block: the false branch spans `n + 1` instructions.
    fn branch_over(n: usize) -> Program {
        let mut ir = Ir::default();
        let root = ir.byte_test(0, 1);
        let body: Vec<(u16, u32)> = (0..n).map(|i| (BPF_LDX | BPF_IMM, i as u32)).collect();
        let s = ir.slist(&body);
        let long = ir.block_with((BPF_RET | BPF_K) as i32, 1, s);
        let short = ir.new_block((BPF_RET | BPF_K) as i32, 2);
        ir.bm(root).jt = Some(long);
        ir.bm(root).jf = Some(short);
        to_program(&mut ir, root).unwrap()
    }

    fn run(p: &Program, first: u8) -> u32 {
        bpf::filter(p, &[first], 1)
    }

    #[test]
    fn a_branch_of_255_fits_in_the_offset() {
        let p = branch_over(254);
        assert_eq!(p.len(), 2 + 255 + 1);
        assert_eq!(p[1], Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 255));
        assert!(!p.iter().any(|i| i.code == BPF_JMP | BPF_JA));
        assert!(bpf::validate(&p));
        assert_eq!((run(&p, 1), run(&p, 0)), (1, 2));
    }

    #[test]
    fn a_branch_of_256_goes_through_a_ja() {
        let p = branch_over(255);
        // The jeq's false branch falls to a `ja` right after it; its true
        // branch steps over the `ja`.
        assert_eq!(p.len(), 3 + 256 + 1);
        assert_eq!(p[1], Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0));
        assert_eq!(p[2], Insn::stmt(BPF_JMP | BPF_JA, 256));
        assert_eq!(p[3 + 256], Insn::stmt(BPF_RET | BPF_K, 2));
        assert!(bpf::validate(&p));
        assert_eq!((run(&p, 1), run(&p, 0)), (1, 2));
    }

    #[test]
    fn both_branches_long() {
        // Two long blocks: the root's true branch reaches the first
        // directly, its false branch the second past the first.
        let mut ir = Ir::default();
        let root = ir.byte_test(0, 1);
        let mut longs = Vec::new();
        for r in [1u32, 2] {
            let body: Vec<(u16, u32)> = (0..300).map(|i| (BPF_LDX | BPF_IMM, i)).collect();
            let s = ir.slist(&body);
            longs.push(ir.block_with((BPF_RET | BPF_K) as i32, r, s));
        }
        ir.bm(root).jt = Some(longs[0]);
        ir.bm(root).jf = Some(longs[1]);
        let p = to_program(&mut ir, root).unwrap();
        assert!(bpf::validate(&p));
        assert_eq!(p.iter().filter(|i| i.code == BPF_JMP | BPF_JA).count(), 1);
        assert_eq!((run(&p, 1), run(&p, 0)), (1, 2));
    }
}

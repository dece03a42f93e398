//! The classic-BPF exports: `bpf_filter`, `pcap_offline_filter`,
//! `bpf_validate`, `bpf_image`, `bpf_dump`.
//!
//! `bpf_filter` and `pcap_offline_filter` receive raw instructions on every
//! call, without a length `bpf_filter` could trust. They share one
//! process-wide [`KindCache`] keyed on the instruction pointer: what it
//! learned about a program speeds up later calls, and nothing in it is
//! trusted (each opcode relied on is checked before it runs, every operand
//! is read from the caller's instructions), so a program changed in place,
//! or freed and replaced by another at the same address, is learned again
//! rather than misread. It is lock-free, so threads and signal handlers can
//! filter at once. Instructions are read only when execution reaches them,
//! in execution order, exactly as libpcap's interpreter reads them (so, as
//! in libpcap, `bf_len` is not needed).

use std::ffi::{c_char, c_int, c_uint, CString};

use super::cstr::StaticText;
use super::types::{bpf_insn, bpf_program, pcap_pkthdr};
use crate::bpf::{image, validate, Insn, InsnSource, KindCache};

/// A C caller's instructions, read one at a time where execution goes.
struct CallerInsns(*const bpf_insn);

impl InsnSource for CallerInsns {
    #[inline(always)]
    fn insn(&self, idx: usize) -> Option<Insn> {
        // SAFETY: the interpreter asks only for instructions execution
        // reaches, in execution order, which libpcap's interpreter would read
        // from the same pointer at the same moment: the caller's contract for
        // `bpf_filter` is that they are readable. Unaligned reads because C
        // gives no alignment guarantee we could check for free.
        Some(unsafe { std::ptr::read_unaligned(self.0.wrapping_add(idx)) })
    }
}

/// The kinds learned for the programs C callers filter with.
static PROGRAMS: KindCache = KindCache::new();

thread_local! {
    static IMAGE: StaticText<256> = const { StaticText::new() };
}

/// The packet a C caller passes: `buflen` bytes at `pkt`, empty if NULL.
///
/// # Safety
/// `pkt` must be NULL or point to `buflen` readable bytes.
unsafe fn packet<'a>(pkt: *const u8, buflen: u32) -> &'a [u8] {
    if pkt.is_null() || buflen == 0 {
        &[]
    } else {
        // SAFETY: the caller guarantees `buflen` readable bytes at `pkt`.
        unsafe { std::slice::from_raw_parts(pkt, buflen as usize) }
    }
}

/// Run the program at `insns` (non-NULL) over `data`.
#[inline(always)]
fn run(insns: *const bpf_insn, data: &[u8], wirelen: u32) -> u32 {
    PROGRAMS.run(insns as usize, &CallerInsns(insns), data, wirelen, None)
}

/// `bpf_filter`: run the program at `pc` over a packet of `buflen` captured
/// bytes at `p` whose length on the wire was `wirelen`; returns the program's
/// verdict (0: reject; otherwise the snapshot length to keep; 0 too if
/// ringcap fails internally).
///
/// Ownership: borrows `pc` and `p` for the call only; what ringcap learns
/// about the program is kept by address (see the module documentation) and
/// never trusted over `pc`'s current contents. A NULL `pc` accepts everything
/// (`(u_int)-1`, as libpcap); a NULL `p` is an empty packet.
#[no_mangle]
pub extern "C" fn bpf_filter(pc: *const bpf_insn, p: *const u8, wirelen: c_uint, buflen: c_uint) -> c_uint {
    ffi!(0, {
        if pc.is_null() {
            return u32::MAX;
        }
        // SAFETY: the C contract: `buflen` bytes at `p` (or NULL).
        let data = unsafe { packet(p, buflen) };
        run(pc, data, wirelen)
    })
}

/// `pcap_offline_filter`: run `fp` over the packet `pkt` described by `h`
/// (`h->caplen` bytes captured, `h->len` on the wire); returns the program's
/// verdict, 0 for no match.
///
/// Ownership: borrows all three for the call only (see [`bpf_filter`]). As in
/// libpcap, `fp->bf_len` is not used and a program whose `bf_insns` is NULL
/// rejects (0); a NULL `fp` or `h` also returns 0, a NULL `pkt` is an empty
/// packet.
#[no_mangle]
pub extern "C" fn pcap_offline_filter(fp: *const bpf_program, h: *const pcap_pkthdr, pkt: *const u8) -> c_int {
    ffi!(0, {
        if fp.is_null() || h.is_null() {
            return 0;
        }
        // SAFETY: both non-NULL and, by the C contract, valid for reads.
        let (fp, h) = unsafe { (&*fp, &*h) };
        let insns = fp.bf_insns as *const bpf_insn;
        if insns.is_null() {
            return 0;
        }
        // SAFETY: the C contract: `h.caplen` bytes at `pkt` (or NULL).
        let data = unsafe { packet(pkt, h.caplen) };
        run(insns, data, h.len) as c_int
    })
}

/// `bpf_validate`: 1 if the `len` instructions at `f` pass libpcap's
/// validator, else 0. Borrows `f` for the call; NULL or `len < 1` gives 0.
#[no_mangle]
pub extern "C" fn bpf_validate(f: *const bpf_insn, len: c_int) -> c_int {
    ffi!(0, {
        if f.is_null() || len < 1 {
            return 0;
        }
        // SAFETY: the caller passes `len` instructions at `f`.
        let prog = unsafe { std::slice::from_raw_parts(f, len as usize) };
        validate(prog) as c_int
    })
}

/// `bpf_image`: one instruction listed as number `n`, as in `tcpdump -d`.
///
/// Ownership: the returned string is ringcap's, in a per-thread buffer valid
/// until the next `bpf_image` call on the same thread (libpcap uses one
/// static buffer). NULL if `p` is NULL.
#[no_mangle]
pub extern "C" fn bpf_image(p: *const bpf_insn, n: c_int) -> *mut c_char {
    ffi!(std::ptr::null_mut(), {
        if p.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: non-NULL, and one instruction by the C contract.
        let insn = unsafe { std::ptr::read_unaligned(p) };
        // `as usize` sign-extends; `image` takes it back modulo 2^32.
        let text = image::image(&insn, n as isize as usize);
        IMAGE.try_with(|b| b.set(&text) as *mut c_char).unwrap_or(std::ptr::null_mut())
    })
}

/// `bpf_dump`: print the program to stdout, through libc's stdio (so it
/// interleaves with the caller's own `printf` output): option 0 or 1 as
/// `tcpdump -d`, 2 as `-dd`, more as `-ddd`.
///
/// Ownership: borrows `p` for the call. A NULL `p` prints nothing; a NULL
/// `bf_insns` (or a `bf_len` that is negative as libpcap's `int`) prints no
/// instructions, only the count for option > 2.
#[no_mangle]
pub extern "C" fn bpf_dump(p: *const bpf_program, option: c_int) {
    ffi!((), {
        if p.is_null() {
            return;
        }
        // SAFETY: non-NULL and valid for reads (C contract).
        let (n, insns) = unsafe { ((*p).bf_len as c_int, (*p).bf_insns as *const bpf_insn) };
        let text = if n > 0 && !insns.is_null() {
            // SAFETY: `bf_len` instructions at `bf_insns` (C contract).
            image::dump(unsafe { std::slice::from_raw_parts(insns, n as usize) }, option)
        } else if option > 2 {
            format!("{n}\n")
        } else {
            String::new()
        };
        let Ok(text) = CString::new(text) else { return };
        // SAFETY: both are valid NUL-terminated strings; "%s" consumes one.
        unsafe { libc::printf(c"%s".as_ptr(), text.as_ptr()) };
    })
}

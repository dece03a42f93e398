//! Filter compilation exports: `pcap_compile`, `pcap_compile_nopcap`,
//! `pcap_freecode`.
//!
//! Ownership: a successful compile fills the caller's `struct bpf_program`
//! with an instruction array allocated with `malloc`; the caller releases it
//! with `pcap_freecode` (or `free`). `pcap_freecode` leaves the structure
//! empty, so a second call is harmless.

use std::ffi::{c_char, c_int, c_uint};

use super::cstr::borrow;
use super::handle::{not_activated, pcap_t, Engine};
use super::types::{bpf_insn, bpf_program};
use crate::error::code;
use crate::filter::{self, CompileOptions, Origin};

/// Copy a program into a malloc'ed array owned by `program`.
///
/// # Safety
/// `program` must point to a writable `struct bpf_program`.
unsafe fn store_program(program: *mut bpf_program, insns: &[bpf_insn]) -> bool {
    let bytes = std::mem::size_of_val(insns);
    // SAFETY: malloc has no preconditions; the result is checked.
    let p = unsafe { libc::malloc(bytes.max(1)) } as *mut bpf_insn;
    if p.is_null() {
        return false;
    }
    // SAFETY: `p` has room for insns.len() instructions; `program` is
    // writable (caller's contract).
    unsafe {
        std::ptr::copy_nonoverlapping(insns.as_ptr(), p, insns.len());
        (*program).bf_insns = p;
        (*program).bf_len = insns.len() as c_uint;
    }
    true
}

/// The expression text (`NULL` compiles as the empty expression).
///
/// # Safety
/// `buf` must be NULL or a NUL-terminated string.
unsafe fn expr_text<'a>(buf: *const c_char) -> std::borrow::Cow<'a, str> {
    // SAFETY: caller's contract.
    unsafe { borrow(buf) }.unwrap_or(std::borrow::Cow::Borrowed(""))
}

/// `pcap_compile`: compile `buf` for the handle's link type and snapshot
/// length. Returns 0, or `PCAP_ERROR` with the message in `pcap_geterr(p)`.
/// A NULL or closed handle, or a NULL `program`, gives `PCAP_ERROR`.
/// Thread-safe for distinct handles (and for one handle, apart from the
/// error buffer it shares).
#[no_mangle]
pub unsafe extern "C" fn pcap_compile(
    p: *mut pcap_t,
    program: *mut bpf_program,
    buf: *const c_char,
    optimize: c_int,
    mask: u32,
) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer (checked by from_ptr).
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        let info = h.info();
        if !info.activated {
            h.set_errmsg("not-yet-activated pcap_t passed to pcap_compile");
            return code::ERROR;
        }
        if program.is_null() {
            h.set_errmsg("pcap_compile: NULL struct bpf_program pointer");
            return code::ERROR;
        }
        let opts = CompileOptions {
            linktype: info.linktype,
            snaplen: info.snapshot as u32,
            optimize: optimize != 0,
            netmask: mask,
            linux_vlan_ancillary: info.vlan_ancillary,
        };
        // libpcap records a version only for savefiles.
        let origin =
            if info.version_major != 0 { Origin::Savefile { swapped: info.swapped } } else { Origin::Capture };
        // SAFETY: caller passes a NUL-terminated string or NULL.
        let expr = unsafe { expr_text(buf) };
        match filter::compile_for(&expr, &opts, origin) {
            Ok(insns) => {
                // SAFETY: program is non-NULL and the caller's writable struct.
                if unsafe { store_program(program, &insns) } {
                    0
                } else {
                    h.set_errmsg("malloc");
                    code::ERROR
                }
            }
            Err(e) => h.fail(&e),
        }
    })
}

/// `pcap_compile_nopcap`: compile for a link type and snapshot length
/// without a handle. Returns 0 or `PCAP_ERROR` (the message is lost, as in
/// libpcap).
#[no_mangle]
pub unsafe extern "C" fn pcap_compile_nopcap(
    snaplen: c_int,
    linktype: c_int,
    program: *mut bpf_program,
    buf: *const c_char,
    optimize: c_int,
    mask: u32,
) -> c_int {
    ffi!(code::ERROR, {
        if program.is_null() {
            return code::ERROR;
        }
        let opts = CompileOptions {
            linktype,
            snaplen: snaplen as u32,
            optimize: optimize != 0,
            netmask: mask,
            linux_vlan_ancillary: false,
        };
        // SAFETY: caller passes a NUL-terminated string or NULL.
        let expr = unsafe { expr_text(buf) };
        match filter::compile(&expr, &opts) {
            // SAFETY: program is non-NULL and the caller's writable struct.
            Ok(insns) if unsafe { store_program(program, &insns) } => 0,
            _ => code::ERROR,
        }
    })
}

/// `pcap_freecode`: free the instructions of a program filled by
/// `pcap_compile` and reset it (`bf_len` 0, `bf_insns` NULL). NULL is
/// ignored.
#[no_mangle]
pub unsafe extern "C" fn pcap_freecode(program: *mut bpf_program) {
    ffi!((), {
        if program.is_null() {
            return;
        }
        // SAFETY: non-NULL pointer to the caller's struct; bf_insns is NULL
        // or an array this library allocated with malloc.
        unsafe {
            (*program).bf_len = 0;
            if !(*program).bf_insns.is_null() {
                libc::free((*program).bf_insns as *mut libc::c_void);
                (*program).bf_insns = std::ptr::null_mut();
            }
        }
    })
}

/// The longest program `pcap_setfilter` will look at; longer claims are
/// refused before the instructions are read (the kernel's own limit is
/// 4096, libpcap's userland interpreter has none).
const MAX_PROGRAM: u32 = 1 << 20;

/// Borrow a caller's program as instructions.
///
/// # Safety
/// `fp` must point to a `struct bpf_program` whose `bf_insns` holds
/// `bf_len` instructions (or is NULL).
pub(crate) unsafe fn program_insns<'a>(fp: *const bpf_program) -> Option<&'a [bpf_insn]> {
    // SAFETY: caller's contract.
    let (len, insns) = unsafe { ((*fp).bf_len, (*fp).bf_insns) };
    if insns.is_null() || len == 0 || len > MAX_PROGRAM {
        return None;
    }
    // SAFETY: caller's contract: `insns` holds `len` instructions.
    Some(unsafe { std::slice::from_raw_parts(insns, len as usize) })
}

/// `pcap_setfilter(p, fp)`: install a compiled program. Live captures run it
/// in the kernel (packets already queued are filtered in userland); files
/// run it in userland. The program is copied: the caller may free it right
/// after. Returns 0, or -1 with the handle's error set
/// (PCAP_ERROR_NOT_ACTIVATED before activation).
#[no_mangle]
pub unsafe extern "C" fn pcap_setfilter(p: *mut pcap_t, fp: *mut bpf_program) -> c_int {
    ffi!(code::ERROR, {
        // SAFETY: `p` is NULL or a handle pointer (checked by from_ptr).
        let Some(h) = (unsafe { pcap_t::from_ptr(p) }) else { return code::ERROR };
        if fp.is_null() {
            return h.fail(&crate::Error::msg("setfilter: No filter specified"));
        }
        // SAFETY: non-NULL; the caller passes a program from pcap_compile or
        // one it built itself with bf_len instructions.
        let Some(insns) = (unsafe { program_insns(fp) }) else {
            return h.fail(&crate::Error::msg("BPF program is not valid"));
        };
        let mut g = match h.engine("pcap_setfilter") {
            Ok(g) => g,
            Err(e) => return h.fail(&e),
        };
        let r = match &mut *g {
            Engine::Live(c) => c.set_filter(insns),
            Engine::Offline(f) => {
                if crate::bpf::validate::validate(insns) {
                    f.set_filter(Some(insns));
                    Ok(())
                } else {
                    Err(crate::Error::msg("BPF program is not valid"))
                }
            }
            Engine::Inactive(_) => Err(not_activated()),
            Engine::Dead => Err(crate::Error::msg("A filter cannot be set on a pcap_open_dead pcap_t")),
        };
        match r {
            Ok(()) => 0,
            Err(e) => h.fail(&e),
        }
    })
}

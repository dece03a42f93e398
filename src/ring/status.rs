//! Status words shared with the kernel: `tp_status` of V1/V2 frames and
//! `block_status` of V3 blocks.
//!
//! The kernel fills a frame, issues a write barrier, then sets the status; we
//! load the status with Acquire (so the frame's contents are visible before
//! we read them) and hand the frame back with a Release store of
//! TP_STATUS_KERNEL (so our reads and in-place edits complete before the
//! kernel may reuse it). Every access goes through these functions.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The width of a status word: V1's `tp_status` is an `unsigned long`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    U32,
    U64,
}

/// Load a status word with Acquire ordering.
///
/// # Safety
/// `p` must be valid for reads of the word, aligned to its width, and point
/// into ring memory that stays mapped for the duration of the call.
pub unsafe fn load(p: *const u8, width: Width) -> u64 {
    match width {
        // SAFETY: caller guarantees a live, aligned u32 in shared memory;
        // atomics are the only way we touch it, so there is no data race.
        Width::U32 => unsafe { AtomicU32::from_ptr(p as *mut u32) }.load(Ordering::Acquire) as u64,
        // SAFETY: as above, for an aligned u64.
        Width::U64 => unsafe { AtomicU64::from_ptr(p as *mut u64) }.load(Ordering::Acquire),
    }
}

/// Store a status word with Release ordering.
///
/// # Safety
/// As for [`load`], and the frame/block must currently belong to user space
/// (we only ever hand back what the kernel handed us, or fill what the
/// kernel marked available).
pub unsafe fn store(p: *mut u8, width: Width, value: u64) {
    match width {
        // SAFETY: caller guarantees a live, aligned u32 owned by user space.
        Width::U32 => unsafe { AtomicU32::from_ptr(p as *mut u32) }.store(value as u32, Ordering::Release),
        // SAFETY: as above, for an aligned u64.
        Width::U64 => unsafe { AtomicU64::from_ptr(p as *mut u64) }.store(value, Ordering::Release),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_store_round_trip() {
        let mut w: [u64; 2] = [0; 2];
        let p = w.as_mut_ptr() as *mut u8;
        // SAFETY: `w` is live, aligned to 8, and only touched through these calls.
        unsafe {
            store(p, Width::U32, 0x1234_5678);
            assert_eq!(load(p, Width::U32), 0x1234_5678);
            store(p.add(8), Width::U64, u64::MAX);
            assert_eq!(load(p.add(8), Width::U64), u64::MAX);
        }
    }
}

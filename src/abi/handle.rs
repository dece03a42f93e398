//! The `pcap_t` handle as C sees it: an opaque, heap-allocated shell around
//! the safe core.
//!
//! Ownership: `pcap_create`, `pcap_open_live`, `pcap_open_dead*` and the
//! offline openers allocate a handle; `pcap_close` is its one free function.
//! Pointers into the handle's own storage (`pcap_geterr`'s buffer,
//! `pcap_next_ex`'s header, `ringcap_packet_meta`'s descriptor) stay
//! dereferenceable as long as the handle; their contents are rewritten by
//! the next call that fills them.
//!
//! Re-entrancy: a `pcap_loop`/`pcap_dispatch` callback may call back into
//! the same handle. The engine (the capture or file reader) is borrowed
//! mutably for the whole read, so calls that need it are refused while
//! `busy` is set; calls that only read `Info` (datalink, snapshot,
//! precision: what `pcap_dump_open` needs), the error buffer, statistics
//! (through `LiveShared`) or the breakloop signal work from callbacks, from
//! signal handlers and, for `pcap_breakloop`, from other threads.
//! `pcap_close` inside a callback is deferred until the read returns.

use std::cell::{Cell, UnsafeCell};
use std::collections::HashSet;
use std::ffi::c_char;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::capture::{LiveCapture, LiveShared, Options};
use crate::error::{code, truncate_for_errbuf, Error, ERRBUF_SIZE};
use crate::packet::{Breaker, PacketHeader, Precision};

const ALIVE: u32 = 0x7263_6170; // "rcap"
const CLOSED: u32 = 0xdead_c10e;

/// What the handle is.
pub enum Engine {
    /// Created, not yet activated: the options being set.
    Inactive(Box<Options>),
    Live(Box<LiveCapture>),
    /// `pcap_open_dead`: a link type and snapshot length, nothing to read.
    Dead,
    /// A savefile being read (`pcap_open_offline` and friends).
    Offline(Box<crate::savefile::Offline>),
}

/// Facts about the handle that stay readable while the engine is busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    pub activated: bool,
    pub linktype: i32,
    /// The extension bits of a savefile's link-type field
    /// (`pcap_datalink_ext`; written back by `pcap_dump_open`).
    pub linktype_ext: u32,
    pub snapshot: i32,
    pub precision: Precision,
    /// Live Linux captures whose kernel has SKF_AD_VLAN_TAG_PRESENT
    /// (libpcap's BPF_SPECIAL_VLAN_HANDLING for the filter compiler).
    pub vlan_ancillary: bool,
    /// `pcap_fileno`; -1 where there is none.
    pub fd: i32,
    /// `pcap_get_selectable_fd`; -1 where there is none.
    pub selectable_fd: i32,
    pub bufsize: i32,
    /// Savefile facts (`pcap_is_swapped`, `pcap_major_version`, ...).
    pub swapped: bool,
    pub version_major: i32,
    pub version_minor: i32,
}

impl Default for Info {
    fn default() -> Self {
        Info {
            activated: false,
            linktype: 0,
            linktype_ext: 0,
            snapshot: 0,
            precision: Precision::Micro,
            vlan_ancillary: false,
            fd: -1,
            selectable_fd: -1,
            bufsize: 0,
            swapped: false,
            version_major: 0,
            version_minor: 0,
        }
    }
}

/// Every live handle's address, so that a second `pcap_close` (or a close
/// of something that never was a handle) is detected instead of freeing
/// twice.
static HANDLES: Lazy<Mutex<HashSet<usize>>> = Lazy::new(|| Mutex::new(HashSet::new()));

/// The C `pcap_t`. Opaque to C; never moved once allocated.
pub struct pcap_t {
    magic: Cell<u32>,
    errbuf: UnsafeCell<[u8; ERRBUF_SIZE]>,
    busy: Cell<bool>,
    close_pending: Cell<bool>,
    info: Cell<Info>,
    /// `info.linktype`, shared with the pcapng dumpers opened on this
    /// handle (which write an interface per link type the handle has had;
    /// they may outlive the handle).
    linktype_now: Arc<AtomicI32>,
    breaker: Arc<Breaker>,
    live: once_cell::unsync::OnceCell<Arc<LiveShared>>,
    /// Storage for the header `pcap_next_ex` points to.
    pub(crate) next_hdr: UnsafeCell<PacketHeader>,
    /// The header and data a running read callback was handed (null
    /// outside callbacks), for `ringcap_packet_meta`.
    pub(crate) in_callback: Cell<(*const PacketHeader, *const u8)>,
    /// Storage for the descriptor `ringcap_packet_meta` points to.
    pub(crate) meta_out: UnsafeCell<super::batch::ringcap_packet>,
    engine: UnsafeCell<Engine>,
}

impl pcap_t {
    /// Allocate a handle; the pointer is owned by the caller until
    /// `pcap_close`.
    pub(crate) fn alloc(engine: Engine, info: Info, breaker: Arc<Breaker>) -> *mut pcap_t {
        let p = Box::into_raw(Box::new(pcap_t {
            magic: Cell::new(ALIVE),
            errbuf: UnsafeCell::new([0; ERRBUF_SIZE]),
            busy: Cell::new(false),
            close_pending: Cell::new(false),
            info: Cell::new(info),
            linktype_now: Arc::new(AtomicI32::new(info.linktype)),
            breaker,
            live: once_cell::unsync::OnceCell::new(),
            next_hdr: UnsafeCell::new(PacketHeader::default()),
            in_callback: Cell::new((std::ptr::null(), std::ptr::null())),
            meta_out: UnsafeCell::new(Default::default()),
            engine: UnsafeCell::new(engine),
        }));
        HANDLES.lock().insert(p as usize);
        p
    }

    /// Borrow a handle from C. `None` for NULL or a pointer that does not
    /// carry a live handle's mark (a closed handle, mostly).
    ///
    /// # Safety
    /// `p` must be NULL or point to memory that was a `pcap_t` allocated by
    /// [`pcap_t::alloc`] (the mark check catches most use after close; it
    /// cannot catch memory that was reused since).
    pub(crate) unsafe fn from_ptr<'a>(p: *mut pcap_t) -> Option<&'a pcap_t> {
        if p.is_null() {
            return None;
        }
        // SAFETY: caller's contract: `p` points to a pcap_t allocation.
        let h = unsafe { &*p };
        (h.magic.get() == ALIVE).then_some(h)
    }

    pub(crate) fn info(&self) -> Info {
        self.info.get()
    }

    pub(crate) fn set_info(&self, info: Info) {
        self.info.set(info);
        self.linktype_now.store(info.linktype, Ordering::Relaxed);
    }

    /// The handle's link type as it changes (`pcap_set_datalink`).
    pub(crate) fn linktype_now(&self) -> Arc<AtomicI32> {
        self.linktype_now.clone()
    }

    pub(crate) fn breaker(&self) -> &Arc<Breaker> {
        &self.breaker
    }

    /// The live capture's shared part (statistics), if any.
    pub(crate) fn live_shared(&self) -> Option<&Arc<LiveShared>> {
        self.live.get()
    }

    /// The error buffer `pcap_geterr` returns; valid until `pcap_close`.
    pub(crate) fn errbuf_ptr(&self) -> *mut c_char {
        self.errbuf.get() as *mut c_char
    }

    /// Set the handle's error message (libpcap's `p->errbuf`).
    pub(crate) fn set_errmsg(&self, msg: &str) {
        let m = truncate_for_errbuf(msg).as_bytes();
        // SAFETY: the buffer is owned by this handle; no reference into it is
        // held across this call (C may hold a pointer, and reads it after).
        let buf = unsafe { &mut *self.errbuf.get() };
        buf[..m.len()].copy_from_slice(m);
        buf[m.len()] = 0;
    }

    /// Record an error value: its text (or, for an empty message, libpcap's
    /// description of the code) goes to the error buffer. Returns the code.
    pub(crate) fn fail(&self, e: &Error) -> i32 {
        self.set_errmsg(e.text());
        e.code
    }

    /// The error buffer's current text.
    pub(crate) fn errmsg(&self) -> String {
        // SAFETY: see set_errmsg.
        let buf = unsafe { &*self.errbuf.get() };
        let n = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    /// Whether a read on this handle is running (a call from inside one of
    /// its callbacks).
    pub(crate) fn reading(&self) -> bool {
        self.busy.get()
    }

    /// Borrow the engine for an operation. Refused while a read loop on this
    /// handle is running (a call from inside a callback).
    pub(crate) fn engine(&self, what: &str) -> Result<EngineGuard<'_>, Error> {
        if self.busy.get() {
            return Err(Error::msg(format!("{what}: not allowed from inside a callback of a read on the same pcap_t")));
        }
        self.busy.set(true);
        Ok(EngineGuard { h: self })
    }

    /// Switch an inactive handle to its activated engine.
    pub(crate) fn install(&self, guard: &mut EngineGuard<'_>, engine: Engine, info: Info, live: Option<Arc<LiveShared>>) {
        **guard = engine;
        self.set_info(info);
        if let Some(l) = live {
            // A handle is activated once, so the cell is still empty.
            let _ = self.live.set(l);
        }
    }

    /// `pcap_close`: free now, or, from inside a callback, stop the read and
    /// free when it returns.
    ///
    /// # Safety
    /// `p` must be NULL or a pointer returned by an allocator of this module
    /// (double closes are detected through the handle registry).
    pub(crate) unsafe fn close(p: *mut pcap_t) {
        if p.is_null() || !HANDLES.lock().contains(&(p as usize)) {
            return;
        }
        // SAFETY: registered, hence a live allocation from `alloc`.
        let h = unsafe { &*p };
        if h.busy.get() {
            h.close_pending.set(true);
            h.breaker.request();
            return;
        }
        HANDLES.lock().remove(&(p as usize));
        h.magic.set(CLOSED);
        // SAFETY: `p` came from Box::into_raw in `alloc`, was registered, and
        // is now unregistered, so it is freed exactly once.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Exclusive access to a handle's engine; clears `busy` when dropped.
pub(crate) struct EngineGuard<'a> {
    h: &'a pcap_t,
}

impl EngineGuard<'_> {
    /// Whether `pcap_close` was called on this handle while the guard was
    /// held (the caller must then free the handle once the guard is gone).
    pub(crate) fn close_requested(&self) -> bool {
        self.h.close_pending.get()
    }
}

impl std::ops::Deref for EngineGuard<'_> {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        // SAFETY: `busy` guarantees this guard is the only access path to the
        // engine while it lives.
        unsafe { &*self.h.engine.get() }
    }
}

impl std::ops::DerefMut for EngineGuard<'_> {
    fn deref_mut(&mut self) -> &mut Engine {
        // SAFETY: as above; &mut self makes the borrow unique.
        unsafe { &mut *self.h.engine.get() }
    }
}

impl Drop for EngineGuard<'_> {
    fn drop(&mut self) {
        self.h.busy.set(false);
    }
}

/// The standard "not activated" failure (libpcap's message and code).
pub(crate) fn not_activated() -> Error {
    Error::new(code::NOT_ACTIVATED, "This handle hasn't been activated yet")
}

/// The failure for a call that needs a live capture's ring: not activated
/// yet, or not a live capture (savefile, `pcap_open_dead`).
pub(crate) fn no_ring(engine: &Engine, what: &str) -> Error {
    match engine {
        Engine::Inactive(_) => not_activated(),
        _ => Error::msg(format!("{what}: not a live capture")),
    }
}

/// The standard "already activated" failure.
pub(crate) fn already_activated() -> Error {
    Error::new(code::ACTIVATED, "can't perform  operation on activated capture")
}

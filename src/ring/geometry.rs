//! Ring geometry: block size, block count, frame size and frame count for a
//! PACKET_RX_RING / PACKET_TX_RING request, computed and checked against the
//! constraints of packet_mmap.txt and of the kernel's `packet_set_ring`.
//!
//! Pure: no system calls (the page size and block-order limit come in as
//! [`Limits`]), so every rule is unit-tested without privileges.
//!
//! The constraints, each reported by name when violated:
//! - the block size is a multiple of the page size, and (ringcap's policy,
//!   packet_mmap.txt's advice) a power of two so no memory is wasted;
//! - the block size is at most `PAGE_SIZE << MAX_PAGE_ORDER`, the largest
//!   physically contiguous block (larger blocks silently fall back to vmalloc);
//! - the frame size is a multiple of TPACKET_ALIGNMENT (16) and larger than
//!   the frame header (`tp_hdrlen + tp_reserve`);
//! - at least one frame fits in a block; frames per block x blocks = frames;
//! - V3: the block holds its descriptor, the private area and one frame;
//! - the block vector (one pointer per block) fits in one kmalloc.

use std::fmt;

/// TPACKET_ALIGNMENT.
pub const TPACKET_ALIGNMENT: u32 = 16;

/// TPACKET_ALIGN(x).
pub const fn tpacket_align(x: u32) -> u32 {
    (x + TPACKET_ALIGNMENT - 1) & !(TPACKET_ALIGNMENT - 1)
}

/// `sizeof(struct sockaddr_ll)`.
const SOCKADDR_LL_LEN: u32 = 20;
/// `sizeof(struct tpacket_block_desc)` aligned to 8 (the kernel's BLK_HDR_LEN).
pub const V3_BLOCK_DESC_LEN: u32 = 48;

/// A TPACKET version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    V1,
    V2,
    V3,
}

impl Version {
    /// The value for PACKET_VERSION.
    pub fn to_kernel(self) -> i32 {
        match self {
            Version::V1 => 0,
            Version::V2 => 1,
            Version::V3 => 2,
        }
    }

    /// ringcap's API numbers versions 1, 2, 3.
    pub fn from_number(n: i32) -> Option<Version> {
        match n {
            1 => Some(Version::V1),
            2 => Some(Version::V2),
            3 => Some(Version::V3),
            _ => None,
        }
    }

    pub fn number(self) -> i32 {
        match self {
            Version::V1 => 1,
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }

    /// The kernel's `tp_hdrlen` for this version: the aligned frame header
    /// plus the `sockaddr_ll` that follows it (TPACKET{,2,3}_HDRLEN).
    pub fn hdrlen(self) -> u32 {
        let hdr = match self {
            Version::V1 => 32, // struct tpacket_hdr on 64-bit
            Version::V2 => 32, // struct tpacket2_hdr
            Version::V3 => 48, // struct tpacket3_hdr
        };
        tpacket_align(hdr) + SOCKADDR_LL_LEN
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TPACKET_V{}", self.number())
    }
}

/// What the running kernel and machine allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub page_size: u32,
    /// MAX_PAGE_ORDER: the largest order `__get_free_pages` serves.
    pub max_order: u32,
}

impl Limits {
    /// The largest physically contiguous block.
    pub fn max_block(&self) -> u32 {
        self.page_size.saturating_mul(1 << self.max_order.min(20))
    }

    /// The largest number of blocks: one 8-byte pointer each in a vector that
    /// must fit one kmalloc (KMALLOC_MAX_SIZE = the largest contiguous block).
    pub fn max_blocks(&self) -> u32 {
        self.max_block() / 8
    }

    /// Limits of this machine: the page size from sysconf, the order limit
    /// from /proc/buddyinfo's column count (orders 0..=MAX), 10 if unreadable.
    pub fn probe() -> Limits {
        let page_size = crate::sys::page_size() as u32;
        let max_order = std::fs::read_to_string("/proc/buddyinfo")
            .ok()
            .and_then(|s| {
                let line = s.lines().next()?;
                // "Node 0, zone DMA n0 n1 ... nMAX"
                let counts = line.split_whitespace().skip(4).count();
                (counts > 0).then(|| counts as u32 - 1)
            })
            .unwrap_or(10);
        Limits { page_size, max_order }
    }
}

/// A complete ring request, as handed to PACKET_RX_RING / PACKET_TX_RING.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingGeometry {
    pub version: Version,
    pub block_size: u32,
    pub block_nr: u32,
    pub frame_size: u32,
    pub frame_nr: u32,
    /// V3 only: the block retire timeout in ms (0: the kernel chooses).
    pub retire_blk_tov: u32,
    /// V3 only: bytes of private area per block.
    pub sizeof_priv: u32,
    /// V3 only: TP_FT_REQ_FILL_RXHASH or 0.
    pub feature_req_word: u32,
}

impl RingGeometry {
    /// Total bytes the ring maps.
    pub fn size(&self) -> usize {
        self.block_size as usize * self.block_nr as usize
    }

    pub fn frames_per_block(&self) -> u32 {
        self.block_size / self.frame_size.max(1)
    }
}

/// A violated constraint, named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeometryError(pub String);

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<GeometryError> for crate::Error {
    fn from(e: GeometryError) -> crate::Error {
        crate::Error::msg(e.0)
    }
}

fn err<T>(msg: String) -> Result<T, GeometryError> {
    Err(GeometryError(msg))
}

/// The smallest legal frame for this version and reserve (`tp_hdrlen +
/// tp_reserve`, aligned): the kernel refuses anything smaller.
pub fn min_frame(version: Version, reserve: u32) -> u32 {
    tpacket_align(version.hdrlen() + reserve)
}

/// Check a geometry against every constraint; `reserve` is PACKET_RESERVE.
pub fn validate(g: &RingGeometry, reserve: u32, limits: &Limits) -> Result<(), GeometryError> {
    let page = limits.page_size;
    if g.block_size == 0 || g.block_nr == 0 || g.frame_size == 0 {
        return err(format!(
            "ring geometry: block size ({}), block count ({}) and frame size ({}) must all be non-zero",
            g.block_size, g.block_nr, g.frame_size
        ));
    }
    if g.block_size % page != 0 {
        return err(format!("ring geometry: block size {} is not a multiple of the page size {page}", g.block_size));
    }
    if !g.block_size.is_power_of_two() {
        return err(format!("ring geometry: block size {} is not a power of two", g.block_size));
    }
    if g.block_size > limits.max_block() {
        return err(format!(
            "ring geometry: block size {} exceeds the largest contiguous block {} (PAGE_SIZE << MAX_PAGE_ORDER {})",
            g.block_size,
            limits.max_block(),
            limits.max_order
        ));
    }
    if g.frame_size % TPACKET_ALIGNMENT != 0 {
        return err(format!(
            "ring geometry: frame size {} is not a multiple of TPACKET_ALIGNMENT ({TPACKET_ALIGNMENT})",
            g.frame_size
        ));
    }
    let min = g.version.hdrlen() + reserve;
    if g.frame_size < min {
        return err(format!(
            "ring geometry: frame size {} is smaller than the {} frame header ({} bytes with a reserve of {reserve})",
            g.frame_size, g.version, min
        ));
    }
    if g.frame_size > g.block_size {
        return err(format!(
            "ring geometry: frame size {} does not fit in a block of {} bytes",
            g.frame_size, g.block_size
        ));
    }
    if g.version == Version::V3 {
        let need = V3_BLOCK_DESC_LEN as u64 + ((g.sizeof_priv as u64 + 7) & !7) + min as u64;
        if (g.block_size as u64) < need {
            return err(format!(
                "ring geometry: a TPACKET_V3 block of {} bytes cannot hold its descriptor, a private area of {} bytes and one frame ({need} bytes needed)",
                g.block_size, g.sizeof_priv
            ));
        }
        if g.sizeof_priv >= u32::MAX / 4 {
            return err(format!("ring geometry: private area of {} bytes is too large", g.sizeof_priv));
        }
    } else if g.retire_blk_tov != 0 || g.sizeof_priv != 0 || g.feature_req_word != 0 {
        return err(format!(
            "ring geometry: block timeout, private area and rxhash are TPACKET_V3 features, not {}",
            g.version
        ));
    }
    if g.block_nr > limits.max_blocks() {
        return err(format!(
            "ring geometry: {} blocks exceed the kernel's block vector limit of {}",
            g.block_nr,
            limits.max_blocks()
        ));
    }
    let per_block = g.frames_per_block();
    if per_block as u64 * g.block_nr as u64 != g.frame_nr as u64 {
        return err(format!(
            "ring geometry: frame count {} is not frames per block ({per_block}) x blocks ({})",
            g.frame_nr, g.block_nr
        ));
    }
    if g.size() > isize::MAX as usize / 2 {
        return err(format!("ring geometry: ring of {} bytes is too large", g.size()));
    }
    Ok(())
}

/// Check that a ring could exist on a machine with `memory` bytes of RAM
/// (0: unknown, not checked). Ring memory is the kernel's own and never
/// swapped; the kernel does not refuse a ring larger than the machine but
/// allocates block after block until memory runs out (waking the OOM
/// killer) and only then fails, so a ring that cannot fit is refused first.
pub fn fits_memory(g: &RingGeometry, memory: u64) -> Result<(), GeometryError> {
    if memory > 0 && g.size() as u64 > memory {
        return err(format!("ring geometry: a ring of {} bytes does not fit in this machine's {memory} bytes of memory", g.size()));
    }
    Ok(())
}

/// What a ring has to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingRequest {
    pub version: Version,
    /// Total bytes wanted for the ring (rounded to whole blocks).
    pub buffer_bytes: usize,
    /// The most link-layer bytes one packet may need in the ring: the
    /// snapshot length, bounded by what the device can deliver.
    pub max_packet: u32,
    /// PACKET_RESERVE bytes.
    pub reserve: u32,
    /// V3 block retire timeout in ms (0: the kernel's default).
    pub retire_blk_tov: u32,
    /// V3 private area per block.
    pub sizeof_priv: u32,
    /// V3 TP_FT_REQ_FILL_RXHASH.
    pub feature_req_word: u32,
}

/// The largest offset at which the kernel starts the packet in a frame.
/// `tpacket_rcv` puts the network header at `TPACKET_ALIGN(tp_hdrlen +
/// max(16, maclen)) + reserve` and the MAC header `maclen` bytes before it,
/// so the packet (MAC header included) starts at most at
/// `TPACKET_ALIGN(tp_hdrlen + 16) + reserve` (the maclen = 0 case, which is
/// also where cooked sockets put it).
pub fn max_mac_offset(version: Version, reserve: u32) -> u32 {
    tpacket_align(version.hdrlen() + 16) + reserve
}

/// The largest power of two not above `x` (1 for 0).
fn pow2_floor(x: usize) -> u32 {
    let x = x.clamp(1, u32::MAX as usize) as u32;
    1 << (31 - x.leading_zeros())
}

/// Among the power-of-two blocks from `smallest` to `largest`, the one that
/// wastes the smallest share of itself on `frame_size` frames (ties to the
/// smaller block); larger blocks are not tried once one holds `enough`
/// frames.
pub fn least_waste_block(frame_size: u32, smallest: u32, largest: u32, enough: u32) -> u32 {
    let mut best = (u64::MAX, smallest);
    let mut b = smallest;
    while b <= largest {
        let waste = (b % frame_size) as u64 * 1_000_000 / b as u64;
        if waste < best.0 {
            best = (waste, b);
        }
        if b / frame_size >= enough {
            break;
        }
        b = match b.checked_mul(2) {
            Some(n) => n,
            None => break,
        };
    }
    best.1
}

/// V1/V2 rings are cut into about this many blocks at most (the kernel
/// fills frames, not blocks: the block only bounds the frame packing).
const FRAME_RING_BLOCKS: usize = 16;
/// How many blocks a V3 ring is cut into, for a block timeout of `tov` ms
/// (0: the kernel's, a few ms). Every block the kernel hands over costs a
/// wake-up, paid mostly on the sending CPU with veth, so blocks should be
/// large: 16 of them (measured: 256 KiB blocks instead of 2 MiB doubled the
/// consumer's CPU per packet at 1.2 Mpps). But a block also goes over when
/// its timeout expires, however little it holds, so at a low rate the ring
/// holds only blocks x timeout of traffic: with a short timeout (immediate
/// mode, `tcpdump` with no timeout) more, smaller blocks keep that at about
/// 1.6 s. Their wake-ups are bounded by the timer, which fires as often
/// whatever the block size.
fn v3_block_count(tov: u32) -> usize {
    let tov = if tov == 0 { 8 } else { tov } as usize;
    (1600 / tov).clamp(16, 128)
}

/// Compute a geometry for a request. Blocks are powers of two between the
/// smallest that holds one packet and the buffer's share for the version's
/// block count, within the contiguous limit:
/// - V1/V2: one frame holds the largest packet; among those block sizes the
///   one that packs frames with the least waste;
/// - V3: frames are variable; the largest such block (1/16 to 1/128 of the
///   buffer, by the block timeout: see `v3_block_count`).
///
/// The block count is the buffer divided by the block size (at least 2).
pub fn plan(req: &RingRequest, limits: &Limits) -> Result<RingGeometry, GeometryError> {
    let page = limits.page_size.max(4096);
    let max_block = limits.max_block().max(page);
    let mac = max_mac_offset(req.version, req.reserve);
    let frame_need = tpacket_align(mac.saturating_add(req.max_packet));
    let one = match req.version {
        Version::V3 => V3_BLOCK_DESC_LEN + ((req.sizeof_priv + 7) & !7) + frame_need,
        _ => frame_need,
    };
    let smallest = one.max(page).checked_next_power_of_two().unwrap_or(u32::MAX);
    if smallest > max_block {
        return err(format!(
            "ring geometry: one packet of {} bytes needs {one} bytes, more than the largest block {max_block}",
            req.max_packet
        ));
    }
    let share = match req.version {
        Version::V3 => v3_block_count(req.retire_blk_tov),
        _ => FRAME_RING_BLOCKS,
    };
    let largest = pow2_floor(req.buffer_bytes / share).clamp(smallest, max_block);
    let (block_size, frame_size) = match req.version {
        Version::V1 | Version::V2 => {
            (least_waste_block(frame_need, smallest, largest, u32::MAX), frame_need)
        }
        // The kernel ignores the V3 frame size for reception but checks it:
        // the smallest legal one keeps frame_nr meaningful.
        Version::V3 => (largest, min_frame(req.version, req.reserve)),
    };
    let blocks = (req.buffer_bytes / block_size as usize).clamp(2, limits.max_blocks() as usize) as u32;
    let g = RingGeometry {
        version: req.version,
        block_size,
        block_nr: blocks,
        frame_size,
        frame_nr: (block_size / frame_size) * blocks,
        retire_blk_tov: if req.version == Version::V3 { req.retire_blk_tov } else { 0 },
        sizeof_priv: if req.version == Version::V3 { req.sizeof_priv } else { 0 },
        feature_req_word: if req.version == Version::V3 { req.feature_req_word } else { 0 },
    };
    validate(&g, req.reserve, limits)?;
    Ok(g)
}

/// After ENOMEM: the same ring with about 5 % fewer blocks (at least one
/// fewer), as libpcap shrinks; `None` when it cannot shrink further.
pub fn shrink(g: &RingGeometry) -> Option<RingGeometry> {
    if g.block_nr <= 1 {
        return None;
    }
    let fewer = if g.block_nr < 20 { 1 } else { g.block_nr / 20 };
    let block_nr = g.block_nr - fewer;
    Some(RingGeometry { block_nr, frame_nr: g.frames_per_block() * block_nr, ..*g })
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits { page_size: 4096, max_order: 10 };

    fn req(version: Version, buffer: usize, max_packet: u32) -> RingRequest {
        RingRequest {
            version,
            buffer_bytes: buffer,
            max_packet,
            reserve: 4,
            retire_blk_tov: 0,
            sizeof_priv: 0,
            feature_req_word: 0,
        }
    }

    #[test]
    fn header_lengths_match_the_kernel() {
        assert_eq!(Version::V1.hdrlen(), libc::TPACKET_HDRLEN as u32);
        assert_eq!(Version::V2.hdrlen(), libc::TPACKET2_HDRLEN as u32);
        assert_eq!(Version::V3.hdrlen(), libc::TPACKET3_HDRLEN as u32);
        assert_eq!(V3_BLOCK_DESC_LEN as usize, std::mem::size_of::<libc::tpacket_block_desc>());
    }

    #[test]
    fn v2_frames_hold_the_largest_packet_and_pack_tightly() {
        let g = plan(&req(Version::V2, 32 << 20, 1518), &L).unwrap();
        assert_eq!(g.frame_size % 16, 0);
        assert!(g.frame_size >= max_mac_offset(Version::V2, 4) + 1518);
        assert!(g.block_size.is_power_of_two());
        let waste = g.block_size % g.frame_size;
        assert!(waste * 20 < g.block_size, "waste {waste} of {}", g.block_size);
        assert_eq!(g.frame_nr, g.frames_per_block() * g.block_nr);
        assert_eq!(g.size(), (32 << 20) / g.block_size as usize * g.block_size as usize);
        validate(&g, 4, &L).unwrap();
    }

    #[test]
    fn v2_with_gso_sized_packets() {
        let g = plan(&req(Version::V2, 8 << 20, 65535 + 18), &L).unwrap();
        assert!(g.frame_size > 65535);
        assert!(g.frames_per_block() >= 1);
        validate(&g, 4, &L).unwrap();
    }

    #[test]
    fn v3_block_count_follows_the_block_timeout() {
        let at = |tov: u32, buffer: usize, max_packet: u32| {
            let g = plan(&RingRequest { retire_blk_tov: tov, ..req(Version::V3, buffer, max_packet) }, &L).unwrap();
            (g.block_size, g.block_nr)
        };
        // Long timeouts: 16 large blocks.
        assert_eq!(at(1000, 32 << 20, 65_553), (2 << 20, 16));
        assert_eq!(at(100, 32 << 20, 65_553), (2 << 20, 16));
        // Short ones (immediate mode's 1 ms, the kernel's default): 128.
        assert_eq!(at(1, 32 << 20, 65_553), (256 << 10, 128));
        assert_eq!(at(0, 32 << 20, 65_553), (256 << 10, 128));
        assert_eq!(at(25, 32 << 20, 65_553), (512 << 10, 64));
        // Never below what one packet needs.
        assert_eq!(at(1, 4 << 20, 65_553), (128 << 10, 32));
        assert_eq!(at(1000, 2 << 30, 1518), (4 << 20, 512), "capped at the contiguous limit");
        assert_eq!(at(1000, 64 << 10, 256), (4096, 16), "at least a page");
        let g = plan(&req(Version::V3, 64 << 10, 256), &L).unwrap();
        assert_eq!(g.frame_size, min_frame(Version::V3, 4));
        let g = plan(&req(Version::V3, 64 << 10, 262_144), &L).unwrap();
        assert_eq!((g.block_size, g.block_nr), (512 << 10, 2), "one packet must fit");
        validate(&g, 4, &L).unwrap();
    }

    #[test]
    fn small_buffers_still_get_two_blocks() {
        let g = plan(&req(Version::V3, 1, 100), &L).unwrap();
        assert_eq!(g.block_nr, 2);
    }

    #[test]
    fn impossible_requests_name_the_constraint() {
        let ok = RingGeometry {
            version: Version::V2,
            block_size: 8192,
            block_nr: 4,
            frame_size: 2048,
            frame_nr: 16,
            retire_blk_tov: 0,
            sizeof_priv: 0,
            feature_req_word: 0,
        };
        validate(&ok, 4, &L).unwrap();
        let e = |g: RingGeometry| validate(&g, 4, &L).unwrap_err().0;
        assert!(e(RingGeometry { block_size: 6000, ..ok }).contains("not a multiple of the page size"));
        assert!(e(RingGeometry { block_size: 12288, ..ok }).contains("not a power of two"));
        assert!(e(RingGeometry { block_size: 8 << 20, ..ok }).contains("largest contiguous block"));
        assert!(e(RingGeometry { frame_size: 2040, ..ok }).contains("TPACKET_ALIGNMENT"));
        assert!(e(RingGeometry { frame_size: 48, frame_nr: 4 * (8192 / 48), ..ok }).contains("frame header"));
        assert!(e(RingGeometry { frame_nr: 15, ..ok }).contains("frames per block"));
        assert!(e(RingGeometry { frame_size: 16384, ..ok }).contains("does not fit"));
        assert!(e(RingGeometry { retire_blk_tov: 5, ..ok }).contains("TPACKET_V3 features"));
        assert!(e(RingGeometry { block_nr: 0, ..ok }).contains("non-zero"));
        let v3 = RingGeometry { version: Version::V3, block_size: 4096, sizeof_priv: 4096, frame_size: 80, frame_nr: 4 * (4096 / 80), ..ok };
        assert!(e(v3).contains("private area"));
        assert!(plan(&req(Version::V2, 1 << 20, 8 << 20), &L).unwrap_err().0.contains("more than the largest block"));
    }

    #[test]
    fn rings_larger_than_memory_are_refused() {
        let g = RingGeometry { version: Version::V2, block_size: 4 << 20, block_nr: 1 << 19, frame_size: 2048, frame_nr: 2048 << 19, retire_blk_tov: 0, sizeof_priv: 0, feature_req_word: 0 };
        validate(&g, 4, &L).unwrap();
        let e = fits_memory(&g, 8 << 30).unwrap_err().0;
        assert_eq!(e, "ring geometry: a ring of 2199023255552 bytes does not fit in this machine's 8589934592 bytes of memory");
        fits_memory(&RingGeometry { block_nr: 2048, frame_nr: 2048 * 2048, ..g }, 8 << 30).unwrap();
        fits_memory(&g, 0).unwrap();
    }

    #[test]
    fn shrink_removes_five_percent() {
        let g = plan(&req(Version::V3, 400 << 20, 1518), &L).unwrap();
        let s = shrink(&g).unwrap();
        assert_eq!(s.block_nr, g.block_nr - g.block_nr / 20);
        assert_eq!(s.frame_nr, s.frames_per_block() * s.block_nr);
        let two = RingGeometry { block_nr: 2, frame_nr: 2 * g.frames_per_block(), ..g };
        assert_eq!(shrink(&two).unwrap().block_nr, 1);
        assert!(shrink(&RingGeometry { block_nr: 1, ..g }).is_none());
    }

    #[test]
    fn limits_probe_reads_this_machine() {
        let l = Limits::probe();
        assert!(l.page_size >= 4096);
        assert!((8..=20).contains(&l.max_order));
    }
}

//! The reading handle of a savefile (what `pcap_open_offline` and friends
//! open): recognises the format from the first four bytes, as libpcap does,
//! and delivers records with the semantics of libpcap's `pcap_offline_read`:
//! a count, `pcap_breakloop`, the filter, and 0 at the end of the file.
//!
//! Records of a mapped file are handed out as slices of the mapping; only
//! the few link types whose byte-swapped pseudo-headers libpcap rewrites are
//! copied first (see [`super::fixup`]).

use std::sync::Arc;

use super::fixup;
use super::pcap::PcapReader;
use super::pcapng::NgReader;
use super::prefetch::{Tuner, Way};
use super::source::{Source, Span, Taken};
use super::{read_error, FileInfo};
use crate::bpf::interp::Compiled;
use crate::bpf::insn::{BPF_K, BPF_RET};
use crate::bpf::Insn;
use crate::error::{Error, Result};
use crate::packet::{break_error, Breaker, Next, PacketHeader, PacketSource};
use crate::sys::stdio::CFile;

enum Format {
    Pcap(PcapReader),
    Ng(NgReader),
}

/// Where the current record's bytes are.
#[derive(Clone, Copy, Debug)]
enum Current {
    Source(Span),
    /// Copied out and rewritten (byte-swapped pseudo-headers).
    Scratch,
}

/// An open savefile.
pub struct Offline {
    src: Source,
    format: Format,
    info: FileInfo,
    /// Records need a writable copy to swap their pseudo-headers.
    swap_copy: bool,
    /// Record headers may need libpcap's USB length fix.
    fix_header: bool,
    /// `dispatch` may deliver records straight from the mapping (classic
    /// pcap in a mapping, no post-processing).
    in_place: bool,
    scratch: Vec<u8>,
    /// The current record's header and bytes.
    hdr: PacketHeader,
    cur: Current,
    /// The program records must pass (`pcap_setfilter` on a savefile),
    /// run by the userland interpreter as libpcap's `pcap_offline_read` does.
    filter: Option<Compiled>,
    breaker: Arc<Breaker>,
    /// How `run_in_place` prefetches, and how many records it has read.
    prefetch: Tuner,
    records: u64,
}

fn current<'a>(src: &'a Source, scratch: &'a [u8], cur: Current) -> &'a [u8] {
    match cur {
        Current::Source(s) => src.get(s),
        Current::Scratch => scratch,
    }
}

impl Offline {
    /// Read a savefile's headers. `precision` is the caller's
    /// `PCAP_TSTAMP_PRECISION_*` (checked once the format is known, as
    /// libpcap does).
    pub fn open(mut src: Source, precision: u32) -> Result<Offline> {
        let magic: [u8; 4] = match src.take(4).map_err(read_error)? {
            Taken::Full(s) => src.get(s).try_into().unwrap_or([0; 4]),
            Taken::Short(k) => {
                return Err(Error::msg(format!(
                    "truncated dump file; tried to read 4 file header bytes, only got {k}"
                )))
            }
        };
        let (format, info) = if let Some((r, info)) = PcapReader::open(magic, &mut src, precision)? {
            (Format::Pcap(r), info)
        } else if let Some((r, info)) = NgReader::open(magic, &mut src, precision)? {
            (Format::Ng(r), info)
        } else {
            return Err(Error::msg("unknown file format"));
        };
        let swap_copy = info.swapped && fixup::swaps_pseudo_header(info.linktype);
        let fix_header = fixup::fixes_header(info.linktype);
        let in_place = matches!(format, Format::Pcap(_)) && src.is_mapped() && !swap_copy && !fix_header;
        Ok(Offline {
            src,
            format,
            info,
            swap_copy,
            fix_header,
            in_place,
            scratch: Vec::new(),
            hdr: PacketHeader::default(),
            cur: Current::Scratch,
            filter: None,
            breaker: Arc::new(Breaker::new()),
            prefetch: Tuner::default(),
            records: 0,
        })
    }

    /// What the file says about itself.
    pub fn info(&self) -> FileInfo {
        self.info
    }

    /// The breakloop signal read loops honour (shared with `pcap_breakloop`).
    pub fn breaker(&self) -> &Arc<Breaker> {
        &self.breaker
    }

    /// Install (a validated program) or remove the filter records must
    /// pass: what `pcap_setfilter` does on a savefile handle.
    pub fn set_filter(&mut self, prog: Option<&[Insn]>) {
        // A lone `ret #k` with k != 0 (what `pcap_compile` makes of an empty
        // expression, which tcpdump always installs) accepts every record:
        // no need to run it.
        let accepts_all = |p: &[Insn]| matches!(p, [i] if i.code == BPF_RET | BPF_K && i.k != 0);
        self.filter = prog.filter(|p| !accepts_all(p)).map(Compiled::new);
    }

    /// Whether records are delivered without a copy.
    pub fn is_mapped(&self) -> bool {
        self.src.is_mapped()
    }

    /// The stdio stream behind the file (`pcap_file`); see [`Source::stdio`].
    pub fn stdio(&mut self) -> Option<&mut CFile> {
        self.src.stdio()
    }

    /// The file's descriptor, or -1.
    pub fn fileno(&mut self) -> i32 {
        self.src.fileno()
    }

    /// Read the next record into `hdr`/`cur`, post-processed as libpcap
    /// does; false at the end of the file.
    #[inline]
    fn read(&mut self) -> Result<bool> {
        let next = match &mut self.format {
            Format::Pcap(r) => r.next(&mut self.src, &mut self.hdr)?,
            Format::Ng(r) => r.next(&mut self.src, &mut self.hdr)?,
        };
        let Some(span) = next else { return Ok(false) };
        self.cur = Current::Source(span);
        if self.swap_copy {
            self.scratch.clear();
            self.scratch.extend_from_slice(self.src.get(span));
            fixup::swap_pseudo_header(self.info.linktype, self.hdr.len, &mut self.scratch);
            self.cur = Current::Scratch;
        }
        if self.fix_header {
            fixup::fix_header(self.info.linktype, &mut self.hdr, current(&self.src, &self.scratch, self.cur));
        }
        Ok(true)
    }

    /// Deliver ordinary records straight from the mapping, for `dispatch`:
    /// the same records, checks and callbacks as the general loop, without
    /// its per-record bookkeeping. Stops at the count (returning true), at a
    /// breakloop request, or at the first record that needs the checked
    /// reader (the end of the file, a malformed or oversized record),
    /// leaving it unread.
    fn run_in_place(&mut self, cnt: i32, n: &mut i32, cb: &mut dyn FnMut(&PacketHeader, &[u8])) -> bool {
        let Format::Pcap(r) = &self.format else { return false };
        let Some(bytes) = self.src.unread() else { return false };
        // What the loop reads, in locals (the callback is opaque: fields
        // would be loaded again after every call).
        let (base, hl, faults) = (self.src.position(), r.header_len(), self.src.faults());
        let (breaker, filter) = (&*self.breaker, self.filter.as_ref());
        let mut way = self.prefetch.way();
        // Where the prefetching or its tuner have work to do next.
        let mut due = base;
        let (mut off, mut records, mut delivered) = (0, 0, *n);
        let counted = loop {
            if breaker.pending() {
                break false;
            }
            let Some(len) = r.record_at(&bytes[off..], &mut self.hdr) else { break false };
            // The file shrank under the mapping while this call ran: the
            // header may be zeros; the checked path finds the new end.
            if faults.any() {
                break false;
            }
            let data = &bytes[off + hl..off + len];
            off += len;
            records += 1;
            let pos = base + off;
            if way == Way::Headers {
                // The next header, and where the fourth one on is if the
                // records keep this one's length.
                self.src.prefetch_line(pos);
                self.src.prefetch_line(pos + 4 * len);
            }
            if pos >= due {
                if pos >= self.prefetch.until() {
                    self.prefetch.next(pos, self.records + records, crate::sys::thread_cpu_time());
                    way = self.prefetch.way();
                }
                due = match way {
                    Way::Lines => self.src.prefetch_for(pos),
                    Way::Headers => self.src.populate_for(pos),
                }
                .min(self.prefetch.until());
            }
            if filter.is_none_or(|f| f.run(data, self.hdr.len, None) != 0) {
                cb(&self.hdr, data);
                delivered += 1;
                if delivered >= cnt {
                    break true;
                }
            }
        };
        *n = delivered;
        self.records += records;
        self.src.consume(off);
        counted
    }

    /// Whether the current record passes the filter.
    #[inline]
    fn passes(&mut self) -> bool {
        match &mut self.filter {
            None => true,
            Some(f) => f.run(current(&self.src, &self.scratch, self.cur), self.hdr.len, None) != 0,
        }
    }
}

impl PacketSource for Offline {
    fn dispatch(&mut self, cnt: i32, cb: &mut dyn FnMut(&PacketHeader, &[u8])) -> Result<i32> {
        self.src.begin_read();
        let cnt = if cnt <= 0 { i32::MAX } else { cnt };
        let mut n = 0;
        loop {
            if self.in_place && self.run_in_place(cnt, &mut n, cb) {
                return Ok(n);
            }
            // A breakloop ends the call; when packets were delivered the
            // request stays pending for the next call, as in libpcap.
            if self.breaker.pending() {
                if n == 0 {
                    self.breaker.take();
                    return Err(break_error());
                }
                return Ok(n);
            }
            if !self.read()? {
                break;
            }
            if self.passes() {
                cb(&self.hdr, current(&self.src, &self.scratch, self.cur));
                n += 1;
                if n >= cnt {
                    break;
                }
            }
        }
        Ok(n)
    }

    fn next_packet(&mut self) -> Result<Next<'_>> {
        if self.breaker.take() {
            return Err(break_error());
        }
        self.src.begin_read();
        loop {
            if !self.read()? {
                return Ok(Next::Eof);
            }
            if self.passes() {
                return Ok(Next::Packet(self.hdr, current(&self.src, &self.scratch, self.cur)));
            }
        }
    }

    fn zero_means_end(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::code;
    use crate::packet::Precision;
    use crate::savefile::pcap::{tests::file, NSEC_MAGIC, TCPDUMP_MAGIC};
    use crate::savefile::pcapng::tests::Ng;
    use crate::savefile::source::ReadStream;

    fn five() -> Vec<u8> {
        let recs: Vec<(u32, u32, u32, u32, &[u8])> =
            (0..5u32).map(|i| (i, i * 10, 1, 1, &b"abcde"[i as usize..i as usize + 1])).collect();
        file(false, TCPDUMP_MAGIC, (2, 4), 100, 1, &recs)
    }

    fn sources(bytes: Vec<u8>) -> Vec<Source> {
        vec![Source::memory(bytes.clone()), Source::stream(Box::new(ReadStream(std::io::Cursor::new(bytes))))]
    }

    #[test]
    fn open_errors() {
        let e = Offline::open(Source::memory(vec![]), 0).err().unwrap();
        assert_eq!(e.message, "truncated dump file; tried to read 4 file header bytes, only got 0");
        let e = Offline::open(Source::memory(b"ab".to_vec()), 0).err().unwrap();
        assert_eq!(e.message, "truncated dump file; tried to read 4 file header bytes, only got 2");
        let e = Offline::open(Source::memory(b"GIF89a.........................".to_vec()), 0).err().unwrap();
        assert_eq!(e.message, "unknown file format");
    }

    #[test]
    fn dispatch_counts_and_ends() {
        for src in sources(five()) {
            let mut o = Offline::open(src, 0).unwrap();
            let mut seen = Vec::new();
            assert_eq!(o.dispatch(2, &mut |h, d| seen.push((h.ts.tv_sec, d.to_vec()))).unwrap(), 2);
            assert_eq!(o.dispatch(0, &mut |h, d| seen.push((h.ts.tv_sec, d.to_vec()))).unwrap(), 3);
            assert_eq!(o.dispatch(-1, &mut |_, _| panic!()).unwrap(), 0);
            assert_eq!(seen.iter().map(|s| s.1[0]).collect::<Vec<_>>(), b"abcde");
            assert!(matches!(o.next_packet().unwrap(), Next::Eof));
        }
    }

    #[test]
    fn run_loop_reads_to_the_end() {
        let mut o = Offline::open(Source::memory(five()), 0).unwrap();
        let mut n = 0;
        assert_eq!(o.run_loop(-1, &mut |_, _| n += 1).unwrap(), 0);
        assert_eq!(n, 5);
        let mut o = Offline::open(Source::memory(five()), 0).unwrap();
        let mut n = 0;
        assert_eq!(o.run_loop(3, &mut |_, _| n += 1).unwrap(), 0);
        assert_eq!(n, 3);
    }

    #[test]
    fn breakloop_semantics() {
        let mut o = Offline::open(Source::memory(five()), 0).unwrap();
        let b = o.breaker().clone();
        // Requested inside a callback: the call returns what it delivered and
        // the next call reports the break.
        let mut n = 0;
        let got = o
            .dispatch(-1, &mut |_, _| {
                n += 1;
                if n == 2 {
                    b.request();
                }
            })
            .unwrap();
        assert_eq!(got, 2);
        assert_eq!(o.dispatch(-1, &mut |_, _| {}).unwrap_err().code, code::BREAK);
        assert_eq!(o.dispatch(1, &mut |_, _| {}).unwrap(), 1);
        b.request();
        assert_eq!(o.next_packet().unwrap_err().code, code::BREAK);
        assert!(matches!(o.next_packet().unwrap(), Next::Packet(..)));
    }

    /// `len == 1 && pkt[0] & 1`: accept odd first bytes of 1-byte packets.
    fn odd_single_bytes() -> Vec<Insn> {
        use crate::bpf::insn::*;
        vec![
            Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0),
            Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 3),
            Insn::stmt(BPF_LD | BPF_B | BPF_ABS, 0),
            Insn::jump(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1),
            Insn::stmt(BPF_RET | BPF_K, 262_144),
            Insn::stmt(BPF_RET | BPF_K, 0),
        ]
    }

    #[test]
    fn filter_applies_to_every_read() {
        for src in sources(five()) {
            let mut o = Offline::open(src, 0).unwrap();
            o.set_filter(Some(&odd_single_bytes()));
            let mut seen = Vec::new();
            assert_eq!(o.dispatch(2, &mut |_, d| seen.push(d[0])).unwrap(), 2);
            assert_eq!(seen, b"ac");
            let Next::Packet(_, d) = o.next_packet().unwrap() else { panic!() };
            assert_eq!(d, b"e");
            assert!(matches!(o.next_packet().unwrap(), Next::Eof));
            o.set_filter(None);
        }
    }

    #[test]
    fn accept_all_and_reject_all_programs() {
        use crate::bpf::insn::*;
        let mut o = Offline::open(Source::memory(five()), 0).unwrap();
        o.set_filter(Some(&[Insn::stmt(BPF_RET | BPF_K, 262_144)]));
        assert!(o.filter.is_none());
        assert_eq!(o.dispatch(2, &mut |_, _| {}).unwrap(), 2);
        o.set_filter(Some(&[Insn::stmt(BPF_RET | BPF_K, 0)]));
        assert!(o.filter.is_some());
        assert_eq!(o.dispatch(-1, &mut |_, _| panic!("rejected")).unwrap(), 0);
    }

    #[test]
    fn errors_surface_after_good_records() {
        let mut f = five();
        f.truncate(f.len() - 1);
        let mut o = Offline::open(Source::memory(f), 0).unwrap();
        let e = o.run_loop(-1, &mut |_, _| {}).unwrap_err();
        assert_eq!(e.message, "truncated dump file; tried to read 1 captured bytes, only got 0");
    }

    #[test]
    fn swapped_can_ids_are_copied_and_swapped() {
        // A big-endian-on-little (swapped) SLL file with a SocketCAN frame.
        let mut pkt = vec![0u8; 24];
        pkt[14..16].copy_from_slice(&0x000cu16.to_be_bytes());
        pkt[16..20].copy_from_slice(&[1, 2, 3, 4]);
        let f = file(true, NSEC_MAGIC, (2, 4), 100, 113, &[(1, 5, 24, 24, &pkt)]);
        let mut o = Offline::open(Source::memory(f), 1).unwrap();
        assert!(o.info().swapped);
        assert_eq!(o.info().precision, Precision::Nano);
        let Next::Packet(h, d) = o.next_packet().unwrap() else { panic!() };
        assert_eq!(h.ts.tv_usec, 5);
        assert_eq!(&d[16..20], &[4, 3, 2, 1]);
    }

    #[test]
    fn a_mapped_file_is_read_in_place() {
        let p = std::env::temp_dir().join(format!("ringcap-offline-{}", std::process::id()));
        std::fs::write(&p, five()).unwrap();
        let f = CFile::open(p.to_str().unwrap().as_bytes(), "rb").unwrap();
        let mut o = Offline::open(Source::file(f), 0).unwrap();
        assert!(o.is_mapped());
        let Next::Packet(_, a) = o.next_packet().unwrap() else { panic!() };
        let a = a.as_ptr() as usize;
        let Next::Packet(_, b) = o.next_packet().unwrap() else { panic!() };
        // Consecutive records one record header apart: slices of the file's
        // mapping, not copies into a buffer.
        assert_eq!(b.as_ptr() as usize, a + 1 + 16);
        std::fs::remove_file(&p).unwrap();
    }

    /// A mapped file of `n` records of 1500 bytes (record i filled with
    /// i), truncated to `keep` bytes after `after` records have been read
    /// with `next_packet` (`in_call`: from inside a `dispatch` callback);
    /// how many records were read in all, whether each was intact, and how
    /// reading ended.
    fn read_truncated(file: Vec<u8>, keep: usize, after: usize, in_call: bool) -> (usize, bool, Result<()>) {
        let p = std::env::temp_dir().join(format!("ringcap-offline-trunc-{}-{keep}-{in_call}", std::process::id()));
        std::fs::write(&p, &file).unwrap();
        let w = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        let f = CFile::open(p.to_str().unwrap().as_bytes(), "rb").unwrap();
        let mut o = Offline::open(Source::file(f), 0).unwrap();
        assert!(o.is_mapped());
        let (mut n, mut intact) = (0, true);
        let mut check = |n: &mut usize, d: &[u8]| {
            intact &= d.len() == 1500 && d.iter().all(|&b| b == *n as u8);
            *n += 1;
        };
        let end = loop {
            if n == after && !in_call {
                w.set_len(keep as u64).unwrap();
            }
            if in_call {
                let r = o.dispatch(-1, &mut |_, d| {
                    check(&mut n, d);
                    if n == after {
                        w.set_len(keep as u64).unwrap();
                    }
                });
                match r {
                    Ok(0) => break Ok(()),
                    Ok(_) => continue,
                    Err(e) => break Err(e),
                }
            }
            match o.next_packet() {
                Ok(Next::Packet(_, d)) => check(&mut n, d),
                Ok(_) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        std::fs::remove_file(&p).unwrap();
        (n, intact, end)
    }

    #[test]
    fn a_file_truncated_while_read_ends_as_with_fread() {
        let recs: Vec<Vec<u8>> = (0..300u32).map(|i| vec![i as u8; 1500]).collect();
        let recs: Vec<(u32, u32, u32, u32, &[u8])> = recs.iter().enumerate().map(|(i, r)| (i as u32, 0, 1500, 1500, &r[..])).collect();
        let f = file(false, TCPDUMP_MAGIC, (2, 4), 65535, 1, &recs);
        let at = |rec: usize| 24 + rec * 1516;
        let msg = |r: Result<()>| r.unwrap_err().message;
        // Between calls, next to the reader (in the page it reads).
        let (n, ok, end) = read_truncated(f.clone(), at(5) + 16 + 100, 3, false);
        assert_eq!((n, ok), (5, true));
        assert_eq!(msg(end), "truncated dump file; tried to read 1500 captured bytes, only got 100");
        // Between calls or during one (where what the reader has already
        // checked, up to 68 KiB ahead, may read as zeros: not tested), far
        // ahead of the reader: inside record 200's data, inside a record
        // header, at a record boundary; or to nothing (a rotation).
        for in_call in [false, true] {
            let (n, ok, end) = read_truncated(f.clone(), at(200) + 16 + 1360, 3, in_call);
            assert_eq!((n, ok), (200, true));
            assert_eq!(msg(end), "truncated dump file; tried to read 1500 captured bytes, only got 1360");
            let (n, ok, end) = read_truncated(f.clone(), at(250) + 9, 40, in_call);
            assert_eq!((n, ok), (250, true));
            assert_eq!(msg(end), "truncated dump file; tried to read 16 header bytes, only got 9");
            let (n, ok, end) = read_truncated(f.clone(), at(100), 3, in_call);
            assert_eq!((n, ok, end.is_ok()), (100, true, true));
            let (n, ok, end) = read_truncated(f.clone(), 0, 3, in_call);
            assert_eq!((n, ok, end.is_ok()), (3, true, true));
        }
        // pcapng: the block that runs past the new end.
        let mut g = Ng::new(false);
        g.shb(1, 0).idb(1, 0, &[]);
        for (i, r) in recs.iter().enumerate() {
            g.epb(0, i as u64, 1500, 1500, r.4);
        }
        let bytes = g.bytes();
        let block = 28 + 1500 + 4;
        let first = bytes.len() - 300 * block;
        for in_call in [false, true] {
            let (n, ok, end) = read_truncated(bytes.clone(), first + 150 * block + 100, 2, in_call);
            assert_eq!((n, ok), (150, true));
            assert_eq!(msg(end), "truncated pcapng dump file; tried to read 1524 bytes, only got 92");
        }
    }

    #[test]
    fn pcapng_through_the_handle() {
        let mut g = Ng::new(true);
        g.shb(1, 0).idb(1, 0, &[]).epb(0, 2_000_001, 2, 2, b"hi");
        for src in sources(g.bytes()) {
            let mut o = Offline::open(src, 0).unwrap();
            assert_eq!((o.info().linktype, o.info().snapshot, o.info().swapped), (1, 262_144, true));
            let Next::Packet(h, d) = o.next_packet().unwrap() else { panic!() };
            assert_eq!((h, d), (PacketHeader::new(2, 1, 2, 2), &b"hi"[..]));
        }
    }
}

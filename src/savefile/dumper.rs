//! An open output savefile (what a `pcap_dumper_t` is): a stdio stream and
//! the format written to it, opened with libpcap's checks and error texts
//! (`pcap_dump_open`, `pcap_dump_fopen`, `pcap_dump_open_append`) or as
//! pcapng (`ringcap_dump_open_ng`).
//!
//! All writing goes through the caller-visible `FILE *` with `fwrite`, so
//! `pcap_dump_flush`, `pcap_dump_ftell` and the caller's own use of
//! `pcap_dump_file` behave as with libpcap.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use super::ngwriter::{self, NgWriter};
use super::pcap::FILE_HEADER_LEN;
use super::writer::{self, Existing};
use crate::dlt;
use crate::error::{Error, Result};
use crate::packet::{PacketHeader, Precision};
use crate::sys::stdio::CFile;

/// The stdio buffer of files the dumper opens itself (libpcap leaves
/// stdio's default, the file's block size: 4 KiB, one write(2) per 4 KiB).
/// The bytes written are the same; `pcap_dump_flush` still writes
/// everything out. Streams the caller supplies (`pcap_dump_fopen`, the
/// standard output) keep their buffering.
pub const OUTPUT_BUFFER: usize = 64 * 1024;

/// What the handle a dump is opened on says about its packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// Whether the handle is activated (`pcap_dump_open` refuses otherwise).
    pub activated: bool,
    pub linktype: i32,
    pub linktype_ext: u32,
    pub snapshot: i32,
    pub precision: Precision,
}

enum Format {
    Pcap,
    Ng(NgOut),
}

/// A pcapng output: the handle's link type as it changes, and the interface
/// of the link type packets were last dumped with.
struct NgOut {
    writer: NgWriter,
    linktype_now: Arc<AtomicI32>,
    snaplen: u32,
    /// (DLT, interface) of the last packet.
    last: (i32, u32),
}

impl NgOut {
    /// The interface for the handle's link type now, its IDB written the
    /// first time; `None` if the link type cannot be written to pcapng or
    /// the IDB could not be written.
    fn interface<S: writer::Sink>(&mut self, s: &mut S) -> Option<u32> {
        let dlt = self.linktype_now.load(Ordering::Relaxed);
        if dlt == self.last.0 {
            return Some(self.last.1);
        }
        let lt = u16::try_from(dlt::dlt_to_linktype(dlt)).ok()?;
        let interface = self.writer.interface(s, lt, self.snaplen)?;
        self.last = (dlt, interface);
        Some(interface)
    }
}

/// An output savefile.
pub struct Dumper {
    file: CFile,
    format: Format,
}

/// A file name as printed in messages (`printf("%s")` of a C string; NULL
/// prints as glibc prints it).
fn shown(path: Option<&[u8]>) -> String {
    path.map_or_else(|| "(null)".to_string(), |p| String::from_utf8_lossy(p).into_owned())
}

fn is_stdout_name(path: &[u8]) -> bool {
    path == b"-"
}

/// The LINKTYPE_* for the handle, or libpcap's refusal.
fn linktype_of(t: &Target, name: &str) -> Result<u32> {
    let lt = dlt::dlt_to_linktype(t.linktype);
    if lt == -1 {
        return Err(Error::msg(format!("{name}: link-layer type {} isn't supported in savefiles", t.linktype)));
    }
    Ok(lt as u32)
}

/// Open a named output (`"-"` is the standard output) for writing.
fn create(path: Option<&[u8]>) -> Result<(CFile, String)> {
    let Some(path) = path else {
        return Err(Error::msg("A null pointer was supplied as the file name"));
    };
    if is_stdout_name(path) {
        let f = CFile::stdout(true).ok_or_else(|| Error::msg("The standard output is not open"))?;
        return Ok((f, "standard output".to_string()));
    }
    let name = shown(Some(path));
    let mut f = CFile::open(path, "wb").map_err(|e| Error::os(&name, &e))?;
    f.set_buffer(OUTPUT_BUFFER);
    Ok((f, name))
}

/// Write the first bytes; on failure the stream is closed, except the
/// standard output (libpcap's `pcap_setup_dump`).
fn start(mut file: CFile, name: &str, header: &[u8]) -> Result<CFile> {
    if file.write_all(header) {
        return Ok(file);
    }
    let e = io::Error::last_os_error();
    if file.as_ptr() == crate::sys::stdio::stdout_ptr() {
        file.set_owned(false);
    }
    drop(file);
    Err(Error::os(format!("Can't write to {name}"), &e))
}

impl Dumper {
    /// `pcap_dump_open`.
    pub fn open(t: &Target, path: Option<&[u8]>) -> Result<Dumper> {
        if !t.activated {
            return Err(Error::msg(format!("{}: not-yet-activated pcap_t passed to pcap_dump_open", shown(path))));
        }
        let lt = linktype_of(t, &shown(path))? | t.linktype_ext;
        let (file, name) = create(path)?;
        let file = start(file, &name, &writer::file_header(t.precision, t.snapshot, lt))?;
        Ok(Dumper { file, format: Format::Pcap })
    }

    /// `pcap_dump_fopen`: write to a caller's stream (closed with the dumper,
    /// and on failure, as libpcap does, unless it is the standard output).
    pub fn fopen(t: &Target, file: CFile) -> Result<Dumper> {
        let lt = match linktype_of(t, "stream") {
            Ok(lt) => lt | t.linktype_ext,
            Err(e) => {
                // libpcap leaves the caller's stream alone on this error.
                file.into_raw();
                return Err(e);
            }
        };
        let file = start(file, "stream", &writer::file_header(t.precision, t.snapshot, lt))?;
        Ok(Dumper { file, format: Format::Pcap })
    }

    /// `pcap_dump_open_append`: append to an existing pcap file of the same
    /// byte order, precision, link type and snapshot length, or start one.
    pub fn open_append(t: &Target, path: Option<&[u8]>) -> Result<Dumper> {
        // libpcap reports the -1 it got, and compares the link type without
        // its extension bits.
        let lt = dlt::dlt_to_linktype(t.linktype);
        if lt == -1 {
            return Err(Error::msg(format!("{}: link-layer type -1 isn't supported in savefiles", shown(path))));
        }
        let lt = lt as u32;
        let Some(p) = path else {
            return Err(Error::msg("A null pointer was supplied as the file name"));
        };
        if is_stdout_name(p) {
            let f = CFile::stdout(true).ok_or_else(|| Error::msg("The standard output is not open"))?;
            let file = start(f, "standard output", &writer::file_header(t.precision, t.snapshot, lt))?;
            return Ok(Dumper { file, format: Format::Pcap });
        }
        let name = shown(path);
        let mut f = CFile::open(p, "ab+").map_err(|e| Error::os(&name, &e))?;
        f.seek(0, libc::SEEK_SET).map_err(|e| Error::os(format!("Can't seek to the beginning of {name}"), &e))?;
        let mut head = [0u8; FILE_HEADER_LEN];
        let n = f.read(&mut head).map_err(|e| Error::os(&name, &e))?;
        match writer::check_append(&name, &head[..n], t.precision, lt, t.snapshot)? {
            Existing::Compatible => {}
            Existing::Empty => {
                if !f.write_all(&writer::file_header(t.precision, t.snapshot, lt)) {
                    return Err(Error::os(format!("Can't write to {name}"), &io::Error::last_os_error()));
                }
            }
        }
        f.seek(0, libc::SEEK_END).map_err(|e| Error::os(format!("Can't seek to the end of {name}"), &e))?;
        Ok(Dumper { file: f, format: Format::Pcap })
    }

    /// `ringcap_dump_open_ng`: a pcapng file (`"-"` is the standard output)
    /// with nanosecond timestamps and an interface for the handle's link
    /// type; `linktype_now` is that link type as the handle changes it
    /// (`pcap_set_datalink`): each packet goes to the interface of the link
    /// type it has when dumped, one interface per link type.
    pub fn open_ng(t: &Target, path: Option<&[u8]>, linktype_now: Arc<AtomicI32>) -> Result<Dumper> {
        if !t.activated {
            return Err(Error::msg(format!(
                "{}: not-yet-activated pcap_t passed to ringcap_dump_open_ng",
                shown(path)
            )));
        }
        let lt = linktype_of(t, &shown(path))?;
        let lt = u16::try_from(lt).map_err(|_| {
            Error::msg(format!("{}: link-layer type {} can't be written to pcapng files", shown(path), t.linktype))
        })?;
        let (file, name) = create(path)?;
        let header = ngwriter::section_header(&format!("ringcap {}", crate::VERSION));
        let mut file = start(file, &name, &header)?;
        let mut writer = NgWriter::new(t.precision);
        let snaplen = t.snapshot as u32;
        let interface = file.locked(|l| writer.interface(l, lt, snaplen));
        let Some(interface) = interface else {
            return Err(Error::os(format!("Can't write to {name}"), &io::Error::last_os_error()));
        };
        let out = NgOut { writer, linktype_now, snaplen, last: (t.linktype, interface) };
        Ok(Dumper { file, format: Format::Ng(out) })
    }

    /// `pcap_dump`: one record (`data` is the captured bytes). A pcapng
    /// packet whose link type cannot be written (or whose interface block
    /// could not be) is left out, as a failed write is.
    pub fn dump(&mut self, h: &PacketHeader, data: &[u8]) {
        let format = &mut self.format;
        self.file.locked(|l| match format {
            Format::Pcap => writer::write_record(l, h, data),
            Format::Ng(ng) => {
                if let Some(interface) = ng.interface(l) {
                    ng.writer.write_packet(l, interface, h, data);
                }
            }
        });
    }

    /// `pcap_dump_flush`.
    pub fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }

    /// `pcap_dump_ftell`.
    pub fn tell(&mut self) -> libc::c_long {
        self.file.tell()
    }

    /// `pcap_dump_ftell64`.
    pub fn tell64(&mut self) -> i64 {
        self.file.tell64()
    }

    /// The stream written to (`pcap_dump_file`).
    pub fn file(&self) -> &CFile {
        &self.file
    }

    /// `pcap_dump_close`: `fclose` (the standard output included, as libpcap
    /// does).
    pub fn close(self) -> io::Result<()> {
        self.file.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Next, PacketSource};
    use crate::savefile::pcapng::{BT_EPB, BT_IDB};
    use crate::savefile::{Offline, Source};

    fn target(precision: Precision) -> Target {
        Target { activated: true, linktype: dlt::DLT_EN10MB, linktype_ext: 0, snapshot: 65535, precision }
    }

    fn temp(name: &str) -> (std::path::PathBuf, Vec<u8>) {
        let p = std::env::temp_dir().join(format!("ringcap-dumper-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        let b = p.to_str().unwrap().as_bytes().to_vec();
        (p, b)
    }

    fn read_all(path: &std::path::Path, precision: u32) -> Vec<(PacketHeader, Vec<u8>)> {
        let f = CFile::open(path.to_str().unwrap().as_bytes(), "rb").unwrap();
        let mut o = Offline::open(Source::file(f), precision).unwrap();
        let mut v = Vec::new();
        while let Next::Packet(h, d) = o.next_packet().unwrap() {
            v.push((h, d.to_vec()));
        }
        v
    }

    #[test]
    fn pcap_round_trip_and_tell() {
        let (p, b) = temp("rt");
        let mut d = Dumper::open(&target(Precision::Nano), Some(&b)).unwrap();
        assert_eq!(d.tell(), 24);
        d.dump(&PacketHeader::new(5, 123_456_789, 3, 100), b"xyz");
        assert_eq!(d.tell64(), 24 + 16 + 3);
        d.flush().unwrap();
        d.close().unwrap();
        assert_eq!(read_all(&p, 1), vec![(PacketHeader::new(5, 123_456_789, 3, 100), b"xyz".to_vec())]);
        assert_eq!(read_all(&p, 0)[0].0.ts.tv_usec, 123_456);
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn append() {
        let (p, b) = temp("append");
        let t = target(Precision::Micro);
        let mut d = Dumper::open_append(&t, Some(&b)).unwrap();
        d.dump(&PacketHeader::new(1, 1, 1, 1), b"a");
        d.close().unwrap();
        let mut d = Dumper::open_append(&t, Some(&b)).unwrap();
        d.dump(&PacketHeader::new(2, 2, 1, 1), b"b");
        d.close().unwrap();
        let got = read_all(&p, 0);
        assert_eq!(got.iter().map(|x| x.1[0]).collect::<Vec<_>>(), b"ab");
        let e = Dumper::open_append(&target(Precision::Nano), Some(&b)).err().unwrap();
        assert!(e.message.ends_with(": different time stamp precision, cannot append to file"));
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn open_errors() {
        let mut t = target(Precision::Micro);
        t.activated = false;
        assert_eq!(Dumper::open(&t, Some(b"x")).err().unwrap().message, "x: not-yet-activated pcap_t passed to pcap_dump_open");
        let mut t = target(Precision::Micro);
        t.linktype = 14;
        assert_eq!(Dumper::open(&t, Some(b"x")).err().unwrap().message, "x: link-layer type 14 isn't supported in savefiles");
        assert_eq!(Dumper::open_append(&t, Some(b"x")).err().unwrap().message, "x: link-layer type -1 isn't supported in savefiles");
        let t = target(Precision::Micro);
        assert_eq!(Dumper::open(&t, None).err().unwrap().message, "A null pointer was supplied as the file name");
        assert_eq!(
            Dumper::open(&t, Some(b"/nonexistent/dir/f")).err().unwrap().message,
            "/nonexistent/dir/f: No such file or directory"
        );
    }

    #[test]
    fn pcapng_round_trip() {
        let (p, b) = temp("ng");
        let lt = Arc::new(AtomicI32::new(dlt::DLT_EN10MB));
        let mut d = Dumper::open_ng(&target(Precision::Micro), Some(&b), lt).unwrap();
        d.dump(&PacketHeader::new(7, 654_321, 5, 60), b"abcde");
        d.dump(&PacketHeader::new(8, 1, 4, 4), b"wxyz");
        d.close().unwrap();
        let got = read_all(&p, 1);
        assert_eq!(got[0], (PacketHeader::new(7, 654_321_000, 5, 60), b"abcde".to_vec()));
        assert_eq!(got[1], (PacketHeader::new(8, 1000, 4, 4), b"wxyz".to_vec()));
        std::fs::remove_file(&p).unwrap();
    }

    /// (block type, body) of every block of a host-order pcapng file.
    fn blocks(f: &[u8]) -> Vec<(u32, Vec<u8>)> {
        let mut v = Vec::new();
        let mut at = 0;
        while at < f.len() {
            let word = |o: usize| u32::from_ne_bytes(f[o..o + 4].try_into().unwrap());
            let total = word(at + 4) as usize;
            v.push((word(at), f[at + 8..at + total - 4].to_vec()));
            at += total;
        }
        v
    }

    #[test]
    fn pcapng_one_interface_per_link_type() {
        let (p, b) = temp("ng-linktypes");
        let lt = Arc::new(AtomicI32::new(dlt::DLT_EN10MB));
        let mut d = Dumper::open_ng(&target(Precision::Nano), Some(&b), lt.clone()).unwrap();
        let mut dump = |dlt: i32, sec: i64| {
            lt.store(dlt, Ordering::Relaxed);
            d.dump(&PacketHeader::new(sec, 0, 1, 1), b"x");
        };
        dump(dlt::DLT_EN10MB, 1);
        dump(143, 2); // DLT_DOCSIS
        dump(dlt::DLT_EN10MB, 3);
        dump(143, 4);
        dump(dlt::DLT_RAW, 5); // LINKTYPE_RAW, 101
        dump(14, 6); // no LINKTYPE: left out
        dump(dlt::DLT_RAW, 7);
        d.close().unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let (mut idbs, mut epbs) = (Vec::new(), Vec::new());
        for (kind, body) in blocks(&bytes) {
            match kind {
                BT_IDB => idbs.push(u16::from_ne_bytes([body[0], body[1]])),
                BT_EPB => epbs.push(u32::from_ne_bytes(body[..4].try_into().unwrap())),
                _ => {}
            }
        }
        assert_eq!(idbs, [1, 143, 101]);
        assert_eq!(epbs, [0, 1, 0, 1, 2, 2]);
        // libpcap's rule, which the reader follows: the packets of the first
        // link type, then a refusal at the second interface.
        let f = CFile::open(&b, "rb").unwrap();
        let mut o = Offline::open(Source::file(f), 0).unwrap();
        assert!(matches!(o.next_packet().unwrap(), Next::Packet(h, _) if h.ts.tv_sec == 1));
        let e = o.next_packet().err().unwrap();
        assert_eq!(e.message, "an interface has a type 143 different from the type of the first interface");
        std::fs::remove_file(&p).unwrap();
    }
}

//! Savefiles: [`SavefileReader`] (pcap and pcapng, read in place from a
//! mapping when the file is a regular one) and [`SavefileWriter`] (pcap, as
//! libpcap writes it byte for byte, or pcapng).
//!
//! ```
//! use ringcap::api::{PacketHeader, Precision, SavefileReader, SavefileWriter};
//! use ringcap::packet::Timeval;
//!
//! let path = std::env::temp_dir().join(format!("ringcap-doc-{}.pcap", std::process::id()));
//! let mut w = SavefileWriter::create(&path, ringcap::dlt::DLT_EN10MB, 65535, Precision::Nano)?;
//! let frame = [0xffu8; 60];
//! w.write(&PacketHeader { ts: Timeval { tv_sec: 1_700_000_000, tv_usec: 123_456_789 }, caplen: 60, len: 60 }, &frame);
//! w.finish()?;
//!
//! let mut r = SavefileReader::open(&path, Precision::Nano)?;
//! assert_eq!((r.linktype(), r.snaplen()), (ringcap::dlt::DLT_EN10MB, 65535));
//! let (h, data) = r.next_packet()?.expect("one packet");
//! assert_eq!((h.ts.tv_usec, data), (123_456_789, &frame[..]));
//! assert!(r.next_packet()?.is_none());
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), ringcap::Error>(())
//! ```

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::AtomicI32;
use std::sync::Arc;

use super::Filter;
use crate::error::{Error, Result};
use crate::packet::{Next, PacketHeader, PacketSource, Precision};
use crate::savefile::dumper::{Dumper, Target};
use crate::savefile::{Offline, Source};
use crate::sys::stdio::CFile;

/// A pcap or pcapng file being read.
pub struct SavefileReader {
    inner: Offline,
}

impl SavefileReader {
    /// Open `path`, delivering timestamps in `precision`. Errors carry
    /// libpcap's messages for malformed files.
    pub fn open(path: impl AsRef<Path>, precision: Precision) -> Result<SavefileReader> {
        let name = path.as_ref().as_os_str().as_bytes();
        let f = CFile::open(name, "rb").map_err(|e| Error::os(path.as_ref().display().to_string(), &e))?;
        Ok(SavefileReader { inner: Offline::open(Source::file(f), precision.to_c() as u32)? })
    }

    /// The link type (`DLT_*`) of the file's packets.
    pub fn linktype(&self) -> i32 {
        self.inner.info().linktype
    }

    pub fn snaplen(&self) -> u32 {
        self.inner.info().snapshot.max(0) as u32
    }

    /// The file format's version (2.4 for pcap, 1.0 for pcapng).
    pub fn version(&self) -> (u16, u16) {
        let i = self.inner.info();
        (i.version_major, i.version_minor)
    }

    /// Whether the file was written in the other byte order.
    pub fn is_swapped(&self) -> bool {
        self.inner.info().swapped
    }

    /// The next packet (in place in the file's mapping when it has one),
    /// `None` at the end.
    pub fn next_packet(&mut self) -> Result<Option<(PacketHeader, &[u8])>> {
        match self.inner.next_packet()? {
            Next::Packet(h, d) => Ok(Some((h, d))),
            Next::Eof | Next::Timeout => Ok(None),
        }
    }

    /// Deliver only the packets `filter` accepts (`None`: all).
    pub fn set_filter(&mut self, filter: Option<&Filter>) {
        self.inner.set_filter(filter.map(Filter::instructions));
    }
}

/// A savefile being written. Records are buffered; [`SavefileWriter::finish`]
/// (or a drop, which cannot report errors) writes them out.
pub struct SavefileWriter {
    inner: Option<Dumper>,
}

impl SavefileWriter {
    /// Create (truncate) a classic pcap file for packets of `linktype`
    /// (`DLT_*`), as libpcap's `pcap_dump_open` writes it.
    pub fn create(path: impl AsRef<Path>, linktype: i32, snaplen: u32, precision: Precision) -> Result<SavefileWriter> {
        let d = Dumper::open(&target(linktype, snaplen, precision), Some(path.as_ref().as_os_str().as_bytes()))?;
        Ok(SavefileWriter { inner: Some(d) })
    }

    /// Create (truncate) a pcapng file: a section header, an interface for
    /// `linktype` with nanosecond resolution, enhanced packet blocks.
    pub fn create_pcapng(path: impl AsRef<Path>, linktype: i32, snaplen: u32, precision: Precision) -> Result<SavefileWriter> {
        let t = target(linktype, snaplen, precision);
        let d = Dumper::open_ng(&t, Some(path.as_ref().as_os_str().as_bytes()), Arc::new(AtomicI32::new(linktype)))?;
        Ok(SavefileWriter { inner: Some(d) })
    }

    /// Add a record: `header` (timestamp in the writer's precision, lengths)
    /// and the captured bytes.
    pub fn write(&mut self, header: &PacketHeader, data: &[u8]) {
        if let Some(d) = &mut self.inner {
            d.dump(header, data);
        }
    }

    /// Write out what is buffered.
    pub fn flush(&mut self) -> Result<()> {
        match &mut self.inner {
            Some(d) => d.flush().map_err(|e| Error::os("flush", &e)),
            None => Ok(()),
        }
    }

    /// Write out everything and close the file.
    pub fn finish(mut self) -> Result<()> {
        match self.inner.take() {
            Some(d) => d.close().map_err(|e| Error::os("close", &e)),
            None => Ok(()),
        }
    }
}

fn target(linktype: i32, snaplen: u32, precision: Precision) -> Target {
    Target { activated: true, linktype, linktype_ext: 0, snapshot: snaplen.min(i32::MAX as u32) as i32, precision }
}

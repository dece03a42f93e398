//! Classic pcap writing, byte for byte what libpcap writes: a 24-byte file
//! header in host byte order (microsecond or nanosecond magic, version 2.4,
//! zero zone and accuracy), then per record a 16-byte header of 32-bit
//! fields and the captured bytes; and libpcap's rules for appending to an
//! existing file.

use super::pcap::{
    FILE_HEADER_LEN, KUZNETZOV_MAGIC, NAVTEL_MAGIC, NSEC_MAGIC, RECORD_HEADER_LEN, TCPDUMP_MAGIC, VERSION_MAJOR,
    VERSION_MINOR,
};
use crate::error::{Error, Result};
use crate::packet::{PacketHeader, Precision};

/// Where encoded bytes go: a locked stdio stream, or memory in tests.
pub trait Sink {
    /// The stream's error flag (`ferror`): once set, libpcap writes nothing.
    fn failed(&self) -> bool;
    /// `fwrite(b, len, 1) == 1`: all of `b` written (false for empty `b`).
    fn write_all(&mut self, b: &[u8]) -> bool;
}

impl Sink for Vec<u8> {
    fn failed(&self) -> bool {
        false
    }
    fn write_all(&mut self, b: &[u8]) -> bool {
        self.extend_from_slice(b);
        !b.is_empty()
    }
}

impl Sink for crate::sys::stdio::Locked<'_> {
    fn failed(&self) -> bool {
        self.error()
    }
    fn write_all(&mut self, b: &[u8]) -> bool {
        crate::sys::stdio::Locked::write_all(self, b)
    }
}

/// The file header libpcap writes for a handle.
pub fn file_header(precision: Precision, snaplen: i32, linktype: u32) -> [u8; FILE_HEADER_LEN] {
    let magic = match precision {
        Precision::Micro => TCPDUMP_MAGIC,
        Precision::Nano => NSEC_MAGIC,
    };
    let mut h = [0u8; FILE_HEADER_LEN];
    h[0..4].copy_from_slice(&magic.to_ne_bytes());
    h[4..6].copy_from_slice(&VERSION_MAJOR.to_ne_bytes());
    h[6..8].copy_from_slice(&VERSION_MINOR.to_ne_bytes());
    // thiszone and sigfigs stay 0.
    h[16..20].copy_from_slice(&(snaplen as u32).to_ne_bytes());
    h[20..24].copy_from_slice(&linktype.to_ne_bytes());
    h
}

/// A record header: seconds and fraction cut to 32 bits (files written
/// after 2038 need pcapng), the two lengths.
pub fn record_header(h: &PacketHeader) -> [u8; RECORD_HEADER_LEN] {
    let mut r = [0u8; RECORD_HEADER_LEN];
    r[0..4].copy_from_slice(&(h.ts.tv_sec as i32).to_ne_bytes());
    r[4..8].copy_from_slice(&(h.ts.tv_usec as i32).to_ne_bytes());
    r[8..12].copy_from_slice(&h.caplen.to_ne_bytes());
    r[12..16].copy_from_slice(&h.len.to_ne_bytes());
    r
}

/// `pcap_dump`: nothing once the stream has failed; the data only if the
/// header went out whole.
pub fn write_record<S: Sink>(s: &mut S, h: &PacketHeader, data: &[u8]) {
    if s.failed() {
        return;
    }
    if s.write_all(&record_header(h)) && !data.is_empty() {
        s.write_all(data);
    }
}

/// What `pcap_dump_open_append` found at the start of the file.
#[derive(Debug, PartialEq, Eq)]
pub enum Existing {
    /// An empty file: a header must be written.
    Empty,
    /// A header this handle may append to.
    Compatible,
}

/// libpcap's checks before appending to `name`, given the first bytes of the
/// file (up to 24; fewer only at end of file).
pub fn check_append(name: &str, head: &[u8], precision: Precision, linktype: u32, snaplen: i32) -> Result<Existing> {
    if head.is_empty() {
        return Ok(Existing::Empty);
    }
    if head.len() < FILE_HEADER_LEN {
        return Err(Error::msg(format!("{name}: truncated pcap file header")));
    }
    let u32_at = |i: usize| u32::from_ne_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let u16_at = |i: usize| u16::from_ne_bytes([head[i], head[i + 1]]);
    let magic = u32_at(0);
    let wanted = match precision {
        Precision::Micro => TCPDUMP_MAGIC,
        Precision::Nano => NSEC_MAGIC,
    };
    match magic {
        TCPDUMP_MAGIC | NSEC_MAGIC if magic != wanted => {
            return Err(Error::msg(format!("{name}: different time stamp precision, cannot append to file")))
        }
        TCPDUMP_MAGIC | NSEC_MAGIC => {}
        m if m == TCPDUMP_MAGIC.swap_bytes() || m == NSEC_MAGIC.swap_bytes() => {
            return Err(Error::msg(format!("{name}: different byte order, cannot append to file")))
        }
        m if [KUZNETZOV_MAGIC, NAVTEL_MAGIC].iter().any(|&k| m == k || m == k.swap_bytes()) => {
            return Err(Error::msg(format!("{name}: not a pcap file to which we can append")))
        }
        _ => return Err(Error::msg(format!("{name}: not a pcap file"))),
    }
    let (major, minor) = (u16_at(4), u16_at(6));
    if major != VERSION_MAJOR || minor != VERSION_MINOR {
        return Err(Error::msg(format!("{name}: version is {major}.{minor}, cannot append to file")));
    }
    if linktype != u32_at(20) {
        return Err(Error::msg(format!("{name}: different linktype, cannot append to file")));
    }
    if snaplen as u32 != u32_at(16) {
        return Err(Error::msg(format!("{name}: different snaplen, cannot append to file")));
    }
    Ok(Existing::Compatible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes() {
        let h = file_header(Precision::Nano, 65535, 1);
        assert_eq!(
            h.to_vec(),
            [&0xa1b2_3c4du32.to_ne_bytes()[..], &2u16.to_ne_bytes(), &4u16.to_ne_bytes(), &[0; 8], &65535u32.to_ne_bytes(), &1u32.to_ne_bytes()]
                .concat()
        );
        assert_eq!(&file_header(Precision::Micro, 0, 1)[0..4], &0xa1b2_c3d4u32.to_ne_bytes());
    }

    #[test]
    fn records() {
        let mut out = Vec::new();
        let h = PacketHeader::new(0x1_0000_0001, 7, 3, 60);
        write_record(&mut out, &h, b"abc");
        assert_eq!(out.len(), 19);
        assert_eq!(&out[0..4], &1i32.to_ne_bytes());
        assert_eq!(&out[16..], b"abc");
        write_record(&mut out, &PacketHeader::new(1, 2, 0, 0), b"");
        assert_eq!(out.len(), 35);
    }

    #[test]
    fn append_rules() {
        let good = file_header(Precision::Micro, 100, 1);
        assert_eq!(check_append("f", &[], Precision::Micro, 1, 100).unwrap(), Existing::Empty);
        assert_eq!(check_append("f", &good, Precision::Micro, 1, 100).unwrap(), Existing::Compatible);
        let msg = |head: &[u8], p, lt, sl| check_append("f", head, p, lt, sl).unwrap_err().message;
        assert_eq!(msg(&good[..5], Precision::Micro, 1, 100), "f: truncated pcap file header");
        assert_eq!(msg(&good, Precision::Nano, 1, 100), "f: different time stamp precision, cannot append to file");
        assert_eq!(msg(&good, Precision::Micro, 2, 100), "f: different linktype, cannot append to file");
        assert_eq!(msg(&good, Precision::Micro, 1, 99), "f: different snaplen, cannot append to file");
        let mut sw = good;
        sw[0..4].copy_from_slice(&TCPDUMP_MAGIC.swap_bytes().to_ne_bytes());
        assert_eq!(msg(&sw, Precision::Micro, 1, 100), "f: different byte order, cannot append to file");
        sw[0..4].copy_from_slice(&KUZNETZOV_MAGIC.to_ne_bytes());
        assert_eq!(msg(&sw, Precision::Micro, 1, 100), "f: not a pcap file to which we can append");
        sw[0..4].copy_from_slice(b"\n\r\r\n");
        assert_eq!(msg(&sw, Precision::Micro, 1, 100), "f: not a pcap file");
        let mut v = good;
        v[6..8].copy_from_slice(&3u16.to_ne_bytes());
        assert_eq!(msg(&v, Precision::Micro, 1, 100), "f: version is 2.3, cannot append to file");
    }
}

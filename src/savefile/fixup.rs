//! What libpcap does to a record after reading it (`pcap_post_process`):
//! pseudo-headers written in the other byte order are swapped to the host's
//! for the link types whose headers carry host-order fields (pflog, Linux
//! cooked SocketCAN ids, Linux USB, NFLOG), and the on-the-wire length of
//! old memory-mapped Linux USB isochronous captures is recomputed.
//!
//! Every access is bounded by the captured length; nothing here can read or
//! write outside the record.

use crate::packet::PacketHeader;

const DLT_LINUX_SLL: i32 = 113;
const DLT_PFLOG: i32 = 117;
const DLT_USB_LINUX: i32 = 189;
const DLT_USB_LINUX_MMAPPED: i32 = 220;
const DLT_NFLOG: i32 = 239;
const DLT_LINUX_SLL2: i32 = 276;

const SLL_P_CAN: u16 = 0x000c;
const SLL_P_CANFD: u16 = 0x000d;

/// `sizeof (pcap_usb_header_mmapped)` and of one isochronous descriptor.
const USB_MMAPPED_HDR: usize = 64;
const USB_ISODESC: usize = 16;
const URB_ISOCHRONOUS: u8 = 0;
const URB_COMPLETE: u8 = b'C';
const URB_TRANSFER_IN: u8 = 0x80;

/// Whether a record of this link type from a byte-swapped file has fields to
/// swap (then the record must be copied out of a read-only mapping first).
pub fn swaps_pseudo_header(dlt: i32) -> bool {
    matches!(dlt, DLT_PFLOG | DLT_LINUX_SLL | DLT_LINUX_SLL2 | DLT_USB_LINUX | DLT_USB_LINUX_MMAPPED | DLT_NFLOG)
}

/// Whether the header of a record of this link type may be adjusted.
pub fn fixes_header(dlt: i32) -> bool {
    dlt == DLT_USB_LINUX_MMAPPED
}

/// Swap the host-order fields of a byte-swapped file's pseudo-header, in
/// place. `data` is the captured bytes; `len` the on-the-wire length.
pub fn swap_pseudo_header(dlt: i32, len: u32, data: &mut [u8]) {
    let caplen = data.len();
    let len = len as usize;
    match dlt {
        DLT_PFLOG => swap_pflog(caplen, len, data),
        DLT_LINUX_SLL => swap_sll_can(16, 14, caplen, len, data),
        DLT_LINUX_SLL2 => swap_sll_can(20, 0, caplen, len, data),
        DLT_USB_LINUX => swap_usb(false, data),
        DLT_USB_LINUX_MMAPPED => swap_usb(true, data),
        DLT_NFLOG => swap_nflog(caplen, len, data),
        _ => {}
    }
}

fn swap2(d: &mut [u8], off: usize) {
    if let Some(b) = d.get_mut(off..off + 2) {
        b.reverse();
    }
}

fn swap4(d: &mut [u8], off: usize) {
    if let Some(b) = d.get_mut(off..off + 4) {
        b.reverse();
    }
}

fn swap8(d: &mut [u8], off: usize) {
    if let Some(b) = d.get_mut(off..off + 8) {
        b.reverse();
    }
}

fn ne_u32(d: &[u8], off: usize) -> u32 {
    d.get(off..off + 4).map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// pflog: uid, pid, rule_uid, rule_pid (offsets 44..60), each only if the
/// capture and the header's own length field cover it.
fn swap_pflog(caplen: usize, len: usize, d: &mut [u8]) {
    let Some(&hdrlen) = d.first() else { return };
    for off in [44usize, 48, 52, 56] {
        let end = off + 4;
        if caplen < end || len < end || (hdrlen as usize) < end {
            return;
        }
        swap4(d, off);
    }
}

/// Linux cooked headers carrying SocketCAN: the CAN id after the header.
fn swap_sll_can(hdr: usize, proto_off: usize, caplen: usize, len: usize, d: &mut [u8]) {
    if caplen < hdr || len < hdr {
        return;
    }
    let proto = u16::from_be_bytes([d[proto_off], d[proto_off + 1]]);
    if proto != SLL_P_CAN && proto != SLL_P_CANFD {
        return;
    }
    if caplen < hdr + 4 || len < hdr + 4 {
        return;
    }
    swap4(d, hdr);
}

/// Linux USB header (48 bytes, or 64 with the memory-mapped fields and the
/// isochronous descriptors that follow).
fn swap_usb(header_64: bool, d: &mut [u8]) {
    let caplen = d.len();
    // (end offset of the field, its offset, its size)
    const FIXED: [(usize, usize, usize); 7] =
        [(8, 0, 8), (14, 12, 2), (24, 16, 8), (28, 24, 4), (32, 28, 4), (36, 32, 4), (40, 36, 4)];
    for (end, off, size) in FIXED {
        if caplen < end {
            return;
        }
        match size {
            8 => swap8(d, off),
            4 => swap4(d, off),
            _ => swap2(d, off),
        }
    }
    let iso = d[9] == URB_ISOCHRONOUS;
    if iso {
        for off in [40usize, 44] {
            if caplen < off + 4 {
                return;
            }
            swap4(d, off);
        }
    }
    if !header_64 {
        return;
    }
    for off in [48usize, 52, 56, 60] {
        if caplen < off + 4 {
            return;
        }
        swap4(d, off);
    }
    if !iso {
        return;
    }
    let ndesc = ne_u32(d, 60) as usize;
    let mut desc = USB_MMAPPED_HDR;
    for _ in 0..ndesc {
        for field in [0usize, 4, 8] {
            if caplen < desc + field + 4 {
                return;
            }
            swap4(d, desc + field);
        }
        desc += USB_ISODESC;
    }
}

/// NFLOG: the TLVs' length and type fields.
fn swap_nflog(caplen: usize, len: usize, d: &mut [u8]) {
    if caplen < 4 || len < 4 || d[1] != 0 {
        return;
    }
    let (mut caplen, mut len, mut p) = (caplen - 4, len - 4, 4usize);
    while caplen >= 4 {
        swap2(d, p);
        swap2(d, p + 2);
        let mut size = u16::from_ne_bytes([d[p], d[p + 1]]);
        if size % 4 != 0 {
            // A 16-bit sum, as in libpcap: 65535 rounds to 0 and stops below.
            size = size.wrapping_add(4 - size % 4);
        }
        let size = size as usize;
        if size < 4 || caplen < size || len < size {
            return;
        }
        caplen -= size;
        len -= size;
        p += size;
    }
}

/// Correct the on-the-wire length of a completion event for an incoming
/// isochronous transfer in an old memory-mapped Linux USB capture, which
/// older libpcaps computed from the URB length instead of the descriptors.
pub fn fix_header(dlt: i32, h: &mut PacketHeader, d: &[u8]) {
    if dlt != DLT_USB_LINUX_MMAPPED || (h.caplen as usize) < USB_MMAPPED_HDR || d.len() < USB_MMAPPED_HDR {
        return;
    }
    let data_flag = d[15];
    let ndesc = ne_u32(d, 60);
    let urb_len = ne_u32(d, 32);
    let computed = USB_MMAPPED_HDR as u64 + ndesc as u64 * USB_ISODESC as u64 + urb_len as u64;
    if data_flag != 0 || h.len as u64 != computed {
        return;
    }
    if d[9] != URB_ISOCHRONOUS || d[8] != URB_COMPLETE || d[10] & URB_TRANSFER_IN == 0 {
        return;
    }
    let mut left = h.caplen as usize - USB_MMAPPED_HDR;
    let mut data_len: u32 = 0;
    let mut desc = 0u32;
    while desc < ndesc && left >= USB_ISODESC {
        let at = USB_MMAPPED_HDR + desc as usize * USB_ISODESC;
        let (off, dlen) = (ne_u32(d, at + 4), ne_u32(d, at + 8));
        if dlen != 0 {
            data_len = data_len.max(off.wrapping_add(dlen));
        }
        desc += 1;
        left -= USB_ISODESC;
    }
    // libpcap computes this in size_t and keeps the low 32 bits.
    let total = (USB_MMAPPED_HDR as u64 + ndesc as u64 * USB_ISODESC as u64 + data_len as u64) as u32;
    if total >= h.caplen {
        h.len = total;
    }
    if h.caplen > h.len {
        h.len = h.caplen;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sll_can_id_is_swapped_only_for_can() {
        let mut d = vec![0u8; 24];
        d[14..16].copy_from_slice(&SLL_P_CAN.to_be_bytes());
        d[16..20].copy_from_slice(&[1, 2, 3, 4]);
        swap_pseudo_header(DLT_LINUX_SLL, 24, &mut d);
        assert_eq!(&d[16..20], &[4, 3, 2, 1]);
        d[14..16].copy_from_slice(&0x0800u16.to_be_bytes());
        swap_pseudo_header(DLT_LINUX_SLL, 24, &mut d);
        assert_eq!(&d[16..20], &[4, 3, 2, 1]);
        // Too short for the id: untouched.
        let mut short = d[..18].to_vec();
        short[14..16].copy_from_slice(&SLL_P_CANFD.to_be_bytes());
        swap_pseudo_header(DLT_LINUX_SLL, 18, &mut short);
        assert_eq!(&short[16..18], &[4, 3]);
    }

    #[test]
    fn sll2_can_id() {
        let mut d = vec![0u8; 24];
        d[0..2].copy_from_slice(&SLL_P_CANFD.to_be_bytes());
        d[20..24].copy_from_slice(&[1, 2, 3, 4]);
        swap_pseudo_header(DLT_LINUX_SLL2, 24, &mut d);
        assert_eq!(&d[20..24], &[4, 3, 2, 1]);
    }

    #[test]
    fn pflog_stops_at_its_own_length() {
        let mut d: Vec<u8> = (0..64).collect();
        d[0] = 52; // header covers uid and pid only
        swap_pseudo_header(DLT_PFLOG, 64, &mut d);
        assert_eq!(&d[44..48], &[47, 46, 45, 44]);
        assert_eq!(&d[48..52], &[51, 50, 49, 48]);
        assert_eq!(&d[52..56], &[52, 53, 54, 55]);
    }

    #[test]
    fn nflog_tlvs() {
        // header, one TLV of length 5 (padded to 8) written big-endian-ish
        // (swapped), then a TLV whose length runs past the capture.
        let mut d = vec![2, 0, 0, 0, 0, 5, 0, 9, 1, 2, 3, 4, 0x00, 0x40, 0, 1];
        swap_pseudo_header(DLT_NFLOG, 16, &mut d);
        assert_eq!(&d[4..8], &[5, 0, 9, 0]);
        assert_eq!(&d[12..16], &[0x40, 0x00, 1, 0]);
        // Unknown version: untouched.
        let mut v1 = vec![2, 1, 0, 0, 0, 5, 0, 9];
        swap_pseudo_header(DLT_NFLOG, 8, &mut v1);
        assert_eq!(v1, vec![2, 1, 0, 0, 0, 5, 0, 9]);
    }

    #[test]
    fn nflog_length_65535_wraps_and_stops() {
        let mut d = vec![2, 0, 0, 0, 0xff, 0xff, 0, 1, 9, 9, 9, 9];
        swap_pseudo_header(DLT_NFLOG, 12, &mut d);
        assert_eq!(&d[8..12], &[9, 9, 9, 9]);
    }

    #[test]
    fn usb_swaps_fixed_fields_and_descriptors() {
        let mut d = vec![0u8; 64 + 32];
        d[9] = URB_ISOCHRONOUS;
        d[60..64].copy_from_slice(&2u32.to_be_bytes()); // ndesc in the other order
        d[64..68].copy_from_slice(&[1, 0, 0, 0]);
        d[80 + 8..80 + 12].copy_from_slice(&[0, 0, 0, 7]);
        d[0..8].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        swap_pseudo_header(DLT_USB_LINUX_MMAPPED, 96, &mut d);
        assert_eq!(&d[0..8], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(&d[60..64], &[2, 0, 0, 0]);
        assert_eq!(&d[64..68], &[0, 0, 0, 1]);
        assert_eq!(&d[88..92], &[7, 0, 0, 0]);
        // A truncated header is swapped only as far as it goes.
        let mut t = vec![1u8, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0xaa, 0xbb];
        swap_pseudo_header(DLT_USB_LINUX, 12, &mut t);
        assert_eq!(t, vec![8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0xaa, 0xbb]);
    }

    #[test]
    fn usb_mmapped_length_fix() {
        let mut d = vec![0u8; 64 + 32];
        d[8] = URB_COMPLETE;
        d[9] = URB_ISOCHRONOUS;
        d[10] = URB_TRANSFER_IN | 1;
        d[15] = 0; // data present
        d[32..36].copy_from_slice(&1000u32.to_ne_bytes()); // urb_len
        d[60..64].copy_from_slice(&2u32.to_ne_bytes()); // ndesc
        // descriptor 0: offset 0 len 100; descriptor 1: offset 500 len 20
        d[64 + 4..64 + 8].copy_from_slice(&0u32.to_ne_bytes());
        d[64 + 8..64 + 12].copy_from_slice(&100u32.to_ne_bytes());
        d[80 + 4..80 + 8].copy_from_slice(&500u32.to_ne_bytes());
        d[80 + 8..80 + 12].copy_from_slice(&20u32.to_ne_bytes());
        let mut h = PacketHeader::new(0, 0, 96, 64 + 32 + 1000);
        fix_header(DLT_USB_LINUX_MMAPPED, &mut h, &d);
        assert_eq!(h.len, 64 + 32 + 520);
        // Not an isochronous IN completion: unchanged.
        d[10] = 1;
        let mut h = PacketHeader::new(0, 0, 96, 64 + 32 + 1000);
        fix_header(DLT_USB_LINUX_MMAPPED, &mut h, &d);
        assert_eq!(h.len, 1096);
    }
}

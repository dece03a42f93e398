//! The safe Rust API end to end: an Injector's single frames, batches and
//! send queue arriving at a Capture on a veth pair, exactly; savefiles
//! written by SavefileWriter read back by SavefileReader and by Debian's
//! tcpdump on the system libpcap; filters on both.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::netns::{frame, frame_seq, with_veth};
use ringcap::api::{Capture, Filter, PacketHeader, Precision, SavefileReader, SavefileWriter, SendQueue};
use ringcap::dlt::DLT_EN10MB;
use ringcap::packet::Timeval;

#[test]
fn injector_frames_arrive_exactly() {
    with_veth(|v| {
        let mut rx = Capture::builder(&v.a).timeout(Duration::from_millis(20)).activate().unwrap();
        let tx = Capture::builder(&v.b).activate().unwrap();
        let inj = tx.injector();
        let sent: Vec<Vec<u8>> = (0..40).map(|i| frame(v.a_mac, v.b_mac, i, 60 + i as usize)).collect();
        assert_eq!(inj.inject(&sent[0]).unwrap(), 60);
        let refs: Vec<&[u8]> = sent[1..30].iter().map(|f| f.as_slice()).collect();
        assert_eq!(inj.inject_batch(&refs).unwrap(), 29);
        let mut q = SendQueue::new();
        for f in &sent[30..] {
            q.push(Timeval { tv_sec: 0, tv_usec: 0 }, f).unwrap();
        }
        assert_eq!(inj.transmit(&q, false).unwrap(), q.len());
        // An empty frame is refused, naming it; what came before it went.
        let e = inj.inject_batch(&[&sent[0], &[]]).unwrap_err();
        assert_eq!((e.sent, e.error.message.as_str()), (1, "frame 1 has no bytes"));
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while got.len() < 41 && Instant::now() < deadline {
            cap_all(&mut rx, &mut got);
        }
        let mut want = sent.clone();
        want.push(sent[0].clone());
        assert_eq!(got, want);
    });
}

fn cap_all(rx: &mut Capture, got: &mut Vec<Vec<u8>>) {
    rx.dispatch(0, |p| {
        if frame_seq(p.data()).is_some() {
            got.push(p.data().to_vec());
        }
    })
    .unwrap();
}

#[test]
fn savefiles_round_trip_and_tcpdump_reads_them() {
    let dir = std::env::temp_dir().join(format!("ringcap-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let frames: Vec<Vec<u8>> = (0..25).map(|i| frame([2, 0, 0, 0, 0, 0x0a], [2, 0, 0, 0, 0, 0x0b], i, 60 + 7 * i as usize)).collect();
    for ng in [false, true] {
        let path = dir.join(if ng { "a.pcapng" } else { "a.pcap" });
        let mut w = if ng {
            SavefileWriter::create_pcapng(&path, DLT_EN10MB, 100, Precision::Nano).unwrap()
        } else {
            SavefileWriter::create(&path, DLT_EN10MB, 100, Precision::Nano).unwrap()
        };
        for (i, f) in frames.iter().enumerate() {
            let caplen = f.len().min(100) as u32;
            let h = PacketHeader { ts: Timeval { tv_sec: 1_700_000_000 + i as i64, tv_usec: 999_999_000 + i as i64 }, caplen, len: f.len() as u32 };
            w.write(&h, &f[..caplen as usize]);
        }
        w.finish().unwrap();
        let mut r = SavefileReader::open(&path, Precision::Nano).unwrap();
        assert_eq!((r.linktype(), r.snaplen(), r.version()), (DLT_EN10MB, 100, if ng { (1, 0) } else { (2, 4) }));
        let mut n = 0;
        while let Some((h, d)) = r.next_packet().unwrap() {
            assert_eq!(d, &frames[n][..frames[n].len().min(100)], "{ng}: packet {n}");
            assert_eq!((h.ts.tv_sec, h.ts.tv_usec, h.len as usize), (1_700_000_000 + n as i64, 999_999_000 + n as i64, frames[n].len()));
            n += 1;
        }
        assert_eq!(n, 25);
        // A filter on the reader: the longer frames only.
        let mut r = SavefileReader::open(&path, Precision::Micro).unwrap();
        r.set_filter(Some(&Filter::compile("greater 200", DLT_EN10MB, 100).unwrap()));
        let mut long = 0;
        while let Some((h, _)) = r.next_packet().unwrap() {
            assert!(h.len >= 200 && h.ts.tv_usec < 1_000_000);
            long += 1;
        }
        assert_eq!(long, frames.iter().filter(|f| f.len() >= 200).count());
        // Debian's tcpdump on the system libpcap reads the file.
        let out = Command::new("tcpdump").args(["-n", "-r"]).arg(&path).output().expect("tcpdump");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // One line per packet (unknown EtherTypes get hex lines below, indented).
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with(char::is_whitespace)).count(), 25);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // A file that is not one: libpcap's message.
    let e = SavefileReader::open("/dev/null", Precision::Micro).err().unwrap();
    assert!(e.message.contains("truncated dump file") || e.message.contains("unknown file format"), "{}", e.message);
}

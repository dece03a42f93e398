// The savefile readers' fuzz check, shared by the fuzz targets and by
// tests/savefile_fuzz.rs (which replays the kept corpus through it).
//
// Reads the input as a savefile through a memory source (the path a mapped
// file takes, with `pcap_next_ex` and with `pcap_dispatch`, whose in-place
// run over a mapping is separate code) and through an fread stream (pipes,
// stdin, FILE *), at both timestamp precisions. Nothing may panic, hang or
// allocate beyond what the input holds, and every way must agree exactly:
// the same records, the same bytes, the same error text.

use ringcap::packet::{Next, PacketHeader, PacketSource};
use ringcap::savefile::source::ReadStream;
use ringcap::savefile::{Offline, Source};

type Outcome = (Vec<(PacketHeader, Vec<u8>)>, Option<String>);

fn read_all(src: Source, precision: u32) -> Outcome {
    let mut o = match Offline::open(src, precision) {
        Ok(o) => o,
        Err(e) => return (Vec::new(), Some(e.message)),
    };
    let snapshot = o.info().snapshot;
    let mut got = Vec::new();
    loop {
        match o.next_packet() {
            Ok(Next::Packet(h, d)) => {
                assert_eq!(h.caplen as usize, d.len(), "caplen and data disagree");
                assert!(snapshot > 0 && h.caplen <= snapshot as u32, "caplen above the snapshot length");
                got.push((h, d.to_vec()));
            }
            Ok(Next::Eof) => return (got, None),
            Ok(Next::Timeout) => panic!("a savefile never times out"),
            Err(e) => return (got, Some(e.message)),
        }
    }
}

/// The same through `dispatch(cnt)` calls until the end or an error.
fn dispatch_all(src: Source, precision: u32, cnt: i32) -> Outcome {
    let mut o = match Offline::open(src, precision) {
        Ok(o) => o,
        Err(e) => return (Vec::new(), Some(e.message)),
    };
    let mut got = Vec::new();
    loop {
        let mut batch = Vec::new();
        match o.dispatch(cnt, &mut |h, d| batch.push((*h, d.to_vec()))) {
            Ok(0) => return (got, None),
            Ok(n) => {
                assert_eq!(n as usize, batch.len());
                assert!(cnt <= 0 || n <= cnt);
                got.extend(batch);
            }
            // libpcap drops the packets of a call that ends in an error;
            // next_packet delivers them one by one before it: keep them.
            Err(e) => {
                got.extend(batch);
                return (got, Some(e.message));
            }
        }
    }
}

pub fn check_savefile(data: &[u8]) {
    for precision in [0u32, 1] {
        let mapped = read_all(Source::memory(data.to_vec()), precision);
        let streamed = read_all(Source::stream(Box::new(ReadStream(std::io::Cursor::new(data.to_vec())))), precision);
        assert_eq!(mapped, streamed, "memory and stream sources disagree");
        for cnt in [-1, 2] {
            let dispatched = dispatch_all(Source::memory(data.to_vec()), precision, cnt);
            assert_eq!(dispatched, streamed, "dispatch({cnt}) on memory and next_packet on a stream disagree");
        }
    }
}

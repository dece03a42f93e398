// The savefile readers' fuzz check, shared by the fuzz targets and by
// tests/savefile_fuzz.rs (which replays the kept corpus through it).
//
// Reads the input as a savefile through a memory source (the path a mapped
// file takes) and through an fread stream (pipes, stdin, FILE *), at both
// timestamp precisions. Neither may panic, hang or allocate beyond what the
// input holds, and the two sources must agree exactly: the same records,
// the same bytes, the same error text.

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

pub fn check_savefile(data: &[u8]) {
    for precision in [0u32, 1] {
        let mapped = read_all(Source::memory(data.to_vec()), precision);
        let streamed = read_all(Source::stream(Box::new(ReadStream(std::io::Cursor::new(data.to_vec())))), precision);
        assert_eq!(mapped, streamed, "memory and stream sources disagree");
    }
}

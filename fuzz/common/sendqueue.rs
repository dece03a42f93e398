// The send-queue walk (pcap_sendqueue_transmit's parser) over any bytes:
// records tile the buffer from the start, each a `struct pcap_pkthdr` and
// exactly `caplen` bytes; the walk ends at the end of the buffer or with
// one error, never reads past the buffer, and re-encoding the records gives
// back the bytes they came from.
fn check_sendqueue(data: &[u8]) {
    let hl = std::mem::size_of::<ringcap::packet::PacketHeader>();
    let mut at = 0usize;
    let mut ended_in_error = false;
    for r in ringcap::capture::inject::queue_records(data) {
        assert!(!ended_in_error, "nothing after an error");
        match r {
            Ok((end, h, bytes)) => {
                assert_eq!(bytes.len(), h.caplen as usize);
                assert_eq!(end, at + hl + bytes.len());
                assert!(end <= data.len());
                assert_eq!(&data[at + hl..end], bytes);
                assert_eq!(&data[at + 16..at + 20], &h.caplen.to_ne_bytes()[..]);
                at = end;
            }
            Err(e) => {
                assert!(e.message.contains(&format!("at byte {at}")), "{}", e.message);
                ended_in_error = true;
            }
        }
    }
    assert!(ended_in_error || at == data.len(), "a clean walk consumes every byte");
}

//! Batch receive with per-packet metadata through the safe Rust API: up to
//! 32 packets at a time, read in place in the ring, each with its packet
//! type, VLAN tag, flow hash, protocol and timestamp source. One line per
//! packet; ends after COUNT packets or 10 idle seconds.
//!
//! `cargo run --example batch -- <dev> [count]` (needs CAP_NET_RAW)

use std::time::Duration;

use ringcap::api::{Capture, TsSource};

fn main() -> Result<(), ringcap::Error> {
    let mut args = std::env::args().skip(1);
    let Some(dev) = args.next() else {
        eprintln!("usage: batch <dev> [count]");
        std::process::exit(2);
    };
    let want: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let mut cap = Capture::builder(&dev).activate()?;
    let ring = cap.ring_info();
    println!("capturing on {dev}: {}, {} blocks of {} bytes", ring.rx.version, ring.rx.block_nr, ring.rx.block_size);
    let (mut seen, mut idle) = (0, 0);
    while seen < want && idle < 10 {
        let batch = cap.batch(32, Some(Duration::from_secs(1)))?;
        idle = if batch.is_empty() { idle + 1 } else { 0 };
        for p in batch.iter().take(want - seen) {
            let ts = p.ts_ns();
            let kind = ["host", "broadcast", "multicast", "otherhost", "outgoing"].get(p.pkttype() as usize).unwrap_or(&"other");
            print!("{}.{:09} {:5} bytes {kind:<9} proto 0x{:04x} if {}", ts / 1_000_000_000, ts % 1_000_000_000, p.len(), p.protocol(), p.ifindex());
            if let Some((tpid, tci)) = p.vlan() {
                print!(" vlan {tpid:04x}/{}", tci & 0xfff);
            }
            if p.rxhash() != 0 {
                print!(" hash {:08x}", p.rxhash());
            }
            println!(" {}", if p.ts_source() == TsSource::Hardware { "hw" } else { "sw" });
            seen += 1;
        }
        // Dropping the batch hands its blocks back to the kernel.
    }
    let s = cap.stats_ex()?;
    println!("{seen} packets; kernel: {} seen, {} dropped", s.kernel.packets, s.kernel.drops);
    Ok(())
}

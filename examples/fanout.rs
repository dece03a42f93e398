//! A fanout capture through the safe Rust API: N worker threads, each owning
//! one capture; the captures form one PACKET_FANOUT group, so the kernel
//! hands each packet on the device to exactly one worker. After SECONDS the
//! main thread stops every worker (a `BreakHandle` each); the program prints
//! what each captured, the total, and the kernel's drops.
//!
//! `cargo run --example fanout -- <dev> [workers (2)] [hash|lb|cpu|rollover|rnd|qm (hash)] [group id (42)] [seconds (10)]`
//! (needs CAP_NET_RAW)

use std::time::Duration;

use ringcap::api::{Capture, FanoutFlags, FanoutGroup, FanoutMode};

fn main() -> Result<(), ringcap::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dev) = args.first().cloned() else {
        eprintln!("usage: fanout <dev> [workers] [hash|lb|cpu|rollover|rnd|qm] [group id] [seconds]");
        std::process::exit(2);
    };
    let workers: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let mode_name = args.get(2).cloned().unwrap_or_else(|| "hash".into());
    let mode = FanoutMode::from_name(&mode_name).ok_or_else(|| ringcap::Error::msg(format!("unknown fanout mode {mode_name}")))?;
    let id: u16 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(42);
    let seconds: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(10);
    let group = FanoutGroup::new(mode, id, FanoutFlags::NONE)?;

    // Every capture joins the group before any worker reads.
    let captures = (0..workers)
        .map(|_| Capture::builder(&dev).snaplen(65535).timeout(Duration::from_millis(100)).fanout(group.clone()).activate())
        .collect::<Result<Vec<_>, _>>()?;
    println!("capturing on {dev}: {workers} workers in fanout group {} ({mode_name})", captures[0].fanout_group_id()?);
    let breaks: Vec<_> = captures.iter().map(Capture::break_handle).collect();
    let threads: Vec<_> = captures
        .into_iter()
        .map(|mut cap| {
            std::thread::spawn(move || {
                let (mut packets, mut bytes) = (0u64, 0u64);
                // Each worker reads only its own capture: no locking.
                loop {
                    match cap.dispatch(0, |p| {
                        packets += 1;
                        bytes += p.len() as u64;
                    }) {
                        Ok(_) => {}
                        Err(e) if e.code == ringcap::error::code::BREAK => break,
                        Err(e) => return Err(e),
                    }
                }
                let drops = cap.stats()?.drop as u64;
                Ok((packets, bytes, drops))
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    breaks.iter().for_each(|b| b.request());
    let (mut total, mut drops) = (0, 0);
    for (i, t) in threads.into_iter().enumerate() {
        let (packets, bytes, d) = t.join().expect("worker")?;
        println!("worker {i}: {packets} packets, {bytes} bytes");
        total += packets;
        drops += d;
    }
    println!("total: {total} packets, {drops} dropped by the kernel");
    Ok(())
}

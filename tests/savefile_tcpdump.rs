//! Debian's tcpdump reading and writing savefiles on ringcap
//! (`LD_LIBRARY_PATH`), compared with the same commands on the system
//! libpcap: `-r` with `-n -e -x -tt` (and `--nano`), `-w`, `-r - -w -`,
//! filters, and ringcap's pcapng output read back by tcpdump.

mod common;
mod savefile_corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{build_c, lib_dir, Against};

fn tcpdump(against: Against, args: &[&str], stdin: Option<&Path>) -> Output {
    let mut cmd = Command::new("tcpdump");
    // As root, tcpdump drops to its own user before it opens output files;
    // stay root so it can write into the build directory (ignored when the
    // tests do not run as root).
    cmd.args(["-Z", "root"]).args(args);
    if against == Against::Ringcap {
        cmd.env("LD_LIBRARY_PATH", lib_dir());
    }
    if let Some(f) = stdin {
        cmd.stdin(Stdio::from(std::fs::File::open(f).unwrap()));
    }
    cmd.output().expect("run tcpdump")
}

/// Both runs must print, complain and exit alike.
fn same(args: &[&str], stdin: Option<&Path>) -> Output {
    let sys = tcpdump(Against::System, args, stdin);
    let rc = tcpdump(Against::Ringcap, args, stdin);
    let err = String::from_utf8_lossy(&rc.stderr);
    assert!(!err.contains("symbol lookup error"), "tcpdump cannot run on ringcap: {err}");
    assert_eq!(String::from_utf8_lossy(&sys.stderr), err, "stderr of tcpdump {args:?}");
    assert!(sys.stdout == rc.stdout, "stdout of tcpdump {args:?} differs");
    assert_eq!(sys.status.code(), rc.status.code(), "exit status of tcpdump {args:?}");
    rc
}

fn corpus(name: &str) -> String {
    savefile_corpus::path(name).to_str().unwrap().to_string()
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/savefile-tcpdump");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

#[test]
fn tcpdump_reads_like_on_libpcap() {
    for name in savefile_corpus::names(true) {
        let f = corpus(&name);
        let out = same(&["-n", "-e", "-x", "-tt", "-r", &f], None);
        assert!(out.status.success(), "{name}");
        same(&["-n", "-e", "-x", "-tt", "--nano", "-r", &f], None);
    }
    for name in savefile_corpus::names(false) {
        same(&["-n", "-e", "-x", "-tt", "-r", &corpus(&name)], None);
    }
}

#[test]
fn tcpdump_copies_malformed_files_like_on_libpcap() {
    // `-r BAD -w OUT`: the same complaint and exit status, and the same
    // packets (those before the damage) written out.
    for name in savefile_corpus::names(false) {
        let outs = [scratch(&format!("{name}.sys.pcap")), scratch(&format!("{name}.rc.pcap"))];
        let mut runs = Vec::new();
        for (out, against) in outs.iter().zip([Against::System, Against::Ringcap]) {
            let _ = std::fs::remove_file(out);
            runs.push(tcpdump(against, &["-r", &corpus(&name), "-w", out.to_str().unwrap()], None));
        }
        let (s, r) = (&runs[0], &runs[1]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!err.contains("symbol lookup error"), "tcpdump cannot run on ringcap: {err}");
        assert_eq!(String::from_utf8_lossy(&s.stderr), err, "stderr of tcpdump -r {name} -w");
        assert_eq!(s.status.code(), r.status.code(), "exit status of tcpdump -r {name} -w");
        assert!(!r.status.success(), "{name}: tcpdump accepted it: {err}");
        let written = |p: &Path| std::fs::read(p).ok();
        assert!(written(&outs[0]) == written(&outs[1]), "{name}: the files tcpdump wrote differ");
    }
}

#[test]
fn tcpdump_reads_standard_input() {
    for name in ["pcap-1-be-ns.pcap", "ng-multi-le.pcapng", "bad-record-data-short"] {
        let f = savefile_corpus::path(name);
        same(&["-n", "-tt", "--nano", "-r", "-"], Some(&f));
    }
}

#[test]
fn tcpdump_filters_savefiles_like_on_libpcap() {
    for (name, filter) in [
        ("pcap-1-le-us.pcap", "udp"),
        ("pcap-1-be-ns.pcap", "tcp and dst port 443"),
        ("ng-multi-be.pcapng", "greater 100"),
        ("pcap-113-le-us.pcap", "ip"),
    ] {
        let out = same(&["-n", "-tt", "-r", &corpus(name), filter], None);
        assert!(out.status.success(), "{name} {filter}");
    }
}

#[test]
fn tcpdump_writes_like_on_libpcap() {
    for name in savefile_corpus::names(true) {
        for nano in [false, true] {
            let (a, b) = (scratch(&format!("{name}-{nano}.sys")), scratch(&format!("{name}-{nano}.rc")));
            let args = |out: &Path| {
                let mut v = vec!["-r".to_string(), corpus(&name), "-w".to_string(), out.to_str().unwrap().to_string()];
                if nano {
                    v.insert(0, "--nano".into());
                }
                v
            };
            let (sa, ra) = (args(&a), args(&b));
            let s = tcpdump(Against::System, &sa.iter().map(|s| s.as_str()).collect::<Vec<_>>(), None);
            let r = tcpdump(Against::Ringcap, &ra.iter().map(|s| s.as_str()).collect::<Vec<_>>(), None);
            assert_eq!(String::from_utf8_lossy(&s.stderr), String::from_utf8_lossy(&r.stderr), "{name}");
            assert_eq!(s.status.code(), r.status.code(), "{name}");
            assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "{name} nano={nano}: files differ");
        }
    }
    // Standard input to standard output.
    let out = same(&["-r", "-", "-w", "-"], Some(&savefile_corpus::path("ng-multi-be.pcapng")));
    assert!(out.stdout.len() > 24);
}

#[test]
fn tcpdump_reads_ringcaps_pcapng_output() {
    let exe = build_c("savefile_ng", Against::Ringcap, &[]);
    for name in ["pcap-1-le-us.pcap", "pcap-1-be-ns.pcap", "ng-multi-le.pcapng", "pcap-113-be-us.pcap", "pcap-12-le-ns.pcap"] {
        for prec in ["0", "1"] {
            let out = scratch(&format!("{name}-{prec}.pcapng"));
            let r = common::run(&exe, &[&corpus(name), out.to_str().unwrap(), prec], Against::Ringcap);
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            // The pcapng copy prints exactly as the original, on both
            // libraries (the first line names the file: compare the rest).
            for nano in [&[][..], &["--nano"][..]] {
                let listing = |file: &str, against| {
                    let mut args = vec!["-n", "-e", "-x", "-tt"];
                    args.extend_from_slice(nano);
                    args.extend_from_slice(&["-r", file]);
                    let o = tcpdump(against, &args, None);
                    assert!(o.status.success(), "{file}: {}", String::from_utf8_lossy(&o.stderr));
                    o.stdout
                };
                let original = listing(&corpus(name), Against::System);
                // A µs handle writes µs timestamps: --nano shows them as such.
                if prec == "1" || nano.is_empty() {
                    assert!(listing(out.to_str().unwrap(), Against::System) == original, "{name} {prec} {nano:?}");
                }
                assert!(
                    listing(out.to_str().unwrap(), Against::Ringcap) == listing(out.to_str().unwrap(), Against::System),
                    "{name} {prec}"
                );
            }
        }
    }
}

/// Feed `tcpdump [-U] -r - -w OUT` a pcap file through a pipe, one record at
/// a time, and after each record wait (up to `wait`) for OUT to hold the
/// header and every record so far. Returns, per record, whether it did;
/// then closes the pipe and checks the run and the final file.
fn written_as_they_arrive(against: Against, per_packet: bool, wait: std::time::Duration) -> Vec<bool> {
    use std::io::Write;
    let out = scratch(&format!("flush-{}-{per_packet}.pcap", against.tag()));
    let _ = std::fs::remove_file(&out);
    let mut r = savefile_corpus::Lcg::new(5);
    let mut f = savefile_corpus::Pcap::new(false, 0xa1b2_c3d4, (2, 4), 65535, 1);
    let mut ends = Vec::new();
    for i in 0..5u32 {
        let p = savefile_corpus::ethernet(&mut r, 40 + i as usize * 100);
        f.rec(1_600_000_000 + i, i, p.len() as u32, p.len() as u32, &p);
        ends.push(f.out.len());
    }
    let mut cmd = Command::new("tcpdump");
    cmd.args(["-Z", "root"]);
    if per_packet {
        cmd.arg("-U");
    }
    cmd.args(["-r", "-", "-w", out.to_str().unwrap()]);
    if against == Against::Ringcap {
        cmd.env("LD_LIBRARY_PATH", lib_dir());
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let size = || std::fs::metadata(&out).map_or(0, |m| m.len() as usize);
    let mut seen = Vec::new();
    let mut from = 0;
    for &end in &ends {
        pipe.write_all(&f.out[from..end]).unwrap();
        pipe.flush().unwrap();
        from = end;
        let t0 = std::time::Instant::now();
        while size() < end && t0.elapsed() < wait {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        seen.push(size() == end);
    }
    drop(pipe);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{against:?}: {err}");
    assert_eq!(err, "reading from file -, link-type EN10MB (Ethernet), snapshot length 65535\n", "{against:?}");
    assert!(std::fs::read(&out).unwrap() == f.out, "{against:?}: the copy is not the input");
    seen
}

#[test]
fn tcpdump_flushes_per_packet_with_u() {
    // -U: pcap_dump_flush after every packet, so each record is in the file
    // while tcpdump still waits for the next one.
    let wait = std::time::Duration::from_secs(10);
    for against in [Against::System, Against::Ringcap] {
        assert_eq!(written_as_they_arrive(against, true, wait), vec![true; 5], "{against:?}");
    }
    // Without -U the records stay in the stdio buffer (the check above can
    // tell the difference).
    let wait = std::time::Duration::from_millis(200);
    for against in [Against::System, Against::Ringcap] {
        assert_eq!(written_as_they_arrive(against, false, wait), vec![false; 5], "{against:?}");
    }
}

#[test]
fn tcpdump_rotates_files_with_c_like_on_libpcap() {
    // -C 1: a new file whenever pcap_dump_ftell64 passes 1,000,000 bytes.
    let big = scratch("rotate-input.pcap");
    let mut r = savefile_corpus::Lcg::new(3);
    let mut f = savefile_corpus::Pcap::new(false, 0xa1b2_c3d4, (2, 4), 65535, 1);
    for i in 0..4000u32 {
        let n = (r.next() % 1400) as usize;
        let p = savefile_corpus::ethernet(&mut r, n);
        f.rec(1_600_000_000 + i, i * 7, p.len() as u32, p.len() as u32, &p);
    }
    std::fs::write(&big, &f.out).unwrap();
    let dirs = [scratch("rotate-sys"), scratch("rotate-rc")];
    for (d, against) in dirs.iter().zip([Against::System, Against::Ringcap]) {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).unwrap();
        let o = tcpdump(against, &["-r", big.to_str().unwrap(), "-C", "1", "-w", d.join("out").to_str().unwrap()], None);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let list = |d: &Path| {
        let mut v: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()).collect();
        v.sort();
        v
    };
    let names = list(&dirs[0]);
    assert!(names.len() >= 3, "{names:?}");
    assert_eq!(names, list(&dirs[1]));
    for n in names {
        assert!(std::fs::read(dirs[0].join(&n)).unwrap() == std::fs::read(dirs[1].join(&n)).unwrap(), "{n:?}");
    }
}

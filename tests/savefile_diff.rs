//! Savefiles read and written through the C API, compared with the system
//! libpcap: `c-tests/savefile_rw.c` built against each library prints every
//! header field and packet byte (and writes files, compared byte for byte).

mod common;
mod savefile_corpus;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use common::{build_c, lib_dir, Against};

fn exe(against: Against) -> &'static Path {
    static SYS: OnceLock<PathBuf> = OnceLock::new();
    static RC: OnceLock<PathBuf> = OnceLock::new();
    let cell = if against == Against::System { &SYS } else { &RC };
    cell.get_or_init(|| build_c("savefile_rw", against, &[]))
}

/// Run the program against one library, optionally feeding `stdin` through
/// a pipe.
fn run(against: Against, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = common::command(exe(against), against);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = cmd.spawn().expect("spawn savefile_rw");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        // A writer thread: the reader may stop early (an error) and close.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    child.wait_with_output().expect("wait savefile_rw")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Run with both libraries; the outputs must be identical. Returns ringcap's.
fn same(args: &[&str], stdin: Option<&[u8]>) -> String {
    let sys = run(Against::System, args, stdin);
    let rc = run(Against::Ringcap, args, stdin);
    assert!(sys.status.success(), "system run of {args:?} failed: {}", String::from_utf8_lossy(&sys.stderr));
    assert!(rc.status.success(), "ringcap run of {args:?} failed: {}", String::from_utf8_lossy(&rc.stderr));
    let (s, r) = (text(&sys), text(&rc));
    if s != r {
        let first = s.lines().zip(r.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{args:?}: outputs differ at line {first}\n system: {:?}\nringcap: {:?}",
            s.lines().nth(first),
            r.lines().nth(first)
        );
    }
    r
}

fn corpus_path(name: &str) -> String {
    savefile_corpus::path(name).to_str().unwrap().to_string()
}

#[test]
fn reading_well_formed_files_matches_libpcap() {
    for name in savefile_corpus::names(true) {
        let p = corpus_path(&name);
        for prec in ["0", "1"] {
            let out = same(&["read", &p, prec, "next_ex"], None);
            assert!(out.starts_with("datalink="), "{name}: {out}");
            assert!(out.contains("next_ex rc=-2"), "{name} did not reach its end: {out}");
            same(&["read", &p, prec, "loop"], None);
        }
        for how in ["dispatch", "next", "fopen"] {
            same(&["read", &p, "1", how], None);
        }
        let bytes = std::fs::read(&p).unwrap();
        same(&["read", "-", "0", "stdin"], Some(&bytes));
    }
}

#[test]
fn refusing_malformed_files_matches_libpcap() {
    for name in savefile_corpus::names(false) {
        let p = corpus_path(&name);
        let out = same(&["read", &p, "0", "next_ex"], None);
        assert!(out.contains("error") || out.contains("err="), "{name} was not refused: {out}");
        same(&["read", &p, "1", "loop"], None);
        same(&["read", &p, "0", "fopen"], None);
        let bytes = std::fs::read(&p).unwrap();
        same(&["read", "-", "0", "stdin"], Some(&bytes));
    }
}

#[test]
fn a_bad_precision_is_refused_like_libpcap() {
    let out = same(&["read", &corpus_path("pcap-1-le-us.pcap"), "7", "next_ex"], None);
    assert_eq!(out, "open error: unknown time stamp resolution 7\n");
    let out = same(&["read", &corpus_path("ng-multi-le.pcapng"), "7", "next_ex"], None);
    assert_eq!(out, "open error: unknown time stamp resolution 7\n");
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/savefile-out");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// Run a writing command with both libraries, into two output files; the
/// files and the printed lines must be identical. Returns the file and the
/// text of the last run.
fn same_output_file(cmd: &str, input: &str, prec: &str, tag: &str, runs: usize) -> (Vec<u8>, String) {
    let (a, b) = (scratch(&format!("{tag}.system")), scratch(&format!("{tag}.ringcap")));
    let _ = std::fs::remove_file(&a);
    let _ = std::fs::remove_file(&b);
    let mut last = String::new();
    for _ in 0..runs {
        let sys = run(Against::System, &[cmd, input, a.to_str().unwrap(), prec], None);
        let rc = run(Against::Ringcap, &[cmd, input, b.to_str().unwrap(), prec], None);
        // The file names differ: compare what is printed about them.
        let t = |o: &Output, f: &Path| text(o).replace(f.to_str().unwrap(), "OUT");
        assert_eq!(t(&sys, &a), t(&rc, &b), "{cmd} {input} {prec}");
        last = text(&rc);
    }
    let (x, y) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(x == y, "{cmd} {input} {prec}: files differ ({} vs {} bytes)", x.len(), y.len());
    (y, last)
}

#[test]
fn writing_matches_libpcap_byte_for_byte() {
    for name in savefile_corpus::names(true) {
        let p = corpus_path(&name);
        for prec in ["0", "1"] {
            let (out, _) = same_output_file("copy", &p, prec, &format!("copy-{name}-{prec}"), 1);
            // Round trip: the copy reads back as the original does.
            let copy = scratch(&format!("copy-{name}-{prec}.ringcap"));
            let packets = |f: &str| -> Vec<String> {
                let o = run(Against::Ringcap, &["read", f, prec, "next_ex"], None);
                text(&o).lines().filter(|l| l.starts_with("pkt ")).map(String::from).collect()
            };
            assert_eq!(packets(copy.to_str().unwrap()), packets(&p), "{name} round trip");
            assert!(out.len() >= 24);
        }
        same_output_file("fcopy", &p, "1", &format!("fcopy-{name}"), 1);
        // Twice: the second run appends to the first's file.
        same_output_file("append", &p, "0", &format!("append-{name}"), 2);
    }
}

#[test]
fn flushing_after_every_packet_matches_libpcap() {
    // pcap_dump_flush after each pcap_dump: the file then holds everything
    // written (its size is the stream's position), on both libraries.
    for name in ["pcap-1-le-us.pcap", "pcap-276-be-ns.pcap", "ng-multi-be.pcapng"] {
        let p = corpus_path(name);
        let (file, out) = same_output_file("flush", &p, "1", &format!("flush-{name}"), 1);
        let packets = text(&run(Against::Ringcap, &["read", &p, "1", "next_ex"], None)).matches("pkt ").count();
        let mut last = 24;
        let mut flushes = 0;
        for l in out.lines().filter(|l| l.starts_with("flush ")) {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!((f[1], f[2], f[4]), ("0", "ftell", "size"), "{name}: {l}");
            let (pos, size): (i64, i64) = (f[3].parse().unwrap(), f[5].parse().unwrap());
            assert_eq!(pos, size, "{name}: a flushed file is shorter than the stream's position: {l}");
            assert!(pos > last, "{name}: {l} after {last}");
            last = pos;
            flushes += 1;
        }
        assert_eq!(flushes, packets, "{name}: {out}");
        assert_eq!(file.len() as i64, last, "{name}");
    }
}

#[test]
fn appending_to_standard_output_matches_libpcap() {
    // pcap_dump_open_append("-") writes a new file to the standard output,
    // as pcap_dump_open("-") does.
    let input = corpus_path("pcap-1-be-ns.pcap");
    for prec in ["0", "1"] {
        let args = ["append", input.as_str(), "-", prec];
        let (sys, rc) = (run(Against::System, &args, None), run(Against::Ringcap, &args, None));
        assert!(sys.status.success() && rc.status.success(), "{}", String::from_utf8_lossy(&rc.stderr));
        assert_eq!(String::from_utf8_lossy(&sys.stderr), String::from_utf8_lossy(&rc.stderr), "{prec}");
        assert!(String::from_utf8_lossy(&rc.stderr).contains("loop rest rc=0"), "{prec}");
        assert!(sys.stdout == rc.stdout, "append to \"-\" output differs ({prec})");
        let (copy, _) = same_output_file("copy", &input, prec, &format!("stdout-append-{prec}"), 1);
        assert!(rc.stdout == copy, "append to \"-\" is not what pcap_dump_open writes ({prec})");
    }
}

#[test]
fn appending_refusals_match_libpcap() {
    let us = corpus_path("pcap-1-le-us.pcap");
    let sll = corpus_path("pcap-113-le-us.pcap");
    let fcs = corpus_path("pcap-over-snaplen-fcs.pcap");
    let out = scratch("append-refusals");
    // (first file, its precision, second file, its precision): the second
    // append is refused for its precision, link type, snapshot length.
    for (first, p1, second, p2) in [(&us, "1", &us, "0"), (&us, "0", &sll, "0"), (&us, "0", &fcs, "0")] {
        let second_append = |against| {
            let _ = std::fs::remove_file(&out);
            let o = out.to_str().unwrap();
            run(against, &["append", first, o, p1], None);
            text(&run(against, &["append", second, o, p2], None))
        };
        let (sys, rc) = (second_append(Against::System), second_append(Against::Ringcap));
        assert_eq!(sys, rc);
        assert!(rc.contains("cannot append"), "{rc}");
    }
    // Appending to something that is not a pcap file.
    for f in ["ng-multi-le.pcapng", "pcap-kuznetzov.pcap", "pcap-1-be-us.pcap", "pcap-v2.2.pcap"] {
        let copy = scratch("append-target");
        std::fs::copy(corpus_path(f), &copy).unwrap();
        let sys = text(&run(Against::System, &["append", &us, copy.to_str().unwrap(), "0"], None));
        std::fs::copy(corpus_path(f), &copy).unwrap();
        let rc = text(&run(Against::Ringcap, &["append", &us, copy.to_str().unwrap(), "0"], None));
        assert_eq!(sys, rc, "{f}");
        assert!(rc.contains("dump open error"), "{f}: {rc}");
    }
}

#[test]
fn dead_handles_write_like_libpcap() {
    for (dlt, snaplen) in [("1", "65535"), ("113", "262144"), ("12", "96"), ("276", "0"), ("0", "-1")] {
        for prec in ["0", "1"] {
            let tag = format!("dead-{dlt}-{snaplen}-{prec}");
            let (a, b) = (scratch(&format!("{tag}.system")), scratch(&format!("{tag}.ringcap")));
            let s = run(Against::System, &["dead", a.to_str().unwrap(), dlt, snaplen, prec], None);
            let r = run(Against::Ringcap, &["dead", b.to_str().unwrap(), dlt, snaplen, prec], None);
            assert_eq!(text(&s), text(&r), "{tag}");
            assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{tag}");
        }
    }
}

#[test]
fn breakloop_matches_libpcap() {
    let out = same(&["breakloop", &corpus_path("pcap-1-le-us.pcap")], None);
    assert!(out.contains("loop with break rc=-2"), "{out}");
    same(&["breakloop", &corpus_path("ng-multi-be.pcapng")], None);
}

#[test]
fn error_texts_match_libpcap() {
    let d = scratch("");
    let out = same(&["errors", d.to_str().unwrap().trim_end_matches('/')], None);
    assert!(out.contains("No such file or directory"), "{out}");
}

#[test]
fn savefile_handle_operations_match_libpcap() {
    let out = same(&["ops", &corpus_path("pcap-1-le-us.pcap")], None);
    assert!(out.contains("Statistics aren't available from savefiles"), "{out}");
    same(&["ops", &corpus_path("ng-multi-le.pcapng")], None);
}

#[test]
fn pcap_file_position_and_seeking_match_libpcap() {
    // The stream is where libpcap's would be, and moving it moves reading
    // (a mapped file switches to stdio reading when pcap_file is called).
    let out = same(&["file", &corpus_path("pcap-1-le-us.pcap"), "24"], None);
    assert!(out.contains("pcap_file stream ftell "), "{out}");
    assert_eq!(out.matches("pkt ").count(), 2 + 12, "{out}");
    same(&["file", &corpus_path("pcap-1-be-ns.pcap"), "-1"], None);
    same(&["file", &corpus_path("ng-multi-le.pcapng"), "-1"], None);
}

#[test]
fn dumping_to_standard_output_matches_libpcap() {
    for prec in ["0", "1"] {
        let sys = run(Against::System, &["dead", "-", "1", "65535", prec], None);
        let rc = run(Against::Ringcap, &["dead", "-", "1", "65535", prec], None);
        assert!(sys.status.success() && rc.status.success());
        assert!(sys.stdout.len() > 24 * 40);
        assert!(sys.stdout == rc.stdout, "pcap_dump_open(\"-\") output differs ({prec})");
    }
}

#[test]
fn pcapng_output_reads_back_on_both_libraries() {
    let ng = build_c("savefile_ng", Against::Ringcap, &[]);
    for name in ["pcap-1-le-us.pcap", "pcap-1-be-ns.pcap", "ng-multi-be.pcapng", "pcap-276-le-ns.pcap", "pcap-empty.pcap"] {
        for prec in ["0", "1"] {
            let out = scratch(&format!("ng-{name}-{prec}.pcapng"));
            let o = common::run(&ng, &[&corpus_path(name), out.to_str().unwrap(), prec], Against::Ringcap);
            assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
            let packets = |f: &str, against| -> Vec<String> {
                let o = run(against, &["read", f, prec, "next_ex"], None);
                text(&o).lines().filter(|l| l.starts_with("pkt ") || l.contains("rc=")).map(String::from).collect()
            };
            let copy = packets(out.to_str().unwrap(), Against::System);
            assert_eq!(copy, packets(&corpus_path(name), Against::System), "{name} {prec}: libpcap reads the copy differently");
            same(&["read", out.to_str().unwrap(), prec, "loop"], None);
        }
    }
}

#[test]
fn pcapng_to_standard_output_is_the_file_output() {
    // ringcap_dump_open_ng("-"): the bytes a file gets, on the standard
    // output; the system libpcap reads them from a pipe as from the file.
    let ng = build_c("savefile_ng", Against::Ringcap, &[]);
    for name in ["pcap-1-le-us.pcap", "ng-multi-be.pcapng"] {
        for prec in ["0", "1"] {
            let file = scratch(&format!("ng-stdout-{name}-{prec}.pcapng"));
            let _ = std::fs::remove_file(&file);
            let o = common::run(&ng, &[&corpus_path(name), file.to_str().unwrap(), prec], Against::Ringcap);
            assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
            let o = common::run(&ng, &[&corpus_path(name), "-", prec], Against::Ringcap);
            assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
            let bytes = std::fs::read(&file).unwrap();
            assert!(bytes.len() > 100 && o.stdout == bytes, "{name} {prec}: standard output differs from the file");
            let piped = text(&run(Against::System, &["read", "-", prec, "stdin"], Some(&o.stdout)));
            let read = text(&run(Against::System, &["read", file.to_str().unwrap(), prec, "next_ex"], None));
            let pkts = |t: &str| t.lines().filter(|l| l.starts_with("pkt ")).map(String::from).collect::<Vec<_>>();
            assert!(!pkts(&read).is_empty());
            assert_eq!(pkts(&piped), pkts(&read), "{name} {prec}");
        }
    }
}

#[test]
fn pcapng_output_gets_an_interface_per_link_type() {
    // A live handle switched DLT_EN10MB -> DLT_DOCSIS -> DLT_EN10MB while
    // ringcap_dump_open_ng writes: two interfaces, packets on the one of
    // the link type they were captured with.
    let exe = build_c("savefile_ng_live", Against::Ringcap, &[]);
    let out = scratch("ng-live-linktypes.pcapng");
    let _ = std::fs::remove_file(&out);
    let o = out.clone();
    let printed = common::netns::with_veth(move |v| {
        let started = common::start_until_ready(&exe, &[&v.a, o.to_str().unwrap()], Against::Ringcap);
        let tx = common::netns::Sender::new(v.b_index);
        for i in 0..6u32 {
            tx.send(&common::netns::frame(v.a_mac, v.b_mac, i, 60 + i as usize));
        }
        started.finish().0
    });
    let Some(printed) = printed else { return };
    assert_eq!(
        printed,
        "set_datalink 1 rc=0 loop rc=0\nset_datalink 143 rc=0 loop rc=0\nset_datalink 1 rc=0 loop rc=0\nflush 0\n"
    );
    let bytes = std::fs::read(&out).unwrap();
    let word = |b: &[u8], o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
    let (mut at, mut idbs, mut epbs) = (0, Vec::new(), Vec::new());
    while at < bytes.len() {
        let (kind, total) = (word(&bytes, at), word(&bytes, at + 4) as usize);
        let body = &bytes[at + 8..at + total - 4];
        match kind {
            1 => idbs.push(u16::from_ne_bytes([body[0], body[1]])),
            6 => {
                let caplen = word(body, 12) as usize;
                epbs.push((word(body, 0), common::netns::frame_seq(&body[20..20 + caplen]), caplen));
            }
            _ => {}
        }
        at += total;
    }
    assert_eq!(idbs, [1, 143]);
    let want: Vec<_> = [0, 0, 1, 1, 0, 0].iter().enumerate().map(|(i, &f)| (f, Some(i as u32), 60 + i)).collect();
    assert_eq!(epbs, want);
    // libpcap 1.10 reads such a file up to the second link type's interface
    // and refuses it there; ringcap's reader and tcpdump on either do the same.
    let f = out.to_str().unwrap();
    let read = same(&["read", f, "1", "next_ex"], None);
    assert_eq!(read.matches("pkt ").count(), 2, "{read}");
    assert!(read.contains("err=an interface has a type 143 different from the type of the first interface"), "{read}");
    let tcpdump = |against| {
        let mut c = Command::new("tcpdump");
        c.args(["-Z", "root", "-n", "-tt", "-r", f]);
        if against == Against::Ringcap {
            c.env("LD_LIBRARY_PATH", lib_dir());
        }
        c.output().unwrap()
    };
    let (s, r) = (tcpdump(Against::System), tcpdump(Against::Ringcap));
    assert_eq!(String::from_utf8_lossy(&s.stderr), String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("different from the type of the first interface"));
    let listing = String::from_utf8_lossy(&r.stdout);
    assert!(s.stdout == r.stdout && listing.lines().filter(|l| !l.starts_with('\t')).count() == 2, "{listing}");
    assert_eq!((s.status.code(), r.status.code()), (Some(1), Some(1)));
}

#[test]
fn mapped_files_are_read_in_place_through_the_c_api() {
    // pcap_next_ex and pcap_loop hand out pointers into the file's own
    // mapping on ringcap (libpcap copies into its buffer); pcap and pcapng.
    // Swapped pseudo-headers are rewritten in a copy.
    let exe = |a| build_c("savefile_map", a, &[]);
    let (rc, sys) = (exe(Against::Ringcap), exe(Against::System));
    for (name, mapped) in [
        ("pcap-1-le-us.pcap", true),
        ("pcap-1-be-ns.pcap", true),
        ("ng-multi-le.pcapng", true),
        ("ng-multi-be.pcapng", true),
        ("pcap-sll-can-be.pcap", false),
    ] {
        let p = corpus_path(name);
        let lines = |o: Output| {
            assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
            let t = text(&o);
            assert!(t.ends_with("loop rc=0\n"), "{name}: {t}");
            t.lines().filter(|l| l.contains("bytes: ")).map(|l| l.rsplit(' ').next().unwrap().to_string()).collect::<Vec<_>>()
        };
        let (r, s) = (lines(common::run(&rc, &[&p], Against::Ringcap)), lines(common::run(&sys, &[&p], Against::System)));
        let n = if name.contains("sll-can") { 1 } else { 6 };
        assert_eq!(r, vec![if mapped { "file" } else { "elsewhere" }; n], "{name} on ringcap");
        assert_eq!(s, vec!["elsewhere"; n], "{name} on libpcap");
    }
}

#[test]
fn a_callers_stream_is_read_from_where_it_stands() {
    // 10 bytes of something else, then a savefile; the caller freads the 10
    // bytes (stdio has buffered more) and hands the stream over.
    for name in ["pcap-1-be-us.pcap", "ng-multi-le.pcapng"] {
        let prefixed = scratch(&format!("prefixed-{name}"));
        std::fs::write(&prefixed, [&b"GARBAGE!!!"[..], &std::fs::read(corpus_path(name)).unwrap()].concat()).unwrap();
        let out = same(&["read", prefixed.to_str().unwrap(), "1", "fopen10"], None);
        assert!(out.contains("next_ex rc=-2") && out.contains("pkt 0 "), "{name}: {out}");
    }
}

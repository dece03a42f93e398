//! Building and installing: `make install PREFIX=... DESTDIR=...` puts the
//! libraries, headers and ringcap.pc in place; an unmodified libpcap program
//! builds with `pkg-config --cflags --libs ringcap` and runs on the installed
//! library; and Debian's tcpdump loads ringcap through LD_LIBRARY_PATH and
//! through LD_PRELOAD.

mod common;

use std::path::Path;
use std::process::Command;

use common::{lib_dir, root};

fn make_install(prefix: &Path, destdir: &Path) {
    let st = Command::new("make")
        .args(["-s", "install"])
        .arg(format!("PREFIX={}", prefix.display()))
        .arg(format!("DESTDIR={}", destdir.display()))
        .current_dir(root())
        .status()
        .unwrap();
    assert!(st.success(), "make install");
}

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = root().join("target").join(format!("install-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn destdir_staging_layout() {
    lib_dir();
    let stage = tmpdir("stage");
    make_install(Path::new("/usr/local"), &stage);
    for f in [
        "usr/local/lib/libringcap.so.0",
        "usr/local/lib/libringcap.so",
        "usr/local/lib/libringcap.a",
        "usr/local/lib/libpcap.so.0.8",
        "usr/local/lib/pkgconfig/ringcap.pc",
        "usr/local/include/pcap.h",
        "usr/local/include/ringcap.h",
        "usr/local/include/pcap/pcap.h",
        "usr/local/include/pcap/bpf.h",
        "usr/local/include/pcap/dlt.h",
        "usr/local/include/pcap/namedb.h",
    ] {
        assert!(stage.join(f).exists(), "{f} installed under DESTDIR");
    }
    let pc = std::fs::read_to_string(stage.join("usr/local/lib/pkgconfig/ringcap.pc")).unwrap();
    assert!(pc.contains("libdir=/usr/local/lib") && pc.contains("-lringcap"), "{pc}");
    std::fs::remove_dir_all(&stage).unwrap();
}

#[test]
fn pkg_config_builds_an_unmodified_libpcap_program() {
    lib_dir();
    let prefix = tmpdir("prefix");
    make_install(&prefix, Path::new(""));
    let pcdir = prefix.join("lib/pkgconfig");
    let flags = Command::new("pkg-config").args(["--cflags", "--libs", "ringcap"]).env("PKG_CONFIG_PATH", &pcdir).output().unwrap();
    assert!(flags.status.success());
    let flags = String::from_utf8(flags.stdout).unwrap();
    let exe = prefix.join("hello");
    let st = Command::new("cc")
        .arg(root().join("c-tests/hello_pcap.c"))
        .args(flags.split_whitespace())
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap();
    assert!(st.success(), "cc with {flags}");
    let out = Command::new(&exe).env("LD_LIBRARY_PATH", prefix.join("lib")).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("libpcap version 1.10.3 (with TPACKET_V3) (ringcap "), "{text}");
    assert!(text.contains(" instructions"), "{text}");
    std::fs::remove_dir_all(&prefix).unwrap();
}

#[test]
fn tcpdump_loads_ringcap_by_library_path_and_by_preload() {
    let lib = lib_dir();
    let version = |env: (&str, std::path::PathBuf)| {
        let out = Command::new("tcpdump").arg("--version").env(env.0, env.1).output().expect("tcpdump");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let sys = Command::new("tcpdump").arg("--version").output().unwrap();
    assert!(!String::from_utf8_lossy(&sys.stdout).contains("ringcap"));
    assert!(version(("LD_LIBRARY_PATH", lib.clone())).contains("(ringcap "));
    assert!(version(("LD_PRELOAD", lib.join("libringcap.so"))).contains("(ringcap "));
}

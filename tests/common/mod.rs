//! Shared test support: building the C libraries and C test programs, and
//! running them against ringcap or against the system libpcap.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding libringcap.so and libpcap.so.0.8 (built once per
/// test process with `make lib`).
pub fn lib_dir() -> PathBuf {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        let st = Command::new("make")
            .arg("-s")
            .arg("lib")
            .current_dir(root())
            .status()
            .expect("run make lib");
        assert!(st.success(), "make lib failed");
    });
    root().join("target/lib")
}

/// `RINGCAP_CHECK=asan` builds the C programs that run on ringcap with
/// AddressSanitizer and UndefinedBehaviorSanitizer; `RINGCAP_CHECK=valgrind`
/// runs them under valgrind's memcheck (any error, or any definitely lost
/// block, fails the run). scripts/sanitize.sh sets these.
fn check_mode() -> Option<String> {
    std::env::var("RINGCAP_CHECK").ok().filter(|m| m == "asan" || m == "valgrind")
}

/// Which library a C program is built and run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// ringcap's headers and libpcap.so.0.8.
    Ringcap,
    /// The system's <pcap/pcap.h> and libpcap.
    System,
}

impl Against {
    pub fn tag(self) -> &'static str {
        match self {
            Against::Ringcap => "ringcap",
            Against::System => "system",
        }
    }
}

/// Compile `c-tests/<name>.c` (plus `extra` sources) against one library;
/// returns the executable. Compilation errors fail the test with the compiler's
/// output.
pub fn build_c(name: &str, against: Against, extra_flags: &[&str]) -> PathBuf {
    let src = root().join("c-tests").join(format!("{name}.c"));
    build_c_file(&src, name, against, extra_flags)
}

/// Each program is built once per test process (tests run in parallel and
/// may ask for the same one): later callers wait and reuse it.
pub fn build_c_file(src: &Path, name: &str, against: Against, extra_flags: &[&str]) -> PathBuf {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let key = format!("{name}-{}-{}", against.tag(), extra_flags.join(" "));
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = built.get_or_insert_with(HashMap::new).get(&key) {
        return p.clone();
    }
    let exe = compile_c(src, name, against, extra_flags);
    built.as_mut().unwrap().insert(key, exe.clone());
    exe
}

fn compile_c(src: &Path, name: &str, against: Against, extra_flags: &[&str]) -> PathBuf {
    let out_dir = root().join("target/c-tests");
    std::fs::create_dir_all(&out_dir).unwrap();
    // Distinct flags give distinct executables; write under a temporary name
    // and rename, so another test process never runs a half-written file.
    let asan = against == Against::Ringcap && check_mode().as_deref() == Some("asan");
    let mut suffix = if extra_flags.is_empty() { String::new() } else { format!("-{:x}", hash(extra_flags)) };
    if asan {
        suffix.push_str("-asan");
    }
    let exe = out_dir.join(format!("{name}-{}{suffix}", against.tag()));
    let tmp = out_dir.join(format!(".{name}-{}{suffix}.{}", against.tag(), std::process::id()));
    let mut cmd = Command::new("cc");
    cmd.args(["-std=gnu11", "-O1", "-g", "-Wall", "-Werror", "-Wno-deprecated-declarations"]);
    match against {
        Against::Ringcap => {
            let lib = lib_dir();
            cmd.arg(format!("-I{}", root().join("include").display()));
            cmd.arg(src);
            cmd.arg(format!("-L{}", lib.display())).arg("-lpcap");
            cmd.arg(format!("-Wl,-rpath,{}", lib.display()));
        }
        Against::System => {
            cmd.arg(src);
            cmd.arg("-lpcap");
        }
    }
    cmd.args(extra_flags);
    if asan {
        cmd.args(["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"]);
    }
    cmd.arg("-o").arg(&tmp);
    let out = cmd.output().expect("run cc");
    assert!(
        out.status.success(),
        "compiling {} against {:?} failed:\n{}",
        src.display(),
        against,
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&tmp, &exe).unwrap();
    exe
}

fn hash(parts: &[&str]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// Run a program, with `LD_LIBRARY_PATH` pointing at ringcap's libraries when
/// `against` is ringcap (so an unmodified binary linked with -lpcap loads
/// ringcap's libpcap.so.0.8).
pub fn run(exe: &Path, args: &[&str], against: Against) -> Output {
    command(exe, against).args(args).output().unwrap_or_else(|e| panic!("run {}: {e}", exe.display()))
}

/// The command that runs a C test program: against ringcap, with
/// LD_LIBRARY_PATH set, and under valgrind or with sanitizer options when
/// `RINGCAP_CHECK` asks for it.
pub fn command(exe: &Path, against: Against) -> Command {
    if against == Against::System {
        return Command::new(exe);
    }
    let mut cmd = match check_mode().as_deref() {
        Some("valgrind") => {
            let mut c = Command::new("valgrind");
            c.args(["-q", "--error-exitcode=97", "--leak-check=full", "--errors-for-leak-kinds=definite"]);
            c.args(["--show-leak-kinds=definite", "--track-fds=no"]).arg(exe);
            c
        }
        _ => Command::new(exe),
    };
    cmd.env("LD_LIBRARY_PATH", lib_dir());
    cmd.env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=98");
    cmd.env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
    cmd
}

/// The kept corpus of a fuzz target (fuzz/corpus/<target>/), as (file
/// name, bytes), sorted by name.
pub fn fuzz_corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = root().join("fuzz/corpus").join(target);
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    v
}

/// Run each fuzz target for `secs` seconds through scripts/fuzz.sh; fails
/// the test on a crash, a hang, a build failure or a target that did not
/// run. Without cargo-fuzz the run is left out (the corpus replays still
/// run), except under CI, where that is a failure.
pub fn run_fuzz_targets(secs: u32, targets: &[&str]) {
    let available = Command::new("cargo").args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if !available {
        // scripts/test.sh installs cargo-fuzz.
        assert!(std::env::var_os("CI").is_none(), "CI is set but cargo-fuzz is not installed");
        eprintln!("cargo-fuzz is not installed: the fuzz run is left out (the corpus replay still runs)");
        return;
    }
    let out = Command::new(root().join("scripts/fuzz.sh"))
        .arg(secs.to_string())
        .args(targets)
        .current_dir(root())
        .output()
        .expect("run scripts/fuzz.sh");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "fuzzing found a failure:\n{}", &log[log.len().saturating_sub(4000)..]);
    for t in targets {
        assert!(log.contains(&format!("fuzz: {t} for")), "{t} did not run");
    }
    assert_eq!(log.matches("stat::number_of_executed_units").count(), targets.len(), "targets that ran:\n{log}");
}

/// Fail the test unless `ours` prints what the system libpcap's `sys` does,
/// line for line: the differing lines (the first 20) side by side, then
/// the line counts. `what` names the run in the message.
pub fn assert_same_lines(what: &str, sys: &str, ours: &str) {
    let diff: Vec<String> =
        sys.lines().zip(ours.lines()).filter(|(a, b)| a != b).map(|(a, b)| format!("libpcap: {a}\nringcap: {b}")).collect();
    assert!(diff.is_empty(), "{what}: {} lines differ, the first:\n{}", diff.len(), diff[..diff.len().min(20)].join("\n"));
    let (n_sys, n_ours) = (sys.lines().count(), ours.lines().count());
    let (who, longer) = if n_ours > n_sys { ("ringcap", ours) } else { ("libpcap", sys) };
    let extra: Vec<&str> = longer.lines().skip(n_sys.min(n_ours)).take(20).collect();
    assert_eq!(n_ours, n_sys, "{what}: line counts; {who}'s first extra lines:\n{}", extra.join("\n"));
}

pub mod child;
/// A small deterministic random stream (xorshift64) for mutating fuzz
/// corpora in replay tests: the same inputs on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

pub mod netns;
pub mod private_etc;

/// A C test program running in the current namespace, with its output read
/// up to the line `READY` (the point where the harness starts sending).
pub struct Started {
    child: std::process::Child,
    out: std::io::BufReader<std::process::ChildStdout>,
    /// What the program printed before READY (READY excluded).
    pub text: String,
}

/// Start `exe args` (against ringcap: with LD_LIBRARY_PATH set) and read
/// its output up to `READY`. Stderr is captured too.
pub fn start_until_ready(exe: &Path, args: &[&str], against: Against) -> Started {
    use std::io::BufRead;
    let mut cmd = command(exe, against);
    cmd.args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", exe.display()));
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "{} ended before READY:\n{text}", exe.display());
        if line == "READY\n" {
            break;
        }
        text.push_str(&line);
    }
    Started { child, out, text }
}

impl Started {
    /// Wait for the program; (everything it printed on stdout except the
    /// READY line, stderr). Fails the test when it did not exit with 0.
    pub fn finish(mut self) -> (String, String) {
        use std::io::Read;
        let mut err = String::new();
        let mut errp = self.child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            errp.read_to_string(&mut err).unwrap();
            err
        });
        self.out.read_to_string(&mut self.text).unwrap();
        let st = self.child.wait().unwrap();
        let err = reader.join().unwrap();
        assert!(st.success(), "exit {st:?}:\n{}\n{err}", self.text);
        (self.text, err)
    }
}

//! A C test program driven line by line, with every wait bounded: the
//! harness reads what the program prints as it prints it, writes commands
//! to its standard input, and fails the test (killing the program) when an
//! expected line or the program's exit does not come in time — a hang is a
//! test failure, never a stuck suite.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{command, Against};

pub struct Driven {
    child: Child,
    /// Waits stretch by this much under the sanitizers (valgrind runs a
    /// program some 20 times slower).
    slow: u32,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
    /// Every stdout line read so far, in order.
    pub seen: Vec<String>,
}

impl Driven {
    /// Start `exe args` (against ringcap: with LD_LIBRARY_PATH set and the
    /// sanitizer settings of `command`) with all three standard streams
    /// piped.
    pub fn spawn(exe: &Path, args: &[&str], against: Against) -> Driven {
        let mut cmd = command(exe, against);
        cmd.args(args);
        let slow = match (against, std::env::var("RINGCAP_CHECK").as_deref()) {
            (Against::Ringcap, Ok("valgrind")) => 10,
            (Against::Ringcap, Ok("asan")) => 2,
            _ => 1,
        };
        Driven::start(cmd, slow)
    }

    /// Start `cmd` as it is (no sanitizer wrapping, waits not stretched): a
    /// program that is not a C test program, such as a Rust example.
    pub fn spawn_command(cmd: Command) -> Driven {
        Driven::start(cmd, 1)
    }

    fn start(mut cmd: Command, slow: u32) -> Driven {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {:?}: {e}", cmd.get_program()));
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in out.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        Driven { stdin: child.stdin.take(), child, slow, lines, stderr: Some(stderr), seen: Vec::new() }
    }

    /// Read lines until one satisfies `want`; returns it. Fails the test
    /// (after killing the program) if none comes within `limit` (stretched
    /// under the sanitizers).
    pub fn expect(&mut self, limit: Duration, what: &str, want: impl Fn(&str) -> bool) -> String {
        let limit = limit * self.slow;
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if want(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => self.fail(&format!("no {what} within {limit:?}")),
                Err(RecvTimeoutError::Disconnected) => self.fail(&format!("the program ended before {what}")),
            }
        }
    }

    /// Read until the line is exactly `line`.
    pub fn expect_line(&mut self, limit: Duration, line: &str) -> String {
        self.expect(limit, &format!("line {line:?}"), |l| l == line)
    }

    /// Write one line to the program's standard input.
    pub fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).expect("write to the program");
    }

    /// Wait for the program to exit with status 0 within `limit` (stretched
    /// under the sanitizers); returns
    /// (all of its stdout, its stderr). Kills it and fails the test if it
    /// does not exit in time.
    pub fn finish(mut self, limit: Duration) -> (String, String) {
        self.stdin = None;
        let limit = limit * self.slow;
        let deadline = Instant::now() + limit;
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                // The reader thread ends at end of file; collect the rest.
                while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
                    self.seen.push(line);
                }
                let err = self.stderr.take().unwrap().join().unwrap();
                let out = self.seen.join("\n") + "\n";
                assert!(st.success(), "exit {st:?}:\n{out}\n{err}");
                return (out, err);
            }
            if Instant::now() >= deadline {
                self.fail(&format!("the program did not exit within {limit:?} (hang)"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let err = self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        panic!("{why}; output so far:\n{}\nstderr:\n{err}", self.seen.join("\n"));
    }
}

impl Drop for Driven {
    fn drop(&mut self) {
        // A test that panicked half-way must not leave the program running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

//! How the in-place reader of a mapped savefile keeps the bytes ahead of it
//! on their way into the cache: chosen by timing the callback at work.
//!
//! Two ways. [`Way::Lines`]: every cache line a little ahead of the reader,
//! so a callback that reads whole packets never waits for memory.
//! [`Way::Headers`]: only the line of the next record header and of the
//! one four records on (where it is if records keep their length), so a
//! callback that reads little of large packets waits for a fraction of the
//! memory traffic (a 24th with 1514-byte frames). Neither suits every
//! callback: over 1 GiB of 1514-byte frames a counting callback ran twice
//! as fast with headers only, `tcpdump -w` a third slower. With records
//! under [`LARGE`] bytes on average every line is needed anyway (and record
//! lengths too varied to predict), so only larger ones are tried both ways:
//! [`EPOCH`] bytes each, timed in the thread's CPU time (a preemption does
//! not count); headers only must win by an eighth. The choice holds for
//! [`HOLD`] bytes, twice as long each time it is made again (up to
//! [`MAX_HOLD`]), then both are timed again.

use std::time::Duration;

/// Bytes read each way to time them.
pub const EPOCH: usize = 8 << 20;
/// Bytes read the chosen way before both are timed again, at first.
pub const HOLD: usize = 64 << 20;
/// The longest hold.
pub const MAX_HOLD: usize = 1 << 30;
/// The average record length from which headers only are tried.
pub const LARGE: usize = 1024;

/// What to prefetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    Lines,
    Headers,
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Nothing timed yet, or a choice held: time both next.
    Choose,
    /// Timing `Lines` since (position, records, time).
    TryLines(usize, u64, Duration),
    /// Timing `Headers` since (position, time); `Lines` took (bytes, time).
    TryHeaders(usize, Duration, (usize, Duration)),
}

/// The choice, and when to revise it.
#[derive(Clone, Copy, Debug)]
pub struct Tuner {
    way: Way,
    phase: Phase,
    until: usize,
    /// The way chosen last and how long it is held.
    held: (Way, usize),
}

impl Default for Tuner {
    fn default() -> Tuner {
        Tuner { way: Way::Lines, phase: Phase::Choose, until: 0, held: (Way::Lines, HOLD / 2) }
    }
}

impl Tuner {
    /// The way to prefetch now.
    #[inline]
    pub fn way(&self) -> Way {
        self.way
    }

    /// The read position at which [`Tuner::next`] is due.
    #[inline]
    pub fn until(&self) -> usize {
        self.until
    }

    /// The reader has reached `pos` (at least [`Tuner::until`]), having
    /// read `records` records so far, at thread CPU time `now`.
    pub fn next(&mut self, pos: usize, records: u64, now: Duration) {
        match self.phase {
            Phase::Choose => self.start(Way::Lines, Phase::TryLines(pos, records, now), pos),
            Phase::TryLines(from, first, t) => {
                let bytes = pos - from;
                let large = records > first && bytes as u64 / (records - first) >= LARGE as u64;
                if large {
                    self.start(Way::Headers, Phase::TryHeaders(pos, now, (bytes, now.saturating_sub(t))), pos);
                } else {
                    self.hold(Way::Lines, pos);
                }
            }
            Phase::TryHeaders(from, t, (lines_bytes, lines_time)) => {
                let (bytes, time) = (pos - from, now.saturating_sub(t));
                // Time per byte, headers only an eighth faster at least,
                // compared without dividing.
                let headers = time.as_nanos() * 9 * (lines_bytes as u128) < lines_time.as_nanos() * 8 * (bytes as u128);
                self.hold(if headers { Way::Headers } else { Way::Lines }, pos);
            }
        }
    }

    fn start(&mut self, way: Way, phase: Phase, pos: usize) {
        (self.way, self.phase, self.until) = (way, phase, pos + EPOCH);
    }

    fn hold(&mut self, way: Way, pos: usize) {
        let (last, length) = self.held;
        let length = if way == last { (length * 2).min(MAX_HOLD) } else { HOLD };
        self.held = (way, length);
        (self.way, self.phase, self.until) = (way, Phase::Choose, pos + length);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drive a tuner through a read of `record`-byte records where a byte
    /// costs `lines` or `headers` picoseconds; (position, way) at each
    /// change of phase.
    fn run(record: usize, lines: u64, headers: u64, bytes: usize) -> Vec<(usize, Way)> {
        let mut t = Tuner::default();
        let mut now = Duration::ZERO;
        let (mut pos, mut records, mut log) = (0, 0, Vec::new());
        while pos < bytes {
            if pos >= t.until() {
                t.next(pos, records, now);
                log.push((pos, t.way()));
            }
            let cost = if t.way() == Way::Lines { lines } else { headers };
            now += Duration::from_nanos(cost * record as u64 / 1000);
            pos += record;
            records += 1;
        }
        log
    }

    fn ways(log: &[(usize, Way)]) -> Vec<Way> {
        log.iter().map(|e| e.1).collect()
    }

    use Way::*;
    const MIB: usize = 1 << 20;

    #[test]
    fn large_records_are_timed_both_ways_and_the_faster_is_held_longer_each_time() {
        let log = run(1500, 1000, 500, 500 * MIB);
        // (Lines, Headers) timed, Headers held 64 MiB; again, held 128 MiB;
        // again, held 256 MiB.
        assert_eq!(ways(&log), [Lines, Headers, Headers, Lines, Headers, Headers, Lines, Headers, Headers, Lines]);
        let gap = |i: usize| (log[i + 1].0 - log[i].0) / MIB;
        assert_eq!((gap(0), gap(1), gap(2), gap(5), gap(8)), (8, 8, 64, 128, 256));
    }

    #[test]
    fn headers_only_must_win_clearly() {
        assert_eq!(ways(&run(1500, 500, 1000, 90 * MIB)), [Lines, Headers, Lines, Lines, Headers]);
        // Within an eighth: a tie, every line.
        assert_eq!(ways(&run(1500, 1000, 900, 20 * MIB))[2], Lines);
        assert_eq!(ways(&run(1500, 1000, 850, 20 * MIB))[2], Headers);
    }

    #[test]
    fn small_records_are_read_every_line_without_trying() {
        let log = run(600, 1000, 10, 200 * MIB);
        assert_eq!(ways(&log), [Lines, Lines, Lines, Lines]);
        assert_eq!(((log[2].0 - log[1].0) / MIB, (log[3].0 - log[2].0) / MIB), (64, 8));
    }
}

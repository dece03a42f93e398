//! The `RINGCAP_*` environment knobs that give unmodified programs ringcap's
//! extensions. Read once at `pcap_activate`; a malformed value fails
//! activation with a message naming the variable and what it expected.

use super::fanout::{FanoutSpec, Flags, Mode};
use super::options::Options;
use crate::error::{Error, Result};
use crate::ring::Version;

/// Apply every knob that is set to `opts`. `get` reads a variable (the
/// process environment in production, a map in tests).
pub fn apply(opts: &mut Options, get: &dyn Fn(&str) -> Option<String>) -> Result<()> {
    if let Some(v) = get("RINGCAP_TPACKET_VERSION") {
        let n = v.trim().parse::<i32>().ok().and_then(Version::from_number);
        opts.tpacket_version = Some(n.ok_or_else(|| bad("RINGCAP_TPACKET_VERSION", "1, 2 or 3", &v))?);
    }
    if let Some(v) = get("RINGCAP_RING") {
        let (bs, bn, fs) = parse_ring(&v).ok_or_else(|| bad("RINGCAP_RING", "<block_size>x<block_count>[/<frame_size>]", &v))?;
        opts.ring.block_size = bs;
        opts.ring.block_nr = bn;
        opts.ring.frame_size = fs;
    }
    if let Some(v) = get("RINGCAP_BLOCK_TIMEOUT_MS") {
        let ms = v.trim().parse::<u32>().map_err(|_| bad("RINGCAP_BLOCK_TIMEOUT_MS", "a number of milliseconds", &v))?;
        opts.ring.block_timeout_ms = Some(ms);
    }
    if let Some(v) = get("RINGCAP_BUSY_POLL_US") {
        let us = v.trim().parse::<u32>().map_err(|_| bad("RINGCAP_BUSY_POLL_US", "a number of microseconds", &v))?;
        opts.busy_poll_us = Some(us);
    }
    if let Some(v) = get("RINGCAP_QDISC_BYPASS") {
        opts.tx.qdisc_bypass = parse_bool(&v).ok_or_else(|| bad("RINGCAP_QDISC_BYPASS", "0 or 1", &v))?;
    }
    if let Some(v) = get("RINGCAP_TX_RING") {
        let r = parse_tx_ring(&v).ok_or_else(|| bad("RINGCAP_TX_RING", "<frame_size>x<frame_count> (0x0: no TX ring)", &v))?;
        opts.tx.ring = Some(r);
    }
    if let Some(v) = get("RINGCAP_TX_LINEAR") {
        opts.tx.linear = parse_bool(&v).ok_or_else(|| bad("RINGCAP_TX_LINEAR", "0 or 1", &v))?;
    }
    if let Some(v) = get("RINGCAP_FANOUT") {
        opts.fanout = Some(parse_fanout(&v)?);
    }
    Ok(())
}

/// `<mode>:<group>[:<flag>,...]`, e.g. `hash:77` or `lb:9:rollover,defrag`.
fn parse_fanout(v: &str) -> Result<FanoutSpec> {
    const VAR: &str = "RINGCAP_FANOUT";
    let mut parts = v.trim().split(':');
    let (mode, group, flags) = (parts.next().unwrap_or(""), parts.next(), parts.next());
    let (Some(group), None) = (group, parts.next()) else {
        return Err(bad(VAR, "<mode>:<group>[:<flag>,...]", v));
    };
    let mode = match Mode::from_name(mode.trim()) {
        Some(m @ (Mode::Cbpf | Mode::Ebpf)) => {
            return Err(Error::msg(format!(
                "{VAR}: mode {m} needs a program, which an environment variable cannot carry (use ringcap_set_fanout_{m}), got '{v}'"
            )))
        }
        Some(m) => m,
        None => return Err(bad(VAR, "<mode>:<group>[:<flag>,...] with mode hash, lb, cpu, rollover, rnd or qm", v)),
    };
    let group = group.trim().parse::<u16>().map_err(|_| bad(VAR, "<mode>:<group>[:<flag>,...] with a group id from 0 to 65535", v))?;
    let mut all = Flags::NONE;
    for f in flags.into_iter().flat_map(|f| f.split(',')) {
        all = all
            | Flags::from_name(f.trim()).ok_or_else(|| {
                bad(VAR, "<mode>:<group>[:<flag>,...] with flags among rollover, defrag, uniqueid, ignore_outgoing", v)
            })?;
    }
    FanoutSpec::new(mode, group, all).map_err(|e| Error::msg(format!("{VAR}: {}, got '{v}'", e.message)))
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

/// `<frame_size>x<frame_count>`, both non-zero, or `0x0`.
fn parse_tx_ring(s: &str) -> Option<(u32, u32)> {
    let (fs, n) = s.split_once(['x', 'X'])?;
    let (fs, n) = (parse_size(fs)?, n.trim().parse::<u32>().ok()?);
    ((fs > 0 && n > 0) || (fs == 0 && n == 0)).then_some((fs, n))
}

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn bad(var: &str, expected: &str, got: &str) -> Error {
    Error::msg(format!("{var}: expected {expected}, got '{got}'"))
}

/// A size with an optional k/m suffix (KiB, MiB).
pub fn parse_size(s: &str) -> Option<u32> {
    let s = s.trim();
    let (num, mul) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1024),
        (i, 'm' | 'M') => (&s[..i], 1024 * 1024),
        _ => (s, 1),
    };
    num.parse::<u32>().ok()?.checked_mul(mul)
}

fn parse_ring(s: &str) -> Option<(u32, u32, u32)> {
    let (geom, frame) = match s.split_once('/') {
        Some((g, f)) => (g, parse_size(f)?),
        None => (s, 0),
    };
    let (bs, bn) = geom.split_once(['x', 'X'])?;
    let (bs, bn) = (parse_size(bs)?, bn.trim().parse::<u32>().ok()?);
    (bs > 0 && bn > 0).then_some((bs, bn, frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Options> {
        let mut o = Options::new("eth0");
        let map: Vec<(String, String)> = vars.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        apply(&mut o, &|n| map.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))?;
        Ok(o)
    }

    #[test]
    fn knobs_parse() {
        let o = with(&[("RINGCAP_TPACKET_VERSION", "2"), ("RINGCAP_RING", "1Mx16/2048"), ("RINGCAP_BLOCK_TIMEOUT_MS", "5")]).unwrap();
        assert_eq!(o.tpacket_version, Some(Version::V2));
        assert_eq!((o.ring.block_size, o.ring.block_nr, o.ring.frame_size), (1 << 20, 16, 2048));
        assert_eq!(o.ring.block_timeout_ms, Some(5));
        let o = with(&[("RINGCAP_BUSY_POLL_US", "50")]).unwrap();
        assert_eq!(o.busy_poll_us, Some(50));
        assert!(with(&[("RINGCAP_BUSY_POLL_US", "x")]).is_err());
        let o = with(&[("RINGCAP_RING", "262144x8")]).unwrap();
        assert_eq!((o.ring.block_size, o.ring.block_nr, o.ring.frame_size), (262144, 8, 0));
    }

    #[test]
    fn malformed_knobs_name_the_variable() {
        let e = with(&[("RINGCAP_TPACKET_VERSION", "4")]).unwrap_err();
        assert_eq!(e.message, "RINGCAP_TPACKET_VERSION: expected 1, 2 or 3, got '4'");
        let e = with(&[("RINGCAP_RING", "big")]).unwrap_err();
        assert!(e.message.starts_with("RINGCAP_RING: expected <block_size>x<block_count>"), "{}", e.message);
        assert!(with(&[("RINGCAP_RING", "0x4")]).is_err());
        assert!(with(&[("RINGCAP_BLOCK_TIMEOUT_MS", "-1")]).is_err());
    }

    #[test]
    fn tx_knobs_parse() {
        let o = with(&[("RINGCAP_QDISC_BYPASS", "1"), ("RINGCAP_TX_RING", "4096x64"), ("RINGCAP_TX_LINEAR", "0")]).unwrap();
        assert!(o.tx.qdisc_bypass && !o.tx.linear);
        assert_eq!(o.tx.ring, Some((4096, 64)));
        assert_eq!(with(&[("RINGCAP_TX_RING", "2k x 16")]).unwrap().tx.ring, Some((2048, 16)));
        assert_eq!(with(&[("RINGCAP_TX_RING", "0x0")]).unwrap().tx.ring, Some((0, 0)));
        let o = with(&[]).unwrap();
        assert!(!o.tx.qdisc_bypass && !o.tx.linear && o.tx.ring.is_none());
    }

    #[test]
    fn fanout_knob_parses() {
        let f = with(&[("RINGCAP_FANOUT", "hash:77")]).unwrap().fanout.unwrap();
        assert_eq!((f.mode, f.group_id, f.flags), (Mode::Hash, 77, Flags::NONE));
        let f = with(&[("RINGCAP_FANOUT", "lb:9:rollover,defrag")]).unwrap().fanout.unwrap();
        assert_eq!((f.mode, f.group_id, f.flags), (Mode::Lb, 9, Flags::ROLLOVER | Flags::DEFRAG));
        let f = with(&[("RINGCAP_FANOUT", " qm:0:uniqueid, ignore_outgoing ")]).unwrap().fanout.unwrap();
        assert_eq!((f.mode, f.group_id, f.flags), (Mode::Qm, 0, Flags::UNIQUEID | Flags::IGNORE_OUTGOING));
        for m in ["cpu", "rollover", "rnd"] {
            assert_eq!(with(&[("RINGCAP_FANOUT", &format!("{m}:65535"))]).unwrap().fanout.unwrap().mode.name(), m);
        }
        assert!(with(&[]).unwrap().fanout.is_none());
    }

    #[test]
    fn malformed_fanout_knob_names_the_variable() {
        let msg = |v: &str| with(&[("RINGCAP_FANOUT", v)]).unwrap_err().message;
        assert_eq!(msg("hash"), "RINGCAP_FANOUT: expected <mode>:<group>[:<flag>,...], got 'hash'");
        assert_eq!(msg("hash:1:defrag:x"), "RINGCAP_FANOUT: expected <mode>:<group>[:<flag>,...], got 'hash:1:defrag:x'");
        assert_eq!(
            msg("flow:1"),
            "RINGCAP_FANOUT: expected <mode>:<group>[:<flag>,...] with mode hash, lb, cpu, rollover, rnd or qm, got 'flow:1'"
        );
        assert_eq!(
            msg("hash:65536"),
            "RINGCAP_FANOUT: expected <mode>:<group>[:<flag>,...] with a group id from 0 to 65535, got 'hash:65536'"
        );
        assert_eq!(
            msg("lb:9:rollover,fast"),
            "RINGCAP_FANOUT: expected <mode>:<group>[:<flag>,...] with flags among rollover, defrag, uniqueid, ignore_outgoing, got 'lb:9:rollover,fast'"
        );
        assert_eq!(
            msg("cbpf:3"),
            "RINGCAP_FANOUT: mode cbpf needs a program, which an environment variable cannot carry (use ringcap_set_fanout_cbpf), got 'cbpf:3'"
        );
        assert!(msg("ebpf:3").starts_with("RINGCAP_FANOUT: mode ebpf needs a program"));
        assert_eq!(
            msg("hash:5:uniqueid"),
            "RINGCAP_FANOUT: fanout flag uniqueid asks the kernel to assign the group id, so the group id must be 0, not 5, got 'hash:5:uniqueid'"
        );
        assert_eq!(msg("rollover:5:rollover"), "RINGCAP_FANOUT: fanout mode rollover takes no rollover flag (it rolls over already), got 'rollover:5:rollover'");
        assert!(msg("hash:").contains("group id"));
        assert!(msg("hash:1:").contains("flags among"));
    }

    #[test]
    fn malformed_tx_knobs_name_the_variable() {
        let e = with(&[("RINGCAP_QDISC_BYPASS", "yes")]).unwrap_err();
        assert_eq!(e.message, "RINGCAP_QDISC_BYPASS: expected 0 or 1, got 'yes'");
        let e = with(&[("RINGCAP_TX_RING", "2048")]).unwrap_err();
        assert_eq!(e.message, "RINGCAP_TX_RING: expected <frame_size>x<frame_count> (0x0: no TX ring), got '2048'");
        assert!(with(&[("RINGCAP_TX_RING", "2048x0")]).is_err());
        assert!(with(&[("RINGCAP_TX_RING", "0x16")]).is_err());
        assert!(with(&[("RINGCAP_TX_RING", "-1x16")]).is_err());
        let e = with(&[("RINGCAP_TX_LINEAR", "")]).unwrap_err();
        assert_eq!(e.message, "RINGCAP_TX_LINEAR: expected 0 or 1, got ''");
    }
}

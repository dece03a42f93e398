//! PACKET_FANOUT: several capture handles share one device's packets, each
//! packet going to exactly one of them, chosen by the kernel (flow hash,
//! round robin, CPU, rollover when a ring is full, random, queue, or a
//! CBPF/eBPF program).
//!
//! Pure part: [`FanoutSpec`] (mode, group id, flags, program), its checks
//! and the kernel's encodings, both ways. Kernel part: [`Fanout`], the one
//! per live handle, which joins the socket to its group and keeps a
//! process-wide record of the groups this process's handles are in. The
//! kernel answers EINVAL for every kind of mismatch with an existing group
//! (mode or flags, device, protocol); the record lets the error say which.
//!
//! The kernel takes a socket into a group only once it is bound with its
//! protocol (activation joins after the final bind), keeps it there until
//! it closes, and has no way to leave or to join a second group.

use std::collections::HashMap;
use std::fmt;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::bpf::insn::BPF_MAXINSNS;
use crate::bpf::Insn;
use crate::error::{Error, Result};
use crate::ring::PacketSocket;

/// How the kernel picks the member for a packet (`PACKET_FANOUT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// By the packet's flow hash: one flow, one member.
    Hash,
    /// Round robin.
    Lb,
    /// By the CPU that received the packet.
    Cpu,
    /// The first member with room, moving on when its ring is full.
    Rollover,
    /// At random.
    Rnd,
    /// By the device's receive queue.
    Qm,
    /// By a classic BPF program's return value (modulo the member count).
    Cbpf,
    /// By an eBPF socket-filter program's return value.
    Ebpf,
}

/// Every mode, in the kernel's numbering.
const MODES: [Mode; 8] = [Mode::Hash, Mode::Lb, Mode::Cpu, Mode::Rollover, Mode::Rnd, Mode::Qm, Mode::Cbpf, Mode::Ebpf];

impl Mode {
    /// The kernel's number (`PACKET_FANOUT_HASH` 0 ... `PACKET_FANOUT_EBPF` 7).
    pub fn to_kernel(self) -> u16 {
        MODES.iter().position(|&m| m == self).unwrap_or(0) as u16
    }

    pub fn from_kernel(n: u32) -> Option<Mode> {
        MODES.get(n as usize).copied()
    }

    /// The lower-case name (`RINGCAP_FANOUT`, messages).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Hash => "hash",
            Mode::Lb => "lb",
            Mode::Cpu => "cpu",
            Mode::Rollover => "rollover",
            Mode::Rnd => "rnd",
            Mode::Qm => "qm",
            Mode::Cbpf => "cbpf",
            Mode::Ebpf => "ebpf",
        }
    }

    pub fn from_name(s: &str) -> Option<Mode> {
        MODES.iter().copied().find(|m| m.name() == s)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `PACKET_FANOUT_FLAG_*` bits, in the kernel's positions (bits 12-15 of
/// the 16-bit type word).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u16);

impl Flags {
    pub const NONE: Flags = Flags(0);
    /// Move a packet to the next member when the chosen one's ring is full.
    /// The kernel looks at the status of the current frame or block: with
    /// a TPACKET_V3 member, a packet too large for what is left of its
    /// current block is dropped when the next block is still the reader's,
    /// once per fill; V1/V2 frame rings have no such edge.
    pub const ROLLOVER: Flags = Flags(libc::PACKET_FANOUT_FLAG_ROLLOVER as u16);
    /// Let the kernel assign an unused group id (the id given must be 0).
    pub const UNIQUEID: Flags = Flags(libc::PACKET_FANOUT_FLAG_UNIQUEID as u16);
    /// Do not hand packets the host sends to the group.
    pub const IGNORE_OUTGOING: Flags = Flags(libc::PACKET_FANOUT_FLAG_IGNORE_OUTGOING as u16);
    /// Reassemble IP fragments before choosing, so a datagram's fragments
    /// reach one member.
    pub const DEFRAG: Flags = Flags(libc::PACKET_FANOUT_FLAG_DEFRAG as u16);

    /// Named bits in the order they are listed.
    const NAMED: [(Flags, &'static str); 4] = [
        (Flags::ROLLOVER, "rollover"),
        (Flags::DEFRAG, "defrag"),
        (Flags::UNIQUEID, "uniqueid"),
        (Flags::IGNORE_OUTGOING, "ignore_outgoing"),
    ];
    const KNOWN: u32 = 0xf000;

    /// Flags from the kernel's bit values; unknown bits are refused (the
    /// kernel itself would keep them silently).
    pub fn from_bits(bits: u32) -> Result<Flags> {
        if bits & !Flags::KNOWN != 0 {
            return Err(Error::msg(format!(
                "fanout flags {bits:#06x} have unknown bits {:#06x} (the kernel's are PACKET_FANOUT_FLAG_ROLLOVER 0x1000, UNIQUEID 0x2000, IGNORE_OUTGOING 0x4000, DEFRAG 0x8000)",
                bits & !Flags::KNOWN
            )));
        }
        Ok(Flags(bits as u16))
    }

    pub fn bits(self) -> u16 {
        self.0
    }

    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn without(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    pub fn from_name(s: &str) -> Option<Flags> {
        Flags::NAMED.iter().find(|(_, n)| *n == s).map(|(f, _)| *f)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, o: Flags) -> Flags {
        Flags(self.0 | o.0)
    }
}

/// `rollover,defrag`, or `none`.
impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Flags::NAMED.iter().filter(|(b, _)| self.contains(*b)).map(|(_, n)| *n).collect();
        if names.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

/// The program of a CBPF or EBPF group, set with PACKET_FANOUT_DATA. It is
/// the group's, not the socket's: whichever member sets it last sets it for
/// all.
#[derive(Clone, Debug, Default)]
pub enum Program {
    /// None from this handle (another member may set it; until one does,
    /// every packet goes to the first member).
    #[default]
    None,
    /// A classic BPF program; its return value modulo the member count is
    /// the member. It sees the packet from the network header on.
    Cbpf(Vec<Insn>),
    /// A loaded `BPF_PROG_TYPE_SOCKET_FILTER` program (ringcap's own
    /// descriptor for it, shared by copies of the spec).
    Ebpf(Arc<OwnedFd>),
}

impl Program {
    fn mode(&self) -> Option<Mode> {
        match self {
            Program::None => None,
            Program::Cbpf(_) => Some(Mode::Cbpf),
            Program::Ebpf(_) => Some(Mode::Ebpf),
        }
    }
}

/// What a handle asks for: a group (id and, with UNIQUEID, a new id the
/// kernel assigns), how it spreads packets, and the program of a CBPF or
/// EBPF group.
#[derive(Clone, Debug)]
pub struct FanoutSpec {
    pub mode: Mode,
    pub group_id: u16,
    pub flags: Flags,
    pub program: Program,
}

impl FanoutSpec {
    /// A checked spec without a program.
    pub fn new(mode: Mode, group_id: u16, flags: Flags) -> Result<FanoutSpec> {
        let s = FanoutSpec { mode, group_id, flags, program: Program::None };
        s.validate()?;
        Ok(s)
    }

    /// A checked spec from the kernel's numbers (`PACKET_FANOUT_*` mode and
    /// `PACKET_FANOUT_FLAG_*` bits), as C callers pass them.
    pub fn from_kernel(mode: i32, group_id: u16, flags: u32) -> Result<FanoutSpec> {
        let m = u32::try_from(mode).ok().and_then(Mode::from_kernel).ok_or_else(|| {
            Error::msg(format!(
                "fanout mode {mode} is not one the kernel has (hash 0, lb 1, cpu 2, rollover 3, rnd 4, qm 5, cbpf 6, ebpf 7)"
            ))
        })?;
        FanoutSpec::new(m, group_id, Flags::from_bits(flags)?)
    }

    /// The same spec with a program (checked against the mode).
    pub fn with_program(mut self, program: Program) -> Result<FanoutSpec> {
        self.program = program;
        self.validate()?;
        Ok(self)
    }

    /// What the kernel would refuse, refused here with the reason.
    pub fn validate(&self) -> Result<()> {
        if self.flags.contains(Flags::UNIQUEID) && self.group_id != 0 {
            return Err(Error::msg(format!(
                "fanout flag uniqueid asks the kernel to assign the group id, so the group id must be 0, not {}",
                self.group_id
            )));
        }
        if self.mode == Mode::Rollover && self.flags.contains(Flags::ROLLOVER) {
            return Err(Error::msg("fanout mode rollover takes no rollover flag (it rolls over already)"));
        }
        if let Some(pm) = self.program.mode() {
            if pm != self.mode {
                return Err(Error::msg(format!(
                    "a {} program applies to fanout mode {pm} only; this handle's mode is {}",
                    pm.name().to_uppercase(),
                    self.mode
                )));
            }
        }
        if let Program::Cbpf(p) = &self.program {
            check_cbpf(p)?;
        }
        Ok(())
    }

    /// The PACKET_FANOUT argument: group id | (mode | flags) << 16.
    pub fn arg(&self) -> u32 {
        self.group_id as u32 | ((self.mode.to_kernel() | self.flags.bits()) as u32) << 16
    }
}

/// libpcap's `bpf_validate` rules and the kernel's length limit.
fn check_cbpf(p: &[Insn]) -> Result<()> {
    if p.len() > BPF_MAXINSNS {
        return Err(Error::msg(format!("the CBPF fanout program has {} instructions; the kernel takes at most {BPF_MAXINSNS}", p.len())));
    }
    if !crate::bpf::validate::validate(p) {
        return Err(Error::msg("the CBPF fanout program is not valid (bpf_validate refuses it)"));
    }
    Ok(())
}

/// A group as the kernel reports a member's (getsockopt PACKET_FANOUT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    pub id: u16,
    pub mode: Mode,
    /// The group's flags: UNIQUEID is never among them (it only asked for
    /// the id).
    pub flags: Flags,
}

impl GroupInfo {
    /// Decode `id | mode << 16 | flags >> 8 << 24`. The kernel answers 0 for
    /// a socket in no group, which is also group 0 in hash mode without
    /// flags: only the caller knows which.
    pub fn decode(v: u32) -> Option<GroupInfo> {
        let mode = Mode::from_kernel((v >> 16) & 0xff)?;
        let flags = Flags::from_bits(((v >> 24) & 0xff) << 8).ok()?;
        Some(GroupInfo { id: v as u16, mode, flags })
    }
}

/// What the kernel requires to be equal for a socket to join a group, as
/// bound at activation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The network namespace the socket lives in (group ids are per
    /// namespace); None where it cannot be told.
    pub netns: Option<(u64, u64)>,
    /// 0: all devices.
    pub ifindex: i32,
    pub device: String,
    /// Host byte order; 0 and ETH_P_ALL both mean all protocols.
    pub protocol: u16,
}

impl Binding {
    fn protocol_text(&self) -> String {
        if self.protocol == 0 || self.protocol == libc::ETH_P_ALL as u16 {
            "all protocols".to_string()
        } else {
            format!("protocol {:#06x}", self.protocol)
        }
    }

    fn same_protocol(&self, o: &Binding) -> bool {
        self.protocol_text() == o.protocol_text()
    }
}

/// A group some handle of this process is in.
#[derive(Debug)]
struct Group {
    mode: Mode,
    /// As the kernel keeps them (without UNIQUEID).
    flags: Flags,
    binding: Binding,
    members: usize,
}

type Key = ((u64, u64), u16);

/// The groups this process's handles are in, per namespace and id.
static GROUPS: Lazy<Mutex<HashMap<Key, Group>>> = Lazy::new(|| Mutex::new(HashMap::new()));

/// A handle's place in its group; leaving the record when dropped (with
/// the handle, whose socket's close is what takes it out of the kernel's
/// group).
#[derive(Debug)]
struct Membership {
    key: Option<Key>,
    info: GroupInfo,
}

impl Drop for Membership {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut groups = GROUPS.lock();
        if let Some(g) = groups.get_mut(&key) {
            g.members -= 1;
            if g.members == 0 {
                groups.remove(&key);
            }
        }
    }
}

/// The fanout side of one live handle: what its socket is bound to and the
/// group it joined, if any.
#[derive(Debug)]
pub struct Fanout {
    binding: Binding,
    member: Mutex<Option<Membership>>,
}

impl Fanout {
    pub fn new(binding: Binding) -> Fanout {
        Fanout { binding, member: Mutex::new(None) }
    }

    /// The group the handle is in.
    pub fn group(&self) -> Option<GroupInfo> {
        self.member.lock().as_ref().map(|m| m.info)
    }

    /// Join `sock` (this handle's socket, bound and running) to the group
    /// `spec` names and set its program, if it has one. Returns the group
    /// id (the kernel's choice with UNIQUEID). On failure the error says
    /// what the kernel refused and why; a program the kernel refuses leaves
    /// the socket in the group, without this handle's program.
    pub fn join(&self, sock: &PacketSocket, spec: &FanoutSpec) -> Result<u16> {
        spec.validate()?;
        let mut member = self.member.lock();
        let (key, info) = {
            let mut groups = GROUPS.lock();
            if let Err(e) = sock.join_fanout(spec.arg()) {
                return Err(self.refusal(spec, member.as_ref(), &groups, &e));
            }
            let id = if spec.flags.contains(Flags::UNIQUEID) {
                let v = sock.fanout().map_err(|e| Error::os("getsockopt (PACKET_FANOUT)", &e))?;
                GroupInfo::decode(v).ok_or_else(|| Error::msg(format!("getsockopt (PACKET_FANOUT): unexpected value {v:#010x}")))?.id
            } else {
                spec.group_id
            };
            let info = GroupInfo { id, mode: spec.mode, flags: spec.flags.without(Flags::UNIQUEID) };
            let key = self.binding.netns.map(|ns| (ns, id));
            if let Some(k) = key {
                let binding = self.binding.clone();
                groups.entry(k).or_insert(Group { mode: info.mode, flags: info.flags, binding, members: 0 }).members += 1;
            }
            (key, info)
        };
        // The kernel refuses a second join, so there is no earlier
        // membership to drop here.
        *member = Some(Membership { key, info });
        drop(member);
        if !matches!(spec.program, Program::None) {
            self.set_program(sock, &spec.program)?;
        }
        Ok(info.id)
    }

    /// The group id; an error when the handle is in no group.
    pub fn group_id(&self) -> Result<u16> {
        self.group().map(|g| g.id).ok_or_else(|| Error::msg("this handle is in no fanout group"))
    }

    /// Set the program of the CBPF or EBPF group this handle is in (for the
    /// whole group).
    pub fn set_program(&self, sock: &PacketSocket, program: &Program) -> Result<()> {
        let Some(want) = program.mode() else { return Ok(()) };
        let Some(g) = self.group() else {
            return Err(Error::msg(format!(
                "this handle is in no fanout group; a {} program needs a {want} group joined first",
                want.name().to_uppercase()
            )));
        };
        if g.mode != want {
            return Err(Error::msg(format!(
                "fanout group {} has mode {}; a {} program applies to mode {want} only",
                g.id,
                g.mode,
                want.name().to_uppercase()
            )));
        }
        let r = match program {
            Program::Cbpf(p) => {
                check_cbpf(p)?;
                sock.set_fanout_cbpf(p)
            }
            Program::Ebpf(fd) => sock.set_fanout_ebpf(fd.as_fd()),
            Program::None => Ok(()),
        };
        r.map_err(|e| {
            let why = match (e.raw_os_error(), program) {
                (Some(libc::EPERM), _) => "the socket's filter is locked (SO_LOCK_FILTER)",
                (Some(libc::EINVAL), Program::Ebpf(_)) => "the descriptor is not a BPF_PROG_TYPE_SOCKET_FILTER program",
                (Some(libc::EBADF), Program::Ebpf(_)) => "the descriptor is not a BPF program",
                (Some(libc::EINVAL), _) => "the kernel's BPF checker refused the program",
                _ => "setsockopt (PACKET_FANOUT_DATA)",
            };
            Error::os(format!("can't set the program of fanout group {}: {why}", g.id), &e)
        })
    }

    /// The error for a join the kernel refused with `e`.
    fn refusal(&self, spec: &FanoutSpec, member: Option<&Membership>, groups: &HashMap<Key, Group>, e: &std::io::Error) -> Error {
        let id = spec.group_id;
        match e.raw_os_error() {
            Some(libc::EALREADY) => {
                let now = member.map_or_else(
                    || "a fanout group".to_string(),
                    |m| format!("fanout group {} (mode {}, flags {})", m.info.id, m.info.mode, m.info.flags),
                );
                Error::os(format!("this handle is already in {now}; a socket joins one group and stays in it until it closes"), e)
            }
            Some(libc::EINVAL) => {
                let existing = self.binding.netns.and_then(|ns| groups.get(&(ns, id)));
                Error::os(self.mismatch(spec, existing), e)
            }
            Some(libc::ENOSPC) => Error::os(format!("can't join fanout group {id}: the group is full (the kernel's limit is 256 members)"), e),
            Some(libc::ENOMEM) if spec.flags.contains(Flags::UNIQUEID) => {
                Error::os("can't join a fanout group with a kernel-assigned id (uniqueid): the kernel found no free id or no memory", e)
            }
            _ => Error::os(format!("can't join fanout group {id} (setsockopt PACKET_FANOUT)"), e),
        }
    }

    /// What differs between the request and the group the kernel matched
    /// it with: exactly, for a group this process's handles are in; the
    /// possibilities, for one made elsewhere.
    fn mismatch(&self, spec: &FanoutSpec, existing: Option<&Group>) -> String {
        let id = spec.group_id;
        let b = &self.binding;
        let Some(g) = existing else {
            return format!(
                "fanout group {id} exists in this network namespace, made outside this process's ringcap handles, and refuses this handle \
                 (mode {}, flags {}, device {}, {}): its mode or flags differ, it is on another device, or it captures another protocol",
                spec.mode,
                spec.flags,
                b.device,
                b.protocol_text()
            );
        };
        let flags = spec.flags.without(Flags::UNIQUEID);
        let mut why = Vec::new();
        if g.mode != spec.mode {
            why.push(format!("fanout group {id} exists with mode {}; this handle asked for {}", g.mode, spec.mode));
        }
        if g.flags != flags {
            why.push(format!("fanout group {id} exists with flags {}; this handle asked for {flags}", g.flags));
        }
        if g.binding.ifindex != b.ifindex {
            why.push(format!("fanout group {id} is on device {}; this handle captures on {}", g.binding.device, b.device));
        }
        if !g.binding.same_protocol(b) {
            why.push(format!("fanout group {id} captures {}; this handle captures {}", g.binding.protocol_text(), b.protocol_text()));
        }
        if why.is_empty() {
            why.push(format!("fanout group {id} refused this handle although its mode, flags, device and protocol match"));
        }
        why.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::insn::{BPF_ABS, BPF_B, BPF_K, BPF_LD, BPF_RET};

    #[test]
    fn modes_have_the_kernels_numbers() {
        let kernel = [
            libc::PACKET_FANOUT_HASH,
            libc::PACKET_FANOUT_LB,
            libc::PACKET_FANOUT_CPU,
            libc::PACKET_FANOUT_ROLLOVER,
            libc::PACKET_FANOUT_RND,
            libc::PACKET_FANOUT_QM,
            libc::PACKET_FANOUT_CBPF,
            libc::PACKET_FANOUT_EBPF,
        ];
        for (m, k) in MODES.iter().zip(kernel) {
            assert_eq!(m.to_kernel() as u32, k, "{m}");
            assert_eq!(Mode::from_kernel(k), Some(*m));
            assert_eq!(Mode::from_name(m.name()), Some(*m));
        }
        assert_eq!(Mode::from_kernel(8), None);
        assert_eq!(Mode::from_name("HASH"), None);
    }

    #[test]
    fn arg_is_id_then_mode_and_flags() {
        let s = FanoutSpec::new(Mode::Lb, 77, Flags::ROLLOVER | Flags::DEFRAG).unwrap();
        assert_eq!(s.arg(), 77 | (1 | 0x1000 | 0x8000) << 16);
        let s = FanoutSpec::from_kernel(7, 0xffff, 0).unwrap();
        assert_eq!(s.arg(), 0x0007_ffff);
        assert_eq!(FanoutSpec::new(Mode::Hash, 0, Flags::UNIQUEID | Flags::IGNORE_OUTGOING).unwrap().arg(), 0x6000_0000);
    }

    #[test]
    fn getsockopt_value_decodes() {
        // What this kernel answered for HASH|ROLLOVER|DEFRAG group 77, and
        // for an LB group with an assigned id and IGNORE_OUTGOING.
        let g = GroupInfo::decode(0x9000_004d).unwrap();
        assert_eq!(g, GroupInfo { id: 77, mode: Mode::Hash, flags: Flags::ROLLOVER | Flags::DEFRAG });
        let g = GroupInfo::decode(0x4001_0000).unwrap();
        assert_eq!(g, GroupInfo { id: 0, mode: Mode::Lb, flags: Flags::IGNORE_OUTGOING });
        assert_eq!(GroupInfo::decode(0x0009_0001), None, "unknown mode");
        assert_eq!(GroupInfo::decode(0x0100_0001), None, "unknown flag bit");
    }

    #[test]
    fn flags_print_and_parse() {
        assert_eq!((Flags::DEFRAG | Flags::ROLLOVER).to_string(), "rollover,defrag");
        assert_eq!(Flags::NONE.to_string(), "none");
        assert_eq!(Flags::from_name("ignore_outgoing"), Some(Flags::IGNORE_OUTGOING));
        assert_eq!(Flags::from_bits(0xf000).unwrap().bits(), 0xf000);
    }

    #[test]
    fn bad_specs_say_why() {
        let e = FanoutSpec::from_kernel(8, 1, 0).unwrap_err();
        assert_eq!(e.message, "fanout mode 8 is not one the kernel has (hash 0, lb 1, cpu 2, rollover 3, rnd 4, qm 5, cbpf 6, ebpf 7)");
        assert!(FanoutSpec::from_kernel(-1, 1, 0).is_err());
        let e = FanoutSpec::from_kernel(0, 1, 0x1100).unwrap_err();
        assert_eq!(
            e.message,
            "fanout flags 0x1100 have unknown bits 0x0100 (the kernel's are PACKET_FANOUT_FLAG_ROLLOVER 0x1000, UNIQUEID 0x2000, IGNORE_OUTGOING 0x4000, DEFRAG 0x8000)"
        );
        let e = FanoutSpec::new(Mode::Hash, 77, Flags::UNIQUEID).unwrap_err();
        assert_eq!(e.message, "fanout flag uniqueid asks the kernel to assign the group id, so the group id must be 0, not 77");
        let e = FanoutSpec::new(Mode::Rollover, 1, Flags::ROLLOVER).unwrap_err();
        assert_eq!(e.message, "fanout mode rollover takes no rollover flag (it rolls over already)");
        let ret0 = vec![Insn::stmt(BPF_RET | BPF_K, 0)];
        let e = FanoutSpec::new(Mode::Hash, 3, Flags::NONE).unwrap().with_program(Program::Cbpf(ret0.clone())).unwrap_err();
        assert_eq!(e.message, "a CBPF program applies to fanout mode cbpf only; this handle's mode is hash");
        let cbpf = FanoutSpec::new(Mode::Cbpf, 3, Flags::NONE).unwrap();
        assert!(cbpf.clone().with_program(Program::Cbpf(ret0)).is_ok());
        let e = cbpf.clone().with_program(Program::Cbpf(vec![Insn::stmt(BPF_LD | BPF_B | BPF_ABS, 14)])).unwrap_err();
        assert_eq!(e.message, "the CBPF fanout program is not valid (bpf_validate refuses it)");
        let long = vec![Insn::stmt(BPF_RET | BPF_K, 0); BPF_MAXINSNS + 1];
        let e = cbpf.with_program(Program::Cbpf(long)).unwrap_err();
        assert_eq!(e.message, "the CBPF fanout program has 4097 instructions; the kernel takes at most 4096");
    }

    fn binding(ifindex: i32, device: &str, protocol: u16) -> Binding {
        Binding { netns: Some((1, 2)), ifindex, device: device.into(), protocol }
    }

    #[test]
    fn mismatches_name_what_differs() {
        let ours = Fanout::new(binding(3, "rcb", 0));
        let group = |mode, flags, b| Group { mode, flags, binding: b, members: 1 };
        let hash = FanoutSpec::new(Mode::Hash, 77, Flags::NONE).unwrap();
        let g = group(Mode::Lb, Flags::NONE, binding(3, "rcb", 3));
        assert_eq!(ours.mismatch(&hash, Some(&g)), "fanout group 77 exists with mode lb; this handle asked for hash");
        let g = group(Mode::Hash, Flags::NONE, binding(2, "rca", 0));
        assert_eq!(ours.mismatch(&hash, Some(&g)), "fanout group 77 is on device rca; this handle captures on rcb");
        let g = group(Mode::Hash, Flags::NONE, binding(3, "rcb", 0x0800));
        assert_eq!(ours.mismatch(&hash, Some(&g)), "fanout group 77 captures protocol 0x0800; this handle captures all protocols");
        let g = group(Mode::Hash, Flags::DEFRAG, binding(2, "rca", 0));
        assert_eq!(
            ours.mismatch(&hash, Some(&g)),
            "fanout group 77 exists with flags defrag; this handle asked for none; fanout group 77 is on device rca; this handle captures on rcb"
        );
        assert!(ours.mismatch(&hash, None).starts_with("fanout group 77 exists in this network namespace, made outside"));
    }
}

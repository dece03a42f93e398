/*
 * ringcap: what libpcap hides. Extensions to the libpcap 1.10 API declared in
 * <pcap/pcap.h>: TPACKET version and ring geometry, fanout, zero-copy batch
 * receive, per-packet metadata, batched transmit, pcapng output.
 *
 * Generated from the Rust sources by cbindgen; do not edit (run `make header`).
 */

#ifndef RINGCAP_H
#define RINGCAP_H

#include <stdint.h>
#include <stddef.h>
#include <pcap/pcap.h>

/*
 `ringcap_packet.ts_source`: the host's clock stamped the packet.
 */
#define RINGCAP_TS_SOURCE_SOFTWARE 1

/*
 `ringcap_packet.ts_source`: the NIC's clock stamped the packet.
 */
#define RINGCAP_TS_SOURCE_HARDWARE 2

/*
 Flow hash: one flow, one member (`PACKET_FANOUT_HASH`).
 */
#define RINGCAP_FANOUT_HASH 0

/*
 Round robin (`PACKET_FANOUT_LB`).
 */
#define RINGCAP_FANOUT_LB 1

/*
 By receiving CPU (`PACKET_FANOUT_CPU`).
 */
#define RINGCAP_FANOUT_CPU 2

/*
 The first member with room in its ring (`PACKET_FANOUT_ROLLOVER`).
 */
#define RINGCAP_FANOUT_ROLLOVER 3

/*
 At random (`PACKET_FANOUT_RND`).
 */
#define RINGCAP_FANOUT_RND 4

/*
 By receive queue (`PACKET_FANOUT_QM`).
 */
#define RINGCAP_FANOUT_QM 5

/*
 By a classic BPF program (`PACKET_FANOUT_CBPF`; `ringcap_set_fanout_cbpf`).
 */
#define RINGCAP_FANOUT_CBPF 6

/*
 By an eBPF program (`PACKET_FANOUT_EBPF`; `ringcap_set_fanout_ebpf`).
 */
#define RINGCAP_FANOUT_EBPF 7

/*
 Move a packet on to the next member when the chosen one's ring is full
 (`PACKET_FANOUT_FLAG_ROLLOVER`).
 */
#define RINGCAP_FANOUT_FLAG_ROLLOVER 4096

/*
 Let the kernel assign an unused group id; the id passed must be 0
 (`PACKET_FANOUT_FLAG_UNIQUEID`; read it with `ringcap_fanout_group_id`).
 */
#define RINGCAP_FANOUT_FLAG_UNIQUEID 8192

/*
 Leave out packets the host sends (`PACKET_FANOUT_FLAG_IGNORE_OUTGOING`).
 */
#define RINGCAP_FANOUT_FLAG_IGNORE_OUTGOING 16384

/*
 Reassemble IP fragments before choosing (`PACKET_FANOUT_FLAG_DEFRAG`).
 */
#define RINGCAP_FANOUT_FLAG_DEFRAG 32768

/*
 `ringcap_set_tx_timestamps` modes.
 */
#define RINGCAP_TX_TSTAMP_OFF 0

/*
 Software TX timestamps (the ring's PACKET_TIMESTAMP stamp, else the
 socket's SOF_TIMESTAMPING_TX_SOFTWARE one).
 */
#define RINGCAP_TX_TSTAMP_SOFTWARE 1

/*
 The NIC's TX timestamp where it has one (SOF_TIMESTAMPING_RAW_HARDWARE;
 the NIC must have hardware timestamping switched on), else the software
 one.
 */
#define RINGCAP_TX_TSTAMP_HARDWARE 2

/*
 One received packet and what the ring says about it.

 `data`, `caplen` and `len` are what `pcap_next_ex` would deliver (VLAN
 tag re-inserted, cooked header built, snapshot applied); the rest comes
 from the kernel's frame header: `ts_ns` (nanoseconds since the epoch,
 whatever the handle's precision), `status` (the kernel's `TP_STATUS_*`
 bits: `TP_STATUS_LOSING`, `TP_STATUS_COPY` (truncated),
 `TP_STATUS_CSUMNOTREADY`, `TP_STATUS_CSUM_VALID`, `TP_STATUS_VLAN_VALID`,
 `TP_STATUS_VLAN_TPID_VALID`, the `TP_STATUS_TS_*` source bits),
 `vlan_tci` and `vlan_tpid` (the tag the kernel took off; 0 when
 `TP_STATUS_VLAN_VALID` is clear; the TPID is 0x8100 when the kernel did
 not report one), `rxhash` (the flow hash; TPACKET_V3 only, else 0),
 `ifindex`, `protocol` (the EtherType, host byte order), `pkttype`
 (`PACKET_HOST`, `PACKET_BROADCAST`, `PACKET_MULTICAST`,
 `PACKET_OTHERHOST`, `PACKET_OUTGOING`) and `ts_source`
 (`RINGCAP_TS_SOURCE_SOFTWARE` or `RINGCAP_TS_SOURCE_HARDWARE`).
 */
struct ringcap_packet {
  const unsigned char *data;
  uint32_t caplen;
  uint32_t len;
  uint64_t ts_ns;
  uint32_t status;
  uint16_t vlan_tci;
  uint16_t vlan_tpid;
  uint32_t rxhash;
  int32_t ifindex;
  uint16_t protocol;
  uint8_t pkttype;
  uint8_t ts_source;
};

/*
 A receive ring's shape, as asked for (`ringcap_set_ring_geometry`) or as
 computed (`ringcap_ring_geometry_for`): `block_count` blocks of
 `block_size` bytes (a power-of-two multiple of the page size) holding
 frames of `frame_size` bytes (TPACKET_V1/V2: one packet each; V3: the
 kernel's unit of account, packets are packed). `block_timeout_ms` (V3):
 how long the kernel fills a block before handing it over; 0 lets ringcap
 derive it from the pcap timeout. `sizeof_priv` (V3): a private area at the
 start of each block, for the application.
 */
struct ringcap_ring_geometry {
  uint32_t block_size;
  uint32_t block_count;
  uint32_t frame_size;
  uint32_t block_timeout_ms;
  uint32_t sizeof_priv;
};

/*
 An activated handle's rings (`ringcap_get_ring_info`): the TPACKET
 version (1, 2, 3), the receive ring's geometry (`block_timeout_ms` as
 handed to the kernel: 0 means the kernel chose), the kernel's frame
 header length (`tp_hdrlen`) and PACKET_RESERVE, the bytes of the one
 mapping that holds the RX ring and, after it, the TX ring, whose frame
 size and count are 0 when there is none.
 */
struct ringcap_ring_info {
  int version;
  uint32_t block_size;
  uint32_t block_count;
  uint32_t frame_size;
  uint32_t frame_count;
  uint32_t block_timeout_ms;
  uint32_t sizeof_priv;
  uint32_t header_len;
  uint32_t reserve;
  uint64_t mapped_bytes;
  uint32_t tx_frame_size;
  uint32_t tx_frame_count;
};

/*
 `ringcap_stats_ex`: the kernel's counters, cumulative since activation
 (`tp_packets`: packets the socket filter passed, drops included;
 `tp_drops`: dropped for want of ring space; `tp_freeze_q_cnt`: times a
 TPACKET_V3 ring froze with every block in user space), and ringcap's:
 frames (V1/V2) or blocks (V3) handed back to the kernel, packets taken
 from the ring, polls, wake-ups that found the ring readable, and packets
 rejected in userland (a filter change's queued packets, direction).
 */
struct ringcap_stats {
  uint64_t tp_packets;
  uint64_t tp_drops;
  uint64_t tp_freeze_q_cnt;
  uint64_t units_consumed;
  uint64_t packets_read;
  uint64_t polls;
  uint64_t wakeups;
  uint64_t userland_rejected;
};

/*
 One frame for `ringcap_inject_batch`: `len` bytes at `data`, a whole
 link-layer frame (Ethernet header first on Ethernet devices).
 */
struct ringcap_frame {
  const unsigned char *data;
  uint32_t len;
};

/*
 A TX timestamp: seconds and nanoseconds since the epoch, and its source
 (`RINGCAP_TX_TSTAMP_SOFTWARE` or `RINGCAP_TX_TSTAMP_HARDWARE`, or 0 when
 the kernel gave none for the frame).
 */
struct ringcap_tx_timestamp {
  int64_t sec;
  uint32_t nsec;
  int source;
};

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/*
 `ringcap_next_batch(p, out, max, timeout_ms)`: receive up to `max`
 packets without copying them, filling `out[0..n]` with descriptors that
 point into the ring. Waits up to `timeout_ms` when none is ready (-1: until
 a packet arrives; 0: not at all). Returns `n` (0: the timeout passed),
 `PCAP_ERROR_BREAK` after `pcap_breakloop`, `PCAP_ERROR_NOT_ACTIVATED`, or
 `PCAP_ERROR` with the handle's error set. The previous batch is released
 first; this one stays valid until `ringcap_release`, the next read of any
 kind on `p`, or `pcap_close`. `out` is the caller's array of at least
 `max` descriptors.
 */
int ringcap_next_batch(pcap_t *p, struct ringcap_packet *out, int max, int timeout_ms);

/*
 `ringcap_release(p)`: give the current batch's frames or blocks back to
 the kernel; its descriptors must not be used afterwards. 0, or a negative
 `PCAP_ERROR*` code (handles without a ring, a call from inside a
 callback of a read on `p`).
 */
int ringcap_release(pcap_t *p);

/*
 `ringcap_packet_meta(p)`: the packet `pcap_next_ex` (or `pcap_next`)
 delivered last, or, called from inside a `pcap_dispatch`/`pcap_loop`
 callback on `p`, the packet that callback is looking at; NULL when there
 is none (after a read returned, no packet is current) or `p` is not a
 live capture, with the handle's error set. The descriptor is the handle's
 storage, valid until the next call on `p`; its `data` is valid as long as
 the packet is (until the next read, or the callback's return).
 */
const struct ringcap_packet *ringcap_packet_meta(pcap_t *p);

/*
 `ringcap_dump_open_ng(p, path)`: create (truncate) a pcapng file (`"-"`:
 the standard output): a Section Header Block and an Interface
 Description Block for the handle's link type and snapshot length with
 nanosecond resolution, then one Enhanced Packet Block per `pcap_dump`.
 Each packet is recorded on the interface of the link type `p` has when
 it is dumped: after `pcap_set_datalink` on a live handle, the next
 `pcap_dump` adds an interface for the new type (one per link type). The
 dumper may outlive `p`; it then keeps `p`'s last link type.

 pcapng allows interfaces of different types, but libpcap 1.10 (hence
 tcpdump) reads such a file only up to the second link type's interface,
 where it stops with "an interface has a type N different from the type
 of the first interface"; ringcap's reader follows libpcap there.

 Use it with `pcap_dump`, `pcap_dump_flush`, `pcap_dump_ftell*`,
 `pcap_dump_file` and `pcap_dump_close`. NULL with `pcap_geterr(p)` set on
 failure.
 */
pcap_dumper_t *ringcap_dump_open_ng(pcap_t *p, const char *path);

/*
 `ringcap_set_fanout(p, mode, group_id, flags)`: put the handle's socket
 in fanout group `group_id` of its network namespace, so that the
 group's members (handles of this or other processes on the same device
 and protocol) share its packets, each packet going to one member.
 `mode` is one of `RINGCAP_FANOUT_HASH`, `_LB`, `_CPU`, `_ROLLOVER`,
 `_RND`, `_QM`, `_CBPF`, `_EBPF`; `flags` an OR of
 `RINGCAP_FANOUT_FLAG_*` (with `_UNIQUEID`, `group_id` must be 0 and the
 kernel assigns one). Before activation the request is remembered
 (replacing an earlier one and its program) and `pcap_activate` joins,
 failing if the kernel refuses; after activation the socket joins at
 once. A socket stays in its group until `pcap_close`; a second join is
 refused. 0, or PCAP_ERROR with `pcap_geterr(p)` naming what the kernel
 refused: a group of the same id with another mode or flags, on another
 device or for another protocol (named exactly for groups of this
 process), a full group, an unknown mode or flag.
 */
int ringcap_set_fanout(pcap_t *p, int mode, uint16_t group_id, unsigned int flags);

/*
 `ringcap_set_fanout_cbpf(p, fp)`: the classic BPF program of the
 handle's `RINGCAP_FANOUT_CBPF` group: for each packet its return value,
 modulo the member count, is the member (in the order they joined) that
 gets it. The kernel runs it before the link-layer header is pushed back:
 absolute loads count from the network header (`ldb [9]` is the IPv4
 protocol on Ethernet). The program must pass `bpf_validate` and have at most 4096
 instructions; it is copied (the caller keeps `fp`). It is the group's:
 setting it from any member replaces it for all; until one is set every
 packet goes to the first member. Before activation it is set when
 `pcap_activate` joins (call `ringcap_set_fanout` first); after
 activation the handle must be in a CBPF group. 0, or PCAP_ERROR with
 `pcap_geterr(p)` set.
 */
int ringcap_set_fanout_cbpf(pcap_t *p, const struct bpf_program *fp);

/*
 `ringcap_set_fanout_ebpf(p, prog_fd)`: the eBPF program of the handle's
 `RINGCAP_FANOUT_EBPF` group, a loaded `BPF_PROG_TYPE_SOCKET_FILTER`
 program; its return value, modulo the member count, picks the member.
 ringcap duplicates `prog_fd` (the caller keeps and may close its own).
 Group-wide and before/after activation as `ringcap_set_fanout_cbpf`.
 0, or PCAP_ERROR with `pcap_geterr(p)` set (a descriptor that is not a
 socket-filter program is refused by the kernel, and said so).
 */
int ringcap_set_fanout_ebpf(pcap_t *p, int prog_fd);

/*
 `ringcap_fanout_group_id(p)`: the id (0 to 65535) of the fanout group
 the activated handle is in: the one asked for, or the kernel's choice
 with `RINGCAP_FANOUT_FLAG_UNIQUEID` (pass it to other handles'
 `ringcap_set_fanout`, without that flag, to join them to the group).
 PCAP_ERROR_NOT_ACTIVATED before activation; PCAP_ERROR, with
 `pcap_geterr(p)` set, for a handle in no group.
 */
int ringcap_fanout_group_id(pcap_t *p);

/*
 `ringcap_set_ring_geometry(p, g)`: use exactly this receive ring instead
 of one computed from `pcap_set_buffer_size` (which it overrides); all
 fields zero goes back to the computed ring. Before activation (call
 `ringcap_set_tpacket_version` first: the rules depend on the version).
 Returns 0; PCAP_ERROR with the handle's error naming the violated
 constraint (a ring larger than the machine's memory is one: the kernel
 would exhaust memory before failing); PCAP_ERROR_ACTIVATED. The checks
 that depend on the device (its PACKET_RESERVE) run again at
 `pcap_activate`, which fails with the same kind of message. `g` is read
 during the call only.
 */
int ringcap_set_ring_geometry(pcap_t *p, const struct ringcap_ring_geometry *g);

/*
 `ringcap_get_ring_info(p, out)`: describe an activated capture's rings.
 0, PCAP_ERROR_NOT_ACTIVATED, or PCAP_ERROR (not a live capture, NULL
 `out`) with the handle's error set.
 */
int ringcap_get_ring_info(pcap_t *p, struct ringcap_ring_info *out);

/*
 `ringcap_ring_geometry_for(buffer_bytes, snaplen, version, out, errbuf)`:
 the receive ring ringcap would set up for a `buffer_bytes` buffer and
 packets of up to `snaplen` bytes (0: 262144) with TPACKET version 1, 2
 or 3, following packet_mmap.txt's rules and this machine's page size and
 block-order limit (blocks of a power of two from a page up, about a
 sixteenth of the buffer each; V1/V2 frames that hold the largest packet
 with the least waste). Needs no handle and no privilege. Returns 0 with
 `out` filled, or PCAP_ERROR with `errbuf` (PCAP_ERRBUF_SIZE bytes, may be
 NULL) naming the constraint the request cannot meet.
 */
int ringcap_ring_geometry_for(uintptr_t buffer_bytes, unsigned int snaplen, int version, struct ringcap_ring_geometry *out, char *errbuf);

/*
 `ringcap_stats_ex(p, out)`: the kernel's and ringcap's counters (see
 `struct ringcap_stats`). Reading them does not disturb `pcap_stats`,
 which reports the same kernel totals. 0, PCAP_ERROR_NOT_ACTIVATED, or
 PCAP_ERROR with the handle's error set. Not from inside a callback of a
 read on `p`.
 */
int ringcap_stats_ex(pcap_t *p, struct ringcap_stats *out);

/*
 `ringcap_inject_batch(p, frames, count)`: send `count` frames in order,
 filled into the TX ring and handed to the kernel with one `send()` per
 ring-ful (one per batch when the batch fits the ring). The caller keeps
 `frames` and the bytes they point to; every frame sent has been handed
 to the device when the call returns, and none that the call did not
 count as sent goes out later.

 Returns the number of frames sent. Fewer than `count` means sending
 stopped at frame (return value): `pcap_geterr(p)` names it and says why
 (too long, empty, refused by the kernel, would block in non-blocking
 mode, device down, interrupted by `pcap_breakloop`). A negative
 `PCAP_ERROR*` code, with `pcap_geterr` set, when no frame was sent
 because of an error (PCAP_ERROR_BREAK when a breakloop interrupted the
 wait for room). In blocking mode a full ring waits for room (the call
 sleeps until the kernel completes a frame; `pcap_breakloop` from another
 thread or a signal handler interrupts it, and stays pending for the next
 read) and a device queue that drops (ENOBUFS) is retried for up to a
 second.

 With PACKET_LOSS (`ringcap_set_tx_loss`) the kernel discards malformed
 frames and goes on with the next: a discarded frame is not sent and not
 counted, and `pcap_geterr(p)` names every discarded frame ("the kernel
 discarded frame 1 (10 bytes) as malformed (PACKET_LOSS); not sent"). So
 under PACKET_LOSS the return value is the number of frames sent, which
 is `count` minus the discarded frames when nothing stopped the batch;
 after a stop, the stopping frame's index is the return value plus the
 number of frames discarded before it.
 */
int ringcap_inject_batch(pcap_t *p, const struct ringcap_frame *frames, int count);

/*
 `ringcap_set_qdisc_bypass(p, on)`: PACKET_QDISC_BYPASS. Frames skip the
 device's queueing discipline (no shaping, no buffering: the driver may
 drop what it cannot take), and other packet sockets on the device no
 longer see them. Before or after activation (also `RINGCAP_QDISC_BYPASS`).
 0, or PCAP_ERROR with `pcap_geterr` set.
 */
int ringcap_set_qdisc_bypass(pcap_t *p, int on);

/*
 `ringcap_set_tx_ring(p, frame_size, frame_count)`: the TX ring's frame
 size in bytes (frame header included: a multiple of 16; the largest
 packet is `frame_size` minus the header, 32 bytes for TPACKET_V1/V2 and
 48 for V3, and 10 more in linear mode) and its frame count (rounded up
 to whole blocks; `ringcap_get_tx_ring` reports the result). `(0, 0)`: no
 TX ring, one `send()` per packet as libpcap. Default: frames that hold
 the device MTU + 18 bytes, 128 of them. Before activation only (the ring
 is created with the capture ring): PCAP_ERROR_ACTIVATED after. Also
 `RINGCAP_TX_RING=<frame_size>x<frame_count>`. A size the kernel refuses
 fails `pcap_activate` with the constraint named.
 */
int ringcap_set_tx_ring(pcap_t *p, unsigned int frame_size, unsigned int frame_count);

/*
 `ringcap_get_tx_ring(p, &frame_size, &frame_count)`: the TX ring of an
 activated live handle (both 0 without one). Either pointer may be NULL.
 0, PCAP_ERROR_NOT_ACTIVATED, or PCAP_ERROR for other handles.
 */
int ringcap_get_tx_ring(pcap_t *p, unsigned int *frame_size, unsigned int *frame_count);

/*
 `ringcap_set_tx_data_offset(p, offset)`: PACKET_TX_HAS_OFF. Packets are
 written `offset` bytes into each TX frame (at least the frame header: 32
 for TPACKET_V1/V2, 48 for V3) instead of right after the header, e.g. to
 align payloads. 0: the default. Before activation only.
 */
int ringcap_set_tx_data_offset(pcap_t *p, unsigned int offset);

/*
 `ringcap_set_tx_loss(p, on)`: PACKET_LOSS. The kernel discards a frame
 it finds malformed (shorter than the device's link header) and goes on
 with the next, instead of stopping at it (which ringcap reports as an
 error naming the frame). Discarded frames are not sent: send calls do
 not count them and name them in `pcap_geterr` (see
 `ringcap_inject_batch`); `pcap_inject` of a discarded frame returns
 PCAP_ERROR. Before activation only.
 */
int ringcap_set_tx_loss(pcap_t *p, int on);

/*
 `ringcap_set_tx_linear(p, on)`: linear mode (1) makes the kernel copy
 each frame into the socket buffer (PACKET_VNET_HDR) instead of attaching
 the ring page zero-copy (0, the default). On veth and loopback, which
 copy attached pages anyway, linear is faster (~300 ns per frame); on a
 NIC zero-copy saves the copy. Linear mode puts a 10-byte header before
 each captured packet in the kernel ring (invisible to callers) and makes
 the kernel drop from the capture GSO packets such a header cannot
 describe (SCTP, ESP offload), which is why it is not the default for a
 capture library. Ethernet devices only; before activation only. Also
 `RINGCAP_TX_LINEAR=0|1`.
 */
int ringcap_set_tx_linear(pcap_t *p, int on);

/*
 `ringcap_set_tx_timestamps(p, mode)`: `RINGCAP_TX_TSTAMP_OFF`,
 `_SOFTWARE` or `_HARDWARE`. With timestamps on, each send call waits
 (up to a second) until its frames completed and records their
 timestamps (read them with `ringcap_get_tx_timestamps`): the TX ring
 frame's stamp where the kernel writes one, else the socket's TX
 timestamp (SO_TIMESTAMPING, taken by the driver as the frame leaves for
 the device: veth and most NIC drivers give one). A frame can be left
 without a stamp: its stamp came after the call stopped waiting, the
 kernel dropped it for lack of receive-buffer space (ringcap raises
 SO_RCVBUF to hold one TX ring of stamps, within net.core.rmem_max), or
 the driver does not stamp. Before or after activation; needs the TX
 ring. 0, or PCAP_ERROR with `pcap_geterr` set.
 */
int ringcap_set_tx_timestamps(pcap_t *p, int mode);

/*
 `ringcap_get_tx_timestamps(p, out, max)`: copy the TX timestamps of the
 frames the last send call on `p` sent (`pcap_inject`, `pcap_sendpacket`,
 `ringcap_inject_batch`, `pcap_sendqueue_transmit`), oldest first, one
 per frame sent (frames discarded under PACKET_LOSS have none), at most
 `max` of them, into the caller's `out`. A frame the kernel gave no stamp
 has `source` 0 (see `ringcap_set_tx_timestamps`). Returns how many were
 copied (with `out` NULL: how many there are), PCAP_ERROR_NOT_ACTIVATED,
 or PCAP_ERROR.
 */
int ringcap_get_tx_timestamps(pcap_t *p, struct ringcap_tx_timestamp *out, int max);

/*
 `ringcap_set_tpacket_version(p, version)`: TPACKET_V1, V2 or V3 (1, 2, 3)
 for the receive ring and the TX ring (the kernel has one version per
 socket), before activation. Returns 0, PCAP_ERROR (with the handle's
 error set) for another number, or PCAP_ERROR_ACTIVATED. V3 (the
 default) packs packets into blocks and carries the flow hash; V1 frames
 have no VLAN fields, so a tag the kernel took off a received frame is
 lost (V2 and V3 give it back, re-inserted as libpcap does).
 */
int ringcap_set_tpacket_version(pcap_t *p, int version);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* RINGCAP_H */

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
 `ringcap_dump_open_ng(p, path)`: create (truncate) a pcapng file (`"-"`:
 the standard output): a Section Header Block, one Interface Description
 Block for the handle's link type and snapshot length with nanosecond
 resolution, then one Enhanced Packet Block per `pcap_dump`. Use it with
 `pcap_dump`, `pcap_dump_flush`, `pcap_dump_ftell*`, `pcap_dump_file` and
 `pcap_dump_close`. NULL with `pcap_geterr(p)` set on failure.
 */
pcap_dumper_t *ringcap_dump_open_ng(pcap_t *p, const char *path);

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
 copied (with `out` NULL: how many there are), or PCAP_ERROR.
 */
int ringcap_get_tx_timestamps(pcap_t *p, struct ringcap_tx_timestamp *out, int max);

/*
 `ringcap_set_tpacket_version(p, version)`: TPACKET_V1, V2 or V3 (1, 2, 3)
 for the receive ring and the TX ring (the kernel has one version per
 socket), before activation. Returns 0, PCAP_ERROR (with the handle's
 error set) for another number, or PCAP_ERROR_ACTIVATED.
 */
int ringcap_set_tpacket_version(pcap_t *p, int version);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* RINGCAP_H */

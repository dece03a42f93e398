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
 Software TX timestamps (PACKET_TIMESTAMP with SOF_TIMESTAMPING_SOFTWARE).
 */
#define RINGCAP_TX_TSTAMP_SOFTWARE 1

/*
 The NIC's TX timestamp where it has one (SOF_TIMESTAMPING_RAW_HARDWARE),
 else the software one.
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
 `ringcap_inject_batch(p, frames, count)`: send `count` frames in order,
 filled into the TX ring and handed to the kernel with one `send()` per
 ring-ful (one per batch when the batch fits the ring). The caller keeps
 `frames` and the bytes they point to; every frame sent has been handed
 to the device when the call returns, and none that the call did not
 count as sent goes out later.

 Returns the number of frames sent. Fewer than `count` means sending
 stopped at frame (return value): `pcap_geterr(p)` names it and says why
 (too long, empty, refused by the kernel, would block in non-blocking
 mode, device down). A negative `PCAP_ERROR*` code, with `pcap_geterr`
 set, when no frame was sent because of an error. In blocking mode a full
 ring waits for room and a device queue that drops (ENOBUFS) is retried
 for up to a second.
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
 it finds malformed and goes on with the next, instead of stopping at it
 (which ringcap reports as an error naming the frame); discarded frames
 count as sent. Before activation only.
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
 until its frames completed and records their timestamps (read them with
 `ringcap_get_tx_timestamps`). Before or after activation; needs the TX
 ring. 0, or PCAP_ERROR with `pcap_geterr` set.
 */
int ringcap_set_tx_timestamps(pcap_t *p, int mode);

/*
 `ringcap_get_tx_timestamps(p, out, max)`: copy the TX timestamps of the
 frames the last send call on `p` sent (`pcap_inject`, `pcap_sendpacket`,
 `ringcap_inject_batch`, `pcap_sendqueue_transmit`), oldest first, at
 most `max` of them, into the caller's `out`. Returns how many were
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

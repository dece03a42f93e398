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
 `ringcap_set_tpacket_version(p, version)`: TPACKET_V1, V2 or V3 (1, 2, 3)
 for the receive ring, before activation. Returns 0, PCAP_ERROR (with the
 handle's error set) for another number, or PCAP_ERROR_ACTIVATED.
 */
int ringcap_set_tpacket_version(pcap_t *p, int version);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* RINGCAP_H */

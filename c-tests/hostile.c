/* Frames that stress delivery, read through pcap_dispatch: runts, VLAN
 * stacks, frames cut by the ring, 64 KiB GSO frames. Built against the
 * system libpcap and against ringcap; the harness compares the output with
 * what it sent and with libpcap's.
 *
 * usage: hostile <dev> <version> <dump|tcp> <snaplen> [<block>:<blocks>:<frame>]
 *   version  see live_harness.h (ringcap: 1, 2, 3; libpcap: 2, 3)
 *   dump     one line per packet: "len=<len> caplen=<caplen> <bytes in hex>"
 *            (against ringcap followed by "# status=<TP_STATUS_* bits>", and
 *            preceded by "# ring ..." with its ringcap_get_ring_info)
 *   tcp      check a TCP stream sent from 10.99.0.2 (the harness sends
 *            STREAM_BYTES of pattern(k) = (k * 131 + (k >> 9)) & 0xff):
 *            each packet of it must be whole (caplen == len), its length
 *            must match its IPv4 total length, its payload the pattern at its
 *            place in the stream; at the end prints one summary line
 *   geometry an explicit receive ring (ringcap_set_ring_geometry; ringcap
 *            only): block size, block count, frame size
 * Reads until the harness writes a line on stdin; then prints
 * "recv=<ps_recv> drop=<ps_drop>". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "live_harness.h"

#define STREAM_BYTES (2u << 20)

static pcap_t *p;

static void dump(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u;
	printf("len=%u caplen=%u ", h->len, h->caplen);
	for (unsigned i = 0; i < h->caplen; i++)
		printf("%02x", d[i]);
	printf("\n");
#ifdef RINGCAP_H
	const struct ringcap_packet *m = ringcap_packet_meta(p);
	printf("# status=%#x\n", m ? m->status : 0xffffffffu);
#endif
}

static struct {
	unsigned char *covered;
	uint32_t isn;
	int have_isn;
	unsigned packets, gso, cut, len_mismatch, bad, beyond, max_len;
} tcp;

static unsigned char pattern(uint32_t k)
{
	return (unsigned char)(k * 131 + (k >> 9));
}

static uint32_t be32(const u_char *b)
{
	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

static void stream(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u;
	static const u_char src[4] = { 10, 99, 0, 2 };
	if (h->caplen < 14 + 20 || d[12] != 0x08 || d[13] != 0x00 || d[14 + 9] != 6 || memcmp(d + 14 + 12, src, 4) != 0)
		return;
	tcp.packets++;
	tcp.max_len = h->len > tcp.max_len ? h->len : tcp.max_len;
	tcp.gso += h->len > 1514;
	tcp.cut += h->caplen != h->len;
	unsigned ihl = (d[14] & 15) * 4, tot = d[16] << 8 | d[17];
	tcp.len_mismatch += h->len != 14 + tot;
	if (h->caplen < 14 + ihl + 20)
		return;
	const u_char *t = d + 14 + ihl;
	unsigned doff = (t[12] >> 4) * 4;
	uint32_t seq = be32(t + 4);
	if (t[13] & 0x02) { /* SYN */
		tcp.isn = seq;
		tcp.have_isn = 1;
	}
	if (!tcp.have_isn || 14 + ihl + doff > h->caplen)
		return;
	const u_char *pl = t + doff;
	unsigned n = h->caplen - (unsigned)(pl - d);
	for (unsigned i = 0; i < n; i++) {
		uint32_t k = seq - tcp.isn - 1 + i;
		if (k >= STREAM_BYTES) {
			tcp.beyond++;
			continue;
		}
		tcp.bad += pl[i] != pattern(k);
		tcp.covered[k] = 1;
	}
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 6)
		return 2;
	int tcp_mode = strcmp(argv[3], "tcp") == 0;
	p = create_version(argv[1], atoi(argv[2]), atoi(argv[4]), 8 << 20, 20);
	if (!p)
		return 1;
	if (argc == 6) {
#ifdef RINGCAP_H
		struct ringcap_ring_geometry g = { 0 };
		if (sscanf(argv[5], "%u:%u:%u", &g.block_size, &g.block_count, &g.frame_size) != 3)
			return 2;
		if (ringcap_set_ring_geometry(p, &g) != 0) {
			printf("geometry: %s\n", pcap_geterr(p));
			return 1;
		}
#else
		printf("geometry: not with libpcap\n");
		return 2;
#endif
	}
	if (!activate_or_null(p))
		return 1;
#ifdef RINGCAP_H
	struct ringcap_ring_info ri;
	if (ringcap_get_ring_info(p, &ri) == 0)
		printf("# ring version=%d header_len=%u reserve=%u frame_size=%u block_size=%u sizeof_priv=%u\n", ri.version,
		    ri.header_len, ri.reserve, ri.frame_size, ri.block_size, ri.sizeof_priv);
#endif
	tcp.covered = calloc(STREAM_BYTES, 1);
	printf("READY\n");
	fflush(stdout);
	if (read_until_told(p, 1, 20, tcp_mode ? stream : dump, NULL) != 0)
		return 1;
	if (tcp_mode) {
		unsigned covered = 0;
		while (covered < STREAM_BYTES && tcp.covered[covered])
			covered++;
		printf("covered=%u bad=%u beyond=%u cut=%u len_mismatch=%u gso=%s\n", covered, tcp.bad, tcp.beyond, tcp.cut,
		    tcp.len_mismatch, tcp.gso ? "yes" : "no");
		printf("# packets=%u gso=%u max_len=%u\n", tcp.packets, tcp.gso, tcp.max_len);
	}
	free(tcp.covered);
	struct pcap_stat st;
	if (pcap_stats(p, &st) != 0) {
		printf("stats: %s\n", pcap_geterr(p));
		return 1;
	}
	printf("recv=%u drop=%u\n", st.ps_recv, st.ps_drop);
	pcap_close(p);
	return 0;
}

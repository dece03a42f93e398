/* Batch receive with per-packet metadata: ringcap_next_batch hands over up
 * to 32 packets at a time without copying them, each with what the ring
 * says about it (packet type, VLAN tag, flow hash, protocol, timestamp
 * source). One line per packet; ends after COUNT packets or 10 idle
 * seconds.
 *
 * usage: batch <dev> [count]
 * build: cc batch.c $(pkg-config --cflags --libs ringcap)
 */
#include <linux/if_packet.h> /* TP_STATUS_* */
#include <pcap/pcap.h>
#include <ringcap.h>
#include <stdio.h>
#include <stdlib.h>

static const char *pkttype(unsigned t)
{
	static const char *names[] = { "host", "broadcast", "multicast", "otherhost", "outgoing" };
	return t < 5 ? names[t] : "other";
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: batch <dev> [count]\n");
		return 2;
	}
	long want = argc > 2 ? atol(argv[2]) : 100;
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(argv[1], eb);
	if (!p) {
		fprintf(stderr, "%s\n", eb);
		return 1;
	}
	int st = pcap_activate(p);
	if (st < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(p));
		return 1;
	}
	struct ringcap_ring_info ri;
	ringcap_get_ring_info(p, &ri);
	printf("capturing on %s: TPACKET_V%d, %u blocks of %u bytes\n", argv[1], ri.version, ri.block_count, ri.block_size);
	fflush(stdout);
	struct ringcap_packet b[32];
	long seen = 0;
	int idle = 0;
	while (seen < want && idle < 10) {
		int n = ringcap_next_batch(p, b, 32, 1000);
		if (n < 0) {
			fprintf(stderr, "%s\n", pcap_geterr(p));
			return 1;
		}
		idle = n == 0 ? idle + 1 : 0;
		for (int i = 0; i < n && seen < want; i++, seen++) {
			const struct ringcap_packet *m = &b[i];
			printf("%llu.%09llu %5u bytes %-9s proto 0x%04x if %d", m->ts_ns / 1000000000ull, m->ts_ns % 1000000000ull, m->len,
			    pkttype(m->pkttype), m->protocol, m->ifindex);
			if (m->status & TP_STATUS_VLAN_VALID)
				printf(" vlan %04x/%u", m->vlan_tpid, m->vlan_tci & 0xfff);
			if (m->rxhash)
				printf(" hash %08x", m->rxhash);
			printf(" %s\n", m->ts_source == RINGCAP_TS_SOURCE_HARDWARE ? "hw" : "sw");
		}
		/* The next call would release the batch anyway; say it. */
		ringcap_release(p);
	}
	struct ringcap_stats s;
	ringcap_stats_ex(p, &s);
	printf("%ld packets; kernel: %llu seen, %llu dropped\n", seen, (unsigned long long)s.tp_packets, (unsigned long long)s.tp_drops);
	pcap_close(p);
	return 0;
}

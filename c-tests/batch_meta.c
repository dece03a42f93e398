/* ringcap's receive extensions through the C ABI: ringcap_next_batch and
 * ringcap_release, ringcap_packet_meta after pcap_next_ex and inside
 * pcap_dispatch / pcap_loop callbacks, ringcap_get_ring_info,
 * ringcap_stats_ex, ringcap_set_ring_geometry, ringcap_ring_geometry_for,
 * and their failures (NULLs, wrong handles, wrong states).
 *
 * usage: batch_meta <dev> <version 1|2|3> <frames>
 * Prints what it learns before READY; then the test sends <frames> frames
 * (test frames, some VLAN-tagged, some broadcast) and the program reads a
 * third of them with each path, printing one line per frame. */
#include <pcap/pcap.h>
#include <ringcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW(expr) printf("%s = %d\n", #expr, (int)(expr))
#define SHOWERR(p, expr) \
	do { \
		int r_ = (expr); \
		printf("%s = %d [%s]\n", #expr, r_, r_ < 0 ? pcap_geterr(p) : ""); \
	} while (0)

static pcap_t *p;
static int ifindex_seen = -1;

/* The sequence number after the EtherType (the tag, if any, re-inserted). */
static long seq_of(const u_char *d, unsigned caplen)
{
	for (unsigned i = 14; i + 8 <= caplen; i++)
		if (memcmp(d + i + 4, "RCAP", 4) == 0)
			return (long)d[i] << 24 | d[i + 1] << 16 | d[i + 2] << 8 | d[i + 3];
	return -1;
}

static void describe(const char *path, const struct ringcap_packet *m)
{
	if (ifindex_seen < 0)
		ifindex_seen = m->ifindex;
	printf("%s seq=%ld caplen=%u len=%u pkttype=%u vlan=%04x/%u proto=0x%04x status_vlan=%d same_if=%d src=%s ts_ok=%d\n",
	    path, seq_of(m->data, m->caplen), m->caplen, m->len, m->pkttype, m->vlan_tpid, m->vlan_tci, m->protocol,
	    (m->status & 0x10) != 0, m->ifindex == ifindex_seen,
	    m->ts_source == RINGCAP_TS_SOURCE_SOFTWARE ? "sw" : "hw", m->ts_ns > 1600000000ull * 1000000000ull);
}

static int in_cb;

static void cb(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)user;
	const struct ringcap_packet *m = ringcap_packet_meta(p);
	if (!m) {
		printf("callback: no meta [%s]\n", pcap_geterr(p));
		return;
	}
	printf("callback data is the packet: %d, lengths agree: %d\n", m->data == d, m->caplen == h->caplen && m->len == h->len);
	describe("dispatch", m);
	/* Reads on the handle are refused from inside its callback. */
	struct ringcap_packet out[1];
	if (!in_cb++)
		SHOWERR(p, ringcap_next_batch(p, out, 1, 0));
}

static void failures(const char *dev)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct ringcap_packet out[2];
	struct ringcap_ring_info info;
	struct ringcap_stats st;
	struct ringcap_ring_geometry g;
	SHOW(ringcap_next_batch(NULL, out, 2, 0));
	SHOW(ringcap_release(NULL));
	printf("meta(NULL) = %p\n", (void *)ringcap_packet_meta(NULL));
	SHOW(ringcap_get_ring_info(NULL, &info));
	SHOW(ringcap_stats_ex(NULL, &st));
	SHOW(ringcap_set_ring_geometry(NULL, &g));

	pcap_t *in = pcap_create(dev, eb);
	SHOWERR(in, ringcap_next_batch(in, out, 2, 0));
	SHOWERR(in, ringcap_release(in));
	SHOWERR(in, ringcap_get_ring_info(in, &info));
	SHOWERR(in, ringcap_stats_ex(in, &st));
	printf("meta(inactive) = %s [%s]\n", ringcap_packet_meta(in) ? "descriptor" : "NULL", pcap_geterr(in));
	SHOWERR(in, ringcap_set_ring_geometry(in, NULL));
	memset(&g, 0, sizeof g);
	g.block_size = 12288;
	g.block_count = 2;
	SHOWERR(in, ringcap_set_ring_geometry(in, &g));
	g.block_size = 8192;
	g.block_count = 0;
	SHOWERR(in, ringcap_set_ring_geometry(in, &g));
	g.block_count = 4;
	g.frame_size = 100;
	SHOWERR(in, ringcap_set_ring_geometry(in, &g));
	g.frame_size = 0;
	g.sizeof_priv = 9000;
	SHOWERR(in, ringcap_set_ring_geometry(in, &g));
	SHOWERR(in, ringcap_set_tpacket_version(in, 2));
	g.sizeof_priv = 0;
	g.block_timeout_ms = 5;
	SHOWERR(in, ringcap_set_ring_geometry(in, &g));
	memset(&g, 0, sizeof g);
	SHOWERR(in, ringcap_set_ring_geometry(in, &g));
	pcap_close(in);

	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	SHOWERR(dead, ringcap_next_batch(dead, out, 2, 0));
	SHOWERR(dead, ringcap_release(dead));
	SHOWERR(dead, ringcap_get_ring_info(dead, &info));
	SHOWERR(dead, ringcap_stats_ex(dead, &st));
	printf("meta(dead) = %s [%s]\n", ringcap_packet_meta(dead) ? "descriptor" : "NULL", pcap_geterr(dead));
	SHOWERR(dead, ringcap_set_ring_geometry(dead, &g));
	pcap_close(dead);

	/* The calculator: no handle, no privilege. */
	eb[0] = 0;
	SHOW(ringcap_ring_geometry_for(32 << 20, 262144, 3, &g, eb));
	printf("v3 32M: %u x %u, frame %u\n", g.block_size, g.block_count, g.frame_size);
	SHOW(ringcap_ring_geometry_for(4 << 20, 1518, 2, &g, eb));
	printf("v2 4M/1518: %u x %u, frame %u (%u frames a block)\n", g.block_size, g.block_count, g.frame_size, g.block_size / g.frame_size);
	printf("ringcap_ring_geometry_for(1M, 100, 7) = %d [%s]\n", ringcap_ring_geometry_for(1 << 20, 100, 7, &g, eb), eb);
	printf("ringcap_ring_geometry_for(out NULL) = %d [%s]\n", ringcap_ring_geometry_for(1 << 20, 100, 3, NULL, eb), eb);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: batch_meta <dev> <version> <frames>\n");
		return 2;
	}
	int version = atoi(argv[2]), want = atoi(argv[3]);
	failures(argv[1]);

	char eb[PCAP_ERRBUF_SIZE];
	p = pcap_create(argv[1], eb);
	pcap_set_timeout(p, 50);
	SHOWERR(p, ringcap_set_tpacket_version(p, version));
	struct ringcap_ring_geometry g = { .block_size = 1 << 16, .block_count = 8, .frame_size = 2048 };
	if (version == 3) {
		g.block_timeout_ms = 10;
		g.sizeof_priv = 32;
	}
	SHOWERR(p, ringcap_set_ring_geometry(p, &g));
	SHOWERR(p, pcap_activate(p));
	SHOWERR(p, ringcap_set_ring_geometry(p, &g));
	struct ringcap_ring_info info;
	SHOWERR(p, ringcap_get_ring_info(p, &info));
	printf("info version=%d block=%u x %u frame=%u x %u tov=%u priv=%u hdrlen=%u reserve=%u mapped_ok=%d\n", info.version, info.block_size,
	    info.block_count, info.frame_size, info.frame_count, info.block_timeout_ms, info.sizeof_priv, info.header_len, info.reserve,
	    info.mapped_bytes >= (unsigned long long)info.block_size * info.block_count);
	printf("meta before any read = %s [%s]\n", ringcap_packet_meta(p) ? "descriptor" : "NULL", pcap_geterr(p));
	printf("READY\n");
	fflush(stdout);

	/* A third with batches (at most 4 each). */
	struct ringcap_packet out[4];
	int got = 0, rounds = 0;
	while (got < want / 3 && rounds++ < 200) {
		int n = ringcap_next_batch(p, out, want / 3 - got < 4 ? want / 3 - got : 4, 100);
		if (n < 0) {
			printf("batch error %d [%s]\n", n, pcap_geterr(p));
			return 1;
		}
		for (int i = 0; i < n; i++)
			describe("batch", &out[i]);
		got += n;
	}
	SHOWERR(p, ringcap_release(p));
	/* A third with pcap_next_ex + ringcap_packet_meta. */
	while (got < 2 * want / 3 && rounds++ < 400) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int r = pcap_next_ex(p, &h, &d);
		if (r < 0)
			return 1;
		if (r == 0)
			continue;
		const struct ringcap_packet *m = ringcap_packet_meta(p);
		printf("next_ex data is the packet: %d\n", m && m->data == d && m->caplen == h->caplen);
		describe("next_ex", m);
		got++;
	}
	/* The rest with pcap_dispatch, meta from inside the callback. */
	while (got < want && rounds++ < 600) {
		int r = pcap_dispatch(p, 1, cb, NULL);
		if (r < 0)
			return 1;
		got += r;
	}
	printf("meta after dispatch = %s [%s]\n", ringcap_packet_meta(p) ? "descriptor" : "NULL", pcap_geterr(p));
	struct ringcap_stats st;
	SHOWERR(p, ringcap_stats_ex(p, &st));
	printf("stats tp_packets=%llu tp_drops=%llu read=%llu units_ok=%d rejected=%llu\n", (unsigned long long)st.tp_packets,
	    (unsigned long long)st.tp_drops, (unsigned long long)st.packets_read, st.units_consumed > 0,
	    (unsigned long long)st.userland_rejected);
	struct pcap_stat ps;
	pcap_stats(p, &ps);
	printf("pcap_stats recv=%u drop=%u\n", ps.ps_recv, ps.ps_drop);
	pcap_close(p);
	return 0;
}

/* Statistics under overload: a burst larger than the ring, read through
 * pcap_dispatch, counted with pcap_stats. Built against the system libpcap
 * and against ringcap; the harness checks, for every run, that the frames
 * delivered plus ps_drop equal the frames it sent and that ps_recv equals
 * them too (libpcap's counting: the kernel's tp_packets includes drops).
 *
 * usage: overload <dev> <version> <idle|busy>
 *   version  see live_harness.h (ringcap: 1, 2, 3; libpcap: 2, 3)
 *   idle     nothing is read until the harness writes a line on stdin (the
 *            ring overflows for certain), then everything is read
 *   busy     frames are read (non-blocking dispatch in a poll loop) while
 *            the harness sends, until it writes its line, then the rest
 * Prints READY once active; at the end
 *   "delivered=<n> recv=<ps_recv> drop=<ps_drop> out_of_order=<n>". */
#include <stdlib.h>
#include <string.h>
#include "live_harness.h"
#include "test_frame.h"

static struct frame_count got = FRAME_COUNT_INIT;

static void cb(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u;
	count_frame(&got, d, h->caplen);
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	pcap_t *p = activate_or_null(create_version(argv[1], atoi(argv[2]), 256, 256 << 10, 20));
	if (!p)
		return 1;
	printf("READY\n");
	fflush(stdout);
	if (read_until_told(p, strcmp(argv[3], "busy") == 0, 20, cb, NULL) != 0)
		return 1;
	struct pcap_stat st;
	if (pcap_stats(p, &st) != 0) {
		printf("stats: %s\n", pcap_geterr(p));
		return 1;
	}
	printf("delivered=%u recv=%u drop=%u out_of_order=%u\n", got.delivered, st.ps_recv, st.ps_drop, got.out_of_order);
	pcap_close(p);
	return 0;
}

/* Statistics under overload: a burst larger than the ring, read through
 * pcap_dispatch, counted with pcap_stats. Built against the system libpcap
 * and against ringcap; the harness checks, for every run, that the frames
 * delivered plus ps_drop equal the frames it sent and that ps_recv equals
 * them too (libpcap's counting: the kernel's tp_packets includes drops).
 *
 * usage: overload <dev> <version> <idle|busy>
 *   version  3: libpcap's default; 2: libpcap's immediate mode (TPACKET_V2);
 *            against ringcap, ringcap_set_tpacket_version(version), 1 too.
 *   idle     nothing is read until the harness writes a line on stdin (the
 *            ring overflows for certain), then everything is read
 *   busy     frames are read (non-blocking dispatch in a poll loop) while
 *            the harness sends, until it writes its line, then the rest
 * Prints READY once active; at the end
 *   "delivered=<n> recv=<ps_recv> drop=<ps_drop> out_of_order=<n>". */
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if __has_include(<ringcap.h>)
#include <ringcap.h>
#endif

static unsigned delivered, out_of_order;
static long last_seq = -1;

static void cb(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u;
	if (h->caplen < 18 || d[12] != 0x88 || d[13] != 0xb5)
		return;
	long seq = (long)d[14] << 24 | d[15] << 16 | d[16] << 8 | d[17];
	out_of_order += seq <= last_seq;
	last_seq = seq;
	delivered++;
}

/* Everything the ring holds now; -1 on an error. */
static int drain(pcap_t *p)
{
	int total = 0, n;
	while ((n = pcap_dispatch(p, -1, cb, NULL)) > 0)
		total += n;
	if (n < 0) {
		printf("dispatch: %d [%s]\n", n, pcap_geterr(p));
		return -1;
	}
	return total;
}

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE], line[64];
	if (argc != 4)
		return 2;
	int version = atoi(argv[2]);
	int busy = strcmp(argv[3], "busy") == 0;
	pcap_t *p = pcap_create(argv[1], eb);
	if (!p) {
		printf("create: %s\n", eb);
		return 1;
	}
	pcap_set_snaplen(p, 256);
	pcap_set_buffer_size(p, 256 << 10);
	pcap_set_timeout(p, 20);
#ifdef RINGCAP_H
	if (ringcap_set_tpacket_version(p, version) != 0) {
		printf("version %d: %s\n", version, pcap_geterr(p));
		return 1;
	}
#else
	if (version == 2)
		pcap_set_immediate_mode(p, 1);
	else if (version != 3) {
		printf("version %d: not with libpcap\n", version);
		return 2;
	}
#endif
	if (pcap_activate(p) < 0) {
		printf("activate: %s\n", pcap_geterr(p));
		return 1;
	}
	if (pcap_setnonblock(p, 1, eb) != 0) {
		printf("setnonblock: %s\n", eb);
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	if (busy) {
		struct pollfd fds[2] = { { pcap_get_selectable_fd(p), POLLIN, 0 }, { 0, POLLIN, 0 } };
		for (;;) {
			poll(fds, 2, 10);
			if (drain(p) < 0)
				return 1;
			if (fds[1].revents)
				break;
		}
	}
	if (!fgets(line, sizeof line, stdin))
		return 1;
	/* The last frames may sit in a TPACKET_V3 block until its timeout
	 * (20 ms) retires it: read until the ring stays empty a while. */
	for (int quiet = 0; quiet < 3;) {
		usleep(50000);
		int n = drain(p);
		if (n < 0)
			return 1;
		quiet = n == 0 ? quiet + 1 : 0;
	}
	struct pcap_stat st;
	if (pcap_stats(p, &st) != 0) {
		printf("stats: %s\n", pcap_geterr(p));
		return 1;
	}
	printf("delivered=%u recv=%u drop=%u out_of_order=%u\n", delivered, st.ps_recv, st.ps_drop, out_of_order);
	pcap_close(p);
	return 0;
}

/* Capture test frames (those carrying the marker "RCAP") with a given
 * configuration and print them byte for byte; the harness compares the
 * output of this program on the system libpcap and on ringcap.
 *
 * usage: capture_cmp <dev> <count> [option...]
 *   snaplen=N  promisc  immediate  dlt=N  dir=in|out|inout  nano  next_ex
 *   all (print every packet, for quiet links and short snapshots)
 * Prints READY once the capture is active, then one line per test frame,
 * then the statistics (ps_recv and ps_drop).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int seen;
static int all;

static int has_marker(const u_char *d, unsigned n)
{
	for (unsigned i = 0; i + 4 <= n; i++)
		if (memcmp(d + i, "RCAP", 4) == 0)
			return 1;
	return 0;
}

static void print_packet(const struct pcap_pkthdr *h, const u_char *d)
{
	if (!all && !has_marker(d, h->caplen))
		return;
	seen++;
	printf("caplen=%u len=%u ", h->caplen, h->len);
	for (unsigned i = 0; i < h->caplen; i++)
		printf("%02x", d[i]);
	printf("\n");
}

static void cb(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)user;
	print_packet(h, d);
}

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc < 3)
		return 2;
	int want = atoi(argv[2]);
	int dlt = -1, dir = PCAP_D_INOUT, next_ex = 0;
	pcap_t *p = pcap_create(argv[1], eb);
	if (!p) {
		printf("create: %s\n", eb);
		return 1;
	}
	pcap_set_timeout(p, 50);
	for (int i = 3; i < argc; i++) {
		if (strncmp(argv[i], "snaplen=", 8) == 0)
			pcap_set_snaplen(p, atoi(argv[i] + 8));
		else if (strcmp(argv[i], "promisc") == 0)
			pcap_set_promisc(p, 1);
		else if (strcmp(argv[i], "immediate") == 0)
			pcap_set_immediate_mode(p, 1);
		else if (strcmp(argv[i], "nano") == 0)
			pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
		else if (strncmp(argv[i], "dlt=", 4) == 0)
			dlt = atoi(argv[i] + 4);
		else if (strcmp(argv[i], "dir=in") == 0)
			dir = PCAP_D_IN;
		else if (strcmp(argv[i], "dir=out") == 0)
			dir = PCAP_D_OUT;
		else if (strcmp(argv[i], "next_ex") == 0)
			next_ex = 1;
		else if (strcmp(argv[i], "all") == 0)
			all = 1;
	}
	int st = pcap_activate(p);
	printf("activate=%d\n", st);
	if (st < 0) {
		printf("error: %s\n", pcap_geterr(p));
		return 1;
	}
	if (dlt >= 0)
		printf("set_datalink(%d)=%d\n", dlt, pcap_set_datalink(p, dlt));
	printf("setdirection=%d\n", pcap_setdirection(p, dir));
	printf("datalink=%d\n", pcap_datalink(p));
	/* libpcap's TPACKET_V3 reads can block forever once traffic stops (an
	 * empty block never wakes the reader), so poll in non-blocking mode. */
	pcap_setnonblock(p, 1, eb);
	printf("READY\n");
	fflush(stdout);
	/* Read until `want` test frames, then a quiet half second more so that
	 * extra deliveries would show. */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	double quiet_from = -1;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el = (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
		if (el > 10)
			break;
		if (seen >= want && quiet_from < 0)
			quiet_from = el;
		if (quiet_from >= 0 && el - quiet_from > 0.5)
			break;
		int r;
		if (next_ex) {
			struct pcap_pkthdr *h;
			const u_char *d;
			r = pcap_next_ex(p, &h, &d);
			if (r == 1)
				print_packet(h, d);
		} else {
			r = pcap_dispatch(p, -1, cb, NULL);
		}
		if (r < 0) {
			printf("read error %d: %s\n", r, pcap_geterr(p));
			break;
		}
		if (r == 0) {
			struct timespec ms = { 0, 2000000 };
			nanosleep(&ms, NULL);
		}
	}
	struct pcap_stat s;
	pcap_stats(p, &s);
	/* ps_recv counts what the kernel handed the socket, also packets the
	 * direction then dropped in userland (outgoing ones with PCAP_D_IN). */
	printf("recv=%u drop=%u\n", s.ps_recv, s.ps_drop);
	pcap_close(p);
	return 0;
}

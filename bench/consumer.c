/* Benchmark consumer: the same binary (linked with -lpcap) runs on the system
 * libpcap and on ringcap (LD_LIBRARY_PATH). Captures on DEV until SIGUSR1,
 * then prints "got <packets> drop <kernel drops> cpu <seconds> act <seconds>
 * first <t> last <t>": the CPU (user + system) spent capturing after
 * activation, the CPU activation took (socket set-up and the kernel zeroing
 * the ring) apart, so that per-packet cost is not blurred by ring size, and
 * the CLOCK_MONOTONIC seconds at which the first and the last test packet
 * were delivered (comparable across processes), then "lat50 <µs> lat99 <µs>
 * latmax <µs>": with latency, the median, 99th percentile and largest delay (µs) from
 * each test packet's kernel timestamp to its delivery.
 *
 * usage: consumer <dev> <dispatch|next_ex> [immediate] [latency] [buffer=BYTES] [timeout=MS] [work=NS]
 * work=NS spins NS nanoseconds per test packet, a stand-in for per-packet
 * processing (bench/fanout.sh); only with it are first and last measured
 * (0 without). timeout= replaces the 1000 ms pcap timeout (with TPACKET_V3
 * also the longest a packet waits in a block). Prints READY once the
 * capture is active.
 */
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static pcap_t *p;
static unsigned long got;
static long work_ns;
static int timed;
static double first, last;

/* Count a delivered packet if it is a test frame; with work=, stamp it and
 * do the work (only then: a clock read per packet would count in
 * bench/capture.sh's CPU figures). */
/* With latency, how long each test packet took from its kernel timestamp
 * (its arrival in the ring) to its delivery here, in µs. */
#define MAX_LAT (1 << 20)
static int latency;
static unsigned nlat;
static float lat[MAX_LAT];

static void take(const struct pcap_pkthdr *h, const u_char *d)
{
	if (d[13] != 0xb5)
		return;
	got++;
	if (latency && nlat < MAX_LAT) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		lat[nlat++] = ((now.tv_sec - h->ts.tv_sec) * 1e9 + (now.tv_nsec - h->ts.tv_usec)) / 1e3;
	}
	if (!timed)
		return;
	double t = wall();
	if (got == 1)
		first = t;
	for (double until = t + work_ns / 1e9; t < until;)
		t = wall();
	last = t;
}

static int by_value(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static void stop(int sig)
{
	(void)sig;
	pcap_breakloop(p);
}

static void cb(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u;
	take(h, d);
}

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc < 3)
		return 2;
	int next_ex = strcmp(argv[2], "next_ex") == 0;
	p = pcap_create(argv[1], eb);
	pcap_set_snaplen(p, 262144);
	pcap_set_timeout(p, 1000);
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "immediate") == 0)
			pcap_set_immediate_mode(p, 1);
		else if (strncmp(argv[i], "buffer=", 7) == 0)
			pcap_set_buffer_size(p, atoi(argv[i] + 7));
		else if (strncmp(argv[i], "timeout=", 8) == 0)
			pcap_set_timeout(p, atoi(argv[i] + 8));
		else if (strcmp(argv[i], "latency") == 0)
			latency = 1;
		else if (strncmp(argv[i], "work=", 5) == 0)
			work_ns = atol(argv[i] + 5), timed = 1;
	}
	if (latency)
		pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	if (pcap_activate(p) < 0) {
		fprintf(stderr, "activate: %s\n", pcap_geterr(p));
		return 1;
	}
	double act = ready(stop);
	if (next_ex) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int r;
		while ((r = pcap_next_ex(p, &h, &d)) >= 0)
			if (r == 1)
				take(h, d);
	} else {
		while (pcap_dispatch(p, -1, cb, NULL) >= 0)
			;
	}
	struct pcap_stat s;
	pcap_stats(p, &s);
	double c = cpu() - act;
	qsort(lat, nlat, sizeof lat[0], by_value);
	printf("got %lu drop %u cpu %.6f act %.6f first %.6f last %.6f lat50 %.1f lat99 %.1f latmax %.1f\n", got, s.ps_drop, c, act, first,
	    last, nlat ? lat[nlat / 2] : 0, nlat ? lat[nlat * 99 / 100] : 0, nlat ? lat[nlat - 1] : 0);
	return 0;
}

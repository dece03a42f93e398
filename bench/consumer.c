/* Benchmark consumer: the same binary (linked with -lpcap) runs on the system
 * libpcap and on ringcap (LD_LIBRARY_PATH). Captures on DEV until SIGUSR1,
 * then prints "got <packets> drop <kernel drops> cpu <seconds> act <seconds>":
 * the CPU (user + system) spent capturing after activation, and the CPU
 * activation took (socket set-up and the kernel zeroing the ring), apart,
 * so that per-packet cost is not blurred by ring size.
 *
 * usage: consumer <dev> <dispatch|next_ex> [immediate] [buffer=BYTES]
 * Prints READY once the capture is active.
 */
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tx_clock.h"

static pcap_t *p;
static unsigned long got;

static void stop(int sig)
{
	(void)sig;
	pcap_breakloop(p);
}

static void cb(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u;
	(void)h;
	got += d[13] == 0xb5;
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
	}
	if (pcap_activate(p) < 0) {
		fprintf(stderr, "activate: %s\n", pcap_geterr(p));
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stop;
	sigaction(SIGUSR1, &sa, NULL);
	double act = cpu();
	printf("READY\n");
	fflush(stdout);
	if (next_ex) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int r;
		while ((r = pcap_next_ex(p, &h, &d)) >= 0)
			if (r == 1)
				got += d[13] == 0xb5;
	} else {
		while (pcap_dispatch(p, -1, cb, NULL) >= 0)
			;
	}
	struct pcap_stat s;
	pcap_stats(p, &s);
	printf("got %lu drop %u cpu %.6f act %.6f\n", got, s.ps_drop, cpu() - act, act);
	return 0;
}

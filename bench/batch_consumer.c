/* Batch-receive consumer: ringcap_next_batch, 64 descriptors a call, the
 * packets read in place. Captures on DEV until SIGUSR1, then prints the same
 * line as consumer.c (capture CPU after activation, activation CPU apart).
 * Built against ringcap (the extension has no libpcap counterpart).
 *
 * usage: batch_consumer <dev>
 */
#include <pcap/pcap.h>
#include <ringcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static pcap_t *p;

static void stop(int sig)
{
	(void)sig;
	pcap_breakloop(p);
}

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc != 2)
		return 2;
	p = pcap_create(argv[1], eb);
	pcap_set_snaplen(p, 262144);
	pcap_set_timeout(p, 1000);
	if (pcap_activate(p) < 0) {
		fprintf(stderr, "activate: %s\n", pcap_geterr(p));
		return 1;
	}
	double act = ready(stop);
	static struct ringcap_packet b[64];
	unsigned long got = 0;
	int n;
	while ((n = ringcap_next_batch(p, b, 64, 1000)) >= 0)
		for (int i = 0; i < n; i++)
			got += b[i].data[13] == 0xb5;
	struct pcap_stat s;
	pcap_stats(p, &s);
	printf("got %lu drop %u cpu %.6f act %.6f\n", got, s.ps_drop, cpu() - act, act);
	return 0;
}

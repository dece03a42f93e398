/* Opening live handles in C test programs: pcap_create with a 10 ms
 * timeout and pcap_activate, each printing the error and exiting on
 * failure; and a monotonic clock in seconds. */
#ifndef LIVE_HANDLE_H
#define LIVE_HANDLE_H
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static inline pcap_t *create(const char *dev)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(dev, eb);
	if (!p) {
		printf("pcap_create: %s\n", eb);
		exit(1);
	}
	pcap_set_timeout(p, 10);
	return p;
}

static inline void activate(pcap_t *p)
{
	int r = pcap_activate(p);
	if (r != 0) {
		printf("pcap_activate = %d: %s\n", r, pcap_geterr(p));
		exit(1);
	}
}
#endif

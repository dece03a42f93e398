/* Benchmark sender through the libpcap API: COUNT frames of SIZE bytes with
 * one pcap_inject (or pcap_sendpacket) call each, on DEV. The same binary
 * runs on the system libpcap and on ringcap (LD_LIBRARY_PATH). Prints
 * "sent <frames> <seconds> <cpu seconds> <retries>" for the send loop only
 * (not the open); a frame the device queue dropped (ENOBUFS) is retried and
 * counted.
 *
 * usage: tx_inject <dev> <count> <size> [inject|sendpacket]
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	unsigned long count = strtoul(argv[2], NULL, 10);
	int size = atoi(argv[3]);
	int sendpacket = argc > 4 && strcmp(argv[4], "sendpacket") == 0;
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_live(argv[1], 128, 0, 1000, eb);
	if (!p) {
		fprintf(stderr, "%s\n", eb);
		return 1;
	}
	unsigned char f[2048];
	memset(f, 0, sizeof f);
	memcpy(f, "\x02\x00\x00\x00\x00\x0a\x02\x00\x00\x00\x00\x0b\x88\xb5", 14);
	unsigned long retries = 0;
	double w0 = wall(), c0 = cpu();
	for (unsigned long i = 0; i < count; i++) {
		memcpy(f + 14, &i, sizeof i);
		int r = sendpacket ? pcap_sendpacket(p, f, size) : pcap_inject(p, f, (size_t)size);
		if (r < 0) {
			if (strstr(pcap_geterr(p), "No buffer space") && retries < count) {
				retries++;
				i--;
				continue;
			}
			fprintf(stderr, "send %lu: %s\n", i, pcap_geterr(p));
			return 1;
		}
	}
	double w = wall() - w0, c = cpu() - c0;
	printf("sent %lu %.6f %.6f %lu\n", count, w, c, retries);
	pcap_close(p);
	return 0;
}

/* Benchmark sender through ringcap's batch APIs: COUNT frames of SIZE bytes
 * on DEV, BATCH frames per ringcap_inject_batch call ("batch"), or queued in
 * a WinPcap/Npcap send queue of BATCH records sent with
 * pcap_sendqueue_transmit(sync = 0) ("queue"). Prints
 * "sent <frames> <seconds> <cpu seconds> 0" for the send loop only.
 *
 * usage: tx_batch <dev> <count> <size> batch|queue [batch size, def. 256]
 */
#include <ringcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int main(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	unsigned long count = strtoul(argv[2], NULL, 10);
	unsigned size = (unsigned)atoi(argv[3]);
	int queue = strcmp(argv[4], "queue") == 0;
	unsigned batch = argc > 5 ? (unsigned)atoi(argv[5]) : 256;
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_live(argv[1], 128, 0, 1000, eb);
	if (!p) {
		fprintf(stderr, "%s\n", eb);
		return 1;
	}
	unsigned char *bufs = calloc(batch, size);
	struct ringcap_frame *frames = calloc(batch, sizeof *frames);
	for (unsigned i = 0; i < batch; i++) {
		memcpy(bufs + (size_t)i * size, "\x02\x00\x00\x00\x00\x0a\x02\x00\x00\x00\x00\x0b\x88\xb5", 14);
		frames[i].data = bufs + (size_t)i * size;
		frames[i].len = size;
	}
	pcap_send_queue *q = NULL;
	if (queue) {
		q = pcap_sendqueue_alloc(batch * (sizeof(struct pcap_pkthdr) + size));
		struct pcap_pkthdr h = { { 0, 0 }, size, size };
		for (unsigned i = 0; i < batch; i++)
			pcap_sendqueue_queue(q, &h, frames[i].data);
	}
	unsigned long sent = 0;
	double w0 = wall(), c0 = cpu();
	while (sent < count) {
		unsigned n = count - sent < batch ? (unsigned)(count - sent) : batch;
		if (queue) {
			/* A short last round sends a prefix of the queue. */
			u_int full = q->len;
			q->len = n * (sizeof(struct pcap_pkthdr) + size);
			u_int b = pcap_sendqueue_transmit(p, q, 0);
			int ok = b == q->len;
			q->len = full;
			if (!ok) {
				fprintf(stderr, "transmit: %s\n", pcap_geterr(p));
				return 1;
			}
		} else {
			int r = ringcap_inject_batch(p, frames, (int)n);
			if (r != (int)n) {
				fprintf(stderr, "batch: %d: %s\n", r, pcap_geterr(p));
				return 1;
			}
		}
		sent += n;
	}
	double w = wall() - w0, c = cpu() - c0;
	printf("sent %lu %.6f %.6f 0\n", sent, w, c);
	pcap_close(p);
	return 0;
}

/* ringcap's sending extensions through <ringcap.h> and the WinPcap/Npcap
 * send-queue API: ringcap_inject_batch, pcap_sendqueue_alloc / _queue /
 * _transmit (with and without sync) / _destroy, and the TX options
 * (ringcap_set_tx_ring / ringcap_get_tx_ring, ringcap_set_qdisc_bypass,
 * ringcap_set_tx_data_offset, ringcap_set_tx_loss, ringcap_set_tx_linear,
 * ringcap_set_tx_timestamps / ringcap_get_tx_timestamps) on every kind of
 * handle. Prints what each call returns; the harness checks the output and
 * the frames the peer receives.
 *
 * usage: inject_ext <dev>
 * Frames: EtherType 0x88b5 test frames (c-tests/test_frame.h) from
 * 02:00:00:00:00:0b to 02:00:00:00:00:0a, sequence numbers in print order.
 */
#include <ringcap.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live_handle.h"
#include "test_frame.h"

#define SHOWERR(p, expr) do { int r_ = (expr); printf("%s = %d [%s]\n", #expr, r_, pcap_geterr(p)); } while (0)

static u_char bufs[512][128];
static struct ringcap_frame frames[512];

/* `n` frames from `seq` on, 60 to 127 bytes. */
static void fill(unsigned seq, int n)
{
	for (int i = 0; i < n; i++) {
		frames[i].data = bufs[i];
		frames[i].len = frame(bufs[i], seq + i, 60 + (i % 68));
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: inject_ext <dev>\n");
		return 2;
	}
	const char *dev = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsigned seq = 0;
	u_char f[256];

	/* Options on a handle not yet activated. */
	pcap_t *in = create(dev);
	SHOWERR(in, ringcap_set_tx_ring(in, 2048, 0));
	SHOWERR(in, ringcap_set_tx_ring(in, 1024, 100));
	SHOWERR(in, ringcap_set_qdisc_bypass(in, 1));
	SHOWERR(in, ringcap_set_tx_timestamps(in, 7));
	SHOWERR(in, ringcap_set_tx_timestamps(in, RINGCAP_TX_TSTAMP_SOFTWARE));
	SHOWERR(in, ringcap_set_tx_data_offset(in, 64));
	SHOWERR(in, ringcap_set_tx_loss(in, 1));
	SHOWERR(in, ringcap_set_tx_linear(in, 0));
	unsigned fs = 1, fc = 1;
	SHOWERR(in, ringcap_get_tx_ring(in, &fs, &fc));
	fill(0, 1);
	SHOWERR(in, ringcap_inject_batch(in, frames, 1));
	SHOWERR(in, ringcap_get_tx_timestamps(in, NULL, 0));
	activate(in);
	SHOWERR(in, ringcap_get_tx_ring(in, &fs, &fc));
	printf("tx ring %u x %u\n", fs, fc);
	SHOWERR(in, ringcap_set_tx_ring(in, 2048, 16));
	SHOWERR(in, ringcap_set_tx_data_offset(in, 0));
	SHOWERR(in, ringcap_set_tx_loss(in, 0));
	SHOWERR(in, ringcap_set_tx_linear(in, 1));
	/* The lossy handle skips a malformed frame (10 bytes) and goes on: the
	 * frame is not sent, so not counted, and the error names it. */
	fill(seq, 4);
	frames[1].len = 10;
	SHOWERR(in, ringcap_inject_batch(in, frames, 4));
	printf("skip %u\n", seq + 1); /* discarded by the kernel */
	seq += 4;
	struct ringcap_tx_timestamp ts[8];
	int n = ringcap_get_tx_timestamps(in, ts, 8);
	/* One software stamp per frame sent, on the wall clock, in order. */
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	int good = 0;
	for (int i = 0; i < n; i++)
		if (ts[i].source == RINGCAP_TX_TSTAMP_SOFTWARE && ts[i].nsec < 1000000000 && llabs(ts[i].sec - (long long)wall.tv_sec) < 5 &&
		    (i == 0 || ts[i].sec > ts[i - 1].sec || (ts[i].sec == ts[i - 1].sec && ts[i].nsec >= ts[i - 1].nsec)))
			good++;
	printf("stamps = %d, software, on the wall clock, in order: %d\n", n, good);
	/* Hardware asked for: veth has no NIC clock, the software stamp stands in. */
	SHOWERR(in, ringcap_set_tx_timestamps(in, RINGCAP_TX_TSTAMP_HARDWARE));
	fill(seq, 2);
	SHOWERR(in, ringcap_inject_batch(in, frames, 2));
	seq += 2;
	n = ringcap_get_tx_timestamps(in, ts, 8);
	printf("hardware mode: stamps = %d, sources %d %d\n", n, ts[0].source, ts[1].source);
	SHOWERR(in, ringcap_set_tx_timestamps(in, RINGCAP_TX_TSTAMP_OFF));
	fill(seq, 2);
	SHOWERR(in, ringcap_inject_batch(in, frames, 2));
	seq += 2;
	SHOWERR(in, ringcap_get_tx_timestamps(in, ts, 8));
	SHOWERR(in, ringcap_set_qdisc_bypass(in, 0));
	pcap_close(in);

	/* Dead handles and NULL. */
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	SHOWERR(dead, ringcap_set_qdisc_bypass(dead, 1));
	SHOWERR(dead, ringcap_set_tx_ring(dead, 2048, 16));
	SHOWERR(dead, ringcap_inject_batch(dead, frames, 1));
	SHOWERR(dead, ringcap_get_tx_ring(dead, NULL, NULL));
	pcap_close(dead);
	printf("NULL handle: %d %d %d %d\n", ringcap_inject_batch(NULL, frames, 1), ringcap_set_qdisc_bypass(NULL, 1),
	    ringcap_set_tx_ring(NULL, 1, 1), (int)pcap_sendqueue_transmit(NULL, NULL, 0));

	/* A default handle: batches. */
	pcap_t *p = create(dev);
	activate(p);
	SHOWERR(p, ringcap_get_tx_ring(p, &fs, &fc));
	printf("default tx ring %u x %u\n", fs, fc);
	SHOWERR(p, ringcap_inject_batch(p, frames, 0));
	SHOWERR(p, ringcap_inject_batch(p, NULL, 3));
	SHOWERR(p, ringcap_inject_batch(p, frames, -1));
	fill(seq, 500);
	SHOWERR(p, ringcap_inject_batch(p, frames, 500));
	seq += 500;
	fill(seq, 5);
	frames[3].len = 0;
	SHOWERR(p, ringcap_inject_batch(p, frames, 5));
	seq += 3;
	fill(seq, 5);
	frames[0].data = NULL;
	SHOWERR(p, ringcap_inject_batch(p, frames, 5));
	fill(seq, 3);
	frames[1].len = 1600;
	static u_char big[1600];
	memcpy(big, bufs[1], 128);
	frames[1].data = big;
	SHOWERR(p, ringcap_inject_batch(p, frames, 3));
	seq += 1;

	/* Send queues. */
	pcap_send_queue *q = pcap_sendqueue_alloc(4096);
	printf("queue maxlen=%u len=%u buffer=%s\n", q->maxlen, q->len, q->buffer ? "set" : "NULL");
	struct pcap_pkthdr h = { { 1700000000, 0 }, 0, 0 };
	int queued = 0, rc;
	while (1) {
		h.caplen = h.len = frame(f, seq + queued, 100);
		h.ts.tv_usec = queued * 2000; /* 2 ms apart */
		if ((rc = pcap_sendqueue_queue(q, &h, f)) != 0)
			break;
		queued++;
	}
	printf("queued %d records, len=%u, next queue = %d\n", queued, q->len, rc);
	printf("queue(NULL) = %d %d\n", pcap_sendqueue_queue(NULL, &h, f), pcap_sendqueue_queue(q, NULL, f));
	u_int sent = pcap_sendqueue_transmit(p, q, 0);
	printf("transmit = %u of %u [%s]\n", sent, q->len, sent == q->len ? "" : pcap_geterr(p));
	seq += queued;
	/* Again, paced: same frames, sequence numbers after. */
	for (int i = 0, off = 0; i < queued; i++) {
		/* Records are packed: a header is not aligned for direct access. */
		struct pcap_pkthdr rh;
		memcpy(&rh, q->buffer + off, sizeof rh);
		frame((u_char *)q->buffer + off + sizeof rh, seq + i, rh.caplen);
		off += sizeof rh + rh.caplen;
	}
	double t0 = now();
	sent = pcap_sendqueue_transmit(p, q, 1);
	double took = now() - t0;
	printf("sync transmit = %u of %u, paced: %s\n", sent, q->len,
	    took >= (queued - 1) * 0.002 - 0.0005 && took < (queued - 1) * 0.002 + 0.05 ? "yes" : "no");
	seq += queued;
	pcap_sendqueue_destroy(q);
	pcap_sendqueue_destroy(NULL);
	/* A queue whose last record is cut short: the whole records go. */
	q = pcap_sendqueue_alloc(1000);
	h.caplen = h.len = frame(f, seq, 80);
	pcap_sendqueue_queue(q, &h, f);
	h.caplen = h.len = frame(f, seq + 1, 80);
	pcap_sendqueue_queue(q, &h, f);
	q->len -= 10;
	sent = pcap_sendqueue_transmit(p, q, 0);
	printf("truncated queue: transmit = %u of %u [%s]\n", sent, q->len, pcap_geterr(p));
	seq += 1;
	q->len = q->maxlen + 1;
	printf("malformed queue: transmit = %u [%s]\n", pcap_sendqueue_transmit(p, q, 0), pcap_geterr(p));
	q->len = 0;
	printf("empty queue: transmit = %u\n", pcap_sendqueue_transmit(p, q, 1));
	pcap_sendqueue_destroy(q);
	pcap_send_queue *z = pcap_sendqueue_alloc(0);
	h.caplen = h.len = 60;
	printf("zero-size queue: maxlen=%u queue=%d\n", z->maxlen, pcap_sendqueue_queue(z, &h, f));
	pcap_sendqueue_destroy(z);
	pcap_close(p);

	/* "any" cannot send. */
	pcap_t *any = create("any");
	activate(any);
	fill(0, 1);
	SHOWERR(any, ringcap_inject_batch(any, frames, 1));
	SHOWERR(any, ringcap_get_tx_ring(any, &fs, &fc));
	printf("any tx ring %u x %u\n", fs, fc);
	SHOWERR(any, ringcap_set_qdisc_bypass(any, 1));
	pcap_close(any);
	printf("done, %u frames\n", seq);
	return 0;
}

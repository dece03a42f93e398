/* Sending as a libpcap user sees it: pcap_inject and pcap_sendpacket return
 * values and error texts on every kind of handle (not activated, dead,
 * savefile, "any", cooked, live), the size checks, oversize and malformed
 * frames, a device that goes down and comes back, and whether a handle (or
 * another one on the same device) captures what was sent, with and without
 * pcap_setdirection. Built against the
 * system libpcap and against ringcap and run in identical private
 * namespaces; the outputs and the frames arriving at the peer must match.
 *
 * usage: inject_cmp <dev> <peer dev> <cooked dev> <tmp file>
 * Sends test frames (EtherType 0x88b5, c-tests/test_frame.h)
 * from <dev> (MAC 02:00:00:00:00:0b) to the peer (02:00:00:00:00:0a).
 */
#include <pcap/pcap.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_frame.h"

#define SHOWERR(p, expr) do { errno = 0; int r_ = (expr); printf("%s = %d [%s]\n", #expr, r_, pcap_geterr(p)); } while (0)

static int seen;
static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)user;
	if (h->caplen >= 18 && ((d[12] == 0x88 && d[13] == 0xb5) || (d[12] == 0x81 && d[16] == 0x88 && d[17] == 0xb5)))
		seen++;
}

/* Test frames a handle captures within `ms`. */
static int drain(pcap_t *p, int ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	seen = 0;
	do {
		pcap_dispatch(p, -1, count, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
	return seen;
}

static pcap_t *open_live(const char *dev)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(dev, eb);
	if (!p) {
		printf("pcap_create(%s): %s\n", dev, eb);
		exit(1);
	}
	pcap_set_timeout(p, 10);
	pcap_set_snaplen(p, 65535);
	int r = pcap_activate(p);
	if (r < 0) {
		printf("pcap_activate(%s) = %d: %s\n", dev, r, pcap_geterr(p));
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: inject_cmp <dev> <peer dev> <cooked dev> <tmp file>\n");
		return 2;
	}
	const char *dev = argv[1], *peer_dev = argv[2], *cooked_dev = argv[3], *tmp = argv[4];
	u_char f[2000];
	unsigned seq = 0;
	char eb[PCAP_ERRBUF_SIZE];
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Not activated. */
	pcap_t *in = pcap_create(dev, eb);
	SHOWERR(in, pcap_inject(in, f, frame(f, 999, 60)));
	SHOWERR(in, pcap_inject(in, f, 0));
	SHOWERR(in, pcap_sendpacket(in, f, 0));
	SHOWERR(in, pcap_sendpacket(in, f, -5));
	/* libpcap returns 0 here, ringcap -1 (nothing was sent): the harness
	 * checks this line separately. */
	errno = 0;
	printf("inactive sendpacket = %d [%s]\n", pcap_sendpacket(in, f, 60), pcap_geterr(in));
	pcap_close(in);

	/* pcap_open_dead, and a savefile written by it. */
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	SHOWERR(dead, pcap_inject(dead, f, 60));
	SHOWERR(dead, pcap_sendpacket(dead, f, 60));
	SHOWERR(dead, pcap_inject(dead, f, 0));
	pcap_dumper_t *d = pcap_dump_open(dead, tmp);
	struct pcap_pkthdr h = { { 1, 2 }, 60, 60 };
	pcap_dump((u_char *)d, &h, f);
	pcap_dump_close(d);
	pcap_close(dead);
	pcap_t *off = pcap_open_offline(tmp, eb);
	SHOWERR(off, pcap_inject(off, f, 60));
	SHOWERR(off, pcap_sendpacket(off, f, 60));
	pcap_close(off);

	/* "any" and a cooked capture. */
	pcap_t *any = open_live("any");
	SHOWERR(any, pcap_inject(any, f, 60));
	SHOWERR(any, pcap_sendpacket(any, f, 60));
	pcap_close(any);
	pcap_t *ck = open_live(cooked_dev);
	printf("cooked datalink = %d\n", pcap_datalink(ck));
	SHOWERR(ck, pcap_inject(ck, f, 60));
	pcap_close(ck);

	/* Live. A witness captures on the same device. */
	pcap_t *p = open_live(dev);
	pcap_t *witness = open_live(dev);
	pcap_setnonblock(p, 1, eb);
	pcap_setnonblock(witness, 1, eb);
	SHOWERR(p, pcap_inject(p, f, 0));
	SHOWERR(p, pcap_inject(p, f, (size_t)INT_MAX + 1));
	SHOWERR(p, pcap_sendpacket(p, f, 0));
	SHOWERR(p, pcap_inject(p, NULL, 60));
	SHOWERR(p, pcap_inject(p, f, frame(f, 9000, 1515)));
	SHOWERR(p, pcap_sendpacket(p, f, frame(f, 9001, 1515)));
	SHOWERR(p, pcap_inject(p, f, 10));
	SHOWERR(p, pcap_sendpacket(p, f, 13));
	unsigned sizes[] = { 14, 22, 60, 64, 100, 511, 1000, 1514, 61, 1500 };
	for (int i = 0; i < 40; i++) {
		unsigned len = frame(f, seq++, sizes[i % 10] < 22 ? 22 : sizes[i % 10]);
		if (i % 2)
			SHOWERR(p, pcap_sendpacket(p, f, len));
		else
			SHOWERR(p, pcap_inject(p, f, len));
	}
	/* An 802.1Q-tagged frame may be 4 bytes longer. */
	frame(f, seq++, 1514);
	memmove(f + 16, f + 12, 1502);
	f[12] = 0x81; f[13] = 0x00; f[14] = 0x00; f[15] = 0x05;
	SHOWERR(p, pcap_inject(p, f, 1518));
	printf("own frames captured = %d\n", drain(p, 200));
	printf("witness captured = %d\n", drain(witness, 200));

	/* Direction and injected frames: witnesses capturing only outgoing or
	 * only incoming packets on the sending device, and the sender itself
	 * asking for outgoing ones; 10 frames injected, 3 arriving from the
	 * peer. ps_recv counts what each socket received, also the packets its
	 * direction then dropped. */
	pcap_t *w_out = open_live(dev), *w_in = open_live(dev), *peer = open_live(peer_dev);
	pcap_setnonblock(w_out, 1, eb);
	pcap_setnonblock(w_in, 1, eb);
	SHOWERR(w_out, pcap_setdirection(w_out, PCAP_D_OUT));
	SHOWERR(w_in, pcap_setdirection(w_in, PCAP_D_IN));
	SHOWERR(p, pcap_setdirection(p, PCAP_D_OUT));
	for (int i = 0; i < 10; i++)
		SHOWERR(p, pcap_inject(p, f, frame(f, seq++, 80)));
	for (int i = 0; i < 3; i++)
		SHOWERR(peer, pcap_inject(peer, f, frame(f, seq++, 70)));
	printf("sender (PCAP_D_OUT) captured = %d\n", drain(p, 200));
	printf("witness PCAP_D_OUT captured = %d\n", drain(w_out, 200));
	printf("witness PCAP_D_IN captured = %d\n", drain(w_in, 200));
	struct pcap_stat st;
	pcap_stats(w_out, &st);
	printf("witness PCAP_D_OUT ps_recv = %u\n", st.ps_recv);
	pcap_stats(w_in, &st);
	printf("witness PCAP_D_IN ps_recv = %u\n", st.ps_recv);
	SHOWERR(p, pcap_setdirection(p, PCAP_D_INOUT));
	pcap_close(w_out);
	pcap_close(w_in);
	pcap_close(peer);

	/* The device goes down and comes back. */
	char cmd[128];
	snprintf(cmd, sizeof cmd, "ip link set dev %s down", dev);
	if (system(cmd) != 0)
		return 1;
	SHOWERR(p, pcap_inject(p, f, frame(f, seq, 60)));
	snprintf(cmd, sizeof cmd, "ip link set dev %s up", dev);
	if (system(cmd) != 0)
		return 1;
	SHOWERR(p, pcap_inject(p, f, frame(f, seq, 60)));
	SHOWERR(p, pcap_inject(p, f, frame(f, seq, 60)));
	seq++;
	for (int i = 0; i < 5; i++)
		SHOWERR(p, pcap_inject(p, f, frame(f, seq++, 100)));
	pcap_close(witness);
	pcap_close(p);
	printf("done, %u frames\n", seq);
	return 0;
}

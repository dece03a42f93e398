/* pcap_breakloop from a signal handler at random moments of a busy
 * capture: a SIGALRM timer fires every 100 us and, on about half of the
 * signals (chosen at random), the handler calls pcap_breakloop while
 * pcap_loop, pcap_dispatch or pcap_next_ex runs on a link the harness keeps
 * busy. Every read must end with -2 or a correct result; nothing may crash
 * or deadlock; no packet may be lost, repeated or reordered beyond what
 * pcap_stats reports as dropped. Built against both libraries.
 *
 * usage: break_storm <dev> <loop|dispatch|next_ex> <version>
 *   version  see live_harness.h (ringcap: 1, 2, 3; libpcap: 2, 3)
 * Prints READY, reads until the harness writes a line on stdin, then stops
 * the timer, reads the rest and prints
 *   "delivered=<n> recv=<ps_recv> drop=<ps_drop> out_of_order=<n> bad_returns=<n>"
 * and "# signals=<n> breaks=<n> calls=<n>" (reads that returned -2). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "live_harness.h"
#include "test_frame.h"

static pcap_t *p;
static volatile sig_atomic_t signals;
static unsigned rng = 2463534242u;
static unsigned in_call, bad_returns;
static struct frame_count got = FRAME_COUNT_INIT;

static void on_alarm(int sig)
{
	(void)sig;
	signals++;
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	if (rng & 1)
		pcap_breakloop(p);
}

static void cb(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u;
	in_call++;
	count_frame(&got, d, h->caplen);
}

static int told(void)
{
	struct pollfd in = { 0, POLLIN, 0 };
	return poll(&in, 1, 0) > 0;
}

int main(int argc, char **argv)
{
	char line[64];
	if (argc != 4)
		return 2;
	const char *api = argv[2];
	p = activate_or_null(create_version(argv[1], atoi(argv[3]), 0, 8 << 20, 20));
	if (!p)
		return 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	printf("READY\n");
	fflush(stdout);
	struct itimerval storm = { { 0, 100 }, { 0, 100 } };
	setitimer(ITIMER_REAL, &storm, NULL);
	unsigned calls = 0, breaks = 0;
	while (!told()) {
		int r;
		calls++;
		in_call = 0;
		if (strcmp(api, "loop") == 0) {
			/* Only a break ends it: anything else is wrong. */
			r = pcap_loop(p, -1, cb, NULL);
			bad_returns += r != PCAP_ERROR_BREAK;
		} else if (strcmp(api, "dispatch") == 0) {
			r = pcap_dispatch(p, -1, cb, NULL);
			/* A count must be the callbacks it made. */
			bad_returns += r != PCAP_ERROR_BREAK && (r < 0 || (unsigned)r != in_call);
		} else {
			struct pcap_pkthdr *h;
			const u_char *d;
			r = pcap_next_ex(p, &h, &d);
			if (r == 1)
				count_frame(&got, d, h->caplen);
			bad_returns += r != 1 && r != 0 && r != PCAP_ERROR_BREAK;
		}
		breaks += r == PCAP_ERROR_BREAK;
		if (r < 0 && r != PCAP_ERROR_BREAK) {
			printf("%s: %d [%s]\n", api, r, pcap_geterr(p));
			break;
		}
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	/* Then the rest, non-blocking. A break the last signal asked for may
	 * still be pending: a read may return -2 once more. */
	char eb[PCAP_ERRBUF_SIZE];
	if (!fgets(line, sizeof line, stdin) || pcap_setnonblock(p, 1, eb) != 0)
		return 1;
	for (int quiet = 0; quiet < 3;) {
		usleep(50000);
		int n, active = 0;
		while ((n = pcap_dispatch(p, -1, cb, NULL)) > 0 || n == PCAP_ERROR_BREAK)
			active = 1;
		if (n < 0) {
			printf("dispatch: %d [%s]\n", n, pcap_geterr(p));
			return 1;
		}
		quiet = active ? 0 : quiet + 1;
	}
	struct pcap_stat st;
	if (pcap_stats(p, &st) != 0) {
		printf("stats: %s\n", pcap_geterr(p));
		return 1;
	}
	printf("delivered=%u recv=%u drop=%u out_of_order=%u bad_returns=%u\n", got.delivered, st.ps_recv, st.ps_drop,
	    got.out_of_order, bad_returns);
	printf("# signals=%d breaks=%u calls=%u\n", (int)signals, breaks, calls);
	pcap_close(p);
	return 0;
}

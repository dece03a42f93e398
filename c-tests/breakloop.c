/* pcap_breakloop from another thread, from a signal handler and from a
 * callback; non-blocking reads; calls back into the handle from a callback.
 * Built against the system libpcap and against ringcap; outputs compared.
 *
 * usage: breakloop <dev> <mode>
 *   thread | signal    block in pcap_loop on an idle link, break after 200 ms
 *   callback           break from the third callback while frames flow
 *   nonblock           non-blocking dispatch on an idle link returns 0 at once
 *   reenter            pcap_datalink/pcap_snapshot/pcap_stats/pcap_geterr from a callback
 *   close              pcap_close from a callback (ringcap only: libpcap frees
 *                      the handle under the running loop)
 * Prints READY once the capture is active (the harness then sends, in the
 * modes that need frames).
 */
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static pcap_t *p;
static int count;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void *breaker(void *arg)
{
	(void)arg;
	usleep(200000);
	pcap_breakloop(p);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	pcap_breakloop(p);
}

static void cb_count(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u; (void)h; (void)d;
	count++;
	if (count == 3)
		pcap_breakloop(p);
}

static void cb_reenter(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u; (void)h; (void)d;
	struct pcap_stat s;
	count++;
	printf("in callback: datalink=%d snapshot=%d stats=%d precision=%d errbuf_ok=%d\n", pcap_datalink(p),
	    pcap_snapshot(p), pcap_stats(p, &s), pcap_get_tstamp_precision(p), pcap_geterr(p) != NULL);
}

static void cb_close(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u; (void)h; (void)d;
	count++;
	pcap_close(p);
}

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc != 3)
		return 2;
	const char *mode = argv[2];
	p = pcap_create(argv[1], eb);
	/* A timeout far longer than the 200 ms after which the break comes: a
	 * loop that noticed it only when poll timed out would not be prompt. */
	pcap_set_timeout(p, 10000);
	if (pcap_activate(p) < 0) {
		printf("activate: %s\n", pcap_geterr(p));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	double t0 = now();
	int r;
	if (strcmp(mode, "thread") == 0) {
		pthread_t th;
		pthread_create(&th, NULL, breaker, NULL);
		r = pcap_loop(p, -1, cb_count, NULL);
		pthread_join(th, NULL);
		printf("loop=%d count=%d prompt=%d\n", r, count, now() - t0 < 0.7);
		/* The flag was consumed: the next read is an ordinary one (made
		 * non-blocking, as libpcap's would block forever on an idle link). */
		pcap_setnonblock(p, 1, eb);
		r = pcap_dispatch(p, 1, cb_count, NULL);
		printf("next read after break=%d\n", r);
	} else if (strcmp(mode, "signal") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm;
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = { { 0, 0 }, { 0, 200000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		r = pcap_loop(p, -1, cb_count, NULL);
		printf("loop=%d count=%d prompt=%d\n", r, count, now() - t0 < 0.7);
	} else if (strcmp(mode, "callback") == 0) {
		r = pcap_loop(p, -1, cb_count, NULL);
		printf("loop=%d count=%d\n", r, count);
	} else if (strcmp(mode, "nonblock") == 0) {
		pcap_setnonblock(p, 1, eb);
		r = pcap_dispatch(p, -1, cb_count, NULL);
		struct pcap_pkthdr *h;
		const u_char *d;
		int r2 = pcap_next_ex(p, &h, &d);
		printf("dispatch=%d next_ex=%d prompt=%d\n", r, r2, now() - t0 < 0.5);
	} else if (strcmp(mode, "reenter") == 0) {
		r = pcap_loop(p, 2, cb_reenter, NULL);
		printf("loop=%d count=%d\n", r, count);
	} else if (strcmp(mode, "close") == 0) {
		r = pcap_loop(p, -1, cb_close, NULL);
		printf("loop=%d count=%d\n", r, count);
		return 0;
	}
	pcap_close(p);
	return 0;
}

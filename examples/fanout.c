/* ringcap fanout example: N worker threads, each owning one capture handle;
 * the handles form one PACKET_FANOUT group, so the kernel hands each packet
 * on the device to exactly one worker (by flow hash, round robin, ...). On
 * SIGINT or SIGTERM every worker stops; the program prints what each
 * captured, the total, and the kernel's drops.
 *
 * usage: fanout <device> [workers (2)] [mode: hash|lb|cpu|rollover|rnd|qm (hash)] [group id (42)]
 *
 *   cc -O2 -o fanout examples/fanout.c $(pkg-config --cflags --libs ringcap) -pthread
 *
 * Without ringcap's API the same grouping is available to any libpcap
 * program run on ringcap: RINGCAP_FANOUT=hash:42 in each one's environment.
 */
#include <pcap/pcap.h>
#include <ringcap.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORKERS 64

struct worker {
	pcap_t *p;
	pthread_t thread;
	unsigned long packets;
	unsigned long bytes;
};

static struct worker workers[MAX_WORKERS];
static int nworkers;

/* pcap_breakloop is safe from a signal handler. */
static void stop(int sig)
{
	(void)sig;
	for (int i = 0; i < nworkers; i++)
		pcap_breakloop(workers[i].p);
}

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct worker *w = (struct worker *)user;
	(void)data;
	w->packets++;
	w->bytes += h->len;
}

/* Each worker reads only its own handle: no locking needed. */
static void *run(void *arg)
{
	struct worker *w = arg;
	int r = pcap_loop(w->p, -1, count, (u_char *)w);
	if (r == PCAP_ERROR)
		fprintf(stderr, "pcap_loop: %s\n", pcap_geterr(w->p));
	return NULL;
}

static int mode_of(const char *name)
{
	static const char *names[] = { "hash", "lb", "cpu", "rollover", "rnd", "qm" };
	static const int modes[] = { RINGCAP_FANOUT_HASH, RINGCAP_FANOUT_LB, RINGCAP_FANOUT_CPU,
		RINGCAP_FANOUT_ROLLOVER, RINGCAP_FANOUT_RND, RINGCAP_FANOUT_QM };
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0)
			return modes[i];
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: fanout <device> [workers] [hash|lb|cpu|rollover|rnd|qm] [group id]\n");
		return 2;
	}
	const char *dev = argv[1];
	nworkers = argc > 2 ? atoi(argv[2]) : 2;
	const char *mode_name = argc > 3 ? argv[3] : "hash";
	int mode = mode_of(mode_name);
	int group = argc > 4 ? atoi(argv[4]) : 42;
	if (nworkers < 1 || nworkers > MAX_WORKERS || mode < 0 || group < 0 || group > 65535) {
		fprintf(stderr, "fanout: 1-%d workers, a mode among hash lb cpu rollover rnd qm, a group id 0-65535\n", MAX_WORKERS);
		return 2;
	}

	/* Open every handle and join it to the group before any worker reads,
	 * so no packet arrives at a handle outside the group. */
	char errbuf[PCAP_ERRBUF_SIZE];
	for (int i = 0; i < nworkers; i++) {
		pcap_t *p = pcap_create(dev, errbuf);
		if (!p) {
			fprintf(stderr, "pcap_create: %s\n", errbuf);
			return 1;
		}
		pcap_set_snaplen(p, 65535);
		pcap_set_timeout(p, 100);
		/* Joined by pcap_activate, once the socket is bound. */
		if (ringcap_set_fanout(p, mode, (uint16_t)group, 0) != 0 || pcap_activate(p) < 0) {
			fprintf(stderr, "%s: %s\n", dev, pcap_geterr(p));
			return 1;
		}
		workers[i].p = p;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < nworkers; i++)
		pthread_create(&workers[i].thread, NULL, run, &workers[i]);
	printf("capturing on %s: %d workers in fanout group %d (%s)\n", dev, nworkers, ringcap_fanout_group_id(workers[0].p), mode_name);
	fflush(stdout);

	unsigned long total = 0, drops = 0;
	for (int i = 0; i < nworkers; i++) {
		pthread_join(workers[i].thread, NULL);
		struct pcap_stat st;
		if (pcap_stats(workers[i].p, &st) == 0)
			drops += st.ps_drop;
		printf("worker %d: %lu packets, %lu bytes\n", i, workers[i].packets, workers[i].bytes);
		total += workers[i].packets;
		pcap_close(workers[i].p);
	}
	printf("total: %lu packets, %lu dropped by the kernel\n", total, drops);
	return 0;
}

/* Soak: SECONDS at the highest rate this machine sustains, on a veth pair
 * (a <- b) that scripts/soak.sh creates in a private namespace.
 *
 *   sender  on b: ringcap_inject_batch, 256 frames a call, as fast as it goes
 *   a1, a2  on a: one PACKET_FANOUT group (round robin); each captures with
 *                 pcap_dispatch; a1 also sends a reply frame from inside its
 *                 callback for every 64th frame (inject and capture on one
 *                 handle); both get a new filter every second (two programs
 *                 that accept every test frame, so counts stay exact)
 *   replies on b: captures the replies
 *
 * Every second: the send rate, RSS (/proc/self/statm), open descriptors.
 * At the end: a1 + a2 captured + their kernel drops == frames sent, replies
 * captured + dropped == replies sent, RSS after warm-up flat within 5 %,
 * no descriptor growth. Exit status 0 only if all hold.
 *
 * usage: soak <a> <b> <seconds>
 */
#include <pcap/pcap.h>
#include <ringcap.h>

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FRAME 64
#define REPLY_EVERY 64

static atomic_int stopping;
static atomic_ulong sent, replies_sent;
static unsigned long captured[2], replies_captured;
static pcap_t *a[2], *sender, *replies;
static pthread_mutex_t filter_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bpf_program filters[2];
static int filter_gen;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static pcap_t *open_dev(const char *dev, int fanout)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(dev, eb);
	if (!p) {
		fprintf(stderr, "%s\n", eb);
		exit(1);
	}
	pcap_set_timeout(p, 100);
	pcap_set_buffer_size(p, 64 << 20);
	if (fanout && ringcap_set_fanout(p, RINGCAP_FANOUT_LB, 4242, 0) != 0) {
		fprintf(stderr, "fanout: %s\n", pcap_geterr(p));
		exit(1);
	}
	if (pcap_activate(p) < 0) {
		fprintf(stderr, "%s: %s\n", dev, pcap_geterr(p));
		exit(1);
	}
	return p;
}

static int is_test(const u_char *d, unsigned len)
{
	return len >= 14 && d[12] == 0x88 && d[13] == 0xb5;
}

static void on_a(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	int i = (int)(long)user;
	if (!is_test(d, h->caplen))
		return;
	captured[i]++;
	if (i == 0 && captured[0] % REPLY_EVERY == 0) {
		u_char r[FRAME];
		memcpy(r, d + 6, 6);
		memcpy(r + 6, d, 6);
		memcpy(r + 12, "\x88\xb6", 2);
		memset(r + 14, 0x5a, FRAME - 14);
		if (pcap_inject(a[0], r, FRAME) == FRAME)
			replies_sent++;
	}
}

static void *capture(void *arg)
{
	int i = (int)(long)arg, gen = -1;
	while (!atomic_load(&stopping)) {
		pthread_mutex_lock(&filter_lock);
		int g = filter_gen;
		pthread_mutex_unlock(&filter_lock);
		if (g != gen) {
			gen = g;
			if (pcap_setfilter(a[i], &filters[g % 2]) != 0)
				fprintf(stderr, "setfilter: %s\n", pcap_geterr(a[i]));
		}
		if (pcap_dispatch(a[i], 1024, on_a, (u_char *)(long)i) < 0)
			break;
	}
	/* Drain what is left. */
	while (pcap_dispatch(a[i], -1, on_a, (u_char *)(long)i) > 0)
		;
	return NULL;
}

static void on_reply(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)user;
	if (h->caplen >= 14 && d[12] == 0x88 && d[13] == 0xb6)
		replies_captured++;
}

static void *capture_replies(void *arg)
{
	(void)arg;
	while (!atomic_load(&stopping))
		if (pcap_dispatch(replies, -1, on_reply, NULL) < 0)
			break;
	while (pcap_dispatch(replies, -1, on_reply, NULL) > 0)
		;
	return NULL;
}

static void *send_frames(void *arg)
{
	(void)arg;
	static u_char buf[256][FRAME];
	struct ringcap_frame fr[256];
	for (int i = 0; i < 256; i++) {
		memcpy(buf[i], "\x02\x00\x00\x00\x00\x0a\x02\x00\x00\x00\x00\x0b\x88\xb5", 14);
		fr[i].data = buf[i];
		fr[i].len = FRAME;
	}
	while (!atomic_load(&stopping)) {
		int n = ringcap_inject_batch(sender, fr, 256);
		if (n < 0) {
			fprintf(stderr, "inject: %s\n", pcap_geterr(sender));
			break;
		}
		sent += (unsigned long)n;
	}
	return NULL;
}

static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the directory itself */
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: soak <a> <b> <seconds>\n");
		return 2;
	}
	int seconds = atoi(argv[3]);
	a[0] = open_dev(argv[1], 1);
	a[1] = open_dev(argv[1], 1);
	sender = open_dev(argv[2], 0);
	replies = open_dev(argv[2], 0);
	pcap_compile(a[0], &filters[0], "ether proto 0x88b5", 1, PCAP_NETMASK_UNKNOWN);
	pcap_compile(a[0], &filters[1], "ether proto 0x88b5 or arp or (ip and udp port 53)", 1, PCAP_NETMASK_UNKNOWN);
	/* The reply reader sees only replies (not the sender's own frames going
	 * out, which would fill its ring and count as its drops). */
	struct bpf_program only_replies;
	pcap_compile(replies, &only_replies, "ether proto 0x88b6", 1, PCAP_NETMASK_UNKNOWN);
	pcap_setfilter(replies, &only_replies);
	pcap_freecode(&only_replies);
	pthread_t ta[2], tr, ts;
	for (long i = 0; i < 2; i++)
		pthread_create(&ta[i], NULL, capture, (void *)i);
	pthread_create(&tr, NULL, capture_replies, NULL);
	pthread_create(&ts, NULL, send_frames, NULL);
	double start = now();
	long rss0 = 0;
	int fds0 = 0;
	unsigned long last = 0;
	for (int s = 1; s <= seconds; s++) {
		while (now() < start + s)
			usleep(10000);
		pthread_mutex_lock(&filter_lock);
		filter_gen++;
		pthread_mutex_unlock(&filter_lock);
		unsigned long n = sent;
		long rss = rss_kib();
		int fds = open_fds();
		/* Warm-up: rings and buffers are touched in the first seconds. */
		if (s == (seconds < 20 ? 1 : 10)) {
			rss0 = rss;
			fds0 = fds;
		}
		printf("t=%3ds sent %.3f Mpps rss %ld KiB fds %d\n", s, (n - last) / 1e6, rss, fds);
		fflush(stdout);
		last = n;
	}
	atomic_store(&stopping, 1);
	pthread_join(ts, NULL);
	/* Let the last frames arrive, then stop the readers. */
	usleep(300000);
	for (int i = 0; i < 2; i++)
		pcap_breakloop(a[i]);
	pcap_breakloop(replies);
	for (int i = 0; i < 2; i++)
		pthread_join(ta[i], NULL);
	usleep(200000);
	pthread_join(tr, NULL);
	struct pcap_stat s0, s1, sr;
	pcap_stats(a[0], &s0);
	pcap_stats(a[1], &s1);
	pcap_stats(replies, &sr);
	unsigned long got = captured[0] + captured[1], drops = (unsigned long)s0.ps_drop + s1.ps_drop;
	long rss_end = rss_kib();
	int fds_end = open_fds();
	double growth = rss0 ? 100.0 * (rss_end - rss0) / rss0 : 0;
	printf("sent %lu frames in %d s (%.3f Mpps); captured %lu (a1 %lu, a2 %lu) + dropped %lu = %lu\n", (unsigned long)sent, seconds,
	    sent / 1e6 / seconds, got, captured[0], captured[1], drops, got + drops);
	printf("replies sent %lu, captured %lu + dropped %u\n", (unsigned long)replies_sent, replies_captured, sr.ps_drop);
	printf("rss %ld -> %ld KiB (%+.1f %%), fds %d -> %d\n", rss0, rss_end, growth, fds0, fds_end);
	int ok = got + drops == sent && replies_captured + sr.ps_drop == replies_sent && growth <= 5 && growth >= -5 && fds_end == fds0;
	printf("soak %s\n", ok ? "passed" : "FAILED");
	for (int i = 0; i < 2; i++)
		pcap_close(a[i]);
	pcap_close(sender);
	pcap_close(replies);
	pcap_freecode(&filters[0]);
	pcap_freecode(&filters[1]);
	return ok ? 0 : 1;
}

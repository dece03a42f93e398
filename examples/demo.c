/* ringcap demo: blast frames across a veth pair and capture them through the
 * libpcap API on ringcap, with a live status line and a summary; then save
 * the first packets to a pcap file and read it back, checking every byte
 * captured and read back against what was sent.
 *
 * usage: demo <capture dev> <send dev> [seconds] [frame size] [savefile]
 * scripts/demo.sh creates the private namespace and the veth pair and runs
 * this program inside it; it never touches another interface.
 */
#include <pcap/pcap.h>
#include <ringcap.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SAVE_PACKETS 10000
#define SAVEFILE "/tmp/ringcap-demo.pcap"
#define SNAPLEN 128

struct sender {
	const char *dev;
	double seconds;
	int size;
	atomic_ulong sent;
	atomic_int done;
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Frame `seq`: broadcast from 02:00:00:00:00:00 with a local-experimental
 * EtherType, the number (big-endian), then a fixed pattern. */
static void make_frame(unsigned char *f, size_t size, uint32_t seq)
{
	memset(f, 0xff, 6);
	memset(f + 6, 0, 6);
	f[6] = 0x02;
	f[12] = 0x88;
	f[13] = 0xb5;
	seq = htonl(seq);
	memcpy(f + 14, &seq, 4);
	for (size_t i = 18; i < size; i++)
		f[i] = (unsigned char)(i * 7 + 3);
}

/* Whether a captured (or saved) packet is frame `*seq` as sent: its length,
 * captured length (cut to the snapshot length) and every captured byte. */
static int as_sent(const struct pcap_pkthdr *h, const u_char *d, int size, uint32_t *seq)
{
	unsigned char f[2048];
	uint32_t n;

	if (h->len != (unsigned)size || h->caplen != (unsigned)(size < SNAPLEN ? size : SNAPLEN))
		return 0;
	memcpy(&n, d + 14, 4);
	*seq = ntohl(n);
	make_frame(f, (size_t)size, *seq);
	return memcmp(d, f, h->caplen) == 0;
}

/* The traffic: numbered frames, sent from the peer interface with a plain
 * packet socket for a bounded time. */
static void *send_frames(void *arg)
{
	struct sender *s = arg;
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(s->dev) };
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
		perror("sender socket");
		atomic_store(&s->done, 1);
		return NULL;
	}
	unsigned char f[2048];
	make_frame(f, (size_t)s->size, 0);
	double end = now() + s->seconds;
	unsigned long n = 0;
	while (now() < end) {
		for (int i = 0; i < 256; i++) {
			uint32_t seq = htonl((uint32_t)n);
			memcpy(f + 14, &seq, 4);
			if (send(fd, f, (size_t)s->size, 0) == s->size)
				n++;
		}
		atomic_store(&s->sent, n);
	}
	atomic_store(&s->sent, n);
	atomic_store(&s->done, 1);
	close(fd);
	return NULL;
}

struct counts {
	int size;
	unsigned long packets, bytes;
	pcap_dumper_t *dumper;
	unsigned long saved;
	uint32_t next_seq;
	unsigned long out_of_order, not_as_sent;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	struct counts *c = (struct counts *)user;
	uint32_t seq;
	c->packets++;
	c->bytes += h->len;
	if (!as_sent(h, d, c->size, &seq))
		c->not_as_sent++;
	else {
		if (seq < c->next_seq)
			c->out_of_order++;
		c->next_seq = seq + 1;
	}
	if (c->saved < SAVE_PACKETS) {
		pcap_dump((u_char *)c->dumper, h, d);
		c->saved++;
	}
}

/* Packets an interface dropped before any socket saw them (/proc/net/dev is
 * the calling thread's namespace's view). */
static unsigned long if_drops(const char *dev, int rx)
{
	FILE *f = fopen("/proc/net/dev", "r");
	char line[512];
	unsigned long v[16];
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		char *name = line;
		while (*name == ' ')
			name++;
		if (strcmp(name, dev) != 0)
			continue;
		if (sscanf(colon + 1, "%lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3],
		        &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]) == 12) {
			fclose(f);
			return rx ? v[3] : v[11];
		}
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s <capture dev> <send dev> [seconds] [frame size] [savefile]\n", argv[0]);
		return 2;
	}
	const char *cap_dev = argv[1];
	struct sender s = { .dev = argv[2], .seconds = argc > 3 ? atof(argv[3]) : 5.0, .size = argc > 4 ? atoi(argv[4]) : 64 };
	if (s.size < 60 || s.size > 1514)
		s.size = 64;
	const char *savefile = argc > 5 ? argv[5] : SAVEFILE;

	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(cap_dev, eb);
	if (!p) {
		fprintf(stderr, "pcap_create: %s\n", eb);
		return 1;
	}
	pcap_set_snaplen(p, SNAPLEN);
	pcap_set_timeout(p, 100);
	int st = pcap_activate(p);
	if (st < 0) {
		fprintf(stderr, "pcap_activate: %s (%s)\n", pcap_statustostr(st), pcap_geterr(p));
		return 1;
	}
	printf("%s\n", pcap_lib_version());
	printf("capturing on %s (%s), sending %d-byte frames from %s for %.1f s\n", cap_dev,
	    pcap_datalink_val_to_description(pcap_datalink(p)), s.size, s.dev, s.seconds);

	struct counts c = { .size = s.size };
	c.dumper = pcap_dump_open(p, savefile);
	if (!c.dumper) {
		fprintf(stderr, "pcap_dump_open: %s\n", pcap_geterr(p));
		return 1;
	}
	pthread_t th;
	pthread_create(&th, NULL, send_frames, &s);

	double t0 = now(), last = t0, idle_since = 0;
	unsigned long last_packets = 0;
	struct pcap_stat ps = { 0 };
	for (;;) {
		int r = pcap_dispatch(p, -1, on_packet, (u_char *)&c);
		if (r < 0) {
			fprintf(stderr, "\npcap_dispatch: %s\n", pcap_geterr(p));
			return 1;
		}
		double t = now();
		if (t - last >= 0.25) {
			pcap_stats(p, &ps);
			printf("\r  %7.2f s  captured %10lu  rate %6.3f Mpps  %7.1f MB/s  kernel drops %lu   ", t - t0,
			    c.packets, (c.packets - last_packets) / (t - last) / 1e6,
			    (double)c.bytes / (t - t0) / 1e6, (unsigned long)ps.ps_drop);
			fflush(stdout);
			last = t;
			last_packets = c.packets;
		}
		/* Done once the sender has stopped and the ring is empty. */
		if (atomic_load(&s.done)) {
			if (r > 0)
				idle_since = 0;
			else if (idle_since == 0)
				idle_since = t;
			else if (t - idle_since > 0.3)
				break;
		}
		if (t - t0 > s.seconds + 10)
			break;
	}
	pthread_join(th, NULL);
	pcap_stats(p, &ps);
	double el = now() - t0;
	pcap_dump_close(c.dumper);
	unsigned long sent = atomic_load(&s.sent);
	unsigned long lost = if_drops(cap_dev, 1) + if_drops(s.dev, 0);
	printf("\n\nsummary\n");
	printf("  sent            %lu frames (%.3f Mpps)\n", sent, sent / s.seconds / 1e6);
	printf("  captured        %lu frames, %lu out of order, %lu not as sent\n", c.packets, c.out_of_order,
	    c.not_as_sent);
	printf("  kernel counted  %u received, %u dropped from the ring\n", ps.ps_recv, ps.ps_drop);
	printf("  interfaces      %lu dropped before any socket saw them\n", lost);
	printf("  accounted       captured + ring drops + interface drops = %lu of %lu sent%s\n",
	    c.packets + ps.ps_drop + lost, sent, c.packets + ps.ps_drop + lost == sent ? " (all)" : "");
	printf("  elapsed         %.2f s\n", el);

	/* Read the saved packets back. */
	pcap_t *f = pcap_open_offline(savefile, eb);
	if (!f) {
		fprintf(stderr, "pcap_open_offline: %s\n", eb);
		return 1;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long back = 0, ok = 0;
	uint32_t prev = 0;
	while (pcap_next_ex(f, &h, &d) == 1) {
		uint32_t seq = 0;
		if (as_sent(h, d, s.size, &seq) && (back == 0 || seq > prev))
			ok++;
		prev = seq;
		back++;
	}
	pcap_close(f);
	printf("  savefile        %s: wrote %lu, read back %lu (%lu as sent, in order)\n", savefile, c.saved, back, ok);
	pcap_close(p);
	int good = c.packets > 0 && c.packets + ps.ps_drop + lost == sent && back == c.saved && ok == back &&
	    c.out_of_order == 0 && c.not_as_sent == 0;
	printf("\n%s\n", good ? "demo OK" : "demo FAILED");
	return good ? 0 : 1;
}

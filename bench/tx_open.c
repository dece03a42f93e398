/* What the TX ring costs a handle that only captures: open and activate a
 * capture on DEV N times (pcap_create + pcap_activate + pcap_close) and
 * print "open <n> <milliseconds per open> <kernel ring KiB>" (the ring
 * memory from /proc/self/maps while the last handle is open: RX + TX).
 *
 * usage: tx_open <dev> <n>
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* KiB of the largest shared mapping of a packet socket ("socket:[...]"
 * does not show; the ring is the one MAP_SHARED anonymous-device mapping
 * with no file name that is not the stack or heap). */
static long ring_kib(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	long best = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long a, b;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3 && perms[3] == 's' && strstr(line, "socket:"))
			if ((long)((b - a) / 1024) > best)
				best = (long)((b - a) / 1024);
	}
	if (f)
		fclose(f);
	return best;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int n = atoi(argv[2]);
	char eb[PCAP_ERRBUF_SIZE];
	struct timespec t0, t1;
	long kib = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		pcap_t *p = pcap_create(argv[1], eb);
		if (!p || pcap_activate(p) < 0) {
			fprintf(stderr, "%s\n", p ? pcap_geterr(p) : eb);
			return 1;
		}
		if (i == n - 1)
			kib = ring_kib();
		pcap_close(p);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / n;
	printf("open %d %.3f %ld\n", n, ms, kib);
	return 0;
}

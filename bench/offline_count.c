/* Read a savefile with pcap_loop and a counting callback; print the packet
 * count and the wall-clock seconds the loop took (open included).
 * The same binary runs on the system libpcap and, through LD_LIBRARY_PATH,
 * on ringcap.
 *
 *   offline_count FILE
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)h;
	(void)d;
	++*(unsigned long long *)user;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	unsigned long long n = 0;
	struct timespec a, b;
	pcap_t *p;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: offline_count FILE\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	p = pcap_open_offline(argv[1], errbuf);
	if (p == NULL) {
		fprintf(stderr, "%s\n", errbuf);
		return 1;
	}
	rc = pcap_loop(p, -1, count, (u_char *)&n);
	pcap_close(p);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (rc != 0) {
		fprintf(stderr, "pcap_loop returned %d\n", rc);
		return 1;
	}
	printf("%llu %.6f\n", n, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}

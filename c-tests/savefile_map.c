/* Where the packet data a savefile handle hands out lives: for each packet
 * of FILE read with pcap_next_ex (and then with pcap_loop), print "file"
 * when the pointer lies in a mapping of FILE itself (per /proc/self/maps: a
 * zero-copy read), "elsewhere" otherwise (a copy, as libpcap makes).
 *
 *   savefile_map FILE
 */
#include <pcap/pcap.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char path[PATH_MAX];

/* Whether p lies in a mapping of `path`. */
static int in_file_mapping(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	char line[PATH_MAX + 256];
	FILE *m = fopen("/proc/self/maps", "r");
	int found = 0;

	if (m == NULL)
		return -1;
	while (fgets(line, sizeof line, m)) {
		unsigned long lo, hi;
		int off = 0;
		char *name;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &off) < 2 || off == 0)
			continue;
		name = line + off;
		name[strcspn(name, "\n")] = 0;
		if (a >= lo && a < hi) {
			found = strcmp(name, path) == 0;
			break;
		}
	}
	fclose(m);
	return found;
}

static const char *where(const void *p)
{
	switch (in_file_mapping(p)) {
	case 1:
		return "file";
	case 0:
		return "elsewhere";
	default:
		return "unknown";
	}
}

static void cb(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)user;
	printf("loop %u bytes: %s\n", h->caplen, where(d));
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p;
	int rc;

	if (argc < 2 || realpath(argv[1], path) == NULL) {
		fprintf(stderr, "usage: savefile_map FILE\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (p == NULL) {
		fprintf(stderr, "%s\n", errbuf);
		return 1;
	}
	for (int i = 0; i < 3 && (rc = pcap_next_ex(p, &h, &d)) == 1; i++)
		printf("next_ex %u bytes: %s\n", h->caplen, where(d));
	rc = pcap_loop(p, 3, cb, NULL);
	printf("loop rc=%d\n", rc);
	pcap_close(p);
	return 0;
}

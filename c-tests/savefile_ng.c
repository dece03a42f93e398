/* Copy a savefile into pcapng with ringcap_dump_open_ng (ringcap only:
 * libpcap cannot write pcapng), through pcap_loop with pcap_dump as the
 * callback, exercising the dumper calls a pcapng dumper supports.
 *
 *   savefile_ng IN OUT PREC        (OUT "-": the standard output; the closing
 *                                  positions then go to the standard error)
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern pcap_dumper_t *ringcap_dump_open_ng(pcap_t *, const char *);

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_dumper_t *d;
	pcap_t *p;
	long long before, after;
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: savefile_ng IN OUT PREC\n");
		return 2;
	}
	p = pcap_open_offline_with_tstamp_precision(argv[1], (unsigned)atoi(argv[3]), errbuf);
	if (p == NULL) {
		fprintf(stderr, "%s\n", errbuf);
		return 1;
	}
	d = ringcap_dump_open_ng(p, argv[2]);
	if (d == NULL) {
		fprintf(stderr, "ringcap_dump_open_ng: %s\n", pcap_geterr(p));
		return 1;
	}
	if (pcap_dump_file(d) == NULL) {
		fprintf(stderr, "pcap_dump_file returned NULL\n");
		return 1;
	}
	before = (long long)pcap_dump_ftell64(d);
	rc = pcap_loop(p, -1, pcap_dump, (u_char *)d);
	if (rc != 0) {
		fprintf(stderr, "pcap_loop: %d %s\n", rc, pcap_geterr(p));
		return 1;
	}
	after = (long long)pcap_dump_ftell64(d);
	if (pcap_dump_flush(d) != 0 || pcap_dump_ftell(d) != after || after < before) {
		fprintf(stderr, "flush/ftell: %lld %lld %ld\n", before, after, pcap_dump_ftell(d));
		return 1;
	}
	fprintf(strcmp(argv[2], "-") == 0 ? stderr : stdout, "%lld %lld\n", before, after);
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

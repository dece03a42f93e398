/* ringcap_dump_open_ng on a live handle whose link type changes: capture
 * test frames (EtherType 0x88b5) on DEV into OUT, two as DLT_EN10MB, two
 * after pcap_set_datalink(DLT_DOCSIS), two after switching back. ringcap
 * only (libpcap cannot write pcapng). Prints READY once capturing; bounded
 * by an alarm.
 *
 *   savefile_ng_live DEV OUT
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern pcap_dumper_t *ringcap_dump_open_ng(pcap_t *, const char *);

int main(int argc, char **argv)
{
	static const int phases[3] = { DLT_EN10MB, DLT_DOCSIS, DLT_EN10MB };
	char errbuf[PCAP_ERRBUF_SIZE];
	struct bpf_program prog;
	pcap_dumper_t *d;
	pcap_t *p;

	if (argc < 3) {
		fprintf(stderr, "usage: savefile_ng_live DEV OUT\n");
		return 2;
	}
	alarm(20);
	p = pcap_create(argv[1], errbuf);
	if (p == NULL || pcap_set_timeout(p, 100) != 0 || pcap_activate(p) != 0) {
		fprintf(stderr, "open %s: %s\n", argv[1], p ? pcap_geterr(p) : errbuf);
		return 1;
	}
	if (pcap_compile(p, &prog, "ether proto 0x88b5", 1, PCAP_NETMASK_UNKNOWN) != 0 ||
	    pcap_setfilter(p, &prog) != 0) {
		fprintf(stderr, "filter: %s\n", pcap_geterr(p));
		return 1;
	}
	pcap_freecode(&prog);
	d = ringcap_dump_open_ng(p, argv[2]);
	if (d == NULL) {
		fprintf(stderr, "ringcap_dump_open_ng: %s\n", pcap_geterr(p));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	for (int i = 0; i < 3; i++) {
		int rc = pcap_set_datalink(p, phases[i]);
		printf("set_datalink %d rc=%d", phases[i], rc);
		printf(" loop rc=%d\n", pcap_loop(p, 2, pcap_dump, (u_char *)d));
	}
	pcap_close(p);
	/* The dumper outlives the handle. */
	printf("flush %d\n", pcap_dump_flush(d));
	pcap_dump_close(d);
	return 0;
}

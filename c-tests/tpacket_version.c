/* ringcap_set_tpacket_version through the C ABI (ringcap only: libpcap has
 * no such call): each version captures the frames the harness sends;
 * invalid numbers and calls after activation fail with the documented codes.
 *
 * usage: tpacket_version <dev> <version> <frames>
 */
#include <pcap/pcap.h>
#include <ringcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc != 4)
		return 2;
	int want = atoi(argv[3]);
	pcap_t *p = pcap_create(argv[1], eb);
	printf("set(0) = %d [%s]\n", ringcap_set_tpacket_version(p, 0), pcap_geterr(p));
	printf("set(4) = %d\n", ringcap_set_tpacket_version(p, 4));
	printf("set(%s) = %d\n", argv[2], ringcap_set_tpacket_version(p, atoi(argv[2])));
	pcap_set_timeout(p, 50);
	printf("activate = %d\n", pcap_activate(p));
	printf("set after activate = %d\n", ringcap_set_tpacket_version(p, 3));
	printf("set(NULL) = %d\n", ringcap_set_tpacket_version(NULL, 3));
	printf("READY\n");
	fflush(stdout);
	int got = 0;
	time_t end = time(NULL) + 5;
	while (got < want && time(NULL) < end) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int r = pcap_next_ex(p, &h, &d);
		if (r == 1 && h->caplen >= 14 && d[12] == 0x88 && d[13] == 0xb5)
			got++;
	}
	printf("captured %d\n", got);
	pcap_close(p);
	return 0;
}

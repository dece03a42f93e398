/* Without CAP_NET_RAW (the harness drops it from the bounding set): opening a
 * capture fails with libpcap's code and message; device listing still works.
 * Built against both libraries; outputs compared.
 *
 * usage: noperm <dev>
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc != 2)
		return 2;
	pcap_t *p = pcap_create(argv[1], eb);
	printf("create = %s\n", p ? "handle" : eb);
	int r = pcap_activate(p);
	printf("activate = %d [%s]\n", r, pcap_geterr(p));
	pcap_close(p);
	p = pcap_create("any", eb);
	r = pcap_activate(p);
	printf("activate(any) = %d [%s]\n", r, pcap_geterr(p));
	pcap_close(p);
	p = pcap_open_live(argv[1], 100, 1, 10, eb);
	printf("open_live = %s [%s]\n", p ? "handle" : "NULL", eb);
	pcap_if_t *all;
	r = pcap_findalldevs(&all, eb);
	int found = 0;
	for (pcap_if_t *i = all; r == 0 && i; i = i->next)
		found += strcmp(i->name, argv[1]) == 0;
	printf("findalldevs = %d, lists %s: %d\n", r, argv[1], found);
	pcap_freealldevs(all);
	return 0;
}

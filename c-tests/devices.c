/* Device discovery and library set-up as libpcap defines them: device list
 * (network interfaces only: the system libpcap also lists nflog, D-Bus and
 * similar sources ringcap does not capture from), flags, descriptions and
 * addresses; pcap_lookupnet / pcap_lookupdev; pcap_init; pcap_perror;
 * pcap_set_protocol_linux; pcap_get_required_select_timeout; pcap_version.
 * Built against both libraries; outputs compared.
 *
 * usage: devices <dev with IPv4> <dev without IPv4>
 */
#include <pcap/pcap.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char pcap_version[];

static void print_addr(const char *what, const struct sockaddr *sa)
{
	char buf[INET6_ADDRSTRLEN];
	if (!sa)
		return;
	printf("    %s family=%d", what, sa->sa_family);
	if (sa->sa_family == AF_INET)
		printf(" %s", inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf));
	else if (sa->sa_family == AF_INET6)
		printf(" %s", inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf));
	else if (sa->sa_family == AF_PACKET) {
		const struct sockaddr_ll *ll = (const void *)sa;
		printf(" hatype=%d halen=%d addr=", ll->sll_hatype, ll->sll_halen);
		for (int i = 0; i < ll->sll_halen; i++)
			printf("%02x", ll->sll_addr[i]);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc != 3)
		return 2;
	printf("pcap_version = %s\n", pcap_version);

	/* Before pcap_init, pcap_lookupdev works (deprecated). */
	char *d = pcap_lookupdev(eb);
	printf("lookupdev = %s\n", d ? d : eb);

	pcap_if_t *all = NULL;
	int r = pcap_findalldevs(&all, eb);
	printf("findalldevs = %d\n", r);
	for (pcap_if_t *i = all; i; i = i->next) {
		if (strcmp(i->name, "any") != 0 && if_nametoindex(i->name) == 0)
			continue;
		printf("dev %s flags=0x%x desc=%s\n", i->name, i->flags, i->description ? i->description : "(none)");
		for (pcap_addr_t *a = i->addresses; a; a = a->next) {
			print_addr("addr", a->addr);
			print_addr("netmask", a->netmask);
			print_addr("broadaddr", a->broadaddr);
			print_addr("dstaddr", a->dstaddr);
		}
	}
	pcap_freealldevs(all);
	pcap_freealldevs(NULL);

	bpf_u_int32 net = 1, mask = 1;
	for (int i = 1; i <= 2; i++) {
		r = pcap_lookupnet(argv[i], &net, &mask, eb);
		printf("lookupnet(%s) = %d", argv[i], r);
		if (r == 0)
			printf(" net=%08x mask=%08x\n", net, mask);
		else
			printf(" [%s]\n", eb);
	}
	r = pcap_lookupnet("nosuch0", &net, &mask, eb);
	printf("lookupnet(nosuch0) = %d [%s]\n", r, eb);
	r = pcap_lookupnet("any", &net, &mask, eb);
	printf("lookupnet(any) = %d net=%u mask=%u\n", r, net, mask);

	printf("init(5) = %d [%s]\n", pcap_init(5, eb), eb);
	printf("init(UTF_8) = %d\n", pcap_init(PCAP_CHAR_ENC_UTF_8, eb));
	printf("init(UTF_8) again = %d\n", pcap_init(PCAP_CHAR_ENC_UTF_8, eb));
	eb[0] = 0;
	printf("init(LOCAL) after UTF_8 = %d [%s]\n", pcap_init(PCAP_CHAR_ENC_LOCAL, eb), eb);
	d = pcap_lookupdev(eb);
	printf("lookupdev after init = %s [%s]\n", d ? d : "NULL", eb);

	/* pcap_perror goes to stderr, through stdio. */
	pcap_t *p = pcap_create("nosuch0", eb);
	pcap_activate(p);
	fflush(stdout);
	pcap_perror(p, "perror prefix");
	fflush(stderr);
	pcap_close(p);

	/* pcap_set_protocol_linux: only ARP reaches this capture. */
	p = pcap_create(argv[1], eb);
	pcap_set_timeout(p, 50);
	printf("set_protocol_linux = %d\n", pcap_set_protocol_linux(p, 0x0806));
	printf("activate = %d\n", pcap_activate(p));
	printf("set_protocol_linux after = %d\n", pcap_set_protocol_linux(p, 0x0800));
	printf("required_select_timeout = %s\n", pcap_get_required_select_timeout(p) ? "set" : "NULL");
	pcap_setnonblock(p, 1, eb);
	printf("READY\n");
	fflush(stdout);
	int arp = 0, other = 0;
	for (int i = 0; i < 300 && arp < 2; i++) {
		struct pcap_pkthdr *h;
		const u_char *pkt;
		if (pcap_next_ex(p, &h, &pkt) == 1) {
			if (h->caplen >= 14 && pkt[12] == 0x08 && pkt[13] == 0x06)
				arp++;
			else
				other++;
		} else {
			usleep(10000);
		}
	}
	printf("protocol filter: arp=%d other=%d\n", arp, other);
	pcap_close(p);
	return 0;
}

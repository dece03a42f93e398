/*
 * The name database of <pcap/namedb.h>, eproto_db and pcap_compile_nopcap,
 * for comparison with the system libpcap: the same source is built against
 * each library and every line it prints must match.
 *
 *   namedb lookups          every lookup function on found, unknown, empty
 *                           and numeric names (hosts, networks, services,
 *                           protocols, Ethernet types, LLC SAPs, ethers),
 *                           the eproto_db table, and pcap_compile_nopcap
 *   namedb etherent FILE    every entry pcap_next_etherent reads from FILE
 *
 * tests/namedb.rs runs it in a private network namespace (no lookup can
 * leave the machine) with its own /etc/hosts, networks, services and ethers.
 * Output ints start at -7, so what a function writes, even when it fails,
 * shows.
 */
#include <pcap/pcap.h>
#include <pcap/namedb.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not in either library's headers; both export it. */
struct eproto {
	const char *s;
	unsigned short p;
};
extern struct eproto eproto_db[];

#define UNSET (-7)

static const char *long_name(char c, size_t n)
{
	static char buf[2][2048];
	static int which;
	char *b = buf[which ^= 1];
	memset(b, c, n);
	b[n] = 0;
	return b;
}

static void nametoaddr(const char *name)
{
	bpf_u_int32 **a = pcap_nametoaddr(name);
	printf("nametoaddr %s:", name);
	if (a == NULL)
		printf(" NULL");
	else
		for (; *a; a++)
			printf(" %08x", **a);
	printf("\n");
}

static void nametoaddrinfo(const char *name)
{
	struct addrinfo *ai = pcap_nametoaddrinfo(name), *p;
	int n = 0;
	printf("nametoaddrinfo %s:", name);
	if (ai == NULL) {
		printf(" NULL\n");
		return;
	}
	for (p = ai; p; p = p->ai_next, n++) {
		char text[INET6_ADDRSTRLEN] = "?";
		if (p->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)p->ai_addr)->sin_addr, text, sizeof text);
		else if (p->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)p->ai_addr)->sin6_addr, text, sizeof text);
		printf(" [%d %d %d %s]", p->ai_family, p->ai_socktype, p->ai_protocol, text);
	}
	printf(" (%d)\n", n);
	freeaddrinfo(ai);
}

static void nametoport(const char *name)
{
	int port = UNSET, proto = UNSET;
	int r = pcap_nametoport(name, &port, &proto);
	printf("nametoport '%s': %d port %d proto %d\n", name, r, port, proto);
}

static void nametoportrange(const char *name)
{
	int p1 = UNSET, p2 = UNSET, proto = UNSET;
	int r = pcap_nametoportrange(name, &p1, &p2, &proto);
	printf("nametoportrange '%s': %d ports %d %d proto %d\n", name, r, p1, p2, proto);
}

static void mac(const char *what, const char *name, u_char *a)
{
	printf("%s '%.40s' (%zu bytes):", what, name, strlen(name));
	if (a == NULL)
		printf(" NULL\n");
	else {
		printf(" %02x:%02x:%02x:%02x:%02x:%02x\n", a[0], a[1], a[2], a[3], a[4], a[5]);
		free(a);
	}
}

static void compile_nopcap(int snaplen, int dlt, const char *expr, int optimize)
{
	struct bpf_program prog;
	u_int i;
	int r = pcap_compile_nopcap(snaplen, dlt, &prog, expr, optimize, 0xffffff00);
	printf("compile_nopcap %d %d '%s' %d: %d", snaplen, dlt, expr, optimize, r);
	if (r == 0) {
		printf(" len %u:", prog.bf_len);
		for (i = 0; i < prog.bf_len; i++) {
			const struct bpf_insn *in = &prog.bf_insns[i];
			printf(" %u,%u,%u,%u", in->code, in->jt, in->jf, in->k);
		}
		pcap_freecode(&prog);
	}
	printf("\n");
}

static void lookups(void)
{
	static const char *hosts[] = { "localhost", "rc-alpha", "rc-multi", "rc-six", "RC-ALPHA", "10.1.2.3",
				       "nosuch.invalid", "", NULL };
	static const char *nets[] = { "loopback", "rc-net", "rc-net3", "link-local", "10.1", "nosuchnet", "", NULL };
	/* Debian's services plus the test's own (tests/namedb.rs): rc-tcp,
	 * rc-udp, rc-both, rc-split (TCP 4444, UDP 5555). */
	static const char *ports[] = { "ssh", "http", "www", "ntp", "tftp", "domain", "ftp-data", "rc-tcp", "rc-udp",
				       "rc-both", "rc-split", "RC-TCP", "80", "0", "-1", "65535", "65536", "99999",
				       "0x50", " 80", "80 ", "nosuch", "", NULL };
	static const char *ranges[] = { "20-21", "21-20", "0-65535", "20 - 21", "20- 21", "20 -21", " 20-21",
					"20-21 ", "-5-7", "1--2", "--1-2", "99999999999-1", "4294967296-1",
					"2147483648-5", "1-99999999999999999999", "http-https", "ssh-ntp", "ntp-ssh",
					"domain-ntp", "http-nosuch", "nosuch-http", "ftp-data-ftp", "ftp-ftp-data",
					"rc-tcp-rc-udp", "http-", "-http", "-", "a-b-c", "80", "http", "", NULL };
	static const char *protos[] = { "ip", "icmp", "tcp", "udp", "ipv6-icmp", "IPv6-ICMP", "sctp", "6",
					"nosuch", "", NULL };
	static const char *eprotos[] = { "aarp", "arp", "atalk", "decnet", "ip", "ip6", "lat", "loopback", "mopdl",
					 "moprc", "rarp", "sca", "IP", "ipv6", "0x800", "", NULL };
	static const char *llcs[] = { "iso", "stp", "ipx", "netbeui", "ISO", "ip", "", NULL };
	static const char *macs[] = { "00:11:22:33:44:55", "00.11.22.33.44.55", "00-11-22-33-44-55",
				      "0011.2233.4455", "001122334455", "0:1:2:3:4:5", "a:b:c:d:e:f",
				      "AA:bb:Cc:dD:ee:FF", "00-11.22:33-44.55", NULL };
	const char **s;
	struct eproto *e;

	for (s = hosts; *s; s++)
		nametoaddr(*s);
	for (s = hosts; *s; s++)
		nametoaddrinfo(*s);
	for (s = nets; *s; s++)
		printf("nametonetaddr '%s': %08x\n", *s, pcap_nametonetaddr(*s));
	for (s = ports; *s; s++)
		nametoport(*s);
	for (s = ranges; *s; s++)
		nametoportrange(*s);
	for (s = protos; *s; s++)
		printf("nametoproto '%s': %d\n", *s, pcap_nametoproto(*s));
	for (s = eprotos; *s; s++)
		printf("nametoeproto '%s': %d\n", *s, pcap_nametoeproto(*s));
	for (e = eproto_db; e->s; e++)
		printf("eproto_db %s %04x\n", e->s, e->p);
	printf("eproto_db end %u\n", e->p);
	for (s = llcs; *s; s++)
		printf("nametollc '%s': %d\n", *s, pcap_nametollc(*s));
	for (s = macs; *s; s++)
		mac("ether_aton", *s, pcap_ether_aton(*s));

	/* The test's /etc/ethers: rc-eth1, rc-eth2 (upper-case hex), a name of
	 * 130 bytes, and lines pcap_next_etherent would skip. */
	mac("ether_hostton", "rc-eth1", pcap_ether_hostton("rc-eth1"));
	mac("ether_hostton", "rc-eth2", pcap_ether_hostton("rc-eth2"));
	mac("ether_hostton", "RC-ETH1", pcap_ether_hostton("RC-ETH1"));
	mac("ether_hostton", "nosuch", pcap_ether_hostton("nosuch"));
	mac("ether_hostton", "", pcap_ether_hostton(""));
	mac("ether_hostton", "00:11:22:33:44:55", pcap_ether_hostton("00:11:22:33:44:55"));
	mac("ether_hostton", long_name('n', 130), pcap_ether_hostton(long_name('n', 130)));
	mac("ether_hostton", long_name('n', 121), pcap_ether_hostton(long_name('n', 121)));
	mac("ether_hostton", long_name('m', 1030), pcap_ether_hostton(long_name('m', 1030)));

	compile_nopcap(65535, DLT_EN10MB, "tcp port 80", 1);
	compile_nopcap(65535, DLT_EN10MB, "tcp port 80", 0);
	compile_nopcap(96, DLT_RAW, "udp", 1);
	compile_nopcap(65535, DLT_LINUX_SLL2, "", 1);
	compile_nopcap(65535, DLT_EN10MB, "tcp port", 1);
	compile_nopcap(65535, DLT_EN10MB, "host nosuch.invalid", 1);
	compile_nopcap(65535, DLT_EN10MB, "ether host rc-eth1", 1);
	compile_nopcap(65535, 99999, "tcp", 1);
	compile_nopcap(65535, -1, "", 1);
	compile_nopcap(0, DLT_EN10MB, "tcp", 1);
	compile_nopcap(0, DLT_EN10MB, "", 0);
}

static void etherent(const char *path)
{
	FILE *f = fopen(path, "r");
	struct pcap_etherent *e;
	int n = 0;
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while ((e = pcap_next_etherent(f)) != NULL) {
		const u_char *a = e->addr;
		printf("etherent %02x:%02x:%02x:%02x:%02x:%02x %zu '%s'\n", a[0], a[1], a[2], a[3], a[4], a[5],
		       strlen(e->name), e->name);
		n++;
	}
	printf("etherent end after %d, at offset %ld\n", n, ftell(f));
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "lookups") == 0)
		lookups();
	else if (argc == 3 && strcmp(argv[1], "etherent") == 0)
		etherent(argv[2]);
	else {
		fprintf(stderr, "usage: namedb lookups | namedb etherent FILE\n");
		return 2;
	}
	return 0;
}

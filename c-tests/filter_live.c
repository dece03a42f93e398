/*
 * Compile filter expressions on a LIVE handle (where libpcap uses the Linux
 * VLAN metadata for "vlan"): argv[1] is the interface; expressions come on
 * stdin, one per line. For each, prints the unoptimized then the optimized
 * result as "OK <n> <code jt jf k,...>" or "ERR <message>".
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static void one(pcap_t *p, const char *expr, int opt)
{
	struct bpf_program prog;
	u_int i;
	if (pcap_compile(p, &prog, expr, opt, 0) != 0) {
		printf("ERR\t%s\n", pcap_geterr(p));
		return;
	}
	printf("OK\t%u\t", prog.bf_len);
	for (i = 0; i < prog.bf_len; i++)
		printf("%s%u %u %u %u", i ? "," : "", prog.bf_insns[i].code, prog.bf_insns[i].jt,
		    prog.bf_insns[i].jf, prog.bf_insns[i].k);
	printf("\n");
	pcap_freecode(&prog);
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE], line[4096];
	pcap_t *p;
	if (argc < 2)
		return 2;
	p = pcap_open_live(argv[1], 262144, 0, 100, errbuf);
	if (p == NULL) {
		fprintf(stderr, "pcap_open_live: %s\n", errbuf);
		return 1;
	}
	printf("DLT\t%d\t%d\n", pcap_datalink(p), pcap_snapshot(p));
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		one(p, line, 0);
		one(p, line, 1);
	}
	pcap_close(p);
	return 0;
}

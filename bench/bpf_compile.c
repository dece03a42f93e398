/*
 * Print the program the SYSTEM libpcap compiles for an expression on a dead
 * Ethernet handle (snaplen 262144, optimised), in `tcpdump -ddd` form, so the
 * BPF benchmark runs identical instructions on libpcap and on ringcap.
 * Always built and run against the system libpcap.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s EXPRESSION\n", argv[0]);
		return 2;
	}
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
	struct bpf_program prog;
	if (p == NULL || pcap_compile(p, &prog, argv[1], 1, PCAP_NETMASK_UNKNOWN) != 0) {
		fprintf(stderr, "compile: %s\n", p ? pcap_geterr(p) : "pcap_open_dead failed");
		return 1;
	}
	bpf_dump(&prog, 3);
	pcap_freecode(&prog);
	pcap_close(p);
	return 0;
}

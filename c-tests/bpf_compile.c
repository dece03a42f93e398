/*
 * Compile filter expressions with the SYSTEM libpcap (pcap_open_dead
 * DLT_EN10MB, snaplen 262144, optimised) and print each program in
 * `tcpdump -ddd` form, one after another, for c-tests/bpf_diff.c to run on
 * both libraries. Expressions come one per line on stdin; a line that does
 * not compile is an error.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
	if (p == NULL)
		return 1;
	char line[1024];
	while (fgets(line, sizeof line, stdin) != NULL) {
		line[strcspn(line, "\n")] = 0;
		struct bpf_program prog;
		if (pcap_compile(p, &prog, line, 1, PCAP_NETMASK_UNKNOWN) != 0) {
			fprintf(stderr, "%s: %s\n", line, pcap_geterr(p));
			return 1;
		}
		bpf_dump(&prog, 3);
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return 0;
}

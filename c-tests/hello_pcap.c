/* A program written for libpcap, untouched: built with `pkg-config --cflags
 * --libs ringcap` against an installed ringcap. */
#include <pcap.h>
#include <stdio.h>

int main(void)
{
	struct bpf_program prog;
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	if (pcap_compile(p, &prog, "tcp port 80", 1, PCAP_NETMASK_UNKNOWN) != 0) {
		fprintf(stderr, "compile: %s\n", pcap_geterr(p));
		return 1;
	}
	printf("%s\n%u instructions\n", pcap_lib_version(), prog.bf_len);
	pcap_freecode(&prog);
	pcap_close(p);
	return 0;
}

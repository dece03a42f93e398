/* Misuse through the C ABI, which libpcap answers with crashes or undefined
 * behaviour and ringcap answers with its documented failure values (ringcap
 * only): NULL handles and buffers, closed handles, double frees, bogus
 * programs, wrong states. Every line prints what came back; the harness
 * checks the whole output. */
#include <pcap/pcap.h>
#include <pcap/namedb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void cb(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u; (void)h; (void)d;
}

int main(void)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr hdr, *h = &hdr;
	const u_char *d;
	struct pcap_stat st;
	struct bpf_program prog;
	int *list;

	/* NULL handles. */
	printf("activate(NULL) = %d\n", pcap_activate(NULL));
	printf("set_snaplen(NULL) = %d\n", pcap_set_snaplen(NULL, 1));
	printf("dispatch(NULL) = %d\n", pcap_dispatch(NULL, 1, cb, NULL));
	printf("loop(NULL) = %d\n", pcap_loop(NULL, 1, cb, NULL));
	printf("next_ex(NULL) = %d\n", pcap_next_ex(NULL, &h, &d));
	printf("next(NULL) = %p\n", (void *)pcap_next(NULL, h));
	printf("stats(NULL) = %d\n", pcap_stats(NULL, &st));
	printf("datalink(NULL) = %d\n", pcap_datalink(NULL));
	printf("geterr(NULL) = %p\n", (void *)pcap_geterr(NULL));
	printf("setfilter(NULL) = %d\n", pcap_setfilter(NULL, &prog));
	printf("compile(NULL) = %d\n", pcap_compile(NULL, &prog, "tcp", 1, 0));
	printf("fileno(NULL) = %d\n", pcap_fileno(NULL));
	printf("list_datalinks(NULL) = %d\n", pcap_list_datalinks(NULL, &list));
	printf("getnonblock(NULL) = %d\n", pcap_getnonblock(NULL, eb));
	pcap_breakloop(NULL);
	pcap_close(NULL);
	pcap_perror(NULL, "x");
	pcap_freecode(NULL);
	pcap_freealldevs(NULL);
	printf("findalldevs(NULL list) = %d [%s]\n", pcap_findalldevs(NULL, eb), eb);

	/* NULL arguments on a good handle. */
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	printf("stats(p, NULL) = %d [%s]\n", pcap_stats(p, NULL), pcap_geterr(p));
	printf("next_ex(p, NULL, NULL) = %d [%s]\n", pcap_next_ex(p, NULL, NULL), pcap_geterr(p));
	printf("dispatch(p, NULL callback) = %d [%s]\n", pcap_dispatch(p, 1, NULL, NULL), pcap_geterr(p));
	printf("setfilter(p, NULL) = %d [%s]\n", pcap_setfilter(p, NULL), pcap_geterr(p));
	printf("compile(p, NULL) = %d [%s]\n", pcap_compile(p, NULL, "tcp", 1, 0), pcap_geterr(p));
	printf("list_datalinks(p, NULL) = %d [%s]\n", pcap_list_datalinks(p, NULL), pcap_geterr(p));

	/* Programs: double free, bogus lengths. */
	if (pcap_compile(p, &prog, "udp", 1, PCAP_NETMASK_UNKNOWN) != 0)
		return 1;
	pcap_freecode(&prog);
	pcap_freecode(&prog);
	printf("after two freecodes: bf_len=%u bf_insns=%p\n", prog.bf_len, (void *)prog.bf_insns);
	struct bpf_program bogus = { 1000000000u, NULL };
	pcap_t *q = pcap_create("lo", eb);
	pcap_activate(q);
	printf("setfilter(bogus) = %d [%s]\n", pcap_setfilter(q, &bogus), pcap_geterr(q));
	struct bpf_insn bad[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0) };
	struct bpf_program noret = { 1, bad };
	printf("setfilter(no ret) = %d [%s]\n", pcap_setfilter(q, &noret), pcap_geterr(q));
	pcap_close(q);

	/* Wrong states. */
	q = pcap_create("lo", eb);
	printf("datalink(inactive) = %d\n", pcap_datalink(q));
	printf("compile(inactive) = %d [%s]\n", pcap_compile(q, &prog, "tcp", 1, 0), pcap_geterr(q));
	pcap_activate(q);
	printf("set_promisc(active) = %d\n", pcap_set_promisc(q, 1));
	pcap_close(q);

	/* Closing a handle twice: the second close is recognised and ignored
	 * (ringcap keeps a registry of live handles, so it never touches the
	 * freed memory). Using a closed handle otherwise is the caller's
	 * use-after-free; ringcap's handle mark catches it only while the memory
	 * has not been reused, so it is not exercised here. */
	pcap_close(p);
	pcap_close(p);
	printf("survived\n");
	return 0;
}

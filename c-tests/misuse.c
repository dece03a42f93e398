/* Misuse through the C ABI, which libpcap answers with crashes or undefined
 * behaviour and ringcap answers with its documented failure values (ringcap
 * only): NULL handles and buffers, closed handles, double frees, bogus
 * programs, wrong states, and every ringcap_* extension on handles that
 * are NULL, not activated, dead (pcap_open_dead) or savefiles. Every line
 * prints what came back; the harness checks the whole output. */
#include <pcap/pcap.h>
#include <pcap/namedb.h>
#include <ringcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void cb(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u; (void)h; (void)d;
}

static const char *err(pcap_t *h, int failed)
{
	return h && failed ? pcap_geterr(h) : "";
}

/* Empty the handle's error buffer, so a failure that leaves it alone shows
 * as [] rather than as an older message. */
static void clear_err(pcap_t *h)
{
	if (h)
		pcap_geterr(h)[0] = '\0';
}

#define EXT(kind, h, call) \
	do { \
		clear_err(h); \
		int r_ = (call); \
		printf("%s on %s = %d [%s]\n", #call, kind, r_, err(h, r_ < 0)); \
	} while (0)

/* Every extension on one handle (`kind` names it). Calls that configure an
 * inactive handle succeed there: that is their documented use. */
static void extensions(const char *kind, pcap_t *h, const char *ng_path)
{
	struct ringcap_packet out[4];
	struct ringcap_ring_geometry g = { 1 << 16, 4, 2048, 0, 0 };
	struct ringcap_ring_info info;
	struct ringcap_stats st;
	static const unsigned char bytes[60];
	struct ringcap_frame fr = { bytes, sizeof bytes };
	struct ringcap_tx_timestamp ts[2];
	unsigned fsz, fcnt;
	EXT(kind, h, ringcap_next_batch(h, out, 4, 0));
	EXT(kind, h, ringcap_release(h));
	clear_err(h);
	const struct ringcap_packet *m = ringcap_packet_meta(h);
	printf("ringcap_packet_meta(h) on %s = %s [%s]\n", kind, m ? "descriptor" : "NULL", err(h, !m));
	clear_err(h);
	pcap_dumper_t *dd = ringcap_dump_open_ng(h, ng_path);
	printf("ringcap_dump_open_ng(h, path) on %s = %s [%s]\n", kind, dd ? "dumper" : "NULL", err(h, !dd));
	if (dd)
		pcap_dump_close(dd);
	EXT(kind, h, ringcap_get_ring_info(h, &info));
	EXT(kind, h, ringcap_stats_ex(h, &st));
	EXT(kind, h, ringcap_inject_batch(h, &fr, 1));
	EXT(kind, h, ringcap_get_tx_ring(h, &fsz, &fcnt));
	EXT(kind, h, ringcap_get_tx_timestamps(h, ts, 2));
	EXT(kind, h, ringcap_set_tpacket_version(h, 3));
	EXT(kind, h, ringcap_set_ring_geometry(h, &g));
	EXT(kind, h, ringcap_set_qdisc_bypass(h, 1));
	EXT(kind, h, ringcap_set_tx_ring(h, 2048, 64));
	EXT(kind, h, ringcap_set_tx_data_offset(h, 64));
	EXT(kind, h, ringcap_set_tx_loss(h, 1));
	EXT(kind, h, ringcap_set_tx_linear(h, 1));
	EXT(kind, h, ringcap_set_tx_timestamps(h, RINGCAP_TX_TSTAMP_SOFTWARE));
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

	/* The extensions on every kind of handle that is not a live capture. */
	char scratch[] = "/tmp/ringcap-misuse-XXXXXX";
	int fd = mkstemp(scratch);
	if (fd < 0)
		return 1;
	close(fd);
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dd = pcap_dump_open(dead, scratch);
	pcap_dump_close(dd);
	pcap_t *file = pcap_open_offline(scratch, eb);
	if (!file)
		return 1;
	char ng[sizeof scratch + 3];
	snprintf(ng, sizeof ng, "%s.ng", scratch);
	extensions("NULL", NULL, "/dev/null");
	q = pcap_create("lo", eb);
	extensions("inactive", q, "/dev/null");
	pcap_close(q);
	extensions("dead", dead, ng);
	extensions("offline", file, ng);
	pcap_close(dead);
	pcap_close(file);
	unlink(scratch);
	unlink(ng);

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

/* ringcap's fanout extensions through <ringcap.h>: ringcap_set_fanout,
 * ringcap_set_fanout_cbpf, ringcap_set_fanout_ebpf and
 * ringcap_fanout_group_id on every kind of handle, before and after
 * activation, with the errors the kernel's refusals become; and groups of
 * three handles that share frames this program sends (CBPF: the member
 * the program picks; EBPF: a program loaded here with bpf(2); UNIQUEID:
 * an id the kernel assigns, joined by a second handle; a join from inside
 * a pcap_dispatch callback). Prints what each call returns; the harness
 * checks the output.
 *
 * usage: fanout_api <capture dev> <other dev>
 * Frames: EtherType 0x88b5 test frames (c-tests/test_frame.h) sent from
 * <other dev> (the veth peer) to <capture dev>.
 */
#include <ringcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "live_handle.h"
#include "test_frame.h"

#define SHOWERR(p, expr) do { int r_ = (expr); printf("%s = %d [%s]\n", #expr, r_, pcap_geterr(p)); } while (0)

static pcap_t *open_live(const char *dev)
{
	pcap_t *p = create(dev);
	activate(p);
	return p;
}

/* Send test frames first..first+n-1 from `tx`. */
static void send_frames(pcap_t *tx, unsigned first, unsigned n)
{
	u_char f[64];
	for (unsigned s = first; s < first + n; s++) {
		frame(f, s, 60);
		if (pcap_inject(tx, f, 60) != 60) {
			printf("pcap_inject: %s\n", pcap_geterr(tx));
			exit(1);
		}
	}
}

struct tally {
	unsigned count;
	unsigned misplaced; /* frames the member should not have had */
	int member;         /* this member's index */
	int want;           /* -1: any frame; else seq's low byte % 3 must equal member */
};

static void count_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	struct tally *t = (struct tally *)user;
	if (h->caplen < 18 || d[12] != 0x88 || d[13] != 0xb5)
		return;
	t->count++;
	if (t->want >= 0 && d[17] % 3 != t->member)
		t->misplaced++;
}

/* Read `m` members until `total` frames arrived (or 3 s), then 100 ms more;
 * print their counts. */
static void collect(const char *what, pcap_t **m, int n, unsigned total, int by_program)
{
	struct tally t[3];
	memset(t, 0, sizeof t);
	for (int i = 0; i < n; i++) {
		t[i].member = i;
		t[i].want = by_program ? 0 : -1;
	}
	double end = now() + 3, linger = 0;
	for (;;) {
		unsigned sum = 0;
		for (int i = 0; i < n; i++) {
			pcap_dispatch(m[i], -1, count_cb, (u_char *)&t[i]);
			sum += t[i].count;
		}
		if (sum >= total && linger == 0)
			linger = now() + 0.1;
		if ((linger != 0 && now() >= linger) || now() >= end)
			break;
	}
	printf("%s counts", what);
	unsigned bad = 0;
	for (int i = 0; i < n; i++) {
		printf(" %u", t[i].count);
		bad += t[i].misplaced;
	}
	printf(" misplaced %u\n", bad);
}

/* bpf(BPF_PROG_LOAD) of the socket filter `r0 = ret; exit`. The attribute
 * union is filled by offset: <linux/bpf.h> cannot be included beside
 * <pcap/bpf.h> (both define struct bpf_insn). */
static int load_ebpf_returning(int ret)
{
	uint8_t insns[16] = { 0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95 };
	memcpy(insns + 4, &ret, 4);
	static const char license[] = "GPL";
	uint8_t attr[128];
	memset(attr, 0, sizeof attr);
	uint32_t type = 1 /* BPF_PROG_TYPE_SOCKET_FILTER */, cnt = 2;
	uint64_t pi = (uintptr_t)insns, pl = (uintptr_t)license;
	memcpy(attr, &type, 4);
	memcpy(attr + 4, &cnt, 4);
	memcpy(attr + 8, &pi, 8);
	memcpy(attr + 16, &pl, 8);
	return (int)syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, attr, sizeof attr);
}

static pcap_t *cb_handle;
static int cb_joined = -100;
static void join_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)user;
	(void)h;
	(void)d;
	if (cb_joined == -100)
		cb_joined = ringcap_set_fanout(cb_handle, RINGCAP_FANOUT_LB, 40, 0);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fanout_api <capture dev> <other dev>\n");
		return 2;
	}
	const char *dev = argv[1], *other = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct bpf_insn pick[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 3), BPF_STMT(BPF_RET | BPF_A, 0) };
	struct bpf_program prog = { 2, pick };
	struct bpf_insn noret[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 3) };
	struct bpf_program bad = { 1, noret };
	struct bpf_program empty = { 0, NULL };

	printf("NULL handle: %d %d %d %d\n", ringcap_set_fanout(NULL, RINGCAP_FANOUT_HASH, 1, 0),
	    ringcap_set_fanout_cbpf(NULL, &prog), ringcap_set_fanout_ebpf(NULL, 0), ringcap_fanout_group_id(NULL));
	printf("kernel values: %d %d %d %d %d %d %d %d %#x %#x %#x %#x\n", RINGCAP_FANOUT_HASH, RINGCAP_FANOUT_LB,
	    RINGCAP_FANOUT_CPU, RINGCAP_FANOUT_ROLLOVER, RINGCAP_FANOUT_RND, RINGCAP_FANOUT_QM, RINGCAP_FANOUT_CBPF,
	    RINGCAP_FANOUT_EBPF, RINGCAP_FANOUT_FLAG_ROLLOVER, RINGCAP_FANOUT_FLAG_UNIQUEID,
	    RINGCAP_FANOUT_FLAG_IGNORE_OUTGOING, RINGCAP_FANOUT_FLAG_DEFRAG);

	/* Before activation: checks, then a CBPF request with its program. */
	pcap_t *m[3];
	pcap_t *in = m[0] = create(dev);
	SHOWERR(in, ringcap_fanout_group_id(in));
	SHOWERR(in, ringcap_set_fanout(in, 9, 1, 0));
	SHOWERR(in, ringcap_set_fanout(in, RINGCAP_FANOUT_HASH, 1, 0x0100));
	SHOWERR(in, ringcap_set_fanout(in, RINGCAP_FANOUT_HASH, 5, RINGCAP_FANOUT_FLAG_UNIQUEID));
	SHOWERR(in, ringcap_set_fanout(in, RINGCAP_FANOUT_ROLLOVER, 5, RINGCAP_FANOUT_FLAG_ROLLOVER));
	SHOWERR(in, ringcap_set_fanout_cbpf(in, &prog));
	SHOWERR(in, ringcap_set_fanout(in, RINGCAP_FANOUT_HASH, 20, 0));
	SHOWERR(in, ringcap_set_fanout_cbpf(in, &prog));
	SHOWERR(in, ringcap_set_fanout(in, RINGCAP_FANOUT_CBPF, 20, 0));
	SHOWERR(in, ringcap_set_fanout_cbpf(in, NULL));
	SHOWERR(in, ringcap_set_fanout_cbpf(in, &empty));
	SHOWERR(in, ringcap_set_fanout_cbpf(in, &bad));
	SHOWERR(in, ringcap_set_fanout_cbpf(in, &prog));
	activate(in);
	SHOWERR(in, ringcap_fanout_group_id(in));
	/* After activation: two more members join at once. */
	for (int i = 1; i < 3; i++) {
		m[i] = open_live(dev);
		SHOWERR(m[i], ringcap_set_fanout(m[i], RINGCAP_FANOUT_CBPF, 20, 0));
	}
	pcap_t *tx = open_live(other);
	send_frames(tx, 0, 300);
	collect("cbpf", m, 3, 300, 1);
	SHOWERR(m[2], ringcap_set_fanout_cbpf(m[2], &bad));
	SHOWERR(m[2], ringcap_set_fanout_cbpf(m[2], &prog));

	/* Refusals after activation. */
	SHOWERR(in, ringcap_set_fanout(in, RINGCAP_FANOUT_HASH, 21, 0));
	pcap_t *q = open_live(dev);
	SHOWERR(q, ringcap_set_fanout(q, RINGCAP_FANOUT_LB, 20, 0));
	SHOWERR(q, ringcap_set_fanout(q, RINGCAP_FANOUT_CBPF, 20, RINGCAP_FANOUT_FLAG_DEFRAG));
	SHOWERR(q, ringcap_fanout_group_id(q));
	SHOWERR(q, ringcap_set_fanout_cbpf(q, &prog));
	SHOWERR(q, ringcap_set_fanout(q, RINGCAP_FANOUT_HASH, 22, 0));
	SHOWERR(q, ringcap_set_fanout_cbpf(q, &prog));
	SHOWERR(q, ringcap_set_fanout_ebpf(q, -1));
	SHOWERR(q, ringcap_set_fanout_ebpf(q, 999));
	pcap_t *o = open_live(other);
	SHOWERR(o, ringcap_set_fanout(o, RINGCAP_FANOUT_CBPF, 20, 0));
	pcap_close(o);
	pcap_close(q);
	for (int i = 0; i < 3; i++)
		pcap_close(m[i]);

	/* UNIQUEID: the kernel's id, read back and joined. */
	pcap_t *u1 = open_live(dev), *u2 = open_live(dev);
	SHOWERR(u1, ringcap_set_fanout(u1, RINGCAP_FANOUT_LB, 0, RINGCAP_FANOUT_FLAG_UNIQUEID));
	int id = ringcap_fanout_group_id(u1);
	printf("assigned id in range: %s\n", id >= 0 && id <= 65535 ? "yes" : "no");
	SHOWERR(u2, ringcap_set_fanout(u2, RINGCAP_FANOUT_LB, (uint16_t)id, 0));
	printf("second member's id matches: %s\n", ringcap_fanout_group_id(u2) == id ? "yes" : "no");
	pcap_t *u[2] = { u1, u2 };
	send_frames(tx, 1000, 100);
	collect("uniqueid lb", u, 2, 100, 0);
	pcap_close(u1);
	pcap_close(u2);

	/* EBPF: the program fd is duplicated before activation, so the caller
	 * may close its own at once; every frame goes to member 1. */
	int fd = load_ebpf_returning(1);
	if (fd < 0) {
		perror("bpf(BPF_PROG_LOAD)");
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		m[i] = create(dev);
		SHOWERR(m[i], ringcap_set_fanout(m[i], RINGCAP_FANOUT_EBPF, 30, 0));
	}
	SHOWERR(m[0], ringcap_set_fanout_ebpf(m[0], fd));
	close(fd);
	for (int i = 0; i < 3; i++)
		activate(m[i]);
	send_frames(tx, 2000, 150);
	collect("ebpf", m, 3, 150, 0);
	for (int i = 0; i < 3; i++)
		pcap_close(m[i]);

	/* A join from inside a read callback on the same handle. */
	cb_handle = open_live(dev);
	send_frames(tx, 3000, 1);
	for (int i = 0; i < 100 && cb_joined == -100; i++)
		pcap_dispatch(cb_handle, 1, join_cb, NULL);
	printf("join from a callback = %d, group %d\n", cb_joined, ringcap_fanout_group_id(cb_handle));
	pcap_close(cb_handle);

	/* Handles without a socket. */
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	SHOWERR(dead, ringcap_set_fanout(dead, RINGCAP_FANOUT_HASH, 1, 0));
	SHOWERR(dead, ringcap_fanout_group_id(dead));
	SHOWERR(dead, ringcap_set_fanout_cbpf(dead, &prog));
	pcap_close(dead);
	pcap_close(tx);
	printf("done\n");
	return 0;
}

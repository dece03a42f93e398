/*
 * Classic BPF through the C ABI, for comparison with the system libpcap: the
 * same source is built against each library and every line it prints must
 * match. Programs and packets are generated from a fixed seed.
 *
 *   bpf_diff validate COUNT SEED     bpf_validate on random and mutated programs
 *   bpf_diff filter FILE COUNT SEED  bpf_filter and pcap_offline_filter: the
 *                                    compiled programs in FILE (-ddd form) and
 *                                    COUNT random valid programs, over crafted
 *                                    and random packets; programs are also
 *                                    changed in place and freed and reallocated
 *                                    between calls
 *   bpf_diff image                   bpf_image for all 65536 codes
 *   bpf_diff dump FILE SEED          bpf_dump with options -1..4
 *   bpf_diff edge                    NULL and boundary arguments libpcap handles
 *   bpf_diff null                    NULL arguments libpcap crashes on (ringcap
 *                                    only: it must not)
 *
 * Only instructions libpcap's interpreter can run are given to bpf_filter in
 * "filter" mode (it aborts on others, loops forever on some backward jumps and
 * reads uninitialised scratch memory): scratch memory is written before the
 * program body, jumps go forward.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKF_AD_OFF (-0x1000)

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static void seed(const char *s)
{
	rng_state = strtoull(s, NULL, 0) * 0x9E3779B97F4A7C15ULL + 1;
}

static struct bpf_insn insn(unsigned code, unsigned jt, unsigned jf, uint32_t k)
{
	struct bpf_insn i = { (u_short)code, (u_char)jt, (u_char)jf, k };
	return i;
}

/* ---- programs ---------------------------------------------------------- */

/* A packet offset: mostly inside a typical header, sometimes anywhere, or a
 * Linux ancillary offset. */
static uint32_t offset(void)
{
	switch (below(10)) {
	case 0:
		return rnd();
	case 1:
		return (uint32_t)SKF_AD_OFF + below(68);
	case 2:
		return 0xffffffffu - below(8);
	default:
		return below(72);
	}
}

/* One instruction libpcap's interpreter can run, at index i of n, jumping
 * only forward and inside the program. */
static struct bpf_insn runnable(int i, int n)
{
	static const unsigned alu[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND,
					BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH };
	static const unsigned jmp[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };
	static const unsigned size[] = { BPF_W, BPF_H, BPF_B };
	unsigned room = (unsigned)(n - 2 - i); /* largest forward offset */
	switch (below(16)) {
	case 0:
	case 1:
		return insn(BPF_LD | size[below(3)] | BPF_ABS, 0, 0, offset());
	case 2:
		return insn(BPF_LD | size[below(3)] | BPF_IND, 0, 0, below(4) ? below(40) : offset());
	case 3:
		return insn(BPF_LDX | BPF_MSH | BPF_B, 0, 0, below(4) ? 14 : offset());
	case 4:
		return insn((below(2) ? BPF_LD : BPF_LDX) | BPF_IMM, 0, 0, below(2) ? below(64) : rnd());
	case 5:
		return insn((below(2) ? BPF_LD : BPF_LDX) | BPF_W | BPF_LEN, 0, 0, rnd());
	case 6:
		return insn((below(2) ? BPF_LD : BPF_LDX) | BPF_MEM, 0, 0, below(16));
	case 7:
		return insn(below(2) ? BPF_ST : BPF_STX, 0, 0, below(16));
	case 8:
	case 9: {
		unsigned op = alu[below(10)];
		uint32_t k = below(2) ? below(40) : rnd();
		if ((op == BPF_DIV || op == BPF_MOD) && k == 0)
			k = 3;
		return insn(BPF_ALU | op | (below(2) ? BPF_K : BPF_X), 0, 0, k);
	}
	case 10:
		return insn(below(3) ? (BPF_ALU | BPF_NEG) : (BPF_MISC | (below(2) ? BPF_TAX : BPF_TXA)), 0, 0, rnd());
	case 11:
		return insn(BPF_JMP | BPF_JA, 0, 0, below(room + 1));
	case 15:
		return insn(BPF_RET | (below(2) ? BPF_K : BPF_A), 0, 0, below(2) ? rnd() : below(3));
	default:
		return insn(BPF_JMP | jmp[below(4)] | (below(3) ? BPF_K : BPF_X), below(room + 1) % 256,
			    below(room + 1) % 256, below(3) ? below(256) : rnd());
	}
}

/* A random program libpcap can run: scratch memory written first, a body,
 * and a final return. */
static int runnable_program(struct bpf_insn *p, int max)
{
	int n = 18 + (int)below((unsigned)max - 18);
	p[0] = insn(BPF_LD | BPF_IMM, 0, 0, below(2) ? 0 : rnd());
	for (int m = 0; m < 16; m++)
		p[1 + m] = insn(BPF_ST, 0, 0, (uint32_t)m);
	for (int i = 17; i < n - 1; i++)
		p[i] = runnable(i, n);
	p[n - 1] = insn(BPF_RET | (below(3) ? BPF_K : BPF_A), 0, 0, below(2) ? 0xffff : rnd());
	return n;
}

/* Anything at all, biased towards codes that exist. */
static struct bpf_insn anything(int n)
{
	unsigned code = below(8) == 0 ? (rnd() & 0xffff) : (rnd() & 0xff);
	uint32_t k;
	switch (below(5)) {
	case 0:
		k = 0;
		break;
	case 1:
		k = below(20);
		break;
	case 2:
		k = 0xffffffffu - below((unsigned)n + 3); /* wrapping, backward jumps */
		break;
	default:
		k = rnd();
	}
	unsigned jt = below(2) ? below((unsigned)n + 1) : (rnd() & 0xff);
	unsigned jf = below(2) ? below((unsigned)n + 1) : (rnd() & 0xff);
	return insn(code, jt, jf, k);
}

static void mutate(struct bpf_insn *p, int n)
{
	struct bpf_insn *i = &p[below((unsigned)n)];
	switch (below(5)) {
	case 0:
		i->code ^= (u_short)(1u << below(16));
		break;
	case 1:
		i->jt = (u_char)rnd();
		break;
	case 2:
		i->jf = (u_char)below((unsigned)n + 2);
		break;
	case 3:
		i->k = below(2) ? below(20) : rnd();
		break;
	default:
		*i = anything(n);
	}
}

/* ---- compiled programs from a file ------------------------------------- */

struct prog {
	int n;
	struct bpf_insn *insns;
};

static int load_programs(const char *path, struct prog **out)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	int count = 0, n;
	*out = NULL;
	while (fscanf(f, "%d", &n) == 1) {
		*out = realloc(*out, (size_t)(count + 1) * sizeof **out);
		struct bpf_insn *p = calloc((size_t)n, sizeof *p);
		for (int i = 0; i < n; i++) {
			unsigned code, jt, jf, k;
			if (fscanf(f, "%u %u %u %u", &code, &jt, &jf, &k) != 4)
				exit(2);
			p[i] = insn(code, jt, jf, k);
		}
		(*out)[count].n = n;
		(*out)[count].insns = p;
		count++;
	}
	fclose(f);
	return count;
}

static void free_programs(struct prog *progs, int count)
{
	for (int i = 0; i < count; i++)
		free(progs[i].insns);
	free(progs);
}

/* ---- packets ----------------------------------------------------------- */

struct pkt {
	struct pcap_pkthdr h;
	u_char data[160];
};

#define NCRAFTED 40
#define NRANDOM 24

static void put16(u_char *b, int off, unsigned v)
{
	b[off] = (u_char)(v >> 8);
	b[off + 1] = (u_char)v;
}

/* Ethernet frames of the kinds the compiled filters test, some truncated. */
static void crafted(struct pkt *p, int i)
{
	u_char *b = p->data;
	memset(p, 0, sizeof *p);
	for (int j = 0; j < 12; j++)
		b[j] = (u_char)(0x10 * i + j);
	if (i % 7 == 3)
		b[0] = 0xff, b[1] = 0xff, b[2] = 0xff, b[3] = 0xff, b[4] = 0xff, b[5] = 0xff;
	if (i % 9 == 4)
		b[0] = 0x01; /* multicast */
	int l3 = 14;
	if (i % 10 == 9) { /* 802.1Q */
		put16(b, 12, 0x8100);
		put16(b, 14, 100 + (unsigned)i);
		l3 = 18;
	}
	unsigned proto = (unsigned[]){ 6, 17, 1, 47, 6, 17 }[i % 6];
	unsigned sport = (unsigned[]){ 80, 53, 1234, 443, 22, 2000, 40000 }[i % 7];
	unsigned dport = (unsigned[]){ 53, 80, 443, 1500, 22, 8080, 123, 5353 }[i % 8];
	int len = 60 + (i * 37) % 120;
	if (i % 5 == 1) { /* IPv6 */
		put16(b, l3 - 2, 0x86dd);
		b[l3] = 0x60;
		b[l3 + 6] = (u_char)proto;
		b[l3 + 7] = 64;
		b[l3 + 8] = 0x20, b[l3 + 9] = 0x01;
		int l4 = l3 + 40;
		if (i % 15 == 1) { /* hop-by-hop, then routing, then the protocol */
			b[l3 + 6] = 0;
			b[l4] = 43;
			b[l4 + 8] = (u_char)proto;
			l4 += 16;
		} else if (i % 15 == 6) { /* an authentication header */
			b[l3 + 6] = 51;
			b[l4] = (u_char)proto;
			b[l4 + 1] = 1;
			l4 += 12;
		}
		put16(b, l4, sport);
		put16(b, l4 + 2, dport);
	} else if (i % 5 == 2 && i % 10 != 9) { /* ARP */
		put16(b, 12, 0x0806);
		put16(b, 14, 1);
		put16(b, 16, 0x0800);
	} else {
		put16(b, l3 - 2, 0x0800);
		int ihl = (i % 4 == 3) ? 6 : 5;
		b[l3] = (u_char)(0x40 | ihl);
		put16(b, l3 + 2, (unsigned)(len - l3));
		if (i % 8 == 6)
			put16(b, l3 + 6, 0x2000 | (unsigned)i); /* a fragment */
		b[l3 + 8] = 64;
		b[l3 + 9] = (u_char)proto;
		b[l3 + 12] = (u_char)(i % 3 ? 192 : 10), b[l3 + 13] = 168, b[l3 + 14] = 1, b[l3 + 15] = (u_char)i;
		b[l3 + 16] = 10, b[l3 + 17] = 0, b[l3 + 18] = 0, b[l3 + 19] = 1;
		int l4 = l3 + 4 * ihl;
		put16(b, l4, sport);
		put16(b, l4 + 2, dport);
		if (proto == 6) {
			b[l4 + 12] = 0x50;
			b[l4 + 13] = (u_char)(i % 2 ? 0x02 : 0x10);
			memcpy(b + l4 + 20, "GET / HTTP/1.1", 14);
		}
		if (proto == 1)
			b[l4] = (u_char)(i % 2 ? 8 : 0);
	}
	p->h.len = (bpf_u_int32)len;
	p->h.caplen = (bpf_u_int32)len;
	switch (i % 11) {
	case 2:
		p->h.caplen = 14 + (bpf_u_int32)(i % 30); /* cut inside the headers */
		break;
	case 5:
		p->h.caplen = 0;
		break;
	case 8:
		p->h.len = 1514; /* snapped */
		break;
	}
}

static void random_packet(struct pkt *p)
{
	memset(p, 0, sizeof *p);
	unsigned cap = below(2) ? below(160) : below(40);
	for (unsigned j = 0; j < cap; j++)
		p->data[j] = (u_char)rnd();
	if (below(3) == 0)
		put16(p->data, 12, below(2) ? 0x0800 : 0x86dd);
	p->h.caplen = cap;
	p->h.len = below(4) ? cap + below(100) : rnd();
}

static struct pkt packets[NCRAFTED + NRANDOM];

static void make_packets(void)
{
	for (int i = 0; i < NCRAFTED; i++)
		crafted(&packets[i], i);
	for (int i = 0; i < NRANDOM; i++)
		random_packet(&packets[NCRAFTED + i]);
}

/* Run `p` over every packet through both entry points; print the verdicts. */
static void run_all(const char *tag, int id, struct bpf_insn *insns, int n)
{
	struct bpf_program prog = { (u_int)n, insns };
	printf("%s%d", tag, id);
	for (int j = 0; j < NCRAFTED + NRANDOM; j++) {
		struct pkt *p = &packets[j];
		u_int a = bpf_filter(insns, p->data, p->h.len, p->h.caplen);
		int b = pcap_offline_filter(&prog, &p->h, p->data);
		printf(" %u/%d", a, b);
	}
	printf("\n");
}

/* ---- modes ------------------------------------------------------------- */

static int validate_mode(int count)
{
	struct bpf_insn p[5100];
	for (int i = 0; i < count; i++) {
		int n;
		switch (below(8)) {
		case 0: /* random */
		case 1:
			n = 1 + (int)below(12);
			for (int j = 0; j < n; j++)
				p[j] = anything(n);
			break;
		case 2: /* long: userland has no length limit */
			n = below(4) ? 1 + (int)below(40) : 4090 + (int)below(1000);
			for (int j = 0; j < n - 1; j++)
				p[j] = insn(BPF_LD | BPF_IMM, 0, 0, (uint32_t)j);
			p[n - 1] = insn(BPF_RET | BPF_K, 0, 0, 1);
			if (below(2))
				mutate(p, n);
			break;
		default: /* a runnable program, mutated or not */
			n = runnable_program(p, 40);
			for (unsigned m = below(3); m > 0; m--)
				mutate(p, n);
		}
		int len = n;
		if (below(20) == 0)
			len = (int)below(3) - 1; /* 0, -1, 1 */
		printf("%d %d %d\n", i, len, bpf_validate(p, len));
	}
	return 0;
}

static int filter_mode(const char *file, int count)
{
	struct prog *progs;
	int nprogs = load_programs(file, &progs);
	make_packets();
	for (int i = 0; i < nprogs; i++) {
		if (!bpf_validate(progs[i].insns, progs[i].n)) {
			printf("compiled program %d does not validate\n", i);
			return 1;
		}
		run_all("c", i, progs[i].insns, progs[i].n);
	}
	/* Random programs, each in a fresh allocation (often the address the
	 * previous one was freed from), then changed in place and run again. */
	for (int i = 0; i < count; i++) {
		struct bpf_insn *p = malloc(64 * sizeof *p);
		int n = runnable_program(p, 64);
		if (!bpf_validate(p, n)) {
			printf("random program %d does not validate\n", i);
			return 1;
		}
		run_all("r", i, p, n);
		for (int change = 0; change < 2 && n > 19; change++) {
			int at = 17 + (int)below((unsigned)n - 18);
			p[at] = runnable(at, n);
			run_all("m", i, p, n);
		}
		free(p);
	}
	free_programs(progs, nprogs);
	return 0;
}

static int image_mode(void)
{
	static const struct {
		unsigned jt, jf;
		uint32_t k;
		int n;
	} v[] = {
		{ 0, 0, 0, 0 },
		{ 1, 2, 0x7fffffff, 5 },
		{ 255, 255, 0xffffffff, 1000 },
		{ 3, 4, (uint32_t)SKF_AD_OFF + 44, -1 },
		{ 7, 0, (uint32_t)SKF_AD_OFF + 28, 123456 },
		{ 0, 9, (uint32_t)SKF_AD_OFF + 1, 42 },
		{ 12, 200, (uint32_t)SKF_AD_OFF + 64, -77 },
	};
	for (unsigned code = 0; code < 65536; code++)
		for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
			struct bpf_insn i = insn(code, v[j].jt, v[j].jf, v[j].k);
			printf("%s\n", bpf_image(&i, v[j].n));
		}
	return 0;
}

static int dump_mode(const char *file)
{
	struct prog *progs;
	int nprogs = load_programs(file, &progs);
	struct bpf_insn r[40];
	for (int i = 0; i < nprogs + 20; i++) {
		struct bpf_program prog;
		if (i < nprogs) {
			prog.bf_len = (u_int)progs[i].n;
			prog.bf_insns = progs[i].insns;
		} else {
			int n = 1 + (int)below(40);
			for (int j = 0; j < n; j++)
				r[j] = anything(n);
			prog.bf_len = (u_int)n;
			prog.bf_insns = r;
		}
		for (int option = -1; option <= 4; option++) {
			printf("-- program %d option %d\n", i, option);
			bpf_dump(&prog, option);
		}
	}
	struct bpf_program empty = { 0, NULL };
	for (int option = 0; option <= 3; option++) {
		printf("-- empty option %d\n", option);
		bpf_dump(&empty, option);
	}
	free_programs(progs, nprogs);
	return 0;
}

static int edge_mode(void)
{
	struct bpf_insn ret5[] = { insn(BPF_RET | BPF_K, 0, 0, 5) };
	struct bpf_insn ld0[] = { insn(BPF_LD | BPF_B | BPF_ABS, 0, 0, 0), insn(BPF_RET | BPF_A, 0, 0, 0) };
	struct bpf_insn len[] = { insn(BPF_LD | BPF_W | BPF_LEN, 0, 0, 0), insn(BPF_RET | BPF_A, 0, 0, 0) };
	u_char data[4] = { 9, 8, 7, 6 };
	struct pcap_pkthdr h = { { 0, 0 }, 4, 1000 };

	printf("bpf_filter NULL program: %u\n", bpf_filter(NULL, data, 4, 4));
	printf("bpf_filter NULL packet: %u %u\n", bpf_filter(ret5, NULL, 0, 0), bpf_filter(ld0, NULL, 0, 0));
	printf("bpf_filter wirelen: %u\n", bpf_filter(len, data, 1000, 4));
	printf("bpf_filter ld [0]: %u (caplen 1) %u (caplen 0)\n", bpf_filter(ld0, data, 4, 1), bpf_filter(ld0, data, 4, 0));
	struct bpf_program none = { 3, NULL };
	printf("pcap_offline_filter NULL insns: %d\n", pcap_offline_filter(&none, &h, data));
	/* bf_len is not used: a wrong length changes nothing. */
	struct bpf_program wrong = { 0, len };
	printf("pcap_offline_filter bf_len 0: %d\n", pcap_offline_filter(&wrong, &h, data));
	wrong.bf_len = 1;
	printf("pcap_offline_filter bf_len 1: %d\n", pcap_offline_filter(&wrong, &h, data));
	struct bpf_program ok = { 2, ld0 };
	printf("pcap_offline_filter caplen: %d\n", pcap_offline_filter(&ok, &h, data));
	h.caplen = 0;
	printf("pcap_offline_filter caplen 0: %d\n", pcap_offline_filter(&ok, &h, data));
	printf("bpf_validate len 0: %d, -1: %d, 1: %d\n", bpf_validate(ret5, 0), bpf_validate(ret5, -1), bpf_validate(ret5, 1));
	return 0;
}

static int null_mode(void)
{
	struct bpf_insn ld0[] = { insn(BPF_LD | BPF_B | BPF_ABS, 0, 0, 0), insn(BPF_RET | BPF_A, 0, 0, 0) };
	struct bpf_program ok = { 2, ld0 };
	struct pcap_pkthdr h = { { 0, 0 }, 4, 4 };
	u_char data[4] = { 9, 8, 7, 6 };
	printf("bpf_image NULL: %s\n", bpf_image(NULL, 3) == NULL ? "NULL" : "not NULL");
	bpf_dump(NULL, 0);
	bpf_dump(NULL, 3);
	printf("pcap_offline_filter NULL program: %d\n", pcap_offline_filter(NULL, &h, data));
	printf("pcap_offline_filter NULL header: %d\n", pcap_offline_filter(&ok, NULL, data));
	printf("pcap_offline_filter NULL packet: %d\n", pcap_offline_filter(&ok, &h, NULL));
	printf("bpf_filter NULL packet, buflen 4: %u\n", bpf_filter(ld0, NULL, 4, 4));
	printf("bpf_validate NULL: %d\n", bpf_validate(NULL, 5));
	struct bpf_program none = { 5, NULL };
	printf("-- dump NULL insns\n");
	bpf_dump(&none, 3);
	bpf_dump(&none, 0);
	printf("-- end\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "validate") == 0) {
		seed(argv[3]);
		return validate_mode(atoi(argv[2]));
	}
	if (argc >= 5 && strcmp(argv[1], "filter") == 0) {
		seed(argv[4]);
		return filter_mode(argv[2], atoi(argv[3]));
	}
	if (argc >= 2 && strcmp(argv[1], "image") == 0)
		return image_mode();
	if (argc >= 4 && strcmp(argv[1], "dump") == 0) {
		seed(argv[3]);
		return dump_mode(argv[2]);
	}
	if (argc >= 2 && strcmp(argv[1], "edge") == 0)
		return edge_mode();
	if (argc >= 2 && strcmp(argv[1], "null") == 0)
		return null_mode();
	fprintf(stderr, "usage: see the comment at the top of %s\n", __FILE__);
	return 2;
}

/*
 * Filter oracle: compiles filter expressions with whatever libpcap it is
 * linked against, and runs BPF programs over a packet corpus with that
 * library's bpf_filter(). Driven line by line on stdin (fields separated
 * by TAB; the expression is the last field and may contain anything but
 * a newline):
 *
 *   C <dlt> <snaplen> <optimize> <netmask> <expr>
 *       -> "OK <n> <code jt jf k,...>" or "ERR <pcap_geterr text>" (with
 *          newline and backslash escaped as \n and \\)
 *   F <savefile> <optimize> <netmask> <expr>
 *       -> as C, compiled on pcap_open_offline(savefile): a savefile's
 *          rules (no inbound/outbound or ifindex, DLT_NULL in the file's
 *          byte order); "OPEN <error>" when the file does not open
 *   T <dlt> <snaplen> <optimize> <netmask> <reps> <expr>
 *       -> "TIME <nanoseconds per pcap_compile>" (or "ERR ...")
 *   P <file>
 *       -> "PACKETS <n>"; file: records of u32 caplen, u32 wirelen
 *          (little endian), caplen bytes
 *   V <prog a> <prog b>     (programs as "code jt jf k,..." lists)
 *       -> "SAME <packets> <accepted> <digest>" or "DIFF <index> <ret a>
 *          <ret b>": both run over every packet with pcap_offline_filter;
 *          the digest (FNV-1a, 64 bits, over the return values as
 *          little-endian u32) lets runs against different libraries be
 *          compared verdict by verdict
 *   R <prog>
 *       -> "RET r0 r1 ..." (return value for every packet)
 *   L <dlt> <snaplen> <optimize> <netmask> <expr>
 *       -> "LIST <n>" and n lines of bpf_image() (tcpdump -d), or "ERR ..."
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pkt {
	uint32_t caplen, wirelen;
	unsigned char *data;
};

static struct pkt *pkts;
static size_t npkts;

static char *field(char **cur)
{
	char *s = *cur, *t;
	if (s == NULL)
		return NULL;
	t = strchr(s, '\t');
	if (t) {
		*t = 0;
		*cur = t + 1;
	} else
		*cur = NULL;
	return s;
}

/* An error text on one line: newline and backslash escaped. */
static void print_err(const char *m)
{
	printf("ERR\t");
	for (; *m; m++) {
		if (*m == '\n')
			printf("\\n");
		else if (*m == '\\')
			printf("\\\\");
		else
			putchar(*m);
	}
	putchar('\n');
}

static void print_prog(const struct bpf_program *p)
{
	u_int i;
	printf("OK\t%u\t", p->bf_len);
	for (i = 0; i < p->bf_len; i++) {
		const struct bpf_insn *in = &p->bf_insns[i];
		printf("%s%u %u %u %u", i ? "," : "", in->code, in->jt, in->jf, in->k);
	}
	printf("\n");
}

static struct bpf_insn *parse_prog(const char *s, u_int *len)
{
	size_t cap = 64, n = 0;
	struct bpf_insn *v = malloc(cap * sizeof *v);
	while (*s) {
		unsigned code, jt, jf, k;
		int used;
		if (sscanf(s, "%u %u %u %u%n", &code, &jt, &jf, &k, &used) != 4)
			break;
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		v[n].code = code;
		v[n].jt = jt;
		v[n].jf = jf;
		v[n].k = k;
		n++;
		s += used;
		if (*s == ',')
			s++;
	}
	*len = n;
	return v;
}

static void load_packets(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char hdr[8];
	size_t cap = 0;
	npkts = 0;
	if (!f) {
		printf("ERR cannot open %s\n", path);
		return;
	}
	while (fread(hdr, 1, 8, f) == 8) {
		struct pkt p;
		p.caplen = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24;
		p.wirelen = hdr[4] | hdr[5] << 8 | hdr[6] << 16 | (uint32_t)hdr[7] << 24;
		p.data = malloc(p.caplen ? p.caplen : 1);
		if (fread(p.data, 1, p.caplen, f) != p.caplen)
			break;
		if (npkts == cap)
			pkts = realloc(pkts, (cap = cap ? cap * 2 : 256) * sizeof *pkts);
		pkts[npkts++] = p;
	}
	fclose(f);
	printf("PACKETS\t%zu\n", npkts);
}

static int compile(char **cur, struct bpf_program *prog, pcap_t **pp, long *reps)
{
	int dlt = atoi(field(cur));
	int snaplen = atoi(field(cur));
	int opt = atoi(field(cur));
	bpf_u_int32 mask = (bpf_u_int32)strtoul(field(cur), NULL, 0);
	const char *expr;
	pcap_t *p = pcap_open_dead(dlt, snaplen);
	if (reps)
		*reps = atol(field(cur));
	expr = *cur ? *cur : "";
	*pp = p;
	if (reps) {
		struct timespec a, b;
		long i;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (i = 0; i < *reps; i++) {
			if (pcap_compile(p, prog, expr, opt, mask) != 0)
				return -1;
			pcap_freecode(prog);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("TIME\t%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)*reps);
		return 0;
	}
	return pcap_compile(p, prog, expr, opt, mask);
}

int main(void)
{
	static char line[1 << 20];
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (fgets(line, sizeof line, stdin)) {
		char *cur = line, *cmd;
		size_t l = strlen(line);
		if (l && line[l - 1] == '\n')
			line[--l] = 0;
		cmd = field(&cur);
		if (strcmp(cmd, "L") == 0) {
			struct bpf_program prog;
			pcap_t *p;
			u_int i;
			if (compile(&cur, &prog, &p, NULL) != 0)
				print_err(pcap_geterr(p));
			else {
				printf("LIST\t%u\n", prog.bf_len);
				for (i = 0; i < prog.bf_len; i++)
					printf("%s\n", bpf_image(&prog.bf_insns[i], (int)i));
				pcap_freecode(&prog);
			}
			pcap_close(p);
		} else if (strcmp(cmd, "C") == 0 || strcmp(cmd, "T") == 0) {
			struct bpf_program prog;
			pcap_t *p;
			long reps = 0;
			int timed = cmd[0] == 'T';
			if (compile(&cur, &prog, &p, timed ? &reps : NULL) != 0)
				print_err(pcap_geterr(p));
			else if (!timed) {
				print_prog(&prog);
				pcap_freecode(&prog);
			}
			pcap_close(p);
		} else if (strcmp(cmd, "F") == 0) {
			char err[PCAP_ERRBUF_SIZE];
			struct bpf_program prog;
			const char *path = field(&cur);
			int opt = atoi(field(&cur));
			bpf_u_int32 mask = (bpf_u_int32)strtoul(field(&cur), NULL, 0);
			pcap_t *p = pcap_open_offline(path, err);
			if (p == NULL)
				printf("OPEN\t%s\n", err);
			else {
				if (pcap_compile(p, &prog, cur ? cur : "", opt, mask) != 0)
					print_err(pcap_geterr(p));
				else {
					print_prog(&prog);
					pcap_freecode(&prog);
				}
				pcap_close(p);
			}
		} else if (strcmp(cmd, "P") == 0) {
			load_packets(field(&cur));
		} else if (strcmp(cmd, "V") == 0) {
			struct bpf_program a, b;
			size_t i, acc = 0;
			uint64_t digest = 0xcbf29ce484222325ULL;
			int diff = 0, j;
			a.bf_insns = parse_prog(field(&cur), &a.bf_len);
			b.bf_insns = parse_prog(field(&cur), &b.bf_len);
			for (i = 0; i < npkts; i++) {
				struct pcap_pkthdr h;
				memset(&h, 0, sizeof h);
				h.caplen = pkts[i].caplen;
				h.len = pkts[i].wirelen;
				u_int ra = (u_int)pcap_offline_filter(&a, &h, pkts[i].data);
				u_int rb = (u_int)pcap_offline_filter(&b, &h, pkts[i].data);
				if (ra != rb) {
					printf("DIFF\t%zu\t%u\t%u\n", i, ra, rb);
					diff = 1;
					break;
				}
				acc += ra != 0;
				for (j = 0; j < 4; j++) {
					digest ^= (ra >> (8 * j)) & 0xff;
					digest *= 0x100000001b3ULL;
				}
			}
			if (!diff)
				printf("SAME\t%zu\t%zu\t%016llx\n", npkts, acc, (unsigned long long)digest);
			free(a.bf_insns);
			free(b.bf_insns);
		} else if (strcmp(cmd, "R") == 0) {
			u_int la;
			struct bpf_insn *a = parse_prog(field(&cur), &la);
			size_t i;
			printf("RET");
			for (i = 0; i < npkts; i++)
				printf("\t%u", bpf_filter(a, pkts[i].data, pkts[i].wirelen, pkts[i].caplen));
			printf("\n");
			free(a);
		} else {
			printf("ERR\tunknown command %s\n", cmd);
		}
		fflush(stdout);
	}
	return 0;
}

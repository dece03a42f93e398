/* Bad struct bpf_program values handed to pcap_setfilter on a live and on
 * a savefile handle, and to pcap_offline_filter: a bf_len of 0, a bf_len
 * shorter or longer than the program meant, jumps and memory out of range,
 * division by a zero constant, a double pcap_freecode. Built against the
 * system libpcap and against ringcap; outputs compared line by line.
 *
 * usage: bad_program <dev> <scratch file> [null|badop]
 *   null   instead, a program whose bf_insns is NULL with bf_len 5: libpcap
 *          reads through the NULL pointer (the harness expects it to die of
 *          SIGSEGV), ringcap refuses it
 *   badop  instead, run a program with an unknown BPF_MISC opcode, which
 *          both validators let through, with pcap_offline_filter: libpcap's
 *          interpreter calls abort(), ringcap's rejects the packet */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static void show(const char *name, pcap_t *live, pcap_t *file, struct bpf_program *fp, int run)
{
	static const u_char pkt[60] = { 2, 0, 0, 0, 0, 0x0a, 2, 0, 0, 0, 0, 0x0b, 0x88, 0xb5 };
	struct pcap_pkthdr h = { { 0, 0 }, sizeof pkt, sizeof pkt };
	int rl = pcap_setfilter(live, fp);
	printf("%s: live=%d [%s]", name, rl, rl ? pcap_geterr(live) : "");
	int rf = pcap_setfilter(file, fp);
	printf(" file=%d [%s]", rf, rf ? pcap_geterr(file) : "");
	/* libpcap runs pcap_offline_filter's program unchecked: only programs
	 * both setfilters accepted are run, and only those libpcap can run. */
	if (run && rl == 0 && rf == 0)
		printf(" offline_filter=%d", pcap_offline_filter(fp, &h, pkt));
	printf("\n");
}

/* An unknown BPF_MISC opcode, then a return. */
static struct bpf_insn badop[] = { { 0xffff, 0, 0, 0 }, BPF_STMT(BPF_RET | BPF_K, 65535) };

/* The cases both libraries survive. */
static void all_cases(pcap_t *live, pcap_t *file, struct bpf_program *udp)
{
	struct bpf_program fp;
	fp = (struct bpf_program){ 0, NULL };
	show("bf_len 0, NULL bf_insns", live, file, &fp, 1);
	fp = (struct bpf_program){ 0, udp->bf_insns };
	show("bf_len 0 of a program", live, file, &fp, 1);
	fp = (struct bpf_program){ 2, udp->bf_insns };
	show("bf_len 2 of 'udp' (jumps beyond the end)", live, file, &fp, 1);
	struct bpf_insn two_rets[] = { BPF_STMT(BPF_RET | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, 65535) };
	fp = (struct bpf_program){ 1, two_rets };
	show("bf_len 1 ending in a ret", live, file, &fp, 1);
	struct bpf_insn padded[8] = { BPF_STMT(BPF_RET | BPF_K, 65535) };
	fp = (struct bpf_program){ 8, padded };
	show("bf_len 8 of a 1-instruction program, zeros after", live, file, &fp, 1);
	struct bpf_insn ja[] = { BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0), BPF_STMT(BPF_RET | BPF_K, 65535) };
	fp = (struct bpf_program){ 2, ja };
	show("ja past the end", live, file, &fp, 1);
	struct bpf_insn jeq[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 9), BPF_STMT(BPF_RET | BPF_K, 65535) };
	fp = (struct bpf_program){ 2, jeq };
	show("jeq false branch past the end", live, file, &fp, 1);
	struct bpf_insn div0[] = { BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_A, 0) };
	fp = (struct bpf_program){ 3, div0 };
	show("division by the constant 0", live, file, &fp, 1);
	struct bpf_insn mem[] = { BPF_STMT(BPF_LD | BPF_MEM, 16), BPF_STMT(BPF_RET | BPF_A, 0) };
	fp = (struct bpf_program){ 2, mem };
	show("load of M[16]", live, file, &fp, 1);
	/* Both validators pass it; the kernel refuses it, so the live handle
	 * filters in userland. */
	fp = (struct bpf_program){ 2, badop };
	show("unknown opcode", live, file, &fp, 0);
	show("the whole 'udp'", live, file, udp, 1);
	pcap_freecode(udp);
	pcap_freecode(udp);
	printf("after two pcap_freecode: bf_len=%u bf_insns=%s\n", udp->bf_len, udp->bf_insns ? "set" : "NULL");
}

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc != 3 && argc != 4)
		return 2;
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dump = pcap_dump_open(dead, argv[2]);
	if (!dump) {
		printf("dump_open: %s\n", pcap_geterr(dead));
		return 1;
	}
	pcap_dump_close(dump);
	pcap_t *file = pcap_open_offline(argv[2], eb);
	pcap_t *live = pcap_create(argv[1], eb);
	struct bpf_program udp;
	if (!file || !live || pcap_activate(live) < 0 || pcap_compile(live, &udp, "udp", 1, PCAP_NETMASK_UNKNOWN) != 0) {
		printf("open: %s\n", eb);
		return 1;
	}
	struct bpf_program fp;
	if (argc == 4 && strcmp(argv[3], "null") == 0) {
		fp = (struct bpf_program){ 5, NULL };
		show("NULL bf_insns, bf_len 5", live, file, &fp, 0);
		printf("bpf_validate(NULL, 5) = %d\n", bpf_validate(NULL, 5));
	} else if (argc == 4 && strcmp(argv[3], "badop") == 0) {
		fp = (struct bpf_program){ 2, badop };
		show("unknown opcode", live, file, &fp, 1);
	} else
		all_cases(live, file, &udp);
	pcap_freecode(&udp);
	pcap_close(live);
	pcap_close(file);
	pcap_close(dead);
	return 0;
}

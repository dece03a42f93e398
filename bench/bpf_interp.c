/*
 * Userland filter throughput: pcap_offline_filter in a loop over a fixed
 * packet mix, with a program read in `tcpdump -ddd` form from a file.
 * The same binary runs on the system libpcap and (LD_LIBRARY_PATH) on
 * ringcap; it prints "<packets per second> <matches per pass>", the rate
 * being the best of PASSES passes over PACKETS / PASSES packets.
 *
 * usage: bpf_interp PROGRAM_FILE PACKETS
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NPKT 256
#define PASSES 5

static uint32_t rng_state = 0x12345678;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* One Ethernet frame: IPv4 or IPv6, TCP or UDP, given ports. */
static void make_packet(uint8_t *b, struct pcap_pkthdr *h, int v6, int proto, int sport, int dport, int len)
{
	memset(b, 0, 1514);
	for (int i = 0; i < 12; i++)
		b[i] = (uint8_t)rnd();
	int l4;
	if (v6) {
		b[12] = 0x86; b[13] = 0xdd;
		b[14] = 0x60;
		b[20] = (uint8_t)proto;
		b[21] = 64;
		l4 = 54;
	} else {
		b[12] = 0x08; b[13] = 0x00;
		b[14] = 0x45;
		b[16] = (uint8_t)((len - 14) >> 8); b[17] = (uint8_t)(len - 14);
		b[22] = 64;
		b[23] = (uint8_t)proto;
		l4 = 34;
	}
	b[l4] = (uint8_t)(sport >> 8); b[l4 + 1] = (uint8_t)sport;
	b[l4 + 2] = (uint8_t)(dport >> 8); b[l4 + 3] = (uint8_t)dport;
	h->len = (bpf_u_int32)len;
	h->caplen = (bpf_u_int32)len;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s PROGRAM_FILE PACKETS\n", argv[0]);
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	unsigned n;
	if (f == NULL || fscanf(f, "%u", &n) != 1 || n == 0) {
		fprintf(stderr, "cannot read program %s\n", argv[1]);
		return 1;
	}
	struct bpf_insn *insns = calloc(n, sizeof *insns);
	for (unsigned i = 0; i < n; i++) {
		unsigned code, jt, jf, k;
		if (fscanf(f, "%u %u %u %u", &code, &jt, &jf, &k) != 4) {
			fprintf(stderr, "short program\n");
			return 1;
		}
		insns[i] = (struct bpf_insn){ (u_short)code, (u_char)jt, (u_char)jf, k };
	}
	fclose(f);
	struct bpf_program prog = { n, insns };
	long total = atol(argv[2]);

	/* A mix resembling a busy host: mostly TCP (web and other), some DNS and
	 * other UDP, IPv6, a few non-IP frames and truncated captures. */
	static uint8_t pkts[NPKT][1514];
	static struct pcap_pkthdr hdrs[NPKT];
	for (int i = 0; i < NPKT; i++) {
		uint32_t r = rnd() % 100;
		int len = 60 + (int)(rnd() % 1455);
		int eph = 32768 + (int)(rnd() % 28000);
		if (r < 30)
			make_packet(pkts[i], &hdrs[i], 0, 6, eph, 80, len);
		else if (r < 45)
			make_packet(pkts[i], &hdrs[i], 0, 6, 80, eph, len);
		else if (r < 65)
			make_packet(pkts[i], &hdrs[i], 0, 6, eph, 443, len);
		else if (r < 75)
			make_packet(pkts[i], &hdrs[i], 0, 17, eph, 53, 60 + (int)(rnd() % 200));
		else if (r < 80)
			make_packet(pkts[i], &hdrs[i], 0, 17, eph, 123, 90);
		else if (r < 87)
			make_packet(pkts[i], &hdrs[i], 1, 6, eph, (r & 1) ? 80 : 443, len);
		else if (r < 90)
			make_packet(pkts[i], &hdrs[i], 1, 17, 53, eph, 120);
		else if (r < 95) {
			make_packet(pkts[i], &hdrs[i], 0, 6, eph, 80, len);
			pkts[i][12] = 0x08; pkts[i][13] = 0x06; /* ARP */
			hdrs[i].len = hdrs[i].caplen = 60;
		} else {
			make_packet(pkts[i], &hdrs[i], 0, 6, eph, 80, len);
			hdrs[i].caplen = 30 + (rnd() % 20); /* truncated capture */
		}
	}

	/* The best of PASSES passes: other load on the machine only ever slows a
	 * pass down. */
	double best = 0;
	long matches = 0;
	long per_pass = (total / PASSES + NPKT - 1) / NPKT * NPKT;
	for (int pass = 0; pass < PASSES; pass++) {
		struct timespec t0, t1;
		matches = 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (long done = 0; done < per_pass; done += NPKT)
			for (int i = 0; i < NPKT; i++)
				matches += pcap_offline_filter(&prog, &hdrs[i], pkts[i]) != 0;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if ((double)per_pass / s > best)
			best = (double)per_pass / s;
	}
	printf("%.0f %ld\n", best, matches);
	free(insns);
	return 0;
}

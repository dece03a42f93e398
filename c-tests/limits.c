/* Resource limits: what activation and the savefile calls do when the
 * kernel or the process's limits stand in the way. Built against the
 * system libpcap and against ringcap; outputs compared (lines starting with
 * '#' are ringcap's alone).
 *
 * usage: limits <dev> <mode> <scratch file>
 *   bigbuf   pcap_set_buffer_size(INT_MAX), ~2 GiB: the kernel here
 *            allocates it whole
 *   memlock  RLIMIT_MEMLOCK 0: packet rings are not locked memory
 *   as       RLIMIT_AS a little above what the process maps, then a 256 MiB
 *            buffer: the kernel builds the ring, the process cannot map it
 *   nofile   RLIMIT_NOFILE at the descriptors already open: pcap_open_offline,
 *            pcap_dump_open and pcap_create fail with the reason; after
 *            the limit goes up again, they work
 *   huge     (ringcap only) explicit ring geometries the kernel cannot
 *            have: more blocks than its block vector holds, more bytes than
 *            the machine has
 * Each live mode prints READY once active; the harness then sends three
 * test frames, which the program reads back. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "live_harness.h"

/* Read the harness's three test frames (at most 5 s: non-blocking, as
 * libpcap's pcap_next_ex never times out on an idle link). */
static void capture3(pcap_t *p)
{
	char eb[PCAP_ERRBUF_SIZE];
	int got = 0;
	time_t end = time(NULL) + 5;
	pcap_setnonblock(p, 1, eb);
	struct pollfd fd = { pcap_get_selectable_fd(p), POLLIN, 0 };
	printf("READY\n");
	fflush(stdout);
	while (got < 3 && time(NULL) < end) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int r = pcap_next_ex(p, &h, &d);
		if (r == 0)
			poll(&fd, 1, 50);
		if (r < 0) {
			printf("next_ex = %d [%s]\n", r, pcap_geterr(p));
			break;
		}
		got += r == 1 && h->caplen >= 14 && d[12] == 0x88 && d[13] == 0xb5;
	}
	printf("captured %d\n", got);
}

static int activate_and_capture(pcap_t *p)
{
	int r = pcap_activate(p);
	printf("activate = %d [%s]\n", r, r ? pcap_geterr(p) : "");
	if (r < 0)
		return r;
#ifdef RINGCAP_H
	struct ringcap_ring_info i;
	if (ringcap_get_ring_info(p, &i) == 0)
		printf("# ring of %llu bytes\n", (unsigned long long)i.mapped_bytes);
#endif
	capture3(p);
	return 0;
}

/* Bytes of address space the process has mapped (VmSize). */
static long vm_bytes(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* The lowest free descriptor: with RLIMIT_NOFILE there, nothing more
 * opens. */
static int lowest_free_fd(void)
{
	int fd = dup(0);
	close(fd);
	return fd;
}

/* pcap_open_offline and pcap_dump_open on `path`, each closed again if it
 * opened (libpcap crashes on pcap_close(NULL) and pcap_dump_close(NULL)). */
static void savefile_calls(pcap_t *dead, const char *path, const char *when)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *f = pcap_open_offline(path, eb);
	printf("open_offline%s = %s [%s]\n", when, f ? "handle" : "NULL", f ? "" : eb);
	if (f)
		pcap_close(f);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	printf("dump_open%s = %s [%s]\n", when, d ? "dumper" : "NULL", d ? "" : pcap_geterr(dead));
	if (d)
		pcap_dump_close(d);
}

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc != 4)
		return 2;
	const char *dev = argv[1], *mode = argv[2], *scratch = argv[3];
	if (strcmp(mode, "bigbuf") == 0) {
		pcap_t *p = pcap_create(dev, eb);
		pcap_set_buffer_size(p, INT_MAX);
		pcap_set_timeout(p, 20);
		activate_and_capture(p);
		pcap_close(p);
	} else if (strcmp(mode, "memlock") == 0) {
		struct rlimit rl = { 0, 0 };
		printf("setrlimit(RLIMIT_MEMLOCK, 0) = %d\n", setrlimit(RLIMIT_MEMLOCK, &rl));
		pcap_t *p = pcap_create(dev, eb);
		pcap_set_timeout(p, 20);
		activate_and_capture(p);
		pcap_close(p);
	} else if (strcmp(mode, "as") == 0) {
		pcap_t *p = pcap_create(dev, eb);
		pcap_set_buffer_size(p, 256 << 20);
		pcap_set_timeout(p, 20);
		struct rlimit rl = { vm_bytes() + (64 << 20), RLIM_INFINITY };
		printf("setrlimit(RLIMIT_AS) = %d\n", setrlimit(RLIMIT_AS, &rl));
		printf("READY\n");
		int r = pcap_activate(p);
		printf("activate = %d [%s]\n", r, pcap_geterr(p));
		pcap_close(p);
	} else if (strcmp(mode, "nofile") == 0) {
		pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
		pcap_dumper_t *d = pcap_dump_open(dead, scratch);
		pcap_dump_close(d);
		struct rlimit old, rl;
		getrlimit(RLIMIT_NOFILE, &old);
		rl = old;
		rl.rlim_cur = lowest_free_fd();
		printf("setrlimit(RLIMIT_NOFILE) = %d\n", setrlimit(RLIMIT_NOFILE, &rl));
		savefile_calls(dead, scratch, "");
		pcap_t *p = pcap_create(dev, eb);
		printf("create = %s [%s]\n", p ? "handle" : "NULL", p ? "" : eb);
		if (p)
			pcap_close(p);
		setrlimit(RLIMIT_NOFILE, &old);
		savefile_calls(dead, scratch, " after");
		pcap_close(dead);
		p = pcap_create(dev, eb);
		pcap_set_timeout(p, 20);
		activate_and_capture(p);
		pcap_close(p);
#ifdef RINGCAP_H
	} else if (strcmp(mode, "huge") == 0) {
		struct ringcap_ring_geometry many = { 4 << 20, 1 << 20, 2048, 0, 0 }, big = { 4 << 20, 1 << 19, 2048, 0, 0 };
		pcap_t *p = pcap_create(dev, eb);
		int r = ringcap_set_ring_geometry(p, &many);
		printf("set(4 MiB x 2^20) = %d [%s]\n", r, r ? pcap_geterr(p) : "");
		r = ringcap_set_ring_geometry(p, &big);
		printf("set(4 MiB x 2^19) = %d [%s]\n", r, r ? pcap_geterr(p) : "");
		pcap_close(p);
#endif
	} else {
		printf("unknown mode %s\n", mode);
		return 2;
	}
	return 0;
}

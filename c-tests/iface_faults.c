/* The capture device fails under a running read: taken down and brought
 * back up, deleted, or deleted with its network namespace. Built against
 * the system libpcap and against ringcap; the harness compares the output.
 *
 * usage: iface_faults <dev> <api> <version> [<timeout ms>]
 *   api      loop      pcap_loop(-1) until it returns
 *            next_ex   pcap_next_ex until it returns < 0 (0, a timeout, is
 *                      not printed: libpcap 1.10 never returns it on Linux,
 *                      ringcap does after each pcap timeout)
 *            select    non-blocking pcap_dispatch in a select() loop that
 *                      waits with pcap_get_required_select_timeout (forever
 *                      when it is NULL), printing each change of it
 *            batch     ringcap_next_batch(-1) (ringcap only)
 *   version  see live_harness.h (ringcap: 1, 2, 3; libpcap: 2, 3)
 *   timeout  the pcap timeout (default 100 ms)
 *
 * Prints READY once active, then "frame <seq> len=<len> caplen=<caplen>
 * required=<timeout>" per test frame (pcap_get_required_select_timeout
 * when it was delivered), and at the end "<call> = <code> [<error>]". A last line
 * "# cpu_ms=<n> wall_ms=<n>" gives the CPU the process used from READY to
 * the end against the time that passed (the harness checks it did not
 * spin; it is not compared). */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>
#include "live_harness.h"
#include "test_frame.h"

static pcap_t *p;

static long ms_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}


static const char *timeout_text(const struct timeval *tv)
{
	static char buf[64];
	if (!tv)
		return "none";
	if (tv->tv_sec == 0 && tv->tv_usec == 1000)
		return "1ms";
	snprintf(buf, sizeof buf, "%lds %ldus", (long)tv->tv_sec, (long)tv->tv_usec);
	return buf;
}

static void show(unsigned caplen, unsigned len, const u_char *d)
{
	long seq = frame_seq(d, caplen);
	if (seq < 0)
		return;
	printf("frame %ld len=%u caplen=%u required=%s\n", seq, len, caplen, timeout_text(pcap_get_required_select_timeout(p)));
	fflush(stdout);
}

static void cb(u_char *u, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)u;
	show(h->caplen, h->len, d);
}


/* Wait in select() as an event loop would: on the selectable descriptor,
 * with the timeout the library requires (none: block). */
static int select_loop(void)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (pcap_setnonblock(p, 1, eb) != 0) {
		printf("setnonblock: %s\n", eb);
		return -1;
	}
	int fd = pcap_get_selectable_fd(p);
	const struct timeval *last = NULL;
	printf("select timeout: %s\n", timeout_text(last));
	fflush(stdout);
	for (;;) {
		const struct timeval *req = pcap_get_required_select_timeout(p);
		if ((req == NULL) != (last == NULL) || (req && last && memcmp(req, last, sizeof *req) != 0)) {
			printf("select timeout: %s\n", timeout_text(req));
			fflush(stdout);
		}
		last = req;
		fd_set rd;
		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		struct timeval tv;
		if (req)
			tv = *req;
		select(fd + 1, &rd, NULL, NULL, req ? &tv : NULL);
		int r = pcap_dispatch(p, -1, cb, NULL);
		if (r < 0)
			return r;
	}
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5)
		return 2;
	const char *api = argv[2];
	p = activate_or_null(create_version(argv[1], atoi(argv[3]), 0, 0, argc == 5 ? atoi(argv[4]) : 100));
	if (!p)
		return 1;
	printf("READY\n");
	fflush(stdout);
	long cpu0 = cpu_ms(), wall0 = ms_now();
	int r;
	const char *call = api;
	if (strcmp(api, "loop") == 0) {
		call = "pcap_loop";
		r = pcap_loop(p, -1, cb, NULL);
	} else if (strcmp(api, "next_ex") == 0) {
		struct pcap_pkthdr *h;
		const u_char *d;
		call = "pcap_next_ex";
		while ((r = pcap_next_ex(p, &h, &d)) >= 0)
			if (r == 1)
				show(h->caplen, h->len, d);
	} else if (strcmp(api, "select") == 0) {
		call = "pcap_dispatch";
		r = select_loop();
#ifdef RINGCAP_H
	} else if (strcmp(api, "batch") == 0) {
		struct ringcap_packet out[16];
		call = "ringcap_next_batch";
		while ((r = ringcap_next_batch(p, out, 16, -1)) >= 0)
			for (int i = 0; i < r; i++)
				show(out[i].caplen, out[i].len, out[i].data);
#endif
	} else {
		printf("unknown api %s\n", api);
		return 2;
	}
	printf("%s = %d [%s]\n", call, r, pcap_geterr(p));
	printf("# cpu_ms=%ld wall_ms=%ld\n", cpu_ms() - cpu0, ms_now() - wall0);
	pcap_close(p);
	return 0;
}

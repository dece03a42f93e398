/* A savefile truncated while it is read (a rotation by tcpdump -C/-W, any
 * writer), and SIGBUS handlers around a library that maps savefiles.
 *
 *   savefile_trunc read FILE KEEP AFTER HOW
 *       read FILE, truncating it to KEEP bytes once AFTER packets have been
 *       read; HOW: next_ex (truncated between two pcap_next_ex calls) or
 *       loop (truncated inside a pcap_loop callback). Prints every packet
 *       (lengths and a byte sum) and how reading ended.
 *   savefile_trunc chain MODE FILE OTHER
 *       MODE siginfo|plain: install a SIGBUS handler (SA_SIGINFO or not)
 *       that says so and exits 42; default: none. Then open FILE and read a
 *       packet (the library may install its own handler), map OTHER, shrink
 *       it to nothing and read its second page: a SIGBUS that is not the
 *       library's, which must reach the program's handler or kill it.
 *   savefile_trunc guarded FILE KEEP AFTER
 *       as `read ... next_ex` with a SA_SIGINFO handler installed first: the
 *       library's reading must not reach it.
 */
#include <pcap/pcap.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void say_and_exit(int sig)
{
	static const char msg[] = "program's SIGBUS handler\n";
	(void)sig;
	if (write(1, msg, sizeof msg - 1) < 0)
		_exit(43);
	_exit(42);
}

static void on_bus_siginfo(int sig, siginfo_t *si, void *ctx)
{
	(void)si;
	(void)ctx;
	say_and_exit(sig);
}

static void install(int siginfo)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	if (siginfo) {
		sa.sa_sigaction = on_bus_siginfo;
		sa.sa_flags = SA_SIGINFO;
	} else
		sa.sa_handler = say_and_exit;
	sigaction(SIGBUS, &sa, NULL);
}

static const char *file;
static long keep;
static int after, seen;

static void shrink(void)
{
	if (truncate(file, keep) != 0)
		perror("truncate");
	printf("truncated to %ld\n", keep);
}

static void print_pkt(const struct pcap_pkthdr *h, const u_char *d)
{
	unsigned long sum = 0;

	for (bpf_u_int32 i = 0; i < h->caplen; i++)
		sum += d[i];
	printf("pkt %d caplen=%u len=%u sum=%lu\n", seen, h->caplen, h->len, sum);
	if (++seen == after && keep >= 0)
		shrink();
}

static void cb(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)user;
	print_pkt(h, d);
}

static int cmd_read(const char *how)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p = pcap_open_offline(file, errbuf);
	int rc;

	if (p == NULL) {
		printf("open error: %s\n", errbuf);
		return 0;
	}
	if (strcmp(how, "loop") == 0)
		rc = pcap_loop(p, -1, cb, NULL);
	else
		while ((rc = pcap_next_ex(p, &h, &d)) == 1)
			print_pkt(h, d);
	printf("%s rc=%d", how, rc);
	if (rc == -1)
		printf(" err=%s", pcap_geterr(p));
	printf("\n");
	pcap_close(p);
	return 0;
}

static int cmd_chain(const char *mode, const char *other)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	long page = sysconf(_SC_PAGESIZE);
	pcap_t *p;
	char *m;
	int fd;

	if (strcmp(mode, "default") != 0)
		install(strcmp(mode, "siginfo") == 0);
	p = pcap_open_offline(file, errbuf);
	if (p == NULL || pcap_next_ex(p, &h, &d) != 1) {
		printf("cannot read %s\n", file);
		return 1;
	}
	fd = open(other, O_RDONLY);
	m = fd < 0 ? MAP_FAILED : mmap(NULL, (size_t)page * 2, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED || truncate(other, 0) != 0) {
		perror(other);
		return 1;
	}
	printf("reading a page past the end of %s\n", other);
	fflush(stdout);
	printf("read %d\n", *(volatile char *)(m + page));
	pcap_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 6 && strcmp(argv[1], "read") == 0) {
		file = argv[2];
		keep = atol(argv[3]);
		after = atoi(argv[4]);
		return cmd_read(argv[5]);
	}
	if (argc >= 5 && strcmp(argv[1], "chain") == 0) {
		file = argv[3];
		return cmd_chain(argv[2], argv[4]);
	}
	if (argc >= 5 && strcmp(argv[1], "guarded") == 0) {
		install(1);
		file = argv[2];
		keep = atol(argv[3]);
		after = atoi(argv[4]);
		return cmd_read("next_ex");
	}
	fprintf(stderr, "usage: see the comment at the top of savefile_trunc.c\n");
	return 2;
}

/* Resources: thousands of live handles opened and closed leak no descriptor
 * and no mapping; running out of descriptors is an error, not a crash, and
 * capture works again once some are closed.
 *
 * Setting up a packet socket's rings and closing it each cost the kernel an
 * RCU grace period (synchronize_net: tens of ms on a loaded machine), so
 * handles are opened and closed in batches, one thread per handle: the
 * grace periods overlap.
 *
 * usage: leaks <dev> <rounds>
 */
#include <pcap/pcap.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* Mappings of sockets (packet rings appear as "socket:[inode]"); other
 * mappings come and go with the allocator (and with sanitizers). */
static int count_maps(void)
{
	int n = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof line, f))
		n += strstr(line, "socket:[") != NULL;
	if (f)
		fclose(f);
	return n;
}

#define BATCH 50

static const char *dev;

/* Open and activate one handle (NULL on failure, printed); every third
 * gets a filter too. */
static void *opener(void *arg)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(dev, eb);
	pcap_set_buffer_size(p, 64 << 10);
	if (pcap_activate(p) != 0) {
		printf("handle %ld: %s\n", (long)arg, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if ((long)arg % 3 == 0) {
		struct bpf_program prog;
		pcap_compile(p, &prog, "udp", 1, PCAP_NETMASK_UNKNOWN);
		pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
	}
	return p;
}

static void *closer(void *h)
{
	pcap_close(h);
	return NULL;
}

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc != 3)
		return 2;
	int rounds = atoi(argv[2]);
	dev = argv[1];
	/* One round first, so lazily initialised library state is in place. */
	pcap_t *p = pcap_create(argv[1], eb);
	pcap_set_buffer_size(p, 1 << 20);
	pcap_activate(p);
	pcap_close(p);
	int fds = count_fds(), maps = count_maps();
	for (int i = 0; i < rounds; i += BATCH) {
		void *batch[BATCH];
		pthread_t th[BATCH];
		int n = rounds - i < BATCH ? rounds - i : BATCH;
		for (int j = 0; j < n; j++)
			pthread_create(&th[j], NULL, opener, (void *)(long)(i + j));
		for (int j = 0; j < n; j++)
			pthread_join(th[j], &batch[j]);
		for (int j = 0; j < n; j++)
			if (!batch[j])
				return 1;
		for (int j = 0; j < n; j++)
			pthread_create(&th[j], NULL, closer, batch[j]);
		for (int j = 0; j < n; j++)
			pthread_join(th[j], NULL);
	}
	printf("fds %s, maps %s after %d handles\n", count_fds() == fds ? "unchanged" : "LEAKED",
	    count_maps() == maps ? "unchanged" : "LEAKED", rounds);

	struct rlimit rl = { 12, 12 };
	setrlimit(RLIMIT_NOFILE, &rl);
	pcap_t *open[16];
	int n = 0, code = 0;
	for (; n < 16; n++) {
		open[n] = pcap_create(argv[1], eb);
		if (!open[n]) {
			printf("out of descriptors after %s handles: create [%s]\n", n > 0 ? "some" : "no", eb);
			break;
		}
		pcap_set_buffer_size(open[n], 64 << 10);
		code = pcap_activate(open[n]);
		if (code != 0) {
			printf("out of descriptors after %s handles: %d [%s]\n", n > 0 ? "some" : "no", code, pcap_geterr(open[n]));
			pcap_close(open[n]);
			break;
		}
	}
	for (int i = 0; i < n; i++)
		pcap_close(open[i]);
	p = pcap_create(argv[1], eb);
	printf("after closing them: activate = %d\n", p ? pcap_activate(p) : -99);
	pcap_close(p);
	return 0;
}

/* Resources: thousands of live handles opened and closed leak no descriptor
 * and no mapping; running out of descriptors is an error, not a crash, and
 * capture works again once some are closed.
 *
 * usage: leaks <dev> <rounds>
 */
#include <pcap/pcap.h>
#include <dirent.h>
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

int main(int argc, char **argv)
{
	char eb[PCAP_ERRBUF_SIZE];
	if (argc != 3)
		return 2;
	int rounds = atoi(argv[2]);
	/* One round first, so lazily initialised library state is in place. */
	pcap_t *p = pcap_create(argv[1], eb);
	pcap_set_buffer_size(p, 1 << 20);
	pcap_activate(p);
	pcap_close(p);
	int fds = count_fds(), maps = count_maps();
	for (int i = 0; i < rounds; i++) {
		p = pcap_create(argv[1], eb);
		pcap_set_buffer_size(p, 64 << 10);
		if (pcap_activate(p) != 0) {
			printf("round %d: %s\n", i, pcap_geterr(p));
			return 1;
		}
		if (i % 3 == 0) {
			struct bpf_program prog;
			pcap_compile(p, &prog, "udp", 1, PCAP_NETMASK_UNKNOWN);
			pcap_setfilter(p, &prog);
			pcap_freecode(&prog);
		}
		pcap_close(p);
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

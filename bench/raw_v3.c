/* The ceiling: a bare TPACKET_V3 consumer (no library), in the shape of
 * packet_mmap.txt's example: 32 MiB in 2 MiB blocks, 1000 ms block timeout.
 * Captures on DEV until SIGUSR1, then prints the same line as consumer.c
 * (capture CPU after activation, and activation CPU apart).
 *
 * usage: raw_v3 <dev>
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "bench.h"
#include <sys/socket.h>

static volatile sig_atomic_t stopping;
static void stop(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	int v = TPACKET_V3;
	setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v);
	struct tpacket_req3 req = { .tp_block_size = 2 << 20, .tp_block_nr = 16, .tp_frame_size = 2048, .tp_retire_blk_tov = 1000 };
	req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) {
		perror("PACKET_RX_RING");
		return 1;
	}
	unsigned char *ring = mmap(NULL, (size_t)req.tp_block_size * req.tp_block_nr, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)if_nametoindex(argv[1]) };
	if (ring == MAP_FAILED || bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
		perror("setup");
		return 1;
	}
	double act = ready(stop);
	unsigned long got = 0;
	unsigned blk = 0;
	while (!stopping) {
		struct tpacket_block_desc *b = (void *)(ring + (size_t)blk * req.tp_block_size);
		if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
			struct pollfd p = { .fd = fd, .events = POLLIN | POLLERR };
			poll(&p, 1, -1);
			continue;
		}
		struct tpacket3_hdr *h = (void *)((unsigned char *)b + b->hdr.bh1.offset_to_first_pkt);
		for (unsigned i = 0; i < b->hdr.bh1.num_pkts; i++) {
			got += ((unsigned char *)h + h->tp_mac)[13] == 0xb5;
			h = (void *)((unsigned char *)h + h->tp_next_offset);
		}
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		blk = (blk + 1) % req.tp_block_nr;
	}
	struct tpacket_stats_v3 st;
	socklen_t sl = sizeof st;
	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
	printf("got %lu drop %u cpu %.6f act %.6f\n", got, st.tp_drops, cpu() - act, act);
	return 0;
}

/* Benchmark sender without a library: a plain TPACKET_V2 TX-ring loop on
 * DEV, COUNT frames of SIZE bytes, BATCH frames per send(). LINEAR=1 sets
 * PACKET_VNET_HDR and a virtio header asking the kernel to copy each frame
 * into the socket buffer (ringcap's linear mode); 0 leaves the kernel's
 * zero-copy page fragments. BYPASS=1 sets PACKET_QDISC_BYPASS. The ceiling
 * the library variants are measured against. Prints
 * "sent <frames> <seconds> <cpu seconds> 0" for the send loop only.
 *
 * usage: tx_raw <dev> <count> <size> <batch> <linear 0|1> <bypass 0|1>
 */
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "bench.h"

int main(int argc, char **argv)
{
	if (argc != 7)
		return 2;
	unsigned long count = strtoul(argv[2], NULL, 10);
	unsigned size = (unsigned)atoi(argv[3]), batch = (unsigned)atoi(argv[4]);
	int linear = atoi(argv[5]), bypass = atoi(argv[6]), one = 1, v = TPACKET_V2;
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v);
	if (linear && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) {
		perror("PACKET_VNET_HDR");
		return 1;
	}
	if (bypass)
		setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
	struct tpacket_req req = { .tp_block_size = 4096, .tp_block_nr = 128, .tp_frame_size = 2048, .tp_frame_nr = 256 };
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0) {
		perror("PACKET_TX_RING");
		return 1;
	}
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(argv[1]) };
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
		perror("bind");
		return 1;
	}
	unsigned char *ring = mmap(NULL, (size_t)req.tp_block_size * req.tp_block_nr, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_POPULATE, fd, 0);
	if (ring == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	unsigned char frame[2048] = { 0 };
	memcpy(frame, "\x02\x00\x00\x00\x00\x0a\x02\x00\x00\x00\x00\x0b\x88\xb5", 14);
	unsigned off = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll), vnet = linear ? 10 : 0;
	unsigned long sent = 0, idx = 0;
	double w0 = wall(), c0 = cpu();
	while (sent < count) {
		unsigned q = 0;
		while (q < batch && sent + q < count) {
			struct tpacket2_hdr *h = (void *)(ring + idx * req.tp_frame_size);
			if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING))
				break;
			unsigned char *d = (unsigned char *)h + off;
			if (linear) {
				memset(d, 0, 10);
				d[2] = size & 0xff; /* hdr_len, little-endian */
				d[3] = size >> 8;
			}
			memcpy(frame + 14, &sent, sizeof sent);
			memcpy(d + vnet, frame, size);
			h->tp_len = size + vnet;
			__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
			idx = (idx + 1) % req.tp_frame_nr;
			q++;
		}
		if (q == 0) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, 10);
			continue;
		}
		if (send(fd, NULL, 0, MSG_DONTWAIT) < 0) {
			perror("send");
			return 1;
		}
		sent += q;
	}
	double w = wall() - w0, c = cpu() - c0;
	printf("sent %lu %.6f %.6f 0\n", sent, w, c);
	return 0;
}

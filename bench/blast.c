/* Benchmark sender: COUNT frames of SIZE bytes through a TPACKET_V2 TX ring
 * on DEV (batches of 256 frames per send()), then prints
 * "sent <frames> <seconds>". The same sender feeds every consumer variant.
 * With PPS, frames go one at a time, PPS a second (for latency runs).
 *
 * usage: blast <dev> <count> <size> [pps]
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5)
		return 2;
	unsigned long count = strtoul(argv[2], NULL, 10);
	int size = atoi(argv[3]);
	double pps = argc == 5 ? atof(argv[4]) : 0;
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	int v = TPACKET_V2;
	setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v);
	struct tpacket_req req = { .tp_block_size = 1 << 20, .tp_block_nr = 16, .tp_frame_size = 2048 };
	req.tp_frame_nr = req.tp_block_size / req.tp_frame_size * req.tp_block_nr;
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0) {
		perror("PACKET_TX_RING");
		return 1;
	}
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(argv[1]) };
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
		perror("bind");
		return 1;
	}
	size_t len = (size_t)req.tp_block_size * req.tp_block_nr;
	unsigned char *ring = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	unsigned char frame[2048];
	memset(frame, 0, sizeof frame);
	memcpy(frame, "\x02\x00\x00\x00\x00\x0a\x02\x00\x00\x00\x00\x0b\x88\xb5", 14);
	unsigned data_off = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long sent = 0, idx = 0;
	while (sent < count) {
		if (pps > 0) {
			double at = t0.tv_sec + t0.tv_nsec / 1e9 + sent / pps;
			struct timespec due = { (time_t)at, (long)((at - (time_t)at) * 1e9) };
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
		}
		unsigned batch = 0;
		while (batch < (pps > 0 ? 1 : 256) && sent + batch < count) {
			struct tpacket2_hdr *h = (void *)(ring + idx * req.tp_frame_size);
			if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
				if (batch)
					break;
				struct pollfd p = { .fd = fd, .events = POLLOUT };
				poll(&p, 1, 10);
				continue;
			}
			uint32_t seq = htonl((uint32_t)(sent + batch));
			memcpy(frame + 14, &seq, 4);
			memcpy((unsigned char *)h + data_off, frame, (size_t)size);
			h->tp_len = (unsigned)size;
			__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
			idx = (idx + 1) % req.tp_frame_nr;
			batch++;
		}
		if (send(fd, NULL, 0, 0) < 0) {
			perror("send");
			return 1;
		}
		sent += batch;
	}
	/* Wait until the ring is drained. */
	for (unsigned long i = 0; i < req.tp_frame_nr; i++) {
		struct tpacket2_hdr *h = (void *)(ring + i * req.tp_frame_size);
		while (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING))
			send(fd, NULL, 0, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("sent %lu %.6f\n", sent, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

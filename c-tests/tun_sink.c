/* The far end of a tun device (IFF_TUN, no packet information): attaches to
 * the device, which gives it a carrier, prints READY, then prints every
 * packet the kernel transmits on it that carries the marker "RCAP", in hex,
 * one per line, until <count> of them arrived or <ms> passed. Prints
 * "NOTUN: <reason>" instead when /dev/net/tun cannot be opened (as an
 * unprivileged user).
 *
 * usage: tun_sink <dev> <count> <ms>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: tun_sink <dev> <count> <ms>\n");
		return 2;
	}
	int want = atoi(argv[2]);
	long until = now_ms() + atol(argv[3]);
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("NOTUN: /dev/net/tun: %s\nREADY\n", strerror(errno));
		return 0;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", argv[1]);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		printf("NOTUN: TUNSETIFF: %s\nREADY\n", strerror(errno));
		return 0;
	}
	printf("READY\n");
	fflush(stdout);
	static unsigned char buf[70000];
	int seen = 0;
	while (seen < want) {
		long left = until - now_ms();
		if (left <= 0)
			break;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			continue;
		if (!memmem(buf, (size_t)n, "RCAP", 4))
			continue;
		for (ssize_t i = 0; i < n; i++)
			printf("%02x", buf[i]);
		printf("\n");
		seen++;
	}
	fflush(stdout);
	return 0;
}

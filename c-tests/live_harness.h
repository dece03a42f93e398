/* Live-capture scaffolding shared by the C test programs that run against
 * both libraries: opening a capture at a TPACKET version, and reading
 * until the harness says it is done sending. */
#ifndef LIVE_HARNESS_H
#define LIVE_HARNESS_H
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>
#if __has_include(<ringcap.h>)
#include <ringcap.h>
#endif

/* Create a capture on dev with the TPACKET version asked for: against
 * ringcap, ringcap_set_tpacket_version(version) (1, 2 or 3); against
 * libpcap, 3 is its default and 2 its immediate mode (libpcap has no V1).
 * snaplen and buffer 0 keep the defaults. Not activated: the caller may
 * set more first. NULL (with the reason printed) on failure. */
static inline pcap_t *create_version(const char *dev, int version, int snaplen, int buffer, int timeout_ms)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(dev, eb);
	if (!p) {
		printf("create: %s\n", eb);
		return NULL;
	}
	if (snaplen)
		pcap_set_snaplen(p, snaplen);
	if (buffer)
		pcap_set_buffer_size(p, buffer);
	pcap_set_timeout(p, timeout_ms);
#ifdef RINGCAP_H
	if (ringcap_set_tpacket_version(p, version) != 0) {
		printf("version %d: %s\n", version, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
#else
	if (version == 2)
		pcap_set_immediate_mode(p, 1);
	else if (version != 3) {
		printf("version %d: not with libpcap\n", version);
		pcap_close(p);
		return NULL;
	}
#endif
	return p;
}

/* Activate (NULL, with the reason printed, on failure). */
static inline pcap_t *activate_or_null(pcap_t *p)
{
	if (p && pcap_activate(p) < 0) {
		printf("activate: %s\n", pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* Every packet the ring holds now, through cb; the count, or -1 on an
 * error (printed). The handle is non-blocking. */
static inline int drain(pcap_t *p, pcap_handler cb, u_char *user)
{
	int total = 0, n;
	while ((n = pcap_dispatch(p, -1, cb, user)) > 0)
		total += n;
	if (n < 0) {
		printf("dispatch: %d [%s]\n", n, pcap_geterr(p));
		return -1;
	}
	return total;
}

/* Read (the handle made non-blocking) while the harness sends, until it
 * writes a line on stdin, then the rest: the last frames may sit in a
 * TPACKET_V3 block until its timeout retires it, so read until the ring
 * stays empty for three pauses longer than that. With `busy` 0, nothing is
 * read before the line comes. 0, or -1 on an error (printed). */
static inline int read_until_told(pcap_t *p, int busy, int block_timeout_ms, pcap_handler cb, u_char *user)
{
	char eb[PCAP_ERRBUF_SIZE], line[64];
	if (pcap_setnonblock(p, 1, eb) != 0) {
		printf("setnonblock: %s\n", eb);
		return -1;
	}
	struct pollfd fds[2] = { { pcap_get_selectable_fd(p), POLLIN, 0 }, { 0, POLLIN, 0 } };
	while (busy) {
		poll(fds, 2, 10);
		if (drain(p, cb, user) < 0)
			return -1;
		if (fds[1].revents)
			break;
	}
	if (!fgets(line, sizeof line, stdin))
		return -1;
	for (int quiet = 0; quiet < 3;) {
		usleep((block_timeout_ms + 30) * 1000);
		int n = drain(p, cb, user);
		if (n < 0)
			return -1;
		quiet = n == 0 ? quiet + 1 : 0;
	}
	return 0;
}
#endif

/* The test frame of tests/common/netns.rs::frame, for C test programs:
 * 02:00:00:00:00:0a <- 02:00:00:00:00:0b, EtherType 0x88b5, a 4-byte
 * sequence number, "RCAP", then a pattern derived from the number. */
#ifndef TEST_FRAME_H
#define TEST_FRAME_H
#include <string.h>
#include <sys/types.h>

static inline unsigned frame(u_char *f, unsigned seq, unsigned len)
{
	static const u_char hdr[14] = { 2, 0, 0, 0, 0, 0x0a, 2, 0, 0, 0, 0, 0x0b, 0x88, 0xb5 };
	memcpy(f, hdr, 14);
	f[14] = seq >> 24;
	f[15] = seq >> 16;
	f[16] = seq >> 8;
	f[17] = seq;
	memcpy(f + 18, "RCAP", 4);
	for (unsigned i = 22; i < len; i++)
		f[i] = (u_char)(seq + i);
	return len;
}

/* The sequence number of a captured test frame (EtherType 0x88b5, untagged),
 * or -1 for any other packet. */
static inline long frame_seq(const u_char *d, unsigned caplen)
{
	if (caplen < 18 || d[12] != 0x88 || d[13] != 0xb5)
		return -1;
	return (long)d[14] << 24 | d[15] << 16 | d[16] << 8 | d[17];
}

/* Test frames delivered, and how many of them came out of order or twice
 * (a sequence number not above the one before). */
struct frame_count {
	unsigned delivered, out_of_order;
	long last;
};
#define FRAME_COUNT_INIT { 0, 0, -1 }

static inline void count_frame(struct frame_count *c, const u_char *d, unsigned caplen)
{
	long seq = frame_seq(d, caplen);
	if (seq < 0)
		return;
	c->out_of_order += seq <= c->last;
	c->last = seq;
	c->delivered++;
}
#endif

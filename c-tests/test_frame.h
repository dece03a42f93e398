/* The test frame of tests/common/netns.rs::frame, for C test programs:
 * 02:00:00:00:00:0a <- 02:00:00:00:00:0b, EtherType 0x88b5, a 4-byte
 * sequence number, "RCAP", then a pattern derived from the number. */
#ifndef TEST_FRAME_H
#define TEST_FRAME_H
#include <string.h>
#include <sys/types.h>

static unsigned frame(u_char *f, unsigned seq, unsigned len)
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
#endif

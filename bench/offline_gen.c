/* Write a classic pcap (µs, host byte order, Ethernet) of about SIZE MiB of
 * IPv4 frames with deterministic content, for bench/offline.sh. MIX is
 * imix (7 x 64, 4 x 576, 1 x 1500 bytes, the default), small (64 bytes)
 * or large (1514 bytes).
 *
 *   offline_gen OUT SIZE_MIB [MIX]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static const unsigned imix[12] = { 64, 576, 64, 64, 1500, 64, 576, 64, 64, 576, 64, 576 };
	static const unsigned small[1] = { 64 }, large[1] = { 1514 };
	const unsigned *sizes = imix;
	unsigned nsizes = 12;
	struct { uint32_t magic; uint16_t maj, min; int32_t zone; uint32_t sig, snap, lt; } fh =
	    { 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1 };
	unsigned char frame[1514];
	FILE *f;
	uint64_t target, written = 0, n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: offline_gen OUT SIZE_MIB [imix|small|large]\n");
		return 2;
	}
	if (argc > 3 && strcmp(argv[3], "small") == 0)
		sizes = small, nsizes = 1;
	else if (argc > 3 && strcmp(argv[3], "large") == 0)
		sizes = large, nsizes = 1;
	target = strtoull(argv[2], NULL, 10) << 20;
	f = fopen(argv[1], "wb");
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	for (unsigned i = 0; i < sizeof frame; i++)
		frame[i] = (unsigned char)(i * 31 + 7);
	memcpy(frame, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	fwrite(&fh, sizeof fh, 1, f);
	written = sizeof fh;
	while (written < target) {
		uint32_t len = sizes[n % nsizes] < sizeof frame ? sizes[n % nsizes] : sizeof frame;
		uint32_t rec[4] = { 1700000000u + (uint32_t)(n / 100000), (uint32_t)(n % 1000000), len, len };
		frame[14] = 0x45;
		frame[16] = (unsigned char)((len - 14) >> 8);
		frame[17] = (unsigned char)(len - 14);
		frame[20] = (unsigned char)n;
		fwrite(rec, sizeof rec, 1, f);
		fwrite(frame, len, 1, f);
		written += sizeof rec + len;
		n++;
	}
	if (fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	fprintf(stderr, "%llu packets, %llu bytes\n", (unsigned long long)n, (unsigned long long)written);
	return 0;
}

/* Savefile reading and writing through the libpcap API, printing every
 * header field and packet byte, so that the same program built against the
 * system libpcap and against ringcap can be compared line by line.
 *
 *   savefile_rw read FILE PREC HOW   HOW: next_ex loop dispatch next fopen stdin, or
 *                                    fopenN: fread N bytes first, then pcap_fopen_offline
 *   savefile_rw copy IN OUT PREC     pcap_loop(pcap_dump) into pcap_dump_open(OUT)
 *   savefile_rw fcopy IN OUT PREC    the same through pcap_dump_fopen, with flushes
 *   savefile_rw append IN OUT PREC   the same through pcap_dump_open_append
 *   savefile_rw flush IN OUT PREC    the same with pcap_dump_flush after every packet,
 *                                    printing ftell and the file's size (stat) each time
 *                                    (copy, append, flush: OUT "-" is the standard output;
 *                                    the text then goes to the standard error)
 *   savefile_rw dead OUT DLT SNAPLEN PREC   pcap_open_dead + synthetic packets
 *                                    (OUT "-": the standard output, nothing else printed)
 *   savefile_rw breakloop FILE       pcap_breakloop from a callback
 *   savefile_rw errors DIR           error texts of failing opens
 *   savefile_rw ops FILE             what savefile handles say to live-only calls
 *   savefile_rw file FILE SEEK       pcap_file: ftell after 2 packets, then
 *                                    (SEEK >= 0) fseek there and read on
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Where the text goes (the standard error when a savefile is written to the
 * standard output). */
static FILE *text;

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void print_facts(pcap_t *p)
{
	fprintf(text, "datalink=%d ext=%d snapshot=%d swapped=%d version=%d.%d precision=%d\n",
	    pcap_datalink(p), pcap_datalink_ext(p), pcap_snapshot(p), pcap_is_swapped(p),
	    pcap_major_version(p), pcap_minor_version(p), pcap_get_tstamp_precision(p));
}

static unsigned long npkt;

static void print_pkt(const struct pcap_pkthdr *h, const u_char *d)
{
	printf("pkt %lu ts=%lld.%ld caplen=%u len=%u ", npkt++, (long long)h->ts.tv_sec,
	    (long)h->ts.tv_usec, h->caplen, h->len);
	for (bpf_u_int32 i = 0; i < h->caplen; i++)
		printf("%02x", d[i]);
	printf("\n");
}

static void cb_print(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)user;
	print_pkt(h, d);
}

static void end(pcap_t *p, const char *what, int rc)
{
	fprintf(text, "%s rc=%d", what, rc);
	if (rc == -1)
		fprintf(text, " err=%s", pcap_geterr(p));
	fprintf(text, "\n");
}

/* use_fopen: 0, or 1 + how many bytes to fread before handing the stream
 * over (stdio then holds the rest of its buffer). */
static pcap_t *open_or_say(const char *file, unsigned prec, int use_fopen)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	if (use_fopen) {
		FILE *f = fopen(file, "rb");
		char skip[64];
		if (f == NULL) {
			fprintf(text, "fopen failed\n");
			return NULL;
		}
		if (use_fopen > 1 && fread(skip, 1, (size_t)(use_fopen - 1), f) != (size_t)(use_fopen - 1))
			fprintf(text, "short skip\n");
		p = pcap_fopen_offline_with_tstamp_precision(f, prec, errbuf);
		if (p == NULL)
			fclose(f);
		else if (pcap_file(p) != f)
			fprintf(text, "pcap_file is not the caller's stream\n");
	} else
		p = pcap_open_offline_with_tstamp_precision(file, prec, errbuf);
	if (p == NULL)
		fprintf(text, "open error: %s\n", errbuf);
	else
		print_facts(p);
	return p;
}

static int cmd_read(const char *file, unsigned prec, const char *how)
{
	int use_fopen = strncmp(how, "fopen", 5) == 0 ? 1 + atoi(how + 5) : 0;
	pcap_t *p = open_or_say(strcmp(how, "stdin") == 0 ? "-" : file, prec, use_fopen);
	int rc;

	if (p == NULL)
		return 0;
	if (strcmp(how, "loop") == 0) {
		rc = pcap_loop(p, -1, cb_print, NULL);
		end(p, "loop", rc);
	} else if (strcmp(how, "dispatch") == 0) {
		do {
			rc = pcap_dispatch(p, 3, cb_print, NULL);
			end(p, "dispatch", rc);
		} while (rc > 0);
	} else if (strcmp(how, "next") == 0) {
		struct pcap_pkthdr h;
		const u_char *d;
		while ((d = pcap_next(p, &h)) != NULL)
			print_pkt(&h, d);
		printf("next NULL err=%s\n", pcap_geterr(p));
	} else {
		struct pcap_pkthdr *h;
		const u_char *d;
		while ((rc = pcap_next_ex(p, &h, &d)) == 1)
			print_pkt(h, d);
		end(p, "next_ex", rc);
		/* At the end a file stays at its end. */
		end(p, "next_ex again", pcap_next_ex(p, &h, &d));
	}
	pcap_close(p);
	return 0;
}

struct flushing {
	pcap_dumper_t *d;
	const char *out;
};

/* pcap_dump, then pcap_dump_flush: everything written so far must be in the
 * file (its size is the stream's position). */
static void dump_and_flush(u_char *user, const struct pcap_pkthdr *h, const u_char *sp)
{
	struct flushing *f = (struct flushing *)user;
	long pos;
	int rc;

	pcap_dump((u_char *)f->d, h, sp);
	rc = pcap_dump_flush(f->d);
	pos = pcap_dump_ftell(f->d);
	fprintf(text, "flush %d ftell %ld size %lld\n", rc, pos, file_size(f->out));
}

static int cmd_copy(const char *in, const char *out, unsigned prec, const char *how)
{
	pcap_t *p;
	pcap_dumper_t *d;
	int rc;

	if (strcmp(out, "-") == 0)
		text = stderr;
	p = open_or_say(in, prec, 0);
	if (p == NULL)
		return 0;
	if (strcmp(how, "fcopy") == 0) {
		FILE *f = fopen(out, "wb");
		d = pcap_dump_fopen(p, f);
		if (d != NULL && pcap_dump_file(d) != f)
			fprintf(text, "pcap_dump_file is not the stream\n");
	} else if (strcmp(how, "append") == 0)
		d = pcap_dump_open_append(p, out);
	else
		d = pcap_dump_open(p, out);
	if (d == NULL) {
		fprintf(text, "dump open error: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 0;
	}
	fprintf(text, "ftell at start %ld %lld\n", pcap_dump_ftell(d), (long long)pcap_dump_ftell64(d));
	if (strcmp(how, "flush") == 0) {
		struct flushing f = { d, out };
		end(p, "loop", pcap_loop(p, -1, dump_and_flush, (u_char *)&f));
		pcap_dump_close(d);
		pcap_close(p);
		return 0;
	}
	rc = pcap_loop(p, 2, pcap_dump, (u_char *)d);
	end(p, "loop 2", rc);
	fprintf(text, "ftell %ld flush %d\n", pcap_dump_ftell(d), pcap_dump_flush(d));
	rc = pcap_loop(p, -1, pcap_dump, (u_char *)d);
	end(p, "loop rest", rc);
	fprintf(text, "ftell %lld flush %d\n", (long long)pcap_dump_ftell64(d), pcap_dump_flush(d));
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

static int cmd_dead(const char *out, int dlt, int snaplen, unsigned prec)
{
	pcap_t *p = pcap_open_dead_with_tstamp_precision(dlt, snaplen, prec);
	pcap_dumper_t *d = pcap_dump_open(p, out);
	u_char buf[300];
	struct pcap_pkthdr h;

	if (d == NULL) {
		printf("dump open error: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 0;
	}
	for (int i = 0; i < (int)sizeof buf; i++)
		buf[i] = (u_char)(i * 7 + 3);
	for (int i = 0; i < 40; i++) {
		h.ts.tv_sec = 1700000000L + i * 1000003L;
		h.ts.tv_usec = prec ? 999999999L - i * 12345L : 999999L - i * 123L;
		if (i == 5)
			h.ts.tv_sec = -5;
		if (i == 6)
			h.ts.tv_sec = 0x1234567890LL; /* cut to 32 bits, as libpcap does */
		h.caplen = (bpf_u_int32)(i * 7 % (int)sizeof buf);
		h.len = h.caplen + (bpf_u_int32)i;
		pcap_dump((u_char *)d, &h, buf);
		if (i % 10 == 0 && strcmp(out, "-") != 0)
			printf("ftell %ld flush %d\n", pcap_dump_ftell(d), pcap_dump_flush(d));
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

static pcap_t *brk_p;
static int brk_n;

static void cb_break(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)user;
	print_pkt(h, d);
	if (++brk_n == 2)
		pcap_breakloop(brk_p);
}

static int cmd_breakloop(const char *file)
{
	struct pcap_pkthdr *h;
	const u_char *d;

	brk_p = open_or_say(file, 0, 0);
	if (brk_p == NULL)
		return 0;
	end(brk_p, "loop with break", pcap_loop(brk_p, -1, cb_break, NULL));
	end(brk_p, "dispatch after break", pcap_dispatch(brk_p, -1, cb_print, NULL));
	pcap_breakloop(brk_p);
	end(brk_p, "next_ex after break", pcap_next_ex(brk_p, &h, &d));
	end(brk_p, "next_ex", pcap_next_ex(brk_p, &h, &d));
	end(brk_p, "loop 1", pcap_loop(brk_p, 1, cb_print, NULL));
	pcap_close(brk_p);
	return 0;
}

static int cmd_errors(const char *dir)
{
	char errbuf[PCAP_ERRBUF_SIZE], path[4096];
	pcap_t *p;

	p = pcap_open_offline(NULL, errbuf);
	printf("null name: %s %s\n", p ? "opened" : "NULL", errbuf);
	snprintf(path, sizeof path, "%s/does-not-exist.pcap", dir);
	p = pcap_open_offline(path, errbuf);
	printf("missing: %s %s\n", p ? "opened" : "NULL", p ? "" : errbuf + strlen(dir));
	p = pcap_open_offline(dir, errbuf);
	printf("directory: %s %s\n", p ? "opened" : "NULL", p ? "" : errbuf + strlen(dir));
	p = pcap_fopen_offline(NULL, errbuf);
	printf("null stream: %s %s\n", p ? "opened" : "NULL", errbuf);

	p = pcap_open_dead(DLT_EN10MB, 65535);
	snprintf(path, sizeof path, "%s/no/such/dir/out.pcap", dir);
	printf("dump into missing dir: %s ", pcap_dump_open(p, path) ? "opened" : "NULL");
	printf("%s\n", pcap_geterr(p) + strlen(dir));
	printf("dump null name: %s %s\n", pcap_dump_open(p, NULL) ? "opened" : "NULL", pcap_geterr(p));
	pcap_close(p);
	p = pcap_open_dead(14, 65535);
	printf("dump unknown dlt: %s %s\n", pcap_dump_open(p, "x.pcap") ? "opened" : "NULL", pcap_geterr(p));
	printf("append unknown dlt: %s %s\n", pcap_dump_open_append(p, "x.pcap") ? "opened" : "NULL", pcap_geterr(p));
	pcap_close(p);
	p = pcap_open_dead(DLT_EN10MB, 65535);
	printf("swapped/version on dead: %d %d %d\n", pcap_is_swapped(p), pcap_major_version(p), pcap_minor_version(p));
	printf("pcap_file on dead: %s\n", pcap_file(p) ? "stream" : "NULL");
	pcap_close(p);
	return 0;
}

static int cmd_offline_ops(const char *file)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_stat st;
	pcap_t *p = pcap_open_offline(file, errbuf);

	if (p == NULL) {
		printf("open error: %s\n", errbuf);
		return 0;
	}
	printf("stats %d %s\n", pcap_stats(p, &st), pcap_geterr(p));
	printf("setnonblock %d %s\n", pcap_setnonblock(p, 1, errbuf), errbuf);
	printf("getnonblock %d\n", pcap_getnonblock(p, errbuf));
	printf("setdirection %d %s\n", pcap_setdirection(p, PCAP_D_IN), pcap_geterr(p));
	printf("set_datalink same %d\n", pcap_set_datalink(p, pcap_datalink(p)));
	printf("fileno %d\n", pcap_fileno(p));
	pcap_close(p);
	return 0;
}

static int cmd_file(const char *file, long seek)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p = open_or_say(file, 0, 0);
	FILE *f;
	int rc;

	if (p == NULL)
		return 0;
	for (int i = 0; i < 2 && pcap_next_ex(p, &h, &d) == 1; i++)
		print_pkt(h, d);
	f = pcap_file(p);
	printf("pcap_file %s ftell %ld\n", f ? "stream" : "NULL", f ? ftell(f) : -1L);
	if (f != NULL && seek >= 0)
		printf("fseek %d\n", fseek(f, seek, SEEK_SET));
	while ((rc = pcap_next_ex(p, &h, &d)) == 1)
		print_pkt(h, d);
	end(p, "next_ex", rc);
	printf("ftell at end %ld\n", f ? ftell(f) : -1L);
	pcap_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	text = stdout;
	if (argc >= 5 && strcmp(argv[1], "read") == 0)
		return cmd_read(argv[2], (unsigned)atoi(argv[3]), argv[4]);
	if (argc >= 5 && (strcmp(argv[1], "copy") == 0 || strcmp(argv[1], "fcopy") == 0 ||
	    strcmp(argv[1], "append") == 0 || strcmp(argv[1], "flush") == 0))
		return cmd_copy(argv[2], argv[3], (unsigned)atoi(argv[4]), argv[1]);
	if (argc >= 6 && strcmp(argv[1], "dead") == 0)
		return cmd_dead(argv[2], atoi(argv[3]), atoi(argv[4]), (unsigned)atoi(argv[5]));
	if (argc >= 3 && strcmp(argv[1], "breakloop") == 0)
		return cmd_breakloop(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "errors") == 0)
		return cmd_errors(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "ops") == 0)
		return cmd_offline_ops(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "file") == 0)
		return cmd_file(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of savefile_rw.c\n");
	return 2;
}

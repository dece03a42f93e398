/* The live-capture API as a user sees it: return codes, error texts, state
 * rules and captured bytes. Built against the system libpcap and against
 * ringcap; run in a private namespace with the same devices and frames, the
 * two outputs must be identical.
 *
 * usage: live_api <capture dev> <frames> <down dev>
 * Prints READY when the capture is open; the harness then sends <frames>
 * test frames (EtherType 0x88b5) to <capture dev>.
 */
#include <pcap/pcap.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHOW(expr) printf("%s = %d\n", #expr, (int)(expr))
#define SHOWERR(p, expr) do { int r_ = (expr); printf("%s = %d [%s]\n", #expr, r_, pcap_geterr(p)); } while (0)

static void hex(const u_char *d, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		printf("%02x", d[i]);
	printf("\n");
}

static int is_test(const u_char *d, unsigned caplen)
{
	return caplen >= 18 && d[12] == 0x88 && d[13] == 0xb5;
}

static int seen;
static void cb(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	(void)user;
	if (!is_test(d, h->caplen))
		return;
	seen++;
	printf("dispatch caplen=%u len=%u ", h->caplen, h->len);
	hex(d, h->caplen);
}

static void static_tables(void)
{
	for (int s = -13; s <= 4; s++)
		printf("statustostr(%d) = %s\n", s, pcap_statustostr(s));
	printf("statustostr(99) = %s\n", pcap_statustostr(99));
	printf("lib_version prefix = %.22s\n", pcap_lib_version());
	printf("strerror(ENODEV) = %s\n", pcap_strerror(ENODEV));
	int dlts[] = { 0, 1, 12, 101, 113, 127, 143, 228, 276, 9999 };
	for (unsigned i = 0; i < sizeof dlts / sizeof dlts[0]; i++) {
		const char *n = pcap_datalink_val_to_name(dlts[i]);
		const char *d = pcap_datalink_val_to_description(dlts[i]);
		printf("dlt %d = %s / %s / %s\n", dlts[i], n ? n : "(null)", d ? d : "(null)",
		    pcap_datalink_val_to_description_or_dlt(dlts[i]));
	}
	SHOW(pcap_datalink_name_to_val("en10mb"));
	SHOW(pcap_datalink_name_to_val("LINUX_SLL2"));
	SHOW(pcap_datalink_name_to_val("nope"));
	for (int t = -1; t <= 6; t++) {
		const char *n = pcap_tstamp_type_val_to_name(t);
		const char *d = pcap_tstamp_type_val_to_description(t);
		printf("tstamp %d = %s / %s\n", t, n ? n : "(null)", d ? d : "(null)");
	}
	SHOW(pcap_tstamp_type_name_to_val("adapter_unsynced"));
	SHOW(pcap_tstamp_type_name_to_val("HOST"));
	SHOW(pcap_tstamp_type_name_to_val("nope"));
}

static void inactive_rules(const char *dev)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(dev, eb);
	if (!p) {
		printf("create failed: %s\n", eb);
		exit(1);
	}
	struct pcap_stat st;
	struct pcap_pkthdr *h;
	const u_char *d;
	int *list;
	SHOW(pcap_datalink(p));
	SHOW(pcap_snapshot(p));
	SHOW(pcap_bufsize(p));
	SHOW(pcap_fileno(p));
	SHOW(pcap_get_selectable_fd(p));
	SHOWERR(p, pcap_stats(p, &st));
	SHOWERR(p, pcap_setdirection(p, PCAP_D_IN));
	SHOWERR(p, pcap_dispatch(p, 1, cb, NULL));
	SHOWERR(p, pcap_next_ex(p, &h, &d));
	SHOW(pcap_list_datalinks(p, &list));
	SHOW(pcap_can_set_rfmon(p));
	eb[0] = 0;
	SHOW(pcap_getnonblock(p, eb));
	int n = pcap_list_tstamp_types(p, &list);
	printf("tstamp types %d:", n);
	for (int i = 0; i < n; i++)
		printf(" %d", list[i]);
	printf("\n");
	pcap_free_tstamp_types(list);
	SHOW(pcap_set_tstamp_type(p, PCAP_TSTAMP_ADAPTER));
	SHOW(pcap_set_tstamp_type(p, PCAP_TSTAMP_HOST));
	SHOW(pcap_set_tstamp_precision(p, 5));
	SHOW(pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO));
	SHOW(pcap_get_tstamp_precision(p));
	SHOW(pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO));
	SHOW(pcap_set_buffer_size(p, -5));
	SHOW(pcap_setnonblock(p, 1, eb));
	pcap_close(p);
}

static void bad_devices(const char *down)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create("nosuch0", eb);
	SHOWERR(p, pcap_activate(p));
	pcap_close(p);
	p = pcap_create("a_device_name_that_is_far_too_long", eb);
	SHOWERR(p, pcap_activate(p));
	pcap_close(p);
	p = pcap_open_live("nosuch0", 100, 0, 10, eb);
	printf("open_live(nosuch0) = %s [%s]\n", p ? "handle" : "NULL", eb);
	p = pcap_create(down, eb);
	SHOWERR(p, pcap_activate(p));
	pcap_close(p);
	p = pcap_create(down, eb);
	pcap_set_rfmon(p, 1);
	SHOWERR(p, pcap_activate(p));
	pcap_close(p);
}

static void any_device(void)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create("any", eb);
	pcap_set_promisc(p, 1);
	pcap_set_snaplen(p, 10);
	SHOWERR(p, pcap_activate(p));
	SHOW(pcap_datalink(p));
	SHOW(pcap_snapshot(p));
	int *list;
	int n = pcap_list_datalinks(p, &list);
	printf("any datalinks %d:", n);
	for (int i = 0; i < n; i++)
		printf(" %d", list[i]);
	printf("\n");
	pcap_free_datalinks(list);
	SHOW(pcap_set_datalink(p, 276));
	SHOW(pcap_datalink(p));
	SHOWERR(p, pcap_set_datalink(p, 1));
	SHOWERR(p, pcap_set_datalink(p, 4242));
	pcap_close(p);
}

static void dead_handle(void)
{
	pcap_t *p = pcap_open_dead(DLT_RAW, 1234);
	struct pcap_stat st;
	char eb[PCAP_ERRBUF_SIZE];
	SHOW(pcap_datalink(p));
	SHOW(pcap_snapshot(p));
	SHOW(pcap_fileno(p));
	SHOW(pcap_get_tstamp_precision(p));
	SHOWERR(p, pcap_stats(p, &st));
	SHOWERR(p, pcap_dispatch(p, 1, cb, NULL));
	SHOWERR(p, pcap_setdirection(p, PCAP_D_OUT));
	SHOWERR(p, pcap_can_set_rfmon(p));
	eb[0] = 0;
	printf("dead getnonblock = %d [%s]\n", pcap_getnonblock(p, eb), eb);
	SHOWERR(p, pcap_set_datalink(p, DLT_RAW));
	SHOWERR(p, pcap_set_datalink(p, DLT_EN10MB));
	pcap_close(p);
	p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, 7);
	SHOW(pcap_get_tstamp_precision(p));
	pcap_close(p);
	p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	SHOW(pcap_get_tstamp_precision(p));
	pcap_close(p);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: live_api <dev> <frames> <down dev>\n");
		return 2;
	}
	const char *dev = argv[1];
	int want = atoi(argv[2]);
	static_tables();
	inactive_rules(dev);
	bad_devices(argv[3]);
	any_device();
	dead_handle();

	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(dev, eb);
	pcap_set_timeout(p, 100);
	pcap_setnonblock(p, 1, eb);
	SHOWERR(p, pcap_activate(p));
	SHOWERR(p, pcap_activate(p));
	SHOWERR(p, pcap_set_snaplen(p, 100));
	SHOWERR(p, pcap_set_promisc(p, 1));
	SHOW(pcap_datalink(p));
	SHOW(pcap_snapshot(p));
	SHOW(pcap_bufsize(p));
	SHOW(pcap_getnonblock(p, eb));
	SHOW(pcap_setnonblock(p, 0, eb));
	SHOW(pcap_getnonblock(p, eb));
	SHOW(pcap_fileno(p) >= 0 && pcap_fileno(p) == pcap_get_selectable_fd(p));
	int *list;
	int n = pcap_list_datalinks(p, &list);
	printf("datalinks %d:", n);
	for (int i = 0; i < n; i++)
		printf(" %d", list[i]);
	printf("\n");
	pcap_free_datalinks(list);
	SHOW(pcap_set_datalink(p, 143));
	SHOW(pcap_datalink(p));
	SHOW(pcap_set_datalink(p, DLT_EN10MB));
	SHOWERR(p, pcap_set_datalink(p, DLT_RAW));
	SHOWERR(p, pcap_setdirection(p, 7));
	SHOW(pcap_setdirection(p, PCAP_D_INOUT));
	SHOW(pcap_can_set_rfmon(p));

	printf("READY\n");
	fflush(stdout);
	time_t end = time(NULL) + 10;
	struct pcap_pkthdr *h;
	const u_char *d;
	while (seen < want && time(NULL) < end) {
		/* Alternate the three read paths. */
		if (seen % 3 == 2) {
			struct pcap_pkthdr ph;
			const u_char *pd = pcap_next(p, &ph);
			if (pd && is_test(pd, ph.caplen)) {
				seen++;
				printf("next caplen=%u len=%u ", ph.caplen, ph.len);
				hex(pd, ph.caplen);
			}
		} else if (seen % 3 == 0) {
			int r = pcap_next_ex(p, &h, &d);
			if (r < 0) {
				printf("next_ex error %d %s\n", r, pcap_geterr(p));
				break;
			}
			if (r == 1 && is_test(d, h->caplen)) {
				seen++;
				printf("next_ex caplen=%u len=%u ", h->caplen, h->len);
				hex(d, h->caplen);
			}
		} else {
			int r = pcap_dispatch(p, 1, cb, NULL);
			if (r < 0) {
				printf("dispatch error %d %s\n", r, pcap_geterr(p));
				break;
			}
		}
	}
	struct pcap_stat st;
	SHOW(pcap_stats(p, &st));
	printf("stats recv=%u drop=%u ifdrop=%u\n", st.ps_recv, st.ps_drop, st.ps_ifdrop);
	pcap_close(p);
	return 0;
}

/*
 * ringcap: the libpcap 1.10 API (<pcap/pcap.h>), implemented on Linux
 * PACKET_MMAP rings. Structures, constants and prototypes match the libpcap
 * 1.10.3 ABI, so programs written for libpcap compile and link unchanged.
 * ringcap's own extensions are declared in <ringcap.h>.
 */
#ifndef lib_pcap_pcap_h
#define lib_pcap_pcap_h

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <pcap/bpf.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4

#define PCAP_ERRBUF_SIZE 256

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;
typedef struct pcap_if pcap_if_t;
typedef struct pcap_addr pcap_addr_t;

/* The global header of a classic pcap savefile. */
struct pcap_file_header {
	bpf_u_int32 magic;
	u_short version_major;
	u_short version_minor;
	bpf_int32 thiszone;
	bpf_u_int32 sigfigs;
	bpf_u_int32 snaplen;
	bpf_u_int32 linktype;
};

#define LT_FCS_LENGTH_PRESENT(x)	((x) & 0x04000000)
#define LT_FCS_LENGTH(x)		(((x) & 0xF0000000) >> 28)
#define LT_FCS_DATALINK_EXT(x)		((((x) & 0xF) << 28) | 0x04000000)

typedef enum {
	PCAP_D_INOUT = 0,
	PCAP_D_IN,
	PCAP_D_OUT
} pcap_direction_t;

/* Per-packet header; ts.tv_usec holds nanoseconds on nanosecond handles. */
struct pcap_pkthdr {
	struct timeval ts;
	bpf_u_int32 caplen;
	bpf_u_int32 len;
};

/* pcap_stats() counters. */
struct pcap_stat {
	u_int ps_recv;
	u_int ps_drop;
	u_int ps_ifdrop;
};

/* An interface, as pcap_findalldevs() lists it. */
struct pcap_if {
	struct pcap_if *next;
	char *name;
	char *description;
	struct pcap_addr *addresses;
	bpf_u_int32 flags;
};

#define PCAP_IF_LOOPBACK				0x00000001
#define PCAP_IF_UP					0x00000002
#define PCAP_IF_RUNNING					0x00000004
#define PCAP_IF_WIRELESS				0x00000008
#define PCAP_IF_CONNECTION_STATUS			0x00000030
#define PCAP_IF_CONNECTION_STATUS_UNKNOWN		0x00000000
#define PCAP_IF_CONNECTION_STATUS_CONNECTED		0x00000010
#define PCAP_IF_CONNECTION_STATUS_DISCONNECTED		0x00000020
#define PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE	0x00000030

/* One address of an interface. */
struct pcap_addr {
	struct pcap_addr *next;
	struct sockaddr *addr;
	struct sockaddr *netmask;
	struct sockaddr *broadaddr;
	struct sockaddr *dstaddr;
};

typedef void (*pcap_handler)(u_char *, const struct pcap_pkthdr *, const u_char *);

/* Error codes (negative) and warnings (positive). */
#define PCAP_ERROR			-1
#define PCAP_ERROR_BREAK		-2
#define PCAP_ERROR_NOT_ACTIVATED	-3
#define PCAP_ERROR_ACTIVATED		-4
#define PCAP_ERROR_NO_SUCH_DEVICE	-5
#define PCAP_ERROR_RFMON_NOTSUP		-6
#define PCAP_ERROR_NOT_RFMON		-7
#define PCAP_ERROR_PERM_DENIED		-8
#define PCAP_ERROR_IFACE_NOT_UP		-9
#define PCAP_ERROR_CANTSET_TSTAMP_TYPE	-10
#define PCAP_ERROR_PROMISC_PERM_DENIED	-11
#define PCAP_ERROR_TSTAMP_PRECISION_NOTSUP -12

#define PCAP_WARNING			1
#define PCAP_WARNING_PROMISC_NOTSUP	2
#define PCAP_WARNING_TSTAMP_TYPE_NOTSUP	3

#define PCAP_NETMASK_UNKNOWN	0xffffffff

#define PCAP_CHAR_ENC_LOCAL	0x00000000U
#define PCAP_CHAR_ENC_UTF_8	0x00000001U

/* Library set-up. */
extern int	pcap_init(unsigned int, char *);
extern char	*pcap_lookupdev(char *)
#if defined(__GNUC__)
	__attribute__((deprecated("use 'pcap_findalldevs' and use the first device")))
#endif
	;
extern int	pcap_lookupnet(const char *, bpf_u_int32 *, bpf_u_int32 *, char *);

/* Live capture: create, set options, activate. */
extern pcap_t	*pcap_create(const char *, char *);
extern int	pcap_set_snaplen(pcap_t *, int);
extern int	pcap_set_promisc(pcap_t *, int);
extern int	pcap_can_set_rfmon(pcap_t *);
extern int	pcap_set_rfmon(pcap_t *, int);
extern int	pcap_set_timeout(pcap_t *, int);
extern int	pcap_set_tstamp_type(pcap_t *, int);
extern int	pcap_set_immediate_mode(pcap_t *, int);
extern int	pcap_set_buffer_size(pcap_t *, int);
extern int	pcap_set_tstamp_precision(pcap_t *, int);
extern int	pcap_get_tstamp_precision(pcap_t *);
extern int	pcap_set_protocol_linux(pcap_t *, int);
extern int	pcap_activate(pcap_t *);

extern int	pcap_list_tstamp_types(pcap_t *, int **);
extern void	pcap_free_tstamp_types(int *);
extern int	pcap_tstamp_type_name_to_val(const char *);
extern const char *pcap_tstamp_type_val_to_name(int);
extern const char *pcap_tstamp_type_val_to_description(int);

/* Timestamp types and precisions. */
#define PCAP_TSTAMP_HOST			0
#define PCAP_TSTAMP_HOST_LOWPREC		1
#define PCAP_TSTAMP_HOST_HIPREC			2
#define PCAP_TSTAMP_ADAPTER			3
#define PCAP_TSTAMP_ADAPTER_UNSYNCED		4
#define PCAP_TSTAMP_HOST_HIPREC_UNSYNCED	5

#define PCAP_TSTAMP_PRECISION_MICRO	0
#define PCAP_TSTAMP_PRECISION_NANO	1

extern pcap_t	*pcap_open_live(const char *, int, int, int, char *);
extern pcap_t	*pcap_open_dead(int, int);
extern pcap_t	*pcap_open_dead_with_tstamp_precision(int, int, u_int);
extern pcap_t	*pcap_open_offline_with_tstamp_precision(const char *, u_int, char *);
extern pcap_t	*pcap_open_offline(const char *, char *);
extern pcap_t	*pcap_fopen_offline_with_tstamp_precision(FILE *, u_int, char *);
extern pcap_t	*pcap_fopen_offline(FILE *, char *);

extern void	pcap_close(pcap_t *);

/* Reading packets. */
extern int	pcap_loop(pcap_t *, int, pcap_handler, u_char *);
extern int	pcap_dispatch(pcap_t *, int, pcap_handler, u_char *);
extern const u_char *pcap_next(pcap_t *, struct pcap_pkthdr *);
extern int	pcap_next_ex(pcap_t *, struct pcap_pkthdr **, const u_char **);
extern void	pcap_breakloop(pcap_t *);
extern int	pcap_stats(pcap_t *, struct pcap_stat *);
extern int	pcap_setfilter(pcap_t *, struct bpf_program *);
extern int	pcap_setdirection(pcap_t *, pcap_direction_t);
extern int	pcap_getnonblock(pcap_t *, char *);
extern int	pcap_setnonblock(pcap_t *, int, char *);

/* Sending packets. */
extern int	pcap_inject(pcap_t *, const void *, size_t);
extern int	pcap_sendpacket(pcap_t *, const u_char *, int);

/* Errors and status. */
extern const char *pcap_statustostr(int);
extern const char *pcap_strerror(int);
extern char	*pcap_geterr(pcap_t *);
extern void	pcap_perror(pcap_t *, const char *);

/* Filters. */
extern int	pcap_compile(pcap_t *, struct bpf_program *, const char *, int, bpf_u_int32);
extern int	pcap_compile_nopcap(int, int, struct bpf_program *, const char *, int, bpf_u_int32)
#if defined(__GNUC__)
	__attribute__((deprecated("use pcap_open_dead(), pcap_compile() and pcap_close()")))
#endif
	;
extern void	pcap_freecode(struct bpf_program *);
extern int	pcap_offline_filter(const struct bpf_program *, const struct pcap_pkthdr *, const u_char *);

/* Link-layer types. */
extern int	pcap_datalink(pcap_t *);
extern int	pcap_datalink_ext(pcap_t *);
extern int	pcap_list_datalinks(pcap_t *, int **);
extern int	pcap_set_datalink(pcap_t *, int);
extern void	pcap_free_datalinks(int *);
extern int	pcap_datalink_name_to_val(const char *);
extern const char *pcap_datalink_val_to_name(int);
extern const char *pcap_datalink_val_to_description(int);
extern const char *pcap_datalink_val_to_description_or_dlt(int);

/* Handle properties. */
extern int	pcap_snapshot(pcap_t *);
extern int	pcap_is_swapped(pcap_t *);
extern int	pcap_major_version(pcap_t *);
extern int	pcap_minor_version(pcap_t *);
extern int	pcap_bufsize(pcap_t *);
extern FILE	*pcap_file(pcap_t *);
extern int	pcap_fileno(pcap_t *);
extern int	pcap_get_selectable_fd(pcap_t *);
extern const struct timeval *pcap_get_required_select_timeout(pcap_t *);

/* Writing savefiles. */
extern pcap_dumper_t *pcap_dump_open(pcap_t *, const char *);
extern pcap_dumper_t *pcap_dump_fopen(pcap_t *, FILE *fp);
extern pcap_dumper_t *pcap_dump_open_append(pcap_t *, const char *);
extern FILE	*pcap_dump_file(pcap_dumper_t *);
extern long	pcap_dump_ftell(pcap_dumper_t *);
extern int64_t	pcap_dump_ftell64(pcap_dumper_t *);
extern int	pcap_dump_flush(pcap_dumper_t *);
extern void	pcap_dump_close(pcap_dumper_t *);
extern void	pcap_dump(u_char *, const struct pcap_pkthdr *, const u_char *);

/* Devices. */
extern int	pcap_findalldevs(pcap_if_t **, char *);
extern void	pcap_freealldevs(pcap_if_t *);

extern const char *pcap_lib_version(void);

/* The WinPcap/Npcap send-queue API, which ringcap also provides on Linux. */
struct pcap_send_queue {
	u_int maxlen;
	u_int len;
	char *buffer;
};
typedef struct pcap_send_queue pcap_send_queue;
extern pcap_send_queue *pcap_sendqueue_alloc(u_int memsize);
extern void	pcap_sendqueue_destroy(pcap_send_queue *queue);
extern int	pcap_sendqueue_queue(pcap_send_queue *queue, const struct pcap_pkthdr *pkt_header, const u_char *pkt_data);
extern u_int	pcap_sendqueue_transmit(pcap_t *p, pcap_send_queue *queue, int sync);

#ifdef __cplusplus
}
#endif

#endif /* lib_pcap_pcap_h */

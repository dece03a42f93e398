/*
 * ringcap: the name database interface of libpcap 1.10 (<pcap/namedb.h>).
 */
#ifndef lib_pcap_namedb_h
#define lib_pcap_namedb_h

#include <stdio.h>
#include <pcap/pcap.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One entry of /etc/ethers, as pcap_next_etherent returns it. */
struct pcap_etherent {
	u_char addr[6];
	char name[122];
};
#ifndef PCAP_ETHERS_FILE
#define PCAP_ETHERS_FILE "/etc/ethers"
#endif
extern struct pcap_etherent *pcap_next_etherent(FILE *);
extern u_char *pcap_ether_hostton(const char*);
extern u_char *pcap_ether_aton(const char *);

extern bpf_u_int32 **pcap_nametoaddr(const char *)
#if defined(__GNUC__)
	__attribute__((deprecated("use pcap_nametoaddrinfo()")))
#endif
	;
struct addrinfo;
extern struct addrinfo *pcap_nametoaddrinfo(const char *);
extern bpf_u_int32 pcap_nametonetaddr(const char *);

extern int pcap_nametoport(const char *, int *, int *);
extern int pcap_nametoportrange(const char *, int *, int *, int *);
extern int pcap_nametoproto(const char *);
extern int pcap_nametoeproto(const char *);
extern int pcap_nametollc(const char *);

/* A protocol number that pcap_nametoport and friends could not resolve. */
#define PROTO_UNDEF -1

#ifdef __cplusplus
}
#endif

#endif /* lib_pcap_namedb_h */

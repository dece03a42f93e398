/* Prints the sizes, offsets and values of libpcap's ABI as the included
 * header defines them; built against the system header and against ringcap's,
 * the two outputs must be identical. */
#include <pcap/pcap.h>
#include <pcap/namedb.h>
#include <stddef.h>
#include <stdio.h>

#define SZ(t) printf("sizeof(%s) = %zu\n", #t, sizeof(t))
#define OFF(t, f) printf("offsetof(%s, %s) = %zu\n", #t, #f, offsetof(t, f))
#define VAL(c) printf("%s = %lld\n", #c, (long long)(c))

int main(void)
{
	SZ(struct pcap_pkthdr); OFF(struct pcap_pkthdr, ts); OFF(struct pcap_pkthdr, caplen); OFF(struct pcap_pkthdr, len);
	SZ(struct pcap_stat); OFF(struct pcap_stat, ps_recv); OFF(struct pcap_stat, ps_drop); OFF(struct pcap_stat, ps_ifdrop);
	SZ(struct bpf_program); OFF(struct bpf_program, bf_len); OFF(struct bpf_program, bf_insns);
	SZ(struct bpf_insn); OFF(struct bpf_insn, code); OFF(struct bpf_insn, jt); OFF(struct bpf_insn, jf); OFF(struct bpf_insn, k);
	SZ(pcap_if_t); OFF(pcap_if_t, next); OFF(pcap_if_t, name); OFF(pcap_if_t, description); OFF(pcap_if_t, addresses); OFF(pcap_if_t, flags);
	SZ(pcap_addr_t); OFF(pcap_addr_t, next); OFF(pcap_addr_t, addr); OFF(pcap_addr_t, netmask); OFF(pcap_addr_t, broadaddr); OFF(pcap_addr_t, dstaddr);
	SZ(struct pcap_file_header); OFF(struct pcap_file_header, magic); OFF(struct pcap_file_header, version_major);
	OFF(struct pcap_file_header, version_minor); OFF(struct pcap_file_header, thiszone); OFF(struct pcap_file_header, sigfigs);
	OFF(struct pcap_file_header, snaplen); OFF(struct pcap_file_header, linktype);
	SZ(struct pcap_etherent); OFF(struct pcap_etherent, addr); OFF(struct pcap_etherent, name);
	SZ(pcap_direction_t); VAL(PCAP_D_INOUT); VAL(PCAP_D_IN); VAL(PCAP_D_OUT);
	VAL(PCAP_VERSION_MAJOR); VAL(PCAP_VERSION_MINOR); VAL(PCAP_ERRBUF_SIZE);
	VAL(PCAP_ERROR); VAL(PCAP_ERROR_BREAK); VAL(PCAP_ERROR_NOT_ACTIVATED); VAL(PCAP_ERROR_ACTIVATED);
	VAL(PCAP_ERROR_NO_SUCH_DEVICE); VAL(PCAP_ERROR_RFMON_NOTSUP); VAL(PCAP_ERROR_NOT_RFMON); VAL(PCAP_ERROR_PERM_DENIED);
	VAL(PCAP_ERROR_IFACE_NOT_UP); VAL(PCAP_ERROR_CANTSET_TSTAMP_TYPE); VAL(PCAP_ERROR_PROMISC_PERM_DENIED);
	VAL(PCAP_ERROR_TSTAMP_PRECISION_NOTSUP);
	VAL(PCAP_WARNING); VAL(PCAP_WARNING_PROMISC_NOTSUP); VAL(PCAP_WARNING_TSTAMP_TYPE_NOTSUP);
	VAL(PCAP_NETMASK_UNKNOWN); VAL(PCAP_CHAR_ENC_LOCAL); VAL(PCAP_CHAR_ENC_UTF_8);
	VAL(PCAP_TSTAMP_HOST); VAL(PCAP_TSTAMP_HOST_LOWPREC); VAL(PCAP_TSTAMP_HOST_HIPREC); VAL(PCAP_TSTAMP_ADAPTER);
	VAL(PCAP_TSTAMP_ADAPTER_UNSYNCED); VAL(PCAP_TSTAMP_HOST_HIPREC_UNSYNCED);
	VAL(PCAP_TSTAMP_PRECISION_MICRO); VAL(PCAP_TSTAMP_PRECISION_NANO);
	VAL(PCAP_IF_LOOPBACK); VAL(PCAP_IF_UP); VAL(PCAP_IF_RUNNING); VAL(PCAP_IF_WIRELESS); VAL(PCAP_IF_CONNECTION_STATUS);
	VAL(PCAP_IF_CONNECTION_STATUS_UNKNOWN); VAL(PCAP_IF_CONNECTION_STATUS_CONNECTED);
	VAL(PCAP_IF_CONNECTION_STATUS_DISCONNECTED); VAL(PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE);
	VAL(BPF_LD); VAL(BPF_LDX); VAL(BPF_ST); VAL(BPF_STX); VAL(BPF_ALU); VAL(BPF_JMP); VAL(BPF_RET); VAL(BPF_MISC);
	VAL(BPF_W); VAL(BPF_H); VAL(BPF_B); VAL(BPF_IMM); VAL(BPF_ABS); VAL(BPF_IND); VAL(BPF_MEM); VAL(BPF_LEN); VAL(BPF_MSH);
	VAL(BPF_ADD); VAL(BPF_SUB); VAL(BPF_MUL); VAL(BPF_DIV); VAL(BPF_OR); VAL(BPF_AND); VAL(BPF_LSH); VAL(BPF_RSH);
	VAL(BPF_NEG); VAL(BPF_MOD); VAL(BPF_XOR); VAL(BPF_JA); VAL(BPF_JEQ); VAL(BPF_JGT); VAL(BPF_JGE); VAL(BPF_JSET);
	VAL(BPF_K); VAL(BPF_X); VAL(BPF_A); VAL(BPF_TAX); VAL(BPF_TXA); VAL(BPF_MEMWORDS);
	VAL(BPF_CLASS(0xff)); VAL(BPF_SIZE(0xff)); VAL(BPF_MODE(0xff)); VAL(BPF_OP(0xff)); VAL(BPF_SRC(0xff));
	VAL(BPF_RVAL(0xff)); VAL(BPF_MISCOP(0xff));
	{ struct bpf_insn i[] = { BPF_STMT(BPF_RET|BPF_K, 7), BPF_JUMP(BPF_JMP|BPF_JEQ|BPF_K, 9, 1, 2) };
	  printf("BPF_STMT/BPF_JUMP = %u %u %u %u / %u %u %u %u\n", i[0].code, i[0].jt, i[0].jf, i[0].k, i[1].code, i[1].jt, i[1].jf, i[1].k); }
	VAL(LT_FCS_LENGTH_PRESENT(0x04000000)); VAL(LT_FCS_LENGTH(0x30000000)); VAL(LT_FCS_DATALINK_EXT(3));
	VAL(PCAP_ETHERS_FILE[1]); VAL(PROTO_UNDEF);
#include "dlt_values.inc"
	return 0;
}

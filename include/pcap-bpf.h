/* ringcap: the traditional top-level BPF header; everything is in <pcap/bpf.h>. */
#include <pcap/bpf.h>

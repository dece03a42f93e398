/* ringcap: the traditional top-level libpcap header; everything is in <pcap/pcap.h>. */
#include <pcap/pcap.h>

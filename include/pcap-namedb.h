/* ringcap: the traditional top-level name database header; see <pcap/namedb.h>. */
#include <pcap/namedb.h>

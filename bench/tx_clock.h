/* The clocks the TX benchmark senders report: wall-clock seconds and this
 * process's CPU seconds (user + system). */
#ifndef TX_CLOCK_H
#define TX_CLOCK_H
#include <sys/resource.h>
#include <time.h>

static inline double wall(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static inline double cpu(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}
#endif

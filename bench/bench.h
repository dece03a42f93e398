/* Shared by the benchmark programs: the clocks they report (wall-clock
 * seconds, this process's CPU seconds: user + system), and the start of a
 * capture's measured run. */
#ifndef BENCH_H
#define BENCH_H
#include <signal.h>
#include <stdio.h>
#include <string.h>
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
/* A consumer is set up: stop on SIGUSR1 (bench scripts send it when the
 * sender is done), say READY, and return the CPU spent so far (activation),
 * which the run's figure leaves out. */
static inline double ready(void (*stop)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stop;
	sigaction(SIGUSR1, &sa, NULL);
	double act = cpu();
	printf("READY\n");
	fflush(stdout);
	return act;
}
#endif

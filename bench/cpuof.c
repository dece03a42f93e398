/* Run a command; print "sent <count> <seconds> <cpu seconds> 0" with the
 * wall-clock time and the CPU time (user + system) of the command and its
 * children, for senders that do not measure themselves (trafgen).
 *
 * usage: cpuof <count> <command> [args...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid == 0) {
		/* The command's chatter is not ours to print. */
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	struct rusage r;
	getrusage(RUSAGE_CHILDREN, &r);
	double c = r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 1;
	printf("sent %s %.6f %.6f 0\n", argv[1], (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, c);
	return 0;
}

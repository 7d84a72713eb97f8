/*
 * poke - make a known number of well-known system calls.
 *
 *   poke [N]    N rounds (default 1) of getpid() and open/close of
 *               /proc/version
 *
 * The kallsyms test runs it periodically so that a debugger attached to the
 * hypervisor has something to break on: __arm64_sys_getpid and
 * do_sys_openat2 are hit N times per run. Exit status 0 if every call
 * succeeded.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? strtol(argv[1], NULL, 0) : 1;

	for (long i = 0; i < rounds; i++) {
		/* The raw syscall: libc may not issue one for every getpid(). */
		if (syscall(SYS_getpid) <= 0) {
			perror("poke: getpid");
			return 1;
		}
		int fd = open("/proc/version", O_RDONLY);

		if (fd < 0) {
			perror("poke: open /proc/version");
			return 1;
		}
		close(fd);
	}
	return 0;
}

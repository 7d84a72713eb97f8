/*
 * whichcpu - print the number of the CPU this process runs on.
 *
 * The boot test runs it under `taskset -c N` to prove that work pinned to a
 * CPU really runs there (the scheduler reached that vCPU with an IPI and
 * the vCPU woke up). Output: one decimal number and a newline.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>

int main(void)
{
	int cpu = sched_getcpu();

	if (cpu < 0) {
		perror("whichcpu: sched_getcpu");
		return 1;
	}
	printf("%d\n", cpu);
	return 0;
}

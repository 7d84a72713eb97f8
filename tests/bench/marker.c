/*
 * marker.c - the first userspace program of the boot_cost_ratio runs
 * (tools/bench.sh), started as rdinit=/bench-marker from a copy of the
 * test initramfs. The debugger's breakpoint on _start is the measurement
 * point; the program itself only says it ran and powers the machine off.
 *
 * Freestanding: no libc, raw Linux syscalls, so that _start is the very
 * first instruction userspace executes.
 */
#define SYS_write	     64
#define SYS_reboot	     142
#define REBOOT_MAGIC1	     0xfee1deadL
#define REBOOT_MAGIC2	     672274793L
#define REBOOT_CMD_POWER_OFF 0x4321fedcL

static long syscall4(long nr, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
			 : "memory");
	return x0;
}

void bench_marker_main(void) __attribute__((noreturn));
void bench_marker_main(void)
{
	static const char line[] = "bench-marker: userspace reached\n";

	syscall4(SYS_write, 1, (long)line, sizeof(line) - 1, 0);
	for (;;)
		syscall4(SYS_reboot, REBOOT_MAGIC1, REBOOT_MAGIC2,
			 REBOOT_CMD_POWER_OFF, 0);
}

/* The breakpoint's address: the first instruction userspace executes. */
__asm__("	.section .text._start, \"ax\"\n"
	"	.global	_start\n"
	"_start:\n"
	"	mov	x29, #0\n"
	"	mov	x30, #0\n"
	"	b	bench_marker_main\n");

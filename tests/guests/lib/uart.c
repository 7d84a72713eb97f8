/*
 * uart.c - polled PL011 transmit and the console lock.
 *
 * Only the data and flag registers are touched: both QEMU's PL011 and
 * vigil's emulated one come out of reset ready to transmit, and a test
 * guest should need no more of the device than the smallest emulation.
 */
#include "guest.h"

#define PL011_BASE		0x09000000UL
#define PL011_DR		0x00
#define PL011_FR		0x18
#define PL011_FR_TXFF		(1u << 5)	/* transmit FIFO full */
#define TXFF_POLL_LIMIT		1000000		/* then drop the char, never hang */

/* 0 = free, otherwise the owner's cpu index + 1. */
static volatile u32 console_owner;

static void uart_putc(char c)
{
	volatile u32 *uart = (volatile u32 *)PL011_BASE;
	unsigned polls = 0;

	while ((uart[PL011_FR / 4] & PL011_FR_TXFF) && polls++ < TXFF_POLL_LIMIT)
		;
	uart[PL011_DR / 4] = (u8)c;
}

/*
 * A plain exclusive-load/store spinlock.  Exclusives on Device memory (all
 * memory, with the MMU off) are IMPLEMENTATION DEFINED on real cores but
 * work on QEMU, which is where these guests run.  No WFE: a hypervisor
 * that traps WFE should not be able to stall the console.
 */
static void console_lock(void)
{
	u32 me = this_cpu() + 1, seen, failed;

	asm volatile(
	"1:	ldaxr	%w0, [%2]\n"
	"	cbnz	%w0, 1b\n"
	"	stxr	%w1, %w3, [%2]\n"
	"	cbnz	%w1, 1b\n"
	: "=&r"(seen), "=&r"(failed)
	: "r"(&console_owner), "r"(me)
	: "memory");
}

static void console_unlock(void)
{
	asm volatile("stlr wzr, [%0]" : : "r"(&console_owner) : "memory");
}

/* For the fatal-exception path: the fault may have hit while printing. */
void console_unlock_if_owner(void)
{
	if (console_owner == this_cpu() + 1)
		console_unlock();
}

/*
 * keep_locked is for the verdict line: holding the console until power-off
 * means no other CPU's output can trail the verdict.
 */
void console_write_line(const char *s, unsigned len, bool keep_locked)
{
	console_lock();
	while (len--)
		uart_putc(*s++);
	if (!keep_locked)
		console_unlock();
}

/*
 * demo.c - the guest `make run` boots by default: shows that it runs at
 * EL1 under vigil on every vCPU, then echoes what is typed on the console
 * (guest input reaches the guest through vigil's emulated PL011) until the
 * user types "off", which powers the machine off through PSCI.
 */
#include "guest.h"

const char guest_name[] = "demo";

#define PL011_BASE	0x09000000UL
#define PL011_DR	0x000
#define PL011_FR	0x018
#define PL011_FR_RXFE	(1U << 4)
#define LINE_MAX	80
#define CHECK_IN_TIMEOUT_MS 5000

static volatile u32 checked_in[MAX_CPUS];

static inline u32 uart_reg(unsigned off)
{
	return *(volatile u32 *)(PL011_BASE + off);
}

static int uart_getc(void)
{
	while (uart_reg(PL011_FR) & PL011_FR_RXFE)
		;
	return (int)(uart_reg(PL011_DR) & 0xff);
}

void secondary_main(unsigned cpu)
{
	print_line("vCPU %u up at EL%u, MPIDR 0x%lx", cpu, current_el(),
		   read_mpidr());
	dmb_sy();
	checked_in[cpu] = 1;
}

static unsigned start_secondaries(void)
{
	u64 mpidr[MAX_CPUS], self = read_mpidr(), deadline;
	unsigned n = fdt_cpus(guest_dtb, mpidr, MAX_CPUS), cpu = 1;

	for (unsigned i = 0; i < n && cpu < MAX_CPUS; i++) {
		if (mpidr[i] == self)
			continue;
		if (psci_cpu_on(mpidr[i], (u64)secondary_entry, cpu) ==
		    PSCI_SUCCESS)
			cpu++;
	}
	deadline = deadline_after_ms(CHECK_IN_TIMEOUT_MS);
	for (unsigned i = 1; i < cpu; i++)
		while (!checked_in[i] && !deadline_passed(deadline))
			dmb_sy();
	return cpu;
}

/* Read one line, echoing as it is typed; backspace edits. */
static unsigned read_line(char *buf, unsigned cap)
{
	unsigned len = 0;

	for (;;) {
		int c = uart_getc();
		if (c == '\r' || c == '\n')
			break;
		if ((c == 0x7f || c == '\b') && len > 0) {
			len--;
			console_write_line("\b \b", 3, false);
		} else if (c >= ' ' && c < 0x7f && len < cap - 1) {
			char ch = (char)c;
			buf[len++] = ch;
			console_write_line(&ch, 1, false);
		}
	}
	console_write_line("\n", 1, false);
	buf[len] = '\0';
	return len;
}

static bool equal(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

void guest_main(void)
{
	char line[LINE_MAX];
	u64 base, size;

	print_line("vigil demo guest: running at EL%u", current_el());
	print_line("vCPU 0 up at EL%u, MPIDR 0x%lx", current_el(), read_mpidr());
	print_line("%u vCPUs running", start_secondaries());
	if (fdt_memory(guest_dtb, &base, &size))
		print_line("guest RAM 0x%lx-0x%lx (%lu MiB)", base,
			   base + size - 1, size >> 20);
	print_line("type a line to have it echoed; 'off' powers off");

	for (;;) {
		console_write_line("demo> ", 6, false);
		read_line(line, sizeof(line));
		if (equal(line, "off"))
			break;
		print_line("echo: %s", line);
	}
}

/*
 * runtime.c - boot flow, pass/fail accounting, and the small services
 * every test guest shares: DTB discovery, bootargs flags and numbers, and
 * timeouts.
 */
#include "guest.h"

/*
 * QEMU hands a DTB in x0 only to images it boots as Linux kernels (raw
 * and Image files).  For an ELF it jumps in with x0 = 0 but still puts
 * the DTB at the start of RAM, which on the virt board is here.
 */
#define VIRT_RAM_START		0x40000000UL
#define COUNTER_FALLBACK_HZ	62500000	/* if CNTFRQ_EL0 was never set */

const void *guest_dtb;

/* Per CPU, so that counting needs no atomics. */
static volatile u32 failures[MAX_CPUS];

/* ---- Verdicts --------------------------------------------------------- */

void report_ok(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_line("ok ", fmt, ap);
	va_end(ap);
}

void report_fail(const char *fmt, ...)
{
	va_list ap;

	failures[this_cpu()]++;
	va_start(ap, fmt);
	vprint_line("FAIL ", fmt, ap);
	va_end(ap);
}

bool check_true(const char *what, bool cond)
{
	if (cond)
		report_ok("%s", what);
	else
		report_fail("%s", what);
	return cond;
}

bool check_eq(const char *what, u64 expected, u64 got)
{
	if (expected == got)
		report_ok("%s", what);
	else
		report_fail("%s expected 0x%lx got 0x%lx", what, expected, got);
	return expected == got;
}

bool check_ret(const char *what, s32 expected, s32 got)
{
	if (expected == got)
		report_ok("%s", what);
	else
		report_fail("%s expected %d (0x%x) got %d (0x%x)",
			    what, expected, expected, got, got);
	return expected == got;
}

unsigned failure_count(void)
{
	unsigned total = 0;

	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		total += failures[cpu];
	return total;
}

/* True for exactly one caller, however many CPUs race for it. */
static bool claim_once(volatile u32 *flag)
{
	u32 old, failed;

	asm volatile(
	"1:	ldaxr	%w0, [%2]\n"
	"	stxr	%w1, %w3, [%2]\n"
	"	cbnz	%w1, 1b\n"
	: "=&r"(old), "=&r"(failed)
	: "r"(flag), "r"(1)
	: "memory");
	return old == 0;
}

void guest_finish(void)
{
	static volatile u32 finished;
	unsigned n;

	if (!claim_once(&finished))	/* another CPU prints the verdict */
		park();
	n = failure_count();
	if (n)
		print_last_line("%s FAIL (%u failures)", guest_name, n);
	else
		print_last_line("%s PASS", guest_name);
	psci_system_off();
	console_unlock_if_owner();
	print_line("FAIL system_off returned");
	park();
}

/* ---- Boot ------------------------------------------------------------- */

static const void *find_dtb(u64 x0)
{
	struct exception_record rec;
	u64 first_word;

	if (x0) {
		if (fdt_is_valid((const void *)x0))
			return (const void *)x0;
		report_fail("no dtb: x0=0x%lx does not point at one", x0);
		return NULL;
	}
	if (!probe_read64(VIRT_RAM_START, &first_word, &rec) &&
	    fdt_is_valid((const void *)VIRT_RAM_START)) {
		print_line("note dtb from ram start");
		return (const void *)VIRT_RAM_START;
	}
	report_fail("no dtb: x0=0 and none at 0x%lx", VIRT_RAM_START);
	return NULL;
}

/* Boot CPU, from _start, with the loader's x0. */
void boot_main(u64 x0)
{
	print_line("%s start", guest_name);
	guest_dtb = find_dtb(x0);
	if (guest_dtb)
		guest_main();
	guest_finish();
}

/* Secondary CPUs, from secondary_entry.  They stay on once done. */
void secondary_boot(u64 cpu)
{
	secondary_main(cpu);
	park();
}

/* For guests that never start secondaries. */
__attribute__((weak)) void secondary_main(unsigned cpu)
{
	report_fail("cpu %u started but %s has no secondary_main", cpu, guest_name);
}

/* ---- Bootargs and time ------------------------------------------------ */

/*
 * The first bootargs word that is exactly @name (@value false), or that
 * starts with "@name=" (@value true): a pointer just past the name or the
 * '=', or NULL.
 */
static const char *bootargs_find(const char *name, bool value)
{
	const char *p = fdt_bootargs(guest_dtb);
	size_t len = strlen(name);

	while (*p) {
		size_t i = 0;

		while (*p == ' ')
			p++;
		while (i < len && p[i] == name[i])
			i++;
		if (i == len && !value && (p[i] == ' ' || p[i] == '\0'))
			return p + i;
		if (i == len && value && p[i] == '=')
			return p + i + 1;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

bool bootargs_has(const char *flag)
{
	return bootargs_find(flag, false) != NULL;
}

/* The value of "0x<hex>" or "<decimal>" ending at a space or the end. */
static bool parse_number(const char *p, u64 *value)
{
	bool hex = p[0] == '0' && p[1] == 'x';
	unsigned digits = 0;
	u64 v = 0;

	for (p += hex ? 2 : 0;; p++, digits++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (hex && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (hex && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		v = hex ? v << 4 | d : v * 10 + d;
	}
	if (digits == 0 || digits > 16 || (*p != ' ' && *p != '\0'))
		return false;
	*value = v;
	return true;
}

bool bootargs_value(const char *name, u64 *value)
{
	const char *p = bootargs_find(name, true);

	return p != NULL && parse_number(p, value);
}

static u64 counter_now(void)
{
	u64 v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

u64 deadline_after_ms(unsigned ms)
{
	u64 hz;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(hz));
	if (!hz)
		hz = COUNTER_FALLBACK_HZ;
	return counter_now() + hz / 1000 * ms;
}

bool deadline_passed(u64 deadline)
{
	return (s64)(counter_now() - deadline) >= 0;
}

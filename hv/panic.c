/*
 * panic(): a broken hypervisor invariant. Guest behaviour never gets here
 * (see the error policy in log.h); the machine is powered off so that a
 * test run ends instead of hanging.
 */
#include <stdarg.h>
#include <stdio.h>

#include <arch_firmware.h>
#include <vigil/log.h>
#include <vigil/panic.h>

void panic(const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_always("PANIC: %s", msg);
	arch_fw_system_off();
}

/*
 * libFuzzer target: hv/config.c. The input is the text of vigil.cfg, as
 * boot/ hands it over (any bytes, no terminating NUL). Checked: a failed
 * parse leaves the caller's configuration untouched and explains itself
 * in a terminated message; a successful one is internally consistent.
 */
#include <string.h>

#include <vigil/config.h>

#include "fuzz.h"

static void check_terminated(const char *s, size_t cap, const char *what)
{
	FUZZ_CHECK(memchr(s, '\0', cap) != NULL, "%s is not terminated", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_config cfg, before;
	char err[CONFIG_ERROR_MAX];

	/* Whatever the caller had must survive a failed parse bit for bit. */
	memset(&cfg, 0x5a, sizeof(cfg));
	before = cfg;
	memset(err, 'X', sizeof(err));

	if (!config_parse((const char *)data, size, &cfg, err)) {
		FUZZ_CHECK(memcmp(&before, &cfg, sizeof(cfg)) == 0,
			   "a failed parse changed the configuration");
		check_terminated(err, sizeof(err), "the error message");
		FUZZ_CHECK(strncmp(err, "vigil.cfg", 9) == 0,
			   "error message '%s' names no line", err);
		return 0;
	}
	FUZZ_CHECK(err[0] == '\0', "success with an error message '%.40s'",
		   err);
	check_terminated(cfg.kernel, sizeof(cfg.kernel), "kernel");
	check_terminated(cfg.initrd, sizeof(cfg.initrd), "initrd");
	check_terminated(cfg.dtb, sizeof(cfg.dtb), "dtb");
	check_terminated(cfg.cmdline, sizeof(cfg.cmdline), "cmdline");
	check_terminated(cfg.net_device, sizeof(cfg.net_device), "net.device");
	FUZZ_CHECK(cfg.kernel[0] != '\0', "accepted without a kernel");
	FUZZ_CHECK(cfg.memory >= (4UL << 20) && cfg.memory % (2UL << 20) == 0,
		   "memory %llu accepted", (unsigned long long)cfg.memory);
	FUZZ_CHECK(cfg.log <= LOG_DEBUG, "log level %d", (int)cfg.log);
	FUZZ_CHECK(cfg.net_ip == 0 ||
			   (cfg.net_prefix >= 1 && cfg.net_prefix <= 32),
		   "net.ip with prefix %u", cfg.net_prefix);
	FUZZ_CHECK(!cfg.gdb_wait || cfg.gdb_port != 0,
		   "gdb.wait accepted with the stub off");
	return 0;
}

/*
 * vigil.cfg: the configuration file read from the boot volume.
 *
 * The parser is pure (no I/O): boot/ reads the file and hands the text over.
 * Every line is validated before the configuration is accepted, so a broken
 * file never leaves a half-applied configuration behind.
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <vigil/types.h>

#define CONFIG_PATH_MAX 256
#define CONFIG_CMDLINE_MAX 1024
#define CONFIG_ERROR_MAX 192
/* gdb.allow: at most this many address ranges. */
#define CONFIG_GDB_ALLOW_MAX 8

/* An IPv4 range, host order: addr has no bits outside mask. */
struct config_cidr {
	uint32_t addr;
	uint32_t mask;
};

enum log_level {
	LOG_QUIET = 0, /* only fatal messages */
	LOG_INFO = 1,
	LOG_DEBUG = 2,
};

struct vigil_config {
	char kernel[CONFIG_PATH_MAX]; /* required */
	char initrd[CONFIG_PATH_MAX]; /* "" = none */
	char dtb[CONFIG_PATH_MAX];    /* "" = the firmware's DTB */
	char cmdline[CONFIG_CMDLINE_MAX];
	uint32_t vcpus;  /* 0 = one per physical CPU */
	uint64_t memory; /* bytes of guest RAM */
	enum log_level log;
	bool test_hooks; /* answer vigil's test-only SMCCC calls */
	/* Pass devices that can master DMA to the guest even though no SMMU
	 * confines them (unsafe.dma_passthrough); default off. */
	bool dma_passthrough;

	/* vigil's own network (the NIC is hidden from the guest). */
	char net_device[CONFIG_PATH_MAX]; /* DT path or "pci:BB:DD.F"; "" = first virtio-net */
	uint32_t net_ip;      /* IPv4, host order; 0 = DHCP */
	uint8_t net_prefix;   /* with net_ip */
	uint32_t net_gw;      /* 0 = none */
	uint16_t net_echo;    /* TCP echo service port, 0 = off */

	/* The GDB stub (on vigil's network). */
	uint16_t gdb_port;    /* TCP port, 0 = no stub */
	enum gdb_on_kill {
		GDB_KILL_STOP = 0, /* `k` leaves the guest stopped */
		GDB_KILL_RESET,    /* `k` resets the guest */
	} gdb_on_kill;
	/* Guest virtual time stands still while the debugger holds the
	 * guest (hv/vtime.c); default on. */
	bool gdb_freeze_time;
	/* Hold the guest at its first instruction until a debugger lets it go. */
	bool gdb_wait;
	/* Who may connect to the stub; none listed = anyone. */
	struct config_cidr gdb_allow[CONFIG_GDB_ALLOW_MAX];
	uint8_t gdb_allow_count;
	/* Registers and memory readable, nothing that changes the guest. */
	bool gdb_readonly;
	/* Seconds a connection may stay without a first packet. */
	uint32_t gdb_idle_timeout;
};

#define CONFIG_DEFAULT_GDB_PORT 1234
#define CONFIG_DEFAULT_GDB_IDLE_TIMEOUT 10
#define CONFIG_MAX_GDB_IDLE_TIMEOUT 3600

#define CONFIG_DEFAULT_MEMORY (256UL << 20)

/* Fill cfg with defaults (no kernel). */
void config_defaults(struct vigil_config *cfg);

/*
 * Parse len bytes of vigil.cfg text into *cfg. On success returns true and
 * *cfg is replaced. On failure returns false, leaves *cfg untouched and
 * writes one human-readable message naming the line and key into err.
 */
bool config_parse(const char *text, size_t len, struct vigil_config *cfg,
		  char err[CONFIG_ERROR_MAX]);

/* Parse "a.b.c.d" into a host-order IPv4 address. */
bool config_parse_ipv4(const char *s, uint32_t *out);

/* Whether gdb.allow lets a peer (host-order IPv4 address) connect. */
bool config_gdb_allows(const struct vigil_config *cfg, uint32_t addr);

/* Parse a size such as "512M", "1G", "4096", "64K". */
bool config_parse_size(const char *s, uint64_t *out);

#endif

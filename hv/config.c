/*
 * vigil.cfg parser: "key = value" lines, '#' starts a comment, blank lines
 * ignored. Values run to the end of the line (trailing blanks trimmed) so a
 * kernel command line needs no quoting. Decode-then-act: the whole file is
 * parsed into a scratch copy, which replaces the caller's only on success.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vigil/config.h>

void config_defaults(struct vigil_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory = CONFIG_DEFAULT_MEMORY;
	cfg->log = LOG_INFO;
	cfg->gdb_port = CONFIG_DEFAULT_GDB_PORT;
	cfg->gdb_on_kill = GDB_KILL_STOP;
	cfg->gdb_freeze_time = true;
	cfg->gdb_idle_timeout = CONFIG_DEFAULT_GDB_IDLE_TIMEOUT;
}

bool config_gdb_allows(const struct vigil_config *cfg, uint32_t addr)
{
	if (cfg->gdb_allow_count == 0)
		return true;
	for (unsigned int i = 0; i < cfg->gdb_allow_count; i++)
		if ((addr & cfg->gdb_allow[i].mask) == cfg->gdb_allow[i].addr)
			return true;
	return false;
}

bool config_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		uint64_t digit = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}

	unsigned int shift = 0;
	switch (toupper((unsigned char)*p)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	default:
		return false;
	}
	if (*p != '\0') {
		p++;
		/* Accept "512M" and "512MiB"/"512MB" alike. */
		if (strcmp(p, "iB") == 0 || strcmp(p, "B") == 0)
			p += strlen(p);
		if (*p != '\0')
			return false;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool config_parse_ipv4(const char *s, uint32_t *out)
{
	uint32_t addr = 0;

	for (int i = 0; i < 4; i++) {
		uint32_t part = 0;
		int digits = 0;
		while (isdigit((unsigned char)*s) && digits < 3) {
			part = part * 10 + (uint32_t)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || part > 255 || (i < 3 && *s++ != '.'))
			return false;
		addr = addr << 8 | part;
	}
	if (*s != '\0')
		return false;
	*out = addr;
	return true;
}

/*
 * "a.b.c.d/len" (len 0-32) or a bare "a.b.c.d" (/32). Bits past the
 * prefix are refused: "10.0.2.5/24" is more likely a typo than a range.
 */
static bool parse_cidr(const char *s, struct config_cidr *out)
{
	char addr[16];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	uint32_t prefix = 32, ip;

	if (n >= sizeof(addr))
		return false;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (!config_parse_ipv4(addr, &ip) ||
	    (slash != NULL && (!parse_u32(slash + 1, &prefix) || prefix > 32)))
		return false;
	out->mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
	out->addr = ip;
	return (ip & ~out->mask) == 0;
}

/* gdb.allow: CIDRs separated by commas (blanks around them ignored). */
static bool parse_allow(struct vigil_config *cfg, const char *value,
			char *why, size_t why_len)
{
	char item[32];
	const char *p = value;
	uint8_t count = 0;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);

		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		bool fits = n < sizeof(item);

		if (!fits)
			n = sizeof(item) - 1; /* quoted cut in the message */
		memcpy(item, p, n);
		item[n] = '\0';
		if (count == CONFIG_GDB_ALLOW_MAX) {
			snprintf(why, why_len, "more than %d address ranges",
				 CONFIG_GDB_ALLOW_MAX);
			return false;
		}
		if (!fits || !parse_cidr(item, &cfg->gdb_allow[count])) {
			snprintf(why, why_len,
				 "'%s' is not an address range such as "
				 "10.0.2.2/32 or 192.168.1.0/24", item);
			return false;
		}
		count++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	cfg->gdb_allow_count = count;
	return true;
}

/* "pci:BB:DD.F" (bus, device, function in hex) or a device-tree path. */
static bool valid_net_device(const char *v)
{
	if (strncmp(v, "pci:", 4) == 0) {
		unsigned int bus, dev, fn;
		char tail;
		return sscanf(v + 4, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) == 3 &&
		       dev < 32 && fn < 8;
	}
	return v[0] == '/';
}

static bool set_string(char *dst, size_t cap, const char *value)
{
	size_t len = strlen(value);

	if (len >= cap)
		return false;
	memcpy(dst, value, len + 1);
	return true;
}

enum key_kind {
	KEY_PATH, KEY_CMDLINE, KEY_VCPUS, KEY_MEMORY, KEY_LOG, KEY_BOOL,
	KEY_NET_DEVICE, KEY_IPV4_PREFIX, KEY_IPV4, KEY_PORT, KEY_PORT_OR_OFF,
	KEY_ON_KILL, KEY_ALLOW, KEY_IDLE_TIMEOUT,
};

struct key_desc {
	const char *name;
	enum key_kind kind;
	size_t offset;
};

static const struct key_desc keys[] = {
	{"kernel", KEY_PATH, offsetof(struct vigil_config, kernel)},
	{"initrd", KEY_PATH, offsetof(struct vigil_config, initrd)},
	{"dtb", KEY_PATH, offsetof(struct vigil_config, dtb)},
	{"cmdline", KEY_CMDLINE, offsetof(struct vigil_config, cmdline)},
	{"vcpus", KEY_VCPUS, offsetof(struct vigil_config, vcpus)},
	{"memory", KEY_MEMORY, offsetof(struct vigil_config, memory)},
	{"log", KEY_LOG, offsetof(struct vigil_config, log)},
	{"test_hooks", KEY_BOOL, offsetof(struct vigil_config, test_hooks)},
	{"unsafe.dma_passthrough", KEY_BOOL,
	 offsetof(struct vigil_config, dma_passthrough)},
	{"net.device", KEY_NET_DEVICE, offsetof(struct vigil_config, net_device)},
	{"net.ip", KEY_IPV4_PREFIX, offsetof(struct vigil_config, net_ip)},
	{"net.gw", KEY_IPV4, offsetof(struct vigil_config, net_gw)},
	{"net.echo", KEY_PORT, offsetof(struct vigil_config, net_echo)},
	{"gdb.port", KEY_PORT_OR_OFF, offsetof(struct vigil_config, gdb_port)},
	{"gdb.on_kill", KEY_ON_KILL, offsetof(struct vigil_config, gdb_on_kill)},
	{"gdb.freeze_time", KEY_BOOL,
	 offsetof(struct vigil_config, gdb_freeze_time)},
	{"gdb.wait", KEY_BOOL, offsetof(struct vigil_config, gdb_wait)},
	{"gdb.allow", KEY_ALLOW, offsetof(struct vigil_config, gdb_allow)},
	{"gdb.readonly", KEY_BOOL, offsetof(struct vigil_config, gdb_readonly)},
	{"gdb.idle_timeout", KEY_IDLE_TIMEOUT,
	 offsetof(struct vigil_config, gdb_idle_timeout)},
};

/* Minimum guest RAM: room for a small kernel plus the 2 MiB DTB slot. */
#define CONFIG_MIN_MEMORY (4UL << 20)

static bool apply_key(struct vigil_config *cfg, const struct key_desc *k,
		      const char *value, char *why, size_t why_len)
{
	char *field = (char *)cfg + k->offset;

	switch (k->kind) {
	case KEY_PATH:
		if (*value == '\0') {
			snprintf(why, why_len, "empty path");
			return false;
		}
		if (!set_string(field, CONFIG_PATH_MAX, value)) {
			snprintf(why, why_len, "path longer than %d bytes",
				 CONFIG_PATH_MAX - 1);
			return false;
		}
		return true;
	case KEY_CMDLINE:
		if (!set_string(field, CONFIG_CMDLINE_MAX, value)) {
			snprintf(why, why_len, "longer than %d bytes",
				 CONFIG_CMDLINE_MAX - 1);
			return false;
		}
		return true;
	case KEY_VCPUS: {
		uint32_t n;
		if (!parse_u32(value, &n) || n == 0) {
			snprintf(why, why_len,
				 "'%s' is not a positive whole number", value);
			return false;
		}
		cfg->vcpus = n;
		return true;
	}
	case KEY_MEMORY: {
		uint64_t size;
		if (!config_parse_size(value, &size)) {
			snprintf(why, why_len,
				 "'%s' is not a size (examples: 512M, 1G)",
				 value);
			return false;
		}
		if (size < CONFIG_MIN_MEMORY || !IS_ALIGNED(size, SZ_2M)) {
			snprintf(why, why_len,
				 "'%s' must be a multiple of 2M and at least 4M",
				 value);
			return false;
		}
		cfg->memory = size;
		return true;
	}
	case KEY_NET_DEVICE:
		if (!valid_net_device(value)) {
			snprintf(why, why_len,
				 "'%s' is neither a device-tree path (/...) nor "
				 "pci:BB:DD.F", value);
			return false;
		}
		if (!set_string(field, CONFIG_PATH_MAX, value)) {
			snprintf(why, why_len, "longer than %d bytes",
				 CONFIG_PATH_MAX - 1);
			return false;
		}
		return true;
	case KEY_IPV4_PREFIX: {
		char addr[16];
		const char *slash = strchr(value, '/');
		unsigned long prefix = 0;
		char *end = NULL;
		size_t n = slash ? (size_t)(slash - value) : 0;
		if (slash != NULL && n < sizeof(addr)) {
			memcpy(addr, value, n);
			addr[n] = '\0';
			prefix = strtoul(slash + 1, &end, 10);
		}
		if (slash == NULL || n >= sizeof(addr) || end == slash + 1 ||
		    *end != '\0' || prefix < 1 || prefix > 32 ||
		    !config_parse_ipv4(addr, &cfg->net_ip) || cfg->net_ip == 0) {
			snprintf(why, why_len,
				 "'%s' is not an address/prefix (e.g. 10.0.2.15/24)",
				 value);
			return false;
		}
		cfg->net_prefix = (uint8_t)prefix;
		return true;
	}
	case KEY_IPV4:
		if (!config_parse_ipv4(value, (uint32_t *)field)) {
			snprintf(why, why_len, "'%s' is not an IPv4 address", value);
			return false;
		}
		return true;
	case KEY_PORT:
	case KEY_PORT_OR_OFF: {
		uint32_t port = 0;
		bool off = k->kind == KEY_PORT_OR_OFF && strcmp(value, "off") == 0;
		if (!off &&
		    (!parse_u32(value, &port) || port == 0 || port > 65535)) {
			snprintf(why, why_len, k->kind == KEY_PORT
				 ? "'%s' is not a port (1-65535)"
				 : "'%s' is neither a port (1-65535) nor off",
				 value);
			return false;
		}
		*(uint16_t *)field = (uint16_t)port;
		return true;
	}
	case KEY_ON_KILL:
		if (strcmp(value, "stop") == 0)
			cfg->gdb_on_kill = GDB_KILL_STOP;
		else if (strcmp(value, "reset") == 0)
			cfg->gdb_on_kill = GDB_KILL_RESET;
		else {
			snprintf(why, why_len, "'%s' is not stop or reset",
				 value);
			return false;
		}
		return true;
	case KEY_ALLOW:
		return parse_allow(cfg, value, why, why_len);
	case KEY_IDLE_TIMEOUT: {
		uint32_t secs;
		if (!parse_u32(value, &secs) || secs == 0 ||
		    secs > CONFIG_MAX_GDB_IDLE_TIMEOUT) {
			snprintf(why, why_len, "'%s' is not a number of seconds "
				 "(1-%d)", value, CONFIG_MAX_GDB_IDLE_TIMEOUT);
			return false;
		}
		cfg->gdb_idle_timeout = secs;
		return true;
	}
	case KEY_BOOL:
		if (strcmp(value, "on") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "off") == 0)
			*(bool *)field = false;
		else {
			snprintf(why, why_len, "'%s' is not on or off", value);
			return false;
		}
		return true;
	case KEY_LOG:
		if (strcmp(value, "quiet") == 0)
			cfg->log = LOG_QUIET;
		else if (strcmp(value, "info") == 0)
			cfg->log = LOG_INFO;
		else if (strcmp(value, "debug") == 0)
			cfg->log = LOG_DEBUG;
		else {
			snprintf(why, why_len,
				 "'%s' is not one of quiet, info, debug", value);
			return false;
		}
		return true;
	}
	return false;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

bool config_parse(const char *text, size_t len, struct vigil_config *cfg,
		  char err[CONFIG_ERROR_MAX])
{
	struct vigil_config scratch;
	char line[CONFIG_CMDLINE_MAX + 64];
	unsigned int lineno = 0;
	size_t pos = 0;

	config_defaults(&scratch);
	err[0] = '\0';

	while (pos < len) {
		size_t start = pos, n;

		while (pos < len && text[pos] != '\n')
			pos++;
		n = pos - start;
		pos++; /* skip the newline */
		lineno++;

		if (n >= sizeof(line)) {
			snprintf(err, CONFIG_ERROR_MAX,
				 "vigil.cfg:%u: line too long", lineno);
			return false;
		}
		memcpy(line, text + start, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL) {
			snprintf(err, CONFIG_ERROR_MAX,
				 "vigil.cfg:%u: NUL byte in line", lineno);
			return false;
		}

		/* '#' starts a comment only at the start of a line or after a
		 * blank, so "cmdline = a#b" keeps its '#'. */
		for (char *c = line; *c; c++) {
			if (*c == '#' &&
			    (c == line || c[-1] == ' ' || c[-1] == '\t')) {
				*c = '\0';
				break;
			}
		}

		char *s = trim(line);
		if (*s == '\0')
			continue;

		char *eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, CONFIG_ERROR_MAX,
				 "vigil.cfg:%u: expected 'key = value', got '%.40s'",
				 lineno, s);
			return false;
		}
		*eq = '\0';
		char *key = trim(s);
		char *value = trim(eq + 1);

		const struct key_desc *k = NULL;
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			if (strcmp(keys[i].name, key) == 0) {
				k = &keys[i];
				break;
			}
		}
		if (k == NULL) {
			snprintf(err, CONFIG_ERROR_MAX,
				 "vigil.cfg:%u: unknown key '%.40s'", lineno,
				 key);
			return false;
		}

		char why[96];
		if (!apply_key(&scratch, k, value, why, sizeof(why))) {
			snprintf(err, CONFIG_ERROR_MAX, "vigil.cfg:%u: %s: %s",
				 lineno, k->name, why);
			return false;
		}
	}

	if (scratch.kernel[0] == '\0') {
		snprintf(err, CONFIG_ERROR_MAX,
			 "vigil.cfg: kernel: missing (say which image to boot, "
			 "e.g. 'kernel = Image')");
		return false;
	}
	/* A guest held for a debugger that can never connect would hang. */
	if (scratch.gdb_wait && scratch.gdb_port == 0) {
		snprintf(err, CONFIG_ERROR_MAX,
			 "vigil.cfg: gdb.wait = on needs the GDB stub, but "
			 "gdb.port = off");
		return false;
	}
	*cfg = scratch;
	return true;
}

/*
 * Log output. Every line vigil prints starts with "vigil: ". The level is
 * set from vigil.cfg ("log = quiet | info | debug"); LOG_QUIET silences all
 * but fatal messages (panic and boot failures).
 *
 * Error policy (see docs/architecture.md):
 *   assert()-like HV_BUG_ON for programming errors in vigil itself,
 *   panic() for broken hypervisor invariants that cannot be recovered,
 *   log_warn() + recovery for everything a guest or a user can cause.
 */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <vigil/config.h>

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Printed whatever the level: fatal boot errors and panics. */
void log_always(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif

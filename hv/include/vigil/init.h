/*
 * Start-up hooks. The core never calls into drivers/ or debug/ by name:
 * they register an init function here and hv_main() runs them in level
 * order once vigil's own address space is up.
 */
#ifndef VIGIL_INIT_H
#define VIGIL_INIT_H

#include <vigil/types.h>

struct vm;

enum hv_init_level {
	HV_INIT_CONSOLE = 0, /* before anything logs */
	HV_INIT_DEVICE = 1,  /* device models and drivers */
	HV_INIT_LATE = 2,    /* services that need devices (network, stub) */
};

struct hv_init_call {
	const char *name;
	/* Returns false on failure: logged, and boot stops cleanly. */
	bool (*fn)(const void *fdt, struct vm *vm);
};

#define HV_INIT(level, func)                                               \
	static const struct hv_init_call __hv_init_##func                    \
		__attribute__((used, section(".hv_init." #level))) = {       \
			.name = #func,                                       \
			.fn = func,                                          \
	}

#endif

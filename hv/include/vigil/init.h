/*
 * Start-up hooks. The core never calls into drivers/ or debug/ by name:
 * they register an init function here and hv_main() runs each level in
 * turn once vigil's own address space is up (within a level, in link
 * order).
 */
#ifndef VIGIL_INIT_H
#define VIGIL_INIT_H

#include <vigil/types.h>

struct vm;

enum hv_init_level {
	HV_INIT_CONSOLE = 0, /* before anything logs */
	HV_INIT_IRQCHIP = 1, /* the interrupt controller, real and virtual */
	HV_INIT_DEVICE = 2,  /* device models and drivers */
	HV_INIT_LATE = 3,    /* services that need devices (the network) */
	HV_INIT_SERVICE = 4, /* services on top of those (the GDB stub) */
};

struct hv_init_call {
	const char *name;
	enum hv_init_level level;
	/* Returns false on failure: logged, and boot stops cleanly. */
	bool (*fn)(const void *fdt, struct vm *vm);
};

#define HV_INIT(lvl, func)                                                 \
	static const struct hv_init_call __hv_init_##func                    \
		__attribute__((used, section(".hv_init." #func))) = {        \
			.name = #func,                                       \
			.level = lvl,                                        \
			.fn = func,                                          \
	}

#endif

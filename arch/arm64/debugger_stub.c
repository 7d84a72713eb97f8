/*
 * TEMPORARY, until debug/ (the GDB stub) lands: weak defaults for the
 * debugger's side of vigil/debugger.h, so that the arch half links and can
 * be tested through the test hooks. The lead deletes this file (and its
 * entry in objects.mk) when debug/ provides the real ones.
 */
#include <vigil/debugger.h>

__attribute__((weak)) struct dbg_host_state dbg_host;

__attribute__((weak)) bool debugger_event(struct vcpu *vcpu,
					  const struct dbg_event *ev)
{
	(void)vcpu, (void)ev;
	return false; /* no debugger: everything is the guest's */
}

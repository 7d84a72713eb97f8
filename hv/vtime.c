/*
 * Frozen guest time while the debugger holds the guest: the arithmetic
 * (the rule is in vigil/vtime.h). Pure, so the host tests run it.
 */
#include <vigil/vtime.h>

void vtime_freeze(struct vtime *t, uint64_t now)
{
	if (t->frozen)
		return; /* an attach to a guest a `kill` left held, say */
	t->since = now;
	t->frozen = true;
}

uint64_t vtime_thaw(struct vtime *t, uint64_t now)
{
	uint64_t held;

	if (!t->frozen)
		return 0;
	/* The counter is monotonic; a bogus `now` must not turn time back. */
	held = now > t->since ? now - t->since : 0;
	t->offset += held;
	t->frozen = false;
	return held;
}

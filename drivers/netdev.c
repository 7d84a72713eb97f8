/* The one NIC vigil owns: the driver registers it, the stack finds it. */
#include "netdev.h"

static struct netdev *registered;

bool netdev_register(struct netdev *dev)
{
	if (registered != NULL)
		return false;
	registered = dev;
	return true;
}

struct netdev *netdev_get(void)
{
	return registered;
}

/*
 * vigil's own IPv4 network: lwIP on the NIC of drivers/netdev.h. The
 * stack starts at HV_INIT_LATE when there is a NIC (drivers/net.c); the
 * GDB stub uses lwIP's raw API on top of it.
 *
 * Everything here runs on the boot CPU at EL2 with interrupts masked,
 * like the NIC driver: lwIP is not reentrant and needs no locks then.
 */
#ifndef DRIVERS_NET_H
#define DRIVERS_NET_H

#include <vigil/types.h>

struct netdev;
struct vigil_config;

/*
 * How often vigil's timer runs lwIP's timers (the finest, TCP's, is 250 ms),
 * and how often it does that and polls a NIC that has no interrupt.
 */
#define NET_TICK_MS 50
#define NET_POLL_MS 10

/*
 * Bring lwIP up on dev with the addressing of cfg (net.ip/net.gw, or
 * DHCP) and the services it asks for (net.echo). Once only. Returns false
 * if the stack could not start (then vigil has no network).
 */
bool net_start(struct netdev *dev, const struct vigil_config *cfg);

/* The periodic work: lwIP's timers, and polling a NIC with no interrupt. */
void net_tick(void);

/* True once the interface has an address (static, or bound by DHCP). */
bool net_is_up(void);

/* lwIP's memory in use: its heap plus every pool element handed out. */
size_t net_lwip_mem_used(void);

/* Echo connections closed so far (accepted ones, however they ended). */
uint64_t net_echo_connections(void);

#endif

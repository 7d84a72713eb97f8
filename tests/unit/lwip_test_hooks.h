/*
 * lwIP hooks for the host test of drivers/net.c (test_net.c), included by
 * lwIP's own sources through LWIP_HOOK_FILENAME (see unit.mk).
 *
 * The test runs vigil's interface and the peer's in one lwIP stack, both
 * on the same subnet; routing by destination alone would send both sides'
 * traffic out of the same interface. Routing by source address sends each
 * side's packets out of its own interface, across the fake wire.
 */
#ifndef VIGIL_LWIP_TEST_HOOKS_H
#define VIGIL_LWIP_TEST_HOOKS_H

struct netif *test_net_route_src(const ip4_addr_t *src, const ip4_addr_t *dest);

#endif

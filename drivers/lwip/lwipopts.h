/*
 * lwIP configuration for vigil's own network (drivers/net.c): IPv4 only,
 * NO_SYS = 1 with the raw API, everything on the boot CPU at EL2 with
 * interrupts masked (so no locking: SYS_LIGHTWEIGHT_PROT = 0).
 *
 * All memory is static and bounded: lwIP's own heap (MEM_SIZE, for
 * outgoing TCP data) in an array, the rest in fixed pools; nothing comes
 * from malloc. That keeps vigil's C heap out of the packet path and makes
 * usage visible in lwIP's MEM/MEMP statistics (the echo service logs it).
 */
#ifndef VIGIL_LWIPOPTS_H
#define VIGIL_LWIPOPTS_H

/* No threads, no sequential API: the raw API only. */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0

/* Protocols: IPv4 over Ethernet, ICMP echo, TCP, UDP for DHCP. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_ALTCP 0
/* Nothing vigil sends needs fragmenting, and reassembly buffers would
 * let any host on the link hold pool memory. */
#define IP_REASSEMBLY 0
#define IP_FRAG 0

#define LWIP_NETIF_STATUS_CALLBACK 1 /* the "address is up" log line */
#define LWIP_NETIF_HOSTNAME 1        /* DHCP tells the server "vigil" */
/* TCP segments go to the NIC as one buffer: no copy in linkoutput. */
#define LWIP_NETIF_TX_SINGLE_PBUF 1

/* Memory: lwIP's heap in a static array, fixed pools, no malloc. */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 8
#define MEM_SIZE (64 * 1024)
#define MEMP_NUM_UDP_PCB 4
#define MEMP_NUM_TCP_PCB 16
#define MEMP_NUM_TCP_PCB_LISTEN 4
#define MEMP_NUM_TCP_SEG 48
#define MEMP_NUM_PBUF 16
/* Received frames: one pool buffer per frame (PBUF_POOL_BUFSIZE holds a
 * full 1514-byte frame). */
#define PBUF_POOL_SIZE 64

/* TCP: full-size segments and a window that keeps an echo stream busy. */
#define TCP_MSS 1460
#define TCP_WND (8 * TCP_MSS)
#define TCP_SND_BUF (8 * TCP_MSS)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_QUEUE_OOSEQ 1
/* Per-connection keepalive timing: the GDB session notices a vanished
 * peer (debug/transport.c). */
#define LWIP_TCP_KEEPALIVE 1

/* Checksums: lwIP computes and checks all of them in software (the
 * defaults), whatever the NIC could offload. */

/* Statistics: only memory use (heap and pools), for the leak checks. */
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define MEM_STATS 1
#define MEMP_STATS 1
#define LINK_STATS 0
#define ETHARP_STATS 0
#define IP_STATS 0
#define IPFRAG_STATS 0
#define ICMP_STATS 0
#define UDP_STATS 0
#define TCP_STATS 0
#define SYS_STATS 0

#endif

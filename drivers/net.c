/*
 * vigil's own network: lwIP (NO_SYS = 1, raw API) on the NIC the driver
 * registered (drivers/netdev.h), its platform hooks, and the diagnostic
 * TCP echo service (vigil.cfg "net.echo").
 *
 * Everything runs on the boot CPU at EL2 with interrupts masked: frames
 * arrive from the driver's interrupt handler (or from polling when the NIC
 * has none), and lwIP's timers run from vigil's periodic timer, both while
 * the guest runs and while its vCPUs are stopped (vigil/idle.h). lwIP is
 * not reentrant, and nothing else ever enters it, so there are no locks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <arch_cpu.h>
#include <arch_timer.h>
#include <vigil/config.h>
#include <vigil/idle.h>
#include <vigil/init.h>
#include <vigil/log.h>
#include <vigil/pool.h>
#include <vigil/vm.h>

#include <lwip/dhcp.h>
#include <lwip/etharp.h>
#include <lwip/init.h>
#include <lwip/memp.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/stats.h>
#include <lwip/sys.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>

#include "net.h"
#include "netdev.h"

/* Echo service limits: connections at once, and received buffers held
 * per connection while its peer does not read the echo (see echo_recv). */
#define ECHO_MAX_CONNS 8
#define ECHO_MAX_QUEUED_PBUFS 16
/* echo_poll every 2 s (lwIP counts in 500 ms coarse-timer ticks). */
#define ECHO_POLL_TICKS 4
/* Closed connections between two "echo connections=" info lines. */
#define ECHO_LOG_EVERY 50

static struct {
	struct netdev *dev;
	struct netif netif;
	bool dhcp;
	bool link_up; /* what lwIP was last told */
	/* The address last reported in the log. */
	ip4_addr_t logged_ip, logged_mask, logged_gw;
	uint64_t rx_dropped, tx_dropped;
	uint64_t echo_closed;
} net;

/* Frames lost for want of buffers: said once, counted always. */
static void net_dropped(uint64_t *count, const char *what)
{
	if ((*count)++ == 0)
		log_warn("net: %s: frames dropped (TCP sends them again)", what);
}

/* ---- lwIP's platform hooks (arch/cc.h, lwip/sys.h) ---------------------- */

static uint64_t rand_state = 0x9e3779b97f4a7c15ULL;

/*
 * Not cryptographic: initial sequence numbers, local ports and DHCP
 * transaction ids only need to differ between boots and connections, so
 * the counter is mixed into a xorshift generator at every call.
 */
uint32_t vigil_lwip_rand(void)
{
	rand_state ^= arch_timer_now_ns();
	rand_state ^= rand_state << 13;
	rand_state ^= rand_state >> 7;
	rand_state ^= rand_state << 17;
	return (uint32_t)(rand_state >> 32);
}

void vigil_lwip_diag(const char *fmt, ...)
{
	char line[160];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("net: lwip: %s", line);
}

/* Only built with VIGIL_LWIP_ASSERT: report and carry on (see arch/cc.h). */
void vigil_lwip_assert(const char *msg, const char *file, int line)
{
	log_warn("net: lwIP assertion failed at %s:%d: %s", file, line, msg);
}

u32_t sys_now(void)
{
	return (u32_t)(arch_timer_now_ns() / 1000000);
}

/* ---- The interface ------------------------------------------------------- */

/* A frame from the NIC: into a pool buffer, then up the stack. */
static void net_receive(struct netdev *dev, const void *frame, size_t len)
{
	struct netif *netif = dev->stack_priv;
	struct pbuf *p;

	if (len == 0 || len > NETDEV_MAX_FRAME)
		return; /* the driver's bound: cannot happen */
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (p == NULL) {
		net_dropped(&net.rx_dropped, "receive buffers exhausted");
		return;
	}
	pbuf_take(p, frame, (u16_t)len);
	if (netif->input(p, netif) != ERR_OK)
		pbuf_free(p);
}

/* A frame from lwIP to the NIC; the driver copies it into its ring. */
static err_t net_linkoutput(struct netif *netif, struct pbuf *p)
{
	static uint8_t frame[NETDEV_MAX_FRAME];
	struct netdev *dev = netif->state;
	const void *data = p->payload;

	if (p->tot_len > sizeof(frame))
		return ERR_BUF;
	/* TCP segments come in one buffer (LWIP_NETIF_TX_SINGLE_PBUF);
	 * anything else that is chained is gathered here. */
	if (p->len != p->tot_len) {
		pbuf_copy_partial(p, frame, p->tot_len, 0);
		data = frame;
	}
	if (!dev->ops->transmit(dev, data, p->tot_len)) {
		net_dropped(&net.tx_dropped, "transmit ring full");
		return ERR_MEM;
	}
	return ERR_OK;
}

static err_t net_netif_init(struct netif *netif)
{
	struct netdev *dev = netif->state;
	const uint16_t max_mtu = NETDEV_MAX_FRAME - SIZEOF_ETH_HDR;

	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->output = etharp_output;
	netif->linkoutput = net_linkoutput;
	netif->mtu = dev->mtu != 0 && dev->mtu < max_mtu ? dev->mtu : max_mtu;
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, dev->mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		       NETIF_FLAG_ETHERNET;
	netif_set_hostname(netif, "vigil");
	return ERR_OK;
}

static unsigned int prefix_len(const ip4_addr_t *mask)
{
	uint32_t m = lwip_ntohl(ip4_addr_get_u32(mask));

	return (unsigned int)__builtin_popcount(m);
}

/* The address is set or changed (static at start-up, or DHCP bound). */
static void net_status_changed(struct netif *netif)
{
	const ip4_addr_t *ip = netif_ip4_addr(netif);
	const ip4_addr_t *mask = netif_ip4_netmask(netif);
	const ip4_addr_t *gw = netif_ip4_gw(netif);
	const uint8_t *mac = net.dev->mac;
	char ip_text[IP4ADDR_STRLEN_MAX], gw_text[IP4ADDR_STRLEN_MAX];

	if (!netif_is_up(netif) || ip4_addr_isany(ip) ||
	    (ip4_addr_cmp(ip, &net.logged_ip) &&
	     ip4_addr_cmp(mask, &net.logged_mask) &&
	     ip4_addr_cmp(gw, &net.logged_gw)))
		return;
	ip4_addr_copy(net.logged_ip, *ip);
	ip4_addr_copy(net.logged_mask, *mask);
	ip4_addr_copy(net.logged_gw, *gw);
	ip4addr_ntoa_r(ip, ip_text, sizeof(ip_text));
	if (ip4_addr_isany(gw))
		strcpy(gw_text, "none");
	else
		ip4addr_ntoa_r(gw, gw_text, sizeof(gw_text));
	/* Tests and users look for this line: keep its form. */
	log_info("net: %s %02x:%02x:%02x:%02x:%02x:%02x address %s/%u (%s) "
		 "gateway %s",
		 net.dev->name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		 ip_text, prefix_len(mask), net.dhcp ? "dhcp" : "static",
		 gw_text);
}

static void net_sync_link(void)
{
	if (net.dev->link_up == net.link_up)
		return;
	net.link_up = net.dev->link_up;
	if (net.link_up)
		netif_set_link_up(&net.netif);
	else
		netif_set_link_down(&net.netif);
	log_debug("net: %s link %s", net.dev->name,
		  net.link_up ? "up" : "down");
}

void net_tick(void)
{
	if (net.dev == NULL)
		return;
	if (!net.dev->has_irq)
		net.dev->ops->poll(net.dev);
	net_sync_link();
	sys_check_timeouts();
}

static void net_timer(void *ctx)
{
	(void)ctx;
	net_tick();
}

/* A NIC without interrupt: look at it whenever the boot CPU wakes up. */
static void net_idle(void)
{
	if (arch_cpu_index() == 0)
		net.dev->ops->poll(net.dev);
}

bool net_is_up(void)
{
	return net.dev != NULL && netif_is_up(&net.netif) &&
	       !ip4_addr_isany(netif_ip4_addr(&net.netif));
}

/* ---- Echo service -------------------------------------------------------- */

/*
 * A correct raw-API echo: received data is queued, written back as the
 * send buffer allows, and only then acknowledged to the peer's window
 * (tcp_recved), so a peer that sends faster than it reads is held back by
 * TCP itself. Every path (peer close, error, abort, out of memory) frees
 * the connection's state: the churn test counts on it.
 */
struct echo_conn {
	struct tcp_pcb *pcb;
	struct pbuf *queue; /* received, not yet written back */
	bool closing;       /* the peer has closed: close once queue is out */
};

LWIP_MEMPOOL_DECLARE(ECHO_CONN, ECHO_MAX_CONNS, sizeof(struct echo_conn),
		     "echo connection")

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
		       err_t err);
static err_t echo_sent(void *arg, struct tcp_pcb *pcb, u16_t len);
static err_t echo_poll(void *arg, struct tcp_pcb *pcb);
static void echo_err(void *arg, err_t err);

size_t net_lwip_mem_used(void)
{
	size_t used = lwip_stats.mem.used;

	for (unsigned int i = 0; i < MEMP_MAX; i++) {
		const struct memp_desc *pool = memp_pools[i];
		used += (size_t)pool->stats->used * pool->size;
	}
	used += (size_t)memp_ECHO_CONN.stats->used * memp_ECHO_CONN.size;
	return used;
}

uint64_t net_echo_connections(void)
{
	return net.echo_closed;
}

static void echo_attach(struct echo_conn *c)
{
	tcp_arg(c->pcb, c);
	tcp_recv(c->pcb, echo_recv);
	tcp_sent(c->pcb, echo_sent);
	tcp_err(c->pcb, echo_err);
	tcp_poll(c->pcb, echo_poll, ECHO_POLL_TICKS);
}

static void echo_detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}

/* The connection is over: free its state and count it. */
static void echo_free(struct echo_conn *c)
{
	if (c->queue != NULL)
		pbuf_free(c->queue);
	LWIP_MEMPOOL_FREE(ECHO_CONN, c);
	net.echo_closed++;
	/* Tests compare these figures across connections: keep the form. */
	log_msg(net.echo_closed % ECHO_LOG_EVERY == 0 ? LOG_INFO : LOG_DEBUG,
		"net: echo connections=%llu lwip_mem_used=%lu heap_used=%lu",
		(unsigned long long)net.echo_closed,
		(unsigned long)net_lwip_mem_used(),
		(unsigned long)heap_used_bytes());
}

/* Reset the connection (from inside an lwIP callback: return ERR_ABRT). */
static err_t echo_abort(struct echo_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	echo_detach(pcb);
	echo_free(c);
	tcp_abort(pcb);
	return ERR_ABRT;
}

static err_t echo_close(struct echo_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	/* Detached first: tcp_close may free the pcb at once. */
	echo_detach(pcb);
	if (tcp_close(pcb) != ERR_OK) {
		/* No memory for the FIN now: echo_poll tries again. */
		echo_attach(c);
		return ERR_OK;
	}
	echo_free(c);
	return ERR_OK;
}

/* One flush writes at most a send buffer's worth: tcp_recved() takes 16 bits. */
STATIC_ASSERT(TCP_SND_BUF <= 0xffff, "echo_flush counts in 16 bits");

/* Write back as much of the queue as the send buffer takes. */
static err_t echo_flush(struct echo_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;
	u32_t written = 0;

	while (c->queue != NULL) {
		struct pbuf *q = c->queue;
		u16_t n = q->len;

		if (n == 0) { /* an empty buffer in the chain: drop it */
			c->queue = q->next;
			q->next = NULL;
			pbuf_free(q);
			continue;
		}
		if (n > tcp_sndbuf(pcb))
			n = tcp_sndbuf(pcb);
		if (n == 0)
			break; /* echo_sent: when the peer acknowledges */
		err_t err = tcp_write(pcb, q->payload, n, TCP_WRITE_FLAG_COPY);
		if (err == ERR_MEM)
			break; /* out of segments or heap: sent/poll retry */
		if (err != ERR_OK)
			return echo_abort(c);
		written += n;
		c->queue = pbuf_free_header(q, n);
	}
	if (written != 0) {
		/* The window reopens only for data that is on its way back. */
		tcp_recved(pcb, (u16_t)written);
		/* A full NIC ring leaves segments queued: lwIP retries them. */
		tcp_output(pcb);
	}
	if (c->queue == NULL && c->closing)
		return echo_close(c);
	return ERR_OK;
}

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
		       err_t err)
{
	struct echo_conn *c = arg;

	(void)pcb;
	if (p == NULL) { /* the peer closed its side */
		c->closing = true;
		return echo_flush(c);
	}
	if (err != ERR_OK) {
		pbuf_free(p);
		return err;
	}
	/*
	 * A peer that does not read its echo fills our send buffer, and its
	 * data queues here. Past a bound, refuse it: lwIP keeps the buffer
	 * and offers it again later, and drops what the peer sends meanwhile.
	 */
	if (c->queue != NULL && pbuf_clen(c->queue) >= ECHO_MAX_QUEUED_PBUFS)
		return ERR_MEM;
	if (c->queue == NULL)
		c->queue = p;
	else
		pbuf_cat(c->queue, p);
	return echo_flush(c);
}

static err_t echo_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb, (void)len;
	return echo_flush(arg);
}

/* Every 2 s: whatever an earlier shortage held up (data, a FIN). */
static err_t echo_poll(void *arg, struct tcp_pcb *pcb)
{
	tcp_output(pcb);
	return echo_flush(arg);
}

/* lwIP has already freed the pcb (reset, or too many retransmissions). */
static void echo_err(void *arg, err_t err)
{
	struct echo_conn *c = arg;

	log_debug("net: echo connection ended (lwIP error %d)", err);
	if (c != NULL)
		echo_free(c);
}

static err_t echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct echo_conn *c;

	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	c = LWIP_MEMPOOL_ALLOC(ECHO_CONN);
	if (c == NULL) {
		log_debug("net: echo: %u connections open, refusing another",
			  ECHO_MAX_CONNS);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	*c = (struct echo_conn){.pcb = pcb};
	/* TCP_NODELAY: every echo leaves at once, however small. */
	tcp_nagle_disable(pcb);
	echo_attach(c);
	return ERR_OK;
}

static void echo_start(uint16_t port)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4), *listen;

	if (pcb == NULL) {
		log_warn("net: echo: out of memory");
		return;
	}
	if (tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) {
		log_warn("net: echo: cannot bind TCP port %u", port);
		tcp_close(pcb);
		return;
	}
	listen = tcp_listen(pcb);
	if (listen == NULL) {
		log_warn("net: echo: cannot listen on TCP port %u", port);
		tcp_close(pcb);
		return;
	}
	tcp_accept(listen, echo_accept);
	log_info("net: echo service on TCP port %u", port);
}

/* ---- Start-up ------------------------------------------------------------ */

bool net_start(struct netdev *dev, const struct vigil_config *cfg)
{
	ip4_addr_t ip, mask, gw;

	if (net.dev != NULL)
		return false;
	for (unsigned int i = 0; i < sizeof(dev->mac); i++)
		rand_state = (rand_state << 8 | rand_state >> 56) ^ dev->mac[i];
	lwip_init();
	LWIP_MEMPOOL_INIT(ECHO_CONN);

	net.dev = dev;
	net.dhcp = cfg->net_ip == 0;
	ip4_addr_set_zero(&ip);
	ip4_addr_set_zero(&mask);
	ip4_addr_set_zero(&gw);
	if (!net.dhcp) {
		uint32_t m = cfg->net_prefix == 0 ? 0
			     : ~0U << (32 - cfg->net_prefix);
		ip4_addr_set_u32(&ip, lwip_htonl(cfg->net_ip));
		ip4_addr_set_u32(&mask, lwip_htonl(m));
		ip4_addr_set_u32(&gw, lwip_htonl(cfg->net_gw));
	}
	if (netif_add(&net.netif, &ip, &mask, &gw, dev, net_netif_init,
		      ethernet_input) == NULL) {
		log_warn("net: %s: lwIP refused the interface", dev->name);
		net.dev = NULL;
		return false;
	}
	netif_set_default(&net.netif);
	netif_set_status_callback(&net.netif, net_status_changed);
	dev->stack_priv = &net.netif;
	dev->receive = net_receive;
	net.link_up = false;
	net_sync_link();
	netif_set_up(&net.netif);
	if (net.dhcp) {
		log_debug("net: %s: asking DHCP for an address", dev->name);
		if (dhcp_start(&net.netif) != ERR_OK)
			log_warn("net: %s: DHCP did not start", dev->name);
	}
	if (cfg->net_echo != 0)
		echo_start(cfg->net_echo);

	if (!arch_timer_every(dev->has_irq ? NET_TICK_MS : NET_POLL_MS,
			      net_timer, NULL))
		log_warn("net: no timer: lwIP's timers will not run");
	if (!dev->has_irq && !hv_idle_register(net_idle))
		log_warn("net: %s is polled only every %u ms while the guest "
			 "is stopped", dev->name, NET_POLL_MS);
	return true;
}

static bool net_init(const void *fdt, struct vm *vm)
{
	struct netdev *dev = netdev_get();
	const struct vigil_config *cfg = vm->cfg;

	(void)fdt;
	if (dev == NULL) {
		if (cfg->net_ip != 0 || cfg->net_echo != 0)
			log_warn("net: vigil.cfg sets up networking, but vigil "
				 "has no NIC");
		else
			log_debug("net: no NIC: vigil has no network");
		return true;
	}
	/* No network must not mean no guest. */
	if (!net_start(dev, cfg))
		log_warn("net: %s: no network", dev->name);
	return true;
}
HV_INIT(HV_INIT_LATE, net_init);

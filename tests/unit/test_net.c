/*
 * Host test of vigil's network glue (drivers/net.c) with the real lwIP.
 *
 * vigil's side is drivers/net.c on a fake NIC; the peer is a second lwIP
 * interface in the same stack, with TCP clients on lwIP's raw API. The two
 * are joined by a fake wire: two frame queues that pump() moves across,
 * so every byte goes through Ethernet, ARP, IPv4 and TCP on both sides.
 * A routing hook (lwip_test_hooks.h) sends each side's packets out of its
 * own interface. Time is fake: advance() moves the clock and runs vigil's
 * periodic tick, as vigil's timer does.
 *
 * lwIP and net.c keep global state, and net_start() runs once: the tests
 * run in order on one stack, each leaving it idle for the next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vigil/config.h>
#include <vigil/vm.h>

#include <lwip/etharp.h>
#include <lwip/inet_chksum.h>
#include <lwip/init.h>
#include <lwip/ip4.h>
#include <lwip/memp.h>
#include <lwip/netif.h>
#include <lwip/prot/ethernet.h>
#include <lwip/prot/icmp.h>
#include <lwip/prot/ip4.h>
#include <lwip/stats.h>
#include <lwip/tcp.h>
#include <netif/ethernet.h>

#include "../../drivers/net.h"
#include "../../drivers/netdev.h"
#include "fake/fake.h"
#include "test.h"

#define ECHO_PORT 7
#define VIGIL_IP "10.0.2.15"
#define PEER_IP "10.0.2.2"

/* ---- The fake wire ------------------------------------------------------- */

#define WIRE_FRAMES 512

struct wire {
	uint8_t frame[WIRE_FRAMES][NETDEV_MAX_FRAME];
	uint16_t len[WIRE_FRAMES];
	unsigned int head, tail; /* head == tail: empty */
	unsigned long dropped;
};

static struct wire to_peer, to_vigil;

static bool wire_put(struct wire *w, const void *frame, size_t len)
{
	if ((w->head + 1) % WIRE_FRAMES == w->tail || len > NETDEV_MAX_FRAME) {
		w->dropped++;
		return false;
	}
	memcpy(w->frame[w->head], frame, len);
	w->len[w->head] = (uint16_t)len;
	w->head = (w->head + 1) % WIRE_FRAMES;
	return true;
}

static bool wire_empty(const struct wire *w)
{
	return w->head == w->tail;
}

/* ---- vigil's fake NIC ---------------------------------------------------- */

static unsigned long nic_sent;
/* Frames vigil sent that a test wants to look at (NULL: none). */
static void (*tap)(const uint8_t *frame, size_t len);

static bool nic_transmit(struct netdev *dev, const void *frame, size_t len)
{
	(void)dev;
	nic_sent++;
	if (tap != NULL)
		tap(frame, len);
	return wire_put(&to_peer, frame, len);
}

static unsigned int nic_poll(struct netdev *dev)
{
	unsigned int n = 0;

	while (!wire_empty(&to_vigil)) {
		unsigned int i = to_vigil.tail;
		to_vigil.tail = (i + 1) % WIRE_FRAMES;
		dev->receive(dev, to_vigil.frame[i], to_vigil.len[i]);
		n++;
	}
	return n;
}

static const struct netdev_ops nic_ops = {
	.transmit = nic_transmit,
	.poll = nic_poll,
};

static struct netdev nic = {
	.name = "fake-nic",
	.mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01},
	.mtu = 1500,
	.link_up = true,
	.ops = &nic_ops,
	.has_irq = true, /* pump() plays the interrupt */
};

/* What the rest of vigil provides to net.c. */
struct netdev *netdev_get(void)
{
	return &nic;
}

size_t heap_used_bytes(void)
{
	return 0;
}

/* lwIP's assertions, on in this build (unit.mk renames the hook for lwIP's
 * own objects): a failed one fails the running test. */
void test_lwip_assert(const char *msg, const char *file, int line);
void test_lwip_assert(const char *msg, const char *file, int line)
{
	test_check(false, file, line, "lwIP assertion failed: %s", msg);
}

/* ---- The peer: a second interface in the same stack ---------------------- */

static struct netif peer;
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

static err_t peer_linkoutput(struct netif *netif, struct pbuf *p)
{
	uint8_t frame[NETDEV_MAX_FRAME];

	(void)netif;
	if (p->tot_len > sizeof(frame))
		return ERR_BUF;
	pbuf_copy_partial(p, frame, p->tot_len, 0);
	return wire_put(&to_vigil, frame, p->tot_len) ? ERR_OK : ERR_MEM;
}

static err_t peer_init(struct netif *netif)
{
	netif->name[0] = 'p';
	netif->name[1] = 'r';
	netif->output = etharp_output;
	netif->linkoutput = peer_linkoutput;
	netif->mtu = 1500;
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, peer_mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		       NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

struct netif *test_net_route_src(const ip4_addr_t *src, const ip4_addr_t *dest)
{
	struct netif *n;

	(void)dest;
	NETIF_FOREACH(n) {
		if (ip4_addr_cmp(src, netif_ip4_addr(n)))
			return n;
	}
	return NULL;
}

/* ---- Time and the pump --------------------------------------------------- */

static uint64_t clock_ns;
static void (*vigil_tick)(void *ctx);
static void *vigil_tick_ctx;
static uint32_t tick_ms;

/* Move time on by ms, running vigil's periodic tick as its timer would. */
static void advance(uint32_t ms)
{
	for (uint32_t t = 0; t < ms; t += tick_ms) {
		clock_ns += (uint64_t)tick_ms * 1000000;
		fake_arch.now_ns = clock_ns;
		vigil_tick(vigil_tick_ctx);
	}
}

/* Move every frame across until the wire is quiet. */
static void pump(void)
{
	fake_arch.now_ns = clock_ns;
	for (unsigned int round = 0; round < 10000; round++) {
		bool moved = false;
		while (!wire_empty(&to_peer)) {
			unsigned int i = to_peer.tail;
			uint16_t len = to_peer.len[i];
			struct pbuf *p = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);

			to_peer.tail = (i + 1) % WIRE_FRAMES;
			if (p == NULL)
				test_abort("pump: out of lwIP memory");
			pbuf_take(p, to_peer.frame[i], len);
			if (peer.input(p, &peer) != ERR_OK)
				pbuf_free(p);
			moved = true;
		}
		if (!wire_empty(&to_vigil)) {
			nic.ops->poll(&nic); /* "the NIC's interrupt" */
			moved = true;
		}
		if (!moved)
			return;
	}
	test_abort("pump: the wire never went quiet");
}

/* Pump and let time pass in small steps until done(ctx) or ms are up. */
static bool run_until(bool (*done)(void *ctx), void *ctx, uint32_t ms)
{
	for (uint32_t t = 0;; t += tick_ms) {
		pump();
		if (done(ctx))
			return true;
		if (t >= ms)
			return false;
		advance(tick_ms);
	}
}

/* ---- Set-up (once per process) ------------------------------------------- */

static struct vigil_config cfg;
static bool started;
static size_t idle_mem; /* lwIP memory in use with everything idle */

static void setup(void)
{
	ip4_addr_t ip, mask, gw;

	if (started)
		return;
	config_defaults(&cfg);
	ASSERT_TRUE(config_parse_ipv4(VIGIL_IP, &cfg.net_ip));
	cfg.net_prefix = 24;
	ASSERT_TRUE(config_parse_ipv4(PEER_IP, &cfg.net_gw));
	cfg.net_echo = ECHO_PORT;
	ASSERT_TRUE(net_start(&nic, &cfg));
	ASSERT_TRUE(fake_arch.timer_fn != NULL);
	vigil_tick = fake_arch.timer_fn;
	vigil_tick_ctx = fake_arch.timer_ctx;
	tick_ms = fake_arch.timer_period_ms;
	ASSERT_EQ(NET_TICK_MS, tick_ms);

	IP4_ADDR(&ip, 10, 0, 2, 2);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	ip4_addr_set_zero(&gw);
	ASSERT_TRUE(netif_add(&peer, &ip, &mask, &gw, NULL, peer_init,
			      ethernet_input) != NULL);
	netif_set_up(&peer);
	started = true;
}

/* ---- TCP clients on the peer --------------------------------------------- */

struct client {
	struct tcp_pcb *pcb;
	bool connected, peer_closed, failed, reading_stopped;
	err_t error;
	uint8_t *rx;
	size_t rx_len, rx_cap;
};

static err_t client_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			 err_t err)
{
	struct client *c = arg;

	(void)err;
	if (p == NULL) {
		c->peer_closed = true;
		return ERR_OK;
	}
	if (c->reading_stopped)
		return ERR_MEM; /* a peer that does not read its echo */
	if (c->rx_len + p->tot_len > c->rx_cap)
		test_abort("client: more data than expected");
	pbuf_copy_partial(p, c->rx + c->rx_len, p->tot_len, 0);
	c->rx_len += p->tot_len;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static void client_err(void *arg, err_t err)
{
	struct client *c = arg;

	c->failed = true;
	c->error = err;
	c->pcb = NULL;
}

static err_t client_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct client *c = arg;

	(void)pcb;
	c->connected = err == ERR_OK;
	return ERR_OK;
}

static bool client_is_connected(void *ctx)
{
	struct client *c = ctx;
	return c->connected || c->failed;
}

static bool client_connect(struct client *c, size_t rx_cap)
{
	ip4_addr_t local, remote;

	memset(c, 0, sizeof(*c));
	c->rx = malloc(rx_cap ? rx_cap : 1);
	c->rx_cap = rx_cap;
	c->pcb = tcp_new();
	if (c->pcb == NULL)
		return false;
	IP4_ADDR(&local, 10, 0, 2, 2);
	IP4_ADDR(&remote, 10, 0, 2, 15);
	tcp_nagle_disable(c->pcb);
	tcp_arg(c->pcb, c);
	tcp_recv(c->pcb, client_recv);
	tcp_err(c->pcb, client_err);
	if (tcp_bind(c->pcb, &local, 0) != ERR_OK ||
	    tcp_connect(c->pcb, &remote, ECHO_PORT, client_connected) != ERR_OK)
		return false;
	return run_until(client_is_connected, c, 5000) && c->connected;
}

/* Send as much of buf as the client's send buffer takes; returns bytes. */
static size_t client_send(struct client *c, const uint8_t *buf, size_t len)
{
	size_t n = len < tcp_sndbuf(c->pcb) ? len : tcp_sndbuf(c->pcb);

	if (n > 0xffff)
		n = 0xffff;
	if (n == 0 ||
	    tcp_write(c->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
		return 0;
	tcp_output(c->pcb);
	return n;
}

static void client_close(struct client *c)
{
	if (c->pcb != NULL) {
		tcp_arg(c->pcb, NULL);
		tcp_recv(c->pcb, NULL);
		tcp_err(c->pcb, NULL);
		if (tcp_close(c->pcb) != ERR_OK)
			tcp_abort(c->pcb);
		c->pcb = NULL;
	}
	free(c->rx);
	c->rx = NULL;
}

struct want_bytes {
	struct client *c;
	size_t n;
};

static bool has_bytes(void *ctx)
{
	struct want_bytes *w = ctx;
	return w->c->rx_len >= w->n || w->c->failed;
}

struct want_closed {
	uint64_t n;
};

static bool echo_closed_reached(void *ctx)
{
	return net_echo_connections() >= ((struct want_closed *)ctx)->n;
}

/* The peer's TIME_WAIT pcbs expire after 2 MSL (lwIP: 2 x 60 s): let that
 * pass so that memory figures show vigil's state only. */
#define TIME_WAIT_MS (2 * 60000 + 1000)

static void let_time_wait_expire(void)
{
	advance(TIME_WAIT_MS);
	pump();
}

static void fill_random(uint8_t *buf, size_t len, unsigned int seed)
{
	srand(seed);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rand();
}

/* ---- Tests --------------------------------------------------------------- */

TEST(static_address_is_logged)
{
	setup();
	EXPECT_TRUE(net_is_up());
	EXPECT_TRUE(fake_log_contains("net: fake-nic 02:00:00:00:00:01 "
				      "address 10.0.2.15/24 (static) "
				      "gateway 10.0.2.2"));
	EXPECT_TRUE(fake_log_contains("net: echo service on TCP port 7"));
	idle_mem = net_lwip_mem_used();
	EXPECT_NE(0, idle_mem);
}

/* One echo request frame as a host on the link would send it. */
static size_t build_ping(uint8_t *f, uint16_t id, uint16_t seq,
			 const char *payload)
{
	size_t plen = strlen(payload), ip_len = IP_HLEN + 8 + plen;
	struct ip_hdr *ip = (struct ip_hdr *)(f + SIZEOF_ETH_HDR);
	struct icmp_echo_hdr *icmp = (struct icmp_echo_hdr *)(ip + 1);
	ip4_addr_t src, dst;

	memcpy(f, nic.mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, IP_HLEN);
	IPH_VHL_SET(ip, 4, IP_HLEN / 4);
	IPH_LEN_SET(ip, lwip_htons((u16_t)ip_len));
	IPH_TTL_SET(ip, 64);
	IPH_PROTO_SET(ip, IP_PROTO_ICMP);
	IP4_ADDR(&src, 10, 0, 2, 2);
	IP4_ADDR(&dst, 10, 0, 2, 15);
	ip4_addr_copy(ip->src, src);
	ip4_addr_copy(ip->dest, dst);
	IPH_CHKSUM_SET(ip, inet_chksum(ip, IP_HLEN));
	ICMPH_TYPE_SET(icmp, ICMP_ECHO);
	ICMPH_CODE_SET(icmp, 0);
	icmp->id = lwip_htons(id);
	icmp->seqno = lwip_htons(seq);
	icmp->chksum = 0;
	memcpy(icmp + 1, payload, plen);
	icmp->chksum = inet_chksum(icmp, (u16_t)(8 + plen));
	return SIZEOF_ETH_HDR + ip_len;
}

static uint8_t ping_reply[NETDEV_MAX_FRAME];
static size_t ping_reply_len;

static void catch_ping_reply(const uint8_t *f, size_t len)
{
	const struct ip_hdr *ip = (const struct ip_hdr *)(f + SIZEOF_ETH_HDR);

	if (len > SIZEOF_ETH_HDR + IP_HLEN && f[12] == 0x08 && f[13] == 0 &&
	    IPH_PROTO(ip) == IP_PROTO_ICMP) {
		memcpy(ping_reply, f, len);
		ping_reply_len = len;
	}
}

TEST(answers_icmp_echo)
{
	uint8_t f[NETDEV_MAX_FRAME];
	size_t len;

	setup();
	len = build_ping(f, 0x1234, 7, "vigil ping payload");
	ping_reply_len = 0;
	tap = catch_ping_reply;
	ASSERT_TRUE(wire_put(&to_vigil, f, len));
	pump(); /* vigil asks for the peer's MAC first, then answers */
	tap = NULL;
	ASSERT_EQ(len, ping_reply_len);
	const struct ip_hdr *ip =
		(const struct ip_hdr *)(ping_reply + SIZEOF_ETH_HDR);
	const struct icmp_echo_hdr *icmp =
		(const struct icmp_echo_hdr *)(ip + 1);
	EXPECT_MEMEQ(peer_mac, ping_reply, 6);
	EXPECT_EQ(ICMP_ER, ICMPH_TYPE(icmp));
	EXPECT_EQ(0x1234, lwip_ntohs(icmp->id));
	EXPECT_EQ(7, lwip_ntohs(icmp->seqno));
	EXPECT_MEMEQ("vigil ping payload", icmp + 1, 18);
	EXPECT_EQ(0, inet_chksum((void *)icmp, (u16_t)(8 + 18)));
	EXPECT_EQ(0, inet_chksum((void *)ip, IP_HLEN));
}

TEST(echo_small_message)
{
	struct client c;
	static const char msg[] = "hello, vigil";
	struct want_bytes w = {&c, sizeof(msg)};

	setup();
	ASSERT_TRUE(client_connect(&c, sizeof(msg)));
	EXPECT_EQ(sizeof(msg),
		  client_send(&c, (const uint8_t *)msg, sizeof(msg)));
	EXPECT_TRUE(run_until(has_bytes, &w, 1000));
	EXPECT_EQ(sizeof(msg), c.rx_len);
	EXPECT_MEMEQ(msg, c.rx, sizeof(msg));
	client_close(&c);
	struct want_closed wc = {net_echo_connections() + 1};
	EXPECT_TRUE(run_until(echo_closed_reached, &wc, 1000));
}

/* TCP_NODELAY: a second small echo leaves while the first is unacknowledged. */
TEST(echo_is_not_delayed_by_nagle)
{
	struct client c;
	unsigned long before;

	setup();
	ASSERT_TRUE(client_connect(&c, 2));
	pump();
	before = nic_sent;
	/* Both bytes reach vigil before the peer sees (and acks) any echo. */
	EXPECT_EQ(1, client_send(&c, (const uint8_t *)"a", 1));
	nic.ops->poll(&nic);
	EXPECT_EQ(1, client_send(&c, (const uint8_t *)"b", 1));
	nic.ops->poll(&nic);
	EXPECT_EQ(before + 2, nic_sent);
	struct want_bytes w = {&c, 2};
	EXPECT_TRUE(run_until(has_bytes, &w, 1000));
	EXPECT_MEMEQ("ab", c.rx, 2);
	client_close(&c);
	struct want_closed wc = {net_echo_connections() + 1};
	EXPECT_TRUE(run_until(echo_closed_reached, &wc, 1000));
}

#define BULK_SIZE (1024 * 1024)

TEST(bulk_echo_1mib)
{
	struct client c;
	uint8_t *data = malloc(BULK_SIZE);
	size_t sent = 0;
	unsigned int ms = 0;

	setup();
	fill_random(data, BULK_SIZE, 1);
	ASSERT_TRUE(client_connect(&c, BULK_SIZE));
	while (c.rx_len < BULK_SIZE && !c.failed && ms < 60000) {
		if (sent < BULK_SIZE)
			sent += client_send(&c, data + sent, BULK_SIZE - sent);
		pump();
		if (c.rx_len < BULK_SIZE && sent == BULK_SIZE) {
			/* Only the tail may wait for a timer. */
			advance(tick_ms);
			ms += tick_ms;
		}
	}
	EXPECT_FALSE(c.failed);
	EXPECT_EQ(BULK_SIZE, c.rx_len);
	EXPECT_TRUE(memcmp(data, c.rx, BULK_SIZE) == 0);
	EXPECT_EQ(0, to_peer.dropped + to_vigil.dropped);
	client_close(&c);
	free(data);
	struct want_closed wc = {net_echo_connections() + 1};
	EXPECT_TRUE(run_until(echo_closed_reached, &wc, 1000));
}

/* The peer sends, then closes its side at once: every byte still comes
 * back before vigil closes. */
TEST(half_close_flushes_pending_echo)
{
	struct client c;
	enum { N = 40000 };
	uint8_t *data = malloc(N);
	size_t sent = 0;

	setup();
	fill_random(data, N, 2);
	ASSERT_TRUE(client_connect(&c, N));
	while (sent < N) {
		sent += client_send(&c, data + sent, N - sent);
		pump();
	}
	tcp_shutdown(c.pcb, 0, 1);
	for (unsigned int i = 0; i < 500 && !c.peer_closed; i++) {
		pump();
		advance(tick_ms);
	}
	EXPECT_TRUE(c.peer_closed);
	EXPECT_EQ(N, c.rx_len);
	EXPECT_TRUE(memcmp(data, c.rx, N) == 0);
	client_close(&c);
	free(data);
}

TEST(churn_200_connections_no_leak)
{
	uint64_t closed_before;

	setup();
	let_time_wait_expire();
	idle_mem = net_lwip_mem_used();
	closed_before = net_echo_connections();
	for (unsigned int i = 0; i < 201; i++) {
		struct client c;
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "connection %u", i);
		struct want_bytes w = {&c, (size_t)len};

		if (!EXPECT_TRUE(client_connect(&c, (size_t)len))) {
			test_note("connection %u", i);
			return;
		}
		client_send(&c, (const uint8_t *)msg, (size_t)len);
		if (!EXPECT_TRUE(run_until(has_bytes, &w, 1000)) ||
		    !EXPECT_MEMEQ(msg, c.rx, (size_t)len)) {
			test_note("connection %u", i);
			return;
		}
		client_close(&c);
		struct want_closed wc = {closed_before + i + 1};
		if (!EXPECT_TRUE(run_until(echo_closed_reached, &wc, 1000)))
			return;
	}
	EXPECT_EQ(closed_before + 201, net_echo_connections());
	let_time_wait_expire();
	EXPECT_EQ(idle_mem, net_lwip_mem_used());
	EXPECT_EQ(0, memp_pools[MEMP_TCP_SEG]->stats->used);
	EXPECT_EQ(0, memp_pools[MEMP_PBUF_POOL]->stats->used);
	EXPECT_TRUE(fake_log_contains(
		"net: echo connections=200 lwip_mem_used="));
}

/* A peer that never reads its echo: vigil's buffers stay bounded, and
 * everything is freed once the peer gives up. */
TEST(peer_that_does_not_read_is_bounded)
{
	struct client c;
	enum { N = 200000 };
	uint8_t *data = malloc(N);
	size_t sent = 0;

	setup();
	fill_random(data, N, 3);
	ASSERT_TRUE(client_connect(&c, N));
	c.reading_stopped = true;
	for (unsigned int i = 0; i < 2000 && sent < N; i++) {
		sent += client_send(&c, data + sent, N - sent);
		pump();
		advance(tick_ms);
	}
	EXPECT_TRUE(sent < N); /* TCP held the peer back */
	EXPECT_TRUE(memp_pools[MEMP_PBUF_POOL]->stats->used <= 24);
	ASSERT_TRUE(c.pcb != NULL);
	/*
	 * The peer goes away. Its RST is outside vigil's (closed) receive
	 * window, so vigil ignores it; the RST that answers vigil's next
	 * window probe ends the connection.
	 */
	struct want_closed wc = {net_echo_connections() + 1};
	tcp_abort(c.pcb);
	c.pcb = NULL;
	EXPECT_TRUE(run_until(echo_closed_reached, &wc, 130000));
	client_close(&c);
	free(data);
	let_time_wait_expire();
	EXPECT_EQ(idle_mem, net_lwip_mem_used());
}

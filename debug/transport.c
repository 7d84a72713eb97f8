/*
 * The GDB stub's TCP transport: a listener on vigil.cfg "gdb.port" over
 * lwIP's raw API, one session at a time.
 *
 * Like the rest of the network this runs on the boot CPU only (drivers/
 * net.h). Bytes from the client go to gdb.c as they come; its output goes
 * through a ring buffer, because lwIP takes only what its send window has
 * room for and a reply must never be cut. The stub is also polled - from
 * the boot CPU's idle loop (every vCPU stop ends there) and from a timer -
 * so stop replies leave as soon as the guest has stopped.
 *
 * Who gets in (issue #13): a peer outside gdb.allow is closed at once.
 * Every other connection is accepted as "pending": it becomes the session
 * only once it has sent a whole, valid first packet (so an idle
 * connection never stops the guest), and is closed if it has not within
 * gdb.idle_timeout. A pending connection has lwIP's lowest priority and
 * the session its highest, so when connection slots (MEMP_NUM_TCP_PCB) run
 * short, lwIP's tcp_alloc() aborts the pending connection that has been
 * quiet longest to make room - never the session: however many idle
 * connections a peer holds, a real debugger still gets in. The session
 * has TCP keepalive on, so a peer that vanished is noticed.
 *
 * A pending connection whose first packet comes while a session is open
 * gets one clear error reply and is closed; the session is not disturbed.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <arch_cpu.h>
#include <arch_timer.h>
#include <vigil/config.h>
#include <vigil/idle.h>
#include <vigil/init.h>
#include <vigil/log.h>
#include <vigil/vm.h>

#include <lwip/netif.h>
#include <lwip/tcp.h>

#include "gdb.h"
#include "rsp.h"
#include "target.h"

/* Enough for a few maximum-size replies queued behind a full window. */
#define OUT_RING_SIZE (4 * GDB_PACKET_SIZE + 512)
/* The stub's timer: stop replies and clean-up while nothing else wakes us. */
#define GDB_POLL_MS 20
/* gdb.wait without an address yet: say so this often. */
#define NO_ADDRESS_NAG_NS (5ULL * 1000 * 1000 * 1000)
/* lwIP's poll callback interval for pending connections, 500 ms ticks. */
#define PENDING_POLL_TICKS 2
/* Pending connections: no more than there are connection slots. */
#define PENDING_MAX MEMP_NUM_TCP_PCB
/* A first packet longer than this (gdb's qSupported is ~200 bytes). */
#define FIRST_PACKET_MAX 1024
/* Keepalive on the session: a vanished peer is noticed within
 * IDLE + INTVL * CNT (40 s), without chatter on a live one. */
#define KEEPALIVE_IDLE_MS 20000
#define KEEPALIVE_INTVL_MS 5000
#define KEEPALIVE_CNT 4
/* "255.255.255.255:65535" */
#define PEER_STR_MAX 24

/* The refusal, as a complete packet: $<text>#<checksum>. */
#define BUSY_TEXT "E.vigil: another debugger is attached"

/* Where a pending connection's first packet is: '$', payload, '#', 2 hex. */
enum first_scan { SCAN_START, SCAN_PAYLOAD, SCAN_SUM_HIGH, SCAN_SUM_LOW };

/* A connection that has not sent its first packet yet. */
struct pending {
	struct tcp_pcb *pcb; /* NULL: a free slot */
	char peer[PEER_STR_MAX];
	uint64_t since_ns;
	enum first_scan scan;
	uint8_t sum, sum_got;
	size_t len;
	uint8_t buf[FIRST_PACKET_MAX];
};

static struct {
	struct tcp_pcb *listener;
	struct tcp_pcb *session;
	char session_peer[PEER_STR_MAX];
	const struct vigil_config *cfg;
	struct pending pending[PENDING_MAX];
	uint8_t out[OUT_RING_SIZE];
	size_t out_head, out_len; /* ring: oldest byte at out_head */
	bool overflowed;
	uint16_t port;
	bool announced; /* the "listening" line is out */
	/* gdb.wait with no address yet: held since, and last said so at. */
	uint64_t hold_since_ns, nagged_ns;
} tp;

/* ---- output ----------------------------------------------------------- */

/* Hand lwIP as much of the ring as its window takes. */
static void flush(void)
{
	struct tcp_pcb *pcb = tp.session;
	bool wrote = false;

	while (pcb != NULL && tp.out_len > 0) {
		size_t room = tcp_sndbuf(pcb);
		size_t chunk = OUT_RING_SIZE - tp.out_head;

		if (chunk > tp.out_len)
			chunk = tp.out_len;
		if (chunk > room)
			chunk = room;
		if (chunk > 0xffff)
			chunk = 0xffff;
		if (chunk == 0 ||
		    tcp_write(pcb, &tp.out[tp.out_head], (u16_t)chunk,
			      TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		tp.out_head = (tp.out_head + chunk) % OUT_RING_SIZE;
		tp.out_len -= chunk;
		wrote = true;
	}
	if (wrote)
		tcp_output(pcb);
}

void gdb_send(const void *data, size_t len)
{
	const uint8_t *p = data;

	if (tp.session == NULL)
		return;
	if (len > OUT_RING_SIZE - tp.out_len) {
		/* Cannot happen with a client that reads its replies. */
		if (!tp.overflowed)
			log_warn("gdb: client is not reading: output dropped");
		tp.overflowed = true;
		return;
	}
	for (size_t i = 0; i < len; i++)
		tp.out[(tp.out_head + tp.out_len + i) % OUT_RING_SIZE] = p[i];
	tp.out_len += len;
}

/* ---- the session ------------------------------------------------------ */

static void session_forget(void)
{
	struct tcp_pcb *pcb = tp.session;

	tp.session = NULL;
	tp.out_len = 0;
	tp.out_head = 0;
	tp.overflowed = false;
	if (pcb != NULL) {
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_err(pcb, NULL);
	}
}

/* Returns ERR_ABRT if the pcb had to be aborted (lwIP callbacks say so). */
static err_t session_end(const char *why)
{
	struct tcp_pcb *pcb = tp.session;

	log_info("gdb: session with %s ended (%s)", tp.session_peer, why);
	session_forget();
	gdb_close();
	if (pcb != NULL && tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	return ERR_OK;
}

static err_t session_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			  err_t err)
{
	(void)arg;
	if (p == NULL || err != ERR_OK) {
		if (p != NULL)
			pbuf_free(p);
		return session_end("client closed the connection");
	}
	for (struct pbuf *q = p; q != NULL; q = q->next)
		gdb_receive(q->payload, q->len);
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	flush();
	if (gdb_should_close()) {
		/* lwIP sends what is queued before its FIN. */
		return session_end("the debugger detached");
	}
	return ERR_OK;
}

static err_t session_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)arg;
	(void)pcb;
	(void)len;
	flush();
	return ERR_OK;
}

static void session_err(void *arg, err_t err)
{
	(void)arg;
	/* lwIP has freed the pcb already. */
	log_info("gdb: session with %s lost (lwIP error %d)", tp.session_peer,
		 (int)err);
	session_forget();
	gdb_close();
}

/* ---- pending connections -------------------------------------------- */

static void peer_string(const struct tcp_pcb *pcb, char *buf, size_t len)
{
	char ip[IP4ADDR_STRLEN_MAX];

	ip4addr_ntoa_r(ip_2_ip4(&pcb->remote_ip), ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, pcb->remote_port);
}

static void pending_forget(struct pending *pc)
{
	struct tcp_pcb *pcb = pc->pcb;

	pc->pcb = NULL;
	if (pcb == NULL)
		return;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}

/* Returns ERR_ABRT if the pcb had to be aborted (lwIP callbacks say so). */
static err_t pending_close(struct pending *pc, const char *why)
{
	struct tcp_pcb *pcb = pc->pcb;

	log_info("gdb: connection from %s closed: %s", pc->peer, why);
	pending_forget(pc);
	if (tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	return ERR_OK;
}

static void send_packet_raw(struct tcp_pcb *pcb, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t sum = 0;
	char tail[3];

	for (const char *c = text; *c != '\0'; c++)
		sum = (uint8_t)(sum + (uint8_t)*c);
	tail[0] = '#';
	tail[1] = hex[sum >> 4];
	tail[2] = hex[sum & 0xf];
	tcp_write(pcb, "+$", 2, TCP_WRITE_FLAG_COPY | TCP_WRITE_FLAG_MORE);
	tcp_write(pcb, text, (u16_t)strlen(text),
		  TCP_WRITE_FLAG_COPY | TCP_WRITE_FLAG_MORE);
	tcp_write(pcb, tail, sizeof(tail), TCP_WRITE_FLAG_COPY);
	tcp_output(pcb);
}

/*
 * One more byte of a pending connection: true once it ends a valid
 * packet. Anything before a '$' (gdb's first '+', stray bytes) is kept
 * but not judged; a bad checksum starts the search again.
 */
static bool first_packet_byte(struct pending *pc, uint8_t c)
{
	int v;

	switch (pc->scan) {
	case SCAN_START:
		if (c == '$') {
			pc->scan = SCAN_PAYLOAD;
			pc->sum = 0;
		}
		return false;
	case SCAN_PAYLOAD:
		if (c == '#')
			pc->scan = SCAN_SUM_HIGH;
		else
			pc->sum = (uint8_t)(pc->sum + c);
		return false;
	case SCAN_SUM_HIGH:
		v = rsp_hex_value(c);
		pc->sum_got = (uint8_t)(v << 4);
		pc->scan = v < 0 ? SCAN_START : SCAN_SUM_LOW;
		return false;
	case SCAN_SUM_LOW:
		v = rsp_hex_value(c);
		pc->scan = SCAN_START;
		return v >= 0 && (uint8_t)(pc->sum_got | v) == pc->sum;
	}
	return false;
}

static void session_start(struct pending *pc)
{
	struct tcp_pcb *pcb = pc->pcb;

	memcpy(tp.session_peer, pc->peer, sizeof(tp.session_peer));
	pending_forget(pc);
	tp.session = pcb;
	tp.out_head = tp.out_len = 0;
	tp.overflowed = false;
	/* lwIP never aborts it to make room for another connection. */
	tcp_setprio(pcb, TCP_PRIO_MAX);
	ip_set_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = KEEPALIVE_IDLE_MS;
	pcb->keep_intvl = KEEPALIVE_INTVL_MS;
	pcb->keep_cnt = KEEPALIVE_CNT;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, session_recv);
	tcp_sent(pcb, session_sent);
	tcp_err(pcb, session_err);
	log_info("gdb: session with %s started", tp.session_peer);
	gdb_open();
	/* gdb's first bytes, now that someone is there to hear them. */
	gdb_receive(pc->buf, pc->len);
	flush();
}

static err_t pending_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			  err_t err)
{
	struct pending *pc = arg;
	bool packet = false;

	if (p == NULL || err != ERR_OK) {
		if (p != NULL)
			pbuf_free(p);
		return pending_close(pc, "by the peer, before a first packet");
	}
	tcp_recved(pcb, p->tot_len);
	for (struct pbuf *q = p; q != NULL; q = q->next) {
		const uint8_t *b = q->payload;
		for (u16_t i = 0; i < q->len; i++) {
			if (pc->len == FIRST_PACKET_MAX) {
				pbuf_free(p);
				return pending_close(pc, "no packet in its "
						     "first 1024 bytes");
			}
			pc->buf[pc->len++] = b[i];
			/* The rest of the segment goes on to the session. */
			packet = packet || first_packet_byte(pc, b[i]);
		}
	}
	pbuf_free(p);
	if (!packet)
		return ERR_OK;
	if (tp.session != NULL) {
		log_info("gdb: connection from %s refused: a session with %s "
			 "is open", pc->peer, tp.session_peer);
		send_packet_raw(pcb, BUSY_TEXT);
		return pending_close(pc, "refused");
	}
	session_start(pc);
	if (gdb_should_close())
		return session_end("the debugger detached");
	return ERR_OK;
}

/* Every second: a connection that has said nothing for too long goes. */
static err_t pending_poll(void *arg, struct tcp_pcb *pcb)
{
	struct pending *pc = arg;
	uint64_t timeout_ns = tp.cfg->gdb_idle_timeout * 1000000000ULL;

	(void)pcb;
	if (arch_timer_now_ns() - pc->since_ns < timeout_ns)
		return ERR_OK;
	snprintf((char *)pc->buf, sizeof(pc->buf),
		 "no packet within %u s (gdb.idle_timeout)",
		 (unsigned int)tp.cfg->gdb_idle_timeout);
	return pending_close(pc, (const char *)pc->buf);
}

static void pending_err(void *arg, err_t err)
{
	struct pending *pc = arg;

	/* lwIP has freed the pcb already. */
	pc->pcb = NULL;
	log_info("gdb: connection from %s closed: %s", pc->peer,
		 err == ERR_ABRT ? "evicted to make room for a new connection"
		 : err == ERR_RST ? "reset by the peer"
		 : "lost");
}

static err_t gdb_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct pending *pc = NULL;
	char peer[PEER_STR_MAX];

	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	peer_string(pcb, peer, sizeof(peer));
	if (!config_gdb_allows(tp.cfg, lwip_ntohl(ip4_addr_get_u32(
					       ip_2_ip4(&pcb->remote_ip))))) {
		log_info("gdb: connection from %s refused: not in gdb.allow",
			 peer);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	for (size_t i = 0; i < PENDING_MAX && pc == NULL; i++)
		if (tp.pending[i].pcb == NULL)
			pc = &tp.pending[i];
	if (pc == NULL) {
		/* Cannot happen: a pending connection holds a pcb. */
		log_info("gdb: connection from %s refused: too many "
			 "connections", peer);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	memset(pc, 0, offsetof(struct pending, buf));
	pc->pcb = pcb;
	memcpy(pc->peer, peer, sizeof(pc->peer));
	pc->since_ns = arch_timer_now_ns();
	tcp_nagle_disable(pcb);
	/* The first lwIP aborts when connection slots run short. */
	tcp_setprio(pcb, TCP_PRIO_MIN);
	tcp_arg(pcb, pc);
	tcp_recv(pcb, pending_recv);
	tcp_err(pcb, pending_err);
	tcp_poll(pcb, pending_poll, PENDING_POLL_TICKS);
	log_info("gdb: connection from %s accepted", peer);
	return ERR_OK;
}

/* ---- polling ---------------------------------------------------------- */

/*
 * gdb.wait with no address yet (DHCP has not answered): the guest is held
 * and nobody can attach. Say so now and then rather than wait in silence;
 * vigil keeps asking (lwIP's DHCP retries) and keeps the guest held.
 */
static void nag_no_address(void)
{
	uint64_t now = arch_timer_now_ns();
	unsigned long long held_s = (now - tp.hold_since_ns) / 1000000000ULL;

	if (!target_held_at_entry() ||
	    now - tp.hold_since_ns < NO_ADDRESS_NAG_NS ||
	    now - tp.nagged_ns < NO_ADDRESS_NAG_NS)
		return;
	tp.nagged_ns = now;
	log_always("gdb: no DHCP answer yet after %llu s; the guest stays held "
		   "until a debugger attaches",
		   held_s);
}

/*
 * Say the stub is there once it can be reached: with DHCP the address
 * comes after the listener is up, and a client that connects before then
 * only gets through on TCP's retries, seconds later. (vigil's address is
 * in the "net:" line just before.)
 */
static void announce(void)
{
	char ip[IP4ADDR_STRLEN_MAX];

	if (tp.announced)
		return;
	if (ip4_addr_isany(netif_ip4_addr(netif_default))) {
		nag_no_address();
		return;
	}
	tp.announced = true;
	/* Tests and users wait for this line: keep its form. */
	log_info("gdb: listening on TCP port %u", tp.port);
	/*
	 * Whatever the log level: a guest held for a debugger must never
	 * look like a hung one. Tests wait for this line too.
	 */
	if (target_held_at_entry()) {
		ip4addr_ntoa_r(netif_ip4_addr(netif_default), ip, sizeof(ip));
		log_always("gdb: waiting for a debugger on %s:%u", ip, tp.port);
	}
}

static void gdb_service(void)
{
	announce();
	target_service();
	if (tp.session == NULL)
		return;
	gdb_poll();
	flush();
}

static void gdb_idle(void)
{
	/* lwIP lives on the boot CPU. */
	if (arch_cpu_index() == 0)
		gdb_service();
}

static void gdb_timer(void *ctx)
{
	(void)ctx;
	gdb_service();
}

/* ---- start-up --------------------------------------------------------- */

static bool gdb_listen(uint16_t port)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);

	if (pcb == NULL)
		return false;
	if (tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) {
		log_warn("gdb: cannot bind TCP port %u", port);
		tcp_close(pcb);
		return false;
	}
	tp.listener = tcp_listen(pcb);
	if (tp.listener == NULL) {
		tcp_close(pcb);
		return false;
	}
	tcp_accept(tp.listener, gdb_accept);
	return true;
}

/* gdb.wait, but nobody could ever attach: run the guest rather than hang. */
static void cannot_wait(const struct vigil_config *cfg)
{
	if (cfg->gdb_wait)
		log_always("gdb: gdb.wait = on, but there is no GDB stub: the "
			   "guest starts without waiting for a debugger");
}

static bool gdb_init(const void *fdt, struct vm *vm)
{
	const struct vigil_config *cfg = vm->cfg;

	(void)fdt;
	if (cfg->gdb_port == 0) {
		/* config_parse() refuses gdb.wait with gdb.port = off. */
		log_debug("gdb: stub off (gdb.port = off)");
		return true;
	}
	if (netif_default == NULL) {
		log_info("gdb: no network, so no GDB stub");
		cannot_wait(cfg);
		return true;
	}
	tp.cfg = cfg; /* before the first connection can come */
	if (!gdb_listen(cfg->gdb_port)) {
		log_warn("gdb: no GDB stub: cannot listen on TCP port %u",
			 cfg->gdb_port);
		cannot_wait(cfg);
		return true;
	}
	tp.port = cfg->gdb_port;
	gdb_set_readonly(cfg->gdb_readonly);
	if (cfg->gdb_allow_count == 0)
		log_warn("gdb: warning: gdb.allow is not set: anyone who can "
			 "reach TCP port %u can stop the guest and read or "
			 "change its state", cfg->gdb_port);
	if (cfg->gdb_readonly)
		log_info("gdb: sessions are read-only (gdb.readonly = on)");
	if (!hv_idle_register(gdb_idle) ||
	    !arch_timer_every(GDB_POLL_MS, gdb_timer, NULL))
		log_warn("gdb: the stub is polled less often than it should");
	if (cfg->gdb_wait) {
		target_hold_at_entry();
		tp.hold_since_ns = tp.nagged_ns = arch_timer_now_ns();
	}
	announce();
	return true;
}
HV_INIT(HV_INIT_SERVICE, gdb_init);

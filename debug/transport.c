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
 * A second client while a session is open gets one clear error reply to
 * its first packet and is closed; the session is not disturbed.
 */
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
#include "target.h"

/* Enough for a few maximum-size replies queued behind a full window. */
#define OUT_RING_SIZE (4 * GDB_PACKET_SIZE + 512)
/* The stub's timer: stop replies and clean-up while nothing else wakes us. */
#define GDB_POLL_MS 20
/* gdb.wait without an address yet: say so this often. */
#define NO_ADDRESS_NAG_NS (5ULL * 1000 * 1000 * 1000)
/* lwIP's poll callback interval for refused clients, in 500 ms ticks. */
#define REFUSE_POLL_TICKS 2

/* The refusal, as a complete packet: $<text>#<checksum>. */
#define BUSY_TEXT "E.vigil: another debugger is attached"

static struct {
	struct tcp_pcb *listener;
	struct tcp_pcb *session;
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

	log_info("gdb: session ended (%s)", why);
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
	log_info("gdb: connection lost (lwIP error %d)", (int)err);
	session_forget();
	gdb_close();
}

/* ---- refusing a second client ----------------------------------------- */

static err_t refuse_close(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
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

static err_t refuse_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			 err_t err)
{
	bool packet = false;

	(void)arg;
	if (p == NULL || err != ERR_OK) {
		if (p != NULL)
			pbuf_free(p);
		return refuse_close(pcb);
	}
	for (struct pbuf *q = p; q != NULL && !packet; q = q->next)
		packet = memchr(q->payload, '$', q->len) != NULL;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	if (packet) {
		send_packet_raw(pcb, BUSY_TEXT);
		return refuse_close(pcb);
	}
	return ERR_OK;
}

/* A refused client that never sends a packet is closed all the same. */
static err_t refuse_poll(void *arg, struct tcp_pcb *pcb)
{
	(void)arg;
	return refuse_close(pcb);
}

static err_t gdb_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	tcp_nagle_disable(pcb);
	if (tp.session != NULL) {
		log_info("gdb: second client refused: a session is open");
		tcp_recv(pcb, refuse_recv);
		tcp_poll(pcb, refuse_poll, REFUSE_POLL_TICKS);
		return ERR_OK;
	}
	tp.session = pcb;
	tp.out_head = tp.out_len = 0;
	tp.overflowed = false;
	tcp_recv(pcb, session_recv);
	tcp_sent(pcb, session_sent);
	tcp_err(pcb, session_err);
	log_info("gdb: client connected");
	gdb_open();
	flush();
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
	if (!gdb_listen(cfg->gdb_port)) {
		log_warn("gdb: no GDB stub: cannot listen on TCP port %u",
			 cfg->gdb_port);
		cannot_wait(cfg);
		return true;
	}
	tp.port = cfg->gdb_port;
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

/*
 * PL011 UART: vigil's console, and the emulated PL011 the guest sees at the
 * same address. The guest never touches the real registers: its accesses
 * trap (the page is not in stage 2) and are emulated here, with output
 * going straight to the serial line and input polled from it.
 */
#include <arch_cpu.h>
#include <arch_irq.h>
#include <arch_timer.h>
#include <vigil/console.h>
#include <vigil/init.h>
#include <vigil/log.h>
#include <vigil/mmio.h>
#include <vigil/platform.h>
#include <vigil/vm.h>

#define UARTDR 0x000
#define UARTRSR 0x004
#define UARTFR 0x018
#define UARTILPR 0x020
#define UARTIBRD 0x024
#define UARTFBRD 0x028
#define UARTLCR_H 0x02c
#define UARTCR 0x030
#define UARTIFLS 0x034
#define UARTIMSC 0x038
#define UARTRIS 0x03c
#define UARTMIS 0x040
#define UARTICR 0x044
#define UARTDMACR 0x048
#define UARTPERIPHID0 0xfe0

#define FR_RXFE (1U << 4)
#define FR_TXFF (1U << 5)
#define FR_TXFE (1U << 7)
#define INT_RX (1U << 4)
#define INT_TX (1U << 5)
#define INT_RT (1U << 6)

#define PL011_MMIO_SIZE 0x1000
#define RX_BUF_SIZE 256
#define INPUT_POLL_MS 10
/* Guest bytes held back at a line start show after one to two of these. */
#define GUEST_LINE_TICK_MS 100

static volatile uint32_t *uart_regs;

static inline uint32_t reg_read(uint32_t off)
{
	return uart_regs[off / 4];
}

static inline void reg_write(uint32_t off, uint32_t v)
{
	uart_regs[off / 4] = v;
}

static void pl011_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			while (reg_read(UARTFR) & FR_TXFF)
				;
			reg_write(UARTDR, '\r');
		}
		while (reg_read(UARTFR) & FR_TXFF)
			;
		reg_write(UARTDR, (uint8_t)buf[i]);
	}
}

static int pl011_getc(void)
{
	if (reg_read(UARTFR) & FR_RXFE)
		return -1;
	return (int)(reg_read(UARTDR) & 0xff);
}

static const struct console_ops pl011_console = {
	.write = pl011_write,
	.getc = pl011_getc,
};

/* The guest's PL011: register file, receive buffer, interrupt line. */
static struct vuart {
	uint32_t ibrd, fbrd, lcr_h, cr, ifls, imsc, dmacr, ilpr;
	uint32_t ris;
	uint8_t rx[RX_BUF_SIZE];
	uint32_t rx_head, rx_tail; /* head == tail: empty */
	struct vm *vm;
	uint32_t intid; /* 0: no interrupt line */
} vuart = {
	.cr = 0x300, /* TXE | RXE, as after reset */
	.ifls = 0x12,
	.ris = INT_TX,
};

static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00,
				    0x0d, 0xf0, 0x05, 0xb1};

static void vuart_poll_input(struct vuart *u)
{
	int c;

	while ((u->rx_head + 1) % RX_BUF_SIZE != u->rx_tail &&
	       (c = console_getc()) >= 0) {
		u->rx[u->rx_head] = (uint8_t)c;
		u->rx_head = (u->rx_head + 1) % RX_BUF_SIZE;
	}
	if (u->rx_head != u->rx_tail)
		u->ris |= INT_RX;
	else
		u->ris &= ~(INT_RX | INT_RT);
}

static uint32_t vuart_read(struct vuart *u, uint64_t off)
{
	switch (off) {
	case UARTDR: {
		uint32_t c = 0;
		vuart_poll_input(u);
		if (u->rx_head != u->rx_tail) {
			c = u->rx[u->rx_tail];
			u->rx_tail = (u->rx_tail + 1) % RX_BUF_SIZE;
		}
		vuart_poll_input(u);
		return c;
	}
	case UARTRSR:
		return 0;
	case UARTFR:
		vuart_poll_input(u);
		/* Output is written through at once: never full, always empty. */
		return FR_TXFE | (u->rx_head == u->rx_tail ? FR_RXFE : 0);
	case UARTILPR: return u->ilpr;
	case UARTIBRD: return u->ibrd;
	case UARTFBRD: return u->fbrd;
	case UARTLCR_H: return u->lcr_h;
	case UARTCR: return u->cr;
	case UARTIFLS: return u->ifls;
	case UARTIMSC: return u->imsc;
	case UARTRIS:
		vuart_poll_input(u);
		return u->ris;
	case UARTMIS:
		vuart_poll_input(u);
		return u->ris & u->imsc;
	case UARTDMACR: return u->dmacr;
	default:
		if (off >= UARTPERIPHID0 && off < UARTPERIPHID0 + 32)
			return pl011_id[(off - UARTPERIPHID0) / 4];
		return 0; /* reserved: RAZ */
	}
}

static void vuart_write(struct vuart *u, uint64_t off, uint32_t v)
{
	switch (off) {
	case UARTDR: {
		char c = (char)v;
		console_write_guest(&c, 1);
		u->ris |= INT_TX;
		break;
	}
	case UARTRSR: break; /* error clear: no errors to clear */
	case UARTILPR: u->ilpr = v & 0xff; break;
	case UARTIBRD: u->ibrd = v & 0xffff; break;
	case UARTFBRD: u->fbrd = v & 0x3f; break;
	case UARTLCR_H: u->lcr_h = v & 0xff; break;
	case UARTCR: u->cr = v & 0xffff; break;
	case UARTIFLS: u->ifls = v & 0x3f; break;
	case UARTIMSC: u->imsc = v & 0x7ff; break;
	case UARTICR:
		/* The transmit interrupt re-asserts at once: the FIFO is empty. */
		u->ris &= ~(v & 0x7ff);
		u->ris |= INT_TX;
		break;
	case UARTDMACR: u->dmacr = v & 7; break;
	default: break; /* read-only or reserved: WI */
	}
}

static arch_spinlock_t vuart_lock;
static struct mem_range uart_reg;

/* The guest's line follows its masked interrupt status, like the real one. */
static void vuart_update_line(struct vuart *u)
{
	if (u->intid != 0)
		arch_virq_set_level(u->vm, u->intid, (u->ris & u->imsc) != 0);
}

static bool vuart_access(struct vcpu *vcpu, struct mmio_access *acc,
			 uint64_t offset, void *priv)
{
	struct vuart *u = priv;

	(void)vcpu;
	/* PL011 registers are 8/16/32-bit; a 64-bit access is a bus error. */
	if (acc->size > 4)
		return false;
	arch_spin_lock(&vuart_lock);
	if (acc->write)
		vuart_write(u, offset & ~3UL, (uint32_t)acc->value);
	else
		acc->value = vuart_read(u, offset & ~3UL);
	vuart_update_line(u);
	arch_spin_unlock(&vuart_lock);
	return true;
}

/* Input arrived on the real UART: queue it for the guest. */
static void pl011_rx_irq(void *ctx)
{
	struct vuart *u = ctx;

	arch_spin_lock(&vuart_lock);
	vuart_poll_input(u);
	reg_write(UARTICR, INT_RX | INT_RT);
	vuart_update_line(u);
	arch_spin_unlock(&vuart_lock);
}

static bool pl011_console_init(const void *fdt, struct vm *vm)
{
	(void)vm;
	if (!platform_find_device(fdt, "arm,pl011", true, &uart_reg)) {
		log_always("no PL011 UART in the device tree: no console");
		return false;
	}
	uart_regs = (volatile uint32_t *)(uintptr_t)uart_reg.base;
	console_register(&pl011_console);
	return true;
}
HV_INIT(HV_INIT_CONSOLE, pl011_console_init);

static void guest_output_tick(void *ctx)
{
	(void)ctx;
	console_guest_tick();
}

/* The guest's PL011 at the real one's address, with the real one's SPI. */
static bool pl011_guest_init(const void *fdt, struct vm *vm)
{
	struct mmio_region region = {
		.name = "pl011",
		.base = uart_reg.base,
		.size = PL011_MMIO_SIZE,
		.access = vuart_access,
		.priv = &vuart,
	};
	uint32_t intid;

	if (!mmio_register(&vm->mmio, &region))
		return false;
	vuart.vm = vm;
	if (arch_irq_from_dt(fdt, "arm,pl011", &intid) &&
	    arch_virq_claim(vm, intid) &&
	    arch_irq_request(intid, pl011_rx_irq, &vuart)) {
		vuart.intid = intid;
		reg_write(UARTIMSC, INT_RX | INT_RT);
	} else if (arch_timer_every(INPUT_POLL_MS, pl011_rx_irq, &vuart)) {
		log_warn("console: PL011 interrupt unavailable, guest input is "
			 "polled every %u ms", INPUT_POLL_MS);
	} else {
		log_warn("console: guest input only when the guest reads the UART");
	}
	if (!arch_timer_every(GUEST_LINE_TICK_MS, guest_output_tick, NULL))
		log_warn("console: a guest line start that looks like 'vigil:' "
			 "shows only with the guest's next byte");
	log_debug("console: PL011 at 0x%llx (emulated for the guest, INTID %u)",
		  (unsigned long long)uart_reg.base, vuart.intid);
	return true;
}
HV_INIT(HV_INIT_DEVICE, pl011_guest_init);

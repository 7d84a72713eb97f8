/*
 * fwcfg.c - QEMU's fw-cfg device, whose DMA interface writes to physical
 * addresses: a guest holding it could overwrite the hypervisor whatever
 * stage 2 says. vigil hides every device that can master DMA unless
 * vigil.cfg says unsafe.dma_passthrough = on.
 *
 * Bootargs:
 *   fwcfg=0x<base>    the device (QEMU virt: 0x09020000)
 *   target=0x<addr>   where the DMA write of zeros would land (the
 *                     hypervisor's load address); default: the first
 *                     byte above guest RAM, from the device tree
 *   visible           the device must be there (passed through): its
 *                     signature reads "QEMU" and its DMA register "QEMU
 *                     CFG"; no DMA is started
 * Without "visible": reading the device, and programming a DMA write of
 * 1 MiB of zeros towards target, must both abort (the device is not
 * there), and the guest carries on to its verdict.
 */
#include "guest.h"

const char guest_name[] = "fwcfg";

#define FW_CFG_DATA		0x00	/* 8-bit data, of the selected item */
#define FW_CFG_SELECTOR		0x08	/* 16-bit, big-endian */
#define FW_CFG_DMA		0x10	/* 64-bit address, big-endian */
#define FW_CFG_SIGNATURE	0x0000
#define FW_CFG_DMA_SIGNATURE	0x51454d5520434647UL	/* "QEMU CFG" */
#define FW_CFG_DMA_CTL_READ	0x02
#define FW_CFG_DMA_CTL_SELECT	0x08
#define FW_CFG_INVALID_KEY	0xffffU	/* reads as zeros */
#define DMA_LENGTH		(1U << 20)

/* The descriptor the device reads from guest memory (all big-endian). */
struct fw_cfg_dma {
	u32 control, length;
	u64 address;
} __attribute__((aligned(16)));

static volatile struct fw_cfg_dma dma_desc;

static u64 be64(u64 v)
{
	return __builtin_bswap64(v);
}

static void check_visible(u64 base)
{
	struct exception_record rec;
	char sig[5] = {0};
	u64 dma_reg;
	unsigned i;

	if (probe_write16(base + FW_CFG_SELECTOR, __builtin_bswap16(FW_CFG_SIGNATURE),
		    &rec)) {
		report_fail("fw-cfg selector write aborted esr=0x%lx", rec.esr);
		return;
	}
	for (i = 0; i < 4; i++) {
		u8 c;
		if (probe_read8(base + FW_CFG_DATA, &c, &rec)) {
			report_fail("fw-cfg data read aborted esr=0x%lx", rec.esr);
			return;
		}
		sig[i] = (char)c;
	}
	check_true("fw-cfg signature QEMU", sig[0] == 'Q' && sig[1] == 'E' &&
			   sig[2] == 'M' && sig[3] == 'U');
	if (probe_read64(base + FW_CFG_DMA, &dma_reg, &rec))
		report_fail("fw-cfg dma register read aborted esr=0x%lx", rec.esr);
	else
		check_eq("fw-cfg dma register signature", FW_CFG_DMA_SIGNATURE,
			 be64(dma_reg));
	print_line("fw-cfg visible at 0x%lx: signature %s", base, sig);
}

static void check_hidden(u64 base, u64 target)
{
	struct exception_record rec;
	u8 c;

	if (probe_read8(base + FW_CFG_DATA, &c, &rec))
		report_ok("fw-cfg read aborted far=0x%lx", rec.far);
	else
		report_fail("fw-cfg data read 0x%x: the device is reachable", c);

	/* Select an item that reads as zeros, into target, 1 MiB of them. */
	dma_desc.control = __builtin_bswap32(FW_CFG_DMA_CTL_SELECT |
					     FW_CFG_DMA_CTL_READ |
					     (FW_CFG_INVALID_KEY << 16));
	dma_desc.length = __builtin_bswap32(DMA_LENGTH);
	dma_desc.address = be64(target);
	dmb_sy();
	if (probe_write64(base + FW_CFG_DMA, be64((u64)&dma_desc), &rec))
		report_ok("fw-cfg dma of zeros towards 0x%lx aborted far=0x%lx",
			  target, rec.far);
	else
		report_fail("fw-cfg dma register write towards 0x%lx did not abort",
			    target);
	print_line("still running after the dma attempt");
}

void guest_main(void)
{
	u64 base, target, ram_base, ram_size;

	if (!bootargs_value("fwcfg", &base)) {
		print_line("skip no fwcfg=0x<address> in the bootargs");
		return;
	}
	if (!fdt_memory(guest_dtb, &ram_base, &ram_size)) {
		report_fail("no /memory reg in dtb");
		return;
	}
	if (!bootargs_value("target", &target))
		target = ram_base + ram_size;
	if (target >= ram_base && target < ram_base + ram_size) {
		report_fail("target 0x%lx is inside guest RAM", target);
		return;
	}
	if (bootargs_has("visible"))
		check_visible(base);
	else
		check_hidden(base, target);
}

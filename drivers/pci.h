/*
 * PCI Express through ECAM host bridges (device-tree "pci-host-ecam-
 * generic"), as far as the devices vigil keeps need it: find functions,
 * read their BARs and capabilities, their legacy interrupt (INTx) through
 * the bridge's interrupt-map, and take a function away from the guest.
 *
 * The firmware (UEFI) has assigned the BARs; vigil keeps them as they are.
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <vigil/types.h>

struct vm;

/* Type 0 configuration header. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_MULTI_FUNCTION 0x80

#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

#define PCI_NR_BARS 6

struct pci_host {
	int node; /* in the firmware's device tree */
	struct mem_range ecam;
	uint8_t bus_start, bus_end;
};

struct pci_func {
	const struct pci_host *host;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t header_type; /* without the multi-function bit */
	uintptr_t cfg;       /* its 4 KiB of ECAM */
};

struct pci_bar {
	uint64_t base;
	uint64_t size;
	bool is_io;
	bool is_64bit; /* takes this BAR and the next */
};

/*
 * Find every function behind every ECAM host bridge (once; later calls
 * return the same count). Functions are kept in bus, device, function
 * order.
 */
unsigned int pci_scan(const void *fdt);
/* Function number i of the scan; NULL past the end. */
const struct pci_func *pci_function(unsigned int i);
/* The function at bus:dev.fn on the first bridge that has that bus. */
const struct pci_func *pci_lookup(uint8_t bus, uint8_t dev, uint8_t fn);

uint8_t pci_read8(const struct pci_func *f, uint32_t off);
uint16_t pci_read16(const struct pci_func *f, uint32_t off);
uint32_t pci_read32(const struct pci_func *f, uint32_t off);
void pci_write16(const struct pci_func *f, uint32_t off, uint16_t val);
void pci_write32(const struct pci_func *f, uint32_t off, uint32_t val);

/*
 * BAR n as the firmware assigned it, sized (with decoding off meanwhile).
 * False for an unimplemented BAR or the upper half of a 64-bit one.
 */
bool pci_read_bar(const struct pci_func *f, unsigned int n,
		  struct pci_bar *bar);

/*
 * Offset of the next capability with id cap_id after the one at offset
 * after (0: from the start of the list); 0 when there is none.
 */
uint8_t pci_next_cap(const struct pci_func *f, uint8_t cap_id, uint8_t after);

/*
 * Make the function usable by vigil: memory decoding and bus mastering
 * on, I/O decoding off (no one uses it, and the guest's I/O window must
 * not reach it), MSI and MSI-X off, INTx on or off.
 */
void pci_enable(const struct pci_func *f, bool intx);

/*
 * The INTID of the function's INTx through its bridge's interrupt-map.
 * False when it has none or it cannot be worked out (behind a bridge).
 * *shared: another function may raise the same line (then vigil cannot
 * own it without taking it from the guest).
 */
bool pci_intx_intid(const void *fdt, const struct pci_func *f,
		    uint32_t *intid, bool *shared);

/*
 * Take the function away from the guest: its configuration space reads
 * as all-ones (no device) and ignores writes, and its memory BARs are
 * left out of stage 2.
 */
bool pci_hide_function(const struct pci_func *f, struct vm *vm);

#endif

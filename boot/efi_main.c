/*
 * UEFI entry: the only file in vigil that talks to the firmware.
 *
 * It reads vigil.cfg from the volume vigil.efi was loaded from, loads the
 * guest kernel (and initrd, and optionally a DTB) into guest RAM, reserves
 * the hypervisor's own memory, takes the memory map, exits boot services
 * and hands everything to hv_main(). Any failure before ExitBootServices
 * prints one message naming the key or file, gives back what was allocated
 * and returns to the firmware.
 */
#include <efi.h>
#include <efilib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vigil/boot_info.h>
#include <vigil/config.h>
#include <vigil/platform.h>

#include "image.h"

#define CONFIG_FILE "vigil.cfg"
#define CONFIG_MAX_SIZE (64 * 1024)
#define HV_POOL_SIZE (32UL << 20)
#define MAX_DTB_SIZE GUEST_DTB_SLOT_SIZE
/* UEFI 2.5 memory type, newer than gnu-efi's enum. */
#define EFI_PERSISTENT_MEMORY 14

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

static EFI_GUID fdt_table_guid = {
	0xb1b621d5, 0xf19c, 0x41a5, {0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0}};

/* Handed to hv_main; lives in the image, which survives ExitBootServices. */
static struct boot_info info;
static enum log_level boot_log = LOG_INFO;

/* Page allocations to give back if boot fails before hv_main. */
struct allocation {
	EFI_PHYSICAL_ADDRESS base;
	UINTN pages;
};
static struct allocation allocations[8];
static unsigned int nr_allocations;

static void boot_print(const char *fmt, va_list ap)
{
	char msg[256];
	CHAR16 wide[sizeof(msg) + 8];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	unsigned int j = 0;

	if (n < 0)
		return;
	for (const char *p = "vigil: "; *p; p++)
		wide[j++] = (CHAR16)*p;
	for (int i = 0; msg[i] && j < sizeof(wide) / sizeof(wide[0]) - 3; i++)
		wide[j++] = (CHAR16)(unsigned char)msg[i];
	wide[j++] = L'\r';
	wide[j++] = L'\n';
	wide[j] = 0;
	uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, wide);
}

/* A boot failure: always printed, whatever the log level. */
static void __attribute__((format(printf, 1, 2))) boot_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	boot_print(fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 1, 2))) boot_info_msg(const char *fmt, ...)
{
	va_list ap;
	if (boot_log < LOG_INFO)
		return;
	va_start(ap, fmt);
	boot_print(fmt, ap);
	va_end(ap);
}

static const char *efi_error_text(EFI_STATUS s)
{
	switch (s) {
	case EFI_NOT_FOUND: return "not found";
	case EFI_OUT_OF_RESOURCES: return "out of memory";
	case EFI_ACCESS_DENIED: return "access denied";
	case EFI_VOLUME_CORRUPTED: return "volume corrupted";
	case EFI_DEVICE_ERROR: return "device error";
	case EFI_INVALID_PARAMETER: return "invalid parameter";
	default: return "firmware error";
	}
}

static EFI_STATUS alloc_pages(EFI_ALLOCATE_TYPE type, UINTN pages,
			      EFI_PHYSICAL_ADDRESS *addr)
{
	EFI_STATUS s = uefi_call_wrapper(BS->AllocatePages, 4, type,
					 EfiLoaderData, pages, addr);
	if (!EFI_ERROR(s) && nr_allocations < ARRAY_SIZE(allocations))
		allocations[nr_allocations++] =
			(struct allocation){*addr, pages};
	return s;
}

static void free_all_pages(void)
{
	while (nr_allocations > 0) {
		struct allocation *a = &allocations[--nr_allocations];
		uefi_call_wrapper(BS->FreePages, 2, a->base, a->pages);
	}
}

static UINTN pages_of(uint64_t bytes)
{
	return (UINTN)(ALIGN_UP(bytes, EFI_PAGE_SIZE) / EFI_PAGE_SIZE);
}

/* Read a whole file from the boot volume into fresh pages. */
static bool read_file(EFI_FILE_HANDLE root, const char *what, const char *path,
		      uint64_t max_size, void **data, uint64_t *size)
{
	CHAR16 wpath[CONFIG_PATH_MAX];
	EFI_FILE_HANDLE fh;
	EFI_STATUS s;
	size_t i;

	for (i = 0; path[i] && i < ARRAY_SIZE(wpath) - 1; i++)
		wpath[i] = path[i] == '/' ? L'\\' : (CHAR16)(unsigned char)path[i];
	wpath[i] = 0;

	s = uefi_call_wrapper(root->Open, 5, root, &fh, wpath,
			      EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(s)) {
		boot_error("%s '%s': %s", what, path, efi_error_text(s));
		return false;
	}
	EFI_FILE_INFO *fi = LibFileInfo(fh);
	if (fi == NULL) {
		boot_error("%s '%s': cannot read its size", what, path);
		uefi_call_wrapper(fh->Close, 1, fh);
		return false;
	}
	uint64_t len = fi->FileSize;
	bool is_dir = fi->Attribute & EFI_FILE_DIRECTORY;
	FreePool(fi);
	if (is_dir || len == 0 || len > max_size) {
		boot_error("%s '%s': %s", what, path,
			   is_dir ? "is a directory"
			   : len == 0 ? "empty file"
				      : "file too large");
		uefi_call_wrapper(fh->Close, 1, fh);
		return false;
	}

	EFI_PHYSICAL_ADDRESS buf;
	/* One spare byte so that text files can be NUL-terminated. */
	s = alloc_pages(AllocateAnyPages, pages_of(len + 1), &buf);
	if (EFI_ERROR(s)) {
		boot_error("%s '%s': no memory for %llu bytes", what, path,
			   (unsigned long long)len);
		uefi_call_wrapper(fh->Close, 1, fh);
		return false;
	}
	UINTN got = (UINTN)len;
	s = uefi_call_wrapper(fh->Read, 3, fh, &got, (void *)(uintptr_t)buf);
	uefi_call_wrapper(fh->Close, 1, fh);
	if (EFI_ERROR(s) || got != len) {
		boot_error("%s '%s': read failed", what, path);
		return false;
	}
	((char *)(uintptr_t)buf)[len] = '\0';
	*data = (void *)(uintptr_t)buf;
	*size = len;
	return true;
}

static bool load_config(EFI_FILE_HANDLE root)
{
	void *text;
	uint64_t len;
	char err[CONFIG_ERROR_MAX];

	if (!read_file(root, "config", CONFIG_FILE, CONFIG_MAX_SIZE, &text, &len))
		return false;
	if (!config_parse(text, len, &info.cfg, err)) {
		boot_error("%s", err);
		return false;
	}
	boot_log = info.cfg.log;
	return true;
}

/*
 * After a failed AllocateAddress: name the first range in [base, base+size)
 * the firmware is using, so the user can choose another link address or a
 * smaller "memory".
 */
static void report_busy_range(uint64_t base, uint64_t size)
{
	UINTN entries, key, desc_size;
	UINT32 version;
	EFI_MEMORY_DESCRIPTOR *map =
		LibMemoryMap(&entries, &key, &desc_size, &version);

	if (map == NULL)
		return;
	for (UINTN i = 0; i < entries; i++) {
		const EFI_MEMORY_DESCRIPTOR *d =
			(const void *)((const uint8_t *)map + i * desc_size);
		uint64_t start = d->PhysicalStart;
		uint64_t end = start + d->NumberOfPages * EFI_PAGE_SIZE;
		if (d->Type != EfiConventionalMemory && start < base + size &&
		    base < end) {
			boot_error("  0x%llx-0x%llx is in use by the firmware "
				   "(UEFI memory type %u)",
				   (unsigned long long)start,
				   (unsigned long long)(end - 1), d->Type);
			break;
		}
	}
	FreePool(map);
}

/* Guest RAM at exactly [base, base+size), or anywhere 2 MiB aligned. */
static bool alloc_guest_ram(const struct image_info *img, uint64_t initrd_size)
{
	EFI_PHYSICAL_ADDRESS addr;
	EFI_STATUS s;

	if (img->kind == IMAGE_ELF) {
		struct mem_range r =
			image_elf_ram(img, info.cfg.memory, initrd_size);
		addr = r.base;
		s = alloc_pages(AllocateAddress, pages_of(r.size), &addr);
		if (EFI_ERROR(s)) {
			boot_error("kernel '%s': guest RAM 0x%llx-0x%llx that its "
				   "ELF segments need is not free (%s)",
				   info.cfg.kernel, (unsigned long long)r.base,
				   (unsigned long long)(r.base + r.size - 1),
				   efi_error_text(s));
			report_busy_range(r.base, r.size);
			return false;
		}
		info.guest_ram = r;
		return true;
	}

	/* Over-allocate by 2 MiB, then give back the unaligned head and tail. */
	uint64_t size = info.cfg.memory;
	s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
			      EfiLoaderData, pages_of(size + SZ_2M), &addr);
	if (EFI_ERROR(s)) {
		boot_error("memory: cannot reserve %llu MiB of guest RAM (%s)",
			   (unsigned long long)(size >> 20), efi_error_text(s));
		return false;
	}
	uint64_t base = ALIGN_UP(addr, SZ_2M);
	if (base != addr)
		uefi_call_wrapper(BS->FreePages, 2, addr, pages_of(base - addr));
	uint64_t tail = addr + size + SZ_2M - (base + size);
	if (tail != 0)
		uefi_call_wrapper(BS->FreePages, 2, base + size, pages_of(tail));
	if (nr_allocations < ARRAY_SIZE(allocations))
		allocations[nr_allocations++] =
			(struct allocation){base, pages_of(size)};
	info.guest_ram = (struct mem_range){base, size};
	return true;
}

static void copy_kernel(const void *file, const struct image_info *img,
			const struct guest_layout *layout)
{
	if (img->kind != IMAGE_ELF) {
		memcpy((void *)(uintptr_t)layout->kernel_base, file,
		       img->file_size);
		/* Linux's image_size covers a bss it expects zeroed. */
		memset((void *)(uintptr_t)(layout->kernel_base + img->file_size),
		       0, layout->kernel_end - layout->kernel_base -
				  img->file_size);
		return;
	}
	for (uint32_t i = 0; i < img->nr_seg; i++) {
		const struct image_segment *sg = &img->seg[i];
		memcpy((void *)(uintptr_t)sg->paddr,
		       (const uint8_t *)file + sg->offset, sg->filesz);
		memset((void *)(uintptr_t)(sg->paddr + sg->filesz), 0,
		       sg->memsz - sg->filesz);
	}
}

static bool find_firmware_dtb(const void **dtb)
{
	void *table = NULL;

	if (EFI_ERROR(LibGetSystemConfigurationTable(&fdt_table_guid, &table)) ||
	    table == NULL) {
		boot_error("dtb: the firmware provides no device tree; set "
			   "'dtb = FILE' in " CONFIG_FILE);
		return false;
	}
	*dtb = table;
	return true;
}

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/*
 * Copy the source DTB into vigil's pool so it outlives boot services.
 * avail is how many bytes src holds (a file's length), or 0 when only the
 * header can say (the firmware's table).
 */
static bool stash_dtb(const void *src, uint64_t avail, const char *what,
		      void *pool_dst)
{
	if ((avail != 0 && avail < 8) || be32(src) != 0xd00dfeed) {
		boot_error("dtb '%s': not a flattened device tree", what);
		return false;
	}
	uint32_t size = be32((const uint8_t *)src + 4);
	if (avail != 0 && size > avail) {
		boot_error("dtb '%s': truncated (%u bytes announced, %llu in "
			   "the file)", what, size, (unsigned long long)avail);
		return false;
	}
	if (size < 40 || size > MAX_DTB_SIZE) {
		boot_error("dtb '%s': bad size %u", what, size);
		return false;
	}
	memcpy(pool_dst, src, size);
	/* Validate first: every later reader trusts the tree's layout. */
	char err[96];
	if (!platform_check_dtb(pool_dst, size, err, sizeof(err))) {
		boot_error("dtb '%s': %s", what, err);
		return false;
	}
	info.dtb = pool_dst;
	info.dtb_size = size;
	return true;
}

static bool is_ram_type(UINT32 type)
{
	switch (type) {
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
	case EfiRuntimeServicesCode:
	case EfiRuntimeServicesData:
	case EfiConventionalMemory:
	case EfiACPIReclaimMemory:
	case EfiACPIMemoryNVS:
	case EFI_PERSISTENT_MEMORY:
		return true;
	default:
		return false;
	}
}

/* Merge the memory map's RAM descriptors into info.ram. */
static void record_ram(const EFI_MEMORY_DESCRIPTOR *map, UINTN map_size,
		       UINTN desc_size)
{
	info.nr_ram = 0;
	for (UINTN off = 0; off + desc_size <= map_size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d =
			(const void *)((const uint8_t *)map + off);
		if (!is_ram_type(d->Type))
			continue;
		uint64_t base = d->PhysicalStart;
		uint64_t size = d->NumberOfPages * EFI_PAGE_SIZE;
		struct mem_range *last =
			info.nr_ram ? &info.ram[info.nr_ram - 1] : NULL;
		if (last && last->base + last->size == base) {
			last->size += size;
		} else if (info.nr_ram < BOOT_MAX_RAM_RANGES) {
			info.ram[info.nr_ram++] = (struct mem_range){base, size};
		} else if (last) {
			/* Too fragmented to list: cover the gap as RAM. */
			last->size = base + size - last->base;
		}
	}
}

static bool exit_boot_services(EFI_HANDLE image)
{
	/* The map is rewritten on every attempt; leave room for growth. */
	static uint8_t map_buf[64 * 1024] __attribute__((aligned(8)));
	EFI_STATUS s = EFI_SUCCESS;

	for (int attempt = 0; attempt < 3; attempt++) {
		UINTN map_size = sizeof(map_buf), key, desc_size;
		UINT32 desc_version;
		s = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size,
				      (EFI_MEMORY_DESCRIPTOR *)map_buf, &key,
				      &desc_size, &desc_version);
		if (EFI_ERROR(s))
			break;
		/* Nothing may allocate between GetMemoryMap and the exit. */
		s = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		if (!EFI_ERROR(s)) {
			record_ram((const EFI_MEMORY_DESCRIPTOR *)map_buf,
				   map_size, desc_size);
			return true;
		}
	}
	boot_error("ExitBootServices failed: %s", efi_error_text(s));
	return false;
}

static bool prepare(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *loaded;
	EFI_STATUS s;

	s = uefi_call_wrapper(BS->HandleProtocol, 3, image,
			      &LoadedImageProtocol, (void **)&loaded);
	if (EFI_ERROR(s)) {
		boot_error("cannot find vigil's own image: %s", efi_error_text(s));
		return false;
	}
	info.hv_image = (struct mem_range){(uintptr_t)loaded->ImageBase,
					   loaded->ImageSize};

	EFI_FILE_HANDLE root = LibOpenRoot(loaded->DeviceHandle);
	if (root == NULL) {
		boot_error("cannot open the volume vigil was loaded from");
		return false;
	}
	if (!load_config(root))
		return false;

	boot_info_msg("vigil %s loaded at 0x%llx", VIGIL_VERSION,
		      (unsigned long long)info.hv_image.base);

	EFI_PHYSICAL_ADDRESS pool;
	if (EFI_ERROR(alloc_pages(AllocateAnyPages, pages_of(HV_POOL_SIZE), &pool))) {
		boot_error("cannot reserve %lu MiB for the hypervisor",
			   HV_POOL_SIZE >> 20);
		return false;
	}
	/* The first 2 MiB of the pool hold the source DTB. */
	void *dtb_copy = (void *)(uintptr_t)pool;
	info.hv_pool = (struct mem_range){pool + MAX_DTB_SIZE,
					  HV_POOL_SIZE - MAX_DTB_SIZE};

	if (info.cfg.dtb[0]) {
		void *dtb_file;
		uint64_t dtb_len;
		if (!read_file(root, "dtb", info.cfg.dtb, MAX_DTB_SIZE, &dtb_file,
			       &dtb_len) ||
		    !stash_dtb(dtb_file, dtb_len, info.cfg.dtb, dtb_copy))
			return false;
	} else {
		const void *fw_dtb;
		if (!find_firmware_dtb(&fw_dtb) ||
		    !stash_dtb(fw_dtb, 0, "firmware", dtb_copy))
			return false;
	}

	void *kernel, *initrd = NULL;
	uint64_t kernel_len, initrd_len = 0;
	struct image_info img;
	struct guest_layout layout;
	char err[IMAGE_ERROR_MAX];

	if (!read_file(root, "kernel", info.cfg.kernel, 1UL << 31, &kernel,
		       &kernel_len))
		return false;
	if (!image_parse(kernel, kernel_len, &img, err)) {
		boot_error("kernel '%s': %s", info.cfg.kernel, err);
		return false;
	}
	if (info.cfg.initrd[0] &&
	    !read_file(root, "initrd", info.cfg.initrd, 1UL << 31, &initrd,
		       &initrd_len))
		return false;
	if (!alloc_guest_ram(&img, initrd_len))
		return false;
	if (!image_layout(&img, &info.guest_ram, initrd_len, &layout, err)) {
		boot_error("kernel '%s': %s", info.cfg.kernel, err);
		return false;
	}

	copy_kernel(kernel, &img, &layout);
	if (initrd_len)
		memcpy((void *)(uintptr_t)layout.initrd.base, initrd, initrd_len);
	info.guest_entry = layout.entry;
	info.guest_initrd = layout.initrd;
	info.guest_dtb_slot = layout.dtb_slot;

	boot_info_msg("kernel '%s': %s, %llu bytes, entry 0x%llx",
		      info.cfg.kernel, image_kind_name(img.kind),
		      (unsigned long long)kernel_len,
		      (unsigned long long)layout.entry);
	return true;
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	config_defaults(&info.cfg);

	if (!prepare(image) || !exit_boot_services(image)) {
		free_all_pages();
		boot_error("returning to the firmware");
		return EFI_LOAD_ERROR;
	}

	/* Boot services are gone: from here on only hv/ runs. */
	__asm__ volatile("msr daifset, #0xf");
	hv_main(&info);
}

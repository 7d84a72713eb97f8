/*
 * hello.c - the smallest useful guest: boots at EL1 wherever the loader
 * put it, finds its DTB and reads /memory and /chosen from it.  Built as
 * .bin, .img and .elf to exercise every way of loading a guest.
 */
#include "guest.h"

const char guest_name[] = "hello";

void guest_main(void)
{
	u64 image = (u64)_image_start, image_end = (u64)_image_end;
	u64 base, size;

	print_line("hello from EL%u", current_el());
	check_eq("running at el1", 1, current_el());
	print_line("image at 0x%lx size 0x%lx", image, image_end - image);

	print_line("dtb at 0x%lx", (u64)guest_dtb);
	check_true("dtb address nonzero", guest_dtb != NULL);
	check_eq("dtb magic", FDT_MAGIC, fdt_be32(guest_dtb));

	if (fdt_memory(guest_dtb, &base, &size)) {
		print_line("memory base=0x%lx size=0x%lx", base, size);
		check_true("image inside memory",
			   image >= base && image_end <= base + size);
	} else {
		report_fail("no /memory reg in dtb");
	}
	print_line("bootargs=%s", fdt_bootargs(guest_dtb));
}

/*
 * image_header.S - the arm64 Linux Image header that starts NAME.img.
 *
 * Layout per Documentation/arm64/booting.rst.  Linked first (section
 * .text.head), directly followed by _start, so NAME.img is NAME.bin with
 * these 64 bytes in front.
 */
	.section .text.head, "ax"
	b	_start			/* code0: branch over the header */
	.long	0			/* code1 */
	.quad	0			/* text_offset: 2 MiB boundary + 0 */
	.quad	_image_size		/* image_size, stacks included (guest.ld) */
	.quad	0xa			/* flags: LE, 4K pages, anywhere in RAM */
	.quad	0			/* res2 */
	.quad	0			/* res3 */
	.quad	0			/* res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5: no PE/COFF header */

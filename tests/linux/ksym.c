/*
 * ksym - print the addresses of kernel symbols, found from inside the guest.
 *
 *   ksym NAME...    one line "linux: sym NAME ADDR" per symbol, and one
 *                   "linux: symsrc NAME SOURCE, CHECK" saying where it was
 *                   found and how the address was checked; exit 1 if a
 *                   symbol was not found or failed its check
 *
 * The GDB tests of vigil break and watch on these addresses (with nokaslr
 * they are the same in every boot of the same kernel).
 *
 * Where the addresses come from: /proc/kallsyms first. Debian's kernel is
 * built without CONFIG_KALLSYMS_ALL, so kallsyms lists functions only;
 * data symbols are found in kernel memory, read through /proc/kcore:
 *
 *   - exported symbols (jiffies, init_task, ...): the __ksymtab entry whose
 *     name is NAME. Entries are 12 bytes {value, name, namespace}, each a
 *     32-bit offset from the field itself (PREL32), sorted by name. Names
 *     in __ksymtab_strings may share tails ("jiffies" inside
 *     "msecs_to_jiffies"), so a match only counts if a neighbouring entry
 *     also decodes to a name and the order is right: random words that
 *     happen to point at the string fail that.
 *   - linux_banner (not exported): the "Linux version <release> " string,
 *     which must equal /proc/version.
 *
 * Checks of data symbols: jiffies must advance while we sleep, init_task
 * must hold "swapper/0" (its comm), linux_banner must equal /proc/version,
 * panic_timeout must hold what /proc/sys/kernel/panic says.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define KSYMTAB_ENTRY 12		/* struct kernel_symbol with PREL32 */
#define MAX_IMAGE     (256u << 20)	/* more than any kernel image */

static int kcore = -1;
static Elf64_Phdr *phdrs;
static int nphdrs;

/* The kernel image, read from /proc/kcore: VA image_va .. + image_len. */
static unsigned char *image;
static uint64_t image_va;
static size_t image_len;

static uint64_t kallsyms_lookup(const char *name)
{
	char line[512], sym[256], type;
	unsigned long long addr;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* Module symbols have a 4th field "[module]": not ours. */
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    !strchr(line, '[') && strcmp(sym, name) == 0) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Opens /proc/kcore and reads its program headers, once. */
static int kcore_open(void)
{
	static int tried, result = -1;
	Elf64_Ehdr eh;

	if (tried)
		return result;
	tried = 1;
	kcore = open("/proc/kcore", O_RDONLY);
	if (kcore < 0) {
		fprintf(stderr, "ksym: /proc/kcore: %s\n", strerror(errno));
		return -1;
	}
	if (pread(kcore, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr)) {
		fprintf(stderr, "ksym: /proc/kcore is not an ELF64 core\n");
		return -1;
	}
	nphdrs = eh.e_phnum;
	phdrs = calloc(nphdrs, sizeof(*phdrs));
	if (!phdrs ||
	    pread(kcore, phdrs, nphdrs * sizeof(*phdrs), eh.e_phoff) !=
		    (ssize_t)(nphdrs * sizeof(*phdrs))) {
		fprintf(stderr, "ksym: cannot read /proc/kcore program headers\n");
		return -1;
	}
	result = 0;
	return 0;
}

/* Reads len bytes of kernel memory at va. */
static int kread(uint64_t va, void *buf, size_t len)
{
	if (kcore_open() != 0)
		return -1;
	for (int i = 0; i < nphdrs; i++) {
		const Elf64_Phdr *p = &phdrs[i];

		if (p->p_type == PT_LOAD && va >= p->p_vaddr &&
		    va + len <= p->p_vaddr + p->p_memsz) {
			off_t off = p->p_offset + (va - p->p_vaddr);
			size_t done = 0;

			while (done < len) {
				ssize_t n = pread(kcore, (char *)buf + done,
						  len - done, off + done);
				if (n <= 0)
					return -1;
				done += n;
			}
			return 0;
		}
	}
	return -1;
}

/*
 * Reads the kernel image, once: the smallest kcore segment that holds
 * _stext. That is the KCORE_TEXT one, _text to _end (on arm64 the vmalloc
 * segment holds the image too, and much more).
 */
static int load_image(void)
{
	const Elf64_Phdr *best = NULL;
	uint64_t text;

	if (image)
		return 0;
	if (kcore_open() != 0)
		return -1;
	text = kallsyms_lookup("_stext");
	if (!text)
		text = kallsyms_lookup("_text");
	if (!text) {
		fprintf(stderr, "ksym: neither _stext nor _text in /proc/kallsyms\n");
		return -1;
	}
	for (int i = 0; i < nphdrs; i++) {
		const Elf64_Phdr *p = &phdrs[i];

		if (p->p_type == PT_LOAD && text >= p->p_vaddr &&
		    text < p->p_vaddr + p->p_memsz &&
		    (!best || p->p_memsz < best->p_memsz))
			best = p;
	}
	if (!best) {
		fprintf(stderr, "ksym: no /proc/kcore segment holds _stext\n");
		return -1;
	}
	image_va = best->p_vaddr;
	image_len = best->p_memsz > MAX_IMAGE ? MAX_IMAGE : best->p_memsz;
	image = malloc(image_len);
	if (!image || kread(image_va, image, image_len) != 0) {
		fprintf(stderr, "ksym: cannot read %zu bytes of the kernel at %#llx\n",
			image_len, (unsigned long long)image_va);
		free(image);
		image = NULL;
		return -1;
	}
	return 0;
}

static int32_t rel32(size_t off)
{
	int32_t v;

	memcpy(&v, image + off, sizeof(v));
	return v;
}

/*
 * The name a ksymtab entry at image offset e points to, if it is a
 * NUL-terminated identifier inside the image; NULL otherwise.
 */
static const char *entry_name(size_t e)
{
	size_t at, n;

	if (e + KSYMTAB_ENTRY > image_len)
		return NULL;
	at = e + 4 + (int64_t)rel32(e + 4);
	if (at >= image_len)
		return NULL;
	for (n = 0; at + n < image_len && n < 128; n++) {
		unsigned char c = image[at + n];

		if (c == '\0')
			return n ? (const char *)image + at : NULL;
		if (!(c == '_' || c == '.' || (c >= '0' && c <= '9') ||
		      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return NULL;
	}
	return NULL;
}

/* The address of exported symbol `name` from __ksymtab, or 0. */
static uint64_t ksymtab_lookup(const char *name)
{
	for (size_t e = 0; e + KSYMTAB_ENTRY <= image_len; e += 4) {
		const char *n = entry_name(e), *prev, *next;
		bool ordered;

		if (!n || strcmp(n, name) != 0)
			continue;
		prev = e >= KSYMTAB_ENTRY ? entry_name(e - KSYMTAB_ENTRY) : NULL;
		next = entry_name(e + KSYMTAB_ENTRY);
		ordered = (prev || next) &&
			  (!prev || strcmp(prev, name) < 0) &&
			  (!next || strcmp(next, name) > 0);
		if (ordered)
			return image_va + e + (int64_t)rel32(e);
	}
	return 0;
}

static bool read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n > 0;
}

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

/*
 * linux_banner, or 0: the "Linux version <release> (" string whose text is
 * /proc/version's. The image holds a second, dead copy from the kernel's
 * first link pass, with an empty build number ("# SMP" for "#1 SMP").
 */
static uint64_t banner_lookup(void)
{
	char want[128], version[512];
	struct utsname u;
	unsigned char *p = image, *end = image + image_len;

	if (uname(&u) != 0 || !read_file("/proc/version", version, sizeof(version)))
		return 0;
	snprintf(want, sizeof(want), "Linux version %s (", u.release);
	while ((p = memmem(p, end - p, want, strlen(want))) != NULL) {
		if ((size_t)(end - p) > strlen(version) &&
		    memcmp(p, version, strlen(version) + 1) == 0)
			return image_va + (p - image);
		p++;
	}
	return 0;
}

/* Checks that the address holds what the symbol must hold; text in `how`. */
static bool check(const char *name, uint64_t addr, char *how, size_t len)
{
	if (strcmp(name, "jiffies") == 0 || strcmp(name, "jiffies_64") == 0) {
		struct timespec nap = { 0, 200 * 1000 * 1000 };
		uint64_t a, b;

		if (kread(addr, &a, 8) || nanosleep(&nap, NULL) || kread(addr, &b, 8)) {
			snprintf(how, len, "cannot read it");
			return false;
		}
		snprintf(how, len, "advanced by %lld in 0.2 s", (long long)(b - a));
		return b > a && b - a < 100000;
	}
	if (strcmp(name, "init_task") == 0) {
		static char task[16384];

		if (kread(addr, task, sizeof(task)) != 0) {
			snprintf(how, len, "cannot read it");
			return false;
		}
		unsigned char *comm = memmem(task, sizeof(task), "swapper/0", 10);

		snprintf(how, len, comm ? "comm \"swapper/0\" at +%#lx" :
					  "no \"swapper/0\" comm in it",
			 comm ? (long)(comm - (unsigned char *)task) : 0L);
		return comm != NULL;
	}
	if (strcmp(name, "linux_banner") == 0) {
		char version[512], mem[512];

		if (!read_file("/proc/version", version, sizeof(version)) ||
		    kread(addr, mem, strlen(version)) != 0) {
			snprintf(how, len, "cannot read it");
			return false;
		}
		bool same = memcmp(mem, version, strlen(version)) == 0;

		snprintf(how, len, same ? "equals /proc/version" :
					  "differs from /proc/version");
		return same;
	}
	if (strcmp(name, "panic_timeout") == 0) {
		/*
		 * Set a value nothing else would, read it back from kernel
		 * memory, put the old one back: a word that merely holds the
		 * same (say 0) does not pass.
		 */
		const int32_t probe = 12345;
		char old[32];
		int32_t mem = 0;
		bool ok;

		if (!read_file("/proc/sys/kernel/panic", old, sizeof(old)) ||
		    !write_file("/proc/sys/kernel/panic", "12345\n")) {
			snprintf(how, len, "cannot set /proc/sys/kernel/panic");
			return false;
		}
		ok = kread(addr, &mem, sizeof(mem)) == 0 && mem == probe;
		if (!write_file("/proc/sys/kernel/panic", old)) {
			snprintf(how, len, "cannot restore /proc/sys/kernel/panic");
			return false;
		}
		snprintf(how, len, "holds %d after writing %d to /proc/sys/kernel/panic",
			 (int)mem, (int)probe);
		return ok;
	}
	snprintf(how, len, "not checked");
	return true;
}

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		const char *name = argv[i], *source = "kallsyms";
		uint64_t addr = kallsyms_lookup(name);
		char how[128] = "not checked";

		if (!addr && load_image() == 0) {
			source = "__ksymtab";
			addr = ksymtab_lookup(name);
			if (!addr && strcmp(name, "linux_banner") == 0) {
				source = "banner text";
				addr = banner_lookup();
			}
		}
		if (!addr) {
			printf("linux: FAIL sym %s not found\n", name);
			failed++;
			continue;
		}
		bool ok = check(name, addr, how, sizeof(how));

		printf("linux: sym %s %016llx\n", name, (unsigned long long)addr);
		printf("linux: symsrc %s %s, %s\n", name, source, how);
		if (!ok) {
			printf("linux: FAIL sym %s check: %s\n", name, how);
			failed++;
		}
	}
	return failed ? 1 : 0;
}

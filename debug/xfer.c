/*
 * target.xml and the thread list for qXfer (see xfer.h). The register
 * features are generated from regs.c's table, so the table is the one
 * place that says what a register is called, how wide it is and where it
 * sits in the g packet.
 */
#include <stdio.h>
#include <string.h>

#include "target.h"
#include "xfer.h"

#define BITS_PER_BYTE 8
#define NUMBER_TEXT 24
#define THREAD_NAME_MAX 64

void xfer_put(struct xfer_window *w, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++, w->pos++) {
		if (w->pos < w->off || w->len == w->cap)
			continue;
		w->out[w->len++] = (uint8_t)s[i];
	}
}

unsigned int xfer_nr_threads(void)
{
	const unsigned int max = (unsigned int)(
		sizeof(((struct target_resume *)0)->action) /
		sizeof(((struct target_resume *)0)->action[0]));
	unsigned int nr = target_nr_threads();

	return nr < max ? nr : max;
}

static void put_uint(struct xfer_window *w, unsigned long long v)
{
	char text[NUMBER_TEXT];

	snprintf(text, sizeof(text), "%llu", v);
	xfer_put(w, text);
}

/* Text from the target (thread names) inside an attribute value. */
static void put_attr_text(struct xfer_window *w, const char *s)
{
	char one[2] = {0, 0};

	for (; *s; s++) {
		switch (*s) {
		case '&':
			xfer_put(w, "&amp;");
			break;
		case '<':
			xfer_put(w, "&lt;");
			break;
		case '>':
			xfer_put(w, "&gt;");
			break;
		case '"':
			xfer_put(w, "&quot;");
			break;
		default:
			one[0] = *s;
			xfer_put(w, one);
		}
	}
}

bool xfer_features_annex(const uint8_t *annex, size_t len)
{
	static const char name[] = "target.xml";

	return len == sizeof(name) - 1 && memcmp(annex, name, len) == 0;
}

/* gdb's own aarch64-core.xml flags for cpsr, so `p $cpsr` decodes. */
static const char cpsr_flags[] =
	"<flags id=\"cpsr_flags\" size=\"4\">"
	"<field name=\"SP\" start=\"0\" end=\"0\"/>"
	"<field name=\"EL\" start=\"2\" end=\"3\"/>"
	"<field name=\"nRW\" start=\"4\" end=\"4\"/>"
	"<field name=\"F\" start=\"6\" end=\"6\"/>"
	"<field name=\"I\" start=\"7\" end=\"7\"/>"
	"<field name=\"A\" start=\"8\" end=\"8\"/>"
	"<field name=\"D\" start=\"9\" end=\"9\"/>"
	"<field name=\"BTYPE\" start=\"10\" end=\"11\"/>"
	"<field name=\"SSBS\" start=\"12\" end=\"12\"/>"
	"<field name=\"IL\" start=\"20\" end=\"20\"/>"
	"<field name=\"SS\" start=\"21\" end=\"21\"/>"
	"<field name=\"PAN\" start=\"22\" end=\"22\"/>"
	"<field name=\"UAO\" start=\"23\" end=\"23\"/>"
	"<field name=\"DIT\" start=\"24\" end=\"24\"/>"
	"<field name=\"TCO\" start=\"25\" end=\"25\"/>"
	"<field name=\"V\" start=\"28\" end=\"28\"/>"
	"<field name=\"C\" start=\"29\" end=\"29\"/>"
	"<field name=\"Z\" start=\"30\" end=\"30\"/>"
	"<field name=\"N\" start=\"31\" end=\"31\"/>"
	"</flags>";

/*
 * The vector views of gdb's aarch64-fpu.xml ($v0.d.u[1], $v0.s.f[2], ...);
 * gdb builds its q/d/s/h/b pseudo registers on top of v0..v31 of this
 * type. bfloat16 is left out: gdb before 11 does not know it.
 */
static const char fpu_types[] =
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	"<vector id=\"v2u\" type=\"uint64\" count=\"2\"/>"
	"<vector id=\"v2i\" type=\"int64\" count=\"2\"/>"
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
	"<vector id=\"v4u\" type=\"uint32\" count=\"4\"/>"
	"<vector id=\"v4i\" type=\"int32\" count=\"4\"/>"
	"<vector id=\"v8f\" type=\"ieee_half\" count=\"8\"/>"
	"<vector id=\"v8u\" type=\"uint16\" count=\"8\"/>"
	"<vector id=\"v8i\" type=\"int16\" count=\"8\"/>"
	"<vector id=\"v16u\" type=\"uint8\" count=\"16\"/>"
	"<vector id=\"v16i\" type=\"int8\" count=\"16\"/>"
	"<vector id=\"v1u\" type=\"uint128\" count=\"1\"/>"
	"<vector id=\"v1i\" type=\"int128\" count=\"1\"/>"
	"<union id=\"vnd\"><field name=\"f\" type=\"v2d\"/>"
	"<field name=\"u\" type=\"v2u\"/><field name=\"s\" type=\"v2i\"/>"
	"</union>"
	"<union id=\"vns\"><field name=\"f\" type=\"v4f\"/>"
	"<field name=\"u\" type=\"v4u\"/><field name=\"s\" type=\"v4i\"/>"
	"</union>"
	"<union id=\"vnh\"><field name=\"f\" type=\"v8f\"/>"
	"<field name=\"u\" type=\"v8u\"/><field name=\"s\" type=\"v8i\"/>"
	"</union>"
	"<union id=\"vnb\"><field name=\"u\" type=\"v16u\"/>"
	"<field name=\"s\" type=\"v16i\"/></union>"
	"<union id=\"vnq\"><field name=\"u\" type=\"v1u\"/>"
	"<field name=\"s\" type=\"v1i\"/></union>"
	"<union id=\"aarch64v\"><field name=\"d\" type=\"vnd\"/>"
	"<field name=\"s\" type=\"vns\"/><field name=\"h\" type=\"vnh\"/>"
	"<field name=\"b\" type=\"vnb\"/><field name=\"q\" type=\"vnq\"/>"
	"</union>";

struct feature {
	const char *name;
	const char *types;
	unsigned int first, end; /* register numbers [first, end) */
};

static void put_reg(struct xfer_window *w, unsigned int regnum,
		    const struct target_reg *r)
{
	xfer_put(w, "<reg name=\"");
	xfer_put(w, r->name);
	xfer_put(w, "\" bitsize=\"");
	put_uint(w, (unsigned long long)r->size * BITS_PER_BYTE);
	/* Numbering is positional, but saying it guards against a reader
	 * that skips something. */
	xfer_put(w, "\" regnum=\"");
	put_uint(w, regnum);
	xfer_put(w, "\"");
	if (r->type != NULL) {
		xfer_put(w, " type=\"");
		xfer_put(w, r->type);
		xfer_put(w, "\"");
	}
	if (r->group != NULL) {
		xfer_put(w, " group=\"");
		xfer_put(w, r->group);
		xfer_put(w, "\"");
	}
	xfer_put(w, "/>");
}

void xfer_target_xml(struct xfer_window *w)
{
	const struct feature features[] = {
		{"org.gnu.gdb.aarch64.core", cpsr_flags, REG_X0, REG_V0},
		{"org.gnu.gdb.aarch64.fpu", fpu_types, REG_V0, REG_SYS_FIRST},
		/* QEMU's name, and QEMU's register names inside: see regs.c */
		{"org.qemu.gdb.arm.sys.regs", NULL, REG_SYS_FIRST, REG_EL},
		{"org.vigil.aarch64.el", NULL, REG_EL, target_nr_regs()},
	};

	xfer_put(w, "<?xml version=\"1.0\"?>"
		    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
		    "<target version=\"1.0\">"
		    "<architecture>aarch64</architecture>");
	for (size_t f = 0; f < sizeof(features) / sizeof(features[0]); f++) {
		xfer_put(w, "<feature name=\"");
		xfer_put(w, features[f].name);
		xfer_put(w, "\">");
		if (features[f].types != NULL)
			xfer_put(w, features[f].types);
		for (unsigned int n = features[f].first; n < features[f].end;
		     n++) {
			const struct target_reg *r = target_reg_info(n);

			if (r != NULL)
				put_reg(w, n, r);
		}
		xfer_put(w, "</feature>");
	}
	xfer_put(w, "</target>");
}

void xfer_threads_xml(struct xfer_window *w)
{
	char name[THREAD_NAME_MAX];
	char id[NUMBER_TEXT];
	unsigned int nr = xfer_nr_threads();

	xfer_put(w, "<?xml version=\"1.0\"?><threads>");
	for (unsigned int tid = 1; tid <= nr; tid++) {
		name[0] = '\0';
		target_thread_name(tid, name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		snprintf(id, sizeof(id), "%x", tid);
		xfer_put(w, "<thread id=\"");
		xfer_put(w, id);
		xfer_put(w, "\" core=\"");
		/* vCPU index: the "core" column of `info threads`. */
		put_uint(w, tid - 1);
		xfer_put(w, "\" name=\"");
		put_attr_text(w, name);
		xfer_put(w, "\"/>");
	}
	xfer_put(w, "</threads>");
}

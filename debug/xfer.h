/*
 * The documents of qXfer:features:read and qXfer:threads:read, produced
 * on demand from the register table and the thread list. A document is
 * generated from the start every time and only the window asked for is
 * kept, so no buffer as large as the whole document is needed.
 */
#ifndef DEBUG_XFER_H
#define DEBUG_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A window [off, off + cap) of a document being written. */
struct xfer_window {
	uint64_t off;
	size_t cap;
	uint8_t *out;
	size_t len; /* bytes of the window filled */
	uint64_t pos; /* length of the document so far */
};

void xfer_put(struct xfer_window *w, const char *s);

/* The threads GDB sees: the target's, up to what target_resume() can
 * address. */
unsigned int xfer_nr_threads(void);

/* Whether annex names a feature document (only "target.xml"). */
bool xfer_features_annex(const uint8_t *annex, size_t len);
void xfer_target_xml(struct xfer_window *w);
void xfer_threads_xml(struct xfer_window *w);

#endif

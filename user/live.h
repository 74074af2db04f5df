/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The running system as decoding asks it (struct decode_live in decode.h),
 * read from /proc: strings in a traced process's memory. Only the loader
 * fills a decoder's live; replay never reads a live process.
 */
#ifndef SPANTRACE_LIVE_H
#define SPANTRACE_LIVE_H

#include "decode.h"

struct live {
	struct decode_live iface; /* hand &iface to the decoder */
};

void live__init(struct live *l);

#endif

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The live status line's text, see statusline.h. */
#include <stdio.h>

#include "statusline.h"

/* v with three significant digits and a suffix of powers of base: 999, 1.23k, 45.6M. */
static void human(char *buf, size_t len, double v, double base)
{
	static const char suffix[] = { 0, 'k', 'M', 'G', 'T', 'P' };
	unsigned int i = 0;

	while (v >= base && i + 1 < sizeof(suffix)) {
		v /= base;
		i++;
	}
	if (!i)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f%c", v < 10 ? 2 : v < 100 ? 1 : 0, v, suffix[i]);
}

void statusline__format(char *buf, size_t len, const struct status_sample *now,
			const struct status_sample *prev)
{
	uint64_t t0 = prev ? prev->at_ns : 0, e0 = prev ? prev->events : 0;
	double secs = (double)(now->at_ns - t0) / 1e9;
	char rate[16], spans[16], open[16], lost[16], size[16], over[24];

	human(rate, sizeof(rate), secs > 0 ? (double)(now->events - e0) / secs : 0, 1000);
	human(spans, sizeof(spans), (double)now->spans, 1000);
	human(open, sizeof(open), (double)now->open_spans, 1000);
	human(lost, sizeof(lost), (double)now->lost, 1000);
	if (now->no_trace)
		snprintf(size, sizeof(size), "none (-c)");
	else
		human(size, sizeof(size), (double)now->bytes, 1024);
	if (now->overhead.known)
		snprintf(over, sizeof(over), "%.1f%%", now->overhead.percent);
	else
		snprintf(over, sizeof(over), "-");
	snprintf(buf, len, "%llus | %s events/s | %s spans, %s open | %s lost | trace %s%s | "
		 "overhead %s", (unsigned long long)(now->at_ns / 1000000000ull), rate, spans, open,
		 lost, size, now->cut ? " (cut)" : "", over);
}

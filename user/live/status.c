// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The live status line, see status.h. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "status.h"

/* clear the terminal's line and go back to its start */
#define CLEAR_LINE "\r\033[K"

static struct {
	bool on;
	bool shown;	   /* the line is on the terminal now */
	uint64_t start_ns; /* tracing began */
	uint64_t next_ns;  /* next sample due */
	struct status_sample prev;
	char line[256];
	FILE *notices;
} st;

/* Columns of the terminal, less one: a line that wraps could not be redrawn in place. */
static size_t width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return ws.ws_col - 1;
	return 79;
}

void status__start(bool quiet, uint64_t now)
{
	st.on = !quiet && isatty(STDERR_FILENO);
	st.start_ns = now;
	st.next_ns = now + STATUS_PERIOD_NS;
	st.prev = (struct status_sample){ 0 };
}

bool status__due(uint64_t now)
{
	return st.on && now >= st.next_ns;
}

void status__draw(struct status_sample *s, uint64_t now)
{
	size_t w = width();

	if (!st.on)
		return;
	s->at_ns = now - st.start_ns;
	statusline__format(st.line, sizeof(st.line), s, &st.prev);
	if (strlen(st.line) > w)
		st.line[w] = 0;
	st.prev = *s;
	st.next_ns = now + STATUS_PERIOD_NS;
	fputs(CLEAR_LINE, stderr);
	fputs(st.line, stderr);
	fflush(stderr);
	st.shown = true;
}

void status__hide(void)
{
	if (!st.shown)
		return;
	fputs(CLEAR_LINE, stderr);
	st.shown = false;
}

void status__show(void)
{
	if (!st.on || !st.line[0] || st.shown)
		return;
	fputs(st.line, stderr);
	fflush(stderr);
	st.shown = true;
}

void status__stop(void)
{
	status__hide();
	fflush(stderr);
	st.on = false;
}

/* The notices stream's writes: to stderr, the line taken away and put back around them. */
static ssize_t notices_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	status__hide();
	fwrite(buf, 1, n, stderr);
	if (n && buf[n - 1] == '\n')
		status__show();
	fflush(stderr);
	return (ssize_t)n;
}

FILE *status__notices(void)
{
	cookie_io_functions_t io = { .write = notices_write };

	if (!st.on)
		return stderr;
	if (!st.notices) {
		st.notices = fopencookie(NULL, "w", io);
		if (!st.notices)
			return stderr;
		setvbuf(st.notices, NULL, _IOLBF, 0);
	}
	return st.notices;
}

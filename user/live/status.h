/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live status line on stderr, when stderr is a terminal and -q is not
 * given: redrawn in place ("\r", line cleared) about once a second. Every
 * other line spantrace writes to stderr takes it away first and puts it back
 * after (say() and the stream of status__notices()), so no line is garbled.
 * There is one terminal: the line is kept here, not in a caller's struct.
 */
#ifndef SPANTRACE_STATUS_H
#define SPANTRACE_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "statusline.h"

#define STATUS_PERIOD_NS (1000ull * 1000 * 1000)

/* Turns the line on if stderr is a terminal and quiet is false; its clock starts at now. */
void status__start(bool quiet, uint64_t now);
/* Whether a sample is due (a period has passed since the last one drawn). Cheap. */
bool status__due(uint64_t now);
/* Draws the line for s, sampled at now (it sets s->at_ns). */
void status__draw(struct status_sample *s, uint64_t now);
/* Takes the line away for good (before the summary). */
void status__stop(void);
/* Around a line written to stderr: take the line away, put it back. */
void status__hide(void);
void status__show(void);
/* A stream for notices (stall reports) that writes to stderr around the line; stderr if none. */
FILE *status__notices(void);

#endif

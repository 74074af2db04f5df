/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A trace writer that writes nothing: -c counts calls without a trace. */
#ifndef SPANTRACE_NULLTRACE_H
#define SPANTRACE_NULLTRACE_H

#include "trace.h"

extern const struct trace_ops null_trace_ops;

#endif

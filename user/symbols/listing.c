// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --list's lines. See listing.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "listing.h"

/* One function's line, in the words of both formats. */
struct row {
	const struct probe *p;
	bool refused;
	const struct disasm_insn *insn; /* NULL: unknown */
	const char *kind;		/* NULL: unknown */
	const char *ret;		/* uretprobe, exits, begin, end; NULL if refused */
	uint32_t entry, nexits, nhidden;
	const char *why;
};

static const char *const kind_words[] = {
	[DISASM_OPTIMIZED] = "optimized",
	[DISASM_EMULATED] = "emulated",
	[DISASM_STEPPED] = "single-step",
};

static const char *return_word(const struct probe *p, const struct site_table *st, size_t i)
{
	if (p->role == SPEC_BEGIN)
		return "begin";
	if (p->role == SPEC_END)
		return "end";
	return st->ret_insns[i] ? "exits" : "uretprobe";
}

static void row_of(const struct probe_table *pt, const struct site_table *st, size_t i,
		   struct row *r)
{
	const struct disasm_insn *in = &st->entry_insn[i];

	memset(r, 0, sizeof(*r));
	r->p = &pt->v[i];
	r->refused = st->skipped[i];
	r->why = r->refused ? st->why[i] : st->place[i];
	if (r->refused)
		return;
	if (in->size) {
		r->insn = in;
		r->kind = kind_words[in->cost];
	}
	r->ret = return_word(r->p, st, i);
	r->entry = st->entry[i];
	r->nexits = st->nexits[i];
	r->nhidden = st->nhidden[i];
}

/* A text field: control characters (a tab would shift the columns) as \xNN. */
static void put_field(FILE *f, const char *s)
{
	if (!s || !*s) {
		fputc('-', f);
		return;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void text_row(FILE *f, const struct row *r)
{
	const struct probe *p = r->p;

	put_field(f, p->object);
	fputc('\t', f);
	put_field(f, p->func);
	fputc('\t', f);
	put_field(f, p->name);
	fprintf(f, "\t0x%llx\t%s\t", (unsigned long long)p->offset, r->refused ? "refused" : "ok");
	if (r->refused)
		fputs("-\t-\t-\t-\t", f);
	else
		fprintf(f, "+%u\t%s\t%s\t", r->entry, r->insn ? r->insn->text : "-",
			r->kind ? r->kind : "-");
	if (r->ret && !strcmp(r->ret, "exits") && r->nhidden)
		fprintf(f, "exits=%u,hidden=%u\t", r->nexits, r->nhidden);
	else if (r->ret && !strcmp(r->ret, "exits"))
		fprintf(f, "exits=%u\t", r->nexits);
	else if (r->ret)
		fprintf(f, "%s\t", r->ret);
	put_field(f, r->why);
	fputc('\n', f);
}

static void json_str_or_null(struct jw *w, const char *key, const char *v)
{
	jw__key(w, key);
	jw__str(w, v);
}

static void json_row(struct jw *w, const struct row *r)
{
	const struct probe *p = r->p;
	bool exits = r->ret && !strcmp(r->ret, "exits");

	jw__obj_begin(w);
	json_str_or_null(w, "object", p->object);
	json_str_or_null(w, "symbol", p->func);
	json_str_or_null(w, "name", p->name);
	jw__key(w, "offset");
	jw__u64(w, p->offset);
	json_str_or_null(w, "status", r->refused ? "refused" : "ok");
	jw__key(w, "entry");
	if (r->refused)
		jw__null(w);
	else
		jw__u64(w, r->entry);
	json_str_or_null(w, "instruction", r->insn ? r->insn->text : NULL);
	json_str_or_null(w, "kind", r->kind);
	json_str_or_null(w, "return", r->ret);
	if (exits) {
		jw__key(w, "exits");
		jw__u64(w, r->nexits);
		jw__key(w, "hidden");
		jw__u64(w, r->nhidden);
	}
	json_str_or_null(w, "why", r->why);
	jw__obj_end(w);
	jw__newline(w);
}

/* By object, then symbol, then offset: the same lines in the same order for the same files. */
static int row_order(const void *a, const void *b, void *ctx)
{
	const struct probe *v = ctx;
	const struct probe *p = &v[*(const size_t *)a], *q = &v[*(const size_t *)b];
	int c = strcmp(p->object, q->object);

	if (!c)
		c = strcmp(p->func, q->func);
	if (!c)
		c = p->offset < q->offset ? -1 : p->offset > q->offset;
	return c;
}

int listing__write(FILE *f, int format, const struct probe_table *pt,
		   const struct site_table *st)
{
	size_t *order = malloc((pt->n ? pt->n : 1) * sizeof(*order));
	struct jw w;

	if (!order)
		return -1;
	for (size_t i = 0; i < pt->n; i++)
		order[i] = i;
	qsort_r(order, pt->n, sizeof(*order), row_order, pt->v);
	jw__init(&w, f);
	for (size_t k = 0; k < pt->n; k++) {
		struct row r;

		row_of(pt, st, order[k], &r);
		if (format == LISTING_JSON)
			json_row(&w, &r);
		else
			text_row(f, &r);
	}
	free(order);
	return 0;
}

/* Prometheus text exposition 0.0.4 of a registry into a caller's buffer. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "metrics_int.h"
#include "sdns/error.h"

typedef struct {
	char *buf;
	size_t cap, len;
	bool full;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
	if (o->full || o->cap - o->len <= n) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(out_t *o, const char *s)
{
	put(o, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void putf(out_t *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) o->full = true;
	else put(o, tmp, (size_t)n);
}

/* HELP escapes \ and newline; label values also escape ". */
static void put_escaped(out_t *o, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\') puts_(o, "\\\\");
		else if (*s == '\n') puts_(o, "\\n");
		else if (quote && *s == '"') puts_(o, "\\\"");
		else put(o, s, 1);
	}
}

/* {a="x",b="y"} with an optional le label last; nothing when empty. */
static void put_labels(out_t *o, const sdns_series *s, const char *le)
{
	const sdns_metric *f = s->fam;
	if (f->nlabels == 0 && !le) return;
	puts_(o, "{");
	for (size_t i = 0; i < f->nlabels; i++) {
		if (i) puts_(o, ",");
		puts_(o, f->labels[i]);
		puts_(o, "=\"");
		put_escaped(o, s->values[i], true);
		puts_(o, "\"");
	}
	if (le) {
		if (f->nlabels) puts_(o, ",");
		puts_(o, "le=\"");
		puts_(o, le);
		puts_(o, "\"");
	}
	puts_(o, "}");
}

/* Seconds from nanoseconds, exact, without trailing zeros. */
static void put_seconds(out_t *o, uint64_t ns)
{
	char frac[16];
	uint64_t sec = ns / 1000000000u, rem = ns % 1000000000u;
	if (rem == 0) {
		putf(o, "%" PRIu64, sec);
		return;
	}
	snprintf(frac, sizeof(frac), "%09" PRIu64, rem);
	size_t n = strlen(frac);
	while (n > 0 && frac[n - 1] == '0') frac[--n] = '\0';
	putf(o, "%" PRIu64 ".%s", sec, frac);
}

static void render_hist(out_t *o, const sdns_series *s)
{
	const sdns_metric *f = s->fam;
	uint64_t cum = 0;
	char le[32];
	for (size_t i = 0; i < f->nbuckets; i++) {
		cum += atomic_load_explicit(&s->bucket[i], memory_order_relaxed);
		snprintf(le, sizeof(le), "%g", f->le[i]);
		putf(o, "%s_bucket", f->name);
		put_labels(o, s, le);
		putf(o, " %" PRIu64 "\n", cum);
	}
	uint64_t count = atomic_load_explicit(&s->count, memory_order_relaxed);
	/* Observers bump a bucket before count: never show +Inf below a bucket. */
	if (count < cum) count = cum;
	putf(o, "%s_bucket", f->name);
	put_labels(o, s, "+Inf");
	putf(o, " %" PRIu64 "\n%s_sum", count, f->name);
	put_labels(o, s, NULL);
	puts_(o, " ");
	put_seconds(o, atomic_load_explicit(&s->sum_ns, memory_order_relaxed));
	putf(o, "\n%s_count", f->name);
	put_labels(o, s, NULL);
	putf(o, " %" PRIu64 "\n", count);
}

static const char *type_word(enum sdns_metric_type t)
{
	return t == SDNS_METRIC_COUNTER ? "counter" :
	       t == SDNS_METRIC_GAUGE ? "gauge" : "histogram";
}

static void render_family(out_t *o, const sdns_metric *f)
{
	putf(o, "# HELP %s ", f->name);
	put_escaped(o, f->help, false);
	putf(o, "\n# TYPE %s %s\n", f->name, type_word(f->type));
	for (const sdns_series *s = f->series; s; s = s->next) {
		if (f->type == SDNS_METRIC_HISTOGRAM) {
			render_hist(o, s);
			continue;
		}
		puts_(o, f->name);
		put_labels(o, s, NULL);
		putf(o, " %" PRId64 "\n",
		     (int64_t)atomic_load_explicit(&s->value, memory_order_relaxed));
	}
}

int sdns_metrics_render(sdns_metrics *m, char *buf, size_t cap, size_t *len)
{
	if (!m || !buf || cap == 0) return SDNS_EINVAL;
	out_t o = { .buf = buf, .cap = cap, .len = 0, .full = false };
	buf[0] = '\0';
	pthread_mutex_lock(&m->mu);
	for (const sdns_metric *f = m->head; f; f = f->next) render_family(&o, f);
	pthread_mutex_unlock(&m->mu);
	if (o.full) return SDNS_ESPACE;
	*len = o.len;
	return SDNS_OK;
}

/* Metrics: counters, gauges and duration histograms with labels, rendered as
 * Prometheus text exposition 0.0.4. Families and their label sets (series)
 * are created at start-up (they allocate and take the registry lock); the
 * hot path then only touches a series handle with relaxed atomics: no lock,
 * no allocation. Histograms measure durations: observations are in
 * nanoseconds, bucket bounds and _sum are shown in seconds. */
#ifndef SDNS_METRICS_H
#define SDNS_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sdns_metrics sdns_metrics;  /* the registry */
typedef struct sdns_metric sdns_metric;    /* a family: name, help, labels */
typedef struct sdns_series sdns_series;    /* one label-value set */

enum sdns_metric_type {
	SDNS_METRIC_COUNTER, SDNS_METRIC_GAUGE, SDNS_METRIC_HISTOGRAM,
};

#define SDNS_METRIC_LABELS_MAX 4
#define SDNS_METRIC_BUCKETS_MAX 32

/* Default histogram bounds in seconds: 0.0001 .. 5 (15 buckets). */
extern const double sdns_metrics_default_buckets[];
extern const size_t sdns_metrics_default_nbuckets;

int sdns_metrics_new(sdns_metrics **out);
void sdns_metrics_free(sdns_metrics *m);

/* Register a family. name: [a-zA-Z_:][a-zA-Z0-9_:]*; labels: nlabels names
 * (<= SDNS_METRIC_LABELS_MAX, same charset without ':'). buckets (seconds,
 * strictly increasing, <= SDNS_METRIC_BUCKETS_MAX) only for histograms; NULL
 * means the defaults. A family without labels gets its single series now.
 * SDNS_EEXIST for a name already registered, SDNS_EINVAL for bad input.
 * *out is owned by the registry. */
int sdns_metrics_add(sdns_metrics *m, enum sdns_metric_type type,
                     const char *name, const char *help,
                     const char *const *labels, size_t nlabels,
                     const double *buckets, size_t nbuckets,
                     sdns_metric **out);
/* The series for these label values (nlabels of them, any bytes), created on
 * first use. Owned by the registry; valid until sdns_metrics_free. */
int sdns_metric_series(sdns_metric *f, const char *const *values,
                       sdns_series **out);

/* Hot path (NULL s is ignored, so optional metrics need no checks). */
void sdns_series_inc(sdns_series *s);                  /* counter, gauge */
void sdns_series_add(sdns_series *s, int64_t delta);   /* counter: >= 0 */
void sdns_series_set(sdns_series *s, int64_t v);       /* gauge; counters
                                                         copied from stats */
void sdns_series_observe_ns(sdns_series *s, uint64_t ns); /* histogram */
int64_t sdns_series_value(const sdns_series *s);       /* counter, gauge */
uint64_t sdns_series_count(const sdns_series *s);      /* histogram */

/* Render every family in registration order, series in creation order.
 * SDNS_ESPACE when cap is too small (*len then undefined). The text is
 * NUL-terminated; *len excludes the NUL. */
int sdns_metrics_render(sdns_metrics *m, char *buf, size_t cap, size_t *len);

#endif

/* Internals of the metrics registry shared by its source files. */
#ifndef SDNS_METRICS_INT_H
#define SDNS_METRICS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "sdns/metrics.h"

struct sdns_series {
	struct sdns_series *next;
	const sdns_metric *fam;
	char *values[SDNS_METRIC_LABELS_MAX];
	atomic_int_fast64_t value;                   /* counter, gauge */
	atomic_uint_fast64_t sum_ns, count;          /* histogram */
	atomic_uint_fast64_t bucket[SDNS_METRIC_BUCKETS_MAX]; /* not cumulative */
};

struct sdns_metric {
	struct sdns_metric *next;
	sdns_metrics *reg;
	enum sdns_metric_type type;
	char *name, *help;
	char *labels[SDNS_METRIC_LABELS_MAX];
	size_t nlabels;
	double le[SDNS_METRIC_BUCKETS_MAX];          /* seconds */
	uint64_t le_ns[SDNS_METRIC_BUCKETS_MAX];
	size_t nbuckets;
	sdns_series *series, **series_tail;
};

struct sdns_metrics {
	pthread_mutex_t mu;          /* families and series lists */
	sdns_metric *head, **tail;
};

#endif

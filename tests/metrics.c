/* Tests for src/metrics: registry, atomics, Prometheus text exposition. */
#include <pthread.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/metrics.h"
#include "testlib.h"

static const char *render(sdns_metrics *m)
{
	static char buf[8192];
	size_t len;
	ck_assert_int_eq(sdns_metrics_render(m, buf, sizeof(buf), &len), SDNS_OK);
	ck_assert_uint_eq(len, strlen(buf));
	return buf;
}

START_TEST(test_counter_and_gauge_render_help_type_and_samples)
{
	sdns_metrics *m;
	sdns_metric *q, *g;
	sdns_series *udp, *tcp, *conn;
	const char *tl[] = { "transport" };
	ck_assert_int_eq(sdns_metrics_new(&m), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "sdns_queries_total",
	                                  "Queries received.", tl, 1, NULL, 0, &q), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_GAUGE, "sdns_cache_entries",
	                                  "Entries in the cache.", NULL, 0, NULL, 0, &g), 0);
	ck_assert_int_eq(sdns_metric_series(q, (const char *[]){ "udp" }, &udp), 0);
	ck_assert_int_eq(sdns_metric_series(q, (const char *[]){ "tcp" }, &tcp), 0);
	ck_assert_int_eq(sdns_metric_series(g, NULL, &conn), 0);
	sdns_series_inc(udp);
	sdns_series_add(udp, 4);
	sdns_series_inc(tcp);
	sdns_series_set(conn, 42);
	sdns_series_add(conn, -2);
	ck_assert_str_eq(render(m),
		"# HELP sdns_queries_total Queries received.\n"
		"# TYPE sdns_queries_total counter\n"
		"sdns_queries_total{transport=\"udp\"} 5\n"
		"sdns_queries_total{transport=\"tcp\"} 1\n"
		"# HELP sdns_cache_entries Entries in the cache.\n"
		"# TYPE sdns_cache_entries gauge\n"
		"sdns_cache_entries 40\n");
	ck_assert_int_eq(sdns_series_value(udp), 5);
	sdns_metrics_free(m);
}
END_TEST

START_TEST(test_same_label_values_give_same_series)
{
	sdns_metrics *m;
	sdns_metric *f;
	sdns_series *a, *b;
	const char *tl[] = { "transport", "rcode" };
	ck_assert_int_eq(sdns_metrics_new(&m), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "r_total", "R.",
	                                  tl, 2, NULL, 0, &f), 0);
	ck_assert_int_eq(sdns_metric_series(f, (const char *[]){ "udp", "NOERROR" }, &a), 0);
	ck_assert_int_eq(sdns_metric_series(f, (const char *[]){ "udp", "NOERROR" }, &b), 0);
	ck_assert_ptr_eq(a, b);
	sdns_series_inc(a);
	ck_assert_str_eq(render(m),
		"# HELP r_total R.\n# TYPE r_total counter\n"
		"r_total{transport=\"udp\",rcode=\"NOERROR\"} 1\n");
	sdns_metrics_free(m);
}
END_TEST

START_TEST(test_histogram_buckets_cumulative_with_inf_sum_and_count)
{
	sdns_metrics *m;
	sdns_metric *h;
	sdns_series *s;
	const double b[] = { 0.001, 0.01, 0.5 };
	const char *tl[] = { "transport" };
	ck_assert_int_eq(sdns_metrics_new(&m), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_HISTOGRAM, "d_seconds",
	                                  "Latency.", tl, 1, b, 3, &h), 0);
	ck_assert_int_eq(sdns_metric_series(h, (const char *[]){ "doq" }, &s), 0);
	sdns_series_observe_ns(s, 500000);      /* 0.0005 */
	sdns_series_observe_ns(s, 1000000);     /* 0.001: le is inclusive */
	sdns_series_observe_ns(s, 20000000);    /* 0.02 */
	sdns_series_observe_ns(s, 2000000000);  /* 2 */
	ck_assert_str_eq(render(m),
		"# HELP d_seconds Latency.\n# TYPE d_seconds histogram\n"
		"d_seconds_bucket{transport=\"doq\",le=\"0.001\"} 2\n"
		"d_seconds_bucket{transport=\"doq\",le=\"0.01\"} 2\n"
		"d_seconds_bucket{transport=\"doq\",le=\"0.5\"} 3\n"
		"d_seconds_bucket{transport=\"doq\",le=\"+Inf\"} 4\n"
		"d_seconds_sum{transport=\"doq\"} 2.0215\n"
		"d_seconds_count{transport=\"doq\"} 4\n");
	ck_assert_uint_eq(sdns_series_count(s), 4);
	sdns_metrics_free(m);
}
END_TEST

START_TEST(test_histogram_default_buckets_without_labels)
{
	sdns_metrics *m;
	sdns_metric *h;
	sdns_series *s;
	ck_assert_int_eq(sdns_metrics_new(&m), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_HISTOGRAM, "u_seconds",
	                                  "U.", NULL, 0, NULL, 0, &h), 0);
	ck_assert_int_eq(sdns_metric_series(h, NULL, &s), 0);
	const char *t = render(m);
	ck_assert_ptr_nonnull(strstr(t, "u_seconds_bucket{le=\"0.0001\"} 0\n"
	                                "u_seconds_bucket{le=\"0.00025\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(t, "u_seconds_bucket{le=\"5\"} 0\n"
	                                "u_seconds_bucket{le=\"+Inf\"} 0\n"
	                                "u_seconds_sum 0\nu_seconds_count 0\n"));
	ck_assert_uint_eq(sdns_metrics_default_nbuckets, 15);
	sdns_metrics_free(m);
}
END_TEST

START_TEST(test_label_values_and_help_are_escaped)
{
	sdns_metrics *m;
	sdns_metric *f;
	sdns_series *s;
	const char *tl[] = { "reason" };
	ck_assert_int_eq(sdns_metrics_new(&m), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "e_total",
	                                  "a\\b\nc \"q\"", tl, 1, NULL, 0, &f), 0);
	ck_assert_int_eq(sdns_metric_series(f, (const char *[]){ "x\\y\"z\nw" }, &s), 0);
	ck_assert_str_eq(render(m),
		"# HELP e_total a\\\\b\\nc \"q\"\n# TYPE e_total counter\n"
		"e_total{reason=\"x\\\\y\\\"z\\nw\"} 0\n");
	sdns_metrics_free(m);
}
END_TEST

START_TEST(test_bad_names_duplicates_and_buckets_are_refused)
{
	sdns_metrics *m;
	sdns_metric *f;
	const char *bad_label[] = { "le" }, *dash[] = { "a-b" };
	const double unsorted[] = { 1, 0.5 };
	ck_assert_int_eq(sdns_metrics_new(&m), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "1abc", "", NULL, 0,
	                                  NULL, 0, &f), SDNS_EINVAL);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "a b", "", NULL, 0,
	                                  NULL, 0, &f), SDNS_EINVAL);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "", "", NULL, 0,
	                                  NULL, 0, &f), SDNS_EINVAL);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_HISTOGRAM, "h", "", bad_label,
	                                  1, NULL, 0, &f), SDNS_EINVAL);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "c", "", dash, 1,
	                                  NULL, 0, &f), SDNS_EINVAL);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_HISTOGRAM, "h", "", NULL, 0,
	                                  unsorted, 2, &f), SDNS_EINVAL);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "ns:c_total", "",
	                                  NULL, 0, NULL, 0, &f), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_GAUGE, "ns:c_total", "",
	                                  NULL, 0, NULL, 0, &f), SDNS_EEXIST);
	sdns_series *s;
	const char *tl[] = { "t" };
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "l_total", "", tl, 1,
	                                  NULL, 0, &f), 0);
	ck_assert_int_eq(sdns_metric_series(f, NULL, &s), SDNS_EINVAL);
	ck_assert_int_eq(sdns_metric_series(f, (const char *[]){ NULL }, &s), SDNS_EINVAL);
	sdns_metrics_free(m);
}
END_TEST

START_TEST(test_small_buffer_is_espace)
{
	sdns_metrics *m;
	ck_assert_int_eq(sdns_metrics_new(&m), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "x_total", "X.",
	                                  NULL, 0, NULL, 0, NULL), 0);
	char buf[16];
	size_t len;
	ck_assert_int_eq(sdns_metrics_render(m, buf, sizeof(buf), &len), SDNS_ESPACE);
	sdns_metrics_free(m);
}
END_TEST

START_TEST(test_null_series_is_ignored)
{
	sdns_series_inc(NULL);
	sdns_series_set(NULL, 3);
	sdns_series_observe_ns(NULL, 3);
	ck_assert_int_eq(sdns_series_value(NULL), 0);
}
END_TEST

static void *bump(void *p)
{
	for (int i = 0; i < 10000; i++) {
		sdns_series_inc(((sdns_series **)p)[0]);
		sdns_series_observe_ns(((sdns_series **)p)[1], 1000);
	}
	return NULL;
}

START_TEST(test_increments_from_threads_are_not_lost)
{
	sdns_metrics *m;
	sdns_metric *c, *h;
	sdns_series *s[2];
	ck_assert_int_eq(sdns_metrics_new(&m), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_COUNTER, "c_total", "",
	                                  NULL, 0, NULL, 0, &c), 0);
	ck_assert_int_eq(sdns_metrics_add(m, SDNS_METRIC_HISTOGRAM, "h_seconds", "",
	                                  NULL, 0, NULL, 0, &h), 0);
	ck_assert_int_eq(sdns_metric_series(c, NULL, &s[0]), 0);
	ck_assert_int_eq(sdns_metric_series(h, NULL, &s[1]), 0);
	pthread_t t[4];
	for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, bump, s);
	for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
	ck_assert_int_eq(sdns_series_value(s[0]), 40000);
	ck_assert_uint_eq(sdns_series_count(s[1]), 40000);
	ck_assert_ptr_nonnull(strstr(render(m), "h_seconds_sum 0.04\n"));
	sdns_metrics_free(m);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_counter_and_gauge_render_help_type_and_samples);
	tcase_add_test(tc, test_same_label_values_give_same_series);
	tcase_add_test(tc, test_histogram_buckets_cumulative_with_inf_sum_and_count);
	tcase_add_test(tc, test_histogram_default_buckets_without_labels);
	tcase_add_test(tc, test_label_values_and_help_are_escaped);
	tcase_add_test(tc, test_bad_names_duplicates_and_buckets_are_refused);
	tcase_add_test(tc, test_small_buffer_is_espace);
	tcase_add_test(tc, test_null_series_is_ignored);
	tcase_add_test(tc, test_increments_from_threads_are_not_lost);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(metrics_suite)

/* Shared helpers for the Check suites: one main per suite, temporary
 * directories that are removed even when a test fails. */
#ifndef SDNS_TESTLIB_H
#define SDNS_TESTLIB_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* Each tests/<module>.c defines `Suite *<module>_suite(void)` and ends with
 * SDNS_TEST_MAIN(<module>_suite). */
#define SDNS_TEST_MAIN(suite_fn)                                       \
	int main(void)                                                 \
	{                                                              \
		SRunner *sr = srunner_create(suite_fn());              \
		srunner_run_all(sr, CK_NORMAL);                        \
		int failed = srunner_ntests_failed(sr);                \
		srunner_free(sr);                                      \
		return failed == 0 ? 0 : 1;                            \
	}

/* mkdtemp under $TMPDIR (or /tmp) with the given prefix; path into buf. */
int sdns_test_mkdtemp(const char *prefix, char *buf, size_t cap);
/* rm -rf of a directory made by sdns_test_mkdtemp. */
void sdns_test_rmtree(const char *path);
/* Write a whole file; 0 on success. */
int sdns_test_write_file(const char *path, const char *text);
/* Parse a hex string ("0a 00 00 05" or "0a000005") into buf; returns length
 * or -1. Lets tests spell wire bytes readably. */
int sdns_test_hex(const char *hex, uint8_t *buf, size_t cap);

#endif

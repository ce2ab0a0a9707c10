/* Tests for src/store/import.c (zone import, streamed through COPY) and
 * migration 003 against a real PostgreSQL (tests/lib/testpg.h): one
 * private cluster per run, a fresh database per test. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/store.h"
#include "testaudit.h"
#include "testlib.h"
#include "testpg.h"

#define ZONE "node-alpha.mesh"

static char ci[1400];
static sdns_audit_key key;
static sdns_store_err e;
static const sdns_actor admin = { "spiffe://test.mesh/admin/admin", "admin",
	SDNS_ROLE_ADMIN,
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" };

static sdns_store *connect_db(void)
{
	sdns_store *s = NULL;
	ck_assert_int_eq(sdns_store_connect(ci, &s, &e), 0);
	sdns_store_set_audit_key(s, &key);
	return s;
}

/* A fresh migrated database with zone ZONE (its SOA and old.ZONE A). */
static sdns_store *open_zone(void)
{
	ck_assert_int_eq(sdns_testpg_fresh_db(ci, sizeof ci), 0);
	if (key.pub[0] == 0 && key.pub[1] == 0) sdns_audit_key_generate(&key);
	sdns_store *s = connect_db();
	ck_assert_int_eq(sdns_testpg_migrate(ci, NULL), 0);
	ck_assert_int_eq(sdns_store_zone_create(s, &admin, ZONE, NULL, NULL, NULL,
	                                        &e), 0);
	json_t *r = json_pack("{s:s,s:s,s:s}", "name", "old." ZONE, "type", "A",
	                      "value", "10.9.9.9");
	ck_assert_int_eq(sdns_store_record_add(s, &admin, ZONE, r, -1, NULL, NULL,
	                                       &e), 0);
	json_decref(r);
	return s;
}

/* First column of the first row of sql as text ("" when none). */
static char *q1s(const char *sql)
{
	PGconn *c = PQconnectdb(ci);
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	              PQerrorMessage(c));
	char *v = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
	return v;
}

static long q1(const char *sql)
{
	char *v = q1s(sql);
	long n = atol(v);
	free(v);
	return n;
}

/* Everything an import may touch, as one string: the records with their
 * ids, the zones, the change log and the audit chain. */
static char *state(void)
{
	return q1s("SELECT md5(concat_ws('|', "
	           "(SELECT string_agg(concat_ws(',', id, zone_id, name, type, ttl, "
	           "rdata_text, rdata), ';' ORDER BY id) FROM records), "
	           "(SELECT string_agg(concat_ws(',', id, name, serial), ';' "
	           "ORDER BY id) FROM zones), "
	           "(SELECT string_agg(concat_ws(',', seq, tbl, op, row_id), ';' "
	           "ORDER BY seq) FROM changes), "
	           "(SELECT string_agg(encode(hash, 'hex'), ';' ORDER BY id) "
	           "FROM audit)))");
}

static void assert_unchanged(const char *before)
{
	char *now = state();
	ck_assert_str_eq(now, before);
	free(now);
}

/* A master file of n lines: $TTL, the SOA, then A records h1.. (line k
 * holds h(k-2)); line bad (0 = none) is a broken A record. */
static char *big_file(long n, long bad, size_t *len)
{
	size_t cap = (size_t)n * 40 + 200, o = 0;
	char *t = malloc(cap);
	ck_assert_ptr_nonnull(t);
	o += (size_t)snprintf(t + o, cap - o, "$TTL 300\n@ IN SOA ns hostmaster "
	                      "7 3600 600 1209600 300\n");
	for (long k = 3; k <= n; k++)
		o += (size_t)snprintf(t + o, cap - o, k == bad
		                      ? "h%ld IN A 10.0.0.256\n" : "h%ld IN A 10.%ld.%ld.%ld\n",
		                      k - 2, (k >> 16) & 255, (k >> 8) & 255, k & 255);
	*len = o;
	return t;
}

/* Through the stream in chunks of `chunk` bytes. */
static int import_chunks(sdns_store *s, const char *text, size_t len,
                         size_t chunk, json_t **out)
{
	sdns_store_import *im;
	int rc = sdns_store_import_begin(s, &admin, ZONE, -1, 0, &im, &e);
	if (rc) return rc;
	for (size_t off = 0; off < len && rc == SDNS_OK; off += chunk)
		rc = sdns_store_import_feed(im, text + off,
		                            len - off < chunk ? len - off : chunk, &e);
	if (rc == SDNS_OK) rc = sdns_store_import_end(im, out, &e);
	sdns_store_import_free(im);
	return rc;
}

static int import_text(sdns_store *s, const char *text)
{
	return sdns_store_zone_import(s, &admin, ZONE, text, strlen(text), -1,
	                              NULL, &e);
}

START_TEST(test_import_of_200000_lines_stores_every_record)
{
	sdns_store *s = open_zone();
	size_t len;
	char *t = big_file(200000, 0, &len);
	json_t *out = NULL;
	ck_assert_int_eq(import_chunks(s, t, len, 65521, &out), 0);
	free(t);
	/* 199,998 A records and the SOA */
	ck_assert_int_eq(json_integer_value(json_object_get(out, "records")),
	                 199999);
	/* the file's serial 7 is ahead of the zone's 2: kept */
	ck_assert_int_eq(json_integer_value(json_object_get(out, "serial")), 7);
	ck_assert_str_eq(json_string_value(json_object_get(out, "zone")), ZONE);
	json_decref(out);
	ck_assert_int_eq(q1("SELECT count(*) FROM records"), 199999);
	ck_assert_int_eq(q1("SELECT count(*) FROM records WHERE name = 'h199998."
	                    ZONE "' AND rdata_text = '10.3.13.64' AND ttl = 300"), 1);
	ck_assert_int_eq(q1("SELECT count(*) FROM records WHERE name = 'old." ZONE
	                    "'"), 0);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_bad_line_999999_names_it_and_changes_nothing)
{
	/* The case: line 999,999 of a million. Under valgrind, fifty
	 * times slower, line 199,999 of 200,001 makes the same point. */
	long lines = getenv("SDNS_TEST_UNDER_VALGRIND") ? 200001 : 1000001;
	sdns_store *s = open_zone();
	char *before = state();
	size_t len;
	char *t = big_file(lines, lines - 2, &len);
	ck_assert_int_eq(import_chunks(s, t, len, 65536, NULL), SDNS_EINVAL);
	free(t);
	char want[200];
	snprintf(want, sizeof want, "line %ld: bad IPv4 address '10.0.0.256' "
	         "in A record", lines - 2);
	ck_assert_str_eq(e.message, want);
	ck_assert_str_eq(e.field, "body");
	assert_unchanged(before);
	free(before);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_duplicates_collapse_into_one_record)
{
	sdns_store *s = open_zone();
	const char *t = "$TTL 300\n@ IN SOA ns hostmaster 7 3600 600 1209600 300\n"
	                "www IN A 10.0.0.5\n"
	                "WWW.node-alpha.mesh. 60 IN A 10.0.0.5\n"
	                "www IN A 10.0.0.6\n"
	                "www IN A 10.0.0.5\n"
	                "txt TXT \"a b\"\ntxt TXT \"a b\"\ntxt TXT \"a\" \"b\"\n";
	json_t *out = NULL;
	ck_assert_int_eq(sdns_store_zone_import(s, &admin, ZONE, t, strlen(t), -1,
	                                        &out, &e), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "records")), 5);
	json_decref(out);
	ck_assert_int_eq(q1("SELECT count(*) FROM records"), 5);
	/* the first of the duplicates stays */
	ck_assert_int_eq(q1("SELECT ttl FROM records WHERE rdata_text = "
	                    "'10.0.0.5'"), 300);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_cname_clash_is_ezone_and_changes_nothing)
{
	sdns_store *s = open_zone();
	char *before = state();
	const char *soa = "$TTL 300\n@ IN SOA ns hostmaster 7 3600 600 1209600 300\n";
	char t[512];
	snprintf(t, sizeof t, "%sa A 10.0.0.1\nb CNAME c\nb A 10.0.0.2\n", soa);
	ck_assert_int_eq(import_text(s, t), SDNS_EZONE);
	ck_assert_str_eq(e.message, "name b." ZONE ": a CNAME cannot coexist "
	                 "with other records");
	snprintf(t, sizeof t, "%sb CNAME c\nb CNAME d\n", soa);
	ck_assert_int_eq(import_text(s, t), SDNS_EZONE);
	assert_unchanged(before);
	free(before);
	/* RRSIG and NSEC may stand beside a CNAME */
	snprintf(t, sizeof t, "%sb CNAME c\nb NSEC d A\nb CNAME c\n", soa);
	ck_assert_int_eq(import_text(s, t), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM records"), 3);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_import_logs_one_reload_and_one_audit_entry)
{
	sdns_store *s = open_zone();
	long seq = q1("SELECT coalesce(max(seq), 0) FROM changes");
	long audits = q1("SELECT count(*) FROM audit");
	size_t len;
	char *t = big_file(1002, 0, &len);
	ck_assert_int_eq(import_chunks(s, t, len, 4096, NULL), 0);
	free(t);
	char sql[300];
	snprintf(sql, sizeof sql, "SELECT string_agg(tbl || ' ' || op, ',' "
	         "ORDER BY seq) FROM changes WHERE seq > %ld", seq);
	char *rows = q1s(sql);
	/* no row per record: the serial bump, the RELOAD, the audit entry */
	ck_assert_str_eq(rows, "zones UPDATE,zones RELOAD,audit INSERT");
	free(rows);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM changes WHERE seq > %ld "
	         "AND op = 'RELOAD' AND zone_id = (SELECT id FROM zones) AND name = '"
	         ZONE "'", seq);
	ck_assert_int_eq(q1(sql), 1);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit"), audits + 1);
	char *a = q1s("SELECT concat_ws(' ', action, object, before, after) FROM "
	              "audit ORDER BY id DESC LIMIT 1");
	ck_assert_str_eq(a, "zone.import zone:" ZONE " {\"records\": 2} "
	                 "{\"serial\": 7, \"records\": 1001}");
	free(a);
	json_t *v = NULL;
	ck_assert_int_eq(sdns_store_audit_verify(s, sdns_test_own_trust(&key), &v, &e), 0);
	ck_assert(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_dead_database_mid_import_is_eunavail_and_writes_nothing)
{
	sdns_store *s = open_zone();
	char *before = state();
	size_t len;
	char *t = big_file(100001, 0, &len);
	sdns_store_import *im;
	ck_assert_int_eq(sdns_store_import_begin(s, &admin, ZONE, -1, 0, &im, &e), 0);
	size_t half = len / 2;
	ck_assert_int_eq(sdns_store_import_feed(im, t, half, &e), 0);
	ck_assert_int_eq(sdns_testpg_stop_server(), 0);
	int rc = SDNS_OK;
	for (size_t off = half; off < len && rc == SDNS_OK; off += 65536)
		rc = sdns_store_import_feed(im, t + off,
		                            len - off < 65536 ? len - off : 65536, &e);
	if (rc == SDNS_OK) rc = sdns_store_import_end(im, NULL, &e);
	ck_assert_int_eq(rc, SDNS_EUNAVAIL);
	ck_assert(sdns_store_broken(s));
	ck_assert_int_eq(sdns_store_import_end(im, NULL, &e), SDNS_EUNAVAIL);
	sdns_store_import_free(im);
	sdns_store_close(s);
	free(t);
	ck_assert_int_eq(sdns_testpg_start_server(), 0);
	assert_unchanged(before);
	free(before);
}
END_TEST

START_TEST(test_unfinished_import_rolls_back_when_freed)
{
	sdns_store *s = open_zone();
	char *before = state();
	size_t len;
	char *t = big_file(5000, 0, &len);
	sdns_store_import *im;
	ck_assert_int_eq(sdns_store_import_begin(s, &admin, ZONE, -1, 0, &im, &e), 0);
	ck_assert_int_eq(sdns_store_import_feed(im, t, len - 10, &e), 0);
	sdns_store_import_free(im); /* the client went away */
	free(t);
	assert_unchanged(before);
	free(before);
	/* the connection and the zone are free for the next writer */
	ck_assert_int_eq(import_text(s, "@ SOA ns hostmaster 1 2 3 4 5\n"), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM records"), 1);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_refusals_name_the_line_and_change_nothing)
{
	sdns_store *s = open_zone();
	char *before = state();
	const char *soa = "@ IN SOA ns hostmaster 7 3600 600 1209600 300\n";
	char t[512];
	snprintf(t, sizeof t, "%sa IN A 10.0.0.1\nb IN A 10.0.0.256\n", soa);
	ck_assert_int_eq(import_text(s, t), SDNS_EINVAL);
	ck_assert_str_eq(e.message, "line 3: bad IPv4 address '10.0.0.256' in A "
	                 "record");
	snprintf(t, sizeof t, "%swww.elsewhere. IN A 10.0.0.1\n", soa);
	ck_assert_int_eq(import_text(s, t), SDNS_EINVAL);
	ck_assert_str_eq(e.message, "line 2: name: not inside the zone");
	snprintf(t, sizeof t, "%sa CH A 10.0.0.1\n", soa);
	ck_assert_int_eq(import_text(s, t), SDNS_EINVAL);
	/* what the table's CHECKs refuse is refused here, with its line */
	snprintf(t, sizeof t, "%sa TYPE254 \\# 0\n", soa);
	ck_assert_int_eq(import_text(s, t), SDNS_EINVAL);
	ck_assert_str_eq(e.message, "line 2: type: this type cannot be stored "
	                 "in a zone");
	snprintf(t, sizeof t, "a IN A 10.0.0.1\n%s%s", soa, soa);
	ck_assert_int_eq(import_text(s, t), SDNS_EZONE);
	ck_assert_str_eq(e.message, "line 3: a second SOA record");
	ck_assert_int_eq(import_text(s, "a IN A 10.0.0.1\n"), SDNS_EZONE);
	ck_assert_str_eq(e.message, "the file has no SOA record");
	ck_assert_int_eq(import_text(s, "a IN SOA ns hostmaster 1 2 3 4 5\n"),
	                 SDNS_EINVAL);
	static const char nul[] = "@ SOA ns h 1 2 3 4 5\na A 10.0.0.1\n\0b A "
	                          "10.0.0.2\n";
	ck_assert_int_eq(sdns_store_zone_import(s, &admin, ZONE, nul,
	                 sizeof nul - 1, -1, NULL, &e), SDNS_EINVAL);
	ck_assert_str_eq(e.message, "line 3: the master file holds a NUL byte");
	ck_assert_int_eq(sdns_store_zone_import(s, &admin, "nowhere.mesh", soa,
	                 strlen(soa), -1, NULL, &e), SDNS_ENOTFOUND);
	ck_assert_int_eq(sdns_store_zone_import(s, &admin, ZONE, soa, strlen(soa),
	                 7, NULL, &e), SDNS_EPRECOND);
	assert_unchanged(before);
	free(before);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_over_the_limit_is_etoobig_and_changes_nothing)
{
	sdns_store *s = open_zone();
	char *before = state();
	size_t len;
	char *t = big_file(3000, 0, &len);
	sdns_store_import *im;
	ck_assert_int_eq(sdns_store_import_begin(s, &admin, ZONE, -1, len - 1,
	                                         &im, &e), 0);
	ck_assert_int_eq(sdns_store_import_feed(im, t, len / 2, &e), 0);
	ck_assert_int_eq(sdns_store_import_feed(im, t + len / 2, len - len / 2, &e),
	                 SDNS_ETOOBIG);
	ck_assert_int_eq(sdns_store_import_end(im, NULL, &e), SDNS_ETOOBIG);
	sdns_store_import_free(im);
	free(t);
	assert_unchanged(before);
	free(before);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_import_replaces_records_and_bad_file_changes_nothing)
{
	sdns_store *s = open_zone();
	const char *good = "$TTL 300\n"
	                   "@ IN SOA ns hostmaster 7 3600 600 1209600 300\n"
	                   "www IN A 10.0.0.5\n"
	                   "www IN A 10.0.0.6\n";
	json_t *out = NULL;
	ck_assert_int_eq(sdns_store_zone_import(s, &admin, ZONE, good,
	                                        strlen(good), -1, &out, &e), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "records")), 3);
	json_decref(out);
	ck_assert_int_eq(q1("SELECT count(*) FROM records"), 3);
	ck_assert_int_eq(q1("SELECT count(*) FROM records WHERE name = 'old." ZONE
	                    "'"), 0);
	ck_assert_int_eq(q1("SELECT serial FROM zones"), 7);
	sdns_store_close(s);
}
END_TEST

static long long import_serial(sdns_store *s, const char *serial)
{
	char t[300];
	snprintf(t, sizeof t, "@ IN SOA ns hostmaster %s 3600 600 1209600 300\n"
	         "www IN A 10.0.0.6\n", serial);
	json_t *out = NULL;
	ck_assert_int_eq(sdns_store_zone_import(s, &admin, ZONE, t, strlen(t), -1,
	                                        &out, &e), 0);
	long long v = json_integer_value(json_object_get(out, "serial"));
	json_decref(out);
	ck_assert_int_eq(q1("SELECT serial FROM zones"), v);
	return v;
}

/* A serial never goes backwards (RFC 1982): a file ahead of the zone keeps
 * its serial and changes count on from it; a file behind (or equal) moves
 * the zone's on by one; the comparison wraps at 2^32. */
START_TEST(test_import_never_moves_the_serial_backwards)
{
	sdns_store *s = open_zone();
	ck_assert_int_eq(import_serial(s, "2026112301"), 2026112301);
	json_t *r = json_pack("{s:s,s:s,s:s}", "name", "new." ZONE, "type", "A",
	                      "value", "10.0.0.9");
	ck_assert_int_eq(sdns_store_record_add(s, &admin, ZONE, r, -1, NULL, NULL,
	                                       &e), 0);
	json_decref(r);
	ck_assert_int_eq(q1("SELECT serial FROM zones"), 2026112302);
	ck_assert_int_eq(import_serial(s, "7"), 2026112303);
	ck_assert_int_eq(import_serial(s, "2026112303"), 2026112304);
	ck_assert_int_eq(import_serial(s, "4000000000"), 4000000000);
	ck_assert_int_eq(import_serial(s, "5"), 5);     /* ahead, across 2^32 */
	/* 2^31 ahead is undefined in RFC 1982: not taken */
	ck_assert_int_eq(import_serial(s, "2147483653"), 6);
	sdns_store_close(s);
}
END_TEST

/* --- migration 003: the foreign key as statement triggers --- */

START_TEST(test_zone_delete_still_cascades_to_its_records)
{
	sdns_store *s = open_zone();
	long seq = q1("SELECT coalesce(max(seq), 0) FROM changes");
	ck_assert_int_eq(sdns_store_zone_delete(s, &admin, ZONE, -1, &e), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM records"), 0);
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM changes WHERE seq > %ld "
	         "AND tbl = 'records'", seq);
	ck_assert_int_eq(q1(sql), 0);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_record_of_a_missing_zone_is_refused)
{
	sdns_store *s = open_zone();
	ck_assert_int_ne(sdns_testpg_exec(ci, "INSERT INTO records (zone_id, name, "
	                 "type, ttl, rdata_text, rdata) VALUES (999, 'x', 1, 1, "
	                 "'10.0.0.1', '\\x0a000001')"), 0);
	ck_assert_int_ne(sdns_testpg_exec(ci, "UPDATE records SET zone_id = 999"), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM records WHERE zone_id = 999"), 0);
	/* a bulk writer skips the check: it holds the zone row itself */
	ck_assert_int_eq(sdns_testpg_exec(ci, "BEGIN; SET LOCAL sdns.bulk = 'on'; "
	                 "INSERT INTO records (zone_id, name, type, ttl, rdata_text, "
	                 "rdata) VALUES (999, 'x', 1, 1, '10.0.0.1', '\\x0a000001'); "
	                 "ROLLBACK"), 0);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_cname_rule_still_holds_for_single_writes)
{
	sdns_store *s = open_zone();
	json_t *c = json_pack("{s:s,s:s,s:s}", "name", "old." ZONE, "type",
	                      "CNAME", "value", "x.");
	ck_assert_int_eq(sdns_store_record_add(s, &admin, ZONE, c, -1, NULL, NULL,
	                                       &e), SDNS_EZONE);
	ck_assert_str_eq(e.message, "name old." ZONE ": a CNAME cannot coexist "
	                 "with other records");
	json_decref(c);
	c = json_pack("{s:s,s:s,s:s}", "name", "c." ZONE, "type", "CNAME",
	              "value", "x.");
	ck_assert_int_eq(sdns_store_record_add(s, &admin, ZONE, c, -1, NULL, NULL,
	                                       &e), 0);
	json_decref(c);
	json_t *a = json_pack("{s:s,s:s,s:s}", "name", "c." ZONE, "type", "TXT",
	                      "value", "hi");
	ck_assert_int_eq(sdns_store_record_add(s, &admin, ZONE, a, -1, NULL, NULL,
	                                       &e), SDNS_EZONE);
	ck_assert_str_eq(e.message, "name c." ZONE ": a CNAME already exists at "
	                 "this name");
	json_decref(a);
	sdns_store_close(s);
}
END_TEST

static Suite *import_suite(void)
{
	Suite *su = suite_create("import");
	TCase *tc = tcase_create("import");
	tcase_add_unchecked_fixture(tc, sdns_testpg_setup, sdns_testpg_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_import_of_200000_lines_stores_every_record);
	tcase_add_test(tc, test_bad_line_999999_names_it_and_changes_nothing);
	tcase_add_test(tc, test_duplicates_collapse_into_one_record);
	tcase_add_test(tc, test_cname_clash_is_ezone_and_changes_nothing);
	tcase_add_test(tc, test_import_logs_one_reload_and_one_audit_entry);
	tcase_add_test(tc, test_unfinished_import_rolls_back_when_freed);
	tcase_add_test(tc, test_refusals_name_the_line_and_change_nothing);
	tcase_add_test(tc, test_over_the_limit_is_etoobig_and_changes_nothing);
	tcase_add_test(tc, test_import_replaces_records_and_bad_file_changes_nothing);
	tcase_add_test(tc, test_import_never_moves_the_serial_backwards);
	tcase_add_test(tc, test_zone_delete_still_cascades_to_its_records);
	tcase_add_test(tc, test_record_of_a_missing_zone_is_refused);
	tcase_add_test(tc, test_cname_rule_still_holds_for_single_writes);
	tcase_add_test(tc, test_dead_database_mid_import_is_eunavail_and_writes_nothing);
	suite_add_tcase(su, tc);
	return su;
}

SDNS_TEST_MAIN(import_suite)

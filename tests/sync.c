/* Tests for src/sync against a real PostgreSQL: full loads, steps from the
 * change log, equality of incremental and full results after random
 * writes (also from concurrent writers), gaps healed by a full load, bad
 * data, signed zones, a dead database. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdns/answer.h"
#include "sdns/dnssec.h"
#include "sdns/error.h"
#include "sdns/store.h"
#include "sdns/sync.h"
#include "testlib.h"
#include "testpg.h"

#define NOW 1800000000u

static char ci[1400];
static sdns_audit_key akey;
static sdns_store_err e;
static const sdns_actor admin = { "spiffe://test.mesh/admin/admin", "admin",
	SDNS_ROLE_ADMIN,
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" };

static sdns_store *connect_db(void)
{
	sdns_store *s = NULL;
	ck_assert_int_eq(sdns_store_connect(ci, &s, &e), 0);
	sdns_store_set_audit_key(s, &akey);
	return s;
}

static sdns_store *open_db(void)
{
	ck_assert_int_eq(sdns_testpg_fresh_db(ci, sizeof ci), 0);
	if (akey.pub[0] == 0 && akey.pub[1] == 0) sdns_audit_key_generate(&akey);
	sdns_store *s = connect_db();
	int n = -1;
	ck_assert_int_eq(sdns_testpg_migrate(ci, &n), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(sdns_store_zone_create(s, &admin, "a.mesh", NULL, NULL,
	                                        NULL, &e), 0);
	ck_assert_int_eq(sdns_store_zone_create(s, &admin, "b.mesh", NULL, NULL,
	                                        NULL, &e), 0);
	return s;
}

static long q1(const char *sql)
{
	PGconn *c = PQconnectdb(ci);
	PGresult *r = PQexec(c, sql);
	long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0
	         ? atol(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	PQfinish(c);
	return v;
}

static int add(sdns_store *s, const char *zone, const char *name,
               const char *type, const char *value, int ttl, int64_t *id)
{
	char full[300];
	snprintf(full, sizeof(full), "%s.%s", name, zone);  /* the API's rule */
	json_t *r = json_pack("{s:s,s:s,s:s,s:i}", "name", full, "type", type,
	                      "value", value, "ttl", ttl), *out = NULL;
	int rc = sdns_store_record_add(s, &admin, zone, r, -1, &out, NULL, &e);
	if (rc == 0 && id) *id = json_integer_value(json_object_get(out, "id"));
	json_decref(r);
	json_decref(out);
	return rc;
}

/* --- a sync with counting callbacks --- */

typedef struct {
	int publishes, reloads, changed, gone, peers, dropped;
	char last_drop[300];
	sdns_zoneset *last;
} seen;

static void cb_publish(void *ctx, sdns_zoneset *zs)
{
	seen *w = ctx;
	w->publishes++;
	sdns_zoneset_unref(w->last);
	w->last = zs;
}

static void cb_changed(void *ctx, const sdns_name *apex, uint32_t serial,
                       bool gone)
{
	(void)apex;
	(void)serial;
	seen *w = ctx;
	if (gone) w->gone++;
	else w->changed++;
}

static void cb_reloaded(void *ctx, const sdns_zoneset *zs)
{
	(void)zs;
	((seen *)ctx)->reloads++;
}

static void cb_peers(void *ctx)
{
	((seen *)ctx)->peers++;
}

static void cb_dropped(void *ctx, const char *zone, const sdns_name *owner,
                       uint16_t type, const char *why)
{
	seen *w = ctx;
	char o[300] = "-";
	if (owner) sdns_name_to_str(owner, o, sizeof(o));
	/* Cut to fit is fine: the tests look at its start. */
	if (snprintf(w->last_drop, sizeof(w->last_drop), "%s %s %u %s", zone, o,
	             (unsigned)type, why) < 0)
		w->last_drop[0] = '\0';
	w->dropped++;
}

static const sdns_sync_cb cbs = { cb_publish, cb_changed, cb_reloaded,
                                  cb_peers, cb_dropped };

static sdns_sync *new_sync(seen *w, const sdns_dnssec_key *k)
{
	memset(w, 0, sizeof(*w));
	sdns_sync_conf c = { .key = k, .threads = 2, .seed = { 1, 2 } };
	sdns_sync *s = NULL;
	ck_assert_int_eq(sdns_sync_new(&c, &cbs, w, &s), 0);
	return s;
}

static void seen_free(seen *w)
{
	sdns_zoneset_unref(w->last);
	w->last = NULL;
}

/* --- comparing what two syncs serve --- */

typedef struct {
	char **v;
	size_t n, cap;
	bool sigs;   /* include RRSIG RDATA (not for signed comparisons) */
} dumpv;

static int dump_set(void *ctx, const sdns_name *owner, const sdns_rrset *set,
                    bool auth)
{
	dumpv *d = ctx;
	if (set->type == SDNS_T_RRSIG && !d->sigs) return 0;
	for (uint16_t i = 0; i < set->count; i++) {
		char line[1200], o[300];
		sdns_name low = *owner;
		sdns_name_lower(&low);
		sdns_name_to_str(&low, o, sizeof(o));
		int k = snprintf(line, sizeof(line), "%s %u %u %d ", o, set->type,
		                 set->ttl, auth);
		for (int j = 0; j < set->rdlen[i] && k < 1100; j++)
			k += snprintf(line + k, sizeof(line) - (size_t)k, "%02x",
			              set->rdata[i][j]);
		if (d->n == d->cap) {
			d->cap = d->cap ? 2 * d->cap : 256;
			d->v = realloc(d->v, d->cap * sizeof(*d->v));
		}
		d->v[d->n++] = strdup(line);
	}
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump_set_all(const sdns_zoneset *zs, dumpv *d)
{
	for (size_t i = 0; i < sdns_zoneset_count(zs); i++) {
		char a[300];
		sdns_name_to_str(sdns_zone_apex(sdns_zoneset_at(zs, i)), a, sizeof(a));
		if (d->n == d->cap) {
			d->cap = d->cap ? 2 * d->cap : 256;
			d->v = realloc(d->v, d->cap * sizeof(*d->v));
		}
		char z[400];
		snprintf(z, sizeof(z), "zone %s serial %u names %zu", a,
		         sdns_zone_serial(sdns_zoneset_at(zs, i)),
		         sdns_zone_name_count(sdns_zoneset_at(zs, i)));
		d->v[d->n++] = strdup(z);
		sdns_zone_walk(sdns_zoneset_at(zs, i), dump_set, d);
	}
	qsort(d->v, d->n, sizeof(*d->v), str_cmp);
}

static void dump_free(dumpv *d)
{
	for (size_t i = 0; i < d->n; i++) free(d->v[i]);
	free(d->v);
}

/* What the incremental sync serves equals a fresh full load. */
static void equals_full(const sdns_sync *inc, sdns_store *db,
                        const sdns_dnssec_key *k)
{
	seen w2;
	sdns_sync *full = new_sync(&w2, k);
	ck_assert_int_eq(sdns_sync_full(full, db, NOW), 0);
	dumpv a = { .sigs = !k }, b = { .sigs = !k };
	dump_set_all(sdns_sync_current(inc), &a);
	dump_set_all(sdns_sync_current(full), &b);
	ck_assert_uint_eq(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) ck_assert_str_eq(a.v[i], b.v[i]);
	dump_free(&a);
	dump_free(&b);
	sdns_sync_free(full);
	seen_free(&w2);
}

static const sdns_rrset *find(const sdns_sync *s, const char *name,
                              uint16_t type)
{
	sdns_name n;
	ck_assert_int_eq(sdns_name_from_str(&n, name, strlen(name), NULL), 0);
	const sdns_zone *z = sdns_zoneset_find(sdns_sync_current(s), &n);
	return z ? sdns_zone_find(z, &n, type) : NULL;
}

/* --- tests --- */

START_TEST(test_full_load_serves_the_database)
{
	sdns_store *db = open_db();
	ck_assert_int_eq(add(db, "a.mesh", "www", "A", "10.0.0.5", 300, NULL), 0);
	seen w;
	sdns_sync *s = new_sync(&w, NULL);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	ck_assert_int_eq(w.publishes, 1);
	ck_assert_int_eq(w.reloads, 1);
	ck_assert_uint_eq(sdns_zoneset_count(sdns_sync_current(s)), 2);
	const sdns_rrset *rs = find(s, "www.a.mesh.", SDNS_T_A);
	ck_assert_ptr_nonnull(rs);
	ck_assert_mem_eq(rs->rdata[0], "\x0a\x00\x00\x05", 4);
	sdns_name apex;
	sdns_name_from_str(&apex, "a.mesh.", 7, NULL);
	/* The SOA shows zones.serial, not the stored RDATA's. */
	ck_assert_uint_eq(sdns_zone_serial(sdns_zoneset_find(
	                  sdns_sync_current(s), &apex)), 2);
	sdns_sync_stats st;
	sdns_sync_stats_get(s, &st);
	ck_assert_int_eq(st.seq, q1("SELECT max(seq) FROM changes"));
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

START_TEST(test_step_applies_a_change_and_shares_other_zones)
{
	sdns_store *db = open_db();
	seen w;
	sdns_sync *s = new_sync(&w, NULL);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	sdns_name bapex;
	sdns_name_from_str(&bapex, "b.mesh.", 7, NULL);
	const sdns_zone *b0 = sdns_zoneset_find(sdns_sync_current(s), &bapex);
	int64_t id;
	ck_assert_int_eq(add(db, "a.mesh", "www", "A", "10.0.0.7", 300, &id), 0);
	bool more = true;
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, &more), 0);
	ck_assert(!more);
	ck_assert_ptr_nonnull(find(s, "www.a.mesh.", SDNS_T_A));
	ck_assert_int_eq(w.changed, 1);
	/* The other zone is the same object: nothing of it was rebuilt. */
	ck_assert_ptr_eq(sdns_zoneset_find(sdns_sync_current(s), &bapex), b0);
	json_t *r = json_pack("{s:s,s:s,s:s}", "name", "www.a.mesh", "type", "A",
	                      "value", "10.0.0.8");
	ck_assert_int_eq(sdns_store_record_update(db, &admin, "a.mesh", id, r, -1,
	                                          NULL, NULL, &e), 0);
	json_decref(r);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	ck_assert_mem_eq(find(s, "www.a.mesh.", SDNS_T_A)->rdata[0],
	                 "\x0a\x00\x00\x08", 4);
	ck_assert_int_eq(sdns_store_record_delete(db, &admin, "a.mesh", id, -1,
	                                          NULL, &e), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	ck_assert_ptr_null(find(s, "www.a.mesh.", SDNS_T_A));
	/* A step with nothing new publishes nothing. */
	int pubs = w.publishes;
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	ck_assert_int_eq(w.publishes, pubs);
	equals_full(s, db, NULL);
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

START_TEST(test_zone_create_and_delete_through_steps)
{
	sdns_store *db = open_db();
	seen w;
	sdns_sync *s = new_sync(&w, NULL);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	json_t *recs = json_pack("[{s:s,s:s,s:s}]", "name", "www.c.mesh",
	                         "type", "A", "value", "10.1.1.1");
	ck_assert_int_eq(sdns_store_zone_create(db, &admin, "c.mesh", NULL, recs,
	                                        NULL, &e), 0);
	json_decref(recs);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	ck_assert_uint_eq(sdns_zoneset_count(sdns_sync_current(s)), 3);
	ck_assert_ptr_nonnull(find(s, "www.c.mesh.", SDNS_T_A));
	ck_assert_int_eq(sdns_store_zone_delete(db, &admin, "a.mesh", -1, &e), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	ck_assert_uint_eq(sdns_zoneset_count(sdns_sync_current(s)), 2);
	ck_assert_int_eq(w.gone, 1);
	equals_full(s, db, NULL);
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

static const char *const names[] = {
	"www", "mail", "a.b.c", "b.c", "*.w", "x.w", "sub", "ns.sub", "alias",
	"h1", "h2", "h3", "q.h1", "e.f.g",
};

/* A random valid write to zone z: add, update or delete. */
static void random_write(sdns_store *db, const char *z, unsigned *seed)
{
	const char *n = names[rand_r(seed) % (sizeof(names) / sizeof(*names))];
	char v[64];
	int op = rand_r(seed) % 3;
	if (op == 2) {
		char sql[300];
		snprintf(sql, sizeof(sql), "SELECT r.id FROM records r JOIN zones z "
		         "ON z.id = r.zone_id WHERE z.name = '%s' AND r.type <> 6 "
		         "ORDER BY random() LIMIT 1", z);
		long id = q1(sql);
		if (id > 0) sdns_store_record_delete(db, &admin, z, id, -1, NULL, &e);
		return;
	}
	if (!strcmp(n, "alias")) {
		add(db, z, n, "CNAME", "www", 300, NULL);
	} else if (!strcmp(n, "sub")) {
		add(db, z, n, "NS", "ns.sub", 3600, NULL);
	} else if (rand_r(seed) % 2) {
		snprintf(v, sizeof(v), "10.0.%u.%u", rand_r(seed) % 3,
		         rand_r(seed) % 4);
		add(db, z, n, "A", v, 300 + (int)(rand_r(seed) % 2), NULL);
	} else {
		snprintf(v, sizeof(v), "\"t%u\"", rand_r(seed) % 4);
		add(db, z, n, "TXT", v, 300, NULL);
	}
}

START_TEST(test_random_writes_incremental_equals_full)
{
	sdns_store *db = open_db();
	seen w;
	sdns_sync *s = new_sync(&w, NULL);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	unsigned seed = 5;
	for (int round = 0; round < 40; round++) {
		int k = 1 + rand_r(&seed) % 8;
		for (int i = 0; i < k; i++)
			random_write(db, rand_r(&seed) % 2 ? "a.mesh" : "b.mesh", &seed);
		ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
		if (round % 5 == 4) equals_full(s, db, NULL);
	}
	equals_full(s, db, NULL);
	sdns_sync_stats st;
	sdns_sync_stats_get(s, &st);
	ck_assert_uint_eq(st.gaps, 0);
	ck_assert_uint_eq(st.full_loads, 1);
	ck_assert_int_eq(st.seq, q1("SELECT max(seq) FROM changes"));
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

typedef struct {
	const char *zone;
	unsigned seed;
	int writes;
} writer;

static void *write_loop(void *arg)
{
	writer *wr = arg;
	sdns_store *db = connect_db();
	for (int i = 0; i < wr->writes; i++) random_write(db, wr->zone, &wr->seed);
	sdns_store_close(db);
	return NULL;
}

START_TEST(test_concurrent_writers_never_make_a_step_skip_a_change)
{
	sdns_store *db = open_db();
	seen w;
	sdns_sync *s = new_sync(&w, NULL);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	writer wr[4] = { { "a.mesh", 1, 60 }, { "b.mesh", 2, 60 },
	                 { "a.mesh", 3, 60 }, { "b.mesh", 4, 60 } };
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, write_loop, &wr[i]), 0);
	/* Steps race the writers; commit order = sequence order, so no step
	 * ever sees a later change without the earlier ones (a step that did
	 * would never read the earlier one: the end result would differ). */
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
	bool more = true;
	while (more) ck_assert_int_eq(sdns_sync_step(s, db, NOW, &more), 0);
	sdns_sync_stats st;
	sdns_sync_stats_get(s, &st);
	ck_assert_uint_eq(st.gaps, 0);
	ck_assert_uint_eq(st.full_loads, 1);
	ck_assert_int_eq(st.seq, q1("SELECT max(seq) FROM changes"));
	equals_full(s, db, NULL);
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

START_TEST(test_a_gap_in_the_log_is_healed_by_a_full_load)
{
	sdns_store *db = open_db();
	seen w;
	sdns_sync *s = new_sync(&w, NULL);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	for (int i = 0; i < 5; i++) {
		char n[16];
		snprintf(n, sizeof(n), "g%d", i);
		ck_assert_int_eq(add(db, "a.mesh", n, "A", "10.0.0.1", 300, NULL), 0);
	}
	/* Another node pruned the log before this one read it. */
	int64_t gone = 0;
	ck_assert_int_eq(sdns_store_log_prune(db, 2, 0, &gone, &e), 0);
	ck_assert_int_gt(gone, 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	sdns_sync_stats st;
	sdns_sync_stats_get(s, &st);
	ck_assert_uint_eq(st.gaps, 1);
	ck_assert_uint_eq(st.full_loads, 2);
	ck_assert_ptr_nonnull(find(s, "g4.a.mesh.", SDNS_T_A));
	ck_assert_ptr_nonnull(find(s, "g0.a.mesh.", SDNS_T_A));
	/* A log emptied entirely after this reader's place is a gap too. */
	ck_assert_int_eq(add(db, "a.mesh", "g9", "A", "10.0.0.9", 300, NULL), 0);
	ck_assert_int_eq(sdns_testpg_exec(ci, "DELETE FROM changes"), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	sdns_sync_stats_get(s, &st);
	ck_assert_uint_eq(st.gaps, 2);
	ck_assert_ptr_nonnull(find(s, "g9.a.mesh.", SDNS_T_A));
	/* And by TRUNCATE. */
	ck_assert_int_eq(add(db, "a.mesh", "g10", "A", "10.0.0.10", 300, NULL), 0);
	ck_assert_int_eq(sdns_testpg_exec(ci, "TRUNCATE changes"), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	sdns_sync_stats_get(s, &st);
	ck_assert_uint_eq(st.gaps, 3);
	ck_assert_ptr_nonnull(find(s, "g10.a.mesh.", SDNS_T_A));
	/* A rolled-back writer leaves a hole in the numbers: no gap. */
	ck_assert_int_eq(sdns_testpg_exec(ci, "BEGIN; SELECT nextval("
	                 "'changes_seq'); ROLLBACK"), 0);
	ck_assert_int_eq(add(db, "a.mesh", "g11", "A", "10.0.0.11", 300, NULL), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	sdns_sync_stats_get(s, &st);
	ck_assert_uint_eq(st.gaps, 3);
	ck_assert_ptr_nonnull(find(s, "g11.a.mesh.", SDNS_T_A));
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

START_TEST(test_bad_rows_are_left_out_not_the_zone)
{
	sdns_store *db = open_db();
	seen w;
	sdns_sync *s = new_sync(&w, NULL);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	ck_assert_int_eq(add(db, "a.mesh", "www", "A", "10.0.0.5", 300, NULL), 0);
	long zid = q1("SELECT id FROM zones WHERE name = 'a.mesh'");
	char sql[400];
	/* Whoever can write the database: a record outside its zone. */
	snprintf(sql, sizeof(sql), "INSERT INTO records (zone_id, name, type, ttl, "
	         "rdata_text, rdata) VALUES (%ld, 'www.elsewhere.mesh', 1, 60, "
	         "'10.0.0.1', '\\x0a000001')", zid);
	ck_assert_int_eq(sdns_testpg_exec(ci, sql), 0);
	/* ... and a CNAME beside an A, past the trigger. */
	snprintf(sql, sizeof(sql), "BEGIN; SET LOCAL sdns.bulk = 'on'; INSERT "
	         "INTO records (zone_id, name, type, ttl, rdata_text, rdata) "
	         "VALUES (%ld, 'www.a.mesh', 5, 60, 'x.a.mesh.', "
	         "'\\x01780161046d65736800'); SELECT sdns_change_zone(%ld); "
	         "COMMIT", zid, zid);
	ck_assert_int_eq(sdns_testpg_exec(ci, sql), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	ck_assert_int_ge(w.dropped, 2);
	ck_assert_ptr_nonnull(find(s, "www.a.mesh.", SDNS_T_A));
	ck_assert_ptr_null(find(s, "www.a.mesh.", SDNS_T_CNAME));
	equals_full(s, db, NULL);
	/* Without its SOA a zone is not served; back with it. */
	snprintf(sql, sizeof(sql), "DELETE FROM records WHERE zone_id = %ld AND "
	         "type = 6", zid);
	ck_assert_int_eq(sdns_testpg_exec(ci, sql), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	ck_assert_ptr_null(find(s, "www.a.mesh.", SDNS_T_A));
	ck_assert_uint_eq(sdns_zoneset_count(sdns_sync_current(s)), 1);
	equals_full(s, db, NULL);
	snprintf(sql, sizeof(sql), "INSERT INTO records (zone_id, name, type, ttl, "
	         "rdata_text, rdata) SELECT %ld, 'a.mesh', 6, 3600, 'x', "
	         "decode('026e730161046d6573680002686d0161046d657368000000000100000e10000002580012750000000e10', 'hex')", zid);
	ck_assert_int_eq(sdns_testpg_exec(ci, sql), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	ck_assert_ptr_nonnull(find(s, "www.a.mesh.", SDNS_T_A));
	equals_full(s, db, NULL);
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

static sdns_dnssec_key zone_key(void)
{
	uint8_t seed[32];
	for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(3 * i + 11);
	sdns_dnssec_key k;
	ck_assert_int_eq(sdns_dnssec_key_from_seed(seed, &k), 0);
	return k;
}

/* The RRSIG RDATA covering type at name (copied), length or 0. */
static size_t sig_of(const sdns_sync *s, const char *name, uint16_t type,
                     uint8_t *out)
{
	const sdns_rrset *sigs = find(s, name, SDNS_T_RRSIG);
	for (uint16_t i = 0; sigs && i < sigs->count; i++)
		if ((uint16_t)(sigs->rdata[i][0] << 8 | sigs->rdata[i][1]) == type) {
			memcpy(out, sigs->rdata[i], sigs->rdlen[i]);
			return sigs->rdlen[i];
		}
	return 0;
}

START_TEST(test_signed_steps_re_sign_only_what_changed)
{
	sdns_store *db = open_db();
	sdns_dnssec_key k = zone_key();
	ck_assert_int_eq(add(db, "a.mesh", "www", "A", "10.0.0.5", 300, NULL), 0);
	ck_assert_int_eq(add(db, "a.mesh", "mail", "A", "10.0.0.6", 300, NULL), 0);
	seen w;
	sdns_sync *s = new_sync(&w, &k);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	uint8_t mail0[512], www0[512], soa0[512], key0[512], x[512];
	size_t lm = sig_of(s, "mail.a.mesh.", SDNS_T_A, mail0);
	size_t lw = sig_of(s, "www.a.mesh.", SDNS_T_A, www0);
	size_t ls = sig_of(s, "a.mesh.", SDNS_T_SOA, soa0);
	size_t lk = sig_of(s, "a.mesh.", SDNS_T_DNSKEY, key0);
	ck_assert(lm && lw && ls && lk);
	ck_assert_int_eq(add(db, "a.mesh", "www", "A", "10.0.0.9", 300, NULL), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW + 60, NULL), 0);
	ck_assert(sig_of(s, "mail.a.mesh.", SDNS_T_A, x) == lm &&
	          !memcmp(x, mail0, lm));
	ck_assert(sig_of(s, "a.mesh.", SDNS_T_DNSKEY, x) == lk &&
	          !memcmp(x, key0, lk));
	ck_assert(sig_of(s, "www.a.mesh.", SDNS_T_A, x) &&
	          memcmp(x, www0, lw));           /* the RRset changed */
	ck_assert(sig_of(s, "a.mesh.", SDNS_T_SOA, x) &&
	          memcmp(x, soa0, ls));           /* its serial moved */
	/* Every answer of the signed zone validates against the key. */
	sdns_name n;
	sdns_name_from_str(&n, "www.a.mesh.", 11, NULL);
	uint8_t q[512], r[4096];
	size_t ql, rl;
	sdns_edns ed = { .present = true, .udp_size = 1232, .do_bit = true };
	ck_assert_int_eq(sdns_msg_make_query(q, sizeof(q), &ql, 1, &n, SDNS_T_A,
	                                     true, &ed, 0), 0);
	sdns_answer_opts o = { .max_size = 4096, .key = &k, .now = NOW + 60 };
	ck_assert_int_eq(sdns_answer(sdns_sync_current(s), q, ql, &o, r, sizeof(r),
	                             &rl), 0);
	sdns_name apex;
	sdns_name_from_str(&apex, "a.mesh.", 7, NULL);
	char why[200] = "";
	ck_assert_msg(sdns_dnssec_validate_msg(&k, &apex, r, rl, NOW + 60, why,
	              sizeof(why)) == SDNS_OK, "%s", why);
	equals_full(s, db, &k);
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

START_TEST(test_background_resign_renews_due_signatures)
{
	sdns_store *db = open_db();
	sdns_dnssec_key k = zone_key();
	ck_assert_int_eq(add(db, "a.mesh", "www", "A", "10.0.0.5", 300, NULL), 0);
	seen w;
	sdns_sync *s = new_sync(&w, &k);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	uint8_t x[512];
	size_t l = sig_of(s, "www.a.mesh.", SDNS_T_A, x);
	ck_assert(l);
	uint32_t later = NOW + SDNS_DNSSEC_DEFAULT_VALIDITY - 86400;  /* due */
	ck_assert(sdns_dnssec_rrsig_due(x, l, later,
	                                SDNS_DNSSEC_DEFAULT_VALIDITY / 4));
	size_t shards = sdns_sync_shards(s);
	size_t renewed = 0;
	for (int i = 0; i < 10 && renewed < 3; i++)
		renewed += sdns_sync_resign(s, later, shards, 100000);
	ck_assert_uint_ge(renewed, 3);   /* the apex, www and the other zone */
	l = sig_of(s, "www.a.mesh.", SDNS_T_A, x);
	ck_assert(!sdns_dnssec_rrsig_due(x, l, later,
	                                 SDNS_DNSSEC_DEFAULT_VALIDITY / 4));
	/* Nothing left to renew. */
	ck_assert_uint_eq(sdns_sync_resign(s, later, shards, 100000), 0);
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

static uint32_t expiration_of(const uint8_t *rrsig)
{
	return (uint32_t)rrsig[8] << 24 | (uint32_t)rrsig[9] << 16 |
	       (uint32_t)rrsig[10] << 8 | rrsig[11];
}

/* Mesh zones are signed for hours (a replay window of hours) and renewed
 * in the background on that rhythm; other zones keep --sig-validity. */
START_TEST(test_mesh_zones_signed_for_hours_and_renewed)
{
	sdns_store *db = open_db();
	sdns_dnssec_key k = zone_key();
	ck_assert_int_eq(add(db, "a.mesh", "www", "A", "10.0.0.5", 300, NULL), 0);
	ck_assert_int_eq(add(db, "b.mesh", "www", "A", "10.0.0.6", 300, NULL), 0);
	seen w;
	memset(&w, 0, sizeof(w));
	sdns_sync_conf c = { .key = &k, .threads = 2, .seed = { 1, 2 },
	                     .has_mesh_domain = true };
	sdns_name_from_str(&c.mesh_domain, "a.mesh.", 7, NULL);
	sdns_sync *s = NULL;
	ck_assert_int_eq(sdns_sync_new(&c, &cbs, &w, &s), 0);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	uint8_t x[512];
	ck_assert(sig_of(s, "www.a.mesh.", SDNS_T_A, x));
	uint32_t exp = expiration_of(x);
	/* Spread over the last eighth of the 6 hours. */
	ck_assert_uint_le(exp, NOW + SDNS_DNSSEC_MESH_VALIDITY);
	ck_assert_uint_ge(exp, NOW + SDNS_DNSSEC_MESH_VALIDITY / 8 * 7);
	ck_assert(sig_of(s, "www.b.mesh.", SDNS_T_A, x));
	ck_assert_uint_ge(expiration_of(x),
	                  NOW + SDNS_DNSSEC_DEFAULT_VALIDITY / 8 * 7);
	/* 5 h on, the mesh zone is due (under a quarter left), the other
	 * is not: renewal signs the first again, for 6 hours from then. */
	uint32_t later = NOW + 5 * 3600;
	size_t shards = sdns_sync_shards(s), renewed = 0;
	for (int i = 0; i < 10; i++)
		renewed += sdns_sync_resign(s, later, shards, 100000);
	ck_assert_uint_ge(renewed, 2);   /* a.mesh's apex and www */
	ck_assert(sig_of(s, "www.a.mesh.", SDNS_T_A, x));
	ck_assert_uint_ge(expiration_of(x),
	                  later + SDNS_DNSSEC_MESH_VALIDITY / 8 * 7);
	ck_assert(sig_of(s, "www.b.mesh.", SDNS_T_A, x));
	ck_assert_uint_le(expiration_of(x), NOW + SDNS_DNSSEC_DEFAULT_VALIDITY);
	sdns_name a;
	sdns_name_from_str(&a, "a.mesh.", 7, NULL);
	ck_assert_uint_eq(sdns_sync_validity(s, &a), SDNS_DNSSEC_MESH_VALIDITY);
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

START_TEST(test_dead_database_keeps_the_last_set)
{
	sdns_store *db = open_db();
	seen w;
	sdns_sync *s = new_sync(&w, NULL);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	ck_assert_int_eq(add(db, "a.mesh", "www", "A", "10.0.0.5", 300, NULL), 0);
	ck_assert_int_eq(sdns_testpg_stop_server(), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), SDNS_EUNAVAIL);
	ck_assert_uint_eq(sdns_zoneset_count(sdns_sync_current(s)), 2);
	ck_assert_int_eq(sdns_testpg_start_server(), 0);
	sdns_store_close(db);
	db = connect_db();
	/* The change made before the outage arrives: nothing was lost. */
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	ck_assert_ptr_nonnull(find(s, "www.a.mesh.", SDNS_T_A));
	sdns_sync_stats st;
	sdns_sync_stats_get(s, &st);
	ck_assert_uint_eq(st.gaps, 0);
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

START_TEST(test_peer_rows_are_reported)
{
	sdns_store *db = open_db();
	seen w;
	sdns_sync *s = new_sync(&w, NULL);
	ck_assert_int_eq(sdns_sync_full(s, db, NOW), 0);
	ck_assert_int_eq(sdns_testpg_exec(ci, "INSERT INTO revoked (cert_serial, "
	                 "spki_sha256) VALUES ('01', decode(repeat('00', 32), "
	                 "'hex'))"), 0);
	ck_assert_int_eq(sdns_sync_step(s, db, NOW, NULL), 0);
	ck_assert_int_eq(w.peers, 1);
	sdns_sync_free(s);
	seen_free(&w);
	sdns_store_close(db);
}
END_TEST

static Suite *sync_suite(void)
{
	Suite *su = suite_create("sync");
	TCase *tc = tcase_create("pg");
	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, sdns_testpg_setup, sdns_testpg_teardown);
	tcase_add_test(tc, test_full_load_serves_the_database);
	tcase_add_test(tc, test_step_applies_a_change_and_shares_other_zones);
	tcase_add_test(tc, test_zone_create_and_delete_through_steps);
	tcase_add_test(tc, test_random_writes_incremental_equals_full);
	tcase_add_test(tc, test_concurrent_writers_never_make_a_step_skip_a_change);
	tcase_add_test(tc, test_a_gap_in_the_log_is_healed_by_a_full_load);
	tcase_add_test(tc, test_bad_rows_are_left_out_not_the_zone);
	tcase_add_test(tc, test_signed_steps_re_sign_only_what_changed);
	tcase_add_test(tc, test_background_resign_renews_due_signatures);
	tcase_add_test(tc, test_mesh_zones_signed_for_hours_and_renewed);
	tcase_add_test(tc, test_dead_database_keeps_the_last_set);
	tcase_add_test(tc, test_peer_rows_are_reported);
	suite_add_tcase(su, tc);
	return su;
}

SDNS_TEST_MAIN(sync_suite)

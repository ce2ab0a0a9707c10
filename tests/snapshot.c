/* Tests for src/util/snapshot.c: readers keep their object alive across a
 * publish; the old object is released exactly once, after readers leave. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "sdns/snapshot.h"
#include "testlib.h"

typedef struct {
	int value;
	atomic_int *released;
} obj;

static void release_obj(void *p)
{
	obj *o = p;
	atomic_fetch_add(o->released, 1);
	o->value = -1; /* a reader seeing -1 read a released object */
}

START_TEST(test_publish_releases_previous_object_once)
{
	atomic_int released = 0;
	obj a = {1, &released}, b = {2, &released};
	sdns_snapshot s;
	sdns_snapshot_init(&s, &a, release_obj);
	sdns_snapshot_publish(&s, &b);
	ck_assert_int_eq(atomic_load(&released), 1);
	ck_assert_int_eq(a.value, -1);
	sdns_snapshot_destroy(&s);
	ck_assert_int_eq(atomic_load(&released), 2);
}
END_TEST

typedef struct {
	sdns_snapshot *s;
	atomic_int *stop;
	atomic_int bad;
} reader_arg;

static void *reader(void *p)
{
	reader_arg *ra = p;
	int slot = sdns_snapshot_slot_new(ra->s);
	while (!atomic_load(ra->stop)) {
		obj *o = sdns_snapshot_enter(ra->s, slot);
		if (o->value < 0)
			atomic_fetch_add(&ra->bad, 1);
		sdns_snapshot_leave(ra->s, slot);
	}
	return NULL;
}

START_TEST(test_readers_never_see_a_released_object)
{
	enum { N = 2000 };
	atomic_int released = 0, stop = 0;
	obj *objs = calloc(N, sizeof(*objs));
	for (int i = 0; i < N; i++)
		objs[i] = (obj){i, &released};
	sdns_snapshot s;
	sdns_snapshot_init(&s, &objs[0], release_obj);
	reader_arg ra = {.s = &s, .stop = &stop, .bad = 0};
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, reader, &ra);
	for (int i = 1; i < N; i++)
		sdns_snapshot_publish(&s, &objs[i]);
	atomic_store(&stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(atomic_load(&ra.bad), 0);
	ck_assert_int_eq(atomic_load(&released), N - 1);
	sdns_snapshot_destroy(&s);
	free(objs);
}
END_TEST

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_publish_releases_previous_object_once);
	tcase_add_test(tc, test_readers_never_see_a_released_object);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(snapshot_suite)

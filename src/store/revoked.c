/* The immutable revoked set: two sorted arrays searched with bsearch. */
#include <stdlib.h>
#include <string.h>
#include "sdns/revoked.h"

struct sdns_revoked {
	size_t n;
	char **serials;
	uint8_t (*spki)[32];
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_spki(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

sdns_revoked *sdns_revoked_new(const char *const *serials,
                               const uint8_t (*spki)[32], size_t n)
{
	sdns_revoked *r = calloc(1, sizeof *r);
	if (!r) return NULL;
	r->serials = calloc(n ? n : 1, sizeof *r->serials);
	r->spki = calloc(n ? n : 1, sizeof *r->spki);
	if (!r->serials || !r->spki) {
		sdns_revoked_free(r);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		r->serials[i] = strdup(serials[i]);
		if (!r->serials[i]) {
			sdns_revoked_free(r);
			return NULL;
		}
		r->n = i + 1;
		memcpy(r->spki[i], spki[i], 32);
	}
	qsort(r->serials, n, sizeof *r->serials, cmp_str);
	qsort(r->spki, n, sizeof *r->spki, cmp_spki);
	return r;
}

void sdns_revoked_free(sdns_revoked *r)
{
	if (!r) return;
	for (size_t i = 0; i < r->n; i++) free(r->serials[i]);
	free(r->serials);
	free(r->spki);
	free(r);
}

size_t sdns_revoked_count(const sdns_revoked *r)
{
	return r ? r->n : 0;
}

bool sdns_revoked_has(const sdns_revoked *r, const uint8_t *spki,
                      const char *serial_hex)
{
	if (!r || r->n == 0) return false;
	if (spki && bsearch(spki, r->spki, r->n, 32, cmp_spki)) return true;
	if (serial_hex &&
	    bsearch(&serial_hex, r->serials, r->n, sizeof *r->serials, cmp_str))
		return true;
	return false;
}

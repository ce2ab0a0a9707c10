/* Fuzz the master-file parser: any text, origin "example.". Every record it
 * accepts must pass the wire validator (sdns_rdata_check), print
 * (sdns_rr_to_str), and that text must parse back to the same owner and the
 * same RDATA octets. The same text fed in chunks (their sizes taken from the
 * data itself) must give the same records and the same error, line and
 * message as the whole text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/zfile.h"

static char text[SDNS_RDATA_MAX * 4 + 2048];
static uint8_t again[SDNS_RDATA_MAX];

static int check_rr(void *ctx, const sdns_rr *rr)
{
	(void)ctx;
	if (sdns_rdata_check(rr->type, rr->rdata, rr->rdlen) != SDNS_OK)
		abort();
	if (sdns_rr_to_str(rr, text, sizeof(text)) != SDNS_OK)
		abort();
	/* owner TAB ttl TAB class TAB type TAB rdata */
	char *p = text;
	for (int i = 0; i < 4; i++) {
		p = strchr(p, '\t');
		if (!p)
			abort();
		p++;
	}
	sdns_name owner;
	const char *tab = strchr(text, '\t');
	if (sdns_name_from_str(&owner, text, (size_t)(tab - text), NULL) != SDNS_OK ||
	    owner.len != rr->owner.len ||
	    memcmp(owner.data, rr->owner.data, owner.len) != 0)
		abort();
	sdns_wr w;
	sdns_wr_init(&w, again, sizeof(again));
	if (sdns_rdata_from_str(rr->type, p, strlen(p), NULL, &w) != SDNS_OK ||
	    sdns_wr_len(&w) != rr->rdlen ||
	    (rr->rdlen && memcmp(again, rr->rdata, rr->rdlen) != 0))
		abort();
	return 0;
}

/* A running digest of every record: FNV-1a over its fields. */
typedef struct {
	uint64_t h;
	unsigned n;
} digest;

static void mix(digest *d, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ b[i]) * 1099511628211ull;
}

static int digest_rr(void *ctx, const sdns_rr *rr)
{
	digest *d = ctx;
	mix(d, rr->owner.data, rr->owner.len);
	mix(d, &rr->type, sizeof(rr->type));
	mix(d, &rr->rclass, sizeof(rr->rclass));
	mix(d, &rr->ttl, sizeof(rr->ttl));
	mix(d, &rr->rdlen, sizeof(rr->rdlen));
	mix(d, rr->rdata, rr->rdlen);
	d->n++;
	return check_rr(ctx, rr);
}

/* Chunk sizes 1..16 from the data's own bytes, in turn. */
static int chunked(const uint8_t *data, size_t size, const sdns_name *origin,
                   digest *d, sdns_zfile_err *err)
{
	sdns_zfile_parser *p = sdns_zfile_new(origin, 300, digest_rr, d);
	if (!p)
		abort();
	int rc = SDNS_OK;
	size_t off = 0, k = 0;
	while (off < size && rc == SDNS_OK) {
		size_t n = 1 + (size_t)(data[k++ % size] & 15);
		if (n > size - off)
			n = size - off;
		rc = sdns_zfile_feed(p, (const char *)data + off, n, err);
		off += n;
	}
	if (rc == SDNS_OK)
		rc = sdns_zfile_end(p, err);
	sdns_zfile_free(p);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sdns_name origin = {9, {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0}};
	sdns_zfile_err err, err2;
	digest whole = {14695981039346656037ull, 0};
	digest parts = whole;
	int rc = sdns_zfile_parse((const char *)data, size, &origin, 300,
	                          digest_rr, &whole, &err);
	int rc2 = chunked(data, size, &origin, &parts, &err2);
	if (rc != rc2 || whole.h != parts.h || whole.n != parts.n ||
	    err.line != err2.line || err.code != err2.code ||
	    strcmp(err.msg, err2.msg) != 0)
		abort();
	return 0;
}

/* Fuzz the master-file parser: any text, origin "example.". Every record it
 * accepts must pass the wire validator (sdns_rdata_check), print
 * (sdns_rr_to_str), and that text must parse back to the same owner and the
 * same RDATA octets. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sdns_name origin = {9, {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0}};
	sdns_zfile_err err;
	sdns_zfile_parse((const char *)data, size, &origin, 300, check_rr, NULL, &err);
	return 0;
}

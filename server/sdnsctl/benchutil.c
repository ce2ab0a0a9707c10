/* Pieces the API and mesh benchmarks share: a monotonic clock, the
 * "does this DoQ answer carry the new A value yet" probe, percentiles. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "sdns/msg.h"
#include "sdns/rr.h"

double ctl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

bool ctl_doq_answers_a(sdns_doq_client *dc, const uint8_t *q, size_t qlen,
                       const uint8_t want[4])
{
	uint8_t resp[4096];
	size_t rlen;
	sdns_msg m;
	if (sdns_doq_client_query(dc, q, qlen, resp, sizeof(resp), &rlen) < 0 ||
	    sdns_msg_parse(resp, rlen, &m) < 0)
		return false;
	bool hit = false;
	for (uint16_t i = 0; i < m.count[SDNS_SEC_AN] && !hit; i++) {
		const sdns_rr *rr = sdns_msg_rr(&m, SDNS_SEC_AN, i);
		hit = rr->type == SDNS_T_A && rr->rdlen == 4 &&
		      !memcmp(rr->rdata, want, 4);
	}
	sdns_msg_free(&m);
	return hit;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

void ctl_sort_ms(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

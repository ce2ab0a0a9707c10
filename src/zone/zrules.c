/* The rules one node of a zone must keep (RFC 1034 §3.6.2, §4.2.1). They
 * only look at the node itself, so an edit checks just the names it
 * touches, and a build and an edit judge a name alike. */
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "zone_int.h"

static void name_str(const uint8_t *wire, uint8_t len, char *buf, size_t cap)
{
	sdns_name n;
	n.len = len;
	memcpy(n.data, wire, len);
	if (sdns_name_to_str(&n, buf, cap) != SDNS_OK) snprintf(buf, cap, "?");
}

static int find(const sdns_rrset *sets, uint16_t n, uint16_t type)
{
	for (uint16_t i = 0; i < n; i++)
		if (sets[i].type == type) return i;
	return -1;
}

static void drop(sdns_rrset *sets, uint16_t *n, int i)
{
	memmove(&sets[i], &sets[i + 1], (size_t)(*n - i - 1) * sizeof(*sets));
	(*n)--;
}

/* One violation: strict fails with the words, lenient reports them. */
typedef struct {
	sdns_zone_report_fn report;
	void *rctx;
	const uint8_t *orig;
	uint8_t len;
	char *err;
	size_t cap;
} judge;

static int violation(const judge *j, uint16_t type, const char *why)
{
	char owner[SDNS_NAME_STR_MAX];
	name_str(j->orig, j->len, owner, sizeof(owner));
	if (!j->report) {
		if (j->err && j->cap) snprintf(j->err, j->cap, "%s: %s", owner, why);
		return SDNS_EZONE;
	}
	sdns_name n;
	n.len = j->len;
	memcpy(n.data, j->orig, j->len);
	j->report(j->rctx, &n, type, why);
	return SDNS_OK;
}

static int check_cname(const judge *j, bool apex, sdns_rrset *sets,
                       uint16_t *n)
{
	int c = find(sets, *n, SDNS_T_CNAME);
	if (c < 0) return SDNS_OK;
	char why[120];
	if (apex) {
		int rc = violation(j, SDNS_T_CNAME, "CNAME at the zone apex");
		if (!rc) drop(sets, n, c);
		return rc;
	}
	if (sets[c].count > 1) {
		snprintf(why, sizeof(why), "%u CNAME records; a name has at most one",
		         (unsigned)sets[c].count);
		int rc = violation(j, SDNS_T_CNAME, why);
		if (rc) return rc;
		sets[c].count = 1;
	}
	for (uint16_t i = 0; i < *n; i++) {
		uint16_t t = sets[i].type;
		if (t == SDNS_T_CNAME || t == SDNS_T_RRSIG || t == SDNS_T_NSEC)
			continue;
		char ts[16];
		snprintf(why, sizeof(why), "CNAME and %s at the same name (RFC 1034 "
		         "§3.6.2)", sdns_type_to_str(t, ts, sizeof(ts)));
		int rc = violation(j, SDNS_T_CNAME, why);
		if (!rc) drop(sets, n, c);
		return rc;
	}
	return SDNS_OK;
}

int zone_check_node(const sdns_name *apex, const uint8_t *name,
                    const uint8_t *orig, uint8_t len, sdns_rrset *sets,
                    uint16_t *n, uint8_t *flags, sdns_zone_report_fn report,
                    void *rctx, char *err, size_t cap)
{
	judge j = { report, rctx, orig, len, err, cap };
	bool at_apex = len == apex->len && !memcmp(name, apex->data, len);
	*flags = 0;
	if (len >= 2 && name[0] == 1 && name[1] == '*') *flags |= SDNS_ZNODE_WILD;
	int i = find(sets, *n, SDNS_T_SOA);
	if (!at_apex && i >= 0) {
		int rc = violation(&j, SDNS_T_SOA, "SOA below the zone apex");
		if (rc) return rc;
		drop(sets, n, i);
	}
	int rc = check_cname(&j, at_apex, sets, n);
	if (rc) return rc;
	if (!at_apex && find(sets, *n, SDNS_T_NS) >= 0) *flags |= SDNS_ZNODE_DELEG;
	return SDNS_OK;
}

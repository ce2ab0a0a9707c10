/* Parse a whole DNS message into an sdns_msg. One pass; the records and their
 * uncompressed RDATA go into a single arena allocated on the first record
 * kept, so a plain query (question + OPT) costs no allocation at all. */
#include <stdlib.h>
#include <string.h>

#include "msg_internal.h"

/* Smallest question (root, type, class) and record (root, type, class, ttl,
 * rdlength): lets the counts be checked against the length up front. */
#define MIN_Q 5u
#define MIN_RR 11u
/* Decompressing can grow RDATA: at most two names (SOA) per record. */
#define RDATA_SLACK (2u * SDNS_NAME_MAX)

/* Arena: nrr sdns_rr slots, then the RDATA bytes. Grows by realloc; rdata
 * pointers are set once at the end, when the block no longer moves. */
typedef struct {
	uint8_t *block;
	size_t nrr;      /* slots */
	size_t used;     /* rdata bytes used */
	size_t cap;      /* rdata bytes available */
	size_t kept;     /* records stored */
} arena;

static sdns_rr *arena_rrs(arena *a) { return (sdns_rr *)(void *)a->block; }
static uint8_t *arena_data(arena *a) { return a->block + a->nrr * sizeof(sdns_rr); }

static int arena_room(arena *a, size_t want)
{
	if (a->cap - a->used >= want)
		return SDNS_OK;
	size_t cap = a->cap * 2;
	if (cap < a->used + want)
		cap = a->used + want;
	uint8_t *b = realloc(a->block, a->nrr * sizeof(sdns_rr) + cap);
	if (!b)
		return SDNS_ENOMEM;
	a->block = b;
	a->cap = cap;
	return SDNS_OK;
}

typedef struct {
	sdns_rd r;
	sdns_msg *m;
	arena a;
	bool opt_seen;
} parser;

static int question(parser *ps, bool keep)
{
	sdns_name qname;
	uint16_t qtype, qclass;
	if (sdns_rd_left(&ps->r) == 0)
		return SDNS_ECOUNT;
	int rc = sdns_name_unpack(&ps->r, &qname);
	if (rc < 0)
		return rc;
	if (sdns_rd_u16(&ps->r, &qtype) < 0 || sdns_rd_u16(&ps->r, &qclass) < 0)
		return SDNS_EMALF;
	if (keep) {
		ps->m->qname = qname;
		ps->m->qtype = qtype;
		ps->m->qclass = qclass;
	}
	return SDNS_OK;
}

/* RFC 2136 §2.5.2-4: updates delete with class ANY/NONE and empty RDATA. */
static bool empty_delete(uint16_t rclass, uint16_t rdlen)
{
	return rdlen == 0 && (rclass == SDNS_C_ANY || rclass == 254);
}

static int opt_record(parser *ps, enum sdns_section sec, sdns_rr *rr)
{
	if (sec != SDNS_SEC_AR || ps->opt_seen || rr->owner.len != 1)
		return SDNS_EOPT;
	const uint8_t *p;
	if (sdns_rd_take(&ps->r, rr->rdlen, &p) < 0)
		return SDNS_ERDATA;
	rr->rdata = p;
	ps->opt_seen = true;
	return sdns_edns_parse_opt(&ps->m->edns, rr);
}

static int record(parser *ps, enum sdns_section sec, size_t left_to_read)
{
	sdns_rr rr;
	if (sdns_rd_left(&ps->r) == 0)
		return SDNS_ECOUNT;
	int rc = sdns_name_unpack(&ps->r, &rr.owner);
	if (rc < 0)
		return rc;
	if (sdns_rd_u16(&ps->r, &rr.type) < 0 || sdns_rd_u16(&ps->r, &rr.rclass) < 0 ||
	    sdns_rd_u32(&ps->r, &rr.ttl) < 0 || sdns_rd_u16(&ps->r, &rr.rdlen) < 0)
		return SDNS_EMALF;
	if (rr.type == SDNS_T_OPT)
		return opt_record(ps, sec, &rr);
	if (sdns_rd_left(&ps->r) < rr.rdlen)
		return SDNS_ERDATA;

	arena *a = &ps->a;
	if (!a->block) {
		a->nrr = left_to_read;
		a->cap = sdns_rd_left(&ps->r) + RDATA_SLACK;
		a->block = malloc(a->nrr * sizeof(sdns_rr) + a->cap);
		if (!a->block)
			return SDNS_ENOMEM;
	}
	if ((rc = arena_room(a, (size_t)rr.rdlen + RDATA_SLACK)) < 0)
		return rc;
	sdns_wr out;
	sdns_wr_init(&out, arena_data(a) + a->used, a->cap - a->used);
	if (empty_delete(rr.rclass, rr.rdlen))
		rc = SDNS_OK;
	else if ((rc = sdns_rdata_unpack(&ps->r, rr.type, rr.rdlen, &out)) < 0)
		return rc;
	rr.rdlen = (uint16_t)sdns_wr_len(&out);
	rr.rdata = NULL;
	a->used += rr.rdlen;
	arena_rrs(a)[a->kept++] = rr;
	ps->m->count[sec]++;
	return SDNS_OK;
}

static int header(parser *ps, uint16_t counts[4])
{
	sdns_msg *m = ps->m;
	if (sdns_rd_left(&ps->r) < SDNS_HDR_LEN)
		return SDNS_EMALF;
	sdns_rd_u16(&ps->r, &m->id);
	sdns_rd_u16(&ps->r, &m->flags);
	for (int i = 0; i < 4; i++)
		sdns_rd_u16(&ps->r, &counts[i]);
	m->qdcount = counts[0];
	size_t need = SDNS_HDR_LEN + (size_t)counts[0] * MIN_Q +
	              ((size_t)counts[1] + counts[2] + counts[3]) * MIN_RR;
	return need > sdns_rd_left(&ps->r) + SDNS_HDR_LEN ? SDNS_ECOUNT : SDNS_OK;
}

static int body(parser *ps, const uint16_t counts[4])
{
	int rc;
	for (unsigned i = 0; i < counts[0]; i++)
		if ((rc = question(ps, i == 0)) < 0)
			return rc;
	size_t left = (size_t)counts[1] + counts[2] + counts[3];
	for (int sec = 0; sec < 3; sec++)
		for (unsigned i = 0; i < counts[sec + 1]; i++, left--)
			if ((rc = record(ps, (enum sdns_section)sec, left)) < 0)
				return rc;
	return sdns_rd_left(&ps->r) ? SDNS_ETRAIL : SDNS_OK;
}

int sdns_msg_parse(const uint8_t *wire, size_t len, sdns_msg *out)
{
	parser ps = {.m = out};
	uint16_t counts[4];
	memset(out, 0, sizeof(*out));
	sdns_name_root(&out->qname);
	sdns_rd_init(&ps.r, wire, len);
	int rc = header(&ps, counts);
	if (rc == SDNS_OK)
		rc = body(&ps, counts);
	if (rc < 0) {
		free(ps.a.block);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	if (ps.a.block) {
		sdns_rr *rrs = arena_rrs(&ps.a);
		const uint8_t *data = arena_data(&ps.a);
		for (size_t i = 0, off = 0; i < ps.a.kept; off += rrs[i].rdlen, i++)
			rrs[i].rdata = data + off;
		out->rrs = rrs;
		out->arena = ps.a.block;
	}
	return SDNS_OK;
}

void sdns_msg_free(sdns_msg *m)
{
	if (!m)
		return;
	free(m->arena);
	m->arena = NULL;
	m->rrs = NULL;
	memset(m->count, 0, sizeof(m->count));
}

const sdns_rr *sdns_msg_rr(const sdns_msg *m, enum sdns_section sec, uint16_t i)
{
	if ((unsigned)sec > SDNS_SEC_AR || i >= m->count[sec])
		return NULL;
	size_t idx = i;
	for (int s = 0; s < (int)sec; s++)
		idx += m->count[s];
	return &m->rrs[idx];
}

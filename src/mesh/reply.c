/* Shaping answers for the caller: a verified upstream answer (always asked
 * with DO) becomes the caller's answer; failures become SERVFAIL + EDE.
 * Reading the owner's SOA serial out of a peer's message. */
#include <stdio.h>
#include <string.h>
#include "sdns/buf.h"
#include "sdns/error.h"
#include "sdns/msg.h"
#include "mesh_int.h"

#define MESH_UDP_SIZE 1232

int mesh_q_from_query(const uint8_t *wire, size_t len, mesh_q *q)
{
	sdns_msg m;
	int rc = sdns_msg_parse(wire, len, &m);
	if (rc) return rc;
	if ((m.flags & SDNS_F_QR) || SDNS_OPCODE(m.flags) != SDNS_OP_QUERY ||
	    m.qdcount != 1)
		rc = SDNS_EMALF;
	memset(q, 0, sizeof *q);
	q->id = m.id;
	q->rd = (m.flags & SDNS_F_RD) != 0;
	q->edns = m.edns.present;
	q->do_bit = m.edns.present && m.edns.do_bit;
	q->padded = m.edns.present && m.edns.has_padding;
	q->qname = m.qname;
	q->qtype = m.qtype;
	q->qclass = m.qclass;
	sdns_msg_free(&m);
	return rc;
}

/* Without DO a caller gets no DNSSEC records it did not ask for. */
static bool keep_rr(const mesh_q *q, const sdns_rr *rr)
{
	if (q->do_bit || rr->type == q->qtype) return true;
	return rr->type != SDNS_T_RRSIG && rr->type != SDNS_T_NSEC &&
	       rr->type != 50 /* NSEC3 */;
}

static int finish_opt(const mesh_q *q, sdns_bld *b, const sdns_edns *e,
                      size_t pad, size_t *olen)
{
	if (q->edns) {
		int rc = sdns_bld_opt(b, e, q->padded ? pad : 0);
		if (rc) return rc;
	}
	return sdns_bld_finish(b, olen);
}

/* We relay the owner's data, not our own: no AA; RA since we resolved. */
static uint16_t adapt_flags(const mesh_q *q, uint16_t up)
{
	uint16_t f = SDNS_F_QR | SDNS_F_RA | (up & 0xfu);
	if (q->rd) f |= SDNS_F_RD;
	if (q->do_bit) f |= SDNS_F_AD; /* validated against the owner's key */
	return f;
}

int mesh_reply_adapt(const mesh_q *q, const uint8_t *up, size_t len,
                     size_t pad, uint8_t *out, size_t cap, size_t *olen)
{
	sdns_msg m;
	int rc = sdns_msg_parse(up, len, &m);
	if (rc) return rc;
	sdns_edns e = { .udp_size = MESH_UDP_SIZE, .do_bit = q->do_bit };
	sdns_bld b;
	rc = sdns_bld_init(&b, out, cap, q->id, adapt_flags(q, m.flags));
	if (!rc && q->edns) sdns_bld_reserve(&b, sdns_edns_wire_size(&e));
	if (!rc) rc = sdns_bld_question(&b, &q->qname, q->qtype, q->qclass);
	for (int s = SDNS_SEC_AN; !rc && s <= SDNS_SEC_AR; s++) {
		for (uint16_t i = 0; !rc && i < m.count[s]; i++) {
			const sdns_rr *rr = sdns_msg_rr(&m, (enum sdns_section)s, i);
			if (keep_rr(q, rr)) rc = sdns_bld_rr(&b, (enum sdns_section)s, rr);
		}
	}
	if (!rc) rc = finish_opt(q, &b, &e, pad, olen);
	sdns_msg_free(&m);
	return rc;
}

int mesh_reply_fail(const mesh_q *q, uint16_t ede, const char *why,
                    size_t pad, uint8_t *out, size_t cap, size_t *olen)
{
	sdns_edns e = { .udp_size = MESH_UDP_SIZE, .do_bit = q->do_bit,
	                .has_ede = true, .ede_code = ede };
	if (why) snprintf(e.ede_text, sizeof e.ede_text, "%s", why);
	sdns_bld b;
	uint16_t f = SDNS_F_QR | SDNS_F_RA | SDNS_RC_SERVFAIL |
	             (q->rd ? SDNS_F_RD : 0);
	int rc = sdns_bld_init(&b, out, cap, q->id, f);
	if (!rc) rc = sdns_bld_question(&b, &q->qname, q->qtype, q->qclass);
	if (!rc) rc = finish_opt(q, &b, &e, pad, olen);
	return rc;
}

int sdns_mesh_notify_reply(const uint8_t *query, size_t len, int rc,
                           uint8_t *resp, size_t cap, size_t *resp_len)
{
	sdns_msg m;
	int prc = sdns_msg_parse(query, len, &m);
	if (prc) return prc;
	uint16_t f = SDNS_F_QR | SDNS_F_AA | (SDNS_OP_NOTIFY << 11) |
	             (rc == SDNS_OK ? SDNS_RC_NOERROR : SDNS_RC_REFUSED);
	sdns_bld b;
	prc = sdns_bld_init(&b, resp, cap, m.id, f);
	if (!prc && m.qdcount == 1)
		prc = sdns_bld_question(&b, &m.qname, m.qtype, m.qclass);
	if (!prc) prc = sdns_bld_finish(&b, resp_len);
	sdns_msg_free(&m);
	return prc;
}

bool mesh_serial_newer(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/* SOA RDATA as parsed (names uncompressed): MNAME, RNAME, then SERIAL. */
static int serial_of(const uint8_t *rd, uint16_t rdlen, uint32_t *serial)
{
	sdns_rd r;
	sdns_rd_init(&r, rd, rdlen);
	for (int names = 0; names < 2; names++) {
		sdns_name n;
		int rc = sdns_name_unpack(&r, &n);
		if (rc) return rc;
	}
	return sdns_rd_u32(&r, serial);
}

int mesh_soa_serial(const sdns_msg *msg, const sdns_name *apex,
                    uint32_t *serial)
{
	size_t n = (size_t)msg->count[SDNS_SEC_AN] + msg->count[SDNS_SEC_NS];
	for (size_t i = 0; i < n; i++) {
		const sdns_rr *rr = &msg->rrs[i];
		if (rr->type == SDNS_T_SOA && sdns_name_eq_ci(&rr->owner, apex))
			return serial_of(rr->rdata, rr->rdlen, serial);
	}
	return SDNS_ENOTFOUND;
}

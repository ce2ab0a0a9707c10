/* libFuzzer target for the message codec: parse any bytes; when that works,
 * rebuild the message from its parsed form, parse again and require the two
 * parsed forms to be equal. The builder compresses case-insensitively, so
 * names (owners and the compressible RDATA names) are compared ignoring
 * case; everything else must match octet for octet. */
#include <stdlib.h>
#include <string.h>

#include "sdns/msg.h"

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool mem_ci(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* Length of the uncompressed name at p (RDATA from the parser is valid). */
static size_t name_len(const uint8_t *p)
{
	size_t i = 0;
	while (p[i])
		i += 1u + p[i];
	return i + 1;
}

static bool rdata_eq(const sdns_rr *a, const sdns_rr *b)
{
	if (a->rdlen != b->rdlen)
		return false;
	if (a->rdlen == 0 || !sdns_type_compressible(a->type))
		return memcmp(a->rdata, b->rdata, a->rdlen) == 0;
	size_t off = 0, n;
	switch (a->type) {
	case SDNS_T_MX:
		if (memcmp(a->rdata, b->rdata, 2))
			return false;
		return mem_ci(a->rdata + 2, b->rdata + 2, a->rdlen - 2u);
	case SDNS_T_SOA:
		n = name_len(a->rdata);
		n += name_len(a->rdata + n);
		return n == name_len(b->rdata) + name_len(b->rdata + name_len(b->rdata)) &&
		       mem_ci(a->rdata, b->rdata, n) &&
		       memcmp(a->rdata + n, b->rdata + n, a->rdlen - n) == 0;
	default:
		return mem_ci(a->rdata + off, b->rdata + off, a->rdlen);
	}
}

static void same_rr(const sdns_rr *a, const sdns_rr *b)
{
	check(sdns_name_eq_ci(&a->owner, &b->owner));
	check(a->type == b->type && a->rclass == b->rclass && a->ttl == b->ttl);
	check(rdata_eq(a, b));
}

static void same_msg(const sdns_msg *a, const sdns_msg *b)
{
	check(a->id == b->id && a->flags == b->flags);
	check((a->qdcount ? 1 : 0) == b->qdcount);
	check(sdns_name_eq_ci(&a->qname, &b->qname));
	check(a->qname.len == b->qname.len &&
	      memcmp(a->qname.data, b->qname.data, a->qname.len) == 0);
	check(a->qtype == b->qtype && a->qclass == b->qclass);
	for (int s = 0; s < 3; s++) {
		check(a->count[s] == b->count[s]);
		for (uint16_t i = 0; i < a->count[s]; i++)
			same_rr(sdns_msg_rr(a, (enum sdns_section)s, i),
			        sdns_msg_rr(b, (enum sdns_section)s, i));
	}
	const sdns_edns *x = &a->edns, *y = &b->edns;
	check(x->present == y->present);
	if (!x->present)
		return;
	check(x->udp_size == y->udp_size && x->ext_rcode == y->ext_rcode &&
	      x->version == y->version && x->do_bit == y->do_bit);
	check(x->has_padding == y->has_padding && x->has_ede == y->has_ede);
	if (x->has_ede)
		check(x->ede_code == y->ede_code && strcmp(x->ede_text, y->ede_text) == 0);
}

/* Returns the built length, or 0 when the message does not fit. */
static size_t rebuild(const sdns_msg *m, uint8_t *buf, size_t cap)
{
	sdns_bld b;
	size_t len;
	check(sdns_bld_init(&b, buf, cap, m->id, m->flags) == SDNS_OK);
	if (m->qdcount)
		check(sdns_bld_question(&b, &m->qname, m->qtype, m->qclass) == SDNS_OK);
	for (int s = 0; s < 3; s++)
		for (uint16_t i = 0; i < m->count[s]; i++) {
			int rc = sdns_bld_rr(&b, (enum sdns_section)s,
			                     sdns_msg_rr(m, (enum sdns_section)s, i));
			if (rc == SDNS_ESPACE)
				return 0; /* decompressed SRV names can outgrow 64K */
			check(rc == SDNS_OK);
		}
	if (m->edns.present) {
		int rc = sdns_bld_opt(&b, &m->edns, m->edns.has_padding ? 1 : 0);
		if (rc == SDNS_ESPACE)
			return 0;
		check(rc == SDNS_OK);
	}
	check(sdns_bld_finish(&b, &len) == SDNS_OK);
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[SDNS_MSG_MAX];
	sdns_msg a, b;
	if (sdns_msg_parse(data, size, &a) != SDNS_OK)
		return 0;
	size_t len = rebuild(&a, buf, sizeof(buf));
	if (len > 0) {
		check(sdns_msg_parse(buf, len, &b) == SDNS_OK);
		same_msg(&a, &b);
		sdns_msg_free(&b);
	}
	sdns_msg_free(&a);
	return 0;
}

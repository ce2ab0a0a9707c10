/* EDNS(0) OPT record (RFC 6891): read the fields and options we act on,
 * write them back with extended errors (RFC 8914) and block-length padding
 * (RFC 7830, RFC 8467 §4.1). */
#include <string.h>

#include "msg_internal.h"

#define OPT_FIXED 11u   /* root, type, class, ttl, rdlength */
#define OPTION_HDR 4u   /* option code, option length */
#define DO_BIT 0x8000u
#define CO_BIT 0x4000u  /* RFC 9824 §4 */

static void take_ede(sdns_edns *e, const uint8_t *p, uint16_t len)
{
	if (e->has_ede)
		return; /* the first one is what we report */
	e->has_ede = true;
	e->ede_code = (uint16_t)(p[0] << 8 | p[1]);
	size_t n = len - 2u;
	if (n > SDNS_EDE_TEXT_MAX - 1)
		n = SDNS_EDE_TEXT_MAX - 1;
	memcpy(e->ede_text, p + 2, n);
	e->ede_text[n] = '\0';
}

/* Called by the parser for the one OPT of the additional section. */
int sdns_edns_parse_opt(sdns_edns *e, const sdns_rr *opt)
{
	memset(e, 0, sizeof(*e));
	e->present = true;
	e->udp_size = opt->rclass;
	e->ext_rcode = (uint8_t)(opt->ttl >> 24);
	e->version = (uint8_t)(opt->ttl >> 16);
	e->do_bit = (opt->ttl & DO_BIT) != 0;
	e->co_bit = (opt->ttl & CO_BIT) != 0;

	sdns_rd r;
	sdns_rd_init(&r, opt->rdata, opt->rdlen);
	while (sdns_rd_left(&r) > 0) {
		uint16_t code, len;
		const uint8_t *p;
		if (sdns_rd_u16(&r, &code) < 0 || sdns_rd_u16(&r, &len) < 0 ||
		    sdns_rd_take(&r, len, &p) < 0)
			return SDNS_EOPT;
		switch (code) {
		case SDNS_EOPT_KEEPALIVE:
			e->has_keepalive = true;
			break;
		case SDNS_EOPT_PADDING:
			e->has_padding = true;
			break;
		case SDNS_EOPT_EDE:
			if (len < 2)
				return SDNS_EOPT;
			take_ede(e, p, len);
			break;
		default:
			break;
		}
	}
	return SDNS_OK;
}

static size_t ede_text_len(const sdns_edns *e)
{
	return strnlen(e->ede_text, SDNS_EDE_TEXT_MAX - 1);
}

size_t sdns_edns_wire_size(const sdns_edns *e)
{
	size_t n = OPT_FIXED;
	if (e->has_ede)
		n += OPTION_HDR + 2 + ede_text_len(e);
	return n;
}

/* Padding octets that bring a message of len octets (padding option header
 * included) to a multiple of block, cut to what the writer still holds. */
static size_t pad_len(const sdns_wr *w, size_t block)
{
	size_t len = sdns_wr_len(w) + OPTION_HDR;
	size_t pad = (block - len % block) % block;
	size_t room = sdns_wr_left(w) - OPTION_HDR;
	if (room > SDNS_MSG_MAX - len)
		room = SDNS_MSG_MAX - len;
	return pad < room ? pad : room;
}

int sdns_edns_write(sdns_wr *w, const sdns_edns *e, size_t pad_block)
{
	uint32_t ttl = (uint32_t)e->ext_rcode << 24 | (uint32_t)e->version << 16 |
	               (e->do_bit ? DO_BIT : 0) | (e->co_bit ? CO_BIT : 0);
	int rc;
	if ((rc = sdns_wr_u8(w, 0)) < 0 || (rc = sdns_wr_u16(w, SDNS_T_OPT)) < 0 ||
	    (rc = sdns_wr_u16(w, e->udp_size)) < 0 || (rc = sdns_wr_u32(w, ttl)) < 0 ||
	    (rc = sdns_wr_u16(w, 0)) < 0)
		return rc;
	size_t rdlen_at = sdns_wr_len(w) - 2;
	if (e->has_ede) {
		size_t tlen = ede_text_len(e);
		if ((rc = sdns_wr_u16(w, SDNS_EOPT_EDE)) < 0 ||
		    (rc = sdns_wr_u16(w, (uint16_t)(2 + tlen))) < 0 ||
		    (rc = sdns_wr_u16(w, e->ede_code)) < 0 ||
		    (rc = sdns_wr_bytes(w, e->ede_text, tlen)) < 0)
			return rc;
	}
	/* Padding is best effort: when the full block does not fit we pad up to
	 * the end of the buffer, and leave it out if not even its header fits. */
	if (pad_block > 0 && sdns_wr_left(w) >= OPTION_HDR &&
	    sdns_wr_len(w) + OPTION_HDR <= SDNS_MSG_MAX) {
		size_t pad = pad_len(w, pad_block);
		sdns_wr_u16(w, SDNS_EOPT_PADDING);
		sdns_wr_u16(w, (uint16_t)pad);
		memset(w->p, 0, pad);
		w->p += pad;
	}
	size_t rdlen = sdns_wr_len(w) - rdlen_at - 2;
	if (rdlen > 0xffff)
		return SDNS_ESPACE;
	sdns_wr_put_u16_at(w, rdlen_at, (uint16_t)rdlen);
	return SDNS_OK;
}

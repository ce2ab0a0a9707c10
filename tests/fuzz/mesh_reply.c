/* Fuzz the mesh's message shaping (src/mesh/reply.c): a peer's answer
 * reshaped for a caller (after validation, but the shaping must hold for
 * any message), the caller's query read into a mesh_q, the NOTIFY reply,
 * and the owner's SOA serial read out of a peer's message. The first input
 * octet picks the caller's flags (DO, RD, EDNS, padding); the rest is the
 * message. Checks: no crash, no leak, every
 * answer built parses and carries the caller's ID and question. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mesh/reply.c"

static void check_out(const mesh_q *q, const uint8_t *out, size_t len)
{
	sdns_msg m;
	if (sdns_msg_parse(out, len, &m) != SDNS_OK) abort();
	if (m.id != q->id || m.qtype != q->qtype ||
	    !sdns_name_eq_ci(&m.qname, &q->qname) || !(m.flags & SDNS_F_QR))
		abort();
	if (!q->do_bit)
		for (uint16_t i = 0; i < m.count[SDNS_SEC_AN]; i++)
			if (sdns_msg_rr(&m, SDNS_SEC_AN, i)->type == SDNS_T_RRSIG &&
			    q->qtype != SDNS_T_RRSIG)
				abort();
	sdns_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) return 0;
	uint8_t sel = data[0];
	const uint8_t *msg = data + 1;
	size_t len = size - 1;
	static uint8_t out[SDNS_MSG_MAX];
	size_t olen = 0;

	mesh_q q;
	(void)mesh_q_from_query(msg, len, &q);
	(void)sdns_mesh_notify_reply(msg, len, (sel & 16) ? SDNS_OK : SDNS_EDENIED,
	                             out, sizeof out, &olen);

	sdns_msg up;
	if (sdns_msg_parse(msg, len, &up) != SDNS_OK) return 0;
	memset(&q, 0, sizeof q);
	q.id = (uint16_t)(sel * 257u);
	q.do_bit = sel & 1;
	q.rd = sel & 2;
	q.edns = (sel & 4) || q.do_bit;
	q.padded = sel & 8;
	q.qname = up.qname;
	q.qtype = up.qtype;
	q.qclass = up.qclass;
	/* The owner's serial read from the SOA at the question's name. */
	uint32_t serial = 0;
	(void)mesh_soa_serial(&up, &up.qname, &serial);
	(void)mesh_serial_newer(serial, (uint32_t)sel << 24);
	sdns_msg_free(&up);
	if (mesh_reply_adapt(&q, msg, len, 468, out, sizeof out, &olen) == SDNS_OK)
		check_out(&q, out, olen);
	if (mesh_reply_fail(&q, SDNS_EDE_DNSSEC_BOGUS, "fuzz", 468, out,
	                    sizeof out, &olen) != SDNS_OK)
		abort();
	check_out(&q, out, olen);
	return 0;
}

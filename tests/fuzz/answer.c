/* Fuzz sdns_answer: one fixed zone (wildcards, CNAME chains and loops, a
 * delegation with glue, empty non-terminals) built once; every input is a
 * query. A produced response must parse and echo the query ID. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/answer.h"
#include "sdns/error.h"
#include "sdns/msg.h"

static sdns_zoneset *zs;

static sdns_name name_of(const char *text)
{
	sdns_name n;
	if (sdns_name_from_str(&n, text, strlen(text), NULL)) abort();
	return n;
}

/* RDATA: optional fixed prefix, then up to two names, then a fixed suffix. */
static void add(sdns_zbuild *b, const char *owner, uint16_t type,
                const void *pre, size_t pre_len, const char *n1,
                const char *n2, const void *post, size_t post_len)
{
	uint8_t rd[600];
	sdns_wr w;
	sdns_wr_init(&w, rd, sizeof(rd));
	sdns_wr_bytes(&w, pre, pre_len);
	if (n1) {
		sdns_name n = name_of(n1);
		sdns_name_pack(&w, &n);
	}
	if (n2) {
		sdns_name n = name_of(n2);
		sdns_name_pack(&w, &n);
	}
	sdns_wr_bytes(&w, post, post_len);
	sdns_rr rr = { name_of(owner), type, SDNS_C_IN, 300,
	               (uint16_t)sdns_wr_len(&w), rd };
	if (sdns_zbuild_add(b, &rr)) abort();
}

static void build(void)
{
	static const uint8_t soa_tail[20] = { 0, 0, 0, 1, 0, 0, 0x1c, 0x20,
		0, 0, 3, 0x84, 0, 0x12, 0x75, 0, 0, 0, 1, 0x2c };
	static const uint8_t ip[4] = { 192, 0, 2, 1 };
	static const uint8_t ip6[16] = { 0x20, 1, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t pref[2] = { 0, 10 };
	static const uint8_t txt[] = "\x0bhello world";
	sdns_name apex = name_of("example.");
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	add(b, "example.", SDNS_T_SOA, NULL, 0, "ns1.example.",
	    "hostmaster.example.", soa_tail, sizeof(soa_tail));
	add(b, "example.", SDNS_T_NS, NULL, 0, "ns1.example.", NULL, NULL, 0);
	add(b, "example.", SDNS_T_MX, pref, 2, "mail.example.", NULL, NULL, 0);
	add(b, "ns1.example.", SDNS_T_A, ip, 4, NULL, NULL, NULL, 0);
	add(b, "mail.example.", SDNS_T_A, ip, 4, NULL, NULL, NULL, 0);
	add(b, "www.example.", SDNS_T_A, ip, 4, NULL, NULL, NULL, 0);
	add(b, "www.example.", SDNS_T_AAAA, ip6, 16, NULL, NULL, NULL, 0);
	add(b, "www.example.", SDNS_T_TXT, txt, sizeof(txt) - 1, NULL, NULL,
	    NULL, 0);
	add(b, "a.b.c.example.", SDNS_T_A, ip, 4, NULL, NULL, NULL, 0);
	add(b, "alias.example.", SDNS_T_CNAME, NULL, 0, "www.example.", NULL,
	    NULL, 0);
	add(b, "l1.example.", SDNS_T_CNAME, NULL, 0, "l2.example.", NULL, NULL, 0);
	add(b, "l2.example.", SDNS_T_CNAME, NULL, 0, "l1.example.", NULL, NULL, 0);
	add(b, "d.example.", SDNS_T_CNAME, NULL, 0, "nx.example.", NULL, NULL, 0);
	add(b, "*.w.example.", SDNS_T_A, ip, 4, NULL, NULL, NULL, 0);
	add(b, "*.cn.example.", SDNS_T_CNAME, NULL, 0, "x.w.example.", NULL,
	    NULL, 0);
	add(b, "deleg.example.", SDNS_T_NS, NULL, 0, "ns.deleg.example.", NULL,
	    NULL, 0);
	add(b, "ns.deleg.example.", SDNS_T_A, ip, 4, NULL, NULL, NULL, 0);
	for (uint8_t i = 0; i < 30; i++) {
		uint8_t t[2] = { 1, i };
		add(b, "big.example.", SDNS_T_TXT, t, 2, NULL, NULL, txt,
		    sizeof(txt) - 1);
	}
	sdns_zone *z = NULL;
	if (sdns_zbuild_finish(b, &z, NULL, 0)) abort();
	if (sdns_zoneset_new(&z, 1, &zs)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	if (!zs) build();
	/* The first byte picks the transport shape, the rest is the query. */
	if (size < 1) return 0;
	sdns_answer_opts o = { .max_size = 512, .our_udp_size = 1232 };
	if (data[0] & 1) o.max_size = 65535;
	if (data[0] & 2) o.pad_block = 468;
	if (data[0] & 4) o.max_size = (size_t)data[0] * 4;
	data++;
	size--;
	size_t len = 0;
	int rc = sdns_answer(zs, data, size, &o, out, sizeof(out), &len);
	if (rc != SDNS_OK) {
		if (size >= SDNS_HDR_LEN && !(data[2] & 0x80) && rc != SDNS_ESPACE)
			abort();
		return 0;
	}
	if (len > o.max_size || len < SDNS_HDR_LEN) abort();
	sdns_msg m;
	if (sdns_msg_parse(out, len, &m) != SDNS_OK) abort();
	if (m.id != (uint16_t)(data[0] << 8 | data[1])) abort();
	if (!(m.flags & SDNS_F_QR)) abort();
	sdns_msg_free(&m);
	return 0;
}

/* Zone test helpers: see zonetest.h. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "zonetest.h"

sdns_name zt_name(const char *text, const sdns_name *origin)
{
	sdns_name n;
	int rc = sdns_name_from_str(&n, text, strlen(text), origin);
	ck_assert_msg(rc == SDNS_OK, "bad name %s", text);
	return n;
}

static void put_name(sdns_wr *w, const char *text, const sdns_name *origin)
{
	sdns_name n = zt_name(text, origin);
	ck_assert_int_eq(sdns_name_pack(w, &n), SDNS_OK);
}

static void put_u16(sdns_wr *w, const char *t)
{
	ck_assert_int_eq(sdns_wr_u16(w, (uint16_t)strtoul(t, NULL, 10)), SDNS_OK);
}

static void put_u32(sdns_wr *w, const char *t)
{
	ck_assert_int_eq(sdns_wr_u32(w, (uint32_t)strtoul(t, NULL, 10)), SDNS_OK);
}

static uint16_t put_rdata(const char *type, char **tok, int n, sdns_wr *w,
                          const sdns_name *origin)
{
	uint8_t ip[16];
	if (!strcmp(type, "A")) {
		ck_assert_int_eq(inet_pton(AF_INET, tok[0], ip), 1);
		sdns_wr_bytes(w, ip, 4);
		return SDNS_T_A;
	}
	if (!strcmp(type, "AAAA")) {
		ck_assert_int_eq(inet_pton(AF_INET6, tok[0], ip), 1);
		sdns_wr_bytes(w, ip, 16);
		return SDNS_T_AAAA;
	}
	if (!strcmp(type, "NS") || !strcmp(type, "CNAME") || !strcmp(type, "PTR")) {
		put_name(w, tok[0], origin);
		return !strcmp(type, "NS") ? SDNS_T_NS
		       : !strcmp(type, "CNAME") ? SDNS_T_CNAME : SDNS_T_PTR;
	}
	if (!strcmp(type, "MX")) {
		put_u16(w, tok[0]);
		put_name(w, tok[1], origin);
		return SDNS_T_MX;
	}
	if (!strcmp(type, "SRV")) {
		put_u16(w, tok[0]);
		put_u16(w, tok[1]);
		put_u16(w, tok[2]);
		put_name(w, tok[3], origin);
		return SDNS_T_SRV;
	}
	if (!strcmp(type, "TXT")) {
		for (int i = 0; i < n; i++) {
			size_t l = strlen(tok[i]);
			sdns_wr_u8(w, (uint8_t)l);
			sdns_wr_bytes(w, tok[i], l);
		}
		return SDNS_T_TXT;
	}
	if (!strcmp(type, "SOA")) {
		ck_assert_int_eq(n, 7);
		put_name(w, tok[0], origin);
		put_name(w, tok[1], origin);
		for (int i = 2; i < 7; i++) put_u32(w, tok[i]);
		return SDNS_T_SOA;
	}
	ck_abort_msg("zonetest: type %s not supported", type);
	return 0;
}

void zt_rr(const char *line, const sdns_name *origin, sdns_rr *rr,
           uint8_t *rdbuf, size_t cap)
{
	char copy[512];
	char *tok[16];
	int n = 0;
	ck_assert_uint_lt(strlen(line), sizeof(copy));
	strcpy(copy, line);
	for (char *s = strtok(copy, " "); s && n < 16; s = strtok(NULL, " "))
		tok[n++] = s;
	ck_assert_int_ge(n, 3);
	rr->owner = zt_name(tok[0], origin);
	rr->ttl = (uint32_t)strtoul(tok[1], NULL, 10);
	rr->rclass = SDNS_C_IN;
	sdns_wr w;
	sdns_wr_init(&w, rdbuf, cap);
	rr->type = put_rdata(tok[2], tok + 3, n - 3, &w, origin);
	rr->rdlen = (uint16_t)sdns_wr_len(&w);
	rr->rdata = rdbuf;
}

int zt_add(sdns_zbuild *b, const char *apex, const char *line)
{
	sdns_name origin = zt_name(apex, NULL);
	uint8_t rd[1024];
	sdns_rr rr;
	zt_rr(line, &origin, &rr, rd, sizeof(rd));
	return sdns_zbuild_add(b, &rr);
}

int zt_build(const char *apex, const char *const *lines, sdns_zone **out,
             char *err, size_t cap)
{
	sdns_name origin = zt_name(apex, NULL);
	sdns_zbuild *b = sdns_zbuild_new(&origin);
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; lines[i]; i++) {
		int rc = zt_add(b, apex, lines[i]);
		if (rc) {
			snprintf(err, cap, "%s", sdns_zbuild_error(b));
			sdns_zbuild_free(b);
			return rc;
		}
	}
	return sdns_zbuild_finish(b, out, err, cap);
}

sdns_zone *zt_zone(const char *apex, const char *const *lines)
{
	char err[256] = "";
	sdns_zone *z = NULL;
	int rc = zt_build(apex, lines, &z, err, sizeof(err));
	ck_assert_msg(rc == SDNS_OK, "zone %s: %s (%s)", apex, err,
	              sdns_strerror(rc));
	return z;
}

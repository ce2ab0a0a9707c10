/* Helpers for the zone, zoneset and answer suites: zones written as short
 * master-file lines ("www 300 A 192.0.2.1"), without the master-file parser,
 * so that those suites test the zone module alone. */
#ifndef SDNS_ZONETEST_H
#define SDNS_ZONETEST_H

#include <stddef.h>
#include <stdint.h>
#include "sdns/zone.h"

/* Absolute or apex-relative name; aborts the test on bad text. */
sdns_name zt_name(const char *text, const sdns_name *origin);
/* "owner ttl TYPE rdata" with TYPE one of A AAAA NS CNAME PTR MX SRV TXT SOA;
 * owner "@" is the origin. Fills rr with RDATA in rdbuf. */
void zt_rr(const char *line, const sdns_name *origin, sdns_rr *rr,
           uint8_t *rdbuf, size_t cap);
/* sdns_zbuild_add of one line; returns its code. */
int zt_add(sdns_zbuild *b, const char *apex, const char *line);
/* Builds a zone from NULL-terminated lines; err gets the message. */
int zt_build(const char *apex, const char *const *lines, sdns_zone **out,
             char *err, size_t cap);
/* Same, asserting success. */
sdns_zone *zt_zone(const char *apex, const char *const *lines);

#endif

/* Loading zones from master files named on the command line or in the
 * config: "FILE" (apex = owner of the file's SOA, names absolute or under
 * $ORIGIN) or "ORIGIN=FILE". Shared by sdnsd and `sdnsctl zone check`. */
#ifndef SDNS_ZLOAD_H
#define SDNS_ZLOAD_H

#include <stddef.h>
#include "sdns/zone.h"

int sdns_zload_spec(const char *spec, sdns_zone **out, char *err,
                    size_t err_cap);
/* All specs into one zone set; two zones with the same apex are an error. */
int sdns_zload_set(const char *const *specs, size_t n, sdns_zoneset **out,
                   char *err, size_t err_cap);

#endif

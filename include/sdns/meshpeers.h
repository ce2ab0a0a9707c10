/* The mesh peer set from the store: a bridge between src/store and
 * src/mesh, kept apart so that neither header needs the other. */
#ifndef SDNS_MESHPEERS_H
#define SDNS_MESHPEERS_H

#include "sdns/mesh.h"
#include "sdns/store.h"

/* Every node row with role node, status active, a DoQ endpoint and a
 * 32-byte zone public key, by name, into a malloc'd array (*out, free()
 * it; NULL when n is 0). Rows whose name or endpoint do not fit an
 * sdns_mesh_peer are skipped. */
int sdns_store_mesh_peers(sdns_store *s, sdns_mesh_peer **out, size_t *n,
                          sdns_store_err *err);

#endif

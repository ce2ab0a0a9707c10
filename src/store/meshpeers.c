/* The active node peers of the mesh, for sdns_mesh_set_peers. */
#include <stdlib.h>
#include <string.h>
#include "sdns/audit.h"
#include "sdns/error.h"
#include "sdns/meshpeers.h"
#include "store_int.h"

#define MESH_PEERS_SQL "SELECT name, doq_endpoint, encode(zone_pubkey, " \
	"'hex') FROM nodes WHERE role = 'node' AND status = 'active' AND " \
	"doq_endpoint IS NOT NULL AND doq_endpoint <> '' AND zone_pubkey IS " \
	"NOT NULL ORDER BY name"

static bool row_peer(PGresult *r, int i, sdns_mesh_peer *p)
{
	const char *name = PQgetvalue(r, i, 0), *ep = PQgetvalue(r, i, 1);
	memset(p, 0, sizeof *p);
	if (strlen(name) >= sizeof p->name || strlen(ep) >= sizeof p->endpoint)
		return false;
	memcpy(p->name, name, strlen(name));
	memcpy(p->endpoint, ep, strlen(ep));
	return sdns_audit_unhex(PQgetvalue(r, i, 2), p->zone_key, 32) == SDNS_OK;
}

int sdns_store_mesh_peers(sdns_store *s, sdns_mesh_peer **out, size_t *n,
                          sdns_store_err *err)
{
	*out = NULL;
	*n = 0;
	PGresult *r;
	int rc = st_q(s, MESH_PEERS_SQL, 0, NULL, &r, err);
	if (rc) return rc;
	int rows = PQntuples(r);
	sdns_mesh_peer *a = rows ? calloc((size_t)rows, sizeof *a) : NULL;
	if (rows && !a) {
		PQclear(r);
		return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	}
	size_t k = 0;
	for (int i = 0; i < rows; i++)
		if (row_peer(r, i, &a[k])) k++;
	PQclear(r);
	if (!k) {
		free(a);
		a = NULL;
	}
	*out = a;
	*n = k;
	return SDNS_OK;
}

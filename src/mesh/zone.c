/* Freshness of a peer zone's cached copies: its epoch (moved on by every
 * invalidation) and the newest SOA serial its owner has signed that we have
 * seen. Fills compare against both under fill_mu, so a NOTIFY can never
 * slip between a fill's check and its insert. */
#include "sdns/error.h"
#include "mesh_int.h"

mesh_peer *mesh_zone_peer(const sdns_mesh *m, const sdns_name *apex)
{
	for (size_t i = 0; i < m->npeers; i++)
		if (sdns_name_eq_ci(&m->peers[i]->apex, apex)) return m->peers[i];
	return NULL;
}

void mesh_zone_set_serial(sdns_mesh *m, mesh_peer *z, uint32_t serial)
{
	z->serial = serial;
	z->has_serial = true;
	mesh_state_note(m, &z->apex, z->key.pub, serial);
}

uint32_t mesh_zone_serial(const sdns_mesh *m, const sdns_name *apex)
{
	const mesh_peer *z = mesh_zone_peer(m, apex);
	return z && z->has_serial ? z->serial : 0;
}

bool mesh_zone_bump(sdns_mesh *m, mesh_peer *z, bool has_serial,
                    uint32_t serial)
{
	z->epoch = ++m->gen;
	if (!has_serial) return false;
	if (z->has_serial && mesh_serial_newer(z->serial, serial)) return true;
	if (!z->has_serial || z->serial != serial)
		mesh_zone_set_serial(m, z, serial);
	return false;
}

size_t mesh_zone_invalidate(sdns_mesh *m, const sdns_name *apex,
                            bool has_serial, uint32_t serial, bool *older)
{
	pthread_mutex_lock(&m->fill_mu);
	pthread_mutex_lock(&m->mu);
	mesh_peer *z = mesh_zone_peer(m, apex);
	bool old = z && mesh_zone_bump(m, z, has_serial, serial);
	pthread_mutex_unlock(&m->mu);
	size_t n = sdns_cache_drop_zone(m->cache, apex);
	pthread_mutex_unlock(&m->fill_mu);
	if (older) *older = old;
	return n;
}

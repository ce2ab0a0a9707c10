/* One object of the store by its row id, in the JSON shape of the REST API:
 * what a change notification (sdns_store_listen_cb.on_change) names, loaded
 * for the API's GET /events stream. Same errors as include/sdns/store.h;
 * SDNS_ENOTFOUND when the row is gone (deleted since the notification). */
#ifndef SDNS_STORE_OBJ_H
#define SDNS_STORE_OBJ_H

#include "sdns/store.h"

/* The GET /zones item of zone_id: {"name","serial","owner","records",
 * "created_at","updated_at"}. */
int sdns_store_zone_item(sdns_store *s, int64_t zone_id, json_t **out,
                         sdns_store_err *err);
/* Record id as GET /zones/{zone}/records shows it (the SOA's serial is the
 * zone serial); zone (cap bytes) gets its zone name. */
int sdns_store_record_get(sdns_store *s, int64_t id, json_t **out,
                          char *zone, size_t cap, sdns_store_err *err);
/* Every zone as {"<id>": "name", ...} (ids as decimal strings): lets the
 * stream name the zone of a later DELETE, when the row is gone. */
int sdns_store_zone_index(sdns_store *s, json_t **out, sdns_store_err *err);

#endif

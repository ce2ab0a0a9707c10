/* High-water marks of the peer zones, kept across restarts: per zone apex,
 * the owner's zone key and the newest SOA serial that key signed which
 * this node has seen. A node that forgot them would take, after a
 * restart, any copy signed within the signatures' validity from any peer
 * (a rollback); with them it refuses what is older than it had seen.
 *
 * The file is this node's alone (not the database: whoever writes the
 * database must not be able to move a node's marks back, and a node must
 * keep them while the database is down). One line per zone:
 *   sdns-mesh-state 1
 *   <apex> <owner key, 64 hex digits> <serial>
 * written to FILE.tmp, synced and renamed over FILE, so a crash leaves the
 * old file or the new one. Saving is delayed by MESH_STATE_DELAY_MS so a
 * burst of NOTIFYs costs one write: a crash loses at most that last
 * second of marks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sdns/error.h"
#include "sdns/log.h"
#include "mesh_int.h"

#define STATE_MAGIC "sdns-mesh-state 1"
#define MARKS_MAX 65536   /* zones; a file claiming more is broken */
#define STATE_RETRY_NS (30ull * 1000000000u)

struct mesh_mark {
	sdns_name apex;
	uint8_t key[32];
	uint32_t serial;
};

static struct mesh_mark *find(const sdns_mesh *m, const sdns_name *apex)
{
	for (size_t i = 0; i < m->nmarks; i++)
		if (sdns_name_eq_ci(&m->marks[i].apex, apex)) return &m->marks[i];
	return NULL;
}

/* A new slot for apex (the table grows; past MARKS_MAX nothing is added:
 * the zones already marked keep theirs). */
static struct mesh_mark *add(sdns_mesh *m, const sdns_name *apex)
{
	if (m->nmarks == m->capmarks) {
		if (m->capmarks >= MARKS_MAX) return NULL;
		size_t nc = m->capmarks ? m->capmarks * 2 : 16;
		struct mesh_mark *t = realloc(m->marks, nc * sizeof *t);
		if (!t) return NULL;
		m->marks = t;
		m->capmarks = nc;
	}
	struct mesh_mark *k = &m->marks[m->nmarks++];
	memset(k, 0, sizeof *k);
	k->apex = *apex;
	return k;
}

void mesh_state_note(sdns_mesh *m, const sdns_name *apex,
                     const uint8_t key[32], uint32_t serial)
{
	struct mesh_mark *k = find(m, apex);
	if (!k) k = add(m, apex);
	if (!k) return;
	if (k->serial == serial && !memcmp(k->key, key, 32)) return;
	/* A new owner key starts its zone's mark over: data the old key
	 * signed no longer verifies anyway. */
	memcpy(k->key, key, 32);
	k->serial = serial;
	if (m->state_path && !m->save_due_ns) {
		m->save_due_ns = mesh_mono_ns() +
		                 (uint64_t)MESH_STATE_DELAY_MS * 1000000u;
		pthread_cond_broadcast(&m->cv);
	}
}

bool mesh_state_seed(const sdns_mesh *m, const sdns_name *apex,
                     const uint8_t key[32], uint32_t *serial)
{
	const struct mesh_mark *k = find(m, apex);
	if (!k || memcmp(k->key, key, 32)) return false;
	*serial = k->serial;
	return true;
}

/* --- the file --- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static bool parse_line(char *line, struct mesh_mark *out)
{
	char *save = NULL;
	char *apex = strtok_r(line, " \n", &save);
	char *key = strtok_r(NULL, " \n", &save);
	char *serial = strtok_r(NULL, " \n", &save);
	if (!apex || !key || !serial || strtok_r(NULL, " \n", &save) ||
	    strlen(key) != 64)
		return false;
	memset(out, 0, sizeof *out);
	if (sdns_name_from_str(&out->apex, apex, strlen(apex), NULL))
		return false;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(key[2 * i]), lo = hexval(key[2 * i + 1]);
		if (hi < 0 || lo < 0) return false;
		out->key[i] = (uint8_t)(hi << 4 | lo);
	}
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(serial, &end, 10);
	if (errno || *end || end == serial || v > 0xffffffffUL) return false;
	out->serial = (uint32_t)v;
	return true;
}

int mesh_state_load(sdns_mesh *m)
{
	if (!m->state_path) return SDNS_OK;
	FILE *f = fopen(m->state_path, "r");
	if (!f) {
		if (errno == ENOENT) return SDNS_OK;
		sdns_log(SDNS_LOG_WARN, "mesh_state_unreadable", "file=%s "
		         "error=\"%s\" action=start_empty", m->state_path,
		         strerror(errno));
		return SDNS_OK;
	}
	char line[SDNS_NAME_STR_MAX + 128];
	bool ok = fgets(line, sizeof line, f) &&
	          !strncmp(line, STATE_MAGIC "\n", sizeof STATE_MAGIC);
	size_t n = 0;
	while (ok && fgets(line, sizeof line, f)) {
		struct mesh_mark k, *slot;
		ok = strchr(line, '\n') && parse_line(line, &k) &&
		     !find(m, &k.apex) && (slot = add(m, &k.apex)) != NULL;
		if (ok) *slot = k, n++;
	}
	fclose(f);
	if (!ok) {
		/* A half-read table would hide the zones after the break; an
		 * empty one is what a new node has, and says so in the log. */
		m->nmarks = 0;
		sdns_log(SDNS_LOG_WARN, "mesh_state_broken", "file=%s "
		         "action=start_empty", m->state_path);
		return SDNS_OK;
	}
	sdns_log(SDNS_LOG_INFO, "mesh_state_loaded", "file=%s zones=%zu",
	         m->state_path, n);
	return SDNS_OK;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return SDNS_EIO;
		buf += w;
		len -= (size_t)w;
	}
	return SDNS_OK;
}

/* The table as the file's text (malloc'd). */
static char *render(const struct mesh_mark *k, size_t n, size_t *len)
{
	size_t cap = sizeof STATE_MAGIC + 1 + n * (SDNS_NAME_STR_MAX + 80);
	char *t = malloc(cap);
	if (!t) return NULL;
	size_t off = (size_t)snprintf(t, cap, "%s\n", STATE_MAGIC);
	for (size_t i = 0; i < n; i++) {
		char apex[SDNS_NAME_STR_MAX], hex[65];
		if (sdns_name_to_str(&k[i].apex, apex, sizeof apex)) continue;
		for (int b = 0; b < 32; b++)
			snprintf(hex + 2 * b, 3, "%02x", k[i].key[b]);
		off += (size_t)snprintf(t + off, cap - off, "%s %s %u\n", apex, hex,
		                        (unsigned)k[i].serial);
	}
	*len = off;
	return t;
}

static int write_file(const char *path, const char *text, size_t len)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof tmp) return SDNS_EINVAL;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) return SDNS_EIO;
	int rc = write_all(fd, text, len);
	if (!rc && fsync(fd)) rc = SDNS_EIO;
	if (close(fd) && !rc) rc = SDNS_EIO;
	if (!rc && rename(tmp, path)) rc = SDNS_EIO;
	if (rc) unlink(tmp);
	return rc;
}

void mesh_state_flush(sdns_mesh *m)
{
	if (!m->state_path) return;
	pthread_mutex_lock(&m->mu);
	size_t n = m->nmarks, len = 0;
	struct mesh_mark *copy = malloc((n ? n : 1) * sizeof *copy);
	if (copy) memcpy(copy, m->marks, n * sizeof *copy);
	m->save_due_ns = 0;
	pthread_mutex_unlock(&m->mu);
	char *text = copy ? render(copy, n, &len) : NULL;
	free(copy);
	int rc = text ? write_file(m->state_path, text, len) : SDNS_ENOMEM;
	free(text);
	int err = errno;
	pthread_mutex_lock(&m->mu);
	bool first = rc && !m->state_failing;
	m->state_failing = rc != 0;
	if (rc) {
		m->st.state_errors++;
		/* Try again in a while (a read-only directory must not cost a
		 * write a second); the marks in memory still hold. */
		m->save_due_ns = mesh_mono_ns() + STATE_RETRY_NS;
	} else {
		m->st.state_saves++;
	}
	pthread_mutex_unlock(&m->mu);
	if (first) /* once per failing episode */
		sdns_log(SDNS_LOG_WARN, "mesh_state_unsaved", "file=%s error=\"%s\" "
		         "action=retry", m->state_path, strerror(err));
}

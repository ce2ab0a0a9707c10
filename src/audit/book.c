/* The heads of the mesh peers' audit chains as this node saw them, kept
 * in a state file outside the database: a peer whose chain went back
 * (fewer entries, or another hash at an id already seen) is reported, at
 * every poll, until an operator looks. */
#include "sdns/audithead.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "sdns/error.h"

const char *sdns_audit_seen_str(sdns_audit_seen s)
{
	static const char *const names[SDNS_AUDIT_SEEN_KINDS] = {
		[SDNS_AUDIT_SEEN_OK] = "ok",
		[SDNS_AUDIT_SEEN_SHORTER] = "shorter",
		[SDNS_AUDIT_SEEN_FORKED] = "rewritten",
		[SDNS_AUDIT_SEEN_KEY_CHANGED] = "key_changed",
		[SDNS_AUDIT_SEEN_UNTRUSTED] = "untrusted_key",
		[SDNS_AUDIT_SEEN_BAD_SIG] = "bad_signature",
	};
	return (unsigned)s < SDNS_AUDIT_SEEN_KINDS ? names[s] : "unknown";
}

static sdns_audit_book_peer *find(sdns_audit_book *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->p[i].name, name) == 0)
			return &b->p[i];
	return NULL;
}

static int load(sdns_audit_book *b)
{
	json_error_t je;
	json_t *j = json_load_file(b->path, 0, &je);
	if (!j) {
		FILE *f = fopen(b->path, "re");
		if (!f && errno == ENOENT)
			return SDNS_OK;
		if (f)
			fclose(f);
		return SDNS_EMALF;
	}
	json_t *peers = json_object_get(j, "peers"), *e;
	size_t i;
	int rc = json_is_array(peers) ? SDNS_OK : SDNS_EMALF;
	json_array_foreach(peers, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		sdns_audit_book_peer *p = &b->p[b->n];
		if (rc || b->n >= SDNS_AUDIT_BOOK_MAX || !name ||
		    strlen(name) >= sizeof p->name ||
		    sdns_audit_head_from_json(json_object_get(e, "head"),
		                              &p->head) != SDNS_OK) {
			rc = SDNS_EMALF;
			break;
		}
		snprintf(p->name, sizeof p->name, "%s", name);
		b->n++;
	}
	json_decref(j);
	if (rc)
		b->n = 0;
	return rc;
}

int sdns_audit_book_init(sdns_audit_book *b, const char *path)
{
	if (!b)
		return SDNS_EINVAL;
	memset(b, 0, sizeof *b);
	pthread_mutex_init(&b->mu, NULL);
	if (!path || !*path)
		return SDNS_OK;
	if (strlen(path) + 5 >= sizeof b->path)
		return SDNS_EINVAL;
	snprintf(b->path, sizeof b->path, "%s", path);
	return load(b);
}

void sdns_audit_book_destroy(sdns_audit_book *b)
{
	if (b)
		pthread_mutex_destroy(&b->mu);
}

/* Under b->mu: the whole book to path.tmp, then renamed over path. */
static int save(sdns_audit_book *b)
{
	if (!b->path[0])
		return SDNS_OK;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < b->n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:o}", "name",
		                      b->p[i].name, "head",
		                      sdns_audit_head_to_json(&b->p[i].head)));
	json_t *j = json_pack("{s:i,s:o}", "version", 1, "peers", arr);
	char *text = j ? json_dumps(j, JSON_INDENT(1)) : NULL;
	json_decref(j);
	if (!text)
		return SDNS_ENOMEM;
	char tmp[sizeof b->path + 5];
	snprintf(tmp, sizeof tmp, "%s.tmp", b->path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = fd < 0 ? sdns_err_from_errno(errno) : SDNS_OK;
	size_t n = strlen(text), off = 0;
	while (rc == SDNS_OK && off < n) {
		ssize_t w = write(fd, text + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = SDNS_EIO;
		else
			off += (size_t)w;
	}
	if (fd >= 0 && (fsync(fd) != 0 || close(fd) != 0) && rc == SDNS_OK)
		rc = SDNS_EIO;
	if (rc == SDNS_OK && rename(tmp, b->path) != 0)
		rc = SDNS_EIO;
	if (rc)
		unlink(tmp);
	free(text);
	return rc;
}

static sdns_audit_seen judge(const sdns_audit_book_peer *p,
                             const sdns_audit_head *got,
                             const uint8_t *trusted)
{
	if (sdns_audit_head_verify(got) != SDNS_OK)
		return SDNS_AUDIT_SEEN_BAD_SIG;
	if (trusted && sodium_memcmp(trusted, got->pub, SDNS_AUDIT_PUB_LEN))
		return SDNS_AUDIT_SEEN_UNTRUSTED;
	if (!p)
		return SDNS_AUDIT_SEEN_OK;
	/* A key bound by the trust file may replace a pinned one. */
	if (!trusted &&
	    sodium_memcmp(p->head.pub, got->pub, SDNS_AUDIT_PUB_LEN) != 0)
		return SDNS_AUDIT_SEEN_KEY_CHANGED;
	switch (sdns_audit_head_compare(&p->head, got)) {
	case SDNS_AUDIT_HEAD_SHORTER: return SDNS_AUDIT_SEEN_SHORTER;
	case SDNS_AUDIT_HEAD_FORKED: return SDNS_AUDIT_SEEN_FORKED;
	default: return SDNS_AUDIT_SEEN_OK;
	}
}

sdns_audit_seen sdns_audit_book_observe(sdns_audit_book *b, const char *name,
                                        const sdns_audit_head *got,
                                        const uint8_t *trusted,
                                        const char *now_ts, int *save_rc)
{
	int src = SDNS_OK;
	if (!b || !name || !got || strlen(name) >= SDNS_AUDIT_NAME_MAX) {
		if (save_rc)
			*save_rc = SDNS_EINVAL;
		return SDNS_AUDIT_SEEN_BAD_SIG;
	}
	pthread_mutex_lock(&b->mu);
	sdns_audit_book_peer *p = find(b, name);
	sdns_audit_seen v = judge(p, got, trusted);
	if (v == SDNS_AUDIT_SEEN_OK) {
		bool changed = true;
		if (!p && b->n < SDNS_AUDIT_BOOK_MAX) {
			p = &b->p[b->n++];
			memset(p, 0, sizeof *p);
			snprintf(p->name, sizeof p->name, "%s", name);
		} else if (!p) {
			src = SDNS_ELIMIT;
			changed = false;
		} else {
			/* Same position, fresher ts: no write per poll. */
			changed = p->head.id != got->id;
		}
		if (changed) {
			p->head = *got;
			src = save(b);
		} else if (p) {
			p->head = *got; /* a fresher ts, same chain position */
		}
	} else {
		b->counts[v]++;
		if (p) {
			p->problems++;
			p->last_problem = v;
			p->last_bad = *got;
			snprintf(p->last_problem_ts, sizeof p->last_problem_ts, "%s",
			         now_ts ? now_ts : "");
		}
	}
	pthread_mutex_unlock(&b->mu);
	if (save_rc)
		*save_rc = src;
	return v;
}

json_t *sdns_audit_book_json(sdns_audit_book *b)
{
	json_t *arr = json_array();
	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; arr && i < b->n; i++) {
		const sdns_audit_book_peer *p = &b->p[i];
		bool bad = p->problems > 0;
		json_array_append_new(arr, json_pack(
			"{s:s,s:o,s:I,s:o,s:o,s:o}", "name", p->name, "head",
			sdns_audit_head_to_json(&p->head), "problems",
			(json_int_t)p->problems, "last_problem",
			bad ? json_string(sdns_audit_seen_str(p->last_problem))
			    : json_null(),
			"last_problem_at",
			bad ? json_string(p->last_problem_ts) : json_null(),
			"refused_head",
			bad ? sdns_audit_head_to_json(&p->last_bad) : json_null()));
	}
	pthread_mutex_unlock(&b->mu);
	return json_pack("{s:o}", "peers", arr);
}

void sdns_audit_book_counts(sdns_audit_book *b,
                            uint64_t out[SDNS_AUDIT_SEEN_KINDS])
{
	pthread_mutex_lock(&b->mu);
	memcpy(out, b->counts, sizeof b->counts);
	pthread_mutex_unlock(&b->mu);
}

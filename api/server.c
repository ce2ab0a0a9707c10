/* The libmicrohttpd daemon: TLS 1.2+, a thread pool, connection and size
 * limits, and the access handler that runs every request through the same
 * steps: authenticate (unless POST /enroll), same-origin for writes
 * (origin.c), route, role, content type (origin.c), body, handler,
 * response with the API's headers.
 *
 * Connections before authentication are bounded per address and overall
 * and live only handshake_timeout_s; the first authenticated request on a
 * connection raises its timeout to the idle one (sdns_api_conf). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api_int.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/portprobe.h"

#define API_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define API_MAX_CONNS 256
#define API_MAX_PER_ADDR 32
#define API_HANDSHAKE_TIMEOUT 5   /* seconds to the first authenticated request */
#define API_IDLE_TIMEOUT 30

/* ---------- responses ---------- */

void api_resp_json(api_resp *out, unsigned status, json_t *body)
{
	json_decref(out->json);
	out->json = body;
	out->status = status;
}

/* On every answer: the console's pages run under this policy, and JSON
 * opened directly in a browser gets the same lock-down. */
#define API_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
	"form-action 'none'; frame-ancestors 'none'"

static void security_headers(struct MHD_Response *mr)
{
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(mr, "Content-Security-Policy", API_CSP);
	MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
}

static enum MHD_Result send_raw(api_req *r, api_resp *resp)
{
	struct MHD_Response *mr = resp->raw;
	resp->raw = NULL;
	security_headers(mr);
	enum MHD_Result ret = MHD_queue_response(r->conn, resp->status, mr);
	MHD_destroy_response(mr);
	unsigned k = resp->status / 100;
	if (k >= 1 && k <= 5) atomic_fetch_add(&r->api->n_status[k], 1);
	r->responded = true;
	return ret;
}

static enum MHD_Result send_resp(api_req *r, api_resp *resp)
{
	if (resp->raw) return send_raw(r, resp);
	char *body = NULL;
	size_t len = 0;
	const char *ctype = NULL;
	if (resp->json) {
		body = json_dumps(resp->json, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (!body) return MHD_NO;
		len = strlen(body);
		ctype = "application/json; charset=utf-8";
	} else if (resp->text) {
		body = resp->text;
		resp->text = NULL;
		len = resp->text_len;
		ctype = resp->ctype;
	}
	struct MHD_Response *mr = MHD_create_response_from_buffer(
		len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!mr) {
		free(body);
		return MHD_NO;
	}
	if (ctype) MHD_add_response_header(mr, "Content-Type", ctype);
	MHD_add_response_header(mr, "Cache-Control",
	                        resp->cache ? resp->cache : "no-store");
	security_headers(mr);
	if (resp->disposition[0]) {
		MHD_add_response_header(mr, "Content-Disposition", resp->disposition);
		MHD_add_response_header(mr, "Vary", "Accept");
	}
	if (resp->etag_str[0]) {
		MHD_add_response_header(mr, "ETag", resp->etag_str);
	} else if (resp->etag >= 0) {
		char tag[32];
		snprintf(tag, sizeof(tag), "\"%lld\"", (long long)resp->etag);
		MHD_add_response_header(mr, "ETag", tag);
	}
	if (resp->location[0])
		MHD_add_response_header(mr, "Location", resp->location);
	if (resp->allow) MHD_add_response_header(mr, "Allow", resp->allow);
	if (resp->retry_after) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", resp->retry_after);
		MHD_add_response_header(mr, "Retry-After", ra);
	}
	if (resp->status == 500)   /* the body says only "internal error" */
		sdns_log(SDNS_LOG_ERROR, "api_internal_error", "method=%s path=%s "
		         "cause=\"%s\"", r->method ? r->method : "-", r->path,
		         resp->cause[0] ? resp->cause : "unknown");
	enum MHD_Result ret = MHD_queue_response(r->conn, resp->status, mr);
	MHD_destroy_response(mr);
	unsigned k = resp->status / 100;
	if (resp->unready) atomic_fetch_add(&r->api->n_unready, 1);
	else if (k >= 1 && k <= 5) atomic_fetch_add(&r->api->n_status[k], 1);
	r->responded = true;
	return ret;
}

static enum MHD_Result finish(api_req *r, api_resp *resp)
{
	enum MHD_Result ret = send_resp(r, resp);
	json_decref(resp->json);
	free(resp->text);
	if (resp->raw) MHD_destroy_response(resp->raw);
	return ret;
}

/* ---------- request helpers ---------- */

const char *api_header(api_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *api_query(api_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

static bool parse_u63(const char *s, size_t n, int64_t *out)
{
	if (n == 0 || n > 18) return false;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int64_t api_if_match(api_req *r, api_resp *out)
{
	const char *h = api_header(r, "If-Match");
	if (!h || strcmp(h, "*") == 0) return SDNS_STORE_NO_MATCH;
	size_t n = strlen(h);
	int64_t v;
	if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
		h++;
		n -= 2;
	}
	if (!parse_u63(h, n, &v)) {
		api_fail(out, API_E_PRECOND, NULL,
		         "If-Match must be the zone serial, e.g. \"42\"");
		return -2;
	}
	return v;
}

int api_param_id(api_req *r, int idx, int64_t *id, api_resp *out)
{
	const char *s = r->params[idx];
	if (!s || !parse_u63(s, strlen(s), id) || *id == 0) {
		api_fail(out, API_E_NOT_FOUND, NULL, "no such id '%.40s'",
		         s ? s : "");
		return SDNS_ENOTFOUND;
	}
	return SDNS_OK;
}

/* ---------- the access handler ---------- */

static void remote_of(struct MHD_Connection *c, char *buf, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(buf, cap, "unknown");
	if (!ci || !ci->client_addr) return;
	const struct sockaddr *sa = ci->client_addr;
	socklen_t len = sa->sa_family == AF_INET6
		? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	getnameinfo(sa, len, buf, cap, NULL, 0, NI_NUMERICHOST);
}

/* The node may write only zones it owns; the owner comes from the store. */
static bool owner_allows(api_req *r, api_resp *out)
{
	if (r->peer.id.role == SDNS_ROLE_ADMIN) return true;
	sdns_store *s = api_store(r, out);
	if (!s) return false;
	char owner[SDNS_ID_PART_MAX];
	sdns_store_err err;
	int rc = sdns_store_zone_owner(s, r->params[0], owner, sizeof(owner),
	                               &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return false;
	}
	if (strcmp(owner, r->peer.id.name) != 0) {
		api_fail(out, API_E_FORBIDDEN, NULL,
		         "node %s does not own zone %s", r->peer.id.name,
		         r->params[0]);
		return false;
	}
	return true;
}

/* Everything decided from the headers alone. False: out holds the answer. */
static bool admit(api_req *r, const char *url, api_resp *out)
{
	const char *reason = NULL;
	bool open = strcmp(r->method, "POST") == 0 && strcmp(url, "/enroll") == 0;
	if (!open) {
		if (api_auth_peer(r->api, r->conn, &r->peer, &reason) != SDNS_OK) {
			api_auth_refused(r, reason);
			api_fail(out, API_E_UNAUTHORIZED, NULL,
			         "a valid client certificate of this mesh is "
			         "required");
			return false;
		}
		r->authed = true;
		/* Proven now: the connection may idle as long as any. */
		MHD_set_connection_option(r->conn, MHD_CONNECTION_OPTION_TIMEOUT,
		                          r->api->idle_timeout_s);
		r->actor.uri = r->peer.id.uri;
		r->actor.name = r->peer.id.name;
		r->actor.role = r->peer.id.role;
		r->actor.fp_hex = r->peer.fp_hex;
	}
	if (!api_origin_ok(r, out)) return false;
	char allow[64];
	const struct api_route *route = NULL;
	int rc = strlen(url) >= sizeof(r->path) ? SDNS_ENOTFOUND
		: api_route_match(r->method, url, &route, r, allow, sizeof(allow));
	if (rc == SDNS_ENOTFOUND) {
		api_fail(out, API_E_NOT_FOUND, NULL, "no such resource");
		return false;
	}
	if (rc != SDNS_OK) {
		api_fail(out, API_E_METHOD, NULL, "method %.10s not allowed here",
		         r->method);
		snprintf(r->allow, sizeof(r->allow), "%s", allow);
		out->allow = r->allow;
		return false;
	}
	r->route = route;
	if (!api_policy_allows(route->policy, r->peer.id.role)) {
		api_fail(out, API_E_FORBIDDEN, NULL,
		         "role %s may not %s %s", sdns_role_name(r->peer.id.role),
		         r->method, route->path);
		return false;
	}
	if (!api_ctype_ok(r, out)) return false;
	r->body_max = route->import_body ? r->api->import_max
	                                 : SDNS_API_BODY_MAX;
	const char *cl = api_header(r, "Content-Length");
	int64_t clen;
	if (cl && parse_u63(cl, strlen(cl), &clen) &&
	    (uint64_t)clen > r->body_max) {
		api_fail(out, API_E_TOO_LARGE, NULL, "request body over %zu bytes",
		         r->body_max);
		return false;
	}
	if (route->policy == API_P_ZONE_WRITE && !owner_allows(r, out))
		return false;
	if (route->import_body) return api_import_begin(r, out);
	/* The routes that lock a zone row. */
	bool zone_write = route->policy == API_P_ZONE_WRITE ||
	                  route->fn == api_h_zone_delete;
	return !zone_write || !api_import_blocks(r, out);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	(void)version;
	sdns_api *api = cls;
	api_req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r) return MHD_NO;
		*con_cls = r;
		r->api = api;
		r->conn = c;
		r->method = method;
		snprintf(r->path, sizeof(r->path), "%s", url);
		remote_of(c, r->remote, sizeof(r->remote));
		atomic_fetch_add(&api->n_requests, 1);
		api_resp resp = {.etag = -1};
		if (!admit(r, url, &resp)) return finish(r, &resp);
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->responded) {
			/* answered already: the rest is thrown away */
		} else if (r->route->import_body) {
			api_import_feed(r, upload, *upload_size);
		} else {
			api_body_feed(r, upload, *upload_size);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->responded) return MHD_YES;
	api_resp resp = {.etag = -1, .status = 500};
	r->route->fn(r, &resp);
	return finish(r, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c;
	api_req *r = *con_cls;
	if (!r) return;
	api_import_abort(r, toe);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr,
                                 socklen_t addrlen)
{
	(void)addrlen;
	sdns_api *api = cls;
	return api_connlimit_admit(api->connlimit, addr) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
                          enum MHD_ConnectionNotificationCode code)
{
	sdns_api *api = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
			c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		*ctx = api_connlimit_opened(api->connlimit,
		                            ci ? ci->client_addr : NULL);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		api_connlimit_closed(api->connlimit, *ctx);
		*ctx = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
	sdns_log(SDNS_LOG_DEBUG, "api_mhd", "msg=\"%s\"", msg);
}

/* ---------- start / stop ---------- */

static char *read_file(const char *path, char *err, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, cap, "%s: cannot open", path);
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0, bcap = 0;
	for (;;) {
		if (len + 4096 + 1 > bcap) {
			bcap = bcap ? bcap * 2 : 8192;
			if (bcap > (1u << 20)) break;
			char *nb = realloc(buf, bcap);
			if (!nb) break;
			buf = nb;
		}
		size_t got = fread(buf + len, 1, bcap - len - 1, f);
		len += got;
		if (got == 0) break;
	}
	bool ok = buf && feof(f) && !ferror(f);
	fclose(f);
	if (!ok) {
		free(buf);
		snprintf(err, cap, "%s: cannot read", path);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        char *err, size_t cap)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	size_t hl = colon ? (size_t)(colon - s) : 0;
	if (!colon || hl == 0 || hl >= sizeof(host)) goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']') goto bad;
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_NUMERICSERV}, *res = NULL;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res) goto bad;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return SDNS_OK;
bad:
	snprintf(err, cap, "bad listen address '%s' (want host:port)", s);
	return SDNS_ECONFIG;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void free_api(sdns_api *api)
{
	free(api->listen), free(api->cert_path), free(api->key_path);
	free(api->ca_path), free(api->ca_key_path), free(api->mesh);
	free(api->conninfo), free(api->public_url);
	free(api->cert_pem), free(api->key_pem), free(api->ca_pem);
	if (api->store_key_made) pthread_key_delete(api->store_key);
	api_static_close(api);
	api_events_free(api);
	api_refuse_free(api);
	api_busy_free(api);
	api_authcache_free(api);
	api_connlimit_free(api);
	sodium_memzero(&api->audit_key, sizeof(api->audit_key));
	free(api);
}

static int copy_conf(sdns_api *api, const sdns_api_conf *conf, char *err,
                     size_t cap)
{
	api->listen = strdup(conf->listen ? conf->listen : SDNS_API_DEFAULT_LISTEN);
	api->cert_path = dup_or_null(conf->cert_path);
	api->key_path = dup_or_null(conf->key_path);
	api->ca_path = dup_or_null(conf->ca_path);
	api->ca_key_path = dup_or_null(conf->ca_key_path);
	api->mesh = dup_or_null(conf->mesh);
	api->conninfo = strdup(conf->conninfo ? conf->conninfo : "");
	api->cb = conf->cb;
	api->import_max = conf->import_max ? conf->import_max
	                                   : SDNS_STORE_IMPORT_MAX_DEFAULT;
	if (conf->audit_key) {
		api->audit_key = *conf->audit_key;
		api->have_audit_key = true;
		sdns_audit_trust_add(&api->audit_trust, NULL, api->audit_key.pub);
	}
	for (size_t i = 0; conf->audit_trust && i < conf->audit_trust->n; i++)
		if (sdns_audit_trust_add(&api->audit_trust,
		                         conf->audit_trust->k[i].name,
		                         conf->audit_trust->k[i].pub) != SDNS_OK) {
			snprintf(err, cap, "too many trusted audit keys");
			return SDNS_ECONFIG;
		}
	if (!api->listen || !api->conninfo || !conf->cert_path ||
	    !conf->key_path || !conf->ca_path || !api->cert_path ||
	    !api->key_path || !api->ca_path) {
		snprintf(err, cap, "cert_path, key_path and ca_path are required");
		return SDNS_ECONFIG;
	}
	if (!(api->cert_pem = read_file(api->cert_path, err, cap)) ||
	    !(api->key_pem = read_file(api->key_path, err, cap)) ||
	    !(api->ca_pem = read_file(api->ca_path, err, cap)))
		return SDNS_ENOTFOUND;
	return SDNS_OK;
}

static void set_public_url(sdns_api *api, const sdns_api_conf *conf)
{
	if (conf->public_url) {
		api->public_url = strdup(conf->public_url);
		return;
	}
	char buf[200];
	const char *colon = strrchr(api->listen, ':');
	int hl = colon ? (int)(colon - api->listen) : 0;
	snprintf(buf, sizeof(buf), "https://%.*s:%u", hl, api->listen,
	         api->port);
	api->public_url = strdup(buf);
}

int sdns_api_start(const sdns_api_conf *conf, sdns_api **out, char *err,
                   size_t err_cap)
{
	char dummy[8];
	if (!err) err = dummy, err_cap = sizeof(dummy);
	err[0] = '\0';
	*out = NULL;
	sdns_api *api = calloc(1, sizeof(*api));
	if (!api) return SDNS_ENOMEM;
	api->web_fd = -1;
	int rc = copy_conf(api, conf, err, err_cap);
	struct sockaddr_storage ss;
	if (rc == SDNS_OK) rc = parse_listen(api->listen, &ss, err, err_cap);
	/* MHD sets SO_REUSEADDR only (no LISTENING_ADDRESS_REUSE), so its bind
	 * would fail too; the probe says why, before anything starts. */
	if (rc == SDNS_OK && sdns_port_probe(&ss, ss.ss_family == AF_INET6
	                                           ? sizeof(struct sockaddr_in6)
	                                           : sizeof(struct sockaddr_in),
	                                   SOCK_STREAM)) {
		snprintf(err, err_cap, "--api-listen: bind %s: %s", api->listen,
		         errno == EADDRINUSE ? "address already in use"
		                             : strerror(errno));
		rc = SDNS_EIO;
	}
	if (rc == SDNS_OK && (api_refuse_init(api, conf) != SDNS_OK ||
	                      api_busy_init(api) != SDNS_OK ||
	                      api_authcache_init(api) != SDNS_OK ||
	                      api_store_key_init(api) != SDNS_OK)) {
		snprintf(err, err_cap, "out of memory");
		rc = SDNS_ENOMEM;
	}
	if (rc != SDNS_OK) {
		free_api(api);
		return rc;
	}
	api_static_open(api, conf->web_root);
	if (api_events_start(api, conf) != SDNS_OK) {
		snprintf(err, err_cap, "cannot start the event stream");
		free_api(api);
		return SDNS_ENOMEM;
	}
	unsigned max_conns = conf->max_connections ? conf->max_connections
	                                           : API_MAX_CONNS;
	unsigned per_addr = conf->max_per_address ? conf->max_per_address
	                                          : API_MAX_PER_ADDR;
	/* Room for other addresses, whatever was configured. */
	if (per_addr > max_conns / 2 && max_conns >= 2) per_addr = max_conns / 2;
	unsigned handshake_s = conf->handshake_timeout_s
		? conf->handshake_timeout_s : API_HANDSHAKE_TIMEOUT;
	api->idle_timeout_s = conf->timeout_s ? conf->timeout_s
	                                      : API_IDLE_TIMEOUT;
	unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_POLL | MHD_USE_ERROR_LOG |
	                 MHD_ALLOW_SUSPEND_RESUME;
	if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
	if (api_connlimit_init(api, max_conns) != SDNS_OK) {
		snprintf(err, err_cap, "out of memory");
		free_api(api);
		return SDNS_ENOMEM;
	}
	api->mhd = MHD_start_daemon(
		flags, 0, on_accept, api, on_request, api,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_HTTPS_MEM_CERT, api->cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, api->key_pem,
		MHD_OPTION_HTTPS_MEM_TRUST, api->ca_pem,
		MHD_OPTION_HTTPS_PRIORITIES, API_PRIORITIES,
		MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)(conf->threads ? conf->threads : 4),
		MHD_OPTION_CONNECTION_LIMIT, max_conns,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_addr,
		/* Until a request authenticates (on_request raises it). */
		MHD_OPTION_CONNECTION_TIMEOUT, handshake_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, api,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, api,
		MHD_OPTION_END);
	if (!api->mhd) {
		snprintf(err, err_cap, "cannot start HTTPS on %s (address in "
		         "use, or bad certificate/key)", api->listen);
		free_api(api);
		return SDNS_EIO;
	}
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_BIND_PORT);
	api->port = di ? di->port : 0;
	set_public_url(api, conf);
	sdns_log(SDNS_LOG_INFO, "api_listen", "addr=%s port=%u", api->listen,
	         api->port);
	*out = api;
	return SDNS_OK;
}

void sdns_api_stop(sdns_api *api)
{
	if (!api) return;
	api_events_shutdown(api);
	if (api->mhd) MHD_stop_daemon(api->mhd);
	free_api(api);
}

uint16_t sdns_api_port(const sdns_api *api) { return api ? api->port : 0; }

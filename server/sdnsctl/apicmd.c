/* Shared pieces of the API commands; see apicmd.h. */
#include "apicmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"

void ctl_api_opts_init(ctl_api_opts *o)
{
	memset(o, 0, sizeof(*o));
	ctl_conn_opts_init(&o->conn);
	o->conn.timeout_ms = 10000;
	o->api = getenv("SDNS_API");
	if (!o->api || !*o->api)
		o->api = SDNS_APICLIENT_DEFAULT_URL;
}

int ctl_api_opt(ctl_api_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (!strcmp(a, "--json")) {
		o->json = true;
		return 1;
	}
	if (!strcmp(a, "--api")) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "sdnsctl: --api needs a value\n");
			return -1;
		}
		o->api = argv[++*i];
		return 1;
	}
	/* --server/--server-name are DoQ flags: not ours. */
	if (!strcmp(a, "--server") || !strcmp(a, "--server-name"))
		return 0;
	return ctl_conn_opt(&o->conn, argc, argv, i);
}

const char *ctl_flag(int argc, char **argv, int *i, const char *name,
                     bool *bad)
{
	if (strcmp(argv[*i], name) != 0)
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "sdnsctl: %s needs a value\n", name);
		*bad = true;
		return NULL;
	}
	return argv[++*i];
}

static int check_creds(const ctl_api_opts *o, const char *cmd, bool need_cert)
{
	const char *missing = !o->conn.ca ? "--ca (or SDNS_CA)"
	                      : !need_cert ? NULL
	                      : !o->conn.cert ? "--cert (or SDNS_CERT)"
	                      : !o->conn.key ? "--key (or SDNS_KEY)" : NULL;
	if (!missing)
		return 0;
	fprintf(stderr, "sdnsctl %s: %s is required: the API %s\n", cmd, missing,
	        !o->conn.ca ? "is trusted only when its certificate chains to "
	                      "the mesh CA"
	                    : "answers only callers with a mesh certificate");
	return 2;
}

static int send_req(sdns_apiclient *c, const ctl_api_req *req,
                    sdns_apiclient_resp *resp, char *err, size_t cap)
{
	char if_match[64], accept[128];
	const char *hdrs[3] = {NULL, NULL, NULL};
	int n = 0;
	if (req->if_match) {
		snprintf(if_match, sizeof(if_match), "If-Match: \"%s\"", req->if_match);
		hdrs[n++] = if_match;
	}
	if (req->accept) {
		snprintf(accept, sizeof(accept), "Accept: %s", req->accept);
		hdrs[n++] = accept;
	}
	if (req->json)
		return sdns_apiclient_request_json(c, req->method, req->path, hdrs,
		                             req->json, resp, err, cap);
	if (req->stream)
		return sdns_apiclient_request_stream(c, req->method, req->path, hdrs,
		                                     req->ctype, req->stream, resp,
		                                     err, cap);
	return sdns_apiclient_request(c, req->method, req->path, hdrs, req->ctype,
	                        req->body, req->body_len, resp, err, cap);
}

int ctl_api_call(const ctl_api_opts *o, const char *cmd, bool need_cert,
                 const ctl_api_req *req, sdns_apiclient_resp *resp, json_t **out)
{
	memset(resp, 0, sizeof(*resp));
	if (out)
		*out = NULL;
	int st = check_creds(o, cmd, need_cert);
	if (st)
		return st;
	sdns_apiclient_conf conf = {
		.url = o->api, .ca_path = o->conn.ca,
		.cert_path = need_cert ? o->conn.cert : NULL,
		.key_path = need_cert ? o->conn.key : NULL,
		.timeout_ms = o->conn.timeout_ms,
		.max_body = req->max_body,
	};
	char err[768];
	sdns_apiclient *c;
	int rc = sdns_apiclient_new(&conf, &c, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sdnsctl %s: %s\n", cmd, err);
		return rc == SDNS_EINVAL ? 2 : 1;
	}
	rc = send_req(c, req, resp, err, sizeof(err));
	sdns_apiclient_free(c);
	if (req->done)
		req->done(req->done_ctx);
	if (rc < 0) {
		fprintf(stderr, "sdnsctl %s: %s: %s\n", cmd, o->api, err);
		return 1;
	}
	if (resp->status < 200 || resp->status > 299) {
		sdns_apiclient_error_str(resp, err, sizeof(err));
		fprintf(stderr, "sdnsctl %s: %s\n", cmd, err);
		sdns_apiclient_resp_free(resp);
		return 1;
	}
	if (out && resp->body_len &&
	    sdns_apiclient_resp_json(resp, out, err, sizeof(err)) < 0 && !o->json) {
		fprintf(stderr, "sdnsctl %s: %s\n", cmd, err);
		sdns_apiclient_resp_free(resp);
		return 1;
	}
	return 0;
}

void ctl_api_print_raw(const sdns_apiclient_resp *r)
{
	if (!r->body_len)
		return;
	fwrite(r->body, 1, r->body_len, stdout);
	if (r->body[r->body_len - 1] != '\n')
		fputc('\n', stdout);
}

int ctl_api_seg(const char *cmd, const char *s, char *out, size_t cap)
{
	if (sdns_apiclient_escape(s, out, cap) == SDNS_OK && *out)
		return 0;
	fprintf(stderr, "sdnsctl %s: bad argument '%s'\n", cmd, s);
	return 2;
}

const char *ctl_jstr(const json_t *obj, const char *key, char *buf,
                     size_t cap)
{
	const json_t *v = json_object_get(obj, key);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return "-";
}

bool ctl_parse_num(const char *cmd, const char *what, const char *s,
                   long long lo, long long hi, long long *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v < lo || v > hi) {
		fprintf(stderr, "sdnsctl %s: %s wants a number in %lld..%lld, not "
		        "'%s'\n", cmd, what, lo, hi, s);
		return false;
	}
	*out = v;
	return true;
}

/* Shared by the sdnsctl commands that drive the management API (zone,
 * record, peer, audit, enroll): --api/--ca/--cert/--key/--timeout-ms/--json
 * with SDNS_API/SDNS_CA/SDNS_CERT/SDNS_KEY defaults, one call with error
 * printing, and small table helpers. */
#ifndef SDNSCTL_APICMD_H
#define SDNSCTL_APICMD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "sdns/apiclient.h"

typedef struct {
	const char *api;
	ctl_conn_opts conn;    /* ca, cert, key, timeout_ms (shared with DoQ) */
	bool json;             /* print the API's JSON as is */
} ctl_api_opts;

/* A request, and what the caller wants back. */
typedef struct {
	const char *method, *path;   /* path already escaped */
	const json_t *json;          /* body, or NULL */
	const char *ctype;           /* raw body instead of json */
	const void *body;
	size_t body_len;
	const sdns_apiclient_body *stream;  /* a streamed body instead */
	/* Called once the request is over, before anything is printed
	 * (clears a progress line); may be NULL. */
	void (*done)(void *ctx);
	void *done_ctx;
	const char *if_match;        /* serial as given by the user, or NULL */
	const char *accept;          /* Accept header, or NULL */
	size_t max_body;             /* answer limit; 0 = the client's default */
} ctl_api_req;

/* The API options' paragraph of every API command's --help, one text so
 * the default URL is named the same way everywhere. */
#define SDNSCTL_API_HELP \
	"API: --api URL --ca F --cert F --key F [--timeout-ms N] [--json]\n" \
	"(defaults from SDNS_API, else " SDNS_APICLIENT_DEFAULT_URL ", and from\n" \
	"SDNS_CA, SDNS_CERT, SDNS_KEY; `make run` prints the values for its node).\n"

/* Defaults from SDNS_API (else SDNS_APICLIENT_DEFAULT_URL), SDNS_CA, SDNS_CERT,
 * SDNS_KEY. */
void ctl_api_opts_init(ctl_api_opts *o);
/* Handles --api --ca --cert --key --timeout-ms --json at argv[*i].
 * 1 handled, 0 not one of these, -1 bad or missing value (printed). */
int ctl_api_opt(ctl_api_opts *o, int argc, char **argv, int *i);
/* Value of option `name` at argv[*i] (consumed), NULL when argv[*i] is not
 * that option; *bad set when the value is missing (printed). */
const char *ctl_flag(int argc, char **argv, int *i, const char *name,
                     bool *bad);

/* Sends the request and checks the answer. Returns the exit status:
 * 0 with *resp filled (2xx); 1 after printing "sdnsctl CMD: ..." for a
 * transport failure or an API error; 2 for missing credentials. need_cert
 * false: no client certificate (enroll). *out gets the parsed JSON when out
 * is not NULL and the body is JSON (else NULL). */
int ctl_api_call(const ctl_api_opts *o, const char *cmd, bool need_cert,
                 const ctl_api_req *req, sdns_apiclient_resp *resp, json_t **out);

/* Prints the body as the API sent it (for --json). */
void ctl_api_print_raw(const sdns_apiclient_resp *r);
/* Escape a path segment; 2 (usage) with a message when too long. */
int ctl_api_seg(const char *cmd, const char *s, char *out, size_t cap);
/* String field of an object or "-" (integers are formatted into buf). */
const char *ctl_jstr(const json_t *obj, const char *key, char *buf,
                     size_t cap);
/* Parses a decimal in [lo, hi]; false (with a message) otherwise. */
bool ctl_parse_num(const char *cmd, const char *what, const char *s,
                   long long lo, long long hi, long long *out);

#endif

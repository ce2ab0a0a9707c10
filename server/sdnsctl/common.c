/* Shared pieces of the sdnsctl subcommands; see common.h. */
#include "common.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"

void ctl_conn_opts_init(ctl_conn_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->server = getenv("SDNS_SERVER");
	if (!o->server || !*o->server)
		o->server = CTL_DEFAULT_SERVER;
	o->ca = getenv("SDNS_CA");
	o->cert = getenv("SDNS_CERT");
	o->key = getenv("SDNS_KEY");
	o->timeout_ms = 5000;
}

int ctl_conn_opt(ctl_conn_opts *o, int argc, char **argv, int *i)
{
	static const char *const names[] = {"--server", "--server-name", "--ca",
	                                    "--cert", "--key", "--timeout-ms"};
	int which = -1;
	for (int k = 0; k < 6; k++)
		if (!strcmp(argv[*i], names[k]))
			which = k;
	if (which < 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "sdnsctl: %s needs a value\n", names[which]);
		return -1;
	}
	const char *v = argv[++*i];
	switch (which) {
	case 0: o->server = v; break;
	case 1: o->server_name = v; break;
	case 2: o->ca = v; break;
	case 3: o->cert = v; break;
	case 4: o->key = v; break;
	default: {
		char *end;
		long ms = strtol(v, &end, 10);
		if (*end || ms <= 0 || ms > 600000) {
			fprintf(stderr, "sdnsctl: --timeout-ms wants 1..600000\n");
			return -1;
		}
		o->timeout_ms = (uint32_t)ms;
	}
	}
	return 1;
}

int ctl_conn_check(const ctl_conn_opts *o, const char *cmd)
{
	const char *missing = !o->ca ? "--ca (or SDNS_CA)"
	                      : !o->cert ? "--cert (or SDNS_CERT)"
	                      : !o->key ? "--key (or SDNS_KEY)" : NULL;
	if (!missing)
		return 0;
	fprintf(stderr, "sdnsctl %s: %s is required: DoQ servers of the mesh "
	        "answer only clients with a mesh certificate\n", cmd, missing);
	return 2;
}

void ctl_conn_to_client_conf(const ctl_conn_opts *o, sdns_doq_client_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->server = o->server;
	c->server_name = o->server_name;
	c->ca_path = o->ca;
	c->cert_path = o->cert;
	c->key_path = o->key;
	c->timeout_ms = o->timeout_ms;
}

int ctl_make_query(const char *name, const char *type, bool dnssec,
                   uint8_t *buf, size_t cap, size_t *len, char *err,
                   size_t err_cap)
{
	sdns_name qname;
	uint16_t qtype = SDNS_T_A;
	int rc = sdns_name_from_str(&qname, name, strlen(name), NULL);
	if (rc < 0) {
		/* "host.example" without the final dot: take it as absolute. */
		char abs[SDNS_NAME_STR_MAX + 2];
		snprintf(abs, sizeof(abs), "%s.", name);
		rc = sdns_name_from_str(&qname, abs, strlen(abs), NULL);
	}
	if (rc < 0) {
		snprintf(err, err_cap, "bad name '%s': %s", name, sdns_strerror(rc));
		return rc;
	}
	if (type && (rc = sdns_type_from_str(type, strlen(type), &qtype)) < 0) {
		snprintf(err, err_cap, "unknown type '%s'", type);
		return rc;
	}
	sdns_edns e = {.present = true, .udp_size = 1232, .do_bit = dnssec};
	rc = sdns_msg_make_query(buf, cap, len, 0, &qname, qtype, true, &e, 128);
	if (rc < 0)
		snprintf(err, err_cap, "cannot build query: %s", sdns_strerror(rc));
	return rc;
}

int ctl_dispatch(const char *cmd, const ctl_sub *subs, size_t n,
                 void (*usage)(FILE *f), int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].run(argc, argv);
	fprintf(stderr, "sdnsctl %s: unknown subcommand '%s'\n", cmd, argv[1]);
	usage(stderr);
	return 2;
}

const char *ctl_rcode_name(unsigned rcode)
{
	static _Thread_local char buf[16];
	return sdns_rcode_to_str(rcode, buf, sizeof(buf));
}

static unsigned full_rcode(const sdns_msg *m)
{
	return (unsigned)m->edns.ext_rcode << 4 | SDNS_RCODE(m->flags);
}

static void print_flags(FILE *f, uint16_t flags)
{
	static const struct { uint16_t bit; const char *name; } fl[] = {
		{SDNS_F_QR, "qr"}, {SDNS_F_AA, "aa"}, {SDNS_F_TC, "tc"},
		{SDNS_F_RD, "rd"}, {SDNS_F_RA, "ra"}, {SDNS_F_AD, "ad"},
		{SDNS_F_CD, "cd"},
	};
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (flags & fl[i].bit)
			fprintf(f, " %s", fl[i].name);
}

static void print_section(FILE *f, const sdns_msg *m, enum sdns_section sec,
                          const char *title)
{
	if (!m->count[sec])
		return;
	fprintf(f, "\n;; %s SECTION:\n", title);
	static char line[SDNS_RDATA_MAX * 2 + 2048];
	for (uint16_t i = 0; i < m->count[sec]; i++) {
		const sdns_rr *rr = sdns_msg_rr(m, sec, i);
		if (sdns_rr_to_str(rr, line, sizeof(line)) < 0)
			snprintf(line, sizeof(line), "; (record %u not printable)", i);
		fprintf(f, "%s\n", line);
	}
}

/* The opcode as dig names it (RFC 6895 registry). */
static const char *opcode_name(unsigned op, char *buf, size_t cap)
{
	static const char *const names[] = { "QUERY", "IQUERY", "STATUS", NULL,
	                                     "NOTIFY", "UPDATE", "DSO" };
	if (op < sizeof names / sizeof *names && names[op]) return names[op];
	snprintf(buf, cap, "RESERVED%u", op);
	return buf;
}

void ctl_print_dig(FILE *f, const sdns_msg *m, size_t wire_len)
{
	char qn[SDNS_NAME_STR_MAX], tb[16], ob[16];
	fprintf(f, ";; ->>HEADER<<- opcode: %s, status: %s, id: %u\n;; flags:",
	        opcode_name(SDNS_OPCODE(m->flags), ob, sizeof ob),
	        ctl_rcode_name(full_rcode(m)), m->id);
	print_flags(f, m->flags);
	fprintf(f, "; QUERY: %u, ANSWER: %u, AUTHORITY: %u, ADDITIONAL: %u\n",
	        m->qdcount, m->count[0], m->count[1],
	        m->count[2] + (m->edns.present ? 1 : 0));
	if (m->edns.present) {
		fprintf(f, "\n;; OPT PSEUDOSECTION:\n; EDNS: version: %u, flags:%s; "
		        "udp: %u\n", m->edns.version, m->edns.do_bit ? " do" : "",
		        m->edns.udp_size);
		if (m->edns.has_ede)
			fprintf(f, "; EDE: %u: \"%s\"\n", m->edns.ede_code, m->edns.ede_text);
	}
	if (m->qdcount) {
		sdns_name_to_str(&m->qname, qn, sizeof(qn));
		fprintf(f, "\n;; QUESTION SECTION:\n;%s\t\tIN\t%s\n", qn,
		        sdns_type_to_str(m->qtype, tb, sizeof(tb)));
	}
	print_section(f, m, SDNS_SEC_AN, "ANSWER");
	print_section(f, m, SDNS_SEC_NS, "AUTHORITY");
	print_section(f, m, SDNS_SEC_AR, "ADDITIONAL");
	fprintf(f, "\n;; MSG SIZE  rcvd: %zu\n", wire_len);
}

static json_t *section_json(const sdns_msg *m, enum sdns_section sec)
{
	json_t *arr = json_array();
	static char data[SDNS_RDATA_MAX * 2 + 1024];
	for (uint16_t i = 0; i < m->count[sec]; i++) {
		const sdns_rr *rr = sdns_msg_rr(m, sec, i);
		char owner[SDNS_NAME_STR_MAX], tb[16], cb[16];
		sdns_name_to_str(&rr->owner, owner, sizeof(owner));
		if (sdns_rdata_to_str(rr->type, rr->rdata, rr->rdlen, data,
		                      sizeof(data)) < 0)
			data[0] = '\0';
		json_array_append_new(arr, json_pack(
			"{s:s, s:I, s:s, s:s, s:s}", "name", owner, "ttl",
			(json_int_t)rr->ttl, "class",
			sdns_class_to_str(rr->rclass, cb, sizeof(cb)), "type",
			sdns_type_to_str(rr->type, tb, sizeof(tb)), "data", data));
	}
	return arr;
}

void ctl_print_json(FILE *f, const sdns_msg *m, size_t wire_len,
                    double time_ms, const char *server)
{
	char qn[SDNS_NAME_STR_MAX], tb[16];
	sdns_name_to_str(&m->qname, qn, sizeof(qn));
	json_t *flags = json_array();
	static const struct { uint16_t bit; const char *name; } fl[] = {
		{SDNS_F_QR, "qr"}, {SDNS_F_AA, "aa"}, {SDNS_F_TC, "tc"},
		{SDNS_F_RD, "rd"}, {SDNS_F_RA, "ra"}, {SDNS_F_AD, "ad"},
		{SDNS_F_CD, "cd"},
	};
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (m->flags & fl[i].bit)
			json_array_append_new(flags, json_string(fl[i].name));
	json_t *root = json_pack(
		"{s:s, s:i, s:o, s:{s:s, s:s}, s:o, s:o, s:o, s:I, s:f, s:s}",
		"status", ctl_rcode_name(full_rcode(m)), "rcode", (int)full_rcode(m),
		"flags", flags, "question", "name", qn, "type",
		sdns_type_to_str(m->qtype, tb, sizeof(tb)), "answer",
		section_json(m, SDNS_SEC_AN), "authority",
		section_json(m, SDNS_SEC_NS), "additional",
		section_json(m, SDNS_SEC_AR), "size", (json_int_t)wire_len,
		"time_ms", time_ms, "server", server);
	if (m->edns.present) {
		json_t *e = json_pack("{s:i, s:b, s:i}", "version", m->edns.version,
		                      "do", m->edns.do_bit, "udp_size",
		                      m->edns.udp_size);
		if (m->edns.has_ede)
			json_object_set_new(e, "ede", json_pack("{s:i, s:s}", "code",
			                    m->edns.ede_code, "text", m->edns.ede_text));
		json_object_set_new(root, "edns", e);
	}
	json_dumpf(root, f, JSON_INDENT(2));
	fputc('\n', f);
	json_decref(root);
}

/* sdnsctl zone: `check` parses master files locally exactly as sdnsd loads
 * them; `list|create|delete|import|export` drive the management API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apicmd.h"
#include "ctl.h"
#include "sdns/error.h"
#include "sdns/zload.h"

static void usage(FILE *f)
{
	fputs("usage: sdnsctl zone check [ORIGIN=]FILE...\n"
	      "       sdnsctl zone list [API]\n"
	      "       sdnsctl zone create ZONE [--owner NODE] [API]\n"
	      "       sdnsctl zone delete ZONE [API]\n"
	      "       sdnsctl zone import ZONE FILE|- [API]\n"
	      "       sdnsctl zone export ZONE [FILE|-] [API]\n\n"
	      "check: checks master files exactly as sdnsd loads them: syntax\n"
	      "(with line numbers), one SOA at the apex, CNAME exclusivity.\n"
	      "import: replaces every record of ZONE with FILE (origin = ZONE; - =\n"
	      "standard input), streamed: any size up to sdnsd's --import-max.\n"
	      "Progress goes to stderr when it is a terminal; --timeout-ms bounds\n"
	      "each wait, not the whole upload.\n"
	      "export: ZONE as a master file (to standard output, or written to\n"
	      "FILE whole or not at all) that import takes back unchanged.\n\n"
	      SDNSCTL_API_HELP, f);
}

static int zone_check(int argc, char **argv)
{
	int status = 0, files = 0;
	for (int i = 2; i < argc; i++) {
		files++;
		sdns_zone *z;
		char err[512] = "";
		int rc = sdns_zload_spec(argv[i], &z, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "sdnsctl zone: %s\n", err[0] ? err : sdns_strerror(rc));
			status = 1;
			continue;
		}
		char apex[SDNS_NAME_STR_MAX];
		sdns_name_to_str(sdns_zone_apex(z), apex, sizeof(apex));
		printf("%s: zone %s serial %u, %zu records: OK\n", argv[i], apex,
		       sdns_zone_serial(z), sdns_zone_rr_count(z));
		sdns_zone_free(z);
	}
	if (!files) {
		usage(stderr);
		return 2;
	}
	return status;
}

/* Options and positional arguments of one API subcommand. */
typedef struct {
	ctl_api_opts o;
	const char *pos[4];
	int npos;
	const char *owner;
} zone_args;

static int parse_range(int argc, char **argv, zone_args *a, int lo, int hi)
{
	memset(a, 0, sizeof(*a));
	ctl_api_opts_init(&a->o);
	for (int i = 2; i < argc; i++) {
		bool bad = false;
		int r = ctl_api_opt(&a->o, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r)
			continue;
		const char *v = ctl_flag(argc, argv, &i, "--owner", &bad);
		if (bad)
			return 2;
		if (v && !strcmp(argv[1], "create")) {
			a->owner = v;
		} else if (v || (argv[i][0] == '-' && argv[i][1])) {
			fprintf(stderr, "sdnsctl zone %s: unknown option '%s'\n",
			        argv[1], argv[i]);
			return 2;
		} else if (a->npos < 4) {
			a->pos[a->npos++] = argv[i];
		} else {
			a->npos++;
		}
	}
	if (a->npos < lo || a->npos > hi) {
		if (lo == hi)
			fprintf(stderr, "sdnsctl zone %s: wants %d argument%s\n",
			        argv[1], lo, lo == 1 ? "" : "s");
		else
			fprintf(stderr, "sdnsctl zone %s: wants %d to %d arguments\n",
			        argv[1], lo, hi);
		usage(stderr);
		return 2;
	}
	return 0;
}

static int parse(int argc, char **argv, zone_args *a, int want)
{
	return parse_range(argc, argv, a, want, want);
}

static int zone_list(int argc, char **argv)
{
	zone_args a;
	int st = parse(argc, argv, &a, 0);
	if (st)
		return st;
	ctl_api_req req = {.method = "GET", .path = "/zones"};
	sdns_apiclient_resp r;
	json_t *j;
	if ((st = ctl_api_call(&a.o, "zone list", true, &req, &r, &j)))
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		printf("%-32s %10s %-20s %7s  %s\n", "ZONE", "SERIAL", "OWNER",
		       "RECORDS", "UPDATED");
		size_t i;
		json_t *z;
		json_array_foreach(json_object_get(j, "zones"), i, z) {
			char b1[32], b2[32], b3[32], b4[32], b5[32];
			printf("%-32s %10s %-20s %7s  %s\n", ctl_jstr(z, "name", b1, 32),
			       ctl_jstr(z, "serial", b2, 32), ctl_jstr(z, "owner", b3, 32),
			       ctl_jstr(z, "records", b4, 32),
			       ctl_jstr(z, "updated_at", b5, 32));
		}
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

static int zone_create(int argc, char **argv)
{
	zone_args a;
	char seg[600], path[700];
	int st = parse(argc, argv, &a, 1);
	if (st || (st = ctl_api_seg("zone create", a.pos[0], seg, sizeof(seg))))
		return st;
	snprintf(path, sizeof(path), "/zones/%s", seg);
	json_t *body = a.owner ? json_pack("{s:s}", "owner", a.owner) : NULL;
	ctl_api_req req = {.method = "POST", .path = path, .json = body};
	sdns_apiclient_resp r;
	json_t *j;
	st = ctl_api_call(&a.o, "zone create", true, &req, &r, &j);
	json_decref(body);
	if (st)
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		char b1[32], b2[32];
		printf("zone %s created, serial %s, %zu records\n",
		       ctl_jstr(j, "name", b1, 32), ctl_jstr(j, "serial", b2, 32),
		       json_array_size(json_object_get(j, "records")));
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

static int zone_delete(int argc, char **argv)
{
	zone_args a;
	char seg[600], path[700];
	int st = parse(argc, argv, &a, 1);
	if (st || (st = ctl_api_seg("zone delete", a.pos[0], seg, sizeof(seg))))
		return st;
	snprintf(path, sizeof(path), "/zones/%s", seg);
	ctl_api_req req = {.method = "DELETE", .path = path};
	sdns_apiclient_resp r;
	if ((st = ctl_api_call(&a.o, "zone delete", true, &req, &r, NULL)))
		return st;
	if (a.o.json)
		ctl_api_print_raw(&r);
	else
		printf("zone %s deleted\n", a.pos[0]);
	sdns_apiclient_resp_free(&r);
	return 0;
}

/* The master file as it is sent, and what the terminal is told. */
typedef struct {
	FILE *f;
	int64_t total;            /* -1: a pipe */
	bool tty;
	double t0, shown;         /* seconds */
	uint64_t sent, lines;
} import_src;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long src_read(void *ctx, void *buf, size_t cap)
{
	import_src *s = ctx;
	size_t n = fread(buf, 1, cap, s->f);
	if (n == 0 && ferror(s->f))
		return SDNS_EIO;
	for (const char *p = buf, *end = p + n; p < end; p++)
		s->lines += *p == '\n';
	return (long)n;
}

/* One line, rewritten at most 5 times a second, on stderr only. */
static void src_progress(void *ctx, uint64_t sent)
{
	import_src *s = ctx;
	s->sent = sent;
	double t = now_s();
	if (!s->tty || (t - s->shown < 0.2 && (int64_t)sent != s->total))
		return;
	s->shown = t;
	double el = t - s->t0 > 1e-3 ? t - s->t0 : 1e-3;
	if (s->total >= 0)
		fprintf(stderr, "\r\033[Ksent %.1f of %.1f MiB (%.0f%%), %llu lines, "
		        "%.0f lines/s", (double)sent / 1048576,
		        (double)s->total / 1048576,
		        s->total ? 100.0 * (double)sent / (double)s->total : 100.0,
		        (unsigned long long)s->lines, (double)s->lines / el);
	else
		fprintf(stderr, "\r\033[Ksent %.1f MiB, %llu lines, %.0f lines/s",
		        (double)sent / 1048576, (unsigned long long)s->lines,
		        (double)s->lines / el);
	if ((int64_t)sent == s->total)
		fputs(", waiting for the commit", stderr);
}

static int src_open(const char *path, import_src *s)
{
	memset(s, 0, sizeof(*s));
	s->f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!s->f) {
		fprintf(stderr, "sdnsctl zone import: %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct stat st;
	s->total = fstat(fileno(s->f), &st) == 0 && S_ISREG(st.st_mode)
	           ? (int64_t)st.st_size : -1;
	s->tty = isatty(STDERR_FILENO);
	s->t0 = now_s();
	return 0;
}

/* The request is over: the progress line goes. */
static void src_clear(void *ctx)
{
	import_src *s = ctx;
	if (s->tty && s->shown > 0)
		fputs("\r\033[K", stderr);
}

static void src_done(import_src *s, const json_t *j, int st)
{
	if (s->f && s->f != stdin)
		fclose(s->f);
	if (s->tty && st == 0 && j) {
		double el = now_s() - s->t0;
		json_int_t n = json_integer_value(json_object_get(j, "records"));
		fprintf(stderr, "%lld records in %.1f s (%.0f records/s)\n",
		        (long long)n, el, el > 0 ? (double)n / el : 0.0);
	}
}

static int zone_import(int argc, char **argv)
{
	zone_args a;
	char seg[600], path[700];
	int st = parse(argc, argv, &a, 2);
	if (st || (st = ctl_api_seg("zone import", a.pos[0], seg, sizeof(seg))))
		return st;
	import_src src;
	if (src_open(a.pos[1], &src))
		return 1;
	sdns_apiclient_body body = {src.total, src_read, src_progress, &src};
	snprintf(path, sizeof(path), "/zones/%s/import", seg);
	ctl_api_req req = {.method = "POST", .path = path, .ctype = "text/dns",
	                   .stream = &body, .done = src_clear, .done_ctx = &src};
	sdns_apiclient_resp r;
	json_t *j = NULL;
	st = ctl_api_call(&a.o, "zone import", true, &req, &r, &j);
	src_done(&src, j, st);
	if (st)
		return st;
	if (a.o.json) {
		ctl_api_print_raw(&r);
	} else {
		char b1[300], b2[32];
		printf("zone %s: %s records imported from %s\n",
		       ctl_jstr(j, "zone", b1, sizeof(b1)),
		       ctl_jstr(j, "records", b2, 32), a.pos[1]);
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

/* A master file can be as large as sdnsd's --import-max allows. */
#define EXPORT_MAX ((size_t)4 << 30)

/* FILE is replaced only by a whole export: written beside it, then
 * renamed over it. */
static int write_whole(const char *path, const char *buf, size_t len)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof tmp, "%s.part-%ld", path, (long)getpid()) >= (int)sizeof tmp) {
		fprintf(stderr, "sdnsctl zone export: %s: path too long\n", path);
		return 1;
	}
	FILE *f = fopen(tmp, "w");
	bool ok = f && fwrite(buf, 1, len, f) == len;
	ok = f && fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "sdnsctl zone export: %s: %s\n", path, strerror(errno));
		if (f) unlink(tmp);
		return 1;
	}
	return 0;
}

static int zone_export(int argc, char **argv)
{
	zone_args a;
	char seg[600], path[700];
	int st = parse_range(argc, argv, &a, 1, 2);
	if (st || (st = ctl_api_seg("zone export", a.pos[0], seg, sizeof(seg))))
		return st;
	snprintf(path, sizeof(path), "/zones/%s", seg);
	ctl_api_req req = {.method = "GET", .path = path, .accept = "text/dns",
	                   .max_body = EXPORT_MAX};
	sdns_apiclient_resp r;
	if ((st = ctl_api_call(&a.o, "zone export", true, &req, &r, NULL)))
		return st;
	if (strncmp(r.content_type, "text/dns", 8) != 0) {
		fprintf(stderr, "sdnsctl zone export: the server answered %s, not a "
		        "master file (an sdnsd without export?)\n",
		        r.content_type[0] ? r.content_type : "without a type");
		sdns_apiclient_resp_free(&r);
		return 1;
	}
	const char *out = a.npos == 2 ? a.pos[1] : "-";
	if (!strcmp(out, "-")) {
		if (r.body_len && fwrite(r.body, 1, r.body_len, stdout) != r.body_len)
			st = 1;
		if (fflush(stdout) != 0) st = 1;
		if (st) fprintf(stderr, "sdnsctl zone export: standard output: %s\n", strerror(errno));
	} else {
		st = write_whole(out, r.body ? r.body : "", r.body_len);
		const char *serial = r.etag[0] == '"' ? r.etag + 1 : r.etag;
		if (!st)
			fprintf(stderr, "zone %s: exported to %s (%zu bytes, serial %.*s)\n",
			        a.pos[0], out, r.body_len, (int)strcspn(serial, "\""), serial);
	}
	sdns_apiclient_resp_free(&r);
	return st;
}

int ctl_zone(int argc, char **argv)
{
	static const ctl_sub subs[] = {
		{"check", zone_check}, {"list", zone_list}, {"create", zone_create},
		{"delete", zone_delete}, {"import", zone_import},
		{"export", zone_export},
	};
	return ctl_dispatch("zone", subs, sizeof(subs) / sizeof(subs[0]), usage,
	                    argc, argv);
}

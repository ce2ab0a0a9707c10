/* sdnsctl enroll: join the mesh with a one-time token. Makes the TLS key
 * and a CSR (the CSR only contributes the key: the identity comes from the
 * token), an Ed25519 zone key for nodes, POSTs /enroll without a client
 * certificate (the server is still verified against --ca), and stores the
 * returned certificate and CA next to the key. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apicmd.h"
#include "ctl.h"
#include "sdns/identity.h"
#include "sdns/pki.h"

static void usage(FILE *f)
{
	fputs("usage: sdnsctl enroll --api URL --token T --dir DIR [--name N]\n"
	      "         [--alg p256|ed25519] [--doq-endpoint HOST:PORT] --ca F\n\n"
	      "Makes DIR/<role>.key and a CSR, and DIR/zone.key (32-byte seed,\n"
	      "0600) + DIR/zone.pub (base64) for nodes; sends the token, CSR and\n"
	      "zone public key to the API; writes DIR/<role>.pem and DIR/ca.pem.\n"
	      "--ca (or SDNS_CA) is the mesh CA the API must chain to: the token\n"
	      "is never sent to a server that cannot prove it is of the mesh.\n", f);
}

typedef struct {
	ctl_api_opts o;
	const char *token, *dir, *name, *alg, *doq;
	char host[64];
	char key_tmp[4096];
	bool issued;        /* the token is spent: keep the key whatever happens */
	uint8_t zpk[crypto_sign_PUBLICKEYBYTES], zsk[crypto_sign_SECRETKEYBYTES];
} enroll_ctx;

static int parse(int argc, char **argv, enroll_ctx *e)
{
	ctl_api_opts_init(&e->o);
	static const char *const names[] = {"--token", "--dir", "--name", "--alg",
	                                    "--doq-endpoint"};
	const char **vals[] = {&e->token, &e->dir, &e->name, &e->alg, &e->doq};
	for (int i = 1; i < argc; i++) {
		int r = ctl_api_opt(&e->o, argc, argv, &i);
		if (r < 0)
			return 2;
		bool bad = false, hit = r == 1;
		for (size_t k = 0; k < 5 && !hit && !bad; k++) {
			const char *v = ctl_flag(argc, argv, &i, names[k], &bad);
			if (v) {
				*vals[k] = v;
				hit = true;
			}
		}
		if (bad)
			return 2;
		if (!hit) {
			fprintf(stderr, "sdnsctl enroll: unexpected '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!e->token || !e->dir) {
		fprintf(stderr, "sdnsctl enroll: --token and --dir are required\n");
		return 2;
	}
	if (e->alg && strcmp(e->alg, "ed25519") && strcmp(e->alg, "p256")) {
		fprintf(stderr, "sdnsctl enroll: --alg is ed25519 or p256\n");
		return 2;
	}
	return 0;
}

/* The CSR's subject name: --name, else the host name when it is a valid
 * identity part, else "node". The server names the peer from the token. */
static const char *csr_name(enroll_ctx *e)
{
	if (e->name)
		return e->name;
	if (gethostname(e->host, sizeof(e->host) - 1) == 0) {
		/* the first label: a node name has no dots */
		e->host[strcspn(e->host, ".")] = '\0';
		for (char *p = e->host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (sdns_identity_check_part(e->host, strlen(e->host)) == 0)
			return e->host;
	}
	return "node";
}

static int write_new(const char *path, const void *data, size_t len, int mode,
                     bool excl)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
	              (excl ? O_EXCL : O_TRUNC), mode);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, data, len);
	int saved = errno;
	if (close(fd) != 0 && n == (ssize_t)len)
		return -errno;
	return n == (ssize_t)len ? 0 : -(n < 0 ? saved : EIO);
}

static int save(const enroll_ctx *e, const char *base, const void *data,
                size_t len, int mode, bool excl, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", e->dir, base);
	int rc = write_new(out, data, len, mode, excl);
	if (rc < 0)
		fprintf(stderr, "sdnsctl enroll: %s: %s\n", out, strerror(-rc));
	return rc < 0 ? 1 : 0;
}

static int save_zone_key(const enroll_ctx *e, char *pub_b64, size_t cap)
{
	char path[4096];
	sodium_bin2base64(pub_b64, cap, e->zpk, sizeof(e->zpk),
	                  sodium_base64_VARIANT_ORIGINAL);
	char line[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL) + 1];
	snprintf(line, sizeof(line), "%s\n", pub_b64);
	/* The seed is the first half of libsodium's secret key. */
	if (save(e, "zone.key", e->zsk, crypto_sign_SEEDBYTES, 0600, true, path,
	         sizeof(path)) ||
	    save(e, "zone.pub", line, strlen(line), 0644, false, path,
	         sizeof(path)))
		return 1;
	return 0;
}

/* Stores what /enroll returned; the key moves from its temporary name to
 * <role>.key without replacing an existing file. */
static int store_result(enroll_ctx *e, const json_t *j)
{
	const char *uri = json_string_value(json_object_get(j, "spiffe_id"));
	const char *cert = json_string_value(json_object_get(j, "certificate"));
	const char *ca = json_string_value(json_object_get(j, "ca"));
	sdns_identity id;
	if (!uri || !cert || !ca ||
	    sdns_identity_parse_uri(uri, strlen(uri), &id) < 0) {
		fprintf(stderr, "sdnsctl enroll: the API's answer lacks spiffe_id, "
		        "certificate or ca\n");
		return 1;
	}
	const char *role = sdns_role_name(id.role);
	char key[4096], base[32], cert_path[4096], ca_path[4096];
	char zpub[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	snprintf(key, sizeof(key), "%s/%s.key", e->dir, role);
	if (link(e->key_tmp, key) != 0) {
		fprintf(stderr, "sdnsctl enroll: %s: %s (the new key stays in %s)\n",
		        key, strerror(errno), e->key_tmp);
		return 1;
	}
	unlink(e->key_tmp);
	snprintf(base, sizeof(base), "%s.pem", role);
	if (save(e, base, cert, strlen(cert), 0644, false, cert_path,
	         sizeof(cert_path)) ||
	    save(e, "ca.pem", ca, strlen(ca), 0644, false, ca_path,
	         sizeof(ca_path)) ||
	    (id.role == SDNS_ROLE_NODE && save_zone_key(e, zpub, sizeof(zpub))))
		return 1;
	printf("enrolled as %s (peer %lld)\n", id.uri,
	       (long long)json_integer_value(json_object_get(j, "id")));
	printf("certificate: %s\nkey:         %s\nCA:          %s\n", cert_path,
	       key, ca_path);
	if (id.role == SDNS_ROLE_NODE)
		printf("zone key:    %s/zone.key (public %s)\n", e->dir, zpub);
	return 0;
}

/* A directory that already holds a key is not enrolled into again: the
 * token would be spent and the result could not be stored. */
static bool holds_identity(const char *dir)
{
	static const char *const keys[] = {"node.key", "admin.key", "client.key",
	                                   "zone.key"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", dir, keys[i]);
		if (access(p, F_OK) == 0) {
			fprintf(stderr, "sdnsctl enroll: %s already exists: enroll into "
			        "an empty directory\n", p);
			return true;
		}
	}
	return false;
}

static int send_enroll(enroll_ctx *e, const char *csr)
{
	char zpub[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(zpub, sizeof(zpub), e->zpk, sizeof(e->zpk),
	                  sodium_base64_VARIANT_ORIGINAL);
	json_t *body = json_pack("{s:s, s:s, s:s}", "token", e->token, "csr", csr,
	                         "zone_key", zpub);
	if (e->doq)
		json_object_set_new(body, "doq_endpoint", json_string(e->doq));
	ctl_api_req req = {.method = "POST", .path = "/enroll", .json = body};
	sdns_apiclient_resp r;
	json_t *j;
	int st = ctl_api_call(&e->o, "enroll", false, &req, &r, &j);
	json_decref(body);
	if (st)
		return st;
	e->issued = true;
	st = store_result(e, j);
	if (!st && e->o.json)
		ctl_api_print_raw(&r);
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return st;
}

int ctl_enroll(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
	enroll_ctx *e = calloc(1, sizeof(*e));
	if (!e || sodium_init() < 0) {
		free(e);
		return 1;
	}
	int st = parse(argc, argv, e);
	if (st || !e->o.conn.ca) {
		if (!st)
			fprintf(stderr, "sdnsctl enroll: --ca (or SDNS_CA) is required: "
			        "the mesh CA the API must chain to\n");
		free(e);
		return 2;
	}
	if (mkdir(e->dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "sdnsctl enroll: %s: %s\n", e->dir, strerror(errno));
		free(e);
		return 1;
	}
	if (holds_identity(e->dir)) {
		free(e);
		return 1;
	}
	snprintf(e->key_tmp, sizeof(e->key_tmp), "%s/enroll-%ld.key", e->dir,
	         (long)getpid());
	char err[512], *csr = NULL;
	/* P-256 unless told: a browser takes it (see sdnsctl pki init) */
	sdns_keyalg alg = e->alg && !strcmp(e->alg, "ed25519") ? SDNS_KEY_ED25519
	                                                      : SDNS_KEY_P256;
	if (sdns_pki_make_csr(e->key_tmp, alg, csr_name(e), &csr, err,
	                      sizeof(err)) < 0) {
		fprintf(stderr, "sdnsctl enroll: %s\n", err);
		free(e);
		return 1;
	}
	crypto_sign_keypair(e->zpk, e->zsk);
	st = send_enroll(e, csr);
	if (st && !e->issued)
		unlink(e->key_tmp);
	free(csr);
	sodium_memzero(e, sizeof(*e));
	free(e);
	return st;
}

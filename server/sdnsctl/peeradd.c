/* sdnsctl peer add: register a node certified elsewhere in this mesh
 * (POST /peers) with its DoQ endpoint and zone key (the trust anchor of its
 * zone), and the zone-key file formats both this and `pki zonekey` use. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apicmd.h"
#include "ctl.h"

#define PEM_MAX 16384

static int read_small(const char *path, char *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	*len = fread(buf, 1, cap - 1, f);
	int bad = ferror(f) || !feof(f);
	fclose(f);
	buf[*len] = 0;
	return bad ? -1 : 0;
}

/* B64 | FILE holding base64 (zone.pub) | FILE of 32 raw seed bytes
 * (zone.key: the public half is derived). */
int ctl_zone_pub(const char *arg, uint8_t pub[32])
{
	char buf[256];
	size_t len = 0, n = 0;
	const char *b64 = arg;
	if (read_small(arg, buf, sizeof(buf), &len) == 0) {
		if (len == crypto_sign_SEEDBYTES) {
			uint8_t sk[crypto_sign_SECRETKEYBYTES];
			crypto_sign_seed_keypair(pub, sk, (const uint8_t *)buf);
			sodium_memzero(sk, sizeof(sk));
			sodium_memzero(buf, sizeof(buf));
			return 0;
		}
		buf[strcspn(buf, "\r\n")] = 0;
		b64 = buf;
	}
	if (sodium_base642bin(pub, 32, b64, strlen(b64), NULL, &n, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 || n != 32)
		return -1;
	return 0;
}

static int write_excl(const char *path, const void *d, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, d, len);
	int saved = errno;
	if (close(fd) != 0 && w == (ssize_t)len)
		return -errno;
	return w == (ssize_t)len ? 0 : -(w < 0 ? saved : EIO);
}

/* DIR/zone.key (seed, 0600, never replaced) + DIR/zone.pub (base64). */
int ctl_zonekey_write(const char *dir, char *pub_b64, size_t cap)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	if (sodium_init() < 0 || cap < 45)
		return -EINVAL;
	crypto_sign_keypair(pk, sk);
	char path[4096], line[64];
	snprintf(path, sizeof(path), "%s/zone.key", dir);
	int rc = write_excl(path, sk, crypto_sign_SEEDBYTES, 0600);
	sodium_memzero(sk, sizeof(sk));
	if (rc < 0) {
		fprintf(stderr, "sdnsctl: %s: %s\n", path, strerror(-rc));
		return rc;
	}
	sodium_bin2base64(pub_b64, cap, pk, sizeof(pk),
	                  sodium_base64_VARIANT_ORIGINAL);
	snprintf(line, sizeof(line), "%s\n", pub_b64);
	snprintf(path, sizeof(path), "%s/zone.pub", dir);
	unlink(path);
	rc = write_excl(path, line, strlen(line), 0644);
	if (rc < 0)
		fprintf(stderr, "sdnsctl: %s: %s\n", path, strerror(-rc));
	return rc;
}

static json_t *add_body(const char *cmd, const char *cert, const char *ep,
                        const char *zk)
{
	static char pem[PEM_MAX + 1];
	size_t len = 0;
	if (read_small(cert, pem, sizeof(pem), &len) != 0 || len == 0) {
		fprintf(stderr, "sdnsctl %s: cannot read %s (at most 16 KiB)\n",
		        cmd, cert);
		return NULL;
	}
	uint8_t pub[32];
	char b64[64];
	if (ctl_zone_pub(zk, pub) != 0) {
		fprintf(stderr, "sdnsctl %s: --zone-key: base64 of 32 bytes, a "
		        "zone.pub or a zone.key file\n", cmd);
		return NULL;
	}
	sodium_bin2base64(b64, sizeof(b64), pub, 32,
	                  sodium_base64_VARIANT_ORIGINAL);
	return json_pack("{s:s,s:s,s:s}", "certificate", pem, "doq_endpoint", ep,
	                 "zone_key", b64);
}

int ctl_peer_add(ctl_api_opts *o, const char *cmd, const char *cert,
                 const char *ep, const char *zk)
{
	if (!cert || !ep || !zk) {
		fprintf(stderr, "sdnsctl %s: --cert, --endpoint and --zone-key are "
		        "required\n", cmd);
		return 2;
	}
	json_t *body = add_body(cmd, cert, ep, zk);
	if (!body)
		return 2;
	ctl_api_req req = {.method = "POST", .path = "/peers", .json = body};
	sdns_apiclient_resp r;
	json_t *j;
	int st = ctl_api_call(o, cmd, true, &req, &r, &j);
	json_decref(body);
	if (st)
		return st;
	if (o->json) {
		ctl_api_print_raw(&r);
	} else {
		char b[3][200];
		printf("peer %s %s at %s added\n", ctl_jstr(j, "id", b[0], 200),
		       ctl_jstr(j, "spiffe_id", b[1], 200),
		       ctl_jstr(j, "doq_endpoint", b[2], 200));
	}
	json_decref(j);
	sdns_apiclient_resp_free(&r);
	return 0;
}

/* --peer-cert is the certificate of the node being added; --cert/--key stay
 * the caller's own identity, as in every other API command. */
int ctl_peer_add_main(int argc, char **argv)
{
	ctl_api_opts o;
	ctl_api_opts_init(&o);
	const char *cert = NULL, *ep = NULL, *zk = NULL;
	static const char *const names[] = {"--peer-cert", "--endpoint",
	                                    "--zone-key"};
	const char **slots[] = {&cert, &ep, &zk};
	for (int i = 2; i < argc; i++) {
		bool bad = false, hit = false;
		for (size_t k = 0; k < 3 && !hit && !bad; k++) {
			const char *v = ctl_flag(argc, argv, &i, names[k], &bad);
			if (v) {
				*slots[k] = v;
				hit = true;
			}
		}
		if (bad)
			return 2;
		if (hit)
			continue;
		int r = ctl_api_opt(&o, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r == 0) {
			fprintf(stderr, "sdnsctl peer add: unknown argument '%s'\n",
			        argv[i]);
			return 2;
		}
	}
	return ctl_peer_add(&o, "peer add", cert, ep, zk);
}

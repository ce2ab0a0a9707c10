/* The audit signing key: from the node's Ed25519 PEM key (OpenSSL), fresh,
 * or a 32-byte seed file. Secrets are wiped from the stack after use. */
#include "sdns/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "audit_int.h"
#include "sdns/error.h"

#define SEED_LEN crypto_sign_SEEDBYTES

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_rc;

static void sodium_start(void)
{
	sodium_rc = sodium_init() < 0 ? SDNS_ECRYPTO : SDNS_OK;
}

int audit_sodium_ready(void)
{
	if (pthread_once(&sodium_once, sodium_start) != 0)
		return SDNS_ECRYPTO;
	return sodium_rc;
}

static int from_seed(const uint8_t seed[SEED_LEN], sdns_audit_key *out)
{
	int rc = audit_sodium_ready();
	if (rc < 0)
		return rc;
	return crypto_sign_seed_keypair(out->pub, out->sec, seed) == 0
	               ? SDNS_OK : SDNS_ECRYPTO;
}

/* The 32-byte seed of an Ed25519 key (RFC 8410 keeps exactly that). */
static int ed25519_seed(EVP_PKEY *k, uint8_t seed[SEED_LEN])
{
	if (!EVP_PKEY_is_a(k, "ED25519"))
		return SDNS_ETYPE;
	size_t len = SEED_LEN;
	if (EVP_PKEY_get_raw_private_key(k, seed, &len) != 1 || len != SEED_LEN)
		return SDNS_ECRYPTO;
	return SDNS_OK;
}

int sdns_audit_key_load(const char *pem_path, sdns_audit_key *out)
{
	if (!pem_path || !out)
		return SDNS_EINVAL;
	FILE *f = fopen(pem_path, "re");
	if (!f)
		return sdns_err_from_errno(errno);
	/* An empty passphrase: an encrypted key fails instead of prompting. */
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
	fclose(f);
	ERR_clear_error();
	if (!k)
		return SDNS_EMALF;
	uint8_t seed[SEED_LEN];
	int rc = ed25519_seed(k, seed);
	EVP_PKEY_free(k);
	if (rc == SDNS_OK)
		rc = from_seed(seed, out);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int sdns_audit_key_generate(sdns_audit_key *out)
{
	if (!out)
		return SDNS_EINVAL;
	int rc = audit_sodium_ready();
	if (rc < 0)
		return rc;
	return crypto_sign_keypair(out->pub, out->sec) == 0 ? SDNS_OK
	                                                    : SDNS_ECRYPTO;
}

static int write_all(int fd, const uint8_t *p, size_t left)
{
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SDNS_EIO;
		p += n;
		left -= (size_t)n;
	}
	return SDNS_OK;
}

int sdns_audit_key_save_seed(const sdns_audit_key *k, const char *path)
{
	if (!k || !path)
		return SDNS_EINVAL;
	int rc = audit_sodium_ready();
	if (rc < 0)
		return rc;
	uint8_t seed[SEED_LEN];
	if (crypto_sign_ed25519_sk_to_seed(seed, k->sec) != 0)
		return SDNS_ECRYPTO;
	/* 0600 from the first byte, and never over an existing key. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		sodium_memzero(seed, sizeof(seed));
		return sdns_err_from_errno(errno);
	}
	rc = write_all(fd, seed, sizeof(seed));
	sodium_memzero(seed, sizeof(seed));
	if (close(fd) != 0)
		rc = SDNS_EIO;
	/* A short key file must not stay behind to block the next try. */
	if (rc < 0)
		unlink(path);
	return rc;
}

/* Exactly SEED_LEN bytes, then end of file. */
static int read_seed(int fd, uint8_t seed[SEED_LEN])
{
	size_t got = 0;
	uint8_t extra;
	while (got < SEED_LEN) {
		ssize_t n = read(fd, seed + got, SEED_LEN - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return SDNS_EIO;
		if (n == 0)
			return SDNS_EMALF;
		got += (size_t)n;
	}
	ssize_t n;
	do
		n = read(fd, &extra, 1);
	while (n < 0 && errno == EINTR);
	return n == 0 ? SDNS_OK : n < 0 ? SDNS_EIO : SDNS_EMALF;
}

int sdns_audit_key_load_seed(const char *path, sdns_audit_key *out)
{
	if (!path || !out)
		return SDNS_EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sdns_err_from_errno(errno);
	uint8_t seed[SEED_LEN];
	int rc = read_seed(fd, seed);
	close(fd);
	if (rc == SDNS_OK)
		rc = from_seed(seed, out);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

/* PKI files: error texts, writing new files safely, loading PEM. */
#include "pki_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "sdns/error.h"

int pki_fail(char *err, size_t cap, int code, const char *what,
             const char *why)
{
	char ossl[256] = "unknown";
	unsigned long e = ERR_peek_last_error();
	if (!why && e) {
		const char *r = ERR_reason_error_string(e);
		if (r)
			snprintf(ossl, sizeof(ossl), "%s", r);
		else
			ERR_error_string_n(e, ossl, sizeof(ossl));
	}
	ERR_clear_error();
	if (err && cap)
		snprintf(err, cap, "%s : %s", what, why ? why : ossl);
	return code;
}

int pki_write_file(const char *path, const void *data, size_t len, int mode,
                   bool excl, char *err, size_t cap)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (excl ? O_EXCL : O_TRUNC);
	int fd = open(path, flags, mode);
	if (fd < 0)
		return pki_fail(err, cap, sdns_err_from_errno(errno), path, strerror(errno));
	const uint8_t *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	int saved = errno;
	if (close(fd) != 0 && left == 0) {
		left = 1;
		saved = errno;
	}
	if (left == 0)
		return SDNS_OK;
	/* A half-written key must not stay behind to block the next try. */
	if (excl)
		unlink(path);
	return pki_fail(err, cap, SDNS_EIO, path, strerror(saved));
}

/* Drains a memory BIO into a file; the BIO is freed. */
static int bio_to_file(BIO *b, const char *path, int mode, bool excl,
                       char *err, size_t cap)
{
	char *data = NULL;
	long len = BIO_get_mem_data(b, &data);
	int rc = len < 0 ? SDNS_ECRYPTO
	                 : pki_write_file(path, data, (size_t)len, mode, excl,
	                                  err, cap);
	BIO_free(b);
	return rc;
}

int pki_write_key(const char *path, EVP_PKEY *key, char *err, size_t cap)
{
	BIO *b = BIO_new(BIO_s_secmem());
	if (!b)
		return pki_fail(err, cap, SDNS_ENOMEM, path, NULL);
	if (!PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(b);
		return pki_fail(err, cap, SDNS_ECRYPTO, path, NULL);
	}
	return bio_to_file(b, path, 0600, true, err, cap);
}

int pki_write_cert(const char *path, X509 *x, char *err, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return pki_fail(err, cap, SDNS_ENOMEM, path, NULL);
	if (!PEM_write_bio_X509(b, x)) {
		BIO_free(b);
		return pki_fail(err, cap, SDNS_ECRYPTO, path, NULL);
	}
	return bio_to_file(b, path, 0644, false, err, cap);
}

int pki_load_cert(const char *path, X509 **out, char *err, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return pki_fail(err, cap, sdns_err_from_errno(errno), path, strerror(errno));
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		return pki_fail(err, cap, SDNS_ECERT, path,
		                "not a PEM certificate");
	ERR_clear_error();
	*out = x;
	return SDNS_OK;
}

int pki_load_key(const char *path, EVP_PKEY **out, char *err, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return pki_fail(err, cap, sdns_err_from_errno(errno), path, strerror(errno));
	/* An empty passphrase: an encrypted key fails instead of prompting. */
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
	fclose(f);
	if (!k)
		return pki_fail(err, cap, SDNS_ECERT, path,
		                "not an unencrypted PEM private key");
	ERR_clear_error();
	*out = k;
	return SDNS_OK;
}

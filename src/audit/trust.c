/* The audit keys a node believes: its own and those an operator listed in
 * a trust file. Never a key read from the database. */
#include "sdns/audithead.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit_int.h"
#include "sdns/error.h"

int sdns_audit_pub_parse(const char *text, uint8_t pub[SDNS_AUDIT_PUB_LEN])
{
	if (!text || !pub)
		return SDNS_EINVAL;
	size_t n = strlen(text);
	if (n == 2 * SDNS_AUDIT_PUB_LEN)
		return sdns_audit_unhex(text, pub, SDNS_AUDIT_PUB_LEN);
	if (n != SDNS_AUDIT_PUB_B64_LEN || audit_sodium_ready() < 0)
		return SDNS_EINVAL;
	size_t got = 0;
	const char *end = NULL;
	if (sodium_base642bin(pub, SDNS_AUDIT_PUB_LEN, text, n, NULL, &got, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != SDNS_AUDIT_PUB_LEN || end != text + n)
		return SDNS_EINVAL;
	return SDNS_OK;
}

void sdns_audit_pub_b64(const uint8_t pub[SDNS_AUDIT_PUB_LEN], char *out)
{
	sodium_bin2base64(out, SDNS_AUDIT_PUB_B64_LEN + 1, pub,
	                  SDNS_AUDIT_PUB_LEN, sodium_base64_VARIANT_ORIGINAL);
}

const sdns_audit_trusted *sdns_audit_trust_find(const sdns_audit_trust *t,
                                                const uint8_t *pub)
{
	for (size_t i = 0; t && pub && i < t->n; i++)
		if (sodium_memcmp(t->k[i].pub, pub, SDNS_AUDIT_PUB_LEN) == 0)
			return &t->k[i];
	return NULL;
}

const sdns_audit_trusted *sdns_audit_trust_by_name(const sdns_audit_trust *t,
                                                   const char *name)
{
	for (size_t i = 0; t && name && *name && i < t->n; i++)
		if (strcmp(t->k[i].name, name) == 0)
			return &t->k[i];
	return NULL;
}

int sdns_audit_trust_add(sdns_audit_trust *t, const char *name,
                         const uint8_t pub[SDNS_AUDIT_PUB_LEN])
{
	if (!t || !pub)
		return SDNS_EINVAL;
	if (name && strlen(name) >= SDNS_AUDIT_NAME_MAX)
		return SDNS_EINVAL;
	if (sdns_audit_trust_find(t, pub))
		return SDNS_OK;
	if (t->n >= SDNS_AUDIT_TRUST_MAX)
		return SDNS_ELIMIT;
	sdns_audit_trusted *k = &t->k[t->n++];
	snprintf(k->name, sizeof k->name, "%s", name ? name : "");
	memcpy(k->pub, pub, SDNS_AUDIT_PUB_LEN);
	return SDNS_OK;
}

/* One line: "KEY" or "NAME KEY", white space around either. */
static int trust_line(sdns_audit_trust *t, char *s)
{
	s += strspn(s, " \t");
	if (*s == '#')
		return SDNS_OK;
	char *tok[3] = { NULL, NULL, NULL };
	int n = 0;
	for (char *save = NULL, *p = strtok_r(s, " \t\r\n", &save); p;
	     p = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == 3)
			return SDNS_ESYNTAX;
		tok[n++] = p;
	}
	if (n == 0)
		return SDNS_OK;
	if (n > 2)
		return SDNS_ESYNTAX;
	uint8_t pub[SDNS_AUDIT_PUB_LEN];
	const char *name = n == 2 ? tok[0] : NULL;
	if (sdns_audit_pub_parse(tok[n - 1], pub) != SDNS_OK)
		return SDNS_ESYNTAX;
	int rc = sdns_audit_trust_add(t, name, pub);
	return rc == SDNS_EINVAL ? SDNS_ESYNTAX : rc;
}

int sdns_audit_trust_load(sdns_audit_trust *t, const char *path, int *line)
{
	if (line)
		*line = 0;
	if (!t || !path)
		return SDNS_EINVAL;
	FILE *f = fopen(path, "re");
	if (!f)
		return sdns_err_from_errno(errno);
	char buf[512];
	int rc = SDNS_OK, no = 0;
	while (rc == SDNS_OK && fgets(buf, sizeof buf, f)) {
		no++;
		if (!strchr(buf, '\n') && !feof(f))
			rc = SDNS_ESYNTAX; /* a line this long is not a key */
		else
			rc = trust_line(t, buf);
	}
	if (rc == SDNS_OK && ferror(f))
		rc = SDNS_EIO;
	fclose(f);
	if (rc < 0 && line)
		*line = no;
	return rc;
}

/* `sdnsctl pki init`: a whole starter PKI in one directory. */
#include "pki_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sdns/error.h"
#include "sdns/identity.h"

static const char *const default_sans[] = {"localhost", "127.0.0.1", "::1"};

/* dir/file into buf. */
static int path_in(char *buf, size_t cap, const char *dir, const char *file,
                   char *err, size_t err_cap)
{
	int n = snprintf(buf, cap, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= cap)
		return pki_fail(err, err_cap, SDNS_EINVAL, dir, "path too long");
	return SDNS_OK;
}

/* The host name, lowercased, as the default node name. */
static int host_node_name(char *buf, size_t cap, char *err, size_t err_cap)
{
	if (gethostname(buf, cap) != 0 || buf[cap - 1] != '\0')
		return pki_fail(err, err_cap, SDNS_EINVAL, "node",
		                "no usable host name; give --node");
	buf[cap - 1] = '\0';
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (sdns_identity_check_part(buf, strlen(buf)) < 0)
		return pki_fail(err, err_cap, SDNS_EINVAL, buf,
		                "host name is not a valid node name; give --node");
	return SDNS_OK;
}

static int check_init(const sdns_pki_init_opts *o, char *err, size_t cap)
{
	if (!o || !o->dir || !*o->dir)
		return pki_fail(err, cap, SDNS_EINVAL, "init", "missing directory");
	const char *parts[] = {o->mesh, o->node, o->admin};
	for (size_t i = 0; i < 3; i++)
		if (parts[i] && sdns_identity_check_part(parts[i], strlen(parts[i])) < 0)
			return pki_fail(err, cap, SDNS_EINVAL, parts[i],
			                "name must be 1-63 of a-z 0-9 . - (lowercase)");
	if (o->node && sdns_identity_check_name(SDNS_ROLE_NODE, o->node,
	                                        strlen(o->node)) < 0)
		return pki_fail(err, cap, SDNS_EINVAL, o->node,
		                "a node name is one label, no '.' (its zone is "
		                "<name>.<mesh>)");
	if (o->alg != SDNS_KEY_ED25519 && o->alg != SDNS_KEY_P256)
		return pki_fail(err, cap, SDNS_EINVAL, "alg", "unknown key type");
	return SDNS_OK;
}

/* The directory may exist (empty or not); a missing last component is made
 * private to the user. */
static int ensure_dir(const char *dir, char *err, size_t cap)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
		struct stat st;
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return SDNS_OK;
		return pki_fail(err, cap, SDNS_EIO, dir, "not a directory");
	}
	return pki_fail(err, cap, errno == ENOENT ? SDNS_ENOTFOUND : SDNS_EIO,
	                dir, strerror(errno));
}

typedef struct {
	char ca_pem[4096], ca_key[4096];
	char node_pem[4096], node_key[4096];
	char admin_pem[4096], admin_key[4096], admin_p12[4096];
} init_paths;

static int make_paths(init_paths *p, const char *dir, char *err, size_t cap)
{
	struct { char *buf; const char *file; } f[] = {
		{p->ca_pem, "ca.pem"},       {p->ca_key, "ca.key"},
		{p->node_pem, "node.pem"},   {p->node_key, "node.key"},
		{p->admin_pem, "admin.pem"}, {p->admin_key, "admin.key"},
		{p->admin_p12, "admin.p12"},
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		int rc = path_in(f[i].buf, sizeof(p->ca_pem), dir, f[i].file, err, cap);
		if (rc < 0)
			return rc;
	}
	return SDNS_OK;
}

int sdns_pki_init(const sdns_pki_init_opts *o, char *err, size_t err_cap)
{
	int rc = check_init(o, err, err_cap);
	if (rc < 0)
		return rc;
	char host[SDNS_ID_PART_MAX];
	const char *node = o->node;
	if (!node && (rc = host_node_name(host, sizeof(host), err, err_cap)) < 0)
		return rc;
	node = node ? node : host;
	const char *mesh = o->mesh ? o->mesh : "mesh";
	init_paths *p = calloc(1, sizeof(*p));
	if (!p)
		return pki_fail(err, err_cap, SDNS_ENOMEM, "init", "out of memory");
	if ((rc = make_paths(p, o->dir, err, err_cap)) < 0 ||
	    (rc = ensure_dir(o->dir, err, err_cap)) < 0)
		goto out;
	/* Checked before anything is written, so a refused init leaves the
	 * directory as it was. */
	if (access(p->ca_key, F_OK) == 0) {
		rc = pki_fail(err, err_cap, SDNS_EEXIST, p->ca_key,
		              "a CA already exists here; not overwriting it");
		goto out;
	}
	const char *keys[] = {p->node_key, p->admin_key, p->admin_p12};
	for (size_t i = 0; i < 3; i++)
		if (access(keys[i], F_OK) == 0) {
			rc = pki_fail(err, err_cap, SDNS_EEXIST, keys[i],
			              "already exists; not overwriting it");
			goto out;
		}
	sdns_pki_ca_opts ca = {.cert_path = p->ca_pem, .key_path = p->ca_key,
	                       .mesh = mesh, .alg = o->alg};
	if ((rc = sdns_pki_make_ca(&ca, err, err_cap)) < 0)
		goto out;
	sdns_pki_leaf_opts leaf = {
		.ca_cert_path = p->ca_pem, .ca_key_path = p->ca_key,
		.cert_path = p->node_pem, .key_path = p->node_key,
		.role = SDNS_ROLE_NODE, .mesh = mesh, .name = node,
		.sans = o->n_sans ? o->sans : default_sans,
		.n_sans = o->n_sans ? o->n_sans : 3, .alg = o->alg,
	};
	if ((rc = sdns_pki_issue(&leaf, err, err_cap)) < 0)
		goto out;
	leaf.cert_path = p->admin_pem, leaf.key_path = p->admin_key;
	leaf.p12_path = p->admin_p12;
	leaf.p12_pass = o->p12_pass ? o->p12_pass : "";
	leaf.role = SDNS_ROLE_ADMIN, leaf.name = o->admin ? o->admin : "admin";
	leaf.sans = NULL, leaf.n_sans = 0;
	rc = sdns_pki_issue(&leaf, err, err_cap);
out:
	free(p);
	return rc;
}

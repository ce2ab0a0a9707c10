/* Checkpoints of the audit chain: save the server's signed head, and check
 * later that the chain still holds it. The head's own signature shows who
 * vouched for it; the entry at its id must keep its hash, which (the chain
 * being a hash chain) pins every entry before it too. */
#include "auditcp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sdns/error.h"

static int read_pub(const char *arg, uint8_t pub[SDNS_AUDIT_PUB_LEN])
{
	if (sdns_audit_pub_parse(arg, pub) == SDNS_OK)
		return 0;
	FILE *f = fopen(arg, "re");
	char line[200] = "";
	if (f) {
		if (!fgets(line, sizeof line, f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, " \t\r\n")] = '\0';
	return sdns_audit_pub_parse(line, pub) == SDNS_OK ? 0 : -1;
}

int ctl_checkpoint_load(const char *path, const char *pub_arg,
                        ctl_checkpoint *cp)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) {
		fprintf(stderr, "sdnsctl audit verify: %s: %s\n", path, je.text);
		return 1;
	}
	int rc = sdns_audit_head_from_json(j, &cp->h);
	json_decref(j);
	if (rc) {
		fprintf(stderr, "sdnsctl audit verify: %s: not an audit checkpoint "
		        "(want id, hash, ts, signer_pub, sig)\n", path);
		return 1;
	}
	if (sdns_audit_head_verify(&cp->h) != SDNS_OK) {
		fprintf(stderr, "sdnsctl audit verify: %s: the checkpoint's "
		        "signature does not verify\n", path);
		return 1;
	}
	uint8_t want[SDNS_AUDIT_PUB_LEN];
	if (pub_arg && read_pub(pub_arg, want) < 0) {
		fprintf(stderr, "sdnsctl audit verify: --audit-pub: not a key "
		        "(base64, hex, or a file holding one)\n");
		return 2;
	}
	if (pub_arg && memcmp(want, cp->h.pub, sizeof want) != 0) {
		fprintf(stderr, "sdnsctl audit verify: %s: signed by another key "
		        "than --audit-pub\n", path);
		return 1;
	}
	return 0;
}

int ctl_checkpoint_check(const ctl_api_opts *o, const ctl_checkpoint *cp,
                         const json_t *verify)
{
	const char *cmd = "sdnsctl audit verify";
	json_t *head = json_object_get(verify, "head");
	json_int_t end = json_integer_value(json_object_get(head, "id"));
	long long id = (long long)cp->h.id;
	if (!json_is_integer(json_object_get(head, "id"))) {
		fprintf(stderr, "%s: the server's verify does not name its head "
		        "(an older sdnsd?)\n", cmd);
		return 1;
	}
	if (end < cp->h.id) {
		fprintf(stderr, "%s: CHECKPOINT FAILED: the chain is shorter than "
		        "the checkpoint of %s: it ends at entry %lld, the "
		        "checkpoint saw entry %lld (entries were removed)\n", cmd,
		        cp->h.ts, (long long)end, id);
		return 1;
	}
	char want[65], got[65] = "";
	sdns_audit_hex(cp->h.hash, SDNS_AUDIT_HASH_LEN, want);
	if (id > 0) {
		char path[64];
		snprintf(path, sizeof path, "/audit?after=%lld&limit=1", id - 1);
		ctl_api_req req = {.method = "GET", .path = path};
		sdns_apiclient_resp r;
		json_t *j;
		if (ctl_api_call(o, "audit verify", true, &req, &r, &j))
			return 1;
		json_t *e = json_array_get(json_object_get(j, "entries"), 0);
		bool there = e && json_integer_value(json_object_get(e, "id")) == id;
		const char *h = there ? json_string_value(json_object_get(e, "hash"))
		                      : NULL;
		snprintf(got, sizeof got, "%s", h ? h : "");
		json_decref(j);
		sdns_apiclient_resp_free(&r);
		if (!there) {
			fprintf(stderr, "%s: CHECKPOINT FAILED: entry %lld of the "
			        "checkpoint of %s is gone (the chain was cut and "
			        "regrown)\n", cmd, id, cp->h.ts);
			return 1;
		}
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "%s: CHECKPOINT FAILED: entry %lld has hash "
			        "%s, the checkpoint of %s says %s (the chain was "
			        "rewritten)\n", cmd, id, got, cp->h.ts, want);
			return 1;
		}
	}
	if (!o->json)
		printf("checkpoint OK: entry %lld still has the hash it had at %s; "
		       "the chain now ends at entry %lld\n", id, cp->h.ts,
		       (long long)end);
	return 0;
}

int ctl_checkpoint_save(const ctl_api_opts *o, const char *path)
{
	const char *cmd = "sdnsctl audit checkpoint";
	ctl_api_req req = {.method = "GET", .path = "/audit/head"};
	sdns_apiclient_resp r;
	json_t *j;
	int st = ctl_api_call(o, "audit checkpoint", true, &req, &r, &j);
	if (st)
		return st;
	sdns_audit_head h;
	int rc = sdns_audit_head_from_json(j, &h);
	sdns_apiclient_resp_free(&r);
	if (rc || sdns_audit_head_verify(&h) != SDNS_OK) {
		fprintf(stderr, "%s: the server's head is malformed or its "
		        "signature does not verify\n", cmd);
		json_decref(j);
		return 1;
	}
	rc = json_dump_file(j, path, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	if (rc != 0) {
		fprintf(stderr, "%s: cannot write %s: %s\n", cmd, path,
		        strerror(errno));
		return 1;
	}
	char pub[SDNS_AUDIT_PUB_B64_LEN + 1], hash[65];
	sdns_audit_pub_b64(h.pub, pub);
	sdns_audit_hex(h.hash, SDNS_AUDIT_HASH_LEN, hash);
	if (!o->json)
		printf("saved %s: entry %lld hash %s at %s, signed by %s\n", path,
		       (long long)h.id, hash, h.ts, pub);
	return 0;
}

int ctl_audit_pubkey(int argc, char **argv)
{
	const char *file = NULL;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--key") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(argv[i], "--help")) {
			puts("usage: sdnsctl audit pubkey --key FILE\n"
			     "The audit public key (base64) of a 32-byte seed file "
			     "or an Ed25519 PEM key.");
			return 0;
		} else {
			fprintf(stderr, "sdnsctl audit pubkey: unexpected '%s'\n",
			        argv[i]);
			return 2;
		}
	}
	if (!file) {
		fprintf(stderr, "sdnsctl audit pubkey: --key FILE is required\n");
		return 2;
	}
	sdns_audit_key k;
	int rc = sdns_audit_key_load_seed(file, &k);
	if (rc == SDNS_EMALF)
		rc = sdns_audit_key_load(file, &k);
	if (rc) {
		fprintf(stderr, "sdnsctl audit pubkey: %s: %s\n", file,
		        rc == SDNS_ETYPE ? "not an Ed25519 key" : sdns_strerror(rc));
		return 1;
	}
	char b64[SDNS_AUDIT_PUB_B64_LEN + 1];
	sdns_audit_pub_b64(k.pub, b64);
	memset(&k, 0, sizeof k);
	puts(b64);
	return 0;
}

int ctl_auditkey_write(const char *dir)
{
	char path[4096], pubpath[4096];
	snprintf(path, sizeof path, "%s/audit.key", dir);
	snprintf(pubpath, sizeof pubpath, "%s/audit.pub", dir);
	struct stat sb;
	if (stat(path, &sb) == 0)
		return 0;
	sdns_audit_key k;
	int rc = sdns_audit_key_generate(&k);
	if (rc == SDNS_OK)
		rc = sdns_audit_key_save_seed(&k, path);
	if (rc) {
		fprintf(stderr, "sdnsctl: %s: %s\n", path, sdns_strerror(rc));
		return rc;
	}
	char b64[SDNS_AUDIT_PUB_B64_LEN + 1];
	sdns_audit_pub_b64(k.pub, b64);
	memset(&k, 0, sizeof k);
	FILE *f = fopen(pubpath, "we");
	if (!f || fprintf(f, "%s\n", b64) < 0) {
		if (f) fclose(f);
		fprintf(stderr, "sdnsctl: %s: cannot write\n", pubpath);
		return SDNS_EIO;
	}
	fclose(f);
	return 0;
}

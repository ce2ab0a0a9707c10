/* See testctl.h. */
#include "testctl.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "testpg.h"
#include "testpki.h"

sdns_testctl sdns_ctl;

static int pg(const char *cmd)
{
	char line[800];
	snprintf(line, sizeof(line), "server/dev/pg.sh %s '%s' %d >/dev/null",
	         cmd, sdns_ctl.pgdir, 20000 + (int)(getpid() % 20000));
	return system(line);
}

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
}

int sdns_testctl_run(const char *who, const char *const *argv)
{
	char o[300], e[300], bin[300];
	snprintf(o, sizeof(o), "%s/out", sdns_ctl.dir);
	snprintf(e, sizeof(e), "%s/err", sdns_ctl.dir);
	const char *b = getenv("BIN");
	snprintf(bin, sizeof(bin), "%s/sdnsctl", b && *b ? b : "bin");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char ca[300], cert[300], key[300];
		snprintf(ca, sizeof(ca), "%s/ca.pem", sdns_ctl.dir);
		snprintf(cert, sizeof(cert), "%s/%s.pem", sdns_ctl.dir, who ? who : "");
		snprintf(key, sizeof(key), "%s/%s.key", sdns_ctl.dir, who ? who : "");
		setenv("SDNS_API", sdns_ctl.url, 1);
		setenv("SDNS_CA", ca, 1);
		if (who) {
			setenv("SDNS_CERT", cert, 1);
			setenv("SDNS_KEY", key, 1);
		} else {
			unsetenv("SDNS_CERT");
			unsetenv("SDNS_KEY");
		}
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fo, 1);
		dup2(fe, 2);
		char *args[36];
		size_t n = 0;
		if (sdns_ctl.pipe_from) {
			/* sh -c 'cat F | exec "$0" "$@"' sdnsctl args... */
			static char script[400];
			snprintf(script, sizeof(script), "cat '%s' | exec \"$0\" \"$@\"",
			         sdns_ctl.pipe_from);
			args[n++] = "/bin/sh";
			args[n++] = "-c";
			args[n++] = script;
		}
		size_t first = n;
		args[n++] = bin;
		for (; argv[n - 1 - first] && n < 35; n++)
			args[n] = (char *)argv[n - 1 - first];
		args[n] = NULL;
		execv(args[0], args);
		_exit(127);
	}
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	slurp(o, sdns_ctl.out, sizeof(sdns_ctl.out));
	slurp(e, sdns_ctl.err, sizeof(sdns_ctl.err));
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

void sdns_testctl_setup(const char *name)
{
	memset(&sdns_ctl, 0, sizeof sdns_ctl);
	ck_assert_int_eq(sdns_test_mkdtemp(name, sdns_ctl.dir,
	                                   sizeof(sdns_ctl.dir)), 0);
	chmod(sdns_ctl.dir, 0755);  /* the postgres user walks into pg/ */
	ck_assert_int_eq(sdns_testpki_make(sdns_ctl.dir), 0);
	snprintf(sdns_ctl.pgdir, sizeof(sdns_ctl.pgdir), "%s/pg", sdns_ctl.dir);
	ck_assert_int_eq(pg("start"), 0);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "server/dev/pg.sh conninfo '%s'",
	         sdns_ctl.pgdir);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(fgets(sdns_ctl.conninfo, sizeof(sdns_ctl.conninfo),
	                            p));
	pclose(p);
	sdns_ctl.conninfo[strcspn(sdns_ctl.conninfo, "\n")] = '\0';
	sdns_testpg_owner(sdns_ctl.conninfo, sdns_ctl.ownerci,
	                  sizeof sdns_ctl.ownerci);
	ck_assert_int_eq(sdns_testpg_migrate(sdns_ctl.conninfo, NULL), 0);
	ck_assert_int_eq(sdns_audit_key_generate(&sdns_ctl.akey), 0);
	char cert[300], key[300], ca[300], cakey[300], e[200];
	snprintf(cert, sizeof(cert), "%s/server.pem", sdns_ctl.dir);
	snprintf(key, sizeof(key), "%s/server.key", sdns_ctl.dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", sdns_ctl.dir);
	snprintf(cakey, sizeof(cakey), "%s/ca.key", sdns_ctl.dir);
	sdns_api_conf conf = {
		.listen = "127.0.0.1:0", .cert_path = cert, .key_path = key,
		.ca_path = ca, .ca_key_path = cakey, .mesh = SDNS_TESTPKI_MESH,
		.conninfo = sdns_ctl.conninfo, .threads = 2,
		.audit_key = &sdns_ctl.akey,
	};
	ck_assert_msg(sdns_api_start(&conf, &sdns_ctl.api, e, sizeof(e)) == 0,
	              "%s", e);
	snprintf(sdns_ctl.url, sizeof(sdns_ctl.url), "https://127.0.0.1:%u",
	         sdns_api_port(sdns_ctl.api));
}

void sdns_testctl_teardown(void)
{
	sdns_api_stop(sdns_ctl.api);
	sdns_ctl.api = NULL;
	pg("stop");
	sdns_test_rmtree(sdns_ctl.dir);
}

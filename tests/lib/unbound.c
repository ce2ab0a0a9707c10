/* The unbound fixture; see unbound.h. */
#include "unbound.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "testpki.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int bind_probe(int type, int port)
{
	int fd = socket(AF_INET, type, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = { .sin_family = AF_INET,
	                          .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	socklen_t sl = sizeof(sa);
	if (rc == 0 && port == 0)
		rc = getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	return rc == 0 ? ntohs(sa.sin_port) : -1;
}

int sdns_test_free_port(void)
{
	for (int i = 0; i < 50; i++) {
		int p = bind_probe(SOCK_STREAM, 0);
		if (p > 0 && bind_probe(SOCK_DGRAM, p) == p)
			return p;
	}
	return -1;
}

static void dump_log(const sdns_test_unbound *u)
{
	char path[300], line[512];
	snprintf(path, sizeof(path), "%s/unbound.log", u->dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "unbound: %s", line);
	fclose(f);
}

static int tcp_up(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in sa = { .sin_family = AF_INET,
	                          .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static int spawn(sdns_test_unbound *u)
{
	char log[300];
	snprintf(log, sizeof(log), "%s/unbound.out", u->dir);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl("/usr/sbin/unbound", "unbound", "-d", "-c", u->conf,
		      (char *)NULL);
		execlp("unbound", "unbound", "-d", "-c", u->conf, (char *)NULL);
		_exit(127);
	}
	u->pid = pid;
	for (int i = 0; i < 500; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			u->pid = 0;
			break;
		}
		if (tcp_up(u->port) && sdns_test_unbound_queries(u) >= 0)
			return 0;
		sleep_ms(20);
	}
	dump_log(u);
	sdns_test_unbound_stop(u);
	return -1;
}

static const char conf_fmt[] =
	"server:\n"
	"  verbosity: 1\n"
	"  username: \"\"\n"
	"  chroot: \"\"\n"
	"  directory: \"%s\"\n"
	"  pidfile: \"%s/unbound.pid\"\n"
	"  logfile: \"%s/unbound.log\"\n"
	"  use-syslog: no\n"
	"  do-daemonize: no\n"
	"  num-threads: 1\n"
	"  do-ip6: no\n"
	"  interface: 127.0.0.1@%d\n"
	"  port: %d\n"
	"  tls-port: %d\n"
	"  tls-service-key: \"%s/server.key\"\n"
	"  tls-service-pem: \"%s/server.pem\"\n"
	"  incoming-num-tcp: 64\n"
	"  access-control: 127.0.0.0/8 allow\n"
	"  module-config: \"iterator\"\n"
	"  statistics-cumulative: yes\n"
	"  extended-statistics: yes\n"
	"  local-zone: \"test.\" static\n"
	"  local-data: \"test. 3600 IN SOA ns.test. h.test. 1 3600 600 86400 300\"\n"
	"  local-data: \"a.test. 300 IN A 192.0.2.1\"\n"
	"  local-data: \"b.test. 300 IN AAAA 2001:db8::1\"\n"
	"  local-data: 't.test. 300 IN TXT \"hello\"'\n"
	"%s"
	"remote-control:\n"
	"  control-enable: yes\n"
	"  control-interface: \"%s/ctl.sock\"\n"
	"  control-use-cert: no\n";

int sdns_test_unbound_start(sdns_test_unbound *u, const char *extra)
{
	memset(u, 0, sizeof(*u));
	if (sdns_test_mkdtemp("sdns-unbound", u->dir, sizeof(u->dir)) != 0)
		return -1;
	if (sdns_testpki_make(u->dir) != 0)
		goto fail;
	u->port = sdns_test_free_port();
	if (u->port <= 0)
		goto fail;
	snprintf(u->conf, sizeof(u->conf), "%s/unbound.conf", u->dir);
	snprintf(u->ca, sizeof(u->ca), "%s/ca.pem", u->dir);
	snprintf(u->addr, sizeof(u->addr), "127.0.0.1:%d", u->port);
	char pem[300];
	snprintf(pem, sizeof(pem), "%s/server.pem", u->dir);
	if (sdns_pki_spki_pin_file(pem, u->pin, sizeof(u->pin)) != 0)
		goto fail;
	size_t cap = sizeof(conf_fmt) + 8 * sizeof(u->dir) + 64 +
	             (extra ? strlen(extra) : 0);
	char *text = malloc(cap);
	if (!text)
		goto fail;
	snprintf(text, cap, conf_fmt, u->dir, u->dir, u->dir, u->port, u->port,
	         u->port, u->dir, u->dir, extra ? extra : "", u->dir);
	int rc = sdns_test_write_file(u->conf, text);
	free(text);
	if (rc != 0 || spawn(u) != 0)
		goto fail;
	return 0;
fail:
	sdns_test_unbound_free(u);
	return -1;
}

void sdns_test_unbound_stop(sdns_test_unbound *u)
{
	if (u->pid <= 0)
		return;
	kill(u->pid, SIGTERM);
	for (int i = 0; i < 250; i++) {
		if (waitpid(u->pid, NULL, WNOHANG) == u->pid) {
			u->pid = 0;
			return;
		}
		sleep_ms(20);
	}
	kill(u->pid, SIGKILL);
	waitpid(u->pid, NULL, 0);
	u->pid = 0;
}

int sdns_test_unbound_restart(sdns_test_unbound *u)
{
	sdns_test_unbound_stop(u);
	return spawn(u);
}

long sdns_test_unbound_queries(sdns_test_unbound *u)
{
	char cmd[600], line[256];
	snprintf(cmd, sizeof(cmd),
	         "/usr/sbin/unbound-control -c '%s' stats_noreset 2>/dev/null",
	         u->conf);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	long n = -1;
	while (fgets(line, sizeof(line), p))
		if (strncmp(line, "total.num.queries=", 18) == 0)
			n = strtol(line + 18, NULL, 10);
	int st = pclose(p);
	return (st == 0) ? n : -1;
}

void sdns_test_unbound_free(sdns_test_unbound *u)
{
	sdns_test_unbound_stop(u);
	if (u->dir[0])
		sdns_test_rmtree(u->dir);
	u->dir[0] = 0;
}

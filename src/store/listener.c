/* The LISTEN thread: its own connection, LISTEN sdns_changes, a select()
 * on the libpq socket and a stop pipe; on loss it reports down, reconnects
 * with jittered exponential backoff and asks for a full resync. */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/store.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define IDLE_PING_S 10

struct sdns_store_listener {
	char *conninfo;
	sdns_store_listen_cb cb;
	void *ctx;
	int stop_pipe[2];
	pthread_t thread;
};

/* Wait up to ms for the stop pipe and, when fd >= 0, for fd.
 * Returns 1 on stop, 2 when fd is readable, 0 on timeout. */
static int wait_for(sdns_store_listener *l, int fd, int ms)
{
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(l->stop_pipe[0], &rd);
	int maxfd = l->stop_pipe[0];
	if (fd >= 0) {
		FD_SET(fd, &rd);
		if (fd > maxfd) maxfd = fd;
	}
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int n = select(maxfd + 1, &rd, NULL, NULL, &tv);
	if (n <= 0) return 0;
	if (FD_ISSET(l->stop_pipe[0], &rd)) return 1;
	return 2;
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* libpq's message as one log value: its first line, without quotes or
 * control characters, so a line of the log stays one line. */
static void why_of(PGconn *c, char *why, size_t cap)
{
	const char *m = c ? PQerrorMessage(c) : "out of memory";
	size_t n = 0;
	for (; *m && *m != '\n' && n + 1 < cap; m++)
		why[n++] = (*m == '"' || (unsigned char)*m < 0x20) ? '\'' : *m;
	why[n] = 0;
}

static PGconn *open_listen(sdns_store_listener *l, char *why, size_t cap)
{
	PGconn *c = PQconnectdb(l->conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		why_of(c, why, cap);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet, NULL);
	PGresult *r = PQexec(c, "LISTEN sdns_changes");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		why_of(c, why, cap);
		PQfinish(c);
		return NULL;
	}
	return c;
}

static void deliver(sdns_store_listener *l, const char *payload)
{
	json_t *j = json_loads(payload, 0, NULL);
	json_t *seq = json_object_get(j, "seq"), *z = json_object_get(j, "zone_id");
	/* Anything else on the channel (a hand-made NOTIFY) still means "read
	 * the log": the log, not the payload, is the truth. */
	if (l->cb.on_notify)
		l->cb.on_notify(l->ctx, json_is_integer(seq) ? json_integer_value(seq)
		                                             : -1,
		                json_is_integer(z) ? json_integer_value(z) : -1);
	json_decref(j);
}

static int ping(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT 1");
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	return ok && PQstatus(c) == CONNECTION_OK;
}

/* Serve one connection until it is lost (returns 0) or stop (returns 1).
 * An idle connection is pinged now and then so a silent loss is noticed. */
static int serve(sdns_store_listener *l, PGconn *c)
{
	for (;;) {
		int fd = PQsocket(c);
		if (fd < 0) return 0;
		int w = wait_for(l, fd, IDLE_PING_S * 1000);
		if (w == 1) return 1;
		if (w == 0 && !ping(c)) return 0;
		if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK) return 0;
		PGnotify *n;
		while ((n = PQnotifies(c))) {
			deliver(l, n->extra);
			PQfreemem(n);
		}
	}
}

static void *run(void *arg)
{
	sdns_store_listener *l = arg;
	int backoff = BACKOFF_MIN_MS;
	bool up = false;
	for (;;) {
		char why[200];
		PGconn *c = open_listen(l, why, sizeof why);
		if (!c) {
			int ms = backoff / 2 + (int)randombytes_uniform((uint32_t)backoff / 2 + 1);
			sdns_log(SDNS_LOG_WARN, "db_unavailable", "retry_in_ms=%d cause=\"%s\"",
			         ms, why);
			if (wait_for(l, -1, ms)) return NULL;
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		backoff = BACKOFF_MIN_MS;
		up = true;
		sdns_log(SDNS_LOG_INFO, "db_listening", "channel=sdns_changes");
		if (l->cb.on_state) l->cb.on_state(l->ctx, true);
		if (l->cb.on_resync) l->cb.on_resync(l->ctx);
		int stop = serve(l, c);
		if (stop != 1) why_of(c, why, sizeof why);
		PQfinish(c);
		if (stop == 1) return NULL;
		if (up) {
			up = false;
			sdns_log(SDNS_LOG_WARN, "db_lost", "action=reconnect cause=\"%s\"",
			         why);
			if (l->cb.on_state) l->cb.on_state(l->ctx, false);
		}
	}
}

int sdns_store_listener_start(const char *conninfo,
                              const sdns_store_listen_cb *cb, void *ctx,
                              sdns_store_listener **out)
{
	*out = NULL;
	if (sodium_init() < 0) return SDNS_ECRYPTO;
	sdns_store_listener *l = calloc(1, sizeof *l);
	if (!l) return SDNS_ENOMEM;
	l->conninfo = strdup(conninfo ? conninfo : "");
	l->cb = *cb;
	l->ctx = ctx;
	if (!l->conninfo || pipe2(l->stop_pipe, O_CLOEXEC) < 0) {
		free(l->conninfo);
		free(l);
		return SDNS_EIO;
	}
	if (pthread_create(&l->thread, NULL, run, l) != 0) {
		close(l->stop_pipe[0]);
		close(l->stop_pipe[1]);
		free(l->conninfo);
		free(l);
		return SDNS_ENOMEM;
	}
	*out = l;
	return SDNS_OK;
}

void sdns_store_listener_stop(sdns_store_listener *l)
{
	if (!l) return;
	char b = 1;
	while (write(l->stop_pipe[1], &b, 1) < 0 && errno == EINTR)
		;
	pthread_join(l->thread, NULL);
	close(l->stop_pipe[0]);
	close(l->stop_pipe[1]);
	free(l->conninfo);
	free(l);
}

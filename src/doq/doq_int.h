/* Private to src/doq: the pieces the DoQ server and client share.
 *
 * Ownership: a server connection (doq_conn) and its streams belong to one
 * worker thread for their whole life. Only doq_limits and the stats counters
 * are touched by several threads (atomics, and a mutex taken on connection
 * open/close only). */
#ifndef SDNS_DOQ_INT_H
#define SDNS_DOQ_INT_H

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sdns/doq.h"

#define DOQ_CID_LEN 16          /* every CID we issue */
#define DOQ_PKT_MAX 1452        /* UDP payload we send */
#define DOQ_RX_MAX 65536        /* receive buffer per datagram */
#define DOQ_BATCH 32            /* datagrams per sendmmsg/recvmmsg */
#define DOQ_INLINE 512          /* stream bytes kept without malloc */
#define DOQ_FRAME_MAX (2 + 65535)
#define DOQ_PEER_MAX 64         /* "[v6]:port" */

/* --- time (util.c) --- */
uint64_t doq_now(void);         /* CLOCK_MONOTONIC ns: ngtcp2 timestamps */
uint64_t doq_wall(void);        /* CLOCK_REALTIME ns: token timestamps */
/* "host:port" / "[v6]:port" into a sockaddr (numeric hosts only; the client
 * also resolves names). */
int doq_parse_addr(const char *s, bool resolve, struct sockaddr_storage *ss,
                   socklen_t *len, char *host, size_t host_cap);
void doq_format_addr(const struct sockaddr *sa, char *buf, size_t cap);
void doq_rand(uint8_t *dst, size_t len);
/* ngtcp2 rand callback (client and server alike). */
void doq_cb_rand(uint8_t *dst, size_t len, const ngtcp2_rand_ctx *ctx);
void doq_errf(char *err, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- TLS (tls.c) --- */
typedef struct {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
} doq_tls;

/* Server credentials: cert/key, trusted CA, and a verify function that runs
 * during the handshake (the caller's, see verify.c). */
int doq_tls_server_init(doq_tls *t, const char *cert, const char *key,
                        const char *ca, gnutls_certificate_verify_function *fn,
                        char *err, size_t cap);
int doq_tls_client_init(doq_tls *t, const char *ca, const char *cert,
                        const char *key, char *err, size_t cap);
void doq_tls_deinit(doq_tls *t);
int doq_tls_server_session(const doq_tls *t, ngtcp2_crypto_conn_ref *ref,
                           gnutls_session_t *out);
/* The server certificate is checked against name (NULL = no name check,
 * for peers known by URI SAN; see doq_tls_peer_uri_is) and the serverAuth
 * purpose. name and vdata must outlive the session: GnuTLS keeps both
 * pointers. verify, when not NULL, replaces GnuTLS's own check: it must
 * run gnutls_certificate_verify_peers with vdata itself. */
int doq_tls_client_session(const doq_tls *t, ngtcp2_crypto_conn_ref *ref,
                           const char *name, const char *alpn,
                           gnutls_typed_vdata_st vdata[2],
                           gnutls_certificate_verify_function *verify,
                           gnutls_session_t *out);
bool doq_tls_alpn_is_doq(gnutls_session_t s);
/* The peer's leaf certificate carries URI SANs, every one equal to uri. */
bool doq_tls_peer_uri_is(gnutls_session_t s, const char *uri);
/* "TLS alert 42 bad_certificate" for a CRYPTO_ERROR transport code. */
void doq_tls_describe_code(uint64_t code, bool app, char *buf, size_t cap);

/* --- client-certificate policy (verify.c) --- */
/* Verify the peer chain (clientAuth purpose), read the URI SAN identity,
 * check the mesh and run admit. On failure *reason names why (a log
 * keyword) and a negative code comes back. */
int doq_verify_client(gnutls_session_t s, const char *mesh,
                      sdns_doq_admit_fn admit, void *ctx, sdns_identity *out,
                      const char **reason);

/* --- address-validation tokens (retry.c) --- */
typedef struct {
	uint8_t secret[32];
} doq_tokens;

void doq_tokens_init(doq_tokens *t);
/* Build a Retry packet answering hd into buf; returns its length or < 0. */
ngtcp2_ssize doq_retry_write(const doq_tokens *t, const ngtcp2_pkt_hd *hd,
                             const struct sockaddr *sa, socklen_t salen,
                             uint8_t *buf, size_t cap);
/* Check the token of an Initial. Returns 1 when it proves the address (and,
 * for a Retry token, fills *odcid and sets *after_retry), 0 when there is no
 * usable token, < 0 when a Retry token is forged or stale (drop). */
int doq_token_check(const doq_tokens *t, const ngtcp2_pkt_hd *hd,
                    const struct sockaddr *sa, socklen_t salen,
                    ngtcp2_cid *odcid, bool *after_retry);
/* NEW_TOKEN content for a client whose handshake completed. */
ngtcp2_ssize doq_token_regular(const doq_tokens *t, const struct sockaddr *sa,
                               socklen_t salen, uint8_t *buf, size_t cap);
int doq_reset_token(const doq_tokens *t, const ngtcp2_cid *cid, uint8_t *out);

/* --- limits shared by all workers (limits.c) --- */
typedef struct doq_addr_slot doq_addr_slot;
typedef struct {
	pthread_mutex_t mu;             /* guards the address table only */
	doq_addr_slot **buckets;
	size_t nbuckets, used;
	uint32_t max_conns, max_per_addr;
	size_t max_total;
	atomic_uint_fast32_t conns;
	atomic_size_t buffered;
} doq_limits;

int doq_limits_init(doq_limits *l, uint32_t max_conns, uint32_t per_addr,
                    size_t max_total);
void doq_limits_free(doq_limits *l);
/* Count a new connection from sa; SDNS_ELIMIT when over a limit. */
int doq_limits_conn_open(doq_limits *l, const struct sockaddr *sa);
void doq_limits_conn_close(doq_limits *l, const struct sockaddr *sa);
/* Reserve n buffered bytes in the global budget; false when over. */
bool doq_limits_buf_take(doq_limits *l, size_t n);
void doq_limits_buf_give(doq_limits *l, size_t n);

/* --- outgoing datagram batch (tx.c) --- */
/* Room for one IP_PKTINFO or IPV6_PKTINFO control message. */
#define DOQ_CTL_SPACE CMSG_SPACE(sizeof(struct in6_pktinfo))

typedef struct {
	int fd;
	int n;
	bool pktinfo;   /* socket bound to a wildcard: name the source */
	struct mmsghdr msg[DOQ_BATCH];
	struct iovec iov[DOQ_BATCH];
	struct sockaddr_storage to[DOQ_BATCH];
	uint8_t ctl[DOQ_BATCH][DOQ_CTL_SPACE];
	uint8_t buf[DOQ_BATCH][DOQ_PKT_MAX];
} doq_tx;

/* Slot for the next datagram (flushes first when full). */
uint8_t *doq_tx_slot(doq_tx *tx);
/* Commit len bytes written into the slot, to sa. from is the local address
 * the datagram must leave from (used when tx->pktinfo; may be NULL). */
void doq_tx_commit(doq_tx *tx, size_t len, const struct sockaddr *sa,
                   socklen_t salen, const struct sockaddr *from);
void doq_tx_flush(doq_tx *tx);

/* --- local addresses on wildcard sockets (util.c) --- */
/* Ask the kernel for each datagram's destination address. */
int doq_pktinfo_enable(int fd, int family);
/* The destination address of a received datagram: base (the bound
 * address, for the port and family) with the address from its
 * IP_PKTINFO / IPV6_PKTINFO control message, when there is one. */
void doq_pktinfo_local(const struct msghdr *m, const struct sockaddr *base,
                       struct sockaddr_storage *out);
socklen_t doq_sockaddr_len(const struct sockaddr *sa);

#endif

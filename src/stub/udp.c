/* The stub over UDP: batches of datagrams in, one answer each out. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "stub_int.h"

/* At most this many batches per readiness, so TCP clients of the same
 * worker are not starved by a UDP flood. */
#define UDP_ROUNDS 8

static void send_one(stub_worker *w, const struct sockaddr *to,
                     socklen_t tolen, const uint8_t *resp, size_t len,
                     uint64_t t0)
{
	stub_count_response(w, SDNS_STUB_UDP, resp, len, t0);
	/* A full socket buffer drops the answer like the network would; the
	 * client retries. */
	(void)sendto(w->udp_fd, resp, len, MSG_DONTWAIT, to, tolen);
}

void stub_udp_send(stub_worker *w, const stub_pending *p, const uint8_t *resp,
                   size_t len)
{
	send_one(w, (const struct sockaddr *)&p->src, p->srclen, resp, len, p->t0);
}

void stub_udp_readable(stub_worker *w)
{
	struct mmsghdr msgs[STUB_UDP_BATCH];
	struct iovec iov[STUB_UDP_BATCH];
	struct sockaddr_storage from[STUB_UDP_BATCH];
	for (int round = 0; round < UDP_ROUNDS; round++) {
		for (int i = 0; i < STUB_UDP_BATCH; i++) {
			iov[i] = (struct iovec){w->ubuf[i], sizeof(w->ubuf[i])};
			msgs[i].msg_hdr = (struct msghdr){
				.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1,
			};
			msgs[i].msg_len = 0;
		}
		int n = recvmmsg(w->udp_fd, msgs, STUB_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		uint64_t t0 = stub_now_ns();
		for (int i = 0; i < n; i++) {
			const struct sockaddr *src = (const struct sockaddr *)&from[i];
			socklen_t slen = msgs[i].msg_hdr.msg_namelen;
			size_t out_len = 0;
			/* Larger than our buffer: cut datagrams are malformed. */
			size_t qlen = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			                  ? 0 : msgs[i].msg_len;
			int v = stub_query(w, SDNS_STUB_UDP, src, slen, w->ubuf[i], qlen,
			                   NULL, w->scratch, STUB_TCP_MAX_MSG, &out_len);
			if (v == STUB_DONE)
				send_one(w, src, slen, w->scratch, out_len, t0);
		}
		if (n < STUB_UDP_BATCH)
			return;
	}
}

/* Outgoing datagrams, batched into one sendmmsg. Packets are written in
 * place into the batch slots, so the send path does not allocate. */
#include <errno.h>
#include <string.h>

#include "doq_int.h"

uint8_t *doq_tx_slot(doq_tx *tx)
{
	if (tx->n == DOQ_BATCH) doq_tx_flush(tx);
	return tx->buf[tx->n];
}

/* The source address as a control message: replies leave from the
 * address the client wrote to, not from the route's preferred one. */
static size_t put_source(uint8_t *ctl, const struct sockaddr *from)
{
	struct msghdr m = {.msg_control = ctl, .msg_controllen = DOQ_CTL_SPACE};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	memset(ctl, 0, DOQ_CTL_SPACE);
	if (from->sa_family == AF_INET) {
		struct in_pktinfo pi = {0};
		pi.ipi_spec_dst = ((const struct sockaddr_in *)from)->sin_addr;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)from;
		struct in6_pktinfo pi = {0};
		pi.ipi6_addr = s6->sin6_addr;
		pi.ipi6_ifindex = s6->sin6_scope_id;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	return 0;
}

void doq_tx_commit(doq_tx *tx, size_t len, const struct sockaddr *sa,
                   socklen_t salen, const struct sockaddr *from)
{
	int i = tx->n;
	memcpy(&tx->to[i], sa, salen);
	tx->iov[i].iov_base = tx->buf[i];
	tx->iov[i].iov_len = len;
	memset(&tx->msg[i], 0, sizeof(tx->msg[i]));
	tx->msg[i].msg_hdr.msg_name = &tx->to[i];
	tx->msg[i].msg_hdr.msg_namelen = salen;
	tx->msg[i].msg_hdr.msg_iov = &tx->iov[i];
	tx->msg[i].msg_hdr.msg_iovlen = 1;
	if (tx->pktinfo && from) {
		size_t cl = put_source(tx->ctl[i], from);
		if (cl) {
			tx->msg[i].msg_hdr.msg_control = tx->ctl[i];
			tx->msg[i].msg_hdr.msg_controllen = cl;
		}
	}
	tx->n++;
}

void doq_tx_flush(doq_tx *tx)
{
	int off = 0;
	while (off < tx->n) {
		int rv = sendmmsg(tx->fd, tx->msg + off, (unsigned)(tx->n - off),
		                  0);
		if (rv < 0) {
			if (errno == EINTR) continue;
			/* EAGAIN or a per-destination error: QUIC treats
			 * the datagram as lost and retransmits; skip it so
			 * one bad peer cannot block the rest. */
			off++;
			continue;
		}
		off += rv;
	}
	tx->n = 0;
}

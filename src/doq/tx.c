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

void doq_tx_commit(doq_tx *tx, size_t len, const struct sockaddr *sa,
                   socklen_t salen)
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

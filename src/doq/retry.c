/* Address validation: Retry tokens for new clients when the server is busy,
 * NEW_TOKEN (regular) tokens so that a returning client skips the Retry
 * round trip. Both are sealed with one random per-server secret, bound to
 * the client address and stamped with the wall clock. */
#include <string.h>

#include "doq_int.h"
#include "sdns/error.h"

#define RETRY_TOKEN_TTL (10 * NGTCP2_SECONDS)
#define REGULAR_TOKEN_TTL (3600 * NGTCP2_SECONDS)

void doq_tokens_init(doq_tokens *t)
{
	doq_rand(t->secret, sizeof(t->secret));
}

ngtcp2_ssize doq_retry_write(const doq_tokens *t, const ngtcp2_pkt_hd *hd,
                             const struct sockaddr *sa, socklen_t salen,
                             uint8_t *buf, size_t cap)
{
	uint8_t token[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN];
	ngtcp2_cid scid;
	scid.datalen = DOQ_CID_LEN;
	doq_rand(scid.data, scid.datalen);
	ngtcp2_ssize tlen = ngtcp2_crypto_generate_retry_token(
		token, t->secret, sizeof(t->secret), hd->version,
		(const ngtcp2_sockaddr *)sa, (ngtcp2_socklen)salen, &scid,
		&hd->dcid, doq_wall());
	if (tlen < 0) return tlen;
	return ngtcp2_crypto_write_retry(buf, cap, hd->version, &hd->scid, &scid,
	                                 &hd->dcid, token, (size_t)tlen);
}

int doq_token_check(const doq_tokens *t, const ngtcp2_pkt_hd *hd,
                    const struct sockaddr *sa, socklen_t salen,
                    ngtcp2_cid *odcid, bool *after_retry)
{
	*after_retry = false;
	if (hd->token.len == 0) return 0;
	const uint8_t *tok = hd->token.base;
	if (tok[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
		if (ngtcp2_crypto_verify_retry_token(
			    odcid, tok, hd->token.len, t->secret,
			    sizeof(t->secret), hd->version,
			    (const ngtcp2_sockaddr *)sa, (ngtcp2_socklen)salen,
			    &hd->dcid, RETRY_TOKEN_TTL, doq_wall()) != 0)
			return SDNS_EPROTO;
		*after_retry = true;
		return 1;
	}
	if (tok[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_REGULAR &&
	    ngtcp2_crypto_verify_regular_token(
		    tok, hd->token.len, t->secret, sizeof(t->secret),
		    (const ngtcp2_sockaddr *)sa, (ngtcp2_socklen)salen,
		    REGULAR_TOKEN_TTL, doq_wall()) == 0)
		return 1;
	/* An unknown or stale NEW_TOKEN token is not an error (RFC 9000
	 * §8.1.3): the client is treated as unvalidated. */
	return 0;
}

ngtcp2_ssize doq_token_regular(const doq_tokens *t, const struct sockaddr *sa,
                               socklen_t salen, uint8_t *buf, size_t cap)
{
	if (cap < NGTCP2_CRYPTO_MAX_REGULAR_TOKENLEN) return SDNS_ESPACE;
	return ngtcp2_crypto_generate_regular_token(
		buf, t->secret, sizeof(t->secret), (const ngtcp2_sockaddr *)sa,
		(ngtcp2_socklen)salen, doq_wall());
}

int doq_reset_token(const doq_tokens *t, const ngtcp2_cid *cid, uint8_t *out)
{
	return ngtcp2_crypto_generate_stateless_reset_token(
		       out, t->secret, sizeof(t->secret), cid) == 0
		       ? SDNS_OK
		       : SDNS_ECRYPTO;
}

/* RFC 1035 §4.2.2 length framing for DoT, with the bounds in one place. */
#include "sdns/dot.h"
#include "sdns/error.h"

int sdns_dot_frame_next(const uint8_t *buf, size_t len, size_t max,
                        const uint8_t **msg, size_t *msg_len, size_t *used)
{
	if (len < 2) return SDNS_EPENDING;
	size_t n = (size_t)buf[0] << 8 | buf[1];
	/* A zero-length message is no DNS message; waiting for it would
	 * only let a client park a connection for free. */
	if (n == 0) return SDNS_EMALF;
	if (n > max) return SDNS_ETOOBIG;
	if (len - 2 < n) return SDNS_EPENDING;
	*msg = buf + 2;
	*msg_len = n;
	*used = 2 + n;
	return SDNS_OK;
}

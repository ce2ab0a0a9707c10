/* Words for the shared error codes. */
#include "sdns/error.h"

#include <errno.h>

static const char *const messages[] = {
	[0] = "success",
	[1] = "malformed input",
	[2] = "no space in output buffer",
	[3] = "compression pointer loop",
	[4] = "label longer than 63 octets",
	[5] = "name longer than 255 octets",
	[6] = "compression pointer points forward",
	[7] = "section counts exceed the packet",
	[8] = "RDATA truncated or inconsistent with its type",
	[9] = "trailing bytes after the last record",
	[10] = "out of memory",
	[11] = "invalid argument",
	[12] = "syntax error",
	[13] = "unknown or unsupported record type",
	[14] = "not found",
	[15] = "I/O error",
	[16] = "TLS failure",
	[17] = "QUIC transport failure",
	[18] = "timed out",
	[19] = "already exists",
	[20] = "protocol violation by peer",
	[21] = "resource limit reached",
	[22] = "certificate rejected",
	[23] = "permission denied",
	[24] = "compression pointer outside the packet",
	[25] = "bad EDNS OPT record",
	[26] = "bad configuration",
	[27] = "connection or stream closed",
	[28] = "zone content violates DNS rules",
	[29] = "question count is not one",
	[30] = "cryptographic operation failed",
	[31] = "precondition failed",
	[32] = "service unavailable",
	[33] = "request too large",
	[34] = "authentication required",
	[35] = "answer pending",
	[36] = "DNSSEC validation failed",
};

const char *sdns_strerror(int err)
{
	if (err > 0 || err < SDNS_ERR_MIN)
		return "unknown error";
	return messages[-err];
}

int sdns_err_from_errno(int e)
{
	if (e == EEXIST)
		return SDNS_EEXIST;
	if (e == ENOENT)
		return SDNS_ENOTFOUND;
	return SDNS_EIO;
}

/* Words for the shared error codes. */
#include "sdns/error.h"

#include <errno.h>

static const char *const messages[] = {
	[-SDNS_OK] = "success",
	[-SDNS_EMALF] = "malformed input",
	[-SDNS_ESPACE] = "no space in output buffer",
	[-SDNS_ELOOP] = "compression pointer loop",
	[-SDNS_ELABEL] = "label longer than 63 octets",
	[-SDNS_ENAME] = "name longer than 255 octets",
	[-SDNS_EFWDPTR] = "compression pointer points forward",
	[-SDNS_ECOUNT] = "section counts exceed the packet",
	[-SDNS_ERDATA] = "RDATA truncated or inconsistent with its type",
	[-SDNS_ETRAIL] = "trailing bytes after the last record",
	[-SDNS_ENOMEM] = "out of memory",
	[-SDNS_EINVAL] = "invalid argument",
	[-SDNS_ESYNTAX] = "syntax error",
	[-SDNS_ETYPE] = "unknown or unsupported record type",
	[-SDNS_ENOTFOUND] = "not found",
	[-SDNS_EIO] = "I/O error",
	[-SDNS_ETLS] = "TLS failure",
	[-SDNS_EQUIC] = "QUIC transport failure",
	[-SDNS_ETIMEOUT] = "timed out",
	[-SDNS_EEXIST] = "already exists",
	[-SDNS_EPROTO] = "protocol violation by peer",
	[-SDNS_ELIMIT] = "resource limit reached",
	[-SDNS_ECERT] = "certificate rejected",
	[-SDNS_EDENIED] = "permission denied",
	[-SDNS_EPTR] = "compression pointer outside the packet",
	[-SDNS_EOPT] = "bad EDNS OPT record",
	[-SDNS_ECONFIG] = "bad configuration",
	[-SDNS_ECLOSED] = "connection or stream closed",
	[-SDNS_EZONE] = "zone content violates DNS rules",
	[-SDNS_EQDCOUNT] = "question count is not one",
	[-SDNS_ECRYPTO] = "cryptographic operation failed",
	[-SDNS_EPRECOND] = "precondition failed",
	[-SDNS_EUNAVAIL] = "service unavailable",
	[-SDNS_ETOOBIG] = "request too large",
	[-SDNS_EAUTH] = "authentication required",
	[-SDNS_EPENDING] = "answer pending",
	[-SDNS_EBOGUS] = "DNSSEC validation failed",
	[-SDNS_EGAP] = "changes were missed (a gap in the change log)",
};
_Static_assert(sizeof messages / sizeof messages[0] == 1 - SDNS_ERR_MIN,
               "one message per code");

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

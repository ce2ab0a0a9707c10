/* Error codes shared by every module.
 * Functions return 0 (SDNS_OK) or one of these negative codes and hand results
 * back through out-parameters. sdns_strerror() gives the words for logs and
 * user-facing messages. Codes are stable: append, never renumber. */
#ifndef SDNS_ERROR_H
#define SDNS_ERROR_H

enum sdns_err {
	SDNS_OK = 0,
	SDNS_EMALF = -1,      /* malformed input (generic) */
	SDNS_ESPACE = -2,     /* output buffer too small */
	SDNS_ELOOP = -3,      /* compression pointer loop */
	SDNS_ELABEL = -4,     /* label longer than 63 octets */
	SDNS_ENAME = -5,      /* name longer than 255 octets */
	SDNS_EFWDPTR = -6,    /* compression pointer points forward or at itself */
	SDNS_ECOUNT = -7,     /* section counts exceed what the packet holds */
	SDNS_ERDATA = -8,     /* RDATA truncated or inconsistent with RDLENGTH */
	SDNS_ETRAIL = -9,     /* bytes left after the last record */
	SDNS_ENOMEM = -10,    /* allocation failed */
	SDNS_EINVAL = -11,    /* invalid argument */
	SDNS_ESYNTAX = -12,   /* presentation-format syntax error */
	SDNS_ETYPE = -13,     /* unknown or unsupported RR type */
	SDNS_ENOTFOUND = -14, /* no such object */
	SDNS_EIO = -15,       /* I/O error (file or socket) */
	SDNS_ETLS = -16,      /* TLS failure */
	SDNS_EQUIC = -17,     /* QUIC transport failure */
	SDNS_ETIMEOUT = -18,  /* deadline passed */
	SDNS_EEXIST = -19,    /* object already exists */
	SDNS_EPROTO = -20,    /* peer violated the protocol */
	SDNS_ELIMIT = -21,    /* a configured resource limit was reached */
	SDNS_ECERT = -22,     /* certificate rejected */
	SDNS_EDENIED = -23,   /* identity not allowed to do this */
	SDNS_EPTR = -24,      /* compression pointer outside the packet */
	SDNS_EOPT = -25,      /* bad EDNS OPT record */
	SDNS_ECONFIG = -26,   /* bad configuration */
	SDNS_ECLOSED = -27,   /* connection or stream closed */
	SDNS_EZONE = -28,     /* zone content violates DNS rules */
	SDNS_EQDCOUNT = -29,  /* question count is not one */
	SDNS_ECRYPTO = -30,   /* cryptographic operation failed */
	SDNS_EPRECOND = -31,  /* precondition failed (If-Match serial) */
	SDNS_EUNAVAIL = -32,  /* a service we depend on is unreachable (database) */
	SDNS_ETOOBIG = -33,   /* request or body over its size limit */
	SDNS_EAUTH = -34,     /* no valid credentials presented */
	SDNS_EPENDING = -35,  /* accepted; the answer comes later (async) */
	SDNS_EBOGUS = -36,    /* DNSSEC validation failed */
	SDNS_EGAP = -37,      /* changes were missed (a gap in the change log) */
	SDNS_ERR_MIN = -37,
};

/* Never NULL; unknown codes map to "unknown error". */
const char *sdns_strerror(int err);
/* A file operation's errno as a code: EEXIST → SDNS_EEXIST, ENOENT →
 * SDNS_ENOTFOUND, anything else SDNS_EIO. */
int sdns_err_from_errno(int e);

#endif

/* Local addresses on a wildcard socket. A server bound to 0.0.0.0 or [::]
 * learns each datagram's destination address from IP_PKTINFO /
 * IPV6_PKTINFO and answers from that address (tx.c), so a client that
 * wrote to one address of a multi-homed host hears back from it: a reply
 * from the route's preferred address would be dropped by the client. */
#include <string.h>

#include "doq_int.h"
#include "sdns/error.h"

int doq_pktinfo_enable(int fd, int family)
{
	int one = 1;
	int rv = family == AF_INET6
	                 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
	                              sizeof(one))
	                 : setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
	                              sizeof(one));
	return rv == 0 ? SDNS_OK : SDNS_EIO;
}

socklen_t doq_sockaddr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                 : sizeof(struct sockaddr_in);
}

void doq_pktinfo_local(const struct msghdr *m, const struct sockaddr *base,
                       struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out, base, doq_sockaddr_len(base));
	if (!m->msg_control) return;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR((struct msghdr *)m); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)m, cm)) {
		if (base->sa_family == AF_INET && cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			((struct sockaddr_in *)out)->sin_addr = pi.ipi_addr;
			return;
		}
		if (base->sa_family == AF_INET6 &&
		    cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
			s6->sin6_addr = pi.ipi6_addr;
			/* The interface matters only for link-local sources. */
			s6->sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr)
			                            ? pi.ipi6_ifindex
			                            : 0;
			return;
		}
	}
}

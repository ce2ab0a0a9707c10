/* The exclusive probe bind described in sdns/portprobe.h. */
#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

#include "sdns/error.h"
#include "sdns/portprobe.h"

int sdns_port_probe(struct sockaddr_storage *ss, socklen_t len, int type)
{
	int fd = socket(ss->ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0) return SDNS_EIO;
	int one = 1;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* No SO_REUSEPORT, no SO_REUSEADDR: any holder makes this fail. TCP
	 * sockets in TIME_WAIT would too without SO_REUSEADDR, and a restart
	 * must not wait for them; SO_REUSEADDR still conflicts with a listener. */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_storage got;
	socklen_t glen = sizeof(got);
	if (bind(fd, (const struct sockaddr *)ss, len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&got, &glen) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return SDNS_EIO;
	}
	close(fd);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port =
			((struct sockaddr_in *)&got)->sin_port;
	else
		((struct sockaddr_in6 *)ss)->sin6_port =
			((struct sockaddr_in6 *)&got)->sin6_port;
	return SDNS_OK;
}

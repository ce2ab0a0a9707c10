/* Refuse a listen address that another process holds.
 *
 * Our workers share a port through SO_REUSEPORT, and Linux lets any later
 * SO_REUSEPORT socket of the same uid join that group and take part of the
 * traffic. So before the workers bind, a probe socket binds the exact address
 * WITHOUT SO_REUSEPORT: that fails with EADDRINUSE whenever anyone (another
 * sdnsd's workers included) holds it. The probe is then closed and the
 * workers bind with SO_REUSEPORT; once they hold the port, every later probe
 * (another sdnsd) fails. Left open: a program that itself sets SO_REUSEPORT
 * under our uid, or one racing into the microseconds between probe and bind. */
#ifndef SDNS_PORTPROBE_H
#define SDNS_PORTPROBE_H

#include <sys/socket.h>

/* type is SOCK_DGRAM or SOCK_STREAM. With port 0 the probe's port (free for
 * this type) is written back into *ss. SDNS_OK, or SDNS_EIO with errno set
 * (EADDRINUSE when held). */
int sdns_port_probe(struct sockaddr_storage *ss, socklen_t len, int type);

#endif

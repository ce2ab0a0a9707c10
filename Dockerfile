# secure_dns: a build stage with the -dev packages, then a runtime image
# with only the shared libraries, sdnsd, sdnsctl, the SQL migrations, the
# console (web/) and the deployment scripts, running as the unprivileged
# user sdns. The base image is a build argument, so a machine without a
# registry can build on a local one (tests/lib/docker-base.sh):
#   docker build --build-arg DEBIAN_IMAGE=debian:bookworm-slim -t secure-dns .
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE} AS build
# tests/compose.sh removes the untagged images with this label that older
# builds left behind.
LABEL sdns.stage=build
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		gcc libc6-dev make pkg-config libngtcp2-dev libngtcp2-crypto-gnutls-dev \
		libgnutls28-dev libssl-dev libjansson-dev libsodium-dev \
		libmicrohttpd-dev libpq-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY include ./include
COPY src ./src
COPY api ./api
COPY server ./server
COPY tests/lib ./tests/lib
RUN make -j"$(nproc)" all && strip bin/sdnsd bin/sdnsctl

FROM ${DEBIAN_IMAGE}
LABEL sdns.stage=runtime
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		libngtcp2-crypto-gnutls2 libngtcp2-9 libgnutls30 libssl3 libjansson4 \
		libsodium23 libmicrohttpd12 libpq5 ca-certificates \
	&& rm -rf /var/lib/apt/lists/* \
	&& groupadd --system --gid 999 sdns \
	&& useradd --system --uid 999 --gid 999 --home /var/lib/sdns --shell /usr/sbin/nologin sdns \
	&& mkdir -p /pki /var/lib/sdns /out/node-alpha /out/node-beta /out/node-gamma \
	&& chown -R sdns:sdns /pki /var/lib/sdns /out
COPY --from=build /src/bin/sdnsd /src/bin/sdnsctl /opt/sdns/bin/
COPY migrations /opt/sdns/migrations
COPY web /opt/sdns/web
COPY deploy/*.sh deploy/*.sql /opt/sdns/deploy/
ENV PATH=/opt/sdns/bin:$PATH
# uid/gid 999 pinned: deploy/k8s runs the image as 999. A fresh named
# volume on /pki takes this owner, so the jobs and nodes
# never need root; /out/<node> are the mount points of the compose file's
# per-node PKI volumes (deploy/pki.sh), owned the same way.
USER sdns
WORKDIR /var/lib/sdns
# DoQ (UDP), management API (TCP), plain-DNS stub (UDP+TCP)
EXPOSE 8853/udp 8443/tcp 5353/udp 5353/tcp
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=12 \
	CMD ["/opt/sdns/deploy/health.sh"]
ENTRYPOINT ["/opt/sdns/deploy/node.sh"]

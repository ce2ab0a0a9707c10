# secure_dns on debian:bookworm-slim: a build stage with the -dev packages,
# then a runtime image with only the shared libraries, sdnsd, sdnsctl, the
# SQL migrations and the deployment scripts.
FROM debian:bookworm-slim AS build
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		gcc make pkg-config libngtcp2-dev libngtcp2-crypto-gnutls-dev \
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
RUN make -j"$(nproc)" all

FROM debian:bookworm-slim
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		libngtcp2-crypto-gnutls2 libngtcp2-9 libgnutls30 libssl3 libjansson4 \
		libsodium23 libmicrohttpd12 libpq5 ca-certificates \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --home /var/lib/sdns --shell /usr/sbin/nologin sdns
COPY --from=build /src/bin/sdnsd /src/bin/sdnsctl /opt/sdns/bin/
COPY migrations /opt/sdns/migrations
COPY deploy /opt/sdns/deploy
ENV PATH=/opt/sdns/bin:$PATH
# DoQ (UDP), management API (TCP), plain-DNS stub (UDP+TCP)
EXPOSE 8853/udp 8443/tcp 5353/udp 5353/tcp
ENTRYPOINT ["/opt/sdns/deploy/node.sh"]

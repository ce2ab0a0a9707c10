# secure_dns — plain Makefile. `make run` and `make test` are all a person needs.
#   make            build bin/sdnsd and bin/sdnsctl
#   make SAN=1      the same with ASan+UBSan, into build-san/ (test with make test SAN=1)
#   make test       deps, build, unit + integration + short fuzz runs
#   make run        deps, build, dev PKI and zone under ./var, start sdnsd
#   make stop       stop a `make run` from another terminal (SDNS_VAR picks which)
#   make bench      benchmark figures, beside Unbound and Knot DNS (see README)
#   make mesh       a mesh on loopback (PostgreSQL, PKI, SDNS_MESH_NODES sdnsd, default 3)
#   make fuzz       long libFuzzer runs (FUZZ_SECONDS each)
#   make deps       install missing Debian packages (or print the command)
#   make install    binaries, migrations, console, man pages, systemd units
#                   (PREFIX=/usr/local, DESTDIR; make uninstall removes them)

CC := gcc
FUZZCC := clang
SHELL := /bin/bash

PKGS := libngtcp2 libngtcp2_crypto_gnutls gnutls openssl jansson libsodium libmicrohttpd libpq
TEST_PKGS := check

# Debian 12 packages the build, the tests and `make run` use.
DEBS := gcc make pkg-config clang libclang-rt-14-dev valgrind \
	libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libssl-dev \
	libjansson-dev libsodium-dev libmicrohttpd-dev libpq-dev postgresql \
	check openssl python3 python3-dnspython python3-cryptography python3-yaml \
	curl unbound dnsperf bind9-dnsutils bind9-utils knot-dnsutils chromium \
	docker.io docker-compose debootstrap
# Only `make bench` needs these: the peers it measures sdnsd against.
BENCH_DEBS := knot
# tests/install.sh builds the Debian package (dpkg-buildpackage, debian/)
DEBS += build-essential dpkg-dev debhelper fakeroot

# Installation (make install, the Debian package). sdnsd looks for its
# migrations and console beside the binary first (the source tree, the
# container image), then in DATADIR, which is compiled in.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/sdns
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

ifeq ($(SAN),1)
B := build-san
BIN := build-san/bin
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
else
B := build
BIN := bin
SANFLAGS :=
OPT := -O2
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) $(SANFLAGS) -Iinclude -Itests/lib -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)
LDLIBS = $(PKG_LIBS) -lpthread -lm
LDFLAGS := $(SANFLAGS)

LIB_SRCS := $(sort $(wildcard src/*/*.c api/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
SDNSD_OBJS := $(patsubst %.c,$(B)/%.o,$(sort $(wildcard server/sdnsd/*.c)))
SDNSCTL_OBJS := $(patsubst %.c,$(B)/%.o,$(sort $(wildcard server/sdnsctl/*.c)))
TESTLIB_OBJS := $(patsubst %.c,$(B)/%.o,$(sort $(wildcard tests/lib/*.c)))
UNIT_SRCS := $(sort $(wildcard tests/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/%.c=$(B)/tests/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/*.c))
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/%.c=%)
# Pure modules only: the fuzz targets never touch sockets or TLS.
FUZZ_LIB_SRCS := $(sort $(wildcard src/dns/*.c src/zone/*.c)) src/util/error.c src/util/log.c
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 8

# Quiet by default (one line per file); V=1 shows the whole commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-5s %s\n' $(1) $(2)
endif

.SECONDARY:
.PHONY: all deps test unit integration valgrind fuzz fuzz-smoke run stop mesh bench readme clean \
	install uninstall FORCE
all: $(BIN)/sdnsd $(BIN)/sdnsctl

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

# DATADIR is compiled into one object; the stamp rebuilds it when it changes.
$(B)/server/sdnsd/datadir.o: CFLAGS += -DSDNS_DATADIR='"$(DATADIR)"'
$(B)/server/sdnsd/datadir.o: $(B)/datadir.stamp
$(B)/datadir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR)' | cmp -s - $@ 2>/dev/null || echo '$(DATADIR)' >$@

$(B)/libsdns.a: $(LIB_OBJS)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(BIN)/sdnsd: $(SDNSD_OBJS) $(B)/libsdns.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/sdnsctl: $(SDNSCTL_OBJS) $(B)/libsdns.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/%.o $(TESTLIB_OBJS) $(B)/libsdns.a
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

deps:
	@missing=$$(for p in $(DEBS) $(EXTRA_DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "deps: missing Debian packages:" $$missing; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "deps: run as root: sudo apt-get update && sudo apt-get install -y --no-install-recommends $$missing"; exit 1; \
	fi

# Short fuzz runs, then the unit tests (Check), the integration scripts and,
# in the plain build, every unit suite again under valgrind (leaks and
# uninitialised reads that the sanitizer build does not see).
VALGRIND_RUNS := $(if $(filter 1,$(SAN)),,$(UNIT_BINS:$(B)/tests/%=tests/lib/valgrind.sh:%))
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@$(MAKE) --no-print-directory fuzz-smoke
	@B=$(B) BIN=$(BIN) SAN=$(SAN) tests/lib/run-tests.sh $(UNIT_BINS) $(sort $(wildcard tests/*.sh)) $(VALGRIND_RUNS)

unit: all $(UNIT_BINS)
	@B=$(B) BIN=$(BIN) SAN=$(SAN) tests/lib/run-tests.sh $(UNIT_BINS)

valgrind: all $(UNIT_BINS)
	@B=$(B) BIN=$(BIN) tests/lib/run-tests.sh $(UNIT_BINS:$(B)/tests/%=tests/lib/valgrind.sh:%)

integration: all
	@B=$(B) BIN=$(BIN) SAN=$(SAN) tests/lib/run-tests.sh $(sort $(wildcard tests/*.sh))

# libFuzzer targets (clang); a checked-in seed corpus per target.
$(B)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZCC) -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $^

fuzz-smoke: $(FUZZ_NAMES:%=$(B)/fuzz/%)
	@for t in $(FUZZ_NAMES); do \
		mkdir -p $(B)/fuzz/corpus-$$t; \
		echo "fuzz: $$t for $(FUZZ_SMOKE_SECONDS)s"; \
		$(B)/fuzz/$$t -max_total_time=$(FUZZ_SMOKE_SECONDS) -max_len=4096 -print_final_stats=0 \
			$(B)/fuzz/corpus-$$t tests/corpus/$$t >$(B)/fuzz/$$t.log 2>&1 \
			|| { tail -40 $(B)/fuzz/$$t.log; echo "fuzz: $$t FAILED"; exit 1; }; \
		grep -E '^#[0-9]+.*(DONE|pulse)' $(B)/fuzz/$$t.log | tail -1; \
	done

fuzz: $(FUZZ_NAMES:%=$(B)/fuzz/%)
	@for t in $(FUZZ_NAMES); do mkdir -p $(B)/fuzz/corpus-$$t; \
		$(B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz/corpus-$$t tests/corpus/$$t || exit 1; done

run: deps all
	@BIN=$(BIN) server/dev/run.sh

# Stops the `make run` nodes of $(SDNS_VAR) (default var) from another
# terminal; PostgreSQL stops with its last user.
stop:
	@server/dev/stop.sh

mesh: deps all
	@BIN=$(BIN) server/dev/mesh.sh

bench:
	@$(MAKE) --no-print-directory deps EXTRA_DEBS="$(BENCH_DEBS)"
	@$(MAKE) --no-print-directory all
	@BIN=$(BIN) tests/lib/bench.sh

# The sdnsctl reference in README.md, from the programs' own --help.
readme: all
	@BIN=$(BIN) python3 tests/lib/docref.py write

# The units name the installed paths: sed fills in deploy/systemd/*.in.
UNITS := sdnsd.service sdnsd@.service
SUBST := sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g'
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(DATADIR)/migrations $(DESTDIR)$(DATADIR)/web \
		$(DESTDIR)$(DATADIR)/examples $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(BIN)/sdnsd $(DESTDIR)$(SBINDIR)/sdnsd
	install -m 0755 $(BIN)/sdnsctl $(DESTDIR)$(BINDIR)/sdnsctl
	install -m 0644 migrations/*.sql $(DESTDIR)$(DATADIR)/migrations/
	install -m 0644 web/* $(DESTDIR)$(DATADIR)/web/
	install -m 0644 man/sdnsd.8 $(DESTDIR)$(MANDIR)/man8/sdnsd.8
	install -m 0644 man/sdnsctl.1 $(DESTDIR)$(MANDIR)/man1/sdnsctl.1
	for u in $(UNITS); do $(SUBST) deploy/systemd/$$u.in >$(DESTDIR)$(UNITDIR)/$$u \
		&& chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	install -m 0644 deploy/systemd/sdns.sysusers $(DESTDIR)$(SYSUSERSDIR)/sdns.conf
	$(SUBST) deploy/systemd/sdnsd.json.in >$(DESTDIR)$(DATADIR)/examples/sdnsd.json
	chmod 0644 $(DESTDIR)$(DATADIR)/examples/sdnsd.json

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/sdnsd $(DESTDIR)$(BINDIR)/sdnsctl \
		$(DESTDIR)$(MANDIR)/man8/sdnsd.8 $(DESTDIR)$(MANDIR)/man1/sdnsctl.1 \
		$(UNITS:%=$(DESTDIR)$(UNITDIR)/%) $(DESTDIR)$(SYSUSERSDIR)/sdns.conf
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san bin

-include $(shell find $(B) -name '*.d' 2>/dev/null)

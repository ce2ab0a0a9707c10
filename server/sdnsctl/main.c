/* sdnsctl: the command-line tool for PKI, queries, zones and benchmarks. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sdns/log.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"pki", ctl_pki, "init|issue|pin|zonekey  create and manage the mesh PKI"},
	{"query", ctl_query, "NAME [TYPE]      ask a server over DNS-over-QUIC"},
	{"bench", ctl_bench, "NAME [TYPE]      measure DoQ queries/s and latency"},
	{"bench-api", ctl_bench_api, "ZONE        measure API writes/s and change-to-DoQ time"},
	{"bench-mesh", ctl_bench_mesh, "ZONE       measure change on owner -> answer on peers"},
	{"bench-sign", ctl_bench_sign, "           measure background re-signing (CPU/hour)"},
	{"zone", ctl_zone, "check|list|create|delete|import  zones (check: local)"},
	{"record", ctl_record, "add|list|update|delete  records of a zone"},
	{"peer", ctl_peer, "token|list|revoke|add  enrollment tokens and peers"},
	{"audit", ctl_audit, "list|verify      the audit chain"},
	{"enroll", ctl_enroll, "--api URL --token T --dir DIR  join the mesh"},
};

static void usage(FILE *f)
{
	fputs("usage: sdnsctl COMMAND [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].help);
	fputs("\n'sdnsctl COMMAND --help' describes each command.\n", f);
}

int main(int argc, char **argv)
{
	sdns_log_setup(stderr, SDNS_LOG_WARN);
	/* A server closing mid-request must be an error, not a dead process. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sdnsctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

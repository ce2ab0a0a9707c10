/* sdnsctl zone check: parse and check master files as sdnsd would load
 * them, so an operator finds a bad file before the daemon does. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sdns/error.h"
#include "sdns/zload.h"

static void usage(FILE *f)
{
	fputs("usage: sdnsctl zone check [ORIGIN=]FILE...\n\n"
	      "Checks master files exactly as sdnsd loads them: syntax (with line\n"
	      "numbers), one SOA at the apex, CNAME exclusivity, names in zone.\n", f);
}

int ctl_zone(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "sdnsctl zone: unknown subcommand '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	int status = 0, files = 0;
	for (int i = 2; i < argc; i++) {
		files++;
		sdns_zone *z;
		char err[512] = "";
		int rc = sdns_zload_spec(argv[i], &z, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "sdnsctl zone: %s\n", err[0] ? err : sdns_strerror(rc));
			status = 1;
			continue;
		}
		char apex[SDNS_NAME_STR_MAX];
		sdns_name_to_str(sdns_zone_apex(z), apex, sizeof(apex));
		printf("%s: zone %s serial %u, %zu records: OK\n", argv[i], apex,
		       sdns_zone_serial(z), sdns_zone_rr_count(z));
		sdns_zone_free(z);
	}
	if (!files) {
		usage(stderr);
		return 2;
	}
	return status;
}

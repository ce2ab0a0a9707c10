#!/usr/bin/env bash
# Runs one Check suite under valgrind (no fork, so the tests run inside the
# checked process): any definite/indirect leak or memory error fails it.
set -u
suite=$1
B=${B:-build}
# Suites with a very large case run a smaller one of the same kind here.
export CK_FORK=no CK_DEFAULT_TIMEOUT=600 SDNS_TEST_UNDER_VALGRIND=1
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=9 "$B/tests/$suite"

#!/usr/bin/env bash
# Runs every test program given (Check binaries and *.sh integration scripts)
# and ends with the plain summary line "N passed, N failed".
set -u
passed=0 failed=0 failed_names=()
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60}
for t in "$@"; do
	name=$(basename "$t")
	echo "=== $name"
	case "$t" in
	*.sh:*) cmd=(bash "${t%%:*}" "${t#*:}") ;; # runner:argument
	*.sh) cmd=(bash "$t") ;;
	*) cmd=("$t") ;;
	esac
	if "${cmd[@]}"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1)); failed_names+=("$name")
	fi
done
[ "$failed" -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

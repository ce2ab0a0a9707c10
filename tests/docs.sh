#!/usr/bin/env bash
# The README's reference cannot drift from the programs: the sdnsctl
# synopsis is every command's own --help (make readme writes it), and the
# options table has a row for every option of sdnsd --help and no other.
. "$(dirname "$0")/lib/shtest.sh"
t_setup docs
cd "$ROOT"
ABSBIN=$(cd "$BIN" && pwd)

out=$(BIN="$ABSBIN" $PY tests/lib/docref.py check 2>&1)
t_eq "README.md agrees with sdnsd --help and every sdnsctl --help" "" "$out"

# the check itself sees drift: an option dropped from the synopsis, a row
# for an option that does not exist, an option without a row
mkdir "$T_DIR/stale"
sed -e '/docref: sdnsctl/,/\/docref/{/--days N/d}' \
    -e 's/^| `--tls-key FILE` |/| `--tls-keyx FILE` |/' README.md > "$T_DIR/stale/README.md"
out=$(cd "$T_DIR/stale" && BIN="$ABSBIN" $PY "$ROOT/tests/lib/docref.py" check 2>&1); rc=$?
t_eq "a stale README fails the check" 1 "$rc"
t_match "naming the sdnsctl drift" 'differs from the programs.*run make readme' "$(echo "$out" | tr '\n' ' ')"
t_match "a row sdnsd does not have" 'names --tls-keyx, which sdnsd --help does not have' "$out"
t_match "an option without a row" 'sdnsd --tls-key has no row' "$out"

# the man pages too: sdnsd(8) has an entry for every option of sdnsd --help
# and no other, sdnsctl(1) a subsection per command naming all its options
out=$(BIN="$ABSBIN" $PY tests/lib/docref.py man 2>&1)
t_eq "man/sdnsd.8 and man/sdnsctl.1 agree with sdnsd --help and every sdnsctl --help" "" "$out"
mkdir "$T_DIR/man"
# drop the --tls-key entry (the .TP and its two lines), rename --stub-workers,
# drop --days from pki issue and the synopsis line of zone export
sed -e '/^\\fB\\-\\-tls\\-key\\fR/{N;d}' -e 's/\\-\\-stub\\-workers/\\-\\-stub\\-workerz/' \
    man/sdnsd.8 >"$T_DIR/man/sdnsd.8"
sed -e '/^\\fB\\-\\-days\\fR/,+1d' -e '/^sdnsctl zone export/d' man/sdnsctl.1 >"$T_DIR/man/sdnsctl.1"
out=$(MANDIR="$T_DIR/man" BIN="$ABSBIN" $PY tests/lib/docref.py man 2>&1); rc=$?
t_eq "stale man pages fail the check" 1 "$rc"
t_match "an option without an entry" 'sdnsd --tls-key has no entry under OPTIONS' "$out"
t_match "an entry sdnsd does not have" 'documents --stub-workerz, which sdnsd --help does not have' "$out"
t_match "a sdnsctl option missing from its subsection" 'sdnsctl pki issue --days is not in .*sdnsctl.1 under "sdnsctl pki issue"' "$out"
t_match "a usage line missing from its synopsis" 'under "sdnsctl zone" lacks the usage line "sdnsctl zone export ZONE' "$out"
t_done

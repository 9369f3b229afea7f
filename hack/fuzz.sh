#!/usr/bin/env bash
# A short run of one native Go fuzz target that fails on findings, not on
# the fuzzing engine's own shutdown race.
#
#   hack/fuzz.sh FuzzName ./package [fuzztime]
#
# Go 1.26's fuzz coordinator can end a -fuzztime run with a bare
# "context deadline exceeded" and no failing input when the deadline fires
# while its worker is mid-call (golang/go#75804, fixed in Go 1.27). It
# happens on a busy 2-core machine and says nothing about aimesh. So:
#
#   - a failing input written to testdata/fuzz/<FuzzName>/, or any failure
#     other than that one line, fails the run (commit the input as a
#     regression case);
#   - that bare deadline line alone is reported, and the committed corpus
#     (f.Add seeds and testdata/fuzz) is then replayed without fuzzing:
#     the run fails if any input fails.
#
# Each new interesting input is minimised for at most FUZZMINIMIZETIME
# (default 2s; Go's default is 60s). With Go's default, a short run of an
# expensive target spends the rest of its time minimising the first input
# it finds: FuzzLoad for 20 s from an empty cache ran 4 inputs after the
# baseline and kept none; with 2s, 9 inputs and 4 new ones. A failing
# input is still written, less minimised.
set -euo pipefail

name=${1:?usage: hack/fuzz.sh FuzzName ./package [fuzztime]}
pkg=${2:?usage: hack/fuzz.sh FuzzName ./package [fuzztime]}
fuzztime=${3:-15s}
minimize=${FUZZMINIMIZETIME:-2s}
go=${GO:-go}

corpus="$pkg/testdata/fuzz/$name"
before=$(ls "$corpus" 2>/dev/null | sort || true)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
"$go" test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" -fuzzminimizetime="$minimize" -parallel=1 "$pkg" 2>&1 | tee "$log" || status=$?
[ "$status" -eq 0 ] && exit 0

after=$(ls "$corpus" 2>/dev/null | sort || true)
if [ "$before" != "$after" ] || grep -q 'Failing input written to' "$log"; then
  echo "fuzz: $name found a failing input under $corpus: commit it as a regression case" >&2
  exit 1
fi

# The engine's deadline race prints exactly this after the FAIL line and
# nothing else of its own: no panic, no t.Error output, no input.
if grep -q "^--- FAIL: ${name} " "$log" \
  && [ "$(sed -n "/^--- FAIL: ${name} /{n;p;}" "$log" | tr -d ' \t')" = "contextdeadlineexceeded" ] \
  && ! grep -qE 'panic:|_test\.go:[0-9]+:|Failing input' "$log"; then
  echo "fuzz: $name stopped on Go's fuzztime deadline race (golang/go#75804), no failing input; replaying the corpus" >&2
  "$go" test -count=1 -run="^${name}\$" "$pkg"
  exit $?
fi
exit "$status"

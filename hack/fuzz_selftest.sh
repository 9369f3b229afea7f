#!/usr/bin/env bash
# Checks hack/fuzz.sh's verdicts with a fake `go` that prints what a fuzz
# run prints: a clean run, Go's bare deadline race (answered by a replay,
# which here passes or fails), a written failing input, a panic after the
# deadline line, and another failure. Run by make fuzz before fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/go" <<'FAKE'
#!/usr/bin/env bash
# A fuzz call prints $FAKE_OUT and exits $FAKE_RC; a replay exits $REPLAY_RC.
if [[ "$*" == *"-fuzz="* ]]; then printf -- "$FAKE_OUT"; exit "$FAKE_RC"; fi
exit "${REPLAY_RC:-0}"
FAKE
chmod +x "$tmp/go"
race='fuzz: elapsed: 15s, execs: 59817 (0/sec)\n--- FAIL: FuzzX (15.16s)\n    context deadline exceeded\nFAIL\nexit status 1\n'
fail=0
expect() { # want-rc name out rc [replay-rc]
	local want=$1 name=$2 got=0
	FAKE_OUT=$3 FAKE_RC=$4 REPLAY_RC=${5:-0} GO="$tmp/go" ./hack/fuzz.sh FuzzX ./generator/emit 1s >/dev/null 2>&1 || got=$?
	if [[ $got != "$want" ]]; then
		echo "fuzz_selftest: $name: exit $got, want $want" >&2
		fail=1
	fi
}
expect 0 "clean run" 'PASS\nok\n' 0
expect 0 "deadline race, replay passes" "$race" 1 0
expect 1 "deadline race, replay fails" "$race" 1 1
expect 1 "failing input written" '--- FAIL: FuzzX (1.0s)\n    --- FAIL: FuzzX (0.00s)\n        x_test.go:12: boom\n    Failing input written to testdata/fuzz/FuzzX/abc\nFAIL\n' 1
expect 1 "panic after the deadline line" '--- FAIL: FuzzX (15.16s)\n    context deadline exceeded\npanic: boom\n' 1
expect 1 "another failure" '--- FAIL: FuzzX (15.16s)\n    something else\n' 1
[[ $fail == 0 ]] && echo "fuzz_selftest: ok"
exit $fail

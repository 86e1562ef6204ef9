#!/bin/sh
# Runs every test: C unit tests, fuzz corpus replays, CLI and API tests
# against a real server, all built with AddressSanitizer and UBSan. Each
# suite prints "N passed, N failed"; this script adds them up, prints the
# total as its last line and exits 1 when anything failed.
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0

# Runs one suite, echoes its output, and adds its closing counts. A suite that
# crashes or prints no counts is one failure.
suite() {
    name=$1
    shift
    "$@" >"$out/log" 2>&1
    status=$?
    cat "$out/log"
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out/log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
        f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
        passed=$((passed + p))
        failed=$((failed + f))
        if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
            echo "$name: exited $status"
            failed=$((failed + 1))
        fi
    else
        echo "$name: exited $status without a result line"
        failed=$((failed + 1))
    fi
}

for t in build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    suite "$t" "$t"
done
for t in build/asan/fuzz/replay_*; do
    [ -x "$t" ] || continue
    suite "$t" "$t"
done
suite "api" python3 tests/api/run.py

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

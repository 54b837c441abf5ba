#!/bin/sh
# Run emu's tests: unit (cmocka), qtest (device tests without a CPU) and
# functional (the real binary, talking QMP/HMP).  Exit status 0 means none
# failed.  A test exiting 77 is counted as skipped.
#
#   tests/run.sh BUILDDIR [unit|qtest|functional]...

build=${1:-build}
shift 2>/dev/null
suites=${*:-"unit qtest functional"}
export EMU="$(cd "$build" && pwd)/emu"
export QTEST_EMU_BINARY="$EMU"
logdir="$build/test-logs"
mkdir -p "$logdir"

pass=0; fail=0; skip=0; failed=

run_one() {
    # $1 display name, rest: command
    name=$1; shift
    log="$logdir/$(echo "$name" | tr '/ ' '__').log"
    start=$(date +%s)
    timeout -k 10 300 "$@" >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1)); echo "PASS  $name (${secs}s)"
    elif [ $rc -eq 77 ]; then
        skip=$((skip + 1)); echo "SKIP  $name: $(tail -n 1 "$log")"
    else
        fail=$((fail + 1)); failed="$failed $name"
        echo "FAIL  $name (exit $rc, ${secs}s); last lines of $log:"
        tail -n 25 "$log" | sed 's/^/    /'
    fi
}

for suite in $suites; do
    case $suite in
    unit)
        for t in "$build"/tests/unit/test-*; do
            case $t in *.o|*.d) continue ;; esac
            [ -x "$t" ] || continue
            run_one "unit/$(basename "$t")" "$t"
        done ;;
    qtest)
        for t in "$build"/tests/qtest/*-test; do
            [ -x "$t" ] || continue
            run_one "qtest/$(basename "$t")" "$t"
        done ;;
    functional)
        for t in tests/functional/test_*.py tests/functional/test_*.sh; do
            [ -f "$t" ] || continue
            case $t in
            *.py) run_one "functional/$(basename "$t")" python3 "$t" ;;
            *.sh) run_one "functional/$(basename "$t")" sh "$t" ;;
            esac
        done ;;
    *) echo "run.sh: unknown suite '$suite'" >&2; exit 2 ;;
    esac
done

echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]

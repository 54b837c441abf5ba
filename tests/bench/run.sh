#!/bin/sh
# make bench: run the same Linux guest and the same work on emu and on
# Debian's qemu-system-x86_64, under each accelerator this host can use, and
# print the figures and the ratios emu/QEMU.  See docs/devel/testing.md.
#
#   tests/bench/run.sh [BUILDDIR]          BUILDDIR defaults to build
#
# Environment: BENCH_RUNS (default 3), BENCH_TIMEOUT (seconds per run,
# default 300), BENCH_ACCELS (e.g. "tcg"; default: every usable one),
# QEMU (default qemu-system-x86_64).
# Exit status: 0 when the reference runs (QEMU, the host) worked, whatever
# emu managed; 1 otherwise.
set -u

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runs=${BENCH_RUNS:-3}
timeout=${BENCH_TIMEOUT:-300}
qemu=${QEMU:-qemu-system-x86_64}

fail() {
    echo "bench: $*" >&2
    exit 1
}

command -v python3 >/dev/null 2>&1 || fail "needs python3"
qemu_path=$(command -v "$qemu") ||
    fail "needs Debian's QEMU to compare with: apt-get install qemu-system-x86"

sh "$top/tests/guest/build-guest.sh" "$build/guest" || exit 1

# Accelerators: the translator always; KVM only where the CPU has VT-x or
# AMD-V and /dev/kvm opens.  (A PVM /dev/kvm, as on our CI hosts, shows no
# vmx/svm flag: it runs firmware and small programs but no Linux kernel.)
if [ -n "${BENCH_ACCELS:-}" ]; then
    accels=$BENCH_ACCELS
else
    accels=tcg
    if grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null; then
        if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
            accels="$accels kvm"
        else
            echo "bench: kvm skipped: the CPU has vmx/svm but /dev/kvm cannot be opened"
        fi
    elif [ -e /dev/kvm ]; then
        echo "bench: kvm skipped: /dev/kvm exists but the CPU shows no vmx/svm" \
             "(nested/PVM KVM here cannot boot Linux)"
    else
        echo "bench: kvm skipped: no /dev/kvm and no vmx/svm"
    fi
fi

echo "bench: $("$qemu_path" --version | head -n 1)"
echo "bench: guest $(sed -n 's/^kernel=//p' "$build/guest/stamp"), $runs runs each, timeout ${timeout}s per run"

# emu-img convert vs qemu-img convert: its own small table (emu-img-bench.py)
if command -v qemu-img >/dev/null 2>&1; then
    python3 "$here/emu-img-bench.py" --emu-img "$build/emu-img" \
        --qemu-img "$(command -v qemu-img)" --runs "$runs" \
        --out "$build/bench" ||
        echo "bench: emu-img rows: the qemu-img reference failed"
    echo
else
    echo "bench: emu-img rows skipped: no qemu-img (apt-get install qemu-utils)"
fi

set --
for a in $accels; do
    set -- "$@" --accel "$a"
done

# In-guest disk I/O (IDE dd; virtio-blk diskbench: sequential, random QD1/QD32)
# vs QEMU and the host on the same file (disk-bench.py)
python3 "$here/disk-bench.py" --guest "$build/guest" --emu "$build/emu" \
    --qemu "$qemu_path" --runs "$runs" --timeout "$timeout" \
    --out "$build/bench" "$@" ||
    echo "bench: disk rows: the QEMU reference failed"
echo

exec python3 "$here/bench.py" --guest "$build/guest" --emu "$build/emu" \
    --qemu "$qemu_path" --runs "$runs" --timeout "$timeout" \
    --out "$build/bench" "$@"

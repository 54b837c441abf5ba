#!/usr/bin/env python3
"""Share of perf samples per translated block, from emu's -perfmap file.

perf resolves names from /tmp/perf-PID.map only for anonymous memory;
emu's code buffer is a memfd mapped twice (W^X), which perf reports as
"memfd:emu-jit (deleted)" with file offsets.  This script does the
lookup itself:

    emu -perfmap ... &            # or run it under perf record directly
    perf record -o perf.data -F 4000 -p PID   (or: perf record emu ...)
    perf script -i perf.data -F ip,sym > samples.txt
    scripts/perf-tb-report.py /tmp/perf-PID.map samples.txt [TOP]

Prints the TOP (default 40) entries: TBs as tb-GUESTPC, everything else
by the symbol perf found.  A TB name can be looked up in a
`-d in_asm,op_opt,out_asm -D log` run of the same guest.
"""
import bisect
import collections
import sys


def load_map(path):
    # after a flush, a new TB reuses the space of an old one: the later
    # line for a start address wins (a profile of a run with flushes
    # mixes the two anyway)
    by_start = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            by_start[int(parts[0], 16)] = (int(parts[1], 16), parts[2])
    return sorted((a, sz, name) for a, (sz, name) in by_start.items())


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    entries = load_map(sys.argv[1])
    starts = [e[0] for e in entries]
    top = int(sys.argv[3]) if len(sys.argv) == 4 else 40
    counts = collections.Counter()
    total = 0
    with open(sys.argv[2]) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            try:
                ip = int(parts[0], 16)
            except ValueError:
                continue
            total += 1
            i = bisect.bisect_right(starts, ip) - 1
            if i >= 0 and ip < entries[i][0] + entries[i][1]:
                counts[entries[i][2]] += 1
            else:
                counts[parts[1] if len(parts) > 1 else "?"] += 1
    if not total:
        print("no samples")
        return 1
    for name, n in counts.most_common(top):
        print("%6.2f%%  %s" % (100.0 * n / total, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())

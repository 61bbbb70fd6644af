#!/usr/bin/env bash
# bench/phold_vs_cref.sh - PHOLD through renkei's engine beside the bare C reference
# (../shared/bench/cref), in the same run, alternating, medians of RUNS runs; then memory
# per pending event from peak RSS at two queue sizes, as ../shared/bench/run_all.sh does.
#   bash bench/phold_vs_cref.sh [path/to/renkei]      (RUNS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
RENKEI=${1:-build/renkei}
RUNS=${RUNS:-5}
CREF_SRC=${CREF_SRC:-../shared/bench/cref}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

have_cref=false
if [ -f "$CREF_SRC/phold.c" ]; then
    cp -r "$CREF_SRC" "$work/cref"
    make -s -C "$work/cref" >/dev/null 2>&1 && have_cref=true
fi
[ "$have_cref" = true ] || echo "(no C reference at $CREF_SRC: renkei only)"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

: >"$work/renkei"; : >"$work/cref.txt"
for ((i = 1; i <= RUNS; i++)); do
    "$RENKEI" bench phold >>"$work/renkei"
    [ "$have_cref" = true ] && "$work/cref/phold" >>"$work/cref.txt"
done
r_eps=$(field ev_per_s <"$work/renkei" | median)
r_ev=$(field events <"$work/renkei" | head -1)
printf 'renkei  PHOLD N=1800 M=16 end=400: %s events, median %.0f events/s (loop only, %d runs)\n' "$r_ev" "$r_eps" "$RUNS"
if [ "$have_cref" = true ]; then
    c_eps=$(field ev_per_s <"$work/cref.txt" | median)
    c_ev=$(field events <"$work/cref.txt" | head -1)
    printf 'cref    PHOLD N=1800 M=16 end=400: %s events, median %.0f events/s (loop only, %d runs)\n' "$c_ev" "$c_eps" "$RUNS"
    awk -v r="$r_eps" -v c="$c_eps" 'BEGIN { printf "ratio   renkei / cref = %.2f\n", r / c }'
fi

# memory per pending event: peak RSS at 1800x16 and 1800x160 pending events (END=2)
rss() { "$RENKEI" bench phold --lps "$1" --events-per-lp "$2" --end 2 --json | sed -n 's/.*"peak_rss_kib":\([0-9]*\).*/\1/p'; }
a=$(for _ in 1 2 3; do rss 1800 16; done | median)
b=$(for _ in 1 2 3; do rss 1800 160; done | median)
awk -v a="$a" -v b="$b" 'BEGIN { printf "memory  %.1f bytes per pending event (peak RSS %d KiB at 28,800 pending, %d KiB at 288,000)\n", (b - a) * 1024 / (1800 * 144), a, b }'

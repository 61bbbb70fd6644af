#!/usr/bin/env bash
# bench/figures.sh - the figures of issue 18's table, measured here, printed as a table:
# the national day (whole command, --out), the 10x peak day, a month of the fiscal year (the
# year is twelve of them), PHOLD beside the bare C reference, and the Monte Carlo of the
# national rollout. The machine is shared and noisy: every figure is a median over RUNS runs
# with its spread (min-max); with OLD=path/to/an/older/renkei the national day alternates
# the two binaries run by run and prints their ratio.
#   bash bench/figures.sh [path/to/renkei]     RUNS=5, QUICK=1: the national day and PHOLD only
set -euo pipefail
cd "$(dirname "$0")/.."
RENKEI=${1:-build/renkei}
RUNS=${RUNS:-5}
OLD=${OLD:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RENKEI_SNAPSHOTS=${RENKEI_SNAPSHOTS:-$work/snapshots}
ND="topologies/japan.lua scripts/bench/national_day.lua --quiet"

# stats FILE: "median (min-max)" of the numbers in FILE
stats() { sort -g "$1" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f (%.2f-%.2f)", m, a[1], a[NR]}'; }
# timed NAME ARGS...: wall and user+sys seconds and peak RSS of one run, appended to NAME.*
timed() {
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || true
    read -r wall user sys rss <"$work/t"
    echo "$wall" >>"$work/$name.wall"
    awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}' >>"$work/$name.cpu"
    echo $((rss / 1024)) >>"$work/$name.rss"
}
row() { printf '| %s | %s | %s | %s MiB | %s |\n' "$1" "$(stats "$work/$2.wall")" "$(stats "$work/$2.cpu")" "$(sort -g "$work/$2.rss" | tail -1)" "$3"; }

echo "| figure | wall s, median (min-max) | CPU s | peak RSS | notes |"
echo "|---|---|---|---|---|"
# the snapshot of the day before is built by a first run that is not counted
"$RENKEI" run $ND --zstd --out "$work/nd" >/dev/null 2>&1 || true
for ((i = 1; i <= RUNS; i++)); do
    [ -n "$OLD" ] && timed old_nd "$OLD" run $ND --out "$work/old_nd"
    timed nd "$RENKEI" run $ND --zstd --out "$work/nd"
done
size=$(du -m "$work/nd/trace.jsonl.zst" | cut -f1)
row "national day, --out --zstd" nd "trace.jsonl.zst ${size} MB; $(jq -r .trace_hash "$work/nd/summary.json" | cut -c1-12)"
if [ -n "$OLD" ]; then
    size=$(du -m "$work/old_nd/trace.jsonl" | cut -f1)
    row "national day, --out, $OLD" old_nd "trace.jsonl ${size} MB; $(jq -r .trace_hash "$work/old_nd/summary.json" | cut -c1-12)"
    paste "$work/old_nd.wall" "$work/nd.wall" | awk '{print $1 / $2}' >"$work/ratio"
    echo "| ratio old / new, wall, pair by pair | $(stats "$work/ratio") | | | $RUNS alternating pairs |"
fi
if [ -z "${QUICK:-}" ]; then
    "$RENKEI" run $ND --set day_scale=10 --zstd --out "$work/peak" >/dev/null 2>&1 || true
    for ((i = 1; i <= (RUNS < 3 ? RUNS : 3); i++)); do timed peak "$RENKEI" run $ND --set day_scale=10 --zstd --out "$work/peak"; done
    row "10x peak day, --out --zstd" peak "$(du -m "$work/peak/trace.jsonl.zst" | cut -f1) MB trace"
    timed fy "$RENKEI" run topologies/japan.lua scripts/bench/fiscal_year.lua --set months=1 --quiet --zstd --out "$work/fy"
    row "fiscal year: April 2022 (21 of 243 business days)" fy "$(du -m "$work/fy/trace.jsonl.zst" | cut -f1) MB trace; x12 for the year"
    timed mc "$RENKEI" run topologies/japan.lua scripts/rollout/national_2017.lua --set resident_scale=0.00001 --quiet --runs 200 --out "$work/mc"
    row "Monte Carlo, 200 runs of the national rollout" mc "$(jq -r '.monte_carlo.jobs' "$work/mc/summary.json") workers"
fi
echo
RUNS=$RUNS bash bench/phold_vs_cref.sh "$RENKEI"

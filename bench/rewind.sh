#!/usr/bin/env bash
# bench/rewind.sh - how long POST /api/rewind takes on the national day served with the
# dashboard: the day is run to its end, then rewound to each moment below and run to the end
# again; prints each rewind's wall time (the whole request, as curl sees it) and the median
# and spread. A program that prints figures, not a test.
#   bench/rewind.sh [RENKEI] [TIMES...]     (default: build/renkei; 08:45 09:00 ... 17:10)
set -euo pipefail
RENKEI=${1:-build/renkei}; shift || true
TIMES=("$@")
[ ${#TIMES[@]} -gt 0 ] || TIMES=(17:10 08:45 12:00 09:00 16:59 10:17 13:29 15:01 11:44 14:30 09:59)
TMP=$(mktemp -d)
"$RENKEI" run topologies/japan.lua scripts/bench/national_day.lua --quiet --serve 0 --out "$TMP/out" >"$TMP/log" 2>&1 &
PID=$!
trap 'kill -INT $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
for _ in $(seq 600); do grep -q 'dashboard at' "$TMP/log" && break; sleep 0.1; done
url=$(sed -n 's/^renkei: dashboard at \(http:[^#]*\)#token=\([0-9a-f]*\)$/\1 \2/p' "$TMP/log")
BASE=${url% *} TOKEN=${url#* }
post() { curl -s -X POST -H "Authorization: Bearer $TOKEN" "${BASE}api/$1" -d "$2"; }
to_end() {   # run to 17:14 (the day ends 17:15) and wait there
    post speed '{"speed":0}' >/dev/null
    post until '{"time":"17:14"}' >/dev/null
    for _ in $(seq 6000); do [ "$(curl -s "${BASE}api/state" | jq -r .state)" = paused ] && break; sleep 0.1; done
}
to_end
secs=()
for t in "${TIMES[@]}"; do
    s=$(curl -s -o "$TMP/ans" -w '%{time_total}' -X POST -H "Authorization: Bearer $TOKEN" "${BASE}api/rewind" -d "{\"to\":\"$t\"}")
    printf 'rewind to %s: %.3f s (re-ran %s events from the checkpoint; now %s)\n' "$t" "$s" \
        "$(jq -r .replayed_events "$TMP/ans")" "$(jq -r .now "$TMP/ans")"
    secs+=("$s")
    to_end
done
printf '%s\n' "${secs[@]}" | sort -g | awk '{a[NR]=$1} END {printf "rewinds: %d, median %.3f s, min %.3f s, max %.3f s\n", NR, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1], a[NR]}'

# tests/cli_failback_state.sh - the map's states of a site loss's tenants (issue 16): failed
# over (2) while east is away, "home back: resynchronising, awaiting failback" (4) from its
# return at 18:00 until the operators fail back at 07:00, then up (0); read from
# GET /api/topology of a served run, as the page colours them.
set -euo pipefail
source tests/lib.sh "$@"
PID=""
trap 'for p in $PID; do kill -INT "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
B="$TMP/body"
post() { code=$(curl -s -o "$B" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" "$BASE${1#/}" --data-binary "$2"); [ "$code" = 200 ] || fail "POST $1: $code $(cat "$B")"; }
until_paused() {
    post /api/until "{\"time\":\"$1\"}"
    for _ in $(seq 3000); do   # a hang guard
        curl -s "${BASE}api/state" >"$B"
        [ "$(jq -r .state "$B")" = paused ] && [ "$(jq -r .now "$B")" = "$1:00" ] && return
        sleep 0.05
    done
    fail "never paused at $1"
}
east_states() { curl -s "${BASE}api/topology" | jq -c '[.nodes[] | select(.kind == "lg" and .home == "east") | .state] | unique'; }
serve topologies/small.lua scripts/disasters/east_site_loss.lua -q --set day_scale=0.05 --serve 0
post /api/speed '{"speed":0}'
until_paused "2017-11-13 09:50"
[ "$(east_states)" = "[0]" ] || fail "before the loss east's tenants are up: $(east_states)"
until_paused "2017-11-13 12:00"
[ "$(east_states)" = "[2]" ] || fail "while east is away its tenants are failed over (2): $(east_states)"
until_paused "2017-11-13 19:00"
[ "$(east_states)" = "[4]" ] || fail "east back, before the failback: awaiting failback (4): $(east_states)"
until_paused "2017-11-14 08:00"
[ "$(east_states)" = "[0]" ] || fail "after the failback east's tenants are home (0): $(east_states)"
kill -INT "$PID"
wait_renkei
finish

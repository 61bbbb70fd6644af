# tests/lib.sh - helpers for the command-line tests (tests/cli_*.sh), sourced by each.
# Usage in a test: source tests/lib.sh "$@"; then expect_exit / expect_* ...; finish.
#
# What a run did is asserted on its machine-readable outputs, never on the sentences it prints
# (the print format may change): summary.json (written with --out DIR) and the HTTP API's JSON
# answers, read with jq. Stdout/stderr are checked only for what is a contract: the one-line
# error naming file:line on stderr, and the exact exit status (and `renkei check`'s one line,
# as it writes no summary; a served run's address and token are read from what it prints).
#
#   run_renkei ARGS...          run; stdout in $TMP/out, stderr in $TMP/err, status in $status
#   expect_exit CODE ARGS...    run, and the exit status is CODE
#   expect_match FILE REGEX     a line of FILE matches the extended regex (stderr, traces, HTML)
#   expect_no_match FILE REGEX, expect_one_line FILE
#   json FILE FILTER            print FILTER's value (strings raw): h=$(json "$S" .trace_hash);
#                               a *.jsonl FILE (trace.jsonl) is read as one array of its lines
#   trace_hash DIR              the run's trace hash, from DIR/summary.json
#   expect_trace_hash DIR       DIR/summary.json has one (64 hex digits)
#   expect_json FILE FILTER TEST [WHAT]
#                               FILTER yields exactly one value and the jq boolean TEST holds on
#                               it (TEST sees the value as `.`); a failure shows WHAT, the filter
#                               and the value:
#                                 expect_json "$S" .flows.inquiry.started '. >= 700' "inquiries started"
#   expect_same_json FILE1 FILE2 FILTER WHAT    FILTER gives the same (non-null) value in both
#   expect_other_json FILE1 FILE2 FILTER WHAT   ... gives a value in both, and they differ
#   expectation_held FILE NAME            the expectation NAME ran and passed
#   expectation_failed FILE NAME [REGEX]  it ran and failed, its message matching REGEX
#   invariant_held FILE NAME              the invariant NAME held
#   invariant_failed FILE NAME [REGEX]    it did not, its detail matching REGEX
#   no_failures FILE            every expectation passed and every invariant held
#   hash_of                     the trace hash printed in $TMP/out (only for runs without --out)
#   serve ARGS..., call METHOD PATH [HEADER], served_to_end
#                               a run served in the background (PID, BASE, TOKEN); a request
#                               to it (status in $code, answer in $TMP/body); resumed to its end
#   finish                      exit 1 if anything failed
RENKEI=${1:?usage: $0 path/to/renkei}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# snapshots of the day before (sim_snapshot.h) stay in the test's own directory, not ~/.cache
export RENKEI_SNAPSHOTS="$TMP/snapshots"
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run_renkei ARGS...: runs renkei, keeping stdout in $TMP/out, stderr in $TMP/err, status in $status
run_renkei() {
    set +e
    "$RENKEI" "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
    set -e
}

# expect_exit CODE ARGS...
expect_exit() {
    local want=$1; shift
    run_renkei "$@"
    [ "$status" -eq "$want" ] || fail "renkei $* exited $status, expected $want; stderr: $(head -c 400 "$TMP/err")"
}

# expect_match FILE REGEX: the file has a line matching the extended regex
expect_match() {
    grep -Eq -- "$2" "$1" || fail "$1 does not match /$2/: $(head -c 400 "$1")"
}

expect_no_match() {
    ! grep -Eq -- "$2" "$1" || fail "$1 unexpectedly matches /$2/"
}

# expect_one_line FILE: an error is one line
expect_one_line() {
    [ "$(wc -l <"$1")" -le 1 ] || fail "$1 has more than one line: $(cat "$1")"
}

hash_of() { sed -n 's/.*sha256 \([0-9a-f]\{64\}\).*/\1/p' "$TMP/out"; }

# ---- JSON (jq) ----------------------------------------------------------------------------

# A FILE named *.jsonl (trace.jsonl, a session log) is read as one array of its lines.
jq_in() { case "$1" in *.jsonl) echo -s ;; esac; }

# json FILE FILTER: the value, strings without quotes. Used in $(...), where a failure cannot be
# counted: on a missing file or a bad filter it says so on stderr and prints nothing, so check
# what it gave (expect_json ... or [ -n ]) before comparing with it.
json() {
    jq $(jq_in "$1") -r "$2" "$1" || echo "json: cannot read $2 from $1" >&2
}

# trace_hash DIR: DIR/summary.json's trace hash; compare others with
#   expect_json DIR2/summary.json .trace_hash ". == \"$h\"" "..."
trace_hash() { json "$1/summary.json" .trace_hash; }

# expect_trace_hash DIR: the run in DIR has a trace hash (sha256, 64 hex digits)
expect_trace_hash() {
    expect_json "$1/summary.json" .trace_hash 'test("^[0-9a-f]{64}$")' "a trace hash in $1/summary.json"
}

# jq_str TEXT: TEXT as a jq string literal, to put a name or a regex into a filter
jq_str() { jq -Rn --arg s "$1" '$s'; }

# expect_json FILE FILTER TEST [WHAT]
expect_json() {
    local file=$1 filter=$2 test=$3 what=${4:-"$2 | $3"} got
    if [ ! -s "$file" ]; then
        fail "$what: $file is missing or empty"
        return 0
    fi
    got=$(jq $(jq_in "$file") -c "[($filter) | ($test)]" "$file" 2>&1) || true
    [ "$got" = "[true]" ] && return 0
    fail "$what: in $file, $filter is $(jq $(jq_in "$file") -c "$filter" "$file" 2>&1 | head -c 600), expected: $test"
}

# same_json FILE1 FILE2 FILTER: 0 the same (compared as jq -S prints them), 1 different, 2 a
# file, the filter or a value missing (null)
same_json() {
    local a b
    a=$(jq $(jq_in "$1") -S "$3" "$1" 2>&1) && b=$(jq $(jq_in "$2") -S "$3" "$2" 2>&1) || return 2
    [ -n "$a" ] && [ "$a" != null ] && [ -n "$b" ] && [ "$b" != null ] || return 2
    [ "$a" = "$b" ]
}

expect_same_json() {
    local rc=0
    same_json "$1" "$2" "$3" || rc=$?
    [ "$rc" -eq 0 ] || fail "$4: $3 $([ "$rc" -eq 1 ] && echo differs || echo "is missing") in $1 and $2"
}

expect_other_json() {
    local rc=0
    same_json "$1" "$2" "$3" || rc=$?
    [ "$rc" -eq 1 ] || fail "$4: $3 $([ "$rc" -eq 0 ] && echo "is the same" || echo "is missing") in $1 and $2"
}

# the entries of ARRAY (.expectations, .invariants) named NAME
named() { echo "[$1[]? | select(.name == $(jq_str "$2"))]"; }

expectation_held() {
    expect_json "$1" "$(named .expectations "$2")" 'length == 1 and .[0].passed == true' "expectation '$2' held"
}

expectation_failed() {
    expect_json "$1" "$(named .expectations "$2")" \
        "length == 1 and .[0].passed == false and (.[0].message // \"\" | test($(jq_str "${3:-}")))" \
        "expectation '$2' failed${3:+ with a message matching /$3/}"
}

invariant_held() {
    expect_json "$1" "$(named .invariants "$2")" 'length == 1 and .[0].held == true' "invariant '$2' held"
}

invariant_failed() {
    expect_json "$1" "$(named .invariants "$2")" \
        "length == 1 and .[0].held == false and (.[0].detail | test($(jq_str "${3:-}")))" \
        "invariant '$2' failed${3:+ with a detail matching /$3/}"
}

no_failures() {
    expect_json "$1" '[(.expectations[]? | select(.passed != true)), (.invariants[]? | select(.held != true))]' \
        'length == 0' "every expectation passed and every invariant held"
}

# Servers in the background (the dashboard, a connection test): PID, BASE, TOKEN set.
# serve RUN_ARGS...: start renkei serving in the background; sets PID, BASE, TOKEN
serve() {
    "$RENKEI" run "$@" >"$TMP/serve.out" 2>"$TMP/serve.err" &
    PID=$!
    for _ in $(seq 3000); do   # a hang guard
        grep -q 'dashboard at' "$TMP/serve.out" 2>/dev/null && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    local url
    url=$(sed -n 's/^renkei: dashboard at \(http:[^#]*\)#token=\([0-9a-f]*\)$/\1 \2/p' "$TMP/serve.out")
    BASE=${url% *}
    TOKEN=${url#* }
    [ -n "$BASE" ] || { fail "no dashboard URL printed: $(cat "$TMP/serve.out" "$TMP/serve.err")"; finish; }
}
# call METHOD PATH [HEADER]: a request to the served run (BASE); the answer in $TMP/body, the
# status in $code (a header means a control: an empty JSON body goes with it)
call() { code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" "$BASE${2#/}" ${3:+-H "$3"} ${3:+--data-binary '{}'} ${3:+-H 'Content-Type: application/json'}); }
# served_to_end: resume the served run whenever it pauses, until it has ended
served_to_end() {
    for _ in $(seq 3000); do   # a hang guard, not a time limit
        call GET /api/state
        state=$(jq -r .state "$TMP/body")
        [ "$state" = ended ] && break
        [ "$state" = paused ] && call POST /api/resume "Authorization: Bearer $TOKEN"
        sleep 0.05
    done
}
# connect OUT ARGS...: start a session in the background; sets PID, BASE (http: or https:), TOKEN
# (the address and the token are only printed: no file holds them)
connect() {
    local out=$1; shift
    mkdir -p "$out"
    "$RENKEI" run "$@" --out "$out" >"$out/renkei.out" 2>"$out/renkei.err" &
    PID=$!
    for _ in $(seq 600); do
        grep -q 'access token' "$out/renkei.out" 2>/dev/null && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    BASE=$(sed -n 's/^renkei: connection test of .* API at \(https\{0,1\}:[^ ]*\)$/\1/p' "$out/renkei.out")
    TOKEN=$(sed -n 's/^renkei: access token \([0-9a-f]*\) .*/\1/p' "$out/renkei.out")
    [ -n "$BASE" ] && [ -n "$TOKEN" ] || { fail "no API address printed: $(cat "$out/renkei.out" "$out/renkei.err")"; finish; }
}

# wait_renkei: wait for the background renkei (PID) to end; its exit status in STATUS
wait_renkei() {
    set +e
    wait "$PID"
    STATUS=$?
    set -e
}

finish() {
    if [ "$failures" -gt 0 ]; then
        echo "$failures failure(s)" >&2
        exit 1
    fi
    echo "ok"
}

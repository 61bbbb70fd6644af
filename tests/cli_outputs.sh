# tests/cli_outputs.sh - the outputs are atomic and honest (issue 15): report.html escapes what
# it reads, outputs appear under their names only when complete, a run interrupted or killed
# leaves no previous run's files beside its own, SIGPIPE on stdout loses no file, a trace that
# could not be written is an error, --runs counts what ran.
set -euo pipefail
source tests/lib.sh "$@"
L=tests/lua

# ---- renkei report escapes every string of a hand-written summary.json -------------------
# hostile_summary.json also lacks a latency figure (p50, max: it crashed); _full has them all
for f in hostile_summary hostile_summary_full; do
    expect_exit 0 report tests/data/report/$f.json "$TMP/$f.html"
    H="$TMP/$f.html"
    # no markup of the summary's reaches the page as markup (the JSON in <script> has \u003c)
    expect_no_match "$H" '<img'
    expect_no_match "$H" '<script>x'
    expect_no_match "$H" '<b>'
    # ... it is there as text: keys and values, with & escaped
    for n in 2 3 4 5 6 7 8 9 10 11; do
        expect_match "$H" "&lt;img src=x onerror=alert\($n\)&gt;"
    done
    expect_match "$H" 'live&lt;img src=x onerror=alert\(3\)&gt;&amp;amp'
    expect_match "$H" 'k&lt;img src=x onerror=alert\(9\)&gt;&amp;'
    expect_match "$H" 'n&amp;m'
done

# ---- a complete run: its files under their names, no PARTIAL, no .part -----------------
expect_exit 0 run $L/pass.lua -q --out "$TMP/ok"
S="$TMP/ok/summary.json"
expect_json "$S" .complete '. == true' "a complete run says so"
expect_json "$S" .trace '.complete == true and .file == "trace.jsonl"' "its trace is whole"
expect_trace_hash "$TMP/ok"
[ -e "$TMP/ok/PARTIAL" ] && fail "a complete run left PARTIAL"
[ -s "$TMP/ok/report.html" ] && [ -s "$TMP/ok/trace.jsonl" ] || fail "report.html or trace.jsonl missing"
ls "$TMP/ok" | grep -q '\.part$' && fail "a complete run left a .part file: $(ls "$TMP/ok")"
[ "$(sha256sum <"$TMP/ok/trace.jsonl" | cut -c1-64)" = "$(trace_hash "$TMP/ok")" ] || fail "the hash is not trace.jsonl's"

# ---- a trace that cannot be written is an error, not a hash (/dev/full: ENOSPC) -----------
# (trace.jsonl too, for the program before issue 15 that wrote it under its name)
mkdir -p "$TMP/full"
ln -s /dev/full "$TMP/full/trace.jsonl.part"
ln -s /dev/full "$TMP/full/trace.jsonl"
expect_exit 4 run $L/pass.lua -q --out "$TMP/full"
expect_match "$TMP/err" "^renkei: cannot write $TMP/full/trace\.jsonl(\.part)?: No space left on device$"
expect_one_line "$TMP/err"
S="$TMP/full/summary.json"
expect_json "$S" .trace '.complete == false and (.error | test("No space left on device"))' "the summary says the trace is not there"
expect_json "$S" .trace_hash '. == ""' "no trace hash for a trace that is not there"
expect_json "$S" .trace_records '. == null' "no record count either"
expect_json "$S" '[.complete, .exit_status]' '. == [false, 4]' "incomplete, exit status 4"
[ -e "$TMP/full/PARTIAL" ] || fail "no PARTIAL beside a failed trace"

# ---- report.html that cannot be written is reported as such -------------------------------
mkdir -p "$TMP/rep/report.html.part"   # a directory where the page is written
expect_exit 4 run $L/pass.lua -q --out "$TMP/rep"
expect_match "$TMP/err" "^renkei: cannot write $TMP/rep/report\.html\.part: Is a directory$"
expect_no_match "$TMP/err" "summary\.json"
S="$TMP/rep/summary.json"
expect_json "$S" .report '.complete == false and (.error | test("report.html"))' "the summary says report.html failed"
expect_json "$S" '[.complete, .exit_status]' '. == [false, 4]' "incomplete, exit status 4"
expect_trace_hash "$TMP/rep"

# ---- SIGPIPE on stdout loses no file -------------------------------------------------------
# the reader closes its end before renkei starts: its first write to stdout meets EPIPE
rm -f "$TMP/closed"
( while [ ! -e "$TMP/closed" ]; do sleep 0.05; done
  set +e; "$RENKEI" run $L/pass.lua --out "$TMP/pipe" 2>"$TMP/pipe.err"; echo $? >"$TMP/pipe.status" ) |
    { exec 0<&-; touch "$TMP/closed"; }
wait
[ "$(cat "$TMP/pipe.status")" = 0 ] || fail "a run with its stdout closed exited $(cat "$TMP/pipe.status"), expected the run's status 0"
expect_json "$TMP/pipe/summary.json" '[.complete, .exit_status]' '. == [true, 0]' "the files are written with stdout gone"
expect_trace_hash "$TMP/pipe"

# ---- SIGKILL: the previous run's summary and report are not left beside a new trace --------
expect_exit 0 run $L/pass.lua -q --out "$TMP/kill"
serve topologies/demo.lua scripts/demo.lua -q --serve 0 --play --speed 1 --out "$TMP/kill"
kill -KILL "$PID"
wait "$PID" 2>/dev/null || true
[ -e "$TMP/kill/summary.json" ] && fail "the previous run's summary.json is left after SIGKILL: $(ls "$TMP/kill")"
[ -e "$TMP/kill/report.html" ] && fail "the previous run's report.html is left after SIGKILL"
[ -e "$TMP/kill/PARTIAL" ] || fail "no PARTIAL after SIGKILL"

# ---- SIGTERM: the outputs are written and say they are partial, exit 143 -------------------
expect_exit 0 run $L/pass.lua -q --out "$TMP/term"
serve topologies/demo.lua scripts/demo.lua -q --serve 0 --play --speed 1 --out "$TMP/term"
kill -TERM "$PID"
set +e; wait "$PID"; st=$?; set -e
[ "$st" -eq 143 ] || fail "SIGTERM: exited $st, expected 143"
S="$TMP/term/summary.json"
expect_json "$S" '[.complete, .end_reason, .interrupted, .exit_status]' '. == [false, "terminated", true, 143]' "a terminated run's summary"
expect_json "$S" .scripts '. == ["topologies/demo.lua", "scripts/demo.lua"]' "it is this run's summary, not the previous one's"
expect_trace_hash "$TMP/term"
[ -e "$TMP/term/PARTIAL" ] || fail "no PARTIAL after SIGTERM"

# ---- --runs: a killed worker is replaced and its seed run again: every seed has a result -----
"$RENKEI" run $L/slow_seed.lua -q --runs 20 --jobs 2 --out "$TMP/mc" >"$TMP/mc.out" 2>"$TMP/mc.err" &
PID=$!
victim=
for _ in $(seq 600); do   # a hang guard
    victim=$(pgrep -P "$PID" | head -1 || true)
    [ -n "$victim" ] && break
    sleep 0.01
done
[ -n "$victim" ] || fail "no worker process to kill"
kill -KILL "$victim"
set +e; wait "$PID"; st=$?; set -e
[ "$st" -eq 0 ] || fail "--runs with a worker killed once exited $st, expected 0 (its seeds run again); $(head -c 300 "$TMP/mc.err")"
M="$TMP/mc/summary.json"
expect_json "$M" .monte_carlo '.requested == 20 and .runs == 20 and .not_run == 0 and .errors == 0' "all 20 seeds run, none lost"
expect_json "$M" '[.complete, .exit_status]' '. == [true, 0]' "complete, exit status 0"
# ---- each output is on the disk before its name appears: fsync(NAME.part), rename, fsync(DIR) --
if command -v strace >/dev/null; then
    # LeakSanitizer stops the world with ptrace, which strace holds: no leak check here
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        strace -f -y -e trace=fsync,rename -o "$TMP/strace.txt" "$RENKEI" run topologies/demo.lua scripts/demo.lua -q \
        --out "$TMP/sync" >/dev/null 2>&1 || fail "the run under strace failed"
    for f in trace.jsonl report.html summary.json; do
        synced=$(grep -n "fsync([0-9]*<$TMP/sync/$f.part>" "$TMP/strace.txt" | head -1 | cut -d: -f1 || true)
        renamed=$(grep -n "rename(\"$TMP/sync/$f.part\", \"$TMP/sync/$f\") = 0" "$TMP/strace.txt" | head -1 | cut -d: -f1 || true)
        dir=$(grep -n "fsync([0-9]*<$TMP/sync>" "$TMP/strace.txt" | cut -d: -f1 | awk -v r="${renamed:-0}" '$1 > r' | head -1 || true)
        [ -n "$synced" ] && [ -n "$renamed" ] && [ -n "$dir" ] && [ "$synced" -lt "$renamed" ] ||
            fail "$f: not fsync'd before its rename, or the directory not after (fsync ${synced:-none}, rename ${renamed:-none}, dir ${dir:-none})"
    done
else
    fail "strace is missing (./dev installs it for the tests)"
fi

# ---- the connection test's session log is whole or absent under its name ----------------
connect "$TMP/cs" topologies/small.lua scripts/connect/vendor_plain.lua -q --connect 271004 --listen 127.0.0.1:0
[ -e "$TMP/cs/connect_session.jsonl.part" ] || fail "no connect_session.jsonl.part while the session runs"
[ ! -e "$TMP/cs/connect_session.jsonl" ] || fail "connect_session.jsonl under its name while the session still runs"
curl -s -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" "${BASE}session/end" || fail "session/end"
set +e; wait "$PID"; st=$?; set -e
[ "$st" -eq 0 ] || fail "the ended session exited $st: $(head -c 300 "$TMP/cs/renkei.err")"
[ ! -e "$TMP/cs/connect_session.jsonl.part" ] || fail "connect_session.jsonl.part left behind"
expect_match "$TMP/cs/connect_session.jsonl" '"end":"api"'
expect_json "$TMP/cs/summary.json" .session_log '. == {"file": "connect_session.jsonl", "complete": true}' "the session log whole"
finish

# tests/cli_http_hardening.sh - the HTTP layer and the connection-test API against a hostile
# client (issue 15), over real TCP, on the real binary: HTTP/1.1 without Host, Expect:
# 100-continue, methods a path does not take (405 with Allow and the API's code), queries whose
# escapes do not decode, bodies the strict JSON reader refuses, an individual number anywhere
# in a body, a body of 80,000 members, idle token-less connections that must not lock a vendor
# out, and --serve with a --listen that fails (the process must end, not hang). The session
# with all of that in it replays to the same trace hash. The dashboard's API gets the same.
set -euo pipefail
source tests/lib.sh "$@"
PY=${PYTHON:-python3}
T="topologies/small.lua scripts/connect/vendor_plain.lua"
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- --serve P with a --listen that fails: a clear error and exit 2, not a hang ----------------
P=$(free_port)
set +e
timeout 60 "$RENKEI" run $T -q --connect 271004 --serve "$P" --listen "$P" >"$TMP/out" 2>"$TMP/err"
status=$?
set -e
[ "$status" -eq 2 ] || fail "--serve $P --listen $P exited $status (124: it hung), expected 2: $(head -c 300 "$TMP/err")"
expect_match "$TMP/err" "--listen $P: address already in use"

# --- a connection-test session --------------------------------------------------------------
OUT="$TMP/live"
connect "$OUT" $T -q --connect 271004 --listen 127.0.0.1:0 --connect-rate 0

cat >"$TMP/hostile.py" <<'EOF'
"""The hostile client: each check prints FAIL: ... when it does not hold."""
import json, socket, sys, time, urllib.parse

base, token = sys.argv[1], sys.argv[2]
u = urllib.parse.urlsplit(base)
host, port, prefix = u.hostname, u.port, u.path.rstrip("/")
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + what)


def dial():
    s = socket.create_connection((host, port), timeout=30)
    return s


def read_response(s):
    """(status, headers dict, body) of one response on s."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") else -1
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:n]


def exchange(raw):
    s = dial()
    s.sendall(raw)
    r = read_response(s)
    s.close()
    return r


def request(method, path, body=None, headers=None, auth=True):
    h = {"Host": "127.0.0.1", "Connection": "close"}
    if auth:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    data = body if isinstance(body, bytes) else (body or "").encode()
    h["Content-Length"] = str(len(data))
    head = f"{method} {prefix}/{path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    status, headers_got, text = exchange(head.encode() + data)
    doc = None
    try:
        doc = json.loads(text)
    except ValueError:
        pass
    return status, headers_got, doc


def errors(doc):
    return [(e.get("field"), e.get("rule")) for e in (doc or {}).get("errors", [])]


# HTTP/1.1 without Host, or with two: 400
st, _, _ = exchange(f"GET {prefix}/session HTTP/1.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode())
check(st == 400, f"no Host: {st}")
st, _, _ = exchange(f"GET {prefix}/session HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n"
                    f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode())
check(st == 400, f"two Hosts: {st}")

# Expect: 100-continue: 100 before the body is sent, then the answer
body = b'{"addressee_no":"000000000000012"}'
s = dial()
s.sendall(f"POST {prefix}/codes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
          f"Expect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
          "Connection: close\r\n\r\n".encode())
s.settimeout(5)
try:
    first = s.recv(25)
except socket.timeout:
    first = b"(nothing within 5 s)"
check(first == b"HTTP/1.1 100 Continue\r\n\r\n", f"Expect: 100-continue: got {first!r}")
s.settimeout(30)
s.sendall(body)
st, _, text = read_response(s)
s.close()
doc = json.loads(text) if text else None
check(st == 409 and ("addressee_no", "already_acquired") in errors(doc), f"after 100 Continue: {st} {doc}")

# PUT/PATCH/DELETE on a path that exists: 405, the API's code, and Allow
for method, path, allow in (("PUT", "replicas", "POST"), ("PATCH", "replicas/X-1", "GET"), ("DELETE", "codes", "POST")):
    st, h, doc = request(method, path, "{}")
    check(st == 405 and (doc or {}).get("code") == "method_not_allowed" and h.get("allow") == allow,
          f"{method} {path}: {st} allow={h.get('allow')} {doc}")

# a query whose escapes do not decode: 400 bad_query naming the parameter
st, _, doc = request("GET", "provisions?from=%zz")
check(st == 400 and (doc or {}).get("code") == "bad_query" and ("from", "escape") in errors(doc), f"from=%zz: {st} {doc}")
st, _, doc = request("GET", "session?x=%e3%81")
check(st == 400 and ("x", "escape") in errors(doc), f"x=%e3%81: {st} {doc}")

# bodies the strict reader refuses: 400 bad_json naming the rule (a key twice: 422 with its path)
inq = '"addressee_no":"000000000000012","procedure":"child_allowance","item":"TM00000000000002","provider":"131016"'
for raw, status, want in (
        (b'{"addressee_no":"000000000000012"} {}', 400, ("body", "trailing")),
        (('{' + inq + ',"staff":"S\\u00001"}').encode(), 400, ("body", "nul")),
        (('{' + inq + ',"staff":"S').encode() + b"\xff\"}", 400, ("body", "utf8")),
        (b'{"record_id":"H-1","addressee_no":"000000000000012","item":"TM00000000000001","schema_version":1,'
         b'"pub_start":"2017-11-13","payload":{"n":1e999}}', 400, ("body", "number")),
        (b'{"record_id":"H-2","addressee_no":"000000000000012","item":"TM00000000000001","schema_version":1,'
         b'"pub_start":"2017-11-13","payload":{"a":{"b":1,"b":2}}}', 422, ("payload.a.b", "duplicate_field"))):
    path = "replicas" if b"record_id" in raw else "inquiries" if b"procedure" in raw else "codes"
    st, _, doc = request("POST", path, raw, {"Content-Type": "application/json"})
    check(st == status and want in errors(doc), f"{raw[:60]!r}: {st} {doc}")

# an individual number anywhere: refused before it travels, every one listed
reg = '"addressee_no":"000000000000012","item":"TM00000000000001","schema_version":1,"pub_start":"2017-11-13"'
st, _, doc = request("POST", "replicas", '{"record_id":"123456789018",' + reg +
                     ',"payload":{"123456789018":-123456789018,"s":"x123456789018"}}', {"Content-Type": "application/json"})
got = errors(doc)
check(st == 422 and ("record_id", "individual_no") in got and ("payload.123456789018", "individual_no") in got
      and ("payload.s", "individual_no") in got and len([e for e in got if e[1] == "individual_no"]) == 4,
      f"individual numbers: {st} {got}")

# 80,000 members: refused at once (linear), 1,000 problems listed
big = "{" + ",".join('"k%06d":0' % i for i in range(80000)) + "}"
t0 = time.time()
st, _, doc = request("POST", "codes", big, {"Content-Type": "application/json"})
took = time.time() - t0
print(f"80,000 members ({len(big)} bytes): {st} in {took:.3f} s")
check(st == 422 and len(doc["errors"]) == 1000 and doc.get("errors_not_listed") == 79001 and took < 10,
      f"80,000 members: {st} in {took:.1f} s")

# idle token-less connections: more than the listener holds, and a vendor still gets in at once
idle = [dial() for _ in range(40)]
time.sleep(0.3)
t0 = time.time()
st, _, doc = request("GET", "session")
check(st == 200, f"a vendor behind 40 idle token-less connections: {st} {doc}")
check(time.time() - t0 < 3, "the vendor waited for the idle connections")
# and those that were not closed to make room are gone within the 5 s deadline
time.sleep(6.5)
alive = 0
for s in idle:
    s.settimeout(0.2)
    try:
        alive += s.recv(1) != b""
    except socket.timeout:
        alive += 1
    except OSError:
        pass
    s.close()
check(alive == 0, f"{alive} idle token-less connections outlived the 5 s deadline")

st, _, _ = request("POST", "session/end", "")
check(st == 200, f"session/end: {st}")
sys.exit(1 if failures else 0)
EOF
if ! "$PY" "$TMP/hostile.py" "$BASE" "$TOKEN" >"$TMP/hostile.out" 2>&1; then
    fail "the hostile client: $(grep FAIL "$TMP/hostile.out" || tail -5 "$TMP/hostile.out")"
    kill -INT "$PID" 2>/dev/null || true   # the session would not end otherwise
fi
grep '^80,000 members' "$TMP/hostile.out" || true
set +e
wait "$PID"
STATUS=$?
set -e
PID=""
[ "$STATUS" -eq 0 ] || fail "the session ended with $STATUS (its invariants: no individual number on the network): $(tail -3 "$OUT/renkei.err")"
expect_match "$OUT/renkei.out" 'ended: session_end'
expect_match "$OUT/summary.json" '"evicted_connections":[[:space:]]*[1-9]'   # the idle ones made room
live=$(sed -n 's/.*sha256 \([0-9a-f]\{64\}\).*/\1/p' "$OUT/renkei.out")
# bodies that were not UTF-8 are logged as hex, so the strict reader reads the log back
expect_match "$OUT/connect_session.jsonl" '"body_hex":'
expect_match "$OUT/connect_session.jsonl" '"method":"PUT"'
expect_exit 0 run $T -q --replay-session "$OUT/connect_session.jsonl" --out "$TMP/replay"
[ "$(hash_of)" = "$live" ] || fail "the replay's trace hash $(hash_of) differs from the live session's $live"
expect_match "$TMP/out" 'replay: [0-9]+ requests, 0 answered differently'
# a session log the strict reader refuses is named with its line, byte and rule
head -1 "$OUT/connect_session.jsonl" >"$TMP/bad.jsonl"
printf '{"seq":1,"seq":2}\n' >>"$TMP/bad.jsonl"
expect_exit 2 run $T -q --replay-session "$TMP/bad.jsonl"
expect_match "$TMP/err" "bad.jsonl:2: not strict JSON: byte 9 \(at seq\): duplicate key 'seq'"

# --- the dashboard's API --------------------------------------------------------------------
serve topologies/small.lua scripts/training/child_allowance.lua -q --serve 0
DASH=$BASE
DTOKEN=$TOKEN
call() {   # call METHOD PATH [BODY]: status in $code, headers and body in $TMP/resp
    local args=(-s -D "$TMP/head" -o "$TMP/resp" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $DTOKEN" "$DASH${2#/}")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    code=$(curl "${args[@]}")
}
call PUT /api/state '{}'
[ "$code" = 405 ] && grep -qi '^Allow: GET' "$TMP/head" || fail "PUT /api/state: $code $(cat "$TMP/head" "$TMP/resp")"
call GET '/api/events?node=%zz'
[ "$code" = 400 ] && grep -q "query parameter 'node'" "$TMP/resp" || fail "node=%zz: $code $(cat "$TMP/resp")"
call POST /api/faults '{"kind":"crash","target":"east","kind":"site_down"}'
[ "$code" = 400 ] && grep -q 'duplicate key' "$TMP/resp" || fail "a fault with kind twice: $code $(cat "$TMP/resp")"
call POST /api/speed '{"speed":1e999}'
[ "$code" = 400 ] && grep -q 'rule number' "$TMP/resp" || fail "speed 1e999: $code $(cat "$TMP/resp")"
status=$("$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /api/state HTTP/1.1\r\nConnection: close\r\n\r\n")
print(s.recv(12).decode().split()[1])' "$(echo "$DASH" | sed 's|.*:\([0-9]*\)/$|\1|')")
[ "$status" = 400 ] || fail "the dashboard without Host: $status"
kill -INT "$PID"
set +e
wait "$PID"
set -e
PID=""

# issue 15: a step that ends the run under --exit-at-end is answered before the process exits
serve tests/lua/pass.lua -q --serve 0 --exit-at-end --out "$TMP/step_end"
code=$(curl -s -o "$TMP/resp" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' --data-binary '{"events":100000}' "${BASE}api/step" || true)
[ "$code" = 200 ] || fail "a step that ends the run: HTTP $code (no answer)"
expect_json "$TMP/resp" . '.stepped == 4 and .state == "ended" and .end_reason == "drained" and .exit_status == 0' \
    "the step's answer says the run ended"
set +e
wait "$PID"
st=$?
set -e
PID=""
[ "$st" -eq 0 ] || fail "--exit-at-end after the last step exited $st"
expect_json "$TMP/step_end/summary.json" '[.complete, .events]' '. == [true, 4]' "and its outputs are written"

finish

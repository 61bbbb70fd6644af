# tests/cli_connect_tls.sh - the connection test over TLS (issue 17, item 6): a certificate
# generated for the session (--tls) or given (--tls-cert/--tls-key), client certificates
# verified against a CA (--tls-client-ca, mutual TLS): the vendor's system with its
# certificate drives the tenant and its identity is in the report and the evidence bundle; a
# certificate from another CA, or none, is refused at the handshake and recorded; plain HTTP
# only on loopback; the options are checked.
set -euo pipefail
source tests/lib.sh "$@"
PY=${PYTHON:-python3}
T="topologies/small.lua scripts/connect/vendor_plain.lua"

# two CAs, a client certificate from each (the vendor's, and a stranger's)
pki() {   # pki NAME CN: NAME-ca.pem, NAME.pem, NAME.key
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1 CA" \
        -keyout "$TMP/$1-ca.key" -out "$TMP/$1-ca.pem" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=$2/CN=$1" \
        -keyout "$TMP/$1.key" -out "$TMP/$1.csr" 2>/dev/null
    openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/$1-ca.pem" -CAkey "$TMP/$1-ca.key" -CAcreateserial -days 2 \
        -out "$TMP/$1.pem" 2>/dev/null
}
pki vendor-a "Vendor A KK"
pki stranger "Nobody"

# --- options ---------------------------------------------------------------------------------
expect_exit 2 run $T -q --connect 271004 --listen 0 --tls
expect_match "$TMP/err" 'give --out'
expect_exit 2 run $T -q --connect 271004 --listen 0 --tls-cert "$TMP/vendor-a.pem"
expect_match "$TMP/err" 'go together'
expect_exit 2 run $T -q --connect 271004 --listen 0 --tls-client-ca "$TMP/vendor-a-ca.pem"
expect_match "$TMP/err" 'over TLS'
expect_exit 2 run $T -q --connect 271004 --listen 0.0.0.0:0 --listen-any
expect_match "$TMP/err" 'plain HTTP only on loopback'
expect_exit 2 run $T -q --connect 271004 --listen 0 --tls-cert "$TMP/none.pem" --tls-key "$TMP/vendor-a.key"
expect_match "$TMP/err" 'none.pem'
expect_exit 2 run $T -q --connect 271004 --listen 0 --tls-cert "$TMP/vendor-a.pem" --tls-key "$TMP/stranger.key"
expect_match "$TMP/err" 'stranger.key: not the PEM private key of the certificate'
expect_exit 2 run $T -q --tls

# --- mutual TLS: the vendor in, the stranger and the anonymous out ------------------------------
OUT="$TMP/tls"
connect "$OUT" $T -q --connect 271004 --listen 127.0.0.1:0 --tls --tls-client-ca "$TMP/vendor-a-ca.pem"
case "$BASE" in https://*) ;; *) fail "not an https address: $BASE" ;; esac
expect_match "$OUT/renkei.out" 'TLS certificate .*connect_tls_cert.pem \(generated for this session; SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\)'
[ "$(stat -c %a "$OUT/connect_tls_key.pem")" = 600 ] || fail "the generated key is readable by others"
C=tests/connect/tls_client.py
[ "$("$PY" $C "$BASE" "$TOKEN" "$OUT/connect_tls_cert.pem" "$TMP/stranger.pem" "$TMP/stranger.key" || true)" = "handshake: SSLError" ] \
    || fail "a client certificate of another CA was not refused at the handshake"
out=$("$PY" $C "$BASE" "$TOKEN" "$OUT/connect_tls_cert.pem" || true)
case "$out" in handshake:*) ;; *) fail "no client certificate was not refused at the handshake: $out" ;; esac
# plain HTTP to the TLS port gets no HTTP answer
code=$(curl -s -o /dev/null -w '%{http_code}' "http${BASE#https}session" -H "Authorization: Bearer $TOKEN" || true)
[ "$code" = "000" ] || fail "plain HTTP was answered on the TLS port: $code"
[ "$("$PY" $C "$BASE" "$TOKEN" "$OUT/connect_tls_cert.pem" "$TMP/vendor-a.pem" "$TMP/vendor-a.key" --end)" = "200 271004" ] \
    || fail "the vendor's certificate did not get through"
wait_renkei
[ "$STATUS" -eq 0 ] || fail "the TLS session ended with $STATUS: $(cat "$OUT/renkei.err")"
S="$OUT/summary.json"
expect_json "$S" .connection_test.tls \
    '.client_certificates_required == true and .handshakes >= 1 and .refused_handshakes >= 2 and (.last_refusal | test("^127\\.0\\.0\\.1: TLS handshake refused"))' \
    "TLS: handshakes, the refused ones recorded with their reason"
expect_json "$S" .connection_test.client_certificates \
    'length == 1 and (.[0].subject | test("CN=vendor-a")) and (.[0].subject | test("O=Vendor A KK")) and .[0].requests >= 1' \
    "the vendor's certificate identity, with its requests (the count of the last one, session/end, raced the summary once under ASan)"
expect_json "$OUT/connect_evidence.json" . '(.client_certificates[0].subject | test("CN=vendor-a")) and .tls.refused_handshakes >= 2' \
    "the evidence bundle names the vendor's certificate"
expect_match "$OUT/connect_evidence.html" 'CN=vendor-a'
# the session replays without TLS (the transport is not the simulation's): same trace hash
expect_exit 0 run $T -q --replay-session "$OUT/connect_session.jsonl" --out "$TMP/replay"
expect_json "$TMP/replay/summary.json" .trace_hash ". == \"$(trace_hash "$OUT")\"" "the TLS session replays to its trace hash"

# --- a given certificate, no client certificates ----------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/given.key" -out "$TMP/given.pem" 2>/dev/null
OUT="$TMP/given"
connect "$OUT" $T -q --connect 271004 --listen 127.0.0.1:0 --tls-cert "$TMP/given.pem" --tls-key "$TMP/given.key"
[ "$("$PY" $C "$BASE" "$TOKEN" "$TMP/given.pem" --end)" = "200 271004" ] || fail "TLS with the given certificate failed"
wait_renkei
[ "$STATUS" -eq 0 ] || fail "the session ended with $STATUS"
expect_json "$OUT/summary.json" .connection_test '.tls.client_certificates_required == false and .tls.handshakes == 1 and .client_certificates == []' \
    "TLS without client certificates"
finish

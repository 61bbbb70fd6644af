# tests/lib.sh - helpers for the command-line tests (tests/cli_*.sh), sourced by each.
# Usage in a test: source tests/lib.sh "$@"; then expect_exit / expect_match; finish.
RENKEI=${1:?usage: $0 path/to/renkei}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
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

finish() {
    if [ "$failures" -gt 0 ]; then
        echo "$failures failure(s)" >&2
        exit 1
    fi
    echo "ok"
}

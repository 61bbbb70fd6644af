# tests/cli_web.sh - the browser tests (tests/web/*.test.mjs): Debian's chromium driven by
# playwright-core from npm, against the dashboard and report.html. Nothing is skipped: without
# node, chromium or the npm packages this test fails and says how to get them (./dev test
# installs them all). Screenshots are kept in <build dir>/web-artifacts.
set -euo pipefail
RENKEI="$(cd "$(dirname "${1:?usage: $0 path/to/renkei}")" && pwd)/$(basename "$1")"
setup_failed() { echo "FAIL: $*" >&2; exit 1; }
command -v node >/dev/null || setup_failed "node is not installed (./dev test installs Debian's nodejs)"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || setup_failed "no browser at $CHROMIUM (./dev test installs Debian's chromium)"
[ -f tests/web/node_modules/playwright-core/package.json ] ||
    setup_failed "playwright-core is not installed: npm ci --prefix tests/web (./dev test does it)"
ARTIFACTS=${ARTIFACTS:-$(dirname "$RENKEI")/web-artifacts}
export RENKEI CHROMIUM ARTIFACTS
status=0
for t in tests/web/*.test.mjs; do
    node --test "$t" || status=1
done
echo "screenshots in $ARTIFACTS"
exit $status

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

finish

"""tests/connect/verify.py - does the conformance report say exactly what the client did?

    python3 verify.py OUT_DIR [--complete] [--expect-errors CODE:FIELD:RULE ...]

Reads OUT_DIR/summary.json ("connection_test") and OUT_DIR/client_tally.json (the client's own
record of every answer it got) and compares, operation by operation: requests, answered,
rejected, operations accepted; every error group (status, code, field, rule) with its count;
the HTTP layer's own refusals. --complete: every required operation was exercised and seen to
succeed. --expect-flow-errors OP:OUTCOME ...: those flow errors are in the report.
"""
import collections
import json
import sys


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main(argv):
    out = argv[0]
    complete = "--complete" in argv
    flow_expected = [a.split(":") for a in argv[argv.index("--expect-flow-errors") + 1:]] \
        if "--expect-flow-errors" in argv else []
    summary = json.load(open(f"{out}/summary.json", encoding="utf-8"))
    tally = json.load(open(f"{out}/client_tally.json", encoding="utf-8"))
    ct = summary.get("connection_test")
    if not ct:
        fail("summary.json has no connection_test")

    mine = collections.defaultdict(lambda: {"requests": 0, "answered": 0, "rejected": 0})
    groups = collections.Counter()
    accepted = 0
    for a in tally["answers"]:
        m = mine[a["op"]]
        m["requests"] += 1
        m["answered" if a["status"] < 400 else "rejected"] += 1
        accepted += a.get("accepted", 0)
        if a["status"] >= 400:
            errors = a.get("errors") or [["", ""]]
            for field, rule in errors:
                groups[(a["status"], a["code"], field, rule)] += 1

    ops = ct["operations"]
    if set(ops) != set(mine):
        fail(f"operations differ: report {sorted(ops)}, client {sorted(mine)}")
    for op, m in mine.items():
        for k in ("requests", "answered", "rejected"):
            if ops[op][k] != m[k]:
                fail(f"{op}.{k}: report {ops[op][k]}, client {m[k]}")
    if ct["requests"] != len(tally["answers"]):
        fail(f"requests: report {ct['requests']}, client {len(tally['answers'])}")
    if ct["operations_accepted"] != accepted:
        fail(f"operations accepted: report {ct['operations_accepted']}, client {accepted}")

    reported = collections.Counter()
    for g in ct["errors"]:
        reported[(g["status"], g["code"], g.get("field", ""), g.get("rule", ""))] += g["count"]
    if reported != groups:
        fail(f"error groups differ:\n  only in the report: {dict(reported - groups)}\n  only the client's: {dict(groups - reported)}")

    transport = ct["http_layer"]["transport_errors_4xx"]
    if transport != tally["transport"]:
        fail(f"HTTP-layer refusals: report {transport}, client {tally['transport']}")

    if complete and (ct["verdict"] != "complete" or ct["never_exercised"] or ct["never_succeeded"]):
        fail(f"not complete: never exercised {ct['never_exercised']}, never succeeded {ct['never_succeeded']}")

    flows = {(f["operation"], f["outcome"]) for f in ct["flow_errors"]}
    for op, outcome in flow_expected:
        if (op, outcome) not in flows:
            fail(f"flow error {op}:{outcome} not in the report: {sorted(flows)}")

    print(f"verify: the report matches the client: {len(tally['answers'])} answers in {len(mine)} operations, "
          f"{sum(groups.values())} errors in {len(groups)} groups, {transport} HTTP-layer refusals")


if __name__ == "__main__":
    main(sys.argv[1:])

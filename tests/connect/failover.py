"""tests/connect/failover.py - a vendor's system through a disturbed connection test
(scripts/connect/vendor_disturbed.lua): it keeps registering replicas and inquiring, as a real
system would, while the NWS slows down, its tenant's site is lost and fails over and back, and
an interface system's certificate expires. It must see what the real system would show:
errors (503 while no site serves the tenant; operations ending unreachable or timeout), then
recovery; slow answers while the NWS is slow; integrity errors while the key has expired. It
retries what failed, and at the end every registration that was acknowledged is still there,
intact, after the failback: none was lost.

    python3 failover.py BASE_URL TOKEN OUT_DIR DISTURB_SCALE
"""
import json
import sys
import time

from api import Api, Failure, check, sim_us

MINUTE_US = 60 * 1000000


def main(base, token, out_dir, scale):
    scale = float(scale)
    transcript = open(f"{out_dir}/client_transcript.txt", "w", encoding="utf-8")
    tally = {"answers": [], "transport": 0, "waits_429": 0}
    api = Api(base, token, tally, transcript)
    _, s = api.get("session", expect=200)
    home = s["home_site"]
    start = sim_us(s["now"])
    _, fx = api.get("fixtures", expect=200)
    moved = fx["moved_in"]

    registered = {}      # record id -> payload: acknowledged, so it must survive
    pending = {}         # request id -> ("reg", record, body) or ("inq", None, None)
    retry = []           # registrations to send again
    timeline = []        # (simulated µs, "ok" | "error"): what the system saw, in order
    saw = {"unavailable": 0, "unreachable": 0, "timeout": 0, "integrity": 0, "slow": 0, "failed_over": False,
           "failed_back": False}
    n = 0
    end = start + int(19 * MINUTE_US * scale)
    while True:
        st, s = api.get("session")
        now = sim_us(s["now"])
        if s["serving_site"] != home:
            saw["failed_over"] = True
        elif saw["failed_over"]:
            saw["failed_back"] = True
        if now > end and not pending and not retry and saw["failed_back"]:
            break
        check(now < end + int(10 * MINUTE_US * scale) + 60 * 1000000, f"the test did not settle: {saw}, {len(pending)} pending")
        # a registration: one that failed before, or a new one (until the disturbances are over)
        record = None
        if retry:
            record, body = retry.pop(0)
        elif now <= end:
            n += 1
            record = f"FO-{n}"
            body = {"record_id": record, "addressee_no": f"{n % 900 + 1:015d}", "item": "TM00000000000002",
                    "schema_version": 1, "pub_start": "2017-11-13",
                    "payload": {"tax_year": 2017, "taxable_income": 2000000 + n, "note": record}}
        st, doc = api.post("replicas", body) if record else (0, None)
        if st == 0:
            pass
        elif st == 202:
            pending[doc["request_id"]] = ("reg", record, body)
        elif st == 503:
            saw["unavailable"] += 1
            timeline.append((now, "error"))
            retry.append((record, body))
        elif st == 409:   # an earlier attempt did get through: confirm it
            _, got = api.get(f"replicas/{record}", expect=200)
            check(got["payload"] == body["payload"], f"{record}: stored {got}")
            registered[record] = body["payload"]
        else:
            raise Failure(f"registration {record}: {st} {doc}")
        # an inquiry of another local government
        m = moved[n % len(moved)]
        st, doc = (api.post("inquiries", {"addressee_no": m["addressee_no"], "procedure": m["procedure"], "item": m["item"],
                                          "provider": m["moved_from"], "staff": "S-FO"}) if now <= end else (0, None))
        if st == 0:
            pass
        elif st == 202:
            pending[doc["request_id"]] = ("inq", None, None)
        elif st == 503:
            saw["unavailable"] += 1
            timeline.append((now, "error"))
        else:
            raise Failure(f"inquiry: {st} {doc}")
        # what has finished
        for rid in list(pending)[:6]:   # a few a turn: a polite client stays under the rate limit
            st, doc = api.get(f"requests/{rid}")
            if st == 503:
                break   # the tenant is away: ask again later
            if doc["status"] != "done":
                continue
            kind, record, body = pending.pop(rid)
            outcome = doc["outcome"]
            at = sim_us(doc["completed_at"])
            timeline.append((at, "ok" if outcome == "ok" else "error"))
            if outcome in saw:
                saw[outcome] += 1
            if kind == "inq" and outcome == "ok" and doc["latency_ms"] >= 2 * 4000 * scale:
                saw["slow"] += 1   # two passes through the slow NWS
            if kind == "reg":
                if outcome == "ok":
                    registered[record] = body["payload"]
                else:
                    check(outcome in ("unreachable", "timeout"), f"registration {record} ended {outcome}")
                    retry.append((record, body))
            elif outcome not in ("ok", "unreachable", "timeout", "integrity", "not_found"):
                raise Failure(f"inquiry ended {outcome}: {doc}")
        time.sleep(0.15)

    # errors, then recovery
    timeline.sort()
    first_error = next((i for i, (_, k) in enumerate(timeline) if k == "error"), None)
    check(first_error is not None and any(k == "ok" for _, k in timeline[:first_error]), "ok before the first error")
    check(any(k == "ok" for _, k in timeline[first_error:]), "recovery after the errors")
    check(saw["unavailable"] > 0, f"503 while no site served the tenant: {saw}")
    check(saw["unreachable"] + saw["timeout"] > 0, f"operations that ended unreachable or timeout: {saw}")
    check(saw["integrity"] > 0, f"integrity errors while the certificate had expired: {saw}")
    check(saw["slow"] > 0, f"slow answers while the NWS was slow: {saw}")
    check(saw["failed_over"] and saw["failed_back"], f"failed over and back: {saw}")
    # no acknowledged registration was lost: each is there, intact, after the failback
    for record, payload in registered.items():
        st, got = api.get(f"replicas/{record}")
        check(st == 200 and got["payload"] == payload, f"{record} acknowledged, then {st}: {got}")
    _, provisions = api.get("provisions", expect=200)
    api.post("session/end", expect=200)
    api.close()
    transcript.close()
    with open(f"{out_dir}/client_tally.json", "w") as f:
        json.dump(tally, f)
    print(f"client: {len(registered)} registrations acknowledged and found after the failback; saw {json.dumps(saw)}")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:5])
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)

"""tests/connect/api.py - an outside system's view of renkei's connection-test API.

Written from docs/connect-api.md alone, with Python's standard library (http.client, socket):
none of renkei's code. It keeps its own tally of every answer it got (operation, status, error
code, and each error's field and rule), which verify.py compares with the conformance report
renkei writes, so the report is checked against what the client really did.
"""
import datetime
import http.client
import json
import socket
import time
import urllib.parse

# The operations, as the reference names them: (method, path under /connect/v1/, operation).
ROUTES = [
    ("GET", "session", "session"), ("POST", "session/end", "session_end"),
    ("GET", "conformance", "conformance"), ("GET", "code-lists", "code_lists"),
    ("GET", "fixtures", "fixtures"), ("POST", "addressees", "addressee_new"),
    ("GET", "addressees/*", "addressee_read"), ("POST", "codes", "code_acquisition"),
    ("POST", "replicas", "replica_registration"), ("POST", "replicas/partial", "replica_update"),
    ("GET", "replicas/*", "replica_read"), ("POST", "inquiries", "inquiry"),
    ("GET", "inquiries/*", "result_fetch"), ("GET", "requests/*", "request_status"),
    ("GET", "provisions", "provision_fetch"), ("POST", "bulk/inquiries", "bulk_inquiry"),
    ("POST", "bulk/replicas", "bulk_replica"), ("GET", "bulk/*", "bulk_result"),
    ("POST", "declaration", "declaration"), ("GET", "cases", "cases"), ("GET", "layouts", "layouts"), ("GET", "preview", "preview"), ("GET", "openapi.json", "openapi"),
]


def operation_of(method, path):
    rest = path.split("?")[0]
    if not rest.startswith("/connect/v1/"):
        return "unknown"
    rest = rest[len("/connect/v1/"):]
    literal = any(rest == pattern for _, pattern, _ in ROUTES)   # a path of its own is never an id
    for m, pattern, op in ROUTES:
        if literal and pattern.endswith("/*"):
            continue
        if m != method:
            continue
        if pattern.endswith("/*"):
            head = pattern[:-1]
            if rest.startswith(head) and rest[len(head):] and "/" not in rest[len(head):]:
                return op
        elif rest == pattern:
            return op
    return "unknown"


def summary(doc):
    """A short line about an answer, for the transcript."""
    if isinstance(doc, str):
        return f"({len(doc.splitlines())} result lines)"
    if "errors" in doc and "code" in doc:
        return doc["code"] + ": " + ", ".join(f"{e.get('line', '') and 'line %d ' % e['line']}{e['field']}/{e['rule']}" for e in doc["errors"])
    if "code" in doc and "error" in doc:
        return doc["code"] + ": " + doc["error"][:90]
    if "error" in doc:
        return "(HTTP layer) " + doc["error"][:90]
    if "operations" in doc:
        return f"conformance report: {doc['requests']} requests, verdict {doc['verdict']}"
    keys = ("request_id", "bulk_id", "status", "outcome", "serial_no", "record_id", "addressee_no", "available", "serving_site")
    return " ".join(f"{k}={doc[k]}" for k in keys if k in doc)[:120]


def sim_us(iso):
    """Microseconds since the epoch of a simulated time the API gives (ISO 8601, JST)."""
    return int(datetime.datetime.fromisoformat(iso).timestamp() * 1e6)


# How long, in simulated time, a client waits for an operation before it gives up: every flow
# ends within the scenario's timeout (60 s by default), so this is a hang guard that does not
# depend on how fast the machine is (the wall clock never decides a test).
SIM_PATIENCE_US = 10 * 60 * 1000000


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Api:
    """One client: one keep-alive connection, and a shared tally of answers."""

    def __init__(self, base, token, tally=None, transcript=None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = u.hostname, u.port, u.path.rstrip("/")
        self.token = token
        self.conn = None
        self.transcript = transcript   # a file: one line per exchange, for people
        self.tally = tally if tally is not None else {"answers": [], "transport": 0, "waits_429": 0}
        self.answers = None   # a file: every answer, whole (dump)

    def _send(self, method, path, data, headers):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, body, r.getheader("Content-Type", "")
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise Failure("unreachable")

    def dump(self, method, path, status, ctype, text):
        """Every answer as it came, for tests/connect/openapi_check.py (when a file is given)."""
        if self.answers is not None:
            self.answers.write(json.dumps({"method": method, "path": path, "status": status, "ctype": ctype,
                                           "body": text.decode("utf-8", "replace")}, ensure_ascii=False) + "\n")

    def record(self, method, path, status, doc):
        """Count an answer: the API's own errors carry a code; the HTTP layer's do not."""
        if isinstance(doc, dict) and status >= 400 and "code" not in doc:
            self.tally["transport"] += 1
            return
        entry = {"op": operation_of(method, path), "status": status}
        if isinstance(doc, dict) and status >= 400:
            entry["code"] = doc["code"]
            entry["errors"] = [[e.get("field", ""), e.get("rule", "")] for e in doc.get("errors", [])]
        if status == 202 and method == "POST" and isinstance(doc, dict):
            entry["accepted"] = doc.get("lines", 1) if "bulk_id" in doc else 1
        self.tally["answers"].append(entry)

    def call(self, method, path, body=None, raw=None, token=True, wait_429=True, expect=None):
        """(status, answer): JSON decoded, or the text of a result file."""
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else None)
        headers = {}
        if token is True:
            headers["Authorization"] = "Bearer " + self.token
        elif token:
            headers["Authorization"] = "Bearer " + token
        if data is not None:
            headers["Content-Type"] = "application/json"
        full = self.prefix + "/" + path.lstrip("/")
        while True:
            status, text, ctype = self._send(method, full, data, headers)
            self.dump(method, full, status, ctype, text)
            doc = json.loads(text) if ctype.startswith("application/json") else text.decode()
            self.record(method, full, status, doc)
            if self.transcript:
                self.transcript.write(f"{method:4} {full:44} {status} {summary(doc)}\n")
            if status == 429 and wait_429:   # the reference: wait retry_after_ms, then again
                self.tally["waits_429"] += 1
                time.sleep(doc["retry_after_ms"] / 1000.0)
                continue
            if expect is not None and status not in (expect if isinstance(expect, tuple) else (expect,)):
                raise Failure(f"{method} {path}: expected {expect}, got {status}: {doc}")
            return status, doc

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body=body, **kw)

    def patience_left(self, since_iso):
        """False once the session's simulated clock is SIM_PATIENCE_US past since_iso."""
        _, session = self.get("session", expect=200)
        return sim_us(session["now"]) - sim_us(since_iso) < SIM_PATIENCE_US

    def wait_done(self, request_id, path="requests", poll=0.1):
        """Poll an operation until it is done (the API is asynchronous)."""
        polls = 0
        while True:
            status, doc = self.get(f"{path}/{request_id}")
            if status == 200 and doc["status"] == "done":
                return doc
            polls += 1
            if status == 200 and polls % 50 == 0 and not self.patience_left(doc["accepted_at"]):
                raise Failure(f"{request_id} never finished: {doc}")
            time.sleep(poll)

    def wait_until(self, path, done, since_iso, poll=0.1):
        """GET path until done(status, answer) holds (simulated-time guard as wait_done)."""
        polls = 0
        while True:
            status, doc = self.get(path)
            if done(status, doc):
                return status, doc
            polls += 1
            if polls % 50 == 0 and not self.patience_left(since_iso):
                raise Failure(f"GET {path} never became what was expected: {status} {doc}")
            time.sleep(poll)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


def raw_exchange(host, port, data, read_timeout=30):
    """Bytes on a fresh socket; the status of whatever the server answers (0: none)."""
    s = socket.create_connection((host, port), timeout=read_timeout)
    try:
        s.sendall(data)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        line = got.split(b"\r\n", 1)[0].split()
        return int(line[1]) if len(line) > 1 else 0
    finally:
        s.close()


def individual_number(first11):
    """12 digits with the official check digit (the form of a 個人番号)."""
    digits = [int(c) for c in first11]
    total = 0
    for n in range(1, 12):
        p = digits[11 - n]
        total += p * (n + 1 if n <= 6 else n - 5)
    r = total % 11
    return first11 + str(0 if r <= 1 else 11 - r)

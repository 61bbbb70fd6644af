"""tests/connect/openapi_check.py - docs/connect-openapi.json against what the API answers: every
answer a session's client recorded (ANSWERS.jsonl: method, path, status, content type, body), and
every example answer of docs/connect-api.md that is whole JSON (examples with "..." elisions
cannot be checked and are counted apart). Each answer must be a documented status of its
operation and match that response's schema (JSON Schema 2020-12, python3-jsonschema).

    python3 openapi_check.py OPENAPI.json [ANSWERS.jsonl] [--examples docs/connect-api.md]
"""
import json
import re
import sys

import jsonschema


def inline(node, comps, depth=0):
    """The schema with every #/components/schemas/X reference replaced by X."""
    if isinstance(node, dict):
        if "$ref" in node:
            return inline(comps[node["$ref"].rsplit("/", 1)[1]], comps, depth + 1)
        return {k: inline(v, comps, depth) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, comps, depth) for v in node]
    return node


class Spec:
    def __init__(self, path):
        self.doc = json.load(open(path, encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema({"$defs": self.doc["components"]["schemas"]})
        self.comps = self.doc["components"]["schemas"]
        # literal paths before templates: a path of its own is never an id
        self.paths = sorted(self.doc["paths"].items(), key=lambda kv: "{" in kv[0])

    def operation(self, method, path):
        rest = path.split("?")[0]
        if rest.startswith("/connect/v1"):
            rest = rest[len("/connect/v1"):]
        for template, ops in self.paths:
            pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
            if re.match(pattern, rest):
                return template, ops.get(method.lower())
        return None, None

    def check(self, method, path, status, ctype, body):
        """None, or what is wrong."""
        template, op = self.operation(method, path)
        if op is None:   # a path or method the API does not have: the error form
            if status in (404, 405, 429):
                return self.validate(self.comps["Error"], json.loads(body))
            return f"{method} {path}: no such operation in the document"
        resp = op["responses"].get(str(status))
        if resp is None:
            return f"{method} {template}: status {status} is not documented"
        content = resp["content"]
        if "application/x-ndjson" in ctype or "application/x-ndjson" in content and "application/json" not in content:
            item = content["application/x-ndjson"].get("itemSchema")
            for line in body.splitlines():
                why = self.validate(item, json.loads(line))
                if why:
                    return f"{method} {template} {status} line: {why}"
            return None
        why = self.validate(content["application/json"]["schema"], json.loads(body))
        return f"{method} {template} {status}: {why}" if why else None

    def validate(self, schema, value):
        errors = sorted(jsonschema.Draft202012Validator(inline(schema, self.comps)).iter_errors(value), key=str)
        return f"{errors[0].message} at {list(errors[0].absolute_path)}" if errors else None


def examples(md):
    """(method, path, status, answer text) of each example: the request is the block's own request
    line, else the one the sentence before the block names (`GET bulk/{bulk_id}` ...:), else the
    section's heading (### GET session); then a status line and the answer."""
    out = []
    heading = prose = request = None
    in_block = False
    lines = open(md, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():   # a blank line: within a block or between paragraphs
            i += 1
            continue
        if not line.startswith("    "):
            in_block = False
            if line.startswith("#"):
                heading = prose = None
            h = re.match(r"^### (GET|POST) (\S+)", line)
            if h:
                heading = (h.group(1), h.group(2))
            p = re.search(r"`(GET|POST) ([^` ]+)`[^`]*[:—]\s*$", line)
            if p:
                prose = (p.group(1), p.group(2))
            i += 1
            continue
        if not in_block:
            request = prose or heading
            in_block = True
        text = line[4:].strip()
        m = re.match(r"^(GET|POST|PUT|PATCH|DELETE) (\S+)$", text)
        if m:
            request = (m.group(1), m.group(2))
        s = re.match(r"^(\d{3})\b", text)
        if s and not request:
            print(f"openapi: an example answer at {md}:{i + 1} names no request: not checked", file=sys.stderr)
        if s and request:
            j, body = i + 1, []
            while j < len(lines) and lines[j].startswith("    ") and lines[j].strip() and \
                    not re.match(r"^(\d{3}\b|GET |POST |PUT )", lines[j][4:].strip()):
                body.append(lines[j][4:])
                j += 1
            if body:
                out.append((request[0], "/connect/v1/" + request[1], int(s.group(1)), "\n".join(body)))
            i = j
            continue
        i += 1
    return out


def main(argv):
    spec = Spec(argv[0])
    failures, checked = [], 0
    args = argv[1:]
    md = None
    if "--examples" in args:
        md = args[args.index("--examples") + 1]
        args = args[:args.index("--examples")]
    for path in args:
        for line in open(path, encoding="utf-8"):
            a = json.loads(line)
            why = spec.check(a["method"], a["path"], a["status"], a["ctype"], a["body"])
            checked += 1
            if why:
                failures.append(why)
    skipped = doc_checked = 0
    if md:
        for method, path, status, text in examples(md):
            try:
                if "application/x-ndjson" not in text:
                    json.loads(text)
            except ValueError:
                skipped += 1   # an example with "..." in it
                continue
            ctype = "application/x-ndjson" if path.split("/")[-2:-1] == ["bulk"] and status == 200 else "application/json"
            why = spec.check(method, path, status, ctype, text)
            doc_checked += 1
            if why:
                failures.append(f"docs example {method} {path} {status}: {why}")
    for f in failures[:20]:
        print("FAIL:", f, file=sys.stderr)
    print(f"openapi: {checked} answers and {doc_checked} whole examples of the reference valid; "
          f"{skipped} examples elided (not checked); {len(failures)} failures")
    return 1 if failures or (args and not checked) or (md and not doc_checked) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""tests/connect/flood.py - a misbehaving client: N requests as fast as one connection goes,
with a wrong token. Prints how many of each status came back.

    python3 flood.py BASE_URL N
"""
import collections
import http.client
import sys
import urllib.parse

u = urllib.parse.urlsplit(sys.argv[1])
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
seen = collections.Counter()
for _ in range(int(sys.argv[2])):
    conn.request("GET", u.path.rstrip("/") + "/session", headers={"Authorization": "Bearer wrong"})
    r = conn.getresponse()
    r.read()
    seen[r.status] += 1
print(" ".join(f"{k}:{v}" for k, v in sorted(seen.items())))

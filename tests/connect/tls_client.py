"""tests/connect/tls_client.py - a vendor's system over TLS: verifies the session's certificate
(the one renkei printed) and, when given, presents its client certificate (mutual TLS).

    python3 tls_client.py BASE_URL TOKEN SERVER_CERT [CLIENT_CERT CLIENT_KEY] [--end]

Prints the status of GET session, or "handshake: REASON" when the TLS handshake fails (exit 3).
"""
import http.client
import json
import ssl
import sys
import urllib.parse


def main(base, token, server_cert, client=None, end=False):
    u = urllib.parse.urlsplit(base)
    ctx = ssl.create_default_context(cafile=server_cert)
    if client:
        ctx.load_cert_chain(*client)
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
    prefix = u.path.rstrip("/")
    try:
        conn.request("GET", prefix + "/session", headers={"Authorization": "Bearer " + token})
        r = conn.getresponse()
        doc = json.loads(r.read())
        status = r.status
        if end:
            conn.request("POST", prefix + "/session/end", headers={"Authorization": "Bearer " + token})
            r = conn.getresponse()
            r.read()
    except (ssl.SSLError, ConnectionError, http.client.HTTPException) as e:
        print(f"handshake: {e.__class__.__name__}")
        return 3
    print(status, doc.get("lg"))
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--end"]
    client = (args[3], args[4]) if len(args) >= 5 else None
    sys.exit(main(args[0], args[1], args[2], client, "--end" in sys.argv))

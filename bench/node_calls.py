"""What the bench scripts share: one JSON call to a node, and a percentile. Python 3 standard library only."""

import http.client
import json
import sys
import threading
import urllib.parse

# One kept-alive connection per thread and node, as OpenSearch's clients pool theirs: a new TCP connection for every
# request would add the node's accept and channel set-up to each measured call.
_connections = threading.local()


def _connection(base):
    pool = _connections.__dict__.setdefault("by_base", {})
    if base not in pool:
        url = urllib.parse.urlsplit(base)
        pool[base] = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=3600)
    return pool[base]


def call(base, method, path, body=None, content_type="application/json"):
    """(status, parsed JSON body) of one request; a body that is not a string is sent as JSON."""
    data = None
    if body is not None:
        data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
    headers = {"Content-Type": content_type}
    for attempt in (1, 2):
        connection = _connection(base)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            return response.status, json.loads(payload or b"{}")
        except (http.client.HTTPException, ConnectionError):
            # The node closed a kept-alive connection (idle timeout, restart): open a new one, once.
            connection.close()
            del _connections.by_base[base]
            if attempt == 2:
                raise


def ok(result, what):
    """The body of a successful call; exits naming `what` otherwise."""
    status, body = result
    if status >= 300:
        sys.exit(f"{what} failed: HTTP {status} {json.dumps(body)[:500]}")
    return body


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")

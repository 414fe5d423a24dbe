"""What the bench scripts share: one JSON call to a node, and a percentile. Python 3 standard library only."""

import json
import sys
import urllib.error
import urllib.request


def call(base, method, path, body=None, content_type="application/json"):
    """(status, parsed JSON body) of one request; a body that is not a string is sent as JSON."""
    data = None
    if body is not None:
        data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def ok(result, what):
    """The body of a successful call; exits naming `what` otherwise."""
    status, body = result
    if status >= 300:
        sys.exit(f"{what} failed: HTTP {status} {json.dumps(body)[:500]}")
    return body


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")

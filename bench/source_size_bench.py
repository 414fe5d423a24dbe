#!/usr/bin/env python3
"""What a hit of a semantic_text index returns: the bytes of a match response and the fetch cost of its hits, against
the same documents in an index where title and body are plain text fields.

Python 3 standard library only. Starts nothing: give it the base URL of a running node with the README's sample
loaded (scripts/run-node.sh, or scripts/load-sample.sh on a node of your own), e.g.

  python3 bench/source_size_bench.py --url http://127.0.0.1:9200

  1. Copies --index (debian-packages-en: title and body semantic_text) into --text-index (size-text: title and body
     text, package and lang keyword, dynamic strict, 1 shard, 0 replicas) with _reindex, leaving the generated
     title_semantic and body_semantic out; refresh.
  2. Size: for each of a fixed list of 20 words, {"size": 10, "query": {"match": {"body": word}}} on both indices,
     default _source. Compares the response bytes as the node sends them, with "took" taken out and each "_index"
     value emptied (the index names differ in length; the field types are what is measured). Checks that both return
     the same hits (ids and _source). Also the bytes of the same search on the semantic_text index with
     "_source": {"includes": ["*", "title_semantic", "body_semantic"]}: the opt-in that names the generated passages,
     which is what every hit returned before they were hidden.
  3. Latency: --warmup searches of each kind, then --searches of each, the kinds taking turns (so that load from other
     work hits them alike), the words in turn: the match query, size 10, default _source on the text index and on the
     semantic_text index, and on the semantic_text index with "_source": {"includes": ["body_semantic"]} (the
     opt-in path that shows passages, for context). The client's wall time of each whole request over a kept-alive
     connection (sent, answered, body read), and the node's "took".
  Prints Markdown tables; writes JSON to --out.
"""

import argparse
import http.client
import json
import re
import time
import urllib.parse

from node_calls import call, ok, percentile

# Each has at least 10 matches in the sample's English body texts, so that every response holds 10 hits.
WORDS = ["library", "server", "python", "development", "data", "tool", "documentation", "network", "command",
         "files", "system", "support", "program", "software", "source", "application", "memory", "module",
         "interface", "web"]

TOOK = re.compile(rb'"took":\d+,')
INDEX = re.compile(rb'"_index":"[^"]*"')


class Raw:
    """One kept-alive connection that returns the bytes of a response as the node sent them."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.connection = None

    def post(self, path, body):
        data = json.dumps(body).encode("utf-8")
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=600)
            try:
                self.connection.request("POST", path, body=data, headers={"Content-Type": "application/json"})
                response = self.connection.getresponse()
                payload = response.read()
                if response.status >= 300:
                    raise SystemExit(f"POST {path} failed: HTTP {response.status} {payload[:500]!r}")
                return payload
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise


def comparable(payload):
    """The response without "took" and with every "_index" value emptied."""
    return INDEX.sub(b'"_index":""', TOOK.sub(b"", payload, count=1))


def copy_as_text(base, source, target):
    call(base, "DELETE", "/" + target)
    ok(call(base, "PUT", "/" + target, {
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {"dynamic": "strict", "properties": {
            "package": {"type": "keyword"}, "lang": {"type": "keyword"},
            "title": {"type": "text"}, "body": {"type": "text"}}}}), "create " + target)
    result = ok(call(base, "POST", "/_reindex?refresh=true", {
        "source": {"index": source, "_source": {"excludes": ["title_semantic", "body_semantic"]}},
        "dest": {"index": target}}), "reindex")
    if result.get("failures"):
        raise SystemExit("reindex failures: " + json.dumps(result["failures"])[:500])
    counts = [ok(call(base, "GET", f"/{name}/_count"), "count")["count"] for name in (source, target)]
    if counts[0] != counts[1]:
        raise SystemExit(f"{source} has {counts[0]} documents, {target} {counts[1]}")
    return counts[0]


def match(word, **extra):
    return dict({"size": 10, "query": {"match": {"body": word}}}, **extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--index", default="debian-packages-en", help="the semantic_text index (the sample's)")
    parser.add_argument("--text-index", default="size-text", help="the text index it is copied into")
    parser.add_argument("--searches", type=int, default=300, help="timed searches of each kind")
    parser.add_argument("--warmup", type=int, default=100, help="untimed searches of each kind before them")
    parser.add_argument("--out", default="/tmp/source_size_bench.json")
    args = parser.parse_args()
    base = args.url
    raw = Raw(base)

    docs = copy_as_text(base, args.index, args.text_index)
    semantic_path, text_path = f"/{args.index}/_search", f"/{args.text_index}/_search"
    everything = {"includes": ["*", "title_semantic", "body_semantic"]}

    # 1. Size.
    rows, same_hits = [], True
    for word in WORDS:
        text = raw.post(text_path, match(word))
        semantic = raw.post(semantic_path, match(word))
        opt_in = raw.post(semantic_path, match(word, _source=everything))
        text_hits = [(h["_id"], h["_source"]) for h in json.loads(text)["hits"]["hits"]]
        semantic_hits = [(h["_id"], h["_source"]) for h in json.loads(semantic)["hits"]["hits"]]
        same_hits &= text_hits == semantic_hits
        rows.append({"word": word, "hits": len(text_hits),
                     "text": len(comparable(text)), "semantic": len(comparable(semantic)),
                     "text_raw": len(text), "semantic_raw": len(semantic), "opt_in_all": len(comparable(opt_in))})

    print(f"{args.index} ({docs} documents) against {args.text_index}: match on body, size 10, default _source")
    print("(bytes of the response without \"took\", \"_index\" values emptied)\n")
    print("| word | hits | text, bytes | semantic_text, bytes | ratio | semantic_text with title_semantic and "
          "body_semantic named, bytes |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['word']} | {r['hits']} | {r['text']:,} | {r['semantic']:,} | {r['semantic'] / r['text']:.3f} "
              f"| {r['opt_in_all']:,} |")
    total = {key: sum(r[key] for r in rows) for key in ("text", "semantic", "text_raw", "semantic_raw", "opt_in_all")}
    ratio = total["semantic"] / total["text"]
    max_ratio = max(r["semantic"] / r["text"] for r in rows)
    print(f"| **all {len(rows)}** | | {total['text']:,} | {total['semantic']:,} | {ratio:.3f} | {total['opt_in_all']:,} |")
    print(f"\nsum semantic_text / sum text = {ratio:.3f}; max ratio {max_ratio:.3f}; "
          f"as sent (index names as they are): {total['semantic_raw'] / total['text_raw']:.3f}")
    print(f"with the passages named: {total['opt_in_all'] / total['text']:.1f} x the text index's bytes")
    print(f"same hits (ids and _source) on both indices: {'yes' if same_hits else 'NO'}")

    # 2. Latency.
    kinds = {
        "text": (text_path, {}),
        "semantic_text": (semantic_path, {}),
        "semantic_text, _source includes body_semantic": (semantic_path, {"_source": {"includes": ["body_semantic"]}}),
    }
    wall = {name: [] for name in kinds}
    took = {name: [] for name in kinds}
    names = list(kinds)
    for i in range(args.warmup + args.searches):
        word = WORDS[i % len(WORDS)]
        for j in range(len(names)):
            name = names[(i + j) % len(names)]  # each kind goes first in turn
            path, extra = kinds[name]
            start = time.perf_counter()
            payload = raw.post(path, match(word, **extra))
            elapsed = (time.perf_counter() - start) * 1000
            if i >= args.warmup:
                wall[name].append(elapsed)
                took[name].append(int(re.search(rb'"took":(\d+)', payload).group(1)))

    print(f"\n{args.searches} searches of each kind after {args.warmup} of each as warm-up, taking turns:\n")
    print("| match on body, size 10 | wall p50 ms | wall p99 ms | took p50 ms | took p99 ms |")
    print("|---|---|---|---|---|")
    for name in names:
        print(f"| {name} | {percentile(wall[name], 50):.2f} | {percentile(wall[name], 99):.2f} "
              f"| {percentile(took[name], 50)} | {percentile(took[name], 99)} |")
    print(f"\nsemantic_text / text, wall p50: "
          f"{percentile(wall['semantic_text'], 50) / percentile(wall['text'], 50):.2f}, p99: "
          f"{percentile(wall['semantic_text'], 99) / percentile(wall['text'], 99):.2f}")

    with open(args.out, "w") as f:
        json.dump({"docs": docs, "sizes": rows, "totals": total, "ratio": ratio, "max_ratio": max_ratio,
                   "same_hits": same_hits, "wall_ms": wall, "took_ms": took}, f)


if __name__ == "__main__":
    main()

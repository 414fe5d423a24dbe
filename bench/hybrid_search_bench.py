#!/usr/bin/env python3
"""Hybrid search and sentence highlighting inside _search: latency against the semantic query alone.

Python 3 standard library only. Starts nothing: give it the base URL of a running node (scripts/run-node.sh).

  1. Indexes the first --docs documents of DATA/corpus.jsonl ({"id", "text"}, bench/make_debdesc.py) into
     a fresh index with one semantic_text field (1 shard), and takes --queries query texts from DATA/queries.jsonl.
  2. Per query text, in turn (so that load from other work hits all alike), each text new to the node (a run nonce
     keeps the query cache out): the semantic query alone, size 10; the same with "hybrid": {} (another nonce, so it
     embeds too); then that hybrid search again with a semantic_sentences highlight of the 10 hits (its vector now
     cached, as is the hybrid search without highlight that follows it, which is the highlight's baseline).
  Prints p50 / p99 of each and the highlight's cost per hit; writes JSON to --out.
"""

import argparse
import json
import time
import uuid

from node_calls import call, ok, percentile


def read_jsonl(path, limit):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line, _ in zip(f, range(limit))]


def timed(base, index, body):
    start = time.perf_counter()
    ok(call(base, "POST", "/" + index + "/_search", body), "search")
    return (time.perf_counter() - start) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--data", default="/tmp/debdesc-en")
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--index", default="hybrid-bench")
    parser.add_argument("--out", default="/tmp/hybrid_search_bench.json")
    args = parser.parse_args()
    base = args.url
    corpus = read_jsonl(args.data + "/corpus.jsonl", args.docs)
    queries = [q["query"] for q in read_jsonl(args.data + "/queries.jsonl", args.queries)]

    call(base, "DELETE", "/" + args.index)
    ok(call(base, "PUT", "/" + args.index, {"settings": {"number_of_shards": 1, "number_of_replicas": 0},
                                            "mappings": {"properties": {"body": {"type": "semantic_text"}}}}), "create")
    for at in range(0, len(corpus), 100):
        lines = []
        for doc in corpus[at:at + 100]:
            lines.append(json.dumps({"index": {"_id": doc["id"]}}))
            lines.append(json.dumps({"body": doc["text"]}, ensure_ascii=False))
        result = ok(call(base, "POST", "/" + args.index + "/_bulk", "\n".join(lines) + "\n", "application/x-ndjson"), "bulk")
        if result.get("errors"):
            raise SystemExit("bulk errors: " + json.dumps(result)[:500])
    ok(call(base, "POST", "/" + args.index + "/_refresh"), "refresh")
    ok(call(base, "POST", "/" + args.index + "/_forcemerge?max_num_segments=1"), "forcemerge")

    nonce = uuid.uuid4().hex[:8]
    times = {"semantic": [], "hybrid": [], "hybrid + highlight": [], "hybrid, vector cached": []}
    for i, text in enumerate(queries):
        semantic = {"size": 10, "_source": False, "query": {"semantic": {"field": "body", "query": f"{text} {nonce}a{i}"}}}
        times["semantic"].append(timed(base, args.index, semantic))
        hybrid = {"size": 10, "_source": False, "query": {"semantic": {"field": "body", "query": f"{text} {nonce}b{i}", "hybrid": {}}}}
        times["hybrid"].append(timed(base, args.index, hybrid))
        highlighted = dict(hybrid, highlight={"fields": {"body": {"type": "semantic_sentences", "number_of_fragments": 1}}})
        times["hybrid + highlight"].append(timed(base, args.index, highlighted))
        times["hybrid, vector cached"].append(timed(base, args.index, hybrid))

    print(f"| {args.data} ({len(corpus)} docs, {len(queries)} queries), size 10 | p50 ms | p99 ms |")
    print("|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {percentile(values, 50):.1f} | {percentile(values, 99):.1f} |")
    ratio = percentile(times["hybrid"], 50) / percentile(times["semantic"], 50)
    per_hit = (percentile(times["hybrid + highlight"], 50) - percentile(times["hybrid, vector cached"], 50)) / 10
    print(f"\nhybrid p50 / semantic p50 = {ratio:.2f}; semantic_sentences highlight, p50 cost per hit: {per_hit:.1f} ms")
    with open(args.out, "w") as f:
        json.dump({"times": times, "ratio": ratio, "highlight_ms_per_hit": per_hit}, f)


if __name__ == "__main__":
    main()

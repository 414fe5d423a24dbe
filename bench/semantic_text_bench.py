#!/usr/bin/env python3
"""semantic_text benchmark: ingest through a semantic_text field against the explicit route (a semantic_embed pipeline
into a nested semantic_vector mapping) on the same corpus and node, and the size of each index.

Python 3 standard library only. Starts nothing: give it the base URL of a running node (scripts/run-node.sh).

  1. Corpus: the first --docs lines of a JSONL file of {"id", "text"} (bench/make_debdesc.py writes one).
  2. Ingest, per configuration and round, the configurations interleaved so that load from other work hits them alike:
     a fresh index (1 shard, 0 replicas), --clients concurrent bulks of --bulk documents with their ids, refresh;
     documents per second over the wall time, and the texts the model embedded (GET /_plugins/_semantic/stats).
       passages-pipeline   semantic_embed {field_map: {text: passages}, chunking 200/40} + nested semantic_vector
       semantic_text       {"text": {"type": "semantic_text"}} (default chunking 200/40), no pipeline
  3. Size, after the last round: force-merge to one segment, then store size and the stored _source of each index,
     with two more one-vector-per-document indices for the size comparison only:
       semantic_text-whole        {"type": "semantic_text", "chunking": false}
       vector-derived-source      semantic_embed {text: text_vec} + semantic_vector, index.derived_source.enabled
  Prints Markdown tables; writes JSON to --out.
"""

import argparse
import concurrent.futures
import json
import sys
import time

from node_calls import call, ok

MODEL = "all-minilm-l6-v2"


def texts_embedded(base):
    stats = ok(call(base, "GET", "/_plugins/_semantic/stats"), "stats")
    return sum(node["models"].get(MODEL, {}).get("texts", 0) for node in stats["nodes"].values())


SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0}
PASSAGES = {"type": "nested", "properties": {
    "text": {"type": "text"}, "offset": {"type": "integer"}, "element": {"type": "integer"},
    "vector": {"type": "semantic_vector", "model": MODEL}}}


def setup(base, config, index):
    """Creates the index (and its pipeline) of one configuration."""
    call(base, "DELETE", "/" + index)
    settings = dict(SETTINGS)
    if config == "passages-pipeline":
        ok(call(base, "PUT", "/_ingest/pipeline/" + index, {"processors": [{"semantic_embed": {
            "field_map": {"text": "passages"}, "model": MODEL, "chunking": {"max_tokens": 200, "overlap_tokens": 40}}}]}),
            "pipeline")
        settings["index.default_pipeline"] = index
        mappings = {"properties": {"text": {"type": "text"}, "passages": PASSAGES}}
    elif config == "semantic_text":
        mappings = {"properties": {"text": {"type": "semantic_text", "model": MODEL}}}
    elif config == "semantic_text-whole":
        mappings = {"properties": {"text": {"type": "semantic_text", "model": MODEL, "chunking": False}}}
    elif config == "vector-derived-source":
        ok(call(base, "PUT", "/_ingest/pipeline/" + index, {"processors": [{"semantic_embed": {
            "field_map": {"text": "text_vec"}, "model": MODEL}}]}), "pipeline")
        settings["index.default_pipeline"] = index
        settings["index.derived_source.enabled"] = True
        mappings = {"properties": {"text": {"type": "text"}, "text_vec": {"type": "semantic_vector", "model": MODEL}}}
    else:
        raise ValueError(config)
    ok(call(base, "PUT", "/" + index, {"settings": settings, "mappings": mappings}), "create " + index)


def load(base, index, docs, clients, bulk_size):
    """Bulk-loads docs with their ids; documents per second and texts embedded."""
    bulks = []
    for start in range(0, len(docs), bulk_size):
        lines = []
        for doc in docs[start:start + bulk_size]:
            lines.append(json.dumps({"index": {"_id": doc["id"]}}))
            lines.append(json.dumps({"text": doc["text"]}))
        bulks.append("\n".join(lines) + "\n")
    before = texts_embedded(base)
    started = time.monotonic()
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for body in pool.map(lambda b: ok(call(base, "POST", f"/{index}/_bulk", b, "application/x-ndjson"), "bulk"), bulks):
            failed += sum(1 for item in body["items"] if "error" in item["index"])
    wall = time.monotonic() - started
    ok(call(base, "POST", f"/{index}/_refresh"), "refresh")
    if failed:
        sys.exit(f"{failed} documents failed in {index}")
    return len(docs) / wall, texts_embedded(base) - before


def size(base, index):
    ok(call(base, "POST", f"/{index}/_forcemerge?max_num_segments=1"), "forcemerge")
    ok(call(base, "POST", f"/{index}/_refresh"), "refresh")
    stats = ok(call(base, "GET", f"/{index}/_stats/store,docs"), "stats")["indices"][index]["primaries"]
    segments = ok(call(base, "GET", f"/{index}/_segments?verbose=false"), "segments")
    return {"store_bytes": stats["store"]["size_in_bytes"], "docs_with_nested": stats["docs"]["count"],
            "segments": sum(len(shard[0]["segments"]) for shard in segments["indices"][index]["shards"].values())}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--corpus", default="/tmp/debdesc-en/corpus.jsonl")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--bulk", type=int, default=250)
    parser.add_argument("--out", default="/tmp/semantic_text_bench.json")
    args = parser.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()][:args.docs]
    print(f"corpus: {len(docs)} documents of {args.corpus}; node {args.url}; {args.clients} clients x {args.bulk} per bulk")

    # Warm-up (JIT, first model calls), thrown away.
    setup(args.url, "semantic_text", "stb-warmup")
    load(args.url, "stb-warmup", docs[:200], args.clients, args.bulk)
    call(args.url, "DELETE", "/stb-warmup")

    configs = ["passages-pipeline", "semantic_text"]
    results = {c: [] for c in configs}
    print("\n| round | configuration | docs/s | texts embedded |\n|---|---|---|---|")
    for round_number in range(1, args.rounds + 1):
        order = configs if round_number % 2 else list(reversed(configs))
        for config in order:
            index = "stb-" + config
            setup(args.url, config, index)
            rate, texts = load(args.url, index, docs, args.clients, args.bulk)
            results[config].append({"docs_per_s": rate, "texts": texts})
            print(f"| {round_number} | {config} | {rate:.1f} | {texts} |")
    ratios = [t["docs_per_s"] / p["docs_per_s"] for t, p in zip(results["semantic_text"], results["passages-pipeline"])]
    print("\nsemantic_text / pipeline per round: " + ", ".join(f"{r:.2f}" for r in ratios)
          + f"; median {sorted(ratios)[len(ratios) // 2]:.2f}")

    sizes = {}
    for config in ["semantic_text-whole", "vector-derived-source"]:
        index = "stb-" + config
        setup(args.url, config, index)
        load(args.url, index, docs, args.clients, args.bulk)
    print("\n| index | store after force-merge, MiB | Lucene docs (with nested) |\n|---|---|---|")
    for config in configs + ["semantic_text-whole", "vector-derived-source"]:
        sizes[config] = size(args.url, "stb-" + config)
        print(f"| {config} | {sizes[config]['store_bytes'] / 2**20:.1f} | {sizes[config]['docs_with_nested']} |")

    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"args": vars(args), "ingest": results, "ratios": ratios, "sizes": sizes}, f, indent=2)
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()

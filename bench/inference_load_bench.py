#!/usr/bin/env python3
"""Inference under load: semantic query latency idle and while a bulk is embedding on the same node, ingest throughput
with and without queries beside it, cached text queries against vector queries, and _rag's generation_ms.

Python 3 standard library only. Starts nothing: give it the base URL of a running node (scripts/run-node.sh).

  corpus  JSONL {"id", "text"} documents (../shared/bench/make_debdesc.py writes corpus.jsonl and queries.jsonl)
  1. An index of --search-docs documents (semantic_text) to search.
  2. Idle: every query text once (each text new to the node, so no cache), with 1 and 4 clients.
  3. Ingest alone: --ingest-docs documents into a fresh semantic_text index, 2 bulk clients of 100 documents.
  4. Ingest with queries: the same load again, with 1 (then 4) query clients searching new texts until it ends.
  5. Cache: texts searched once, then again (cache hits), against the same searches with their vectors (from _embed).
  6. _rag: --rag-questions questions with the extractive answerer, took.generation_ms.
  Latencies are client-side wall times of whole _search requests. Prints Markdown; writes JSON to --out.
"""

import argparse
import concurrent.futures
import json
import os
import sys
import threading
import time

from node_calls import call, ok, percentile


def create(base, index):
    call(base, "DELETE", "/" + index)
    ok(call(base, "PUT", "/" + index, {"settings": {"number_of_shards": 1, "number_of_replicas": 0},
                                        "mappings": {"properties": {"body": {"type": "semantic_text"}}}}), "create " + index)


def bulk_load(base, index, docs, clients=2, size=100):
    bulks = []
    for start in range(0, len(docs), size):
        lines = []
        for doc in docs[start:start + size]:
            lines.append(json.dumps({"index": {"_id": doc["id"]}}))
            lines.append(json.dumps({"body": doc["text"]}))
        bulks.append("\n".join(lines) + "\n")
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for body in pool.map(lambda b: ok(call(base, "POST", f"/{index}/_bulk", b, "application/x-ndjson"), "bulk"), bulks):
            if body.get("errors"):
                sys.exit("bulk errors: " + json.dumps(body)[:500])
    return len(docs) / (time.monotonic() - started)


def search_text(base, index, text):
    started = time.monotonic()
    ok(call(base, "POST", f"/{index}/_search", {"size": 10, "_source": False,
                                                 "query": {"semantic": {"field": "body", "query": text}}}), "search")
    return (time.monotonic() - started) * 1000


def search_vector(base, index, vector):
    started = time.monotonic()
    ok(call(base, "POST", f"/{index}/_search", {"size": 10, "_source": False,
                                                 "query": {"semantic": {"field": "body", "vector": vector}}}), "search")
    return (time.monotonic() - started) * 1000


def run_queries(base, index, texts, clients, stop=None, rate=0):
    """Searches each text once with `clients` threads (or, with `stop`, keeps going over them until it is set); with
    `rate`, each client sends at most that many queries a second (an open loop, as users send them), else back to back."""
    latencies = []
    lock = threading.Lock()
    position = [0]

    def worker():
        while True:
            with lock:
                if position[0] >= len(texts) or (stop is not None and stop.is_set()):
                    return
                text = texts[position[0]]
                position[0] += 1
            latency = search_text(base, index, text)
            with lock:
                latencies.append(latency)
            if rate > 0:
                time.sleep(max(0.0, 1.0 / rate - latency / 1000))

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--data", default="/tmp/debdesc-en")
    parser.add_argument("--search-docs", type=int, default=500)
    parser.add_argument("--ingest-docs", type=int, default=1000)
    parser.add_argument("--rag-questions", type=int, default=30)
    parser.add_argument("--query-rate", type=float, default=0,
                        help="queries a second per client while the bulk runs (0: back to back)")
    parser.add_argument("--out", default="/tmp/inference_load_bench.json")
    args = parser.parse_args()
    base = args.url

    with open(os.path.join(args.data, "corpus.jsonl"), encoding="utf-8") as f:
        corpus = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(args.data, "queries.jsonl"), encoding="utf-8") as f:
        queries = [json.loads(line)["query"] for line in f if line.strip()]
    # Every phase gets texts of its own, so that none finds another's in the query cache.
    nonce = int(time.time())  # and none finds the texts of an earlier run on the same node
    unique = [f"{q} ({nonce}-{i})" for i, q in enumerate(queries * 20)]
    take = iter(range(0, len(unique), 200))

    def texts(n=200):
        start = next(take)
        return unique[start:start + n]

    search_docs = corpus[:args.search_docs]
    ingest_docs = corpus[args.search_docs:args.search_docs + args.ingest_docs]
    print(f"node {base}; {len(search_docs)} documents to search, {len(ingest_docs)} to ingest, {len(queries)} query texts")

    create(base, "ilb-search")
    bulk_load(base, "ilb-search", search_docs)
    ok(call(base, "POST", "/ilb-search/_refresh"), "refresh")
    run_queries(base, "ilb-search", texts(50), 1)  # warm-up

    results = {}
    for clients in (1, 4):
        lat = run_queries(base, "ilb-search", texts(), clients)
        results[f"idle_{clients}"] = {"p50": percentile(lat, 50), "p99": percentile(lat, 99), "n": len(lat)}

    create(base, "ilb-ingest")
    alone = bulk_load(base, "ilb-ingest", ingest_docs)
    results["ingest_alone"] = alone

    for clients in (1, 4):
        create(base, "ilb-ingest")
        stop = threading.Event()
        holder = {}
        loader = threading.Thread(target=lambda: holder.update(rate=bulk_load(base, "ilb-ingest", ingest_docs)))
        loader.start()
        lat = []
        pool = concurrent.futures.ThreadPoolExecutor(1)
        future = pool.submit(run_queries, base, "ilb-search", unique[len(unique) // 2:], clients, stop, args.query_rate)
        loader.join()
        stop.set()
        lat = future.result()
        pool.shutdown()
        results[f"during_ingest_{clients}"] = {"p50": percentile(lat, 50), "p99": percentile(lat, 99), "n": len(lat),
                                                "ingest_docs_per_s": holder["rate"]}

    cache_texts = texts(100)
    run_queries(base, "ilb-search", cache_texts, 1)  # first time: embedded and cached
    cached = run_queries(base, "ilb-search", cache_texts, 1)
    vectors = ok(call(base, "POST", "/_plugins/_semantic/_embed",
                      {"texts": cache_texts, "input_type": "query"}), "_embed")["embeddings"]
    by_vector = [search_vector(base, "ilb-search", v) for v in vectors]
    results["cached_text"] = {"p50": percentile(cached, 50), "p99": percentile(cached, 99)}
    results["vector"] = {"p50": percentile(by_vector, 50), "p99": percentile(by_vector, 99)}

    generation = []
    for question in queries[:args.rag_questions]:
        body = ok(call(base, "POST", "/ilb-search/_rag", {"question": question, "field": "body", "k": 5}), "_rag")
        generation.append(body["took"]["generation_ms"])
    results["rag_generation_ms"] = {"p50": percentile(generation, 50), "p99": percentile(generation, 99)}

    print("\n| measure | p50 ms | p99 ms | queries |\n|---|---|---|---|")
    for key in ("idle_1", "idle_4", "during_ingest_1", "during_ingest_4"):
        r = results[key]
        print(f"| semantic text query, {key.replace('_', ' ')} client(s) | {r['p50']:.1f} | {r['p99']:.1f} | {r['n']} |")
    print(f"| cached text query (repeated text) | {results['cached_text']['p50']:.1f} | {results['cached_text']['p99']:.1f} | 100 |")
    print(f"| the same queries with their vector | {results['vector']['p50']:.1f} | {results['vector']['p99']:.1f} | 100 |")
    print(f"| _rag generation_ms (extractive, k 5) | {results['rag_generation_ms']['p50']:.0f} | {results['rag_generation_ms']['p99']:.0f} | {len(generation)} |")
    print(f"\ningest alone {alone:.1f} docs/s; with 1 query client {results['during_ingest_1']['ingest_docs_per_s']:.1f}, "
          f"with 4 {results['during_ingest_4']['ingest_docs_per_s']:.1f}")
    for clients in (1, 4):
        print(f"p99 during ingest / idle p99, {clients} client(s): "
              f"{results[f'during_ingest_{clients}']['p99'] / results[f'idle_{clients}']['p99']:.2f}; "
              f"ingest with queries / alone: {results[f'during_ingest_{clients}']['ingest_docs_per_s'] / alone:.2f}")
    print(f"cached text / vector p50: {results['cached_text']['p50'] / results['vector']['p50']:.2f}")
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"args": vars(args), "results": results}, f, indent=2)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

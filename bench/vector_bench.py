#!/usr/bin/env python3
"""Vector search benchmark: the plugin's semantic_vector field (hnsw, int8_hnsw) against the k-NN plugin's
knn_vector field (lucene engine, hnsw), on one node that has both plugins (scripts/run-node.sh --with-knn).

Python 3 standard library only. Starts nothing: give it the base URL of a running node.

  1. Data: clustered synthetic vectors, deterministic from --seed: --clusters Gaussian centroids (unit length), each
     document = normalise(centroid + N(0, spread^2) per dimension), centroid picked at random; --queries held-out
     vectors drawn the same way (never indexed). Or, with --corpus, real texts embedded by the node's model. Written
     once to --cache and reused.
  2. Indexing, per configuration: bulk (refresh off; --bulk-clients concurrent requests of --bulk-size docs), then
     refresh, then force-merge to one segment, each timed on its own. 1 shard, 0 replicas, same m and
     ef_construction, cosine everywhere.
  3. Ground truth: the exact top --k of every query, from the node's brute-force search (the semantic query with
     "exact": true over the hnsw index), cached; cross-checked on a sample against the k-NN plugin's own exact path
     (script_score with the knn_score script).
  4. Search: for each num_candidates (k-NN: method_parameters.ef_search, which the k-NN plugin turns into Lucene's
     k exactly as num_candidates is here) and each client count, every query once per configuration, the
     configurations interleaved so that load changes from other work hit them alike; recall@k against the ground
     truth, QPS, server-side took, client latency percentiles, and the load average before and after each pass.
     --fetch ids,none adds passes whose hits fetch nothing (stored_fields _none_), which time the search alone.
  5. With --profile-queries N: mean profile API times of N queries per configuration.

Results are printed as Markdown tables and written as JSON to --out.
"""

import argparse
import concurrent.futures
import http.client
import json
import math
import os
import random
import sys
import threading
import time
import urllib.parse

CONFIGS = {
    # name: (index, description)
    "hnsw": ("vb-hnsw", "semantic_vector, index_options.type hnsw"),
    "int8_hnsw": ("vb-int8-hnsw", "semantic_vector, index_options.type int8_hnsw"),
    "knn_lucene": ("vb-knn-lucene", "knn_vector, lucene engine, hnsw"),
}


# ---------------------------------------------------------------------------------------------------------- HTTP

class Client:
    """One keep-alive HTTP connection per thread."""

    def __init__(self, base_url, timeout=3600):
        url = urllib.parse.urlparse(base_url)
        self.host = url.hostname
        self.port = url.port or 80
        self.prefix = url.path.rstrip("/")
        self.timeout = timeout
        self.local = threading.local()

    def _conn(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.local.conn = conn
        return conn

    def request(self, method, path, body=None, ndjson=False, ok=(200, 201)):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = {"Content-Type": "application/x-ndjson" if ndjson else "application/json"}
        for attempt in range(2):
            conn = self._conn()
            try:
                conn.request(method, self.prefix + path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self.local.conn = None
                if attempt == 1:
                    raise
        if ok is not None and response.status not in ok:
            raise RuntimeError(f"{method} {path} -> {response.status}: {data[:2000].decode('utf-8', 'replace')}")
        return response.status, (json.loads(data) if data else None)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------------------- data

def fmt_vector(v):
    return "[" + ",".join("%.6g" % x for x in v) + "]"


def parse_vector(s):
    return [float(x) for x in s.strip()[1:-1].split(",")]


def unit(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def data_files(args):
    if args.corpus:
        key = "corpus-" + os.path.basename(os.path.normpath(args.corpus)) + "-" + (args.model or "default")
    else:
        key = f"n{args.docs}-d{args.dims}-c{args.clusters}-s{args.spread}-q{args.queries}-seed{args.seed}"
    return (os.path.join(args.cache, f"docs-{key}.txt"), os.path.join(args.cache, f"queries-{key}.txt"),
            os.path.join(args.cache, f"truth-{key}-k{args.k}.json"))


def embed_corpus(client, args):
    """Real embeddings: a corpus.jsonl ({"id","text"}) and queries.jsonl ({"query"}) folder, as written by
    make_debdesc.py, embedded by the node's bundled model (POST /_plugins/_semantic/_embed)."""
    docs_file, queries_file, _ = data_files(args)
    started = time.time()
    for name, path, input_type, key in (("corpus.jsonl", docs_file, "passage", "text"),
                                        ("queries.jsonl", queries_file, "query", "query")):
        with open(os.path.join(args.corpus, name)) as f:
            texts = [json.loads(line)[key] for line in f if line.strip()]
        with open(path + ".tmp", "w") as out:
            for start in range(0, len(texts), 32):
                body = {"texts": texts[start:start + 32], "input_type": input_type}
                if args.model:
                    body["model"] = args.model
                _, result = client.request("POST", "/_plugins/_semantic/_embed", body)
                for v in result["embeddings"]:
                    out.write(fmt_vector(v) + "\n")
        os.replace(path + ".tmp", path)
        print(f"data: embedded {len(texts)} texts of {name} ({time.time() - started:.0f} s so far)", flush=True)


def make_data(args, client):
    docs_file, queries_file, _ = data_files(args)
    if os.path.exists(docs_file) and os.path.exists(queries_file):
        print(f"data: reusing {docs_file}", flush=True)
        return
    os.makedirs(args.cache, exist_ok=True)
    if args.corpus:
        embed_corpus(client, args)
        return
    started = time.time()
    rng = random.Random(args.seed)
    gauss = rng.gauss
    dims, spread = args.dims, args.spread
    centroids = [unit([gauss(0.0, 1.0) for _ in range(dims)]) for _ in range(args.clusters)]

    def sample():
        c = centroids[rng.randrange(args.clusters)]
        return unit([x + gauss(0.0, spread) for x in c])

    for path, count in ((docs_file, args.docs), (queries_file, args.queries)):
        with open(path + ".tmp", "w") as out:
            for i in range(count):
                out.write(fmt_vector(sample()) + "\n")
        os.replace(path + ".tmp", path)
    print(f"data: generated {args.docs} docs + {args.queries} queries in {time.time() - started:.0f} s", flush=True)


def read_lines(path):
    with open(path) as f:
        return [line.rstrip("\n") for line in f]


# ---------------------------------------------------------------------------------------------------------- indexing

def index_body(config, args):
    settings = {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"}
    if config == "knn_lucene":
        settings["knn"] = True
        field = {"type": "knn_vector", "dimension": args.dims,
                 "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil",
                            "parameters": {"m": args.m, "ef_construction": args.ef_construction}}}
    else:
        field = {"type": "semantic_vector", "dims": args.dims, "similarity": "cosine",
                 "index_options": {"type": config, "m": args.m, "ef_construction": args.ef_construction}}
    mappings = {"properties": {"v": field}}
    if args.derived_source and config != "knn_lucene":
        # OpenSearch's derived source: no stored _source, every field writes its value back from the index (our
        # field from its vectors), which is what the k-NN plugin does for knn_vector by default.
        settings["derived_source"] = {"enabled": True}
    if args.source_excludes and config != "knn_lucene":
        # The k-NN plugin keeps knn_vector values out of the stored _source by default (derived source); this
        # does the same by hand for semantic_vector, at the price of _source without the vectors.
        mappings["_source"] = {"excludes": ["v"]}
    return {"settings": {"index": settings}, "mappings": mappings}


def build_index(client, config, docs, args):
    index = CONFIGS[config][0]
    client.request("DELETE", f"/{index}", ok=(200, 404))
    client.request("PUT", f"/{index}", index_body(config, args))
    client.request("GET", f"/_cluster/health/{index}?wait_for_status=green&timeout=60s")

    chunks = [range(start, min(start + args.bulk_size, len(docs))) for start in range(0, len(docs), args.bulk_size)]

    def send(chunk):
        body = "".join('{"index":{"_id":"%d"}}\n{"v":%s}\n' % (i, docs[i]) for i in chunk)
        _, result = client.request("POST", f"/{index}/_bulk?filter_path=errors,items.*.error", body, ndjson=True)
        if result.get("errors"):
            raise RuntimeError(f"bulk into {index} failed: {json.dumps(result)[:2000]}")

    load_before = loadavg()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.bulk_clients) as pool:
        for _ in pool.map(send, chunks):
            pass
    bulk_s = time.perf_counter() - started
    started = time.perf_counter()
    client.request("POST", f"/{index}/_refresh")
    refresh_s = time.perf_counter() - started
    _, segments_before = client.request("GET", f"/{index}/_stats/segments?filter_path=_all.primaries.segments.count")
    started = time.perf_counter()
    client.request("POST", f"/{index}/_forcemerge?max_num_segments=1")
    merge_s = time.perf_counter() - started
    client.request("POST", f"/{index}/_refresh")
    _, stats = client.request("GET", f"/{index}/_stats/docs,segments")
    primaries = stats["_all"]["primaries"]
    _, segments = client.request("GET", f"/{index}/_segments")
    store_bytes = sum(seg["size_in_bytes"] for shard in segments["indices"][index]["shards"]["0"]
                      for seg in shard["segments"].values())
    result = {
        "config": config, "index": index, "bulk_s": bulk_s, "refresh_s": refresh_s, "force_merge_s": merge_s,
        "docs_per_s_bulk": len(docs) / bulk_s,
        "segments_after_bulk_refresh": segments_before["_all"]["primaries"]["segments"]["count"],
        "segments": primaries["segments"]["count"], "docs": primaries["docs"]["count"],
        "store_bytes": store_bytes, "load_before": load_before, "load_after": loadavg(),
    }
    if result["docs"] != len(docs) or result["segments"] != 1:
        raise RuntimeError(f"{index}: expected {len(docs)} docs in 1 segment, got {result}")
    print(f"index {config}: bulk {bulk_s:.1f} s ({result['docs_per_s_bulk']:.0f} docs/s), refresh {refresh_s:.1f} s "
          f"({result['segments_after_bulk_refresh']} segments), force merge {merge_s:.1f} s, "
          f"{result['store_bytes'] / 2**20:.0f} MiB, load {load_before} -> {result['load_after']}", flush=True)
    return result


# ---------------------------------------------------------------------------------------------------------- queries

FETCH = {
    # What each hit brings back. "ids": the _id of each hit (read from the stored fields, as any search does by
    # default); "none": nothing per hit, so the search alone is measured (recall comes from the "ids" pass).
    "ids": '"_source":false',
    "none": '"_source":false,"stored_fields":"_none_"',
}


def query_body(config, vector_json, k, num_candidates, fetch="ids"):
    if config == "knn_lucene":
        query = '{"knn":{"v":{"vector":%s,"k":%d,"method_parameters":{"ef_search":%d}}}}' % (vector_json, k, num_candidates)
    else:
        query = '{"semantic":{"field":"v","vector":%s,"k":%d,"num_candidates":%d}}' % (vector_json, k, num_candidates)
    return ('{"size":%d,%s,"query":%s}' % (k, FETCH[fetch], query)).encode("utf-8")


SEARCH_PARAMS = "?filter_path=took,timed_out,_shards.failed,hits.hits._id"


def search_ids(client, index, body):
    _, result = client.request("POST", f"/{index}/_search{SEARCH_PARAMS}", body)
    if result.get("timed_out") or result.get("_shards", {}).get("failed"):
        raise RuntimeError(f"search on {index} failed: {result}")
    return [hit["_id"] for hit in result.get("hits", {}).get("hits", [])], result["took"]


def ground_truth(client, queries, args):
    _, _, truth_file = data_files(args)
    if os.path.exists(truth_file):
        print(f"truth: reusing {truth_file}", flush=True)
        with open(truth_file) as f:
            return json.load(f)
    index = CONFIGS["hnsw"][0]
    started = time.perf_counter()

    def exact(q):
        body = ('{"size":%d,"_source":false,"query":{"semantic":{"field":"v","vector":%s,"exact":true}}}'
                % (args.k, q)).encode("utf-8")
        return search_ids(client, index, body)[0]

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        truth = list(pool.map(exact, queries))
    print(f"truth: exact top {args.k} of {len(queries)} queries in {time.perf_counter() - started:.0f} s", flush=True)
    with open(truth_file + ".tmp", "w") as f:
        json.dump(truth, f)
    os.replace(truth_file + ".tmp", truth_file)
    return truth


def cross_check_truth(client, queries, truth, args, sample=20):
    """The k-NN plugin's exact path (script_score + knn_score) must agree with the truth we use."""
    index = CONFIGS["knn_lucene"][0]
    same = 0
    for q, expected in list(zip(queries, truth))[:sample]:
        body = ('{"size":%d,"_source":false,"query":{"script_score":{"query":{"match_all":{}},"script":'
                '{"source":"knn_score","lang":"knn","params":{"field":"v","query_value":%s,"space_type":"cosinesimil"}}}}}'
                % (args.k, q)).encode("utf-8")
        ids, _ = search_ids(client, index, body)
        same += len(set(ids) & set(expected))
    agreement = same / (sample * args.k)
    print(f"truth: the k-NN plugin's exact search agrees on {agreement:.4f} of the top {args.k} ids ({sample} queries)",
          flush=True)
    return agreement


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, int(math.ceil(p / 100.0 * len(sorted_values))) - 1))
    return sorted_values[i]


def run_pass(client, config, bodies, truth, clients, k):
    index = CONFIGS[config][0]
    n = len(bodies)
    ids = [None] * n
    tooks = [0] * n
    latencies = [0.0] * n

    def worker(offset):
        for i in range(offset, n, clients):
            started = time.perf_counter()
            ids[i], tooks[i] = search_ids(client, index, bodies[i])
            latencies[i] = time.perf_counter() - started

    load_before = loadavg()
    started = time.perf_counter()
    if clients == 1:
        worker(0)
    else:
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            for f in [pool.submit(worker, c) for c in range(clients)]:
                f.result()
    wall = time.perf_counter() - started
    if any(len(got) == 0 for got in ids):  # no ids fetched: recall comes from the "ids" pass
        recall = None
    else:
        recall = sum(len(set(got[:k]) & set(exp[:k])) for got, exp in zip(ids, truth)) / (k * n)
    lat = sorted(latencies)
    return {
        "config": config, "clients": clients, "queries": n, "wall_s": wall, "qps": n / wall, "recall": recall,
        "took_mean_ms": sum(tooks) / n, "p50_ms": percentile(lat, 50) * 1000, "p99_ms": percentile(lat, 99) * 1000,
        "load_before": load_before, "load_after": loadavg(),
    }


def profile(client, config, queries, k, num_candidates, count):
    """Mean per-query times from the profile API: the kNN graph search runs in the query's rewrite."""
    index = CONFIGS[config][0]
    totals = {"rewrite_ms": 0.0, "query_ms": 0.0, "collector_ms": 0.0, "took_ms": 0.0}
    types = set()
    for q in queries[:count]:
        body = query_body(config, q, k, num_candidates)[:-1] + b',"profile":true}'
        _, result = client.request("POST", f"/{index}/_search", body)
        shard = result["profile"]["shards"][0]["searches"][0]
        totals["rewrite_ms"] += shard["rewrite_time"] / 1e6
        totals["query_ms"] += sum(q["time_in_nanos"] for q in shard["query"]) / 1e6
        totals["collector_ms"] += sum(c["time_in_nanos"] for c in shard["collector"]) / 1e6
        totals["took_ms"] += result["took"]
        types.update(q["type"] for q in shard["query"])
    out = {key: value / count for key, value in totals.items()}
    out.update({"config": config, "num_candidates": num_candidates, "queries": count, "query_types": sorted(types)})
    return out


# ---------------------------------------------------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:9200", help="base URL of a node with both plugins")
    p.add_argument("--docs", type=int, default=100_000)
    p.add_argument("--dims", type=int, default=384)
    p.add_argument("--clusters", type=int, default=1000)
    p.add_argument("--spread", type=float, default=0.05, help="standard deviation of the noise per dimension")
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--seed", type=int, default=20261124)
    p.add_argument("--corpus", default=None,
                   help="instead of synthetic data: a folder with corpus.jsonl and queries.jsonl (make_debdesc.py), "
                        "embedded with the node's default model or --model")
    p.add_argument("--model", default=None, help="with --corpus: the model to embed with")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=100)
    p.add_argument("--configs", default="hnsw,int8_hnsw,knn_lucene", help="of: " + ", ".join(CONFIGS))
    p.add_argument("--num-candidates", default="10,20,50,100,200")
    p.add_argument("--clients", default="1,4", help="concurrent search clients, one pass per count")
    p.add_argument("--fetch", default="ids",
                   help="what hits return, one pass per value: ids (the _id of each hit) and/or none "
                        "(stored_fields _none_: the search alone)")
    p.add_argument("--bulk-size", type=int, default=500)
    p.add_argument("--bulk-clients", type=int, default=2)
    p.add_argument("--source-excludes", action="store_true",
                   help="map semantic_vector indices with _source.excludes [v], as k-NN's derived source does")
    p.add_argument("--derived-source", action="store_true",
                   help="create semantic_vector indices with index.derived_source.enabled: no stored _source, the "
                        "vectors are read back from the index, as k-NN's derived source does for knn_vector")
    p.add_argument("--skip-index", action="store_true", help="search the indices a previous run built")
    p.add_argument("--profile-queries", type=int, default=0, help="also profile this many queries per configuration")
    p.add_argument("--cache", default="/tmp/vector-bench-cache", help="where the data and the ground truth are kept")
    p.add_argument("--out", default=None, help="JSON results file")
    args = p.parse_args()
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    for c in configs:
        if c not in CONFIGS:
            p.error(f"unknown configuration {c}")
    ncs = [int(x) for x in args.num_candidates.split(",")]
    client_counts = [int(x) for x in args.clients.split(",")]
    client = Client(args.url)

    _, info = client.request("GET", "/")
    _, plugins = client.request("GET", "/_cat/plugins?format=json")
    run = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "args": vars(args), "opensearch": info["version"]["number"],
           "plugins": sorted({f"{x['component']} {x['version']}" for x in plugins}), "load_start": loadavg(),
           "cpus": os.cpu_count()}
    print(f"node: OpenSearch {run['opensearch']}, plugins {run['plugins']}, load {run['load_start']}", flush=True)

    make_data(args, client)
    docs_file, queries_file, _ = data_files(args)
    queries = read_lines(queries_file)
    if args.corpus:
        args.dims = len(parse_vector(queries[0]))

    run["indexing"] = []
    if not args.skip_index:
        docs = read_lines(docs_file)
        needed = configs if "hnsw" in configs else ["hnsw"] + configs  # the truth comes from the hnsw index
        for config in needed:
            run["indexing"].append(build_index(client, config, docs, args))
        del docs

    truth = ground_truth(client, queries, args)
    if "knn_lucene" in configs:
        run["truth_agreement_knn_exact"] = cross_check_truth(client, queries, truth, args)

    # Warm up every index (page cache, JIT) with one pass at the largest num_candidates.
    for config in configs:
        bodies = [query_body(config, q, args.k, max(ncs)) for q in queries]
        warm = run_pass(client, config, bodies, truth, 2, args.k)
        print(f"warm-up {config}: {warm['qps']:.0f} QPS, recall {warm['recall']:.4f}", flush=True)

    run["search"] = []
    fetches = [f.strip() for f in args.fetch.split(",")]
    if "ids" not in fetches:
        fetches.insert(0, "ids")  # recall needs the ids
    for fetch in fetches:
        for clients in client_counts:
            for round_no, nc in enumerate(ncs):
                # Rotate the order so that no configuration always goes first.
                order = configs[round_no % len(configs):] + configs[:round_no % len(configs)]
                for config in order:
                    bodies = [query_body(config, q, args.k, nc, fetch) for q in queries]
                    result = run_pass(client, config, bodies, truth, clients, args.k)
                    result.update({"num_candidates": nc, "fetch": fetch})
                    if result["recall"] is None:
                        result["recall"] = next(r["recall"] for r in run["search"] if r["fetch"] == "ids"
                                                and r["config"] == config and r["num_candidates"] == nc)
                    run["search"].append(result)
                    print(f"search {config:10s} nc={nc:<4d} clients={clients} fetch={fetch}: recall@{args.k} "
                          f"{result['recall']:.4f}  {result['qps']:7.1f} QPS  took {result['took_mean_ms']:.2f} ms  "
                          f"p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
                          f"load {result['load_before'][0] if result['load_before'] else '?'}", flush=True)

    if args.profile_queries:
        run["profile"] = []
        for nc in (10, 100):
            for config in configs:
                result = profile(client, config, queries, args.k, nc, args.profile_queries)
                run["profile"].append(result)
                print(f"profile {config:10s} nc={nc}: rewrite {result['rewrite_ms']:.2f} ms, query {result['query_ms']:.3f} ms,"
                      f" collector {result['collector_ms']:.3f} ms, took {result['took_ms']:.2f} ms; {result['query_types']}",
                      flush=True)

    run["load_end"] = loadavg()
    print()
    print("| config | bulk s | refresh s | force merge s | MiB |")
    print("|---|---|---|---|---|")
    for r in run["indexing"]:
        print(f"| {r['config']} | {r['bulk_s']:.1f} | {r['refresh_s']:.1f} | {r['force_merge_s']:.1f} | "
              f"{r['store_bytes'] / 2**20:.0f} |")
    print()
    print("| fetch | clients | num_candidates | " + " | ".join(f"{c} recall / QPS" for c in configs) + " |")
    print("|---|---|---|" + "---|" * len(configs))
    for fetch in fetches:
        for clients in client_counts:
            for nc in ncs:
                cells = []
                for config in configs:
                    r = next(x for x in run["search"] if x["config"] == config and x["num_candidates"] == nc
                             and x["clients"] == clients and x["fetch"] == fetch)
                    cells.append(f"{r['recall']:.3f} / {r['qps']:.0f}")
                print(f"| {fetch} | {clients} | {nc} | " + " | ".join(cells) + " |")
    print(f"\nload average: start {run['load_start']}, end {run['load_end']}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(run, f, indent=1)
        print(f"results: {args.out}")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Inference under load: semantic query latency idle and while a bulk is embedding on the same node, ingest throughput
with and without queries beside it, cached text queries against vector queries, and _rag's generation_ms.

Python 3 standard library only. Starts nothing: give it the base URL of a running node (scripts/run-node.sh).

  corpus  JSONL {"id", "text"} documents (bench/make_debdesc.py writes corpus.jsonl and queries.jsonl)
  1. An index of --search-docs documents (semantic_text) to search.
  2. After unmeasured warm-up rounds of ingest with 4 query clients (at least --warmup-rounds; with the node's pid,
     until the JIT compiler uses under --warmup-jit-cores of a core in a round, at most --warmup-max-rounds: on two
     cores a node compiles for minutes, and the compiler's CPU falls on the phases with queries more than on ingest
     alone), idle: query texts new to the node, with 1 and 4 clients back to back; then --rounds rounds of: ingest alone (--ingest-docs documents into a fresh semantic_text index, 2 bulk clients of 100
     documents), the same with 1 query client searching beside it until it ends, the same with 4; the order of the
     three turns each round, so that drift of the machine does not fall on one of them. Ratios are per round, then
     their median.
     With --query-rate, then 4 paced clients alone for 15 s; every phase also reports the node's CPU (process stats),
     so that the ratio can be set against the CPU the queries take.
  3. Cache: texts searched once, then again (cache hits), against the same searches with their vectors (from _embed).
  4. _rag: --rag-questions questions with the extractive answerer, took.generation_ms; then the same questions again
     (the query cache emptied) while a bulk of --ingest-docs documents is embedding on the node.
  Query texts are the queries of the data set as they are (--texts real): the node's query cache is emptied
  (POST /_plugins/_semantic/query_cache/_clear) before each phase, and the cache hits of each phase are reported (0
  unless a phase runs out of texts). --texts suffixed makes every text unique by appending "(<run>-<n>)" instead, the
  method of the first runs: it needs no clearing but the suffix about doubles the tokens of a query and so its cost.
  Latencies are client-side wall times of whole _search requests. Prints Markdown; writes JSON to --out.
"""

import argparse
import concurrent.futures
import json
import os
import sys
import threading
import time
import urllib.parse

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


def query_cache_hits(base):
    nodes = ok(call(base, "GET", "/_plugins/_semantic/stats"), "stats")["nodes"].values()
    return sum(n["query_cache"]["hits"] for n in nodes)


def clear_query_cache(base):
    ok(call(base, "POST", "/_plugins/_semantic/query_cache/_clear"), "query_cache/_clear")


def node_cpu_seconds(base):
    """CPU time the node processes have used (OpenSearch's own process stats), in seconds."""
    nodes = ok(call(base, "GET", "/_nodes/stats/process"), "nodes stats")["nodes"].values()
    return sum(n["process"]["cpu"]["total_in_millis"] for n in nodes) / 1000


def jit_cpu_seconds(pid):
    """CPU time of the JVM's JIT compiler threads ("C1/C2 CompilerThread<n>") of a node process on this machine
    (Linux /proc), or None without a pid. The compilers are no Java threads, so no node API reports them."""
    if pid is None:
        return None
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as f:
                if "CompilerThre" not in f.read():
                    continue
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue  # a compiler thread that ended meanwhile
    return total / os.sysconf("SC_CLK_TCK")


class NodeCpu:
    """Cores of node CPU used between start and stop: a phase's cost, however it is spread over threads; and of it,
    the JIT compiler's when the node's pid is known."""

    def __init__(self, base, pid=None):
        self.base = base
        self.pid = pid
        self.cpu = node_cpu_seconds(base)
        self.jit = jit_cpu_seconds(pid)
        self.wall = time.monotonic()

    def seconds(self):
        return node_cpu_seconds(self.base) - self.cpu

    def cores(self):
        return self.seconds() / (time.monotonic() - self.wall)

    def jit_cores(self):
        if self.pid is None:
            return None
        return (jit_cpu_seconds(self.pid) - self.jit) / (time.monotonic() - self.wall)


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--data", default="/tmp/debdesc-en")
    parser.add_argument("--search-docs", type=int, default=500)
    parser.add_argument("--ingest-docs", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup-rounds", type=int, default=1,
                        help="unmeasured rounds of ingest with 4 query clients first, so that the JIT has compiled both paths")
    parser.add_argument("--warmup-jit-cores", type=float, default=0.02,
                        help="with the node's pid, warm up until a round's JIT compiler CPU is under this many cores")
    parser.add_argument("--warmup-max-rounds", type=int, default=30)
    parser.add_argument("--rag-questions", type=int, default=30)
    parser.add_argument("--query-rate", type=float, default=0,
                        help="queries a second per client while the bulk runs (0: back to back)")
    parser.add_argument("--texts", choices=("real", "suffixed"), default="real")
    parser.add_argument("--out", default="/tmp/inference_load_bench.json")
    parser.add_argument("--node-pid", default="/tmp/opensearch-semantic-node/opensearch.pid",
                        help="the node's pid, or a file holding it (scripts/run-node.sh writes one): the JIT "
                             "compiler's CPU is then reported per phase; ignored when not on this machine")
    args = parser.parse_args()
    if args.warmup_rounds < 0 or args.warmup_max_rounds < args.warmup_rounds:
        parser.error("--warmup-rounds must be at least 0 and --warmup-max-rounds at least --warmup-rounds")
    if args.warmup_jit_cores <= 0:
        parser.error("--warmup-jit-cores must be above 0, e.g. 0.02")
    base = args.url

    with open(os.path.join(args.data, "corpus.jsonl"), encoding="utf-8") as f:
        corpus = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(args.data, "queries.jsonl"), encoding="utf-8") as f:
        queries = [json.loads(line)["query"] for line in f if line.strip()]
    if args.texts == "suffixed":
        nonce = int(time.time())  # no text of an earlier run on the same node comes back
        pool = [f"{q} ({nonce}-{i})" for i, q in enumerate(queries * 20)]
    else:
        pool = list(queries)
    cursor = [0]

    def texts(n):
        """The next n texts of the pool, from the start again after a cache clear when it runs out (real texts)."""
        if cursor[0] + n > len(pool):
            if args.texts == "suffixed":
                sys.exit("out of suffixed texts")
            cursor[0] = 0
        cursor[0] += n
        return pool[cursor[0] - n:cursor[0]]

    def phase_texts():
        """Texts for a phase of unknown length: a fresh cache and the whole pool, from a turning start."""
        if args.texts == "real":
            clear_query_cache(base)
            start = cursor[0] % len(pool)
            return pool[start:] + pool[:start]
        return pool[cursor[0]:]  # texts no phase has sent; the cursor moves past those this one sends

    node_pid = None
    if args.node_pid and urllib.parse.urlparse(base).hostname in ("127.0.0.1", "localhost", "::1"):
        try:
            pid = int(open(args.node_pid).read()) if os.path.isfile(args.node_pid) else int(args.node_pid)
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                # A stale pid file may name another process now.
                node_pid = pid if b"org.opensearch" in f.read() else None
        except (OSError, ValueError):
            node_pid = None

    search_docs = corpus[:args.search_docs]
    ingest_docs = corpus[args.search_docs:args.search_docs + args.ingest_docs]
    print(f"node {base}; {len(search_docs)} documents to search, {len(ingest_docs)} to ingest, {len(queries)} query texts "
          f"({args.texts}), {args.rounds} rounds")

    create(base, "ilb-search")
    bulk_load(base, "ilb-search", search_docs)
    ok(call(base, "POST", "/ilb-search/_refresh"), "refresh")
    if args.texts == "real":
        clear_query_cache(base)
    run_queries(base, "ilb-search", texts(50), 1)  # warm-up

    results = {}

    def ingest(clients):
        create(base, "ilb-ingest")
        cpu = NodeCpu(base, node_pid)
        if clients == 0:
            rate = bulk_load(base, "ilb-ingest", ingest_docs)
            return {"ingest_docs_per_s": rate, "node_cores": cpu.cores(), "jit_cores": cpu.jit_cores()}
        stop = threading.Event()
        holder = {}
        phase = phase_texts()
        hits = query_cache_hits(base)
        loader = threading.Thread(target=lambda: holder.update(rate=bulk_load(base, "ilb-ingest", ingest_docs)))
        loader.start()
        pool_ = concurrent.futures.ThreadPoolExecutor(1)
        future = pool_.submit(run_queries, base, "ilb-search", phase, clients, stop, args.query_rate)
        loader.join()
        stop.set()
        lat = future.result()
        pool_.shutdown()
        cursor[0] += len(lat)
        return {"p50": percentile(lat, 50), "p99": percentile(lat, 99), "n": len(lat), "node_cores": cpu.cores(),
                "jit_cores": cpu.jit_cores(),
                "ingest_docs_per_s": holder["rate"], "cache_hits": query_cache_hits(base) - hits}

    warmups, jit = 0, None
    while warmups < args.warmup_max_rounds:
        jit = ingest(4)["jit_cores"]
        warmups += 1
        if warmups >= args.warmup_rounds and (jit is None or jit < args.warmup_jit_cores):
            break
    results["warmup_rounds"] = warmups
    print(f"{warmups} warm-up round(s)" + (f", the JIT compiler at {jit:.2f} cores in the last" if jit is not None else ""))
    # Idle after the warm-up, as the phases during ingest: measured first, on a node just started, the idle p99 was
    # the JIT compiler's and flattered the ratio of the two.
    for clients in (1, 4):
        if args.texts == "real":
            clear_query_cache(base)
        hits = query_cache_hits(base)
        lat = run_queries(base, "ilb-search", texts(200), clients)
        results[f"idle_{clients}"] = {"p50": percentile(lat, 50), "p99": percentile(lat, 99), "n": len(lat),
                                      "cache_hits": query_cache_hits(base) - hits}
    rounds = []
    for r in range(args.rounds):
        order = [0, 1, 4][r % 3:] + [0, 1, 4][:r % 3]
        measured = {clients: ingest(clients) for clients in order}
        rounds.append({"order": order, "alone": measured[0], "with_1": measured[1], "with_4": measured[4]})
        alone = measured[0]["ingest_docs_per_s"]
        print(f"round {r + 1} (order {order}): ingest alone {alone:.1f} docs/s, with 1 client "
              f"{measured[1]['ingest_docs_per_s']:.1f} ({measured[1]['ingest_docs_per_s'] / alone:.2f}), with 4 "
              f"{measured[4]['ingest_docs_per_s']:.1f} ({measured[4]['ingest_docs_per_s'] / alone:.2f}); p99 with 1 "
              f"{measured[1]['p99']:.1f} ms, with 4 {measured[4]['p99']:.1f} ms; node cores busy alone "
              f"{measured[0]['node_cores']:.2f}, with 4 {measured[4]['node_cores']:.2f}"
              + (f"; of them JIT compiler alone {measured[0]['jit_cores']:.2f}, with 4 {measured[4]['jit_cores']:.2f}"
                 if node_pid else ""))
    results["rounds"] = rounds
    if args.query_rate > 0:
        # The four paced clients alone: the node CPU they take, which ingest beside them cannot have.
        phase = phase_texts()
        stop = threading.Event()
        cpu = NodeCpu(base, node_pid)
        timer = threading.Timer(15, stop.set)
        timer.start()
        lat = run_queries(base, "ilb-search", phase, 4, stop, args.query_rate)
        cores, seconds = cpu.cores(), cpu.seconds()
        cursor[0] += len(lat)
        results["paced_4_alone"] = {"cores": cores, "n": len(lat), "cpu_ms_per_query": seconds * 1000 / len(lat),
                                    "jit_cores": cpu.jit_cores()}

    for clients in (1, 4):
        during = [rd[f"with_{clients}"] for rd in rounds]
        results[f"during_ingest_{clients}"] = {
            "p99_median": median([d["p99"] for d in during]),
            "p50_median": median([d["p50"] for d in during]),
            "ingest_ratio_median": median([d["ingest_docs_per_s"] / rd["alone"]["ingest_docs_per_s"]
                                           for d, rd in zip(during, rounds)]),
            "cache_hits": sum(d["cache_hits"] for d in during),
        }

    if args.texts == "real":
        clear_query_cache(base)
    cache_texts = texts(100)
    run_queries(base, "ilb-search", cache_texts, 1)  # first time: embedded and cached
    cached = run_queries(base, "ilb-search", cache_texts, 1)
    vectors = ok(call(base, "POST", "/_plugins/_semantic/_embed",
                      {"texts": cache_texts, "input_type": "query"}), "_embed")["embeddings"]
    by_vector = [search_vector(base, "ilb-search", v) for v in vectors]
    results["cached_text"] = {"p50": percentile(cached, 50), "p99": percentile(cached, 99)}
    results["vector"] = {"p50": percentile(by_vector, 50), "p99": percentile(by_vector, 99)}

    def ask(questions, busy=None):
        """took.generation_ms of each question, asked one after the other; with busy, only while busy() holds."""
        took = []
        for question in questions:
            body = ok(call(base, "POST", "/ilb-search/_rag", {"question": question, "field": "body", "k": 5}), "_rag")
            if busy is None or busy():
                took.append(body["took"]["generation_ms"])
        return took

    rag_questions = queries[:args.rag_questions]
    clear_query_cache(base)
    generation = ask(rag_questions)
    results["rag_generation_ms"] = {"p50": percentile(generation, 50), "p99": percentile(generation, 99)}
    # The same questions, the cache emptied, while a bulk is embedding on the node: answers share the cores with it.
    create(base, "ilb-ingest")
    loader = threading.Thread(target=lambda: bulk_load(base, "ilb-ingest", ingest_docs))
    loader.start()
    time.sleep(1)  # the bulk under way
    clear_query_cache(base)
    during = ask(rag_questions, loader.is_alive)
    loader.join()
    results["rag_generation_ms_during_ingest"] = {"p50": percentile(during, 50) if during else None,
                                                  "p99": percentile(during, 99) if during else None, "n": len(during)}

    print("\n| measure | p50 ms | p99 ms | queries | cache hits |\n|---|---|---|---|---|")
    for clients in (1, 4):
        r = results[f"idle_{clients}"]
        print(f"| semantic text query, idle, {clients} client(s) back to back | {r['p50']:.1f} | {r['p99']:.1f} | {r['n']} | {r['cache_hits']} |")
    for clients in (1, 4):
        r = results[f"during_ingest_{clients}"]
        n = sum(rd[f"with_{clients}"]["n"] for rd in rounds)
        print(f"| semantic text query during ingest, {clients} client(s), median of {args.rounds} rounds | "
              f"{r['p50_median']:.1f} | {r['p99_median']:.1f} | {n} | {r['cache_hits']} |")
    print(f"| cached text query (repeated text) | {results['cached_text']['p50']:.1f} | {results['cached_text']['p99']:.1f} | 100 | |")
    print(f"| the same queries with their vector | {results['vector']['p50']:.1f} | {results['vector']['p99']:.1f} | 100 | |")
    print(f"| _rag generation_ms (extractive, k 5) | {results['rag_generation_ms']['p50']:.0f} | {results['rag_generation_ms']['p99']:.0f} | {len(generation)} | |")
    if during:
        print(f"| _rag generation_ms during ingest (the same questions) | {results['rag_generation_ms_during_ingest']['p50']:.0f} | "
              f"{results['rag_generation_ms_during_ingest']['p99']:.0f} | {len(during)} | |")
    print()
    for clients in (1, 4):
        r = results[f"during_ingest_{clients}"]
        print(f"{clients} client(s): p99 during ingest (median) / idle p99 "
              f"{r['p99_median'] / results[f'idle_{clients}']['p99']:.2f}; "
              f"ingest with queries / alone, median of rounds: {r['ingest_ratio_median']:.2f}")
    print(f"cached text / vector p50: {results['cached_text']['p50'] / results['vector']['p50']:.2f}")
    if "paced_4_alone" in results:
        paced = results["paced_4_alone"]
        busy = median([rd["alone"]["node_cores"] for rd in rounds])
        print(f"4 paced clients alone: {paced['cores']:.2f} node cores ({paced['cpu_ms_per_query']:.1f} ms of CPU a query); "
              f"ingest alone keeps {busy:.2f} cores busy; were the queries' CPU all that ingest lost beside them, "
              f"the ratio would be 1 - {paced['cores']:.2f}/{busy:.2f} = {1 - paced['cores'] / busy:.2f}")
        if node_pid:
            jit_alone = median([rd["alone"]["jit_cores"] for rd in rounds])
            jit_with = median([rd["with_4"]["jit_cores"] for rd in rounds])
            print(f"JIT compiler (median of rounds): {jit_alone:.2f} cores during ingest alone, {jit_with:.2f} beside 4 "
                  f"clients, {paced['jit_cores']:.2f} of the 4 paced clients alone")
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"args": vars(args), "results": results}, f, indent=2)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Side-by-side benchmark of one node: ours (opensearch-semantic) or peer (ml-commons + neural-search + k-NN).

usage: bench.py ours|peer --data DIR --out RESULTS/SIDE.json [--model-zip PATH --model-sha256 HEX] [--set NAME]
                [--max-docs N] [--max-queries N] [--phases LIST] [--load-mode closed|paced --paced-qps 10
                --paced-clients 8]

Data (DIR): NAME-corpus.jsonl, one {"id": ..., "text": ...} per line, and NAME-queries.jsonl, one {"query": ...,
"relevant": <id of the one relevant document>} per line (known-item retrieval); or corpus.jsonl + queries.jsonl.
Without --set: corpus.jsonl if DIR has it, else the one *-corpus.jsonl in DIR. --max-docs keeps the first N
documents (and the queries whose relevant document is kept), --max-queries the first N queries.

Phases (all against http://127.0.0.1:9200, a node just started on an empty data dir; index "peerbench"):
  setup     REST calls and JSON characters from an empty node to the first semantic search (3 docs)
  embed     vectors of a few texts (ours: _plugins/_semantic/_embed, peer: ml-commons _predict) -> compared offline
  ingest    the corpus, bulk batches of 50, one refresh at the end, 2 runs (index dropped between runs), RSS after
  idle      every query as semantic and as hybrid, size 10, after 30+30 warm-up queries of other texts (the first 8
            words of 30 documents), 2 runs with our query-vector cache cleared before each, then a 3rd run of the
            same texts uncleared; MRR@10 by _id
  extras    quality variants (other normalizers, BM25) and a tail-of-long-document probe (the last 25 words of each
            of the 15 longest documents as the query: is that document in the top 10?)
  load      semantic queries (unique texts) while a second client bulk-loads the corpus under new ids twice, 2 runs.
            --load-mode closed (default): one client, each query sent when the previous one is answered.
            --load-mode paced: open loop at --paced-qps (default 10) queries/s, query i due at t0 + i/qps whatever
            became of the earlier ones (--paced-clients keep-alive connections take the due queries in turn);
            latency counted from the due time, so a query that had to wait for a free connection counts its wait
  chunked   peer only: a second index whose semantic field has chunking: true (MRR, tail probe)
Standard library only.
"""
import argparse, http.client, itertools, json, statistics, subprocess, sys, threading, time, urllib.parse, os

HOST, PORT = '127.0.0.1', 9200
HERE = os.path.dirname(os.path.abspath(__file__))


class Client:
    """One keep-alive HTTP connection; records every call (method, path, compact JSON chars of the body)."""

    def __init__(self):
        self.conn = http.client.HTTPConnection(HOST, PORT, timeout=600)
        self.log = []

    def call(self, method, path, body=None, nd=False, record=True):
        if body is None:
            data = None
        elif nd:
            data = body.encode()
        else:
            data = json.dumps(body, ensure_ascii=False, separators=(',', ':')).encode()
        headers = {'content-type': 'application/x-ndjson' if nd else 'application/json'}
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, PORT, timeout=600)
                if attempt:
                    raise
        if record:
            self.log.append({'method': method, 'path': path, 'status': r.status,
                             'json_chars': 0 if (data is None or nd) else len(data), 'bulk': nd})
        try:
            return r.status, json.loads(raw or b'{}')
        except ValueError:
            return r.status, {'raw': raw[:300].decode(errors='replace')}


def load(path):
    return [json.loads(l) for l in open(path, encoding='utf-8')]


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def summary(lat_ms):
    return {'n': len(lat_ms), 'p50_ms': round(pct(lat_ms, 50), 1), 'p99_ms': round(pct(lat_ms, 99), 1),
            'mean_ms': round(statistics.mean(lat_ms), 1), 'max_ms': round(max(lat_ms), 1)}


def mrr10(ids, relevant):
    return 1.0 / (ids.index(relevant) + 1) if relevant in ids[:10] else 0.0


def bulk_body(docs, id_suffix=''):
    lines = []
    for d in docs:
        lines.append(json.dumps({'index': {'_id': d['id'] + id_suffix}}))
        lines.append(json.dumps({'body': d['text']}, ensure_ascii=False))
    return '\n'.join(lines) + '\n'


HZ = os.sysconf('SC_CLK_TCK')


def node_pid():
    return open(os.path.join(os.environ.get('BENCH_DIR', '/tmp/peerbench'), SIDE, 'opensearch.pid')).read().strip()


def cpu_snap():
    """(wall, machine busy jiffies, node jiffies, this process's jiffies): to tell how busy *other* processes kept
    the 2 cores during a run (a neighbour's load skews latency; reported as other_cores_busy)."""
    f = open('/proc/stat').readline().split()[1:]
    busy = sum(int(x) for x in f) - int(f[3]) - int(f[4])  # all but idle and iowait
    st = open(f'/proc/{node_pid()}/stat').read().rsplit(')', 1)[1].split()
    node = int(st[11]) + int(st[12])
    t = os.times()
    return time.perf_counter(), busy, node, (t.user + t.system) * HZ


def other_cores(a, b):
    wall = b[0] - a[0]
    return round(((b[1] - a[1]) - (b[2] - a[2]) - (b[3] - a[3])) / HZ / wall, 2) if wall > 0 else None


def node_rss_kb():
    pid = node_pid()
    return int(subprocess.check_output(['ps', '-o', 'rss=', '-p', pid]).decode().strip())


# --------------------------------------------------------------------------------------------------------- sides
class Ours:
    name = 'ours'

    def __init__(self, args):
        self.args = args

    def setup_calls(self, c):
        """Everything from an empty node to the first semantic search."""
        s, r = c.call('PUT', '/kb', {'mappings': {'properties': {'body': {'type': 'semantic_text'}}}})
        assert s == 200, r
        s, r = c.call('POST', '/kb/_bulk?refresh=true', bulk_body(SETUP_DOCS), nd=True)
        assert s == 200 and not r.get('errors'), r
        s, r = c.call('POST', '/kb/_search', {'query': {'semantic': {'field': 'body', 'query': SETUP_Q}}})
        assert s == 200, r
        return r

    def hybrid_setup_calls(self, c):
        return  # nothing: "hybrid": {} inside the semantic query

    def embed(self, c, texts):
        s, r = c.call('POST', '/_plugins/_semantic/_embed', {'texts': texts}, record=False)
        assert s == 200, r
        return r['embeddings']

    def index_body(self, chunked=False):
        return {'mappings': {'properties': {'body': {'type': 'semantic_text'}}}}

    def sem_query(self, q, k=10):
        return {'size': 10, '_source': False, 'query': {'semantic': {'field': 'body', 'query': q, 'k': k}}}

    def hybrid_query(self, q, variant='default'):
        h = {} if variant == 'default' else {'normalizer': 'min_max'}
        return {'size': 10, '_source': False, 'query': {'semantic': {'field': 'body', 'query': q, 'k': 10, 'hybrid': h}}}

    def hybrid_path(self, index, variant='default'):
        return f'/{index}/_search'

    hybrid_variants = ('default', 'min_max')

    def clear_cache(self, c):
        # our query-vector cache would answer repeated query texts without running the model; cleared before each
        # measured run so that both sides embed every query text (the cached figure is measured separately)
        s, r = c.call('POST', '/_plugins/_semantic/query_cache/_clear', record=False)
        assert s == 200, r


class Peer:
    name = 'peer'

    def __init__(self, args):
        self.args = args
        self.model_id = None

    def setup_calls(self, c):
        s, r = c.call('PUT', '/_cluster/settings', {'persistent': {
            'plugins.ml_commons.only_run_on_ml_node': False,
            'plugins.ml_commons.allow_registering_model_via_url': True,
            'plugins.ml_commons.native_memory_threshold': 100,
            # at its default (85) ml-commons' JVM heap breaker answered 429 'Memory Circuit Breaker is open' to a
            # neural query during an idle run on a 2g heap; 100 disables it
            'plugins.ml_commons.jvm_heap_memory_threshold': 100}})
        assert s == 200, r
        s, r = c.call('POST', '/_plugins/_ml/models/_register?deploy=true', {
            'name': 'all-MiniLM-L6-v2', 'version': '1.0.0', 'model_format': 'ONNX', 'function_name': 'TEXT_EMBEDDING',
            'model_content_hash_value': self.args.model_sha256, 'url': 'file://' + self.args.model_zip,
            'model_config': {'model_type': 'bert', 'embedding_dimension': 384, 'framework_type': 'sentence_transformers',
                             'pooling_mode': 'mean', 'normalize_result': True,
                             'additional_config': {'space_type': 'cosinesimil'}}})
        assert s == 200, r
        task = r['task_id']
        t0 = time.time()
        while True:
            s, r = c.call('GET', f'/_plugins/_ml/tasks/{task}')
            st = r.get('state')
            if st == 'COMPLETED' and r.get('model_id'):
                # register?deploy=true: the register task completes, then a deploy task runs; wait for the model
                self.model_id = r['model_id']
                break
            if st in ('FAILED', 'COMPLETED_WITH_ERROR'):
                raise RuntimeError(f'register task {st}: {r}')
            if time.time() - t0 > 600:
                raise RuntimeError(f'register task timed out: {r}')
            time.sleep(1)
        failed_since = None
        redeploys = 0
        while True:
            s, r = c.call('GET', f'/_plugins/_ml/models/{self.model_id}')
            st = r.get('model_state')
            if st == 'DEPLOYED':
                break
            if st == 'DEPLOY_FAILED' and redeploys < 2 and time.time() - t0 < 600:
                # ml-commons 3.6 at times starts a second deploy task beside register?deploy=true's own, fails it
                # ("Duplicate deploy model task") and marks the model DEPLOY_FAILED while the first one still loads
                # the model: wait for that one, then deploy again, as a user would
                failed_since = failed_since or time.time()
                if time.time() - failed_since > 60:
                    redeploys += 1
                    failed_since = None
                    c.call('POST', f'/_plugins/_ml/models/{self.model_id}/_deploy')
                time.sleep(1)
                continue
            if st in ('DEPLOY_FAILED', 'PARTIALLY_DEPLOYED') or time.time() - t0 > 600:
                s2, tasks = c.call('POST', '/_plugins/_ml/tasks/_search', {'query': {'match_all': {}}, 'size': 10}, record=False)
                raise RuntimeError(f'model state {st}: {r}; tasks {json.dumps(tasks)[:3000]}')
            time.sleep(1)
        s, r = c.call('PUT', '/kb', self.index_body())
        assert s == 200, r
        s, r = c.call('POST', '/kb/_bulk?refresh=true', bulk_body(SETUP_DOCS), nd=True)
        assert s == 200 and not r.get('errors'), r
        s, r = c.call('POST', '/kb/_search', {'query': {'neural': {'body': {'query_text': SETUP_Q}}}})
        assert s == 200, r
        return r

    def hybrid_setup_calls(self, c):
        for name, tech in (('hybrid-minmax', 'min_max'), ('hybrid-zscore', 'z_score')):
            s, r = c.call('PUT', f'/_search/pipeline/{name}', {'phase_results_processors': [{'normalization-processor': {
                'normalization': {'technique': tech},
                'combination': {'technique': 'arithmetic_mean', 'parameters': {'weights': [0.5, 0.5]}}}}]},
                record=(name == 'hybrid-minmax'))
            assert s == 200, r

    def embed(self, c, texts):
        s, r = c.call('POST', f'/_plugins/_ml/_predict/text_embedding/{self.model_id}',
                      {'text_docs': texts, 'target_response': ['sentence_embedding']}, record=False)
        assert s == 200, r
        return [res['output'][0]['data'] for res in r['inference_results']]

    def index_body(self, chunked=False):
        f = {'type': 'semantic', 'model_id': self.model_id,
             # the Maven Central k-NN zip has no faiss/nmslib native libraries: the Lucene HNSW engine is the one that works
             'dense_embedding_config': {'method': {'engine': 'lucene'}}}
        if chunked:
            f['chunking'] = True
        # index.knn: true is required (else: 'Cannot set modelId or method parameters when index.knn setting is false')
        return {'settings': {'index.knn': True}, 'mappings': {'properties': {'body': f}}}

    def sem_query(self, q, k=10):
        return {'size': 10, '_source': False, 'query': {'neural': {'body': {'query_text': q, 'k': k}}}}

    def hybrid_query(self, q, variant='default'):
        return {'size': 10, '_source': False, 'query': {'hybrid': {'queries': [
            {'match': {'body': {'query': q}}}, {'neural': {'body': {'query_text': q, 'k': 10}}}]}}}

    def hybrid_path(self, index, variant='default'):
        return f'/{index}/_search?search_pipeline=' + ('hybrid-minmax' if variant == 'default' else 'hybrid-zscore')

    hybrid_variants = ('default', 'z_score')

    def clear_cache(self, c):
        pass  # ml-commons / neural-search keep no query-vector cache


SETUP_DOCS = [
    {'id': 'clamav', 'text': 'ClamAV is an open source anti-virus toolkit. It scans e-mail on mail gateways for viruses and trojans.'},
    {'id': 'logrotate', 'text': 'Logrotate rotates, compresses and mails system logs. It runs daily from cron.'},
    {'id': 'rsync', 'text': 'rsync copies files to and from remote machines over ssh, sending only the differences.'}]
SETUP_Q = 'copy files to another computer'


# ------------------------------------------------------------------------------------------------------- phases
def phase_setup(side, out):
    c = Client()
    t0 = time.time()
    r = side.setup_calls(c)
    wall = time.time() - t0
    top = r['hits']['hits'][0]['_id'] if r['hits']['hits'] else None
    calls = [x for x in c.log]
    polls = [x for x in calls if x['method'] == 'GET']
    n_h0 = len(c.log)
    side.hybrid_setup_calls(c)
    hyb = c.log[n_h0:]
    out['setup'] = {
        'wall_s_to_first_semantic_search': round(wall, 1),
        'rest_calls_total': len(calls), 'rest_calls_excluding_polls': len(calls) - len(polls), 'poll_calls': len(polls),
        'json_chars_excluding_bulk_docs': sum(x['json_chars'] for x in calls),
        'first_search_top_hit': top,
        'extra_calls_for_hybrid': len(hyb), 'extra_json_chars_for_hybrid': sum(x['json_chars'] for x in hyb),
        'calls': calls + hyb}
    # the hybrid query body itself (characters of a representative body, query text excluded)
    q = 'X'
    out['setup']['semantic_query_body_chars'] = len(json.dumps(side.sem_query(q), separators=(',', ':')))
    out['setup']['hybrid_query_body_chars'] = len(json.dumps(side.hybrid_query(q), separators=(',', ':')))
    print('setup', {k: v for k, v in out['setup'].items() if k != 'calls'}, flush=True)


def phase_embed(side, out, texts):
    c = Client()
    vecs = side.embed(c, texts)
    out['embed'] = {'texts': texts, 'vectors': vecs}
    print('embed', len(vecs), 'vectors of', len(vecs[0]), flush=True)


def ingest(c, index, docs, id_suffix=''):
    t0 = time.perf_counter()
    errors = 0
    first_err = None
    for i in range(0, len(docs), 50):
        s, r = c.call('POST', f'/{index}/_bulk', bulk_body(docs[i:i + 50], id_suffix), nd=True, record=False)
        if s != 200:
            raise RuntimeError(f'bulk -> {s} {str(r)[:500]}')
        for it in r.get('items', []):
            if it['index'].get('error'):
                errors += 1
                first_err = first_err or it['index']['error']
    return time.perf_counter() - t0, errors, first_err


def phase_ingest(side, out, docs, runs=2):
    c = Client()
    res = []
    for run in range(runs):
        c.call('DELETE', '/peerbench', record=False)
        s, r = c.call('PUT', '/peerbench', side.index_body(), record=False)
        assert s == 200, r
        t0 = time.perf_counter()
        cs = cpu_snap()
        t_bulk, errors, first_err = ingest(c, 'peerbench', docs)
        s, r = c.call('POST', '/peerbench/_refresh', record=False)
        wall = time.perf_counter() - t0
        oc = other_cores(cs, cpu_snap())
        s, cnt = c.call('GET', '/peerbench/_count', record=False)
        res.append({'run': run + 1, 'wall_s': round(wall, 2), 'bulk_s': round(t_bulk, 2),
                    'docs_per_s': round(len(docs) / wall, 1), 'errors': errors, 'first_error': first_err,
                    'count': cnt.get('count'), 'other_cores_busy': oc})
        print('ingest', res[-1], flush=True)
    time.sleep(2)
    c.call('POST', '/peerbench/_flush', record=False)
    s, st = c.call('GET', '/peerbench/_stats/store,docs', record=False)
    out['ingest'] = {'runs': res, 'rss_mb_after_load': round(node_rss_kb() / 1024),
                     'store_bytes': st['_all']['primaries']['store']['size_in_bytes'],
                     'lucene_docs': st['_all']['primaries']['docs']['count']}
    print('rss after load MB', out['ingest']['rss_mb_after_load'], flush=True)


def timed_search(c, path, body):
    t0 = time.perf_counter()
    s, r = c.call('POST', path, body, record=False)
    dt = (time.perf_counter() - t0) * 1000
    if s != 200:
        raise RuntimeError(f'search {path} -> {s} {json.dumps(r)[:800]}')
    return dt, [h['_id'] for h in r['hits']['hits']], r.get('took')


def phase_idle(side, out, queries, docs, runs=2):
    c = Client()
    kinds = {'semantic': lambda q: ('/peerbench/_search', side.sem_query(q)),
             'hybrid': lambda q: (side.hybrid_path('peerbench'), side.hybrid_query(q))}
    # warm-up texts that are not the measured ones (the first words of 30 documents)
    warm = [' '.join(d['text'].split()[:8]) for d in (docs[100:130] if len(docs) >= 130 else docs[-30:])]
    for kind, mk in kinds.items():
        for t in warm:
            timed_search(c, *mk(t))
    res = {}
    for kind, mk in kinds.items():
        res[kind] = {'runs': []}
        for run in range(runs + 1):
            cached = run == runs  # the last run repeats the texts without clearing: our query cache answers them
            if not cached:
                side.clear_cache(c)
            lat, tooks, mrr, ranks = [], [], 0.0, []
            cs = cpu_snap()
            for q in queries:
                dt, ids, took = timed_search(c, *mk(q['query']))
                lat.append(dt); tooks.append(took); mrr += mrr10(ids, q['relevant'])
                ranks.append(ids.index(q['relevant']) + 1 if q['relevant'] in ids else None)
            sm = summary(lat)
            sm['other_cores_busy'] = other_cores(cs, cpu_snap())
            sm['took_p50_ms'] = pct(tooks, 50)
            sm['mrr10'] = round(mrr / len(queries), 4)
            if run == 0:
                res[kind]['ranks_run1'] = ranks  # rank of the relevant doc per query (None: not in the top 10)
            if cached:
                res[kind]['repeat_same_texts'] = sm
            else:
                res[kind]['runs'].append(sm)
            print('idle', kind, 'repeat' if cached else run + 1, sm, flush=True)
    out['idle'] = res


def paced_queries(side, queries, run, done, qps, clients):
    """Open-loop query client for the load phase: query i is due at t0 + i/qps, whatever became of the earlier
    ones; `clients` threads, each with its own keep-alive connection, take the next due query in turn, wait for its
    due time and send it. A slow answer therefore does not delay the next send unless every connection is busy;
    then the query goes out as soon as one is free, and its latency still counts from its due time. Stops sending
    when `done` is set (the bulk finished); queries in flight are awaited."""
    lat, late, errors, lock, counter = [], [0], [], threading.Lock(), itertools.count()
    interval = 1.0 / qps
    t0 = time.perf_counter() + 0.02

    def worker():
        c = Client()
        while True:
            i = next(counter)
            due = t0 + i * interval
            wait = due - time.perf_counter()
            if (wait > 0 and done.wait(wait)) or done.is_set():
                return
            sent = time.perf_counter()
            q = f"{queries[i % len(queries)]['query']} {run + 1}.{i}"  # every text unique: no cache answers it
            try:
                timed_search(c, '/peerbench/_search', side.sem_query(q))
            except Exception as e:  # reported by phase_load once the run is over
                errors.append(e)
                done.set()
                return
            with lock:
                lat.append((time.perf_counter() - due) * 1000)
                late[0] += (sent - due) > 0.005

    ths = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for th in ths:
        th.start()
    return ths, lat, late, errors, t0


def phase_load(side, out, docs, queries, runs=2, mode='closed', qps=10.0, clients=8):
    c = Client()
    res = []
    for run in range(runs):
        done = threading.Event()
        bulk_info = {}

        def loader():
            try:
                lc = Client()
                t0 = time.perf_counter()
                errs = 0
                for rep in range(2):
                    _, e, _ = ingest(lc, 'peerbench', docs, id_suffix=f'#load{run + 1}.{rep + 1}')
                    errs += e
                lc.call('POST', '/peerbench/_refresh', record=False)
                bulk_info.update({'bulk_wall_s': round(time.perf_counter() - t0, 2), 'docs': 2 * len(docs), 'errors': errs})
            except Exception as e:  # raised by phase_load once the queries stopped
                bulk_info['exception'] = e
            finally:
                done.set()

        th = threading.Thread(target=loader)
        lat = []
        i = 0
        side.clear_cache(c)
        cs = cpu_snap()
        if mode == 'paced':
            th.start()
            workers, lat, late, errors, t0 = paced_queries(side, queries, run, done, qps, clients)
            done.wait()
            t_end = time.perf_counter()
            for w in workers:
                w.join()
            th.join()
            if errors:
                raise errors[0]
        else:
            th.start()
            while not done.is_set():
                # every text unique (no query cache can answer it): the query, then the run and the query number
                q = f"{queries[i % len(queries)]['query']} {run + 1}.{i}"
                dt, _, _ = timed_search(c, '/peerbench/_search', side.sem_query(q))
                lat.append(dt)
                i += 1
            th.join()
        if 'exception' in bulk_info:
            raise bulk_info['exception']
        sm = summary(lat)
        sm['other_cores_busy'] = other_cores(cs, cpu_snap())
        sm['mode'] = mode
        if mode == 'paced':
            sm.update({'target_qps': qps, 'clients': clients, 'sent_qps': round(len(lat) / max(t_end - t0, 1e-9), 2),
                       'late_sends_over_5ms': late[0]})
        sm.update(bulk_info)
        sm['docs_per_s_under_query_load'] = round(bulk_info['docs'] / bulk_info['bulk_wall_s'], 1)
        res.append(sm)
        print('load', run + 1, sm, flush=True)
    out['load'] = {'runs': res, 'rss_mb_after': round(node_rss_kb() / 1024)}


def phase_extras(side, out, docs, queries):
    """Quality variants (same index) and the tail-of-long-document probe."""
    c = Client()
    ex = {}
    for variant in side.hybrid_variants:
        mrr = 0.0
        for q in queries:
            _, ids, _ = timed_search(c, side.hybrid_path('peerbench', variant), side.hybrid_query(q['query'], variant))
            mrr += mrr10(ids, q['relevant'])
        ex[f'hybrid_{variant}_mrr10'] = round(mrr / len(queries), 4)
    mrr = 0.0
    for q in queries:
        _, ids, _ = timed_search(c, '/peerbench/_search', {'size': 10, '_source': False, 'query': {'match': {'body': q['query']}}})
        mrr += mrr10(ids, q['relevant'])
    ex['bm25_match_mrr10'] = round(mrr / len(queries), 4)
    # tail probe: a sentence from the last part of each of the 15 longest docs, as a query
    longest = sorted(docs, key=lambda d: len(d['text']), reverse=True)[:15]
    hits, probes = 0, []
    for d in longest:
        words = d['text'].split()
        tail = ' '.join(words[-25:])
        _, ids, _ = timed_search(c, '/peerbench/_search', side.sem_query(tail))
        ok = d['id'] + '' in ids[:10] or any(i.split('#')[0] == d['id'] for i in ids[:10])
        hits += ok
        probes.append({'id': d['id'], 'words': len(words), 'found_top10': ok})
    ex['tail_probe_found_top10'] = f'{hits}/{len(longest)}'
    ex['tail_probe'] = probes
    out['extras'] = ex
    print('extras', {k: v for k, v in ex.items() if k != 'tail_probe'}, flush=True)


def phase_chunked(side, out, docs, queries):
    """Peer only: the same data in a semantic field with chunking: true (neural-search's own chunking)."""
    c = Client()
    c.call('DELETE', '/peerbench-chunked', record=False)
    s, r = c.call('PUT', '/peerbench-chunked', side.index_body(chunked=True), record=False)
    assert s == 200, r
    t0 = time.perf_counter()
    _, errors, first_err = ingest(c, 'peerbench-chunked', docs)
    c.call('POST', '/peerbench-chunked/_refresh', record=False)
    wall = time.perf_counter() - t0
    mrr, lat = 0.0, []
    for q in queries:
        dt, ids, _ = timed_search(c, '/peerbench-chunked/_search', side.sem_query(q['query']))
        mrr += mrr10(ids, q['relevant']); lat.append(dt)
    longest = sorted(docs, key=lambda d: len(d['text']), reverse=True)[:15]
    hits = 0
    for d in longest:
        _, ids, _ = timed_search(c, '/peerbench-chunked/_search', side.sem_query(' '.join(d['text'].split()[-25:])))
        hits += d['id'] in ids[:10]
    out['chunked'] = {'ingest_wall_s': round(wall, 2), 'docs_per_s': round(len(docs) / wall, 1), 'errors': errors,
                      'first_error': first_err, 'semantic_mrr10': round(mrr / len(queries), 4),
                      'semantic_latency': summary(lat), 'tail_probe_found_top10': f'{hits}/{len(longest)}'}
    print('chunked', out['chunked'], flush=True)


def load_data(args):
    """The corpus and the queries (see the module doc for the files and their format), checked."""
    d = args.data
    if args.set:
        cf, qf = f'{args.set}-corpus.jsonl', f'{args.set}-queries.jsonl'
    elif os.path.exists(os.path.join(d, 'corpus.jsonl')):
        cf, qf = 'corpus.jsonl', 'queries.jsonl'
    else:
        found = sorted(f for f in os.listdir(d) if f.endswith('-corpus.jsonl'))
        if len(found) != 1:
            sys.exit(f'{d}: expected corpus.jsonl + queries.jsonl, or exactly one <name>-corpus.jsonl (else --set / SET=<name>); found {found}')
        cf = found[0]
        qf = cf[:-len('corpus.jsonl')] + 'queries.jsonl'
    docs, queries = load(os.path.join(d, cf)), load(os.path.join(d, qf))
    bad = [x for x in docs if not isinstance(x.get('id'), str) or not isinstance(x.get('text'), str)]
    if bad:
        sys.exit(f'{cf}: every line must be {{"id": "<string>", "text": "<string>"}}; first bad line: {json.dumps(bad[0])[:200]}')
    if args.max_docs:
        docs = docs[:args.max_docs]
    ids = {x['id'] for x in docs}
    if len(ids) != len(docs):
        sys.exit(f'{cf}: ids must be unique')
    bad = [x for x in queries if not isinstance(x.get('query'), str) or 'relevant' not in x]
    if bad:
        sys.exit(f'{qf}: every line must be {{"query": "<text>", "relevant": "<id>"}}; first bad line: {json.dumps(bad[0])[:200]}')
    kept = [x for x in queries if x['relevant'] in ids]
    if len(kept) < len(queries) and not args.max_docs:
        print(f'warning: {len(queries) - len(kept)} queries name a relevant id not in the corpus; left out', flush=True)
    queries = kept[:args.max_queries] if args.max_queries else kept
    if len(docs) < 20 or not queries:
        sys.exit(f'need at least 20 documents and 1 query; have {len(docs)} and {len(queries)}')
    print(f'data: {cf} {len(docs)} docs, {qf} {len(queries)} queries', flush=True)
    return docs, queries


def main():
    global SIDE
    ap = argparse.ArgumentParser()
    ap.add_argument('side', choices=['ours', 'peer'])
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--model-zip')
    ap.add_argument('--model-sha256')
    ap.add_argument('--phases', default='setup,embed,ingest,idle,extras,load,chunked')
    ap.add_argument('--set', help='data files: DATA/<set>-corpus.jsonl and DATA/<set>-queries.jsonl')
    ap.add_argument('--max-docs', type=int, default=0, help='keep the first N documents (0: all)')
    ap.add_argument('--max-queries', type=int, default=0, help='keep the first N queries (0: all)')
    ap.add_argument('--load-mode', choices=['closed', 'paced'], default='closed')
    ap.add_argument('--paced-qps', type=float, default=10.0)
    ap.add_argument('--paced-clients', type=int, default=8)
    args = ap.parse_args()
    SIDE = args.side
    side = Ours(args) if args.side == 'ours' else Peer(args)
    docs, queries = load_data(args)
    longest = max(docs, key=lambda d: len(d['text']))['text']
    embed_texts = [q['query'] for q in queries[:4]] + [d['text'] for d in docs[:4]] + [
        ' '.join(longest.split()[:60]), ' '.join(longest.split()[:150]), longest]
    out = {'side': args.side, 'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'phases': args.phases,
           'load_mode': args.load_mode}
    phases = args.phases.split(',')
    try:
        if 'setup' in phases: phase_setup(side, out)
        if 'embed' in phases: phase_embed(side, out, embed_texts)
        if 'ingest' in phases: phase_ingest(side, out, docs)
        if 'idle' in phases: phase_idle(side, out, queries, docs)
        if 'extras' in phases: phase_extras(side, out, docs, queries)  # before 'load', which adds copies of the docs
        if 'load' in phases: phase_load(side, out, docs, queries, mode=args.load_mode, qps=args.paced_qps, clients=args.paced_clients)
        if 'chunked' in phases and args.side == 'peer': phase_chunked(side, out, docs, queries)
    except Exception as e:  # keep what was measured
        out['error'] = repr(e)[:3000]
        print('ERROR', out['error'], flush=True)
    finally:
        out['finished'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        json.dump(out, open(args.out, 'w'), indent=1)
    sys.exit(1 if 'error' in out else 0)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Retrieval quality of BM25, semantic and hybrid retrieval, and how often _rag's extractive answer cites the right
document, on a known-item set from bench/make_debdesc.py (one relevant document per query).

usage: scripts/rag-quality.py DATA_DIR [--url URL] [--model NAME] [--queries N] [--index NAME] [--reuse]
                              [--fusions rrf,linear,...] [--answer-fusion default|rrf|linear]
                              [--answer-models default,NAME,...]

DATA_DIR holds corpus.jsonl ({"id","text"}) and queries.jsonl ({"query","relevant"}). The script indexes the corpus
into a fresh index (text for BM25, a semantic_vector for the model, vectors from the node's own _embed), then asks
every query four ways against a running node with the plugin:
  bm25      _search, match on text
  semantic  _search, the semantic query
  hybrid    _rag with text_field (BM25 + semantic fused, once per --fusions entry), k 10, the citations' order
  answer    _rag with its defaults plus text_field (hybrid, k 5, extractive): does the answer cite the relevant doc?
            (once per --answer-models entry: default, or a model named as _rag's answer_model)
and prints MRR@10 and Recall@10 of each ranking, the answer-cites rate, and the context recall (the relevant
document among the citations). Standard library only; needs Python 3.8+.
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def call(url, method, path, body=None, ndjson=False):
    data = None
    headers = {}
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers['Content-Type'] = 'application/x-ndjson' if ndjson else 'application/json'
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        raise SystemExit(f'{method} {path} failed: HTTP {e.code} {e.read().decode()[:500]}')


def read_jsonl(path):
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


def index_corpus(url, index, model, corpus):
    call(url, 'DELETE', '/' + index + '?ignore_unavailable=true')
    call(url, 'PUT', '/' + index, {
        'settings': {'number_of_shards': 1, 'number_of_replicas': 0, 'refresh_interval': '-1'},
        'mappings': {'properties': {
            'text': {'type': 'text'},
            'vector': {'type': 'semantic_vector', 'model': model}}}})
    start = time.time()
    for at in range(0, len(corpus), 64):
        batch = corpus[at:at + 64]
        vectors = call(url, 'POST', '/_plugins/_semantic/_embed',
                       {'model': model, 'input_type': 'passage', 'texts': [d['text'] for d in batch]})['embeddings']
        lines = []
        for doc, vector in zip(batch, vectors):
            lines.append(json.dumps({'index': {'_index': index, '_id': doc['id']}}))
            lines.append(json.dumps({'text': doc['text'], 'vector': vector}, ensure_ascii=False))
        result = call(url, 'POST', '/_bulk', '\n'.join(lines) + '\n', ndjson=True)
        if result.get('errors'):
            raise SystemExit('bulk errors: ' + json.dumps(result)[:1000])
    call(url, 'PUT', '/' + index + '/_settings', {'index': {'refresh_interval': '1s'}})
    call(url, 'POST', '/' + index + '/_refresh')
    call(url, 'POST', '/' + index + '/_forcemerge?max_num_segments=1')
    print(f'indexed {len(corpus)} documents in {time.time() - start:.0f} s', file=sys.stderr)


def rank_of(ids, relevant):
    """1-based rank of the relevant id among the first 10 distinct ids, or None."""
    seen = []
    for i in ids:
        if i not in seen:
            seen.append(i)
    return seen.index(relevant) + 1 if relevant in seen[:10] else None


def cited_ids(response):
    import re
    citations = response['citations']
    return {citations[int(n) - 1]['_id'] for n in re.findall(r'\[(\d+)]', response.get('answer') or '')
            if 0 < int(n) <= len(citations)}


def fusion_params(name):
    """_rag parameters of a --fusions entry."""
    parts = name.split(':')
    if parts[0] == 'default':
        return {}
    if parts[0] == 'rrf':
        return {'fusion': 'rrf', 'rank_constant': int(parts[1])} if len(parts) > 1 else {'fusion': 'rrf'}
    if parts[0] == 'linear':
        params = {'fusion': 'linear'}
        if len(parts) > 1:
            params['normalizer'] = parts[1]
        if len(parts) > 2:
            params['semantic_weight'] = float(parts[2])
        return params
    raise SystemExit(f'unknown fusion {name}')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_dir')
    parser.add_argument('--url', default='http://127.0.0.1:9200')
    parser.add_argument('--model', default='all-minilm-l6-v2')
    parser.add_argument('--queries', type=int, default=0, help='at most this many queries (0: all)')
    parser.add_argument('--index', default='rag-quality')
    parser.add_argument('--reuse', action='store_true', help='keep an index the script made before')
    parser.add_argument('--fusions', default='rrf,linear',
                        help='hybrid retrievals to measure, comma-separated: rrf (rank_constant 60), '
                             'rrf:<rank_constant>, linear (z_score, semantic_weight 0.5), '
                             'linear:<z_score|min_max>:<semantic_weight>, default (what _rag does unasked)')
    parser.add_argument('--answer-fusion', default='default', help='the fusion of the answer step, as in --fusions')
    parser.add_argument('--answer-models', default='default',
                        help='answer models of the answer step, comma-separated: default (what _rag picks unasked: the '
                             "field model's quantized variant where one is loaded) or a model name")
    args = parser.parse_args()
    fusions = {name: fusion_params(name) for name in args.fusions.split(',') if name}
    answer_models = args.answer_models.split(',')

    corpus = read_jsonl(args.data_dir + '/corpus.jsonl')
    queries = read_jsonl(args.data_dir + '/queries.jsonl')
    if args.queries:
        queries = queries[:args.queries]
    if not args.reuse:
        index_corpus(args.url, args.index, args.model, corpus)

    ranks = {'bm25': [], 'semantic': []}
    ranks.update({'hybrid ' + name: [] for name in fusions})
    ranks.update({'_search hybrid ' + name: [] for name in fusions})
    answers = {m: {'cites': 0, 'only': 0, 'context': 0, 'none': 0, 'took': 0.0, 'generation': []} for m in answer_models}
    took = {name: 0.0 for name in ranks}
    times = {name: [] for name in ranks}
    for q in queries:
        question, relevant = q['query'], q['relevant']
        t = time.time()
        hits = call(args.url, 'POST', f'/{args.index}/_search', {
            'size': 10, '_source': False, 'query': {'match': {'text': question}}})['hits']['hits']
        took['bm25'] += time.time() - t
        times['bm25'].append(time.time() - t)
        ranks['bm25'].append(rank_of([h['_id'] for h in hits], relevant))

        t = time.time()
        hits = call(args.url, 'POST', f'/{args.index}/_search', {
            'size': 10, '_source': False,
            'query': {'semantic': {'field': 'vector', 'query': question, 'k': 10}}})['hits']['hits']
        took['semantic'] += time.time() - t
        times['semantic'].append(time.time() - t)
        ranks['semantic'].append(rank_of([h['_id'] for h in hits], relevant))

        for name, params in fusions.items():
            t = time.time()
            response = call(args.url, 'POST', f'/{args.index}/_rag', {
                'question': question, 'field': 'vector', 'text_field': 'text', 'k': 10, 'max_context_tokens': 100000,
                **params})
            took['hybrid ' + name] += time.time() - t
            times['hybrid ' + name].append(time.time() - t)
            ranks['hybrid ' + name].append(rank_of([c['_id'] for c in response['citations']], relevant))

            # The same fusion inside an ordinary _search: size 10 fuses 20 documents per side, as _rag's k 10 does.
            t = time.time()
            hits = call(args.url, 'POST', f'/{args.index}/_search', {
                'size': 10, '_source': False,
                'query': {'semantic': {'field': 'vector', 'query': question, 'hybrid': {'text_field': 'text', **params}}}})['hits']['hits']
            took['_search hybrid ' + name] += time.time() - t
            times['_search hybrid ' + name].append(time.time() - t)
            ranks['_search hybrid ' + name].append(rank_of([h['_id'] for h in hits], relevant))

        for answer_model, answer in answers.items():
            body = {'question': question, 'field': 'vector', 'text_field': 'text', **fusion_params(args.answer_fusion)}
            if answer_model != 'default':
                body['answer_model'] = answer_model
            t = time.time()
            response = call(args.url, 'POST', f'/{args.index}/_rag', body)
            answer['took'] += time.time() - t
            answer['generation'].append(response['took']['generation_ms'])
            cited = cited_ids(response)
            answer['cites'] += relevant in cited
            answer['only'] += cited == {relevant}
            answer['context'] += any(c['_id'] == relevant for c in response['citations'])
            answer['none'] += response['answer'] == 'No passage answers this question.'

    n = len(queries)
    print(f'| {args.data_dir} ({len(corpus)} docs, {n} queries, {args.model}) | MRR@10 | Recall@10 | mean ms | p50 ms |')
    print('|---|---|---|---|---|')
    for name, found in ranks.items():
        mrr = sum(1 / r for r in found if r) / n
        recall = sum(1 for r in found if r) / n
        p50 = sorted(times[name])[len(times[name]) // 2] * 1000
        print(f'| {name} | {mrr:.4f} | {recall:.3f} | {took[name] / n * 1000:.0f} | {p50:.1f} |')
    for answer_model, answer in answers.items():
        generation = sorted(answer['generation'])
        print()
        print(f'_rag defaults (hybrid {args.answer_fusion}, k 5, extractive, answer_model {answer_model}): '
              f'answer cites the relevant document {answer["cites"] / n:.3f}, cites it alone {answer["only"] / n:.3f}, '
              f'relevant document among the citations {answer["context"] / n:.3f}, "no passage answers" {answer["none"] / n:.3f}, '
              f'mean {answer["took"] / n * 1000:.0f} ms, generation_ms p50 {generation[len(generation) // 2]}')


if __name__ == '__main__':
    main()
